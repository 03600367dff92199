"""`ztb export`: the tenant, read-only, into a versioned snapshot file."""

from __future__ import annotations

import logging
import os
import tempfile

import click

from ..errors import ZtbError
from ..options import config_option, load_baseline, warn

graph_url_option = click.option(
    "--graph-url", default=None, envvar="ZTB_GRAPH_URL", show_envvar=True,
    help="Graph root for national clouds or a test double (default https://graph.microsoft.com).",
)


def read_tenant(baseline, graph_url):
    """Export into memory; every Graph failure becomes one `Error:` line with exit 1."""
    from ..export import export_snapshot
    from ..graph.errors import GraphError
    from ..snapshot import SnapshotError, validate

    # DefaultAzureCredential logs every credential it tried, once per concurrent request, as
    # warnings; the failure reaches the user as the one error line below instead.
    logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
    try:
        snap = export_snapshot(baseline, graph_url=graph_url)
        return validate(snap, "read from the tenant")
    except GraphError as e:
        hint = ("; sign in with `az login`, workload identity federation (azure/login with OIDC) or ZTB_ACCESS_TOKEN"
                if e.code == "AuthenticationFailed" else "")
        raise ZtbError(f"reading the tenant failed, nothing was compared or written: {e}{hint}") from None
    except SnapshotError as e:
        raise ZtbError(str(e)) from None
    except ValueError as e:  # a malformed --graph-url or ZTB_ACCESS_TOKEN
        raise ZtbError(str(e)) from None


def write_atomically(path: str, text: str) -> None:
    """Write the whole file or nothing: a failed run never leaves half a snapshot behind."""
    if path == "-":
        click.echo(text)
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ztb-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, path)
    except OSError as e:
        raise ZtbError(f"cannot write {path} ({e.strerror or e}); pass a writable --out path") from None


@click.command()
@config_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Snapshot file to write (`-` for stdout).")
@graph_url_option
def command(config_path: str, out: str, graph_url: str | None) -> None:
    """Read the tenant (read-only Microsoft Graph) into a snapshot file for `ztb drift --snapshot`.

    Signs in with ZTB_ACCESS_TOKEN when set, else DefaultAzureCredential (workload identity
    federation in pipelines, `az login` on a laptop). Needs Policy.Read.All,
    RoleManagement.Read.Directory, DeviceManagementConfiguration.Read.All and GroupMember.Read.All.
    Any failed request (after the SDK's retries) exits 1 and writes nothing.

    \b
    Example:
        ztb export --config Pulumi.prod.yaml --out tenant-snapshot.json
    """
    from ..snapshot import dumps

    baseline = load_baseline(config_path)
    warn(baseline)
    snap = read_tenant(baseline, graph_url)
    write_atomically(out, dumps(snap))
    if out != "-":
        counts = ", ".join(f"{len(snap[k])} {k}" for k in ("conditionalAccessPolicies", "roleManagementPolicies", "groups"))
        click.echo(f"Wrote {out}: tenant {snap['tenantId']}, {counts}", err=True)

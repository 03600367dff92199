"""`ztb export`: the tenant, read-only, into a versioned snapshot file."""

from __future__ import annotations

import logging

import click

from ztb.errors import ZtbError
from ztb.cli.options import config_option, load_baseline, warn
from ztb.cli.outfile import write_atomically

graph_url_option = click.option(
    "--graph-url", default=None, envvar="ZTB_GRAPH_URL", show_envvar=True,
    help="Graph root for national clouds or a test double (default https://graph.microsoft.com).",
)


def scrub(text: str, data: bool = False) -> str:
    from ztb.graph.redact import redact

    return redact(text, shapes=not data)


def read_tenant(baseline, graph_url):
    """Export into memory; every failure becomes one `Error:` line (exit 1), secrets redacted.

    The tenant is verified (token, PIM policy IDs, /organization against ztb:tenantId), what
    was skipped is said on stderr, and a 401 / 403 names its fix.
    """
    from ztb.tenant.export import ExportError, export_snapshot
    from ztb.graph.errors import GraphError
    from ztb.graph.permissions import fix_for
    from ztb.graph.redact import redacted_logs
    from ztb.tenant.snapshot import SnapshotError, validate

    # DefaultAzureCredential logs every credential it tried, once per concurrent request, as
    # warnings; the failure reaches the user as the one error line below instead.
    logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
    with redacted_logs():
        try:
            snap = export_snapshot(baseline, graph_url=graph_url)
            snap = validate(snap, "read from the tenant")
        except GraphError as e:
            fix = fix_for(e)
            raise ZtbError(scrub(f"reading the tenant failed, nothing was compared or written: {e}" + (f"; {fix}" if fix else ""))) from None
        except (ExportError, SnapshotError) as e:
            raise ZtbError(scrub(str(e))) from None
        except ValueError as e:  # a malformed --graph-url, ZTB_ACCESS_TOKEN or ZTB_GRAPH_* limit
            raise ZtbError(scrub(str(e))) from None
    for collection, reason in (snap.get("skipped") or {}).items():
        click.echo(f"Skipped {collection}: {reason}", err=True)
    return snap


def write_output(path: str, text: str) -> None:
    """``--out`` (or ``-``): the text with any secret the process has seen removed, written whole."""
    write_atomically(path, scrub(text, data=True))


@click.command()
@config_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Snapshot file to write (`-` for stdout).")
@graph_url_option
def command(config_path: str, out: str, graph_url: str | None) -> None:
    """Read the tenant (read-only Microsoft Graph) into a snapshot file for `ztb drift --snapshot`.

    Signs in with ZTB_ACCESS_TOKEN when set, else DefaultAzureCredential (workload identity
    federation in pipelines, `az login` on a laptop). Needs Policy.Read.All,
    RoleManagement.Read.Directory, GroupMember.Read.All and, when the stack has a compliance
    control, DeviceManagementConfiguration.Read.All (Organization.Read.All is optional).
    Any failed request (after the SDK's retries), a tenant other than the stack's, a read past
    ZTB_GRAPH_TIMEOUT seconds (default 300) or ZTB_GRAPH_MAX_PAGES pages (default 1000) exits 1
    and writes nothing.

    \b
    Example:
        ztb export --config Pulumi.prod.yaml --out tenant-snapshot.json
    """
    from ztb.tenant.snapshot import dumps

    baseline = load_baseline(config_path)
    warn(baseline)
    snap = read_tenant(baseline, graph_url)
    write_output(out, dumps(snap))
    if out != "-":
        counts = ", ".join(f"{len(snap[k])} {k}" for k in ("conditionalAccessPolicies", "roleManagementPolicies", "groups"))
        click.echo(f"Wrote {out}: tenant {snap['tenantId']}, {counts}", err=True)

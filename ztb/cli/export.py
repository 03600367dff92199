"""`ztb export`: the tenant, read-only, into a versioned snapshot file."""

from __future__ import annotations

import click

from ztb.cli.base import ZtbCommand
from ztb.cli.options import config_option, graph_url_option, load_baseline, read_tenant_live, warn


@click.command(cls=ZtbCommand)
@config_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Snapshot file to write (`-` for stdout).")
@graph_url_option
def command(config_path: str, out: str, graph_url: str | None) -> None:
    """Read the tenant (read-only Microsoft Graph) into a snapshot file for `ztb drift --snapshot`.

    Signs in with ZTB_ACCESS_TOKEN when set, else DefaultAzureCredential (workload identity
    federation in pipelines, `az login` on a laptop). Needs Policy.Read.All,
    RoleManagement.Read.Directory, GroupMember.Read.All, User.Read.All (who holds the roles in
    scope: the snapshot carries standing access) and, when the stack has a compliance control,
    DeviceManagementConfiguration.Read.All (Organization.Read.All is optional).
    Any failed request (after the SDK's retries), a tenant other than the stack's, a read past
    ZTB_GRAPH_TIMEOUT seconds (default 300) or ZTB_GRAPH_MAX_PAGES pages (default 1000) exits 1
    and writes nothing.

    \b
    Example:
        ztb export --config Pulumi.prod.yaml --out tenant-snapshot.json
    """
    from ztb.cli.outfile import write_output
    from ztb.tenant.snapshot import dumps

    baseline = load_baseline(config_path)
    warn(baseline)
    snap = read_tenant_live(baseline, graph_url)
    write_output(out, dumps(snap))
    if out != "-":
        counts = ", ".join(f"{len(snap[k])} {k}" for k in ("conditionalAccessPolicies", "roleManagementPolicies", "groups"))
        click.echo(f"Wrote {out}: tenant {snap['tenantId']}, {counts}", err=True)

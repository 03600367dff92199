"""`ztb drift`: the tenant (live or a snapshot) against the baseline; exit 2 on drift."""

from __future__ import annotations

import click

from ztb.cli.base import ZtbCommand
from ztb.cli.exit_codes import EXIT_CHANGES
from ztb.cli.options import config_option, graph_url_option, load_baseline, read_tenant_live, scrub, warn
from ztb.errors import ZtbError

FORMATS = ["text", "markdown", "json", "junit", "sarif"]


@click.command(cls=ZtbCommand)
@config_option
@click.option("--snapshot", "snapshot_path", default=None, help="Compare with this `ztb export` file (`-` for stdin) instead of reading the tenant.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--previous", default=None, type=click.Path(dir_okay=False), help="An earlier `--format json` result: mark findings new, persisting or fixed.")
@click.option("--audit/--no-audit", "audit", default=None,
              help="List the directory-audit events (role, PIM, Conditional Access) since the --previous run, read live "
                   "(default: on for live drift with --previous, off with --snapshot).")
@graph_url_option
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--standing-access", is_flag=True, default=False,
              help="Read the role schedules live (read-only) for standing access and PRIV-MAN-04 when the snapshot lacks them "
                   "(an older export); unnecessary otherwise: `ztb export` writes them and live drift reads them.")
def command(config_path: str, snapshot_path: str | None, fmt: str, previous: str | None, audit: bool | None, graph_url: str | None,
            out: str | None, standing_access: bool = False) -> None:
    """Compare the tenant with the baseline and report drift per control ID.

    Each finding is missing, changed (every field with desired and actual value), notEnforced
    (disabled or report-only where the baseline enforces), unmanaged (a CA policy outside the
    baseline that reaches privileged users) or uncovered (a privileged built-in role outside the
    baseline's scope), with its impact: weakens, strengthens or neutral.

    Exit codes: 0 in sync, 2 drift, 1 could not tell (authentication, throttling past retries,
    a partial, repeated or malformed read, a read past ZTB_GRAPH_TIMEOUT / ZTB_GRAPH_MAX_PAGES,
    a tenant other than the stack's, a bad config or snapshot). A partial read is never "no drift".

    Standing access (permanent or outside-PIM assignments, synced admins, unused eligibilities,
    role-holding groups outside ztb:pim.groups, PRIV-MAN-04's Global Administrator count) is judged
    from the role schedules the snapshot holds; a snapshot exported before ztb wrote them reports
    these as not checked, unless --standing-access reads them live.

    Live with --previous (or with --snapshot and --audit), the report also lists the directory-audit
    events of role, PIM and Conditional Access changes since the previous run (who, what, when;
    read live, needs AuditLog.Read.All).

    \b
    Examples:
        ztb drift --config Pulumi.prod.yaml                       # live, read-only Graph
        ztb drift --snapshot tenant.json --format sarif --out drift.sarif
        ztb drift --format json --previous last.json --out now.json
        ztb drift --snapshot old-tenant.json --standing-access      # an older export: role schedules live
    """
    from ztb.cli.outfile import write_output
    from ztb.drift import formats as drift_formats
    from ztb.drift.detect import detect
    from ztb.drift.history import add_audit_events, load_previous, mark_history
    from ztb.drift.report import DriftError
    from ztb.tenant.snapshot import SnapshotError, load

    if audit and not previous:
        raise ZtbError("--audit lists the directory-audit events since the previous run: pass --previous FILE (an earlier "
                       "`ztb drift --format json` result) as well")
    baseline = load_baseline(config_path)
    warn(baseline)
    try:
        snap = load(snapshot_path) if snapshot_path else read_tenant_live(baseline, graph_url)
        report = detect(baseline, snap)
        if standing_access:
            from ztb.drift import standing

            if not standing.in_snapshot(snap):  # an older export: read the role schedules live
                standing.apply(report, baseline, standing.read_live(baseline, str(snap.get("tenantId") or ""), graph_url), snap)
            elif snapshot_path:
                click.echo("Note: the snapshot holds the role schedules (ztb export writes them), so standing access was judged "
                           "from it and --standing-access read nothing live", err=True)
        if previous:
            before = load_previous(previous)
            mark_history(report, before)
            if audit if audit is not None else not snapshot_path:
                add_audit_events(report, before, baseline, graph_url)
    except (SnapshotError, DriftError) as e:  # may quote the file or the tenant: no secret in the line
        raise ZtbError(scrub(str(e))) from None
    text = drift_formats.render(report, fmt, config_path)
    if out:
        write_output(out, text)
        click.echo(scrub(drift_formats.summary(report), data=True), err=True)
    else:
        click.echo(scrub(text, data=True))
    if not report.in_sync:
        click.get_current_context().exit(EXIT_CHANGES)

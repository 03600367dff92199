"""`ztb readiness`: who a phase would lock out, with the evidence; exit 2 when someone would be.

Parses, calls :mod:`ztb.readiness.assess`, prints. Graph code is imported only when the command
runs, so `ztb readiness --help` and every other command load none of it.
"""

from __future__ import annotations

import click

from ztb.cli.base import ZtbCommand
from ztb.cli.exit_codes import EXIT_CHANGES, EXIT_ERROR
from ztb.cli.options import config_option, graph_url_option, load_baseline, scrub, warn

FORMATS = ["text", "markdown", "json", "html"]
PHASES = ["evaluate", "pilot", "full"]


@click.command(cls=ZtbCommand)
@config_option
@click.option("--phase", type=click.Choice(PHASES), default=None, help="The phase to assess (default: the stack's ztb:phase).")
@click.option("--since", "since", default="14d", show_default=True, help="Sign-in window: <n>d or <n>h, at most 30d.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@graph_url_option
def command(config_path: str, phase: str | None, since: str, fmt: str, out: str | None, graph_url: str | None) -> None:
    """Before enforcing a phase: is everyone it enforces on ready? Read-only.

    For each person the phase enforces on (ring and privileged group members, role holders),
    the onboarding checklist: a phishing-resistant method, a compliant device on a platform the
    policies allow, standing versus eligible roles, synced or cloud-only, and what the report-only
    policies saw in the sign-in logs; and the break-glass accounts: excluded from every enabled
    Conditional Access policy, cloud-only, a phishing-resistant method, unused.

    Exit codes: 0 everyone is ready; 2 someone would be locked out (listed first); 1 could not
    tell (a missing permission or licence, a partial read, a bad config): never 0 on missing data.

    \b
    Examples:
        ztb readiness --config Pulumi.prod.yaml --phase pilot
        ztb readiness --format markdown >> "$GITHUB_STEP_SUMMARY"
        ztb readiness --format html --out readiness.html --since 7d
    """
    from ztb.readiness.window import parse_since

    window = parse_since(since)
    baseline = load_baseline(config_path)
    warn(baseline)

    from ztb.cli.outfile import write_output
    from ztb.readiness.assess import assess
    from ztb.readiness.render import headline, render
    from ztb.readiness.verdicts import Status

    report = assess(baseline, phase, window, since, graph_url)
    text = render(report, fmt)
    if out:
        write_output(out, text)
        click.echo(scrub(headline(report), data=True), err=True)
    else:
        click.echo(scrub(text, data=True))
    if report.outcome == Status.BLOCKED:
        click.get_current_context().exit(EXIT_CHANGES)
    if report.outcome == Status.UNKNOWN:
        for line in report.why_unknown() or ["a check could not be told; see the report"]:
            click.echo(scrub(f"Error: {line}"), err=True)
        click.get_current_context().exit(EXIT_ERROR)

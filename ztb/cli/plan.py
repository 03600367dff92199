"""`ztb plan`: the offline main job. No tenant, no Pulumi CLI, no Graph SDK."""

from __future__ import annotations

import click

from ztb.cli.base import ZtbCommand
from ztb.cli.options import config_option, load_baseline, warn


@click.command(cls=ZtbCommand)
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json", "snapshot"]), default="table", show_default=True)
def command(config_path: str, fmt: str) -> None:
    """Print the desired baseline for a stack: every control with its ID, kind, name and Graph JSON.

    \b
    Example:
        ztb plan --config Pulumi.dev.yaml --format json

    --format snapshot writes the tenant snapshot that a tenant matching the baseline exactly
    would export (for tests, demos and pipeline dry runs of `ztb drift`).
    """
    from ztb.render import plan as render

    baseline = load_baseline(config_path)
    warn(baseline)
    if fmt == "json":
        click.echo(render.plan_json(baseline))
    elif fmt == "snapshot":
        from ztb.tenant.ideal import render_snapshot

        click.echo(render_snapshot(baseline))
    else:
        click.echo(render.plan_text(baseline, fmt))

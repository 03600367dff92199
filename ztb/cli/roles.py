"""`ztb roles`: the privileged role catalogue and what this stack covers."""

from __future__ import annotations

import json
import os

import click

from ztb.cli.base import ZtbCommand
from ztb.cli.options import config_option, load_baseline


@click.command(cls=ZtbCommand)
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def command(config_path: str, fmt: str) -> None:
    """List every role that Microsoft, CISA or the guidance counts privileged, and whether the stack covers it.

    \b
    Example:
        ztb roles --config Pulumi.dev.yaml --format json
    """
    from ztb.render import plan as render

    baseline = load_baseline(config_path) if os.path.exists(config_path) or config_path != "Pulumi.dev.yaml" else None
    rows = render.roles_rows(baseline)
    click.echo(json.dumps({"roles": rows}, indent=2) if fmt == "json" else render.roles_text(rows))

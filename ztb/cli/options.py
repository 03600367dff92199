"""Options shared by several commands, defined once."""

from __future__ import annotations

import click

from ztb.config import ConfigError, load_stack_file
from ztb.errors import ZtbError

config_option = click.option(
    "--config", "config_path", default="Pulumi.dev.yaml", show_default=True,
    type=click.Path(dir_okay=False), help="Pulumi stack config file (Pulumi.<stack>.yaml).",
)


def load_baseline(config_path: str):
    """Validated baseline or a ZtbError listing every config problem (exit 1, nothing written)."""
    from ztb.model.baseline import build

    try:
        return build(load_stack_file(config_path))
    except ConfigError as e:
        raise ZtbError("\n".join(e.problems)) from None


def warn(baseline) -> None:
    for w in baseline.warnings:
        click.echo(f"Warning: {w}", err=True)

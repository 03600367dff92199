"""What several commands share, defined once: their options and the steps they have in common.

Importing this module costs click only: the baseline's model and Graph are imported when a
command runs, so `ztb --help` and each command load just what they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import click

if TYPE_CHECKING:
    from ztb.model.baseline import Baseline

config_option = click.option(
    "--config", "config_path", default="Pulumi.dev.yaml", show_default=True,
    type=click.Path(dir_okay=False), help="Pulumi stack config file (Pulumi.<stack>.yaml).",
)

graph_url_option = click.option(
    "--graph-url", default=None, envvar="ZTB_GRAPH_URL", show_envvar=True,
    help="Graph root for national clouds or a test double (default https://graph.microsoft.com).",
)


def load_baseline(config_path: str) -> Baseline:
    """Validated baseline, or ConfigError listing every config problem (exit 1, nothing written)."""
    from ztb.config import load_stack_baseline

    return load_stack_baseline(config_path)


def warn(baseline: Baseline) -> None:
    for w in baseline.warnings:
        click.echo(f"Warning: {w}", err=True)


def scrub(text: str, data: bool = False) -> str:
    """``text`` without any secret the process has seen; ``data`` keeps token-like shapes in reports."""
    from ztb.graph.redact import redact

    return redact(text, shapes=not data)


def read_tenant_live(baseline: Baseline, graph_url: Optional[str]) -> dict[str, Any]:
    """The verified live snapshot (ExportError, one line, on any failure); what was skipped, said on stderr."""
    from ztb.tenant.verified import read_verified_snapshot

    snap = read_verified_snapshot(baseline, graph_url)
    for collection, reason in (snap.get("skipped") or {}).items():
        click.echo(f"Skipped {collection}: {reason}", err=True)
    return snap

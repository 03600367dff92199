"""The `ztb` command line: plan, roles, export, drift and review of the privileged baseline.

Exit codes follow `terraform plan -detailed-exitcode`: 0 in sync or nothing to do, 2 drift or
changes, 1 error; `ztb review --fail-on weakens` adds 3. Errors are one line each, no traceback.
"""

from __future__ import annotations

import click

from . import __version__
from .commands import drift, export, plan, review, roles


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ztb")
def cli() -> None:
    """Zero Trust baseline for Microsoft Entra privileged access, as code."""


cli.add_command(plan.command, "plan")
cli.add_command(roles.command, "roles")
cli.add_command(review.command, "review")
cli.add_command(export.command, "export")
cli.add_command(drift.command, "drift")


def main() -> None:
    cli()

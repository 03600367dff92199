"""The `ztb` command line: plan, roles, export, drift, review and readiness of the privileged baseline.

Exit codes follow `terraform plan -detailed-exitcode`: 0 in sync or nothing to do, 2 drift or
changes, 1 error; `ztb review --fail-on weakens` adds 3 (ztb/cli/exit_codes.py). Errors are one line
each, no traceback: the library raises ztb.errors.ZtbError, ztb/cli/base.py prints it. Each command
module parses, calls the library and prints, importing the library only when it runs.
"""

from __future__ import annotations

import os

import click

from ztb import __version__
from ztb.cli import drift, export, plan, readiness, review, roles
from ztb.cli.base import ZtbGroup


@click.group(cls=ZtbGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ztb")
def cli() -> None:
    """Zero Trust baseline for Microsoft Entra privileged access, as code."""


cli.add_command(plan.command, "plan")
cli.add_command(roles.command, "roles")
cli.add_command(review.command, "review")
cli.add_command(export.command, "export")
cli.add_command(drift.command, "drift")
cli.add_command(readiness.command, "readiness")


def main() -> None:
    """The `ztb` script. pydantic (the stack config's schema) would otherwise scan every installed
    distribution's entry points for plugins on the first model built: start-up time that grows with
    the environment, for plugins the command line never uses. Set the variable to enable them."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    cli()

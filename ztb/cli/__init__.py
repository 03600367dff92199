"""The `ztb` command line: plan, roles, export, drift and review of the privileged baseline.

Exit codes follow `terraform plan -detailed-exitcode`: 0 in sync or nothing to do, 2 drift or
changes, 1 error; `ztb review --fail-on weakens` adds 3. Errors are one line each, no traceback.
"""

from __future__ import annotations

import sys

import click

from ztb import __version__
from ztb.errors import EXIT_ERROR
from ztb.cli import drift, export, plan, review, roles


class ZtbGroup(click.Group):
    """Usage errors exit 1, not click's 2: exit 2 means drift or changes to a pipeline here."""

    def main(self, *args, **kwargs):
        kwargs.pop("standalone_mode", None)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as e:
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx else ""
            click.echo(f"Error: {e.format_message()}{hint}", err=True)
            sys.exit(EXIT_ERROR)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=ZtbGroup, context_settings={"help_option_names": ["-h", "--help"]})
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

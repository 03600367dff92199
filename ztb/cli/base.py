"""How every `ztb` process ends: the exit code and, for a problem, ``Error:`` lines, never a traceback.

The library raises :class:`~ztb.errors.ZtbError` and never exits; this is the one place that turns
it (and click's usage errors) into what a pipeline sees. Usage errors exit 1, not click's 2:
exit 2 means drift or changes here. The group and each command share the ending, so a command
invoked on its own (a test, an embedding script) behaves as ``ztb <command>`` does.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from ztb.cli.exit_codes import EXIT_ERROR, EXIT_OK
from ztb.errors import ZtbError


def fail(lines: list[str], code: int = EXIT_ERROR) -> NoReturn:
    for line in lines:
        click.echo(f"Error: {line}", err=True)
    sys.exit(code)


class _Ends:
    """``main`` in click's non-standalone mode, with ztb's ending of each outcome."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs.pop("standalone_mode", None)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except ZtbError as e:
            fail(e.lines(), e.exit_code)
        except click.UsageError as e:
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx else ""
            fail([f"{e.format_message()}{hint}"])
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            fail(["aborted"])
        sys.exit(result if isinstance(result, int) else EXIT_OK)


class ZtbGroup(_Ends, click.Group):
    """The `ztb` group."""


class ZtbCommand(_Ends, click.Command):
    """A `ztb` subcommand."""

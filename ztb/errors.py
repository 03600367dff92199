"""Exit codes are a contract with pipeline authors (`terraform plan -detailed-exitcode`)."""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # drift found / changes pending
EXIT_WEAKENS = 3  # `ztb review --fail-on weakens`


class ZtbError(click.ClickException):
    """A problem the user can fix: printed as ``Error: <one line per problem>``, never a traceback."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:  # one "Error:" line per problem
        for line in self.format_message().splitlines():
            click.echo(f"Error: {line}", err=True)

"""The one base of every problem a user can fix, so the command line handles them in one place.

The library raises a :class:`ZtbError` (or a subclass naming the subsystem: ``ConfigError``,
``SnapshotError``, ``GraphError`` ...) whose message is one complete line per problem, naming the
fix. It never prints and never exits: ``ztb.cli`` turns the error into ``Error: <line>`` lines on
stderr and the process's exit code. This module imports nothing, so every layer (the Pulumi
providers included) can derive from it at no start-up cost.
"""

from __future__ import annotations


class ZtbError(Exception):
    """A problem the user can fix: one line per problem, shown without a traceback.

    ``exit_code`` is what the command line exits with (1, "could not tell", unless a subclass or
    the raiser says otherwise); the library only states the fact, the CLI maps it.
    """

    exit_code: int = 1

    def lines(self) -> list[str]:
        """The message as the lines the CLI prints, each prefixed ``Error:``."""
        return str(self).splitlines() or [type(self).__name__]

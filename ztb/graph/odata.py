"""OData query helpers: the one way ztb writes a value into a ``$filter``.

A value from the config or the tenant (a display name such as ``O'Brien admins``) becomes part of
a filter expression; OData escapes a quote inside a string literal by doubling it, so an
unescaped one would end the literal early and change the query (or make Graph refuse it).
"""

from __future__ import annotations

from typing import Any


def literal(value: Any) -> str:
    """A string literal for ``$filter``: in single quotes, quotes inside doubled."""
    return "'" + str(value).replace("'", "''") + "'"

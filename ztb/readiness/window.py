"""``--since``: how far back readiness reads the sign-in logs, as ``<n>d`` or ``<n>h``.

Entra keeps sign-in logs 30 days (P1 and P2; 7 days on the free tier), so a window past 30 days
would silently read less than it says: refused. Standard library only: the command line parses
it before anything else is imported.
"""

from __future__ import annotations

import re
from datetime import timedelta

from ztb.errors import ZtbError

MAX_DAYS = 30
_FORM = re.compile(r"([1-9][0-9]{0,3})([dh])", re.ASCII)
DEFAULT = "14d"


class WindowError(ZtbError, ValueError):
    """A ``--since`` value readiness cannot use."""


def parse_since(text: str) -> timedelta:
    """``14d`` -> 14 days, ``36h`` -> 36 hours; anything else, or more than 30 days, is one-line WindowError."""
    value = text if isinstance(text, str) else str(text)
    shown = value if len(value) <= 40 else value[:40] + "..."
    m = _FORM.fullmatch(value)
    if not m:
        raise WindowError(f"--since {shown!r} is not a window: write a whole number of days or hours, such as 14d or 36h "
                          f"(1h to {MAX_DAYS}d)")
    n, unit = int(m.group(1)), m.group(2)
    window = timedelta(days=n) if unit == "d" else timedelta(hours=n)
    if window > timedelta(days=MAX_DAYS):
        raise WindowError(f"--since {shown} is longer than the {MAX_DAYS} days Entra keeps sign-in logs; pass at most {MAX_DAYS}d")
    return window

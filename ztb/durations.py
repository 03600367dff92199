"""ISO 8601 durations (PT1H, P90D) read one way: for the stack config and for comparing Graph's values.

pydantic's reading is the one used (what the config's schema accepts is what the comparison
understands); its adapter is built on first use, so a module that may parse a duration costs
nothing at import.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(timedelta)


def parse(value: Any) -> timedelta:
    """The duration ``value`` spells; ValueError (pydantic's ValidationError is one) when it spells none."""
    return _adapter().validate_python(value)

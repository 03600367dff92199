"""The value types and validators the stack config's schema is built from.

Numbers and switches accept exactly the spellings Pulumi writes (``pulumi config set`` stores
``"4"`` and ``"true"``), never YAML 1.1's ``yes`` or a fraction; object IDs are GUIDs, compared
case-insensitively; durations are ISO 8601 as Graph writes them. Each refusal names the fix.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Callable, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict

from ztb import durations
from ztb.catalogue import roles as role_catalogue
from ztb.config.problems import echo


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _check_guid(value: str) -> str:
    if not isinstance(value, str) or not role_catalogue.GUID_RE.match(value):
        raise ValueError(
            f"{echo(value)} is not an object ID; use the GUID shown in the Entra admin center "
            "(form 00000000-0000-0000-0000-000000000000)"
        )
    return value.lower()


def _guid_list(values: list[str]) -> list[str]:
    """Object IDs, lowercased; the same object twice (in any letter case) is a mistake, not a no-op."""
    out = [_check_guid(x) for x in values]
    seen: set[str] = set()
    for x in out:
        if x in seen:
            raise ValueError(f"{x} is listed twice (object IDs are compared case-insensitively); list each object once")
        seen.add(x)
    return out


def _int_text(value: Any) -> Any:
    """A whole number, or the decimal text Pulumi writes for one; never a switch or a fraction."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{echo(value)} is not a whole number; write a number such as 4")
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,6}", value):
            raise ValueError(f"{echo(value)} is not a whole number; write a number such as 4")
        return int(value)
    return value


def _bool_text(value: Any) -> Any:
    """true or false, or the text Pulumi writes for them; never 1, yes or on."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "True", "false", "False"):
        return value.lower() == "true"
    raise ValueError(f"{echo(value)} is not true or false; write true or false")


ConfigInt = Annotated[int, BeforeValidator(_int_text), Strict()]
ConfigBool = Annotated[bool, BeforeValidator(_bool_text), Strict()]


def parse_duration(value: str) -> timedelta:
    """ISO 8601 duration as Graph writes them (PT1H, PT60M, P90D)."""
    try:
        return durations.parse(value)
    except ValueError:
        raise ValueError(f"{echo(value)} is not an ISO 8601 duration such as PT1H or P90D") from None


def _matching(pattern: str, why: str) -> Callable[[Optional[str]], Optional[str]]:
    """A field validator: the value (when set) matches ``pattern``, else ``<value> <why>``."""
    compiled = re.compile(pattern)

    def check(value: Optional[str]) -> Optional[str]:
        if value is not None and not compiled.match(value):
            raise ValueError(f"{echo(value)} {why}")
        return value

    return check


def _duration_within(value: str, shortest: timedelta, longest: timedelta, why: str) -> str:
    """An ISO 8601 duration inside the range PIM allows; ``why`` is the message after the value."""
    if not shortest <= parse_duration(value) <= longest:
        raise ValueError(f"{echo(value)} {why}")
    return value

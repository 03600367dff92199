"""Steps of the guidance that no public API can set: accounted for as manual checks, never dropped.

Each check is text a person acts on (what to do, why, where the guidance says so), so the checks
are data in ``ztb/data/manual-checks.json``; this module makes them controls.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ztb.data import read_text
from ztb.model.controls import Control, Kind


@lru_cache(maxsize=None)
def checks() -> tuple[dict[str, Any], ...]:
    """The manual checks as written in the data file (id, step, principle, title, rationale, source, instructions)."""
    text = read_text("manual-checks.json")
    return tuple(json.loads(text)["checks"])


def build() -> list[Control]:
    return [
        Control(
            id=m["id"], kind=Kind.MANUAL_CHECK, title=m["title"], display_name=m["title"], step=m["step"],
            principle=m["principle"], level="specialized", rationale=m["rationale"], source=m["source"],
            desired={}, instructions=m["instructions"], managed=False,
        )
        for m in checks()
    ]

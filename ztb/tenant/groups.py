"""Which tenant group each baseline group control is: the one place a group key meets an object ID.

A group the stack creates is found by its deterministic display name (case-insensitive, as
Entra compares names); a group the config names by ID (the break-glass group, the audited CA
exclusion group, ...) by that ID. Export reads the members and owners of exactly the groups
matched here, drift compares exactly those and resolves every ``${group:...}`` reference with
:func:`group_ids`, and the ideal snapshot is resolved the same way, so the three cannot disagree
on which group the stack means.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from ztb.model.baseline import Baseline
from ztb.model.controls import Control

Group = dict[str, Any]


def by_display_name(objs: Iterable[Group]) -> dict[str, list[Group]]:
    """Objects by case-folded display name; a name can be taken twice in a tenant."""
    out: dict[str, list[Group]] = defaultdict(list)
    for o in objs:
        out[str(o.get("displayName") or "").casefold()].append(o)
    return out


def match_groups(b: Baseline, groups: Iterable[Group]) -> list[tuple[Control, list[Group]]]:
    """Each group control with the tenant groups it matches (none, one, or for a name, several)."""
    groups = list(groups)
    ids = {str(x["id"]).lower(): x for x in groups}
    names = by_display_name(groups)
    out = []
    for c in b.of_kind("group"):
        if c.managed:
            out.append((c, names.get(c.desired["displayName"].casefold(), [])))
        else:
            oid = c.meta.object_id.lower()
            out.append((c, [ids[oid]] if oid in ids else []))
    return out


def group_ids(matches: list[tuple[Control, list[Group]]]) -> dict[str, str]:
    """Group key -> object ID: the configured ID of an existing group (found or not), the ID of
    the one group a created group's name matches; no entry for a created group found zero or
    several times (a reference to it cannot be resolved)."""
    out: dict[str, str] = {}
    for c, found in matches:
        if not c.managed:
            out[c.meta.group_key] = c.meta.object_id
        elif len(found) == 1:
            out[c.meta.group_key] = found[0]["id"]
    return out

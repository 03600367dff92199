"""What every kind's rules share: the verdict types, and verdicts by rank, switch, duration and list.

A kind's module (``ca``, ``pim``...) is a table of :class:`Rule` rows, a Graph path pattern and
the verdict function for it, so that a newcomer finds the rule for a field by reading one row, not
by tracing a ladder of branches. The verdict functions below are the few ways a field can move: up
or down a ranking, a switch turned on or off, a duration longer or shorter, items added to or
removed from a list (whose meaning depends on whether the list includes or excludes).
"""

from __future__ import annotations

import math
import re
import reprlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Optional, Sequence

from ztb.compare.values import item_key
from ztb.compare.normalize import duration_seconds


class Impact(str, Enum):
    """A change's direction relative to the baseline. A ``str`` so JSON, tables and comparisons
    with the literal words (``"weakens"``) read exactly as before."""

    WEAKENS = "weakens"
    STRENGTHENS = "strengthens"
    NEUTRAL = "neutral"

    __str__ = str.__str__
    __format__ = str.__format__


WEAKENS, STRENGTHENS, NEUTRAL = Impact.WEAKENS, Impact.STRENGTHENS, Impact.NEUTRAL
_ORDER = {WEAKENS: 2, NEUTRAL: 1, STRENGTHENS: 0}

#: Items and reasons named in one verdict before the rest are counted: a reason is read by a person.
MAX_NAMED = 12

_brief = reprlib.Repr()
_brief.maxstring, _brief.maxother, _brief.maxlevel, _brief.maxlist, _brief.maxdict = 80, 80, 3, 6, 6


@dataclass(frozen=True)
class Verdict:
    impact: Impact
    reason: str


@dataclass(frozen=True)
class Context:
    """What a verdict needs beyond the values: the break-glass objects a removal would expose."""

    emergency_ids: frozenset[str] = field(default_factory=frozenset)
    #: The break-glass objects are not all known (review of a preview without them): any removed
    #: exclusion might be theirs, so it weakens.
    emergency_unknown: bool = False
    #: The object is an exclusion group (the emergency-access group): members added leave more
    #: accounts outside every privileged policy, the opposite of an included group.
    exclusion_group: bool = False

    @classmethod
    def of(cls, ids: Iterable[str]) -> "Context":
        return cls(frozenset(i.lower() for i in ids if isinstance(i, str) and i))


@dataclass(frozen=True)
class Field:
    """One changed field as a rule sees it: its path, its last name (``[...]`` dropped), both values."""

    path: str
    last: str
    old: Any
    new: Any
    ctx: Context


Judge = Callable[[Field], Optional[Verdict]]


@dataclass(frozen=True)
class Rule:
    """A row of a kind's table: the fields it judges (a path pattern and, optionally, a pattern for
    the last name, both matched from the start) and the verdict function. A judge returning None
    leaves the field to be judged by its parts (a block) or as unclassified (a value)."""

    path: re.Pattern[str]
    last: Optional[re.Pattern[str]]
    judge: Judge

    def matches(self, f: Field) -> bool:
        return bool(self.path.match(f.path)) and (self.last is None or bool(self.last.match(f.last)))


def rule(path: str, judge: Judge, last: Optional[str] = None) -> Rule:
    return Rule(re.compile(path), re.compile(last) if last is not None else None, judge)


def first(rules: Sequence[Rule], f: Field) -> Optional[Verdict]:
    """The verdict of the first row that matches (its judge may say None: judged by its parts)."""
    for r in rules:
        if r.matches(f):
            return r.judge(f)
    return None


def worst(impacts: Iterable[str]) -> Impact:
    impacts = list(impacts)
    return Impact(max(impacts, key=_ORDER.__getitem__)) if impacts else NEUTRAL


def low(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def text(v: Any) -> str:
    """A value in a reason: short, and safe for any nesting (reprlib stops at a few levels)."""
    return v if isinstance(v, str) and len(v) <= 80 else _brief.repr(v)


def _as_set(v: Any) -> dict[str, Any]:
    items = v if isinstance(v, list) else ([] if v in (None, "") else [v])
    return {item_key(i): i for i in items}


def _label(i: Any) -> str:
    if isinstance(i, dict):
        target = i.get("target") if isinstance(i.get("target"), dict) else i
        ident = target.get("groupId") or target.get("userId") or target.get("id")
        kind = str(target.get("@odata.type", "")).rsplit(".", 1)[-1]
        return f"{kind} {text(ident)}" if kind else text(ident)
    return text(i)


def set_delta(old: Any, new: Any) -> tuple[list[Any], list[Any]]:
    o, n = _as_set(old), _as_set(new)
    return [n[k] for k in n if k not in o], [o[k] for k in o if k not in n]


def fmt(added: list, removed: list) -> str:
    parts = [f"+ {_label(a)}" for a in added] + [f"- {_label(r)}" for r in removed]
    more = len(parts) - MAX_NAMED
    return ", ".join(parts[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")


def exposed(removed: list[Any], ctx: Context) -> list[Any]:
    """The removed items that are break-glass objects."""
    return [r for r in removed if item_key(r).split(":")[-1] in ctx.emergency_ids]


def is_list_of(v: Any, types: tuple[type, ...]) -> bool:
    """A list value as Graph sends it (or absent): a string where a list belongs is not one item."""
    return v is None or (isinstance(v, list) and all(isinstance(i, types) and not isinstance(i, bool) for i in v))


def list_verdict(name: str, old: Any, new: Any, include_like: bool, ctx: Context, items: tuple[type, ...] = (str,)) -> Verdict:
    if not (is_list_of(old, items) and is_list_of(new, items)):
        return Verdict(WEAKENS, f"{name}: {text(old)} → {text(new)} (not a list of the values this field holds: treated as weakening)")
    added, removed = set_delta(old, new)
    detail = fmt(added, removed)
    if include_like:
        if removed:
            return Verdict(WEAKENS, f"{name}: {detail} (fewer sign-ins covered)")
        if added:
            return Verdict(STRENGTHENS, f"{name}: {detail} (more covered)")
    else:
        if added:
            return Verdict(WEAKENS, f"{name}: {detail} (more left outside the policy)")
        if removed:
            if exposed(removed, ctx):
                return Verdict(WEAKENS, f"{name}: {detail}: the emergency-access exclusion is gone, a misconfiguration can now lock the tenant out")
            if ctx.emergency_unknown:
                return Verdict(WEAKENS, f"{name}: {detail}: the emergency-access object IDs are unknown here, so this may be the break-glass exclusion (treated as weakening)")
            return Verdict(STRENGTHENS, f"{name}: {detail} (fewer exceptions)")
    return Verdict(NEUTRAL, f"{name}: reordered")


#: Graph field names as a reviewer says them, where splitting the camelCase reads badly.
FIELD_WORDS = {
    "includeUsers": "included users", "excludeUsers": "excluded users",
    "includeGroups": "included groups", "excludeGroups": "excluded groups",
    "includeRoles": "included roles", "excludeRoles": "excluded roles",
    "includeApplications": "included applications", "excludeApplications": "excluded applications",
    "includeUserActions": "included user actions", "includePlatforms": "included platforms",
    "excludePlatforms": "excluded platforms", "includeLocations": "included locations",
    "excludeLocations": "excluded locations", "signInRiskLevels": "sign-in risk levels",
}


def field_words(path: str) -> str:
    """A Graph path's last field in words (``conditions.users.excludeGroups`` -> ``excluded groups``)."""
    last = path.rsplit(".", 1)[-1]
    last = re.sub(r"\[.*?\]", "", last)
    return FIELD_WORDS.get(last) or re.sub(r"(?<!^)(?=[A-Z])", " ", last).lower()


def rank_verdict(name: str, old: Any, new: Any, rank: dict[str, int], higher_is_stronger: bool = True, words: dict | None = None) -> Verdict:
    def position(v: Any) -> int:
        return rank.get(v.lower(), -1) if isinstance(v, str) else -1

    def show(v: Any) -> str:
        return (words or {}).get(low(v), text(v)) if isinstance(v, str) else text(v)

    o, n = position(old), position(new)
    said = f"{name}: {show(old)} → {show(new)}"
    # None is "not set" (a strength added to a policy that had none); anything else outside the
    # ranking is a value this baseline cannot place, on either side.
    unplaced = n == -1 or (o == -1 and old is not None)
    if unplaced and low(old) != low(new):
        return Verdict(WEAKENS, f"{said} (unrecognised value: treated as weakening)")
    if o == n:
        return Verdict(NEUTRAL, said)
    stronger = (n > o) if higher_is_stronger else (n < o)
    return Verdict(STRENGTHENS if stronger else WEAKENS, said)


def bool_verdict(name: str, old: Any, new: Any, true_is_stronger: bool = True) -> Verdict:
    said = f"{name}: {text(old)} → {text(new)}"
    if not all(v is None or isinstance(v, bool) for v in (old, new)):
        return Verdict(WEAKENS, f"{said} (not a true/false value: treated as weakening)")
    if bool(old) == bool(new):
        return Verdict(NEUTRAL, said)
    stronger = bool(new) if true_is_stronger else not bool(new)
    return Verdict(STRENGTHENS if stronger else WEAKENS, said)


def duration_verdict(name: str, old: Any, new: Any) -> Verdict:
    said = f"{name}: {text(old)} → {text(new)}"
    o = duration_seconds(old) if old not in (None, "") else None
    n = duration_seconds(new) if new not in (None, "") else None
    if n is None:
        return Verdict(WEAKENS, f"{said} (no limit or unreadable duration)")
    if o is None:
        # No limit before becomes a limit; an unreadable one is not a limit a reviewer can rely on.
        return Verdict(STRENGTHENS, said) if old in (None, "") else Verdict(WEAKENS, f"{said} (unreadable duration before)")
    if n == o:
        return Verdict(NEUTRAL, said)
    return Verdict(WEAKENS if n > o else STRENGTHENS, said)


def block_verdict(name: str, f: Field) -> Optional[Verdict]:
    """A whole block (a session control, the grant controls) added or removed; None when it only
    changed inside, so that its parts are judged."""
    if f.new and f.old:
        return None
    return Verdict(WEAKENS if not f.new else STRENGTHENS, f"{name} " + ("removed" if not f.new else "added"))


def number(v: Any) -> Optional[float]:
    """A JSON number that can be ranked (not true/false, NaN or infinity)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v if isinstance(v, int) or math.isfinite(v) else None


def unclassified(path: str, old: Any, new: Any) -> Verdict:
    return Verdict(WEAKENS, f"{field_words(path)}: {text(old)} → {text(new)} (not classified: treated as weakening until a reviewer confirms)")


def unreadable(path: str, old: Any, new: Any) -> Verdict:
    return Verdict(WEAKENS, f"{field_words(path) or 'value'}: {text(old)} → {text(new)} (a value of a shape this "
                   "baseline does not expect: treated as weakening until a reviewer confirms)")


def unreadable_field(f: Field) -> Verdict:
    return unreadable(f.path, f.old, f.new)

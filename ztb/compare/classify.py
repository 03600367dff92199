"""One notion of "weakens" for the whole project: drift and review both ask here.

Every change is judged by its direction relative to the baseline value (the desired state for
drift, the old state for review). Anything this module does not recognise is treated as
weakening until a reviewer says otherwise: a tool trusted with admin accounts must not call an
unknown change to a security setting harmless.

The two callers see the same loss in two shapes: drift compares normalised objects, where an
emptied block is simply absent (``None``), while review compares a preview's raw inputs, where
it is ``{}`` or ``[]``. A whole block that changed (``conditions.users`` lost, with the
break-glass exclusion inside it) is therefore judged by its parts, never by its outer shape, so
both callers get one answer. A value of a shape the rules do not expect (a string where Graph
has a number, an object where it has a list) weakens; no JSON value makes :func:`classify` raise.

Public API::

    classify(kind, path, baseline_value, new_value, ctx) -> Verdict
    classify_operation(op, kind) -> Verdict
    classify_unmanaged(policy, ctx) -> Verdict
    unverifiable(path, why) -> Verdict
    field_words(path) -> str
    worst(impacts) -> impact
"""

from __future__ import annotations

import math
import re
import reprlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from ztb.compare.normalize import duration_seconds

WEAKENS, STRENGTHENS, NEUTRAL = "weakens", "strengthens", "neutral"
_ORDER = {WEAKENS: 2, NEUTRAL: 1, STRENGTHENS: 0}

STATE_RANK = {"disabled": 0, "enabledforreportingbutnotenforced": 1, "enabled": 2}
STATE_WORDS = {"disabled": "disabled", "enabledforreportingbutnotenforced": "report-only", "enabled": "enabled"}
#: Built-in authentication strengths, strongest last (GRAPH authenticationstrengthroot-list-policies.md).
STRENGTH_RANK = {
    "00000000-0000-0000-0000-000000000002": 1,  # Multifactor authentication
    "00000000-0000-0000-0000-000000000003": 2,  # Passwordless MFA
    "00000000-0000-0000-0000-000000000004": 3,  # Phishing-resistant MFA
}
NOTIFICATION_RANK = {"none": 0, "critical": 1, "all": 2}
#: Defender for Endpoint risk a device may have and still be compliant: higher allows more risk.
THREAT_RANK = {"secured": 0, "low": 1, "medium": 2, "high": 3}
NEUTRAL_FIELDS = {"displayName", "description", "mailNickname", "justification"}
#: Conditional Access conditions that narrow a policy when present (absent = every location,
#: platform, device...). ``users`` and ``applications`` are not among them: they say whom and what
#: the policy covers, so losing one loses coverage and, with ``users``, the break-glass exclusion.
NARROWING_CONDITIONS = {"locations", "platforms", "devices", "clientApplications", "times", "authenticationFlows"}
#: How deep a changed block is opened up before its remaining shape counts as unreadable; Graph's
#: deepest path a baseline manages (a PIM approval stage's approvers) is six levels down.
MAX_DEPTH = 16
#: More changed fields in one block than any Graph object of the baseline has (a PIM policy has 17
#: rules, a compliance policy about 60 properties): the block is not one this baseline wrote.
MAX_PARTS = 200

_brief = reprlib.Repr()
_brief.maxstring, _brief.maxother, _brief.maxlevel, _brief.maxlist, _brief.maxdict = 80, 80, 3, 6, 6


@dataclass(frozen=True)
class Verdict:
    impact: str
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


def worst(impacts: Iterable[str]) -> str:
    impacts = list(impacts)
    return max(impacts, key=_ORDER.__getitem__) if impacts else NEUTRAL


def _low(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _text(v: Any) -> str:
    """A value in a reason: short, and safe for any nesting (reprlib stops at a few levels)."""
    return v if isinstance(v, str) and len(v) <= 80 else _brief.repr(v)


def _as_set(v: Any) -> dict[str, Any]:
    items = v if isinstance(v, list) else ([] if v in (None, "") else [v])
    return {_item_key(i): i for i in items}


def _item_key(i: Any) -> str:
    if isinstance(i, dict):
        target = i.get("target") if isinstance(i.get("target"), dict) else i
        kind = str(target.get("@odata.type", "")).lstrip("#").lower()
        ident = target.get("groupId") or target.get("userId") or target.get("id") or ""
        return f"{kind}:{_exact(ident).lower()}"
    return _exact(i).lower()


def _exact(v: Any) -> str:
    """An item's identity in full (two long IDs must never abbreviate to one)."""
    return v if isinstance(v, str) else repr(v)


def _label(i: Any) -> str:
    if isinstance(i, dict):
        target = i.get("target") if isinstance(i.get("target"), dict) else i
        ident = target.get("groupId") or target.get("userId") or target.get("id")
        kind = str(target.get("@odata.type", "")).rsplit(".", 1)[-1]
        return f"{kind} {_text(ident)}" if kind else _text(ident)
    return _text(i)


def set_delta(old: Any, new: Any) -> tuple[list[Any], list[Any]]:
    o, n = _as_set(old), _as_set(new)
    return [n[k] for k in n if k not in o], [o[k] for k in o if k not in n]


#: Items and reasons named in one verdict before the rest are counted: a reason is read by a person.
MAX_NAMED = 12


def _fmt(added: list, removed: list) -> str:
    parts = [f"+ {_label(a)}" for a in added] + [f"- {_label(r)}" for r in removed]
    more = len(parts) - MAX_NAMED
    return ", ".join(parts[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")


def _exposed(removed: list[Any], ctx: Context) -> list[Any]:
    """The removed items that are break-glass objects."""
    return [r for r in removed if _item_key(r).split(":")[-1] in ctx.emergency_ids]


def _is_list_of(v: Any, types: tuple[type, ...]) -> bool:
    """A list value as Graph sends it (or absent): a string where a list belongs is not one item."""
    return v is None or (isinstance(v, list) and all(isinstance(i, types) and not isinstance(i, bool) for i in v))


def _list_verdict(name: str, old: Any, new: Any, include_like: bool, ctx: Context, items: tuple[type, ...] = (str,)) -> Verdict:
    if not (_is_list_of(old, items) and _is_list_of(new, items)):
        return Verdict(WEAKENS, f"{name}: {_text(old)} → {_text(new)} (not a list of the values this field holds: treated as weakening)")
    added, removed = set_delta(old, new)
    detail = _fmt(added, removed)
    if include_like:
        if removed:
            return Verdict(WEAKENS, f"{name}: {detail} (fewer sign-ins covered)")
        if added:
            return Verdict(STRENGTHENS, f"{name}: {detail} (more covered)")
    else:
        if added:
            return Verdict(WEAKENS, f"{name}: {detail} (more left outside the policy)")
        if removed:
            if _exposed(removed, ctx):
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


def _rank_verdict(name: str, old: Any, new: Any, rank: dict[str, int], higher_is_stronger: bool = True, words: dict | None = None) -> Verdict:
    def position(v: Any) -> int:
        return rank.get(v.lower(), -1) if isinstance(v, str) else -1

    def show(v: Any) -> str:
        return (words or {}).get(_low(v), _text(v)) if isinstance(v, str) else _text(v)

    o, n = position(old), position(new)
    text = f"{name}: {show(old)} → {show(new)}"
    # None is "not set" (a strength added to a policy that had none); anything else outside the
    # ranking is a value this baseline cannot place, on either side.
    unplaced = n == -1 or (o == -1 and old is not None)
    if unplaced and _low(old) != _low(new):
        return Verdict(WEAKENS, f"{text} (unrecognised value: treated as weakening)")
    if o == n:
        return Verdict(NEUTRAL, text)
    stronger = (n > o) if higher_is_stronger else (n < o)
    return Verdict(STRENGTHENS if stronger else WEAKENS, text)


def _bool_verdict(name: str, old: Any, new: Any, true_is_stronger: bool = True) -> Verdict:
    text = f"{name}: {_text(old)} → {_text(new)}"
    if not all(v is None or isinstance(v, bool) for v in (old, new)):
        return Verdict(WEAKENS, f"{text} (not a true/false value: treated as weakening)")
    if bool(old) == bool(new):
        return Verdict(NEUTRAL, text)
    stronger = bool(new) if true_is_stronger else not bool(new)
    return Verdict(STRENGTHENS if stronger else WEAKENS, text)


def _duration_verdict(name: str, old: Any, new: Any) -> Verdict:
    text = f"{name}: {_text(old)} → {_text(new)}"
    o = duration_seconds(old) if old not in (None, "") else None
    n = duration_seconds(new) if new not in (None, "") else None
    if n is None:
        return Verdict(WEAKENS, f"{text} (no limit or unreadable duration)")
    if o is None:
        # No limit before becomes a limit; an unreadable one is not a limit a reviewer can rely on.
        return Verdict(STRENGTHENS, text) if old in (None, "") else Verdict(WEAKENS, f"{text} (unreadable duration before)")
    if n == o:
        return Verdict(NEUTRAL, text)
    return Verdict(WEAKENS if n > o else STRENGTHENS, text)


def _number(v: Any) -> Optional[float]:
    """A JSON number that can be ranked (not true/false, NaN or infinity)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v if isinstance(v, int) or math.isfinite(v) else None


def _version(v: Any) -> tuple[int, ...]:
    if not isinstance(v, str):
        return ()
    try:
        return tuple(int(x) for x in v.split("."))
    except ValueError:
        return ()


def _unclassified(path: str, old: Any, new: Any) -> Verdict:
    return Verdict(WEAKENS, f"{field_words(path)}: {_text(old)} → {_text(new)} (not classified: treated as weakening until a reviewer confirms)")


def _unreadable(path: str, old: Any, new: Any) -> Verdict:
    return Verdict(WEAKENS, f"{field_words(path) or 'value'}: {_text(old)} → {_text(new)} (a value of a shape this "
                   "baseline does not expect: treated as weakening until a reviewer confirms)")


Handler = Callable[[str, str, Any, Any, Context], Optional[Verdict]]


def classify(kind: str, path: str, old: Any, new: Any, ctx: Context | None = None) -> Verdict:
    """Judge one field change from ``old`` (baseline) to ``new``. Never raises: a value of a
    shape the rules do not expect is judged weakening."""
    try:
        return _classify(kind, path, old, new, ctx or Context(), 0)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, RecursionError):
        return _unreadable(path, old, new)


def _classify(kind: str, path: str, old: Any, new: Any, ctx: Context, depth: int) -> Verdict:
    last = re.sub(r"\[.*?\]$", "", path.rsplit(".", 1)[-1])
    if last in NEUTRAL_FIELDS:
        if all(v is None or isinstance(v, str) for v in (old, new)):
            return Verdict(NEUTRAL, f"{field_words(last)} renamed")
        return _unreadable(path, old, new)
    handler: Optional[Handler] = HANDLERS.get(kind)
    verdict = handler(path, last, old, new, ctx) if handler else None
    if verdict is not None:
        return verdict
    parts = _parts(path, old, new)
    if parts is None:
        return _unclassified(path, old, new)
    if depth >= MAX_DEPTH or len(parts) > MAX_PARTS:
        return _unreadable(path, old, new)
    return _combine(path, [_classify(kind, p, o, n, ctx, depth + 1) for p, o, n in parts])


def _parts(path: str, old: Any, new: Any) -> Optional[list[tuple[str, Any, Any]]]:
    """A changed block as its changed fields (``conditions.users`` -> ``conditions.users.excludeGroups``...),
    so that a block removed, emptied or added is judged by what was in it; None for a plain value."""
    def child(k: str) -> str:
        return f"{path}{k}" if k.startswith("[") else (f"{path}.{k}" if path else k)

    if all(isinstance(v, dict) or v is None for v in (old, new)) and (isinstance(old, dict) or isinstance(new, dict)):
        o, n = old or {}, new or {}
        return [(child(k), o.get(k), n.get(k)) for k in dict.fromkeys([*o, *n]) if o.get(k) != n.get(k)]
    lists = [v for v in (old, new) if v is not None]
    if not lists or not all(isinstance(v, list) and all(isinstance(i, dict) for i in v) for v in lists):
        return None
    o, n = old or [], new or []
    if all(isinstance(i.get("id"), str) and i.get("id") for i in o + n):  # keyed like PIM rules
        by_o, by_n = {i["id"]: i for i in o}, {i["id"]: i for i in n}
        return [(child(f"[{k}]"), by_o.get(k), by_n.get(k)) for k in dict.fromkeys([*by_o, *by_n]) if by_o.get(k) != by_n.get(k)]
    if len(o) == len(n) or not o or not n:  # one approval stage, or a list added or removed whole
        size = max(len(o), len(n))
        pad = lambda v, i: v[i] if i < len(v) else None  # noqa: E731
        return [(f"{path}[{i}]", pad(o, i), pad(n, i)) for i in range(size) if pad(o, i) != pad(n, i)]
    return None


def _combine(path: str, verdicts: list[Verdict]) -> Verdict:
    if not verdicts:
        return Verdict(NEUTRAL, f"{field_words(path) or 'value'}: nothing inside changed")
    impact = worst(v.impact for v in verdicts)
    reasons = list(dict.fromkeys(v.reason for v in verdicts if v.impact == impact))
    more = len(reasons) - MAX_NAMED
    return Verdict(impact, "; ".join(reasons[:MAX_NAMED]) + (f"; and {more} more" if more > 0 else ""))


# -- Conditional Access ---------------------------------------------------------------------------

def _ca(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    if path == "state":
        return _rank_verdict("state", old, new, STATE_RANK, words=STATE_WORDS)
    if path.startswith("grantControls"):
        return _ca_grant(path, old, new)
    if path.startswith("sessionControls"):
        return _ca_session(path, last, old, new)
    if path.startswith("conditions."):
        return _ca_condition(path, last, old, new, ctx)
    return None


def _ca_grant(path: str, old: Any, new: Any) -> Verdict | None:
    if path == "grantControls.builtInControls":
        if not (_is_list_of(old, (str,)) and _is_list_of(new, (str,))):
            return _unreadable(path, old, new)
        added, removed = set_delta(old, new)
        words = ", ".join([f"{_text(r)} removed" for r in removed] + [f"{_text(a)} added" for a in added])
        if removed:
            return Verdict(WEAKENS, f"grant controls: {words}")
        return Verdict(STRENGTHENS if added else NEUTRAL, f"grant controls: {words or 'reordered'}")
    if path == "grantControls.operator":
        if _low(old) == _low(new):
            return Verdict(NEUTRAL, "grant operator unchanged")
        if not all(_low(v) in ("and", "or", None) for v in (old, new)):
            return _unreadable(path, old, new)
        return Verdict(WEAKENS if _low(new) == "or" else STRENGTHENS, f"grant controls: require {'all' if _low(old) == 'and' else 'one'} → require {'all' if _low(new) == 'and' else 'one'}")
    if path in ("grantControls.authenticationStrength", "grantControls.authenticationStrength.id"):
        o = old.get("id") if isinstance(old, dict) else old
        n = new.get("id") if isinstance(new, dict) else new
        if not n:
            return Verdict(WEAKENS, f"authentication strength {_text(o)} removed")
        return _rank_verdict("authentication strength", o, n, STRENGTH_RANK)
    if path == "grantControls":
        if not new:
            return Verdict(WEAKENS, "grant controls removed")
        if not old:
            return Verdict(STRENGTHENS, "grant controls added")
    return None


def _ca_session(path: str, last: str, old: Any, new: Any) -> Verdict | None:
    if path.startswith("sessionControls.signInFrequency"):
        if last == "value":
            o, n = _number(old), _number(new)
            text = f"sign-in frequency: {_text(old)} → {_text(new)}"
            if (old is not None and o is None) or (new is not None and n is None):
                return _unreadable(path, old, new)
            if o is None or n is None:
                return Verdict(WEAKENS if n is None else STRENGTHENS, text)
            return Verdict(NEUTRAL if n == o else (WEAKENS if n > o else STRENGTHENS), text)
        if last == "type":
            return _rank_verdict("sign-in frequency unit", old, new, {"hours": 0, "days": 1}, higher_is_stronger=False)
        if last == "frequencyInterval":
            return _rank_verdict("sign-in frequency", old, new, {"timebased": 0, "everytime": 1})
        if last == "isEnabled":
            return _bool_verdict("sign-in frequency enabled", old, new)
        if path == "sessionControls.signInFrequency" and (not new or not old):
            return Verdict(WEAKENS if not new else STRENGTHENS, "sign-in frequency " + ("removed" if not new else "added"))
        return None
    if path.startswith("sessionControls.persistentBrowser"):
        if last == "mode":
            return _rank_verdict("persistent browser", old, new, {"always": 0, "never": 1})
        if last == "isEnabled":
            return _bool_verdict("persistent browser control enabled", old, new)
        if path == "sessionControls.persistentBrowser" and (not new or not old):
            return Verdict(WEAKENS if not new else STRENGTHENS, "persistent browser control " + ("removed" if not new else "added"))
        return None
    return None  # sessionControls as a whole: judged by its parts


def _ca_condition(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    words = field_words(path)
    if last.startswith("include") or last in ("clientAppTypes", "signInRiskLevels", "userRiskLevels", "servicePrincipalRiskLevels", "insiderRiskLevels"):
        return _list_verdict(words, old, new, True, ctx)
    if last.startswith("exclude"):
        return _list_verdict(words, old, new, False, ctx)
    if last in NARROWING_CONDITIONS and path.count(".") == 1 and all(isinstance(v, (dict, type(None))) for v in (old, new)):
        # A whole condition (locations, devices, platforms...) added narrows who the policy covers.
        if not old:
            return Verdict(WEAKENS, f"condition {words} added (the policy now applies to fewer sign-ins)")
        if not new:
            return Verdict(STRENGTHENS, f"condition {words} removed (the policy applies more widely)")
    return None


# -- PIM, compliance, groups, eligibility ---------------------------------------------------------

def _pim(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    m = re.match(r"^rules\[([^\]]+)\](.*)$", path)
    rule = m.group(1) if m else ""
    where = rule.replace("_", " ").lower()
    if m and m.group(2) == "":
        return Verdict(WEAKENS, f"rule {rule} missing") if not new else (Verdict(NEUTRAL, f"rule {rule} added") if not old else None)
    if last == "maximumDuration":
        name = "activation maximum" if rule == "Expiration_EndUser_Assignment" else f"{where} maximum"
        return _duration_verdict(name, old, new)
    if last == "isExpirationRequired":
        return _bool_verdict(f"{where}: expiration required", old, new)
    if last == "enabledRules":
        return _list_verdict(f"{where}: required on activation" if "EndUser" in rule else f"{where}: required", old, new, True, ctx)
    if last in ("isApprovalRequired", "isApprovalRequiredForExtension", "isRequestorJustificationRequired", "isApproverJustificationRequired"):
        return _bool_verdict(field_words(last), old, new)
    if last in ("primaryApprovers", "escalationApprovers"):
        if not (_is_list_of(old, (dict,)) and _is_list_of(new, (dict,))):
            return _unreadable(path, old, new)
        added, removed = set_delta(old, new)
        if removed:
            return Verdict(WEAKENS, f"approvers: {_fmt(added, removed)} (who may approve changed: needs an authority's review)")
        return Verdict(NEUTRAL, f"approvers: {_fmt(added, removed)}")
    if last == "approvalStageTimeOutInDays":
        return Verdict(NEUTRAL, f"approval timeout: {_text(old)} → {_text(new)} days")
    if last == "isEnabled" and "AuthenticationContext" in rule:
        return _bool_verdict("authentication context on activation", old, new)
    if last == "claimValue":
        return Verdict(WEAKENS if not new else NEUTRAL, f"authentication context: {_text(old)} → {_text(new)}")
    if last == "notificationRecipients":
        return _list_verdict(f"{where}: notification recipients", old, new, True, ctx)
    if last == "notificationLevel":
        return _rank_verdict(f"{where}: notification level", old, new, NOTIFICATION_RANK)
    if last == "isDefaultRecipientsEnabled":
        return _bool_verdict(f"{where}: default recipients", old, new)
    return None


def _compliance(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    if path == "assignments" or path.startswith("assignments"):
        if not (_is_list_of(old, (dict,)) and _is_list_of(new, (dict,))):
            return _unreadable(path, old, new)
        added, removed = set_delta(old, new)
        exclusions = [a for a in added if "exclusion" in _item_key(a)]
        if removed or exclusions:
            return Verdict(WEAKENS, f"assignments: {_fmt(added, removed)} (devices of privileged users no longer evaluated)")
        return Verdict(STRENGTHENS, f"assignments: {_fmt(added, removed)}")
    if last == "osMinimumVersion":
        o, n = _version(old), _version(new)
        if not n or (old is not None and not o):
            return Verdict(WEAKENS, f"minimum OS version: {_text(old)} → {_text(new)}")
        return Verdict(NEUTRAL if o == n else (WEAKENS if n < o else STRENGTHENS), f"minimum OS version: {_text(old)} → {_text(new)}")
    if last == "deviceThreatProtectionRequiredSecurityLevel":
        return _rank_verdict("Defender for Endpoint risk allowed", old, new, THREAT_RANK, higher_is_stronger=False)
    if isinstance(old, bool) or isinstance(new, bool):
        return _bool_verdict(field_words(last), old, new)
    return None


def _group(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    if last in ("members", "owners") and not (_is_list_of(old, (str, dict)) and _is_list_of(new, (str, dict))):
        return _unreadable(path, old, new)
    if last == "members" and ctx.exclusion_group:
        added, removed = set_delta(old, new)
        if added:
            return Verdict(WEAKENS, f"members: {_fmt(added, removed)}: more accounts are excluded from every privileged policy")
        if _exposed(removed, ctx):
            return Verdict(WEAKENS, f"members: {_fmt(added, removed)}: a break-glass account leaves the emergency-access group")
        if removed and ctx.emergency_unknown:
            return Verdict(WEAKENS, f"members: {_fmt(added, removed)}: the break-glass accounts are unknown here, so this may be one (treated as weakening)")
        return Verdict(STRENGTHENS, f"members: {_fmt(added, removed)} (fewer accounts excluded)")
    if last == "members":
        added, removed = set_delta(old, new)
        if removed:
            return Verdict(WEAKENS, f"members: {_fmt(added, removed)}")
        return Verdict(STRENGTHENS, f"members: {_fmt(added, removed)}")
    if last == "owners":
        # An owner of a role-assignable group manages its membership (Entra groups FAQ).
        added, removed = set_delta(old, new)
        if added:
            return Verdict(WEAKENS, f"owners: {_fmt(added, removed)}: who can change this group's members")
        return Verdict(STRENGTHENS if removed else NEUTRAL, f"owners: {_fmt(added, removed) or 'reordered'} (fewer who can change its members)")
    if last in ("isAssignableToRole", "securityEnabled"):
        return _bool_verdict(field_words(last), old, new)
    return None


def _eligibility(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    if last == "duration":
        return _duration_verdict("eligibility expires after", old, new)
    if last in ("principalId", "roleDefinitionId") and all(isinstance(v, str) for v in (old, new)):
        # Who holds the role, or which role: the same question as granting an eligibility, which a
        # reviewer answers from the names (review prints who gains and who loses the role).
        who = "principal" if last == "principalId" else "role"
        return Verdict(NEUTRAL, f"eligible {who} changed: {_text(old)} → {_text(new)}: review who becomes eligible")
    if last == "directoryScopeId" and all(isinstance(v, (str, type(None))) for v in (old, new)):
        o, n = old or "/", new or "/"
        if o == n:
            return Verdict(NEUTRAL, f"scope: {_text(o)}")
        if n == "/":
            return Verdict(WEAKENS, f"scope: {_text(o)} → / (the whole directory)")
        return Verdict(STRENGTHENS if o == "/" else NEUTRAL, f"scope: {_text(o)} → {_text(n)}")
    return None


HANDLERS: dict[str, Handler] = {
    "conditionalAccessPolicy": _ca,
    "roleManagementPolicy": _pim,
    "deviceCompliancePolicy": _compliance,
    "group": _group,
    "roleEligibility": _eligibility,
}


def unverifiable(path: str, why: str) -> Verdict:
    """A change whose value cannot be seen (a secret, or known only after apply): like anything
    unclassified, it weakens until a person who can see it confirms otherwise."""
    rule = re.match(r"^rules\[([^\]]+)\]\.", path)
    where = f"{rule.group(1).replace('_', ' ').lower()}: " if rule else ""
    return Verdict(WEAKENS, f"{where}{field_words(path)}: {why} (treated as weakening until a reviewer confirms)")


def classify_operation(op: str, kind: str | None) -> Verdict:
    """Whole-resource operations. Deleting or replacing a baseline control is the most serious."""
    what = {"conditionalAccessPolicy": "Conditional Access policy", "roleManagementPolicy": "PIM settings",
            "deviceCompliancePolicy": "device compliance policy", "group": "group", "roleEligibility": "eligible assignment"}.get(kind or "", "resource")
    if op in ("delete", "delete-replaced", "discard"):
        if kind == "roleEligibility":
            return Verdict(NEUTRAL, f"{what} removed (less standing privilege)")
        if kind == "roleManagementPolicy":
            # Graph cannot delete a PIM policy: the provider leaves the settings as they are, but
            # nothing converges them or guards them against changes any more.
            return Verdict(WEAKENS, f"{what} no longer managed: the role's settings stay as they are, unguarded")
        return Verdict(WEAKENS, f"{what} deleted: its protection is gone")
    if op in ("replace", "create-replacement"):
        if kind == "roleEligibility":
            # Removing one eligibility and granting another: the same as a delete and a create.
            return Verdict(NEUTRAL, f"{what} replaced: one eligibility removed, another granted: review who becomes eligible")
        return Verdict(WEAKENS, f"{what} replaced: deleted and created anew, with a new object ID everything that names it must follow")
    if op == "uncovered":
        return Verdict(WEAKENS, "privileged built-in role outside the baseline scope: its holders get no privileged "
                       "Conditional Access policies and no PIM settings from this baseline")
    if op in ("create", "import"):
        if kind == "roleEligibility":
            return Verdict(NEUTRAL, f"{what} granted: review who becomes eligible")
        return Verdict(STRENGTHENS, f"{what} added")
    return Verdict(NEUTRAL, op)


def classify_unmanaged(policy: Any, ctx: Context | None = None) -> Verdict:
    """A Conditional Access policy outside the baseline that reaches privileged users.

    Conditional Access requires every policy that applies, so an extra policy's grant controls
    only add requirements; what it can break is the emergency-access exclusion (a policy that
    does not exclude the break-glass accounts can lock the tenant out) and session controls,
    which can conflict with the baseline's sign-in frequency and persistent-browser settings.
    """
    ctx = ctx or Context()
    conditions = policy.get("conditions") if isinstance(policy, dict) else None
    users = conditions.get("users") if isinstance(conditions, dict) else None
    users = users if isinstance(users, dict) else {}
    listed = [v for k in ("excludeGroups", "excludeUsers") for v in (users.get(k) if isinstance(users.get(k), list) else [])]
    excluded = {i.lower() for i in listed if isinstance(i, str)}
    if not ctx.emergency_ids or not ctx.emergency_ids <= excluded:
        return Verdict(WEAKENS, "policy outside the baseline that does not exclude the emergency-access accounts: "
                       "a misconfiguration can lock the tenant out")
    if not isinstance(policy, dict) or policy.get("sessionControls"):
        return Verdict(WEAKENS, "policy outside the baseline with session controls that may conflict with the "
                       "baseline's (not classified: treated as weakening until a reviewer confirms)")
    return Verdict(NEUTRAL, "policy outside the baseline: its grant controls add requirements (every applicable "
                   "policy must be satisfied); adopt it into the baseline or remove it")

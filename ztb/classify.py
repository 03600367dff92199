"""One notion of "weakens" for the whole project: drift and review both ask here.

Every change is judged by its direction relative to the baseline value (the desired state for
drift, the old state for review). Anything this module does not recognise is treated as
weakening until a reviewer says otherwise: a tool trusted with admin accounts must not call an
unknown change to a security setting harmless.

Public API::

    classify(kind, path, baseline_value, new_value, ctx) -> Verdict
    classify_operation(op, kind) -> Verdict
    classify_unmanaged(policy, ctx) -> Verdict
    unverifiable(path, why) -> Verdict
    field_words(path) -> str
    worst(impacts) -> impact
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .normalize import duration_seconds

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
        return cls(frozenset(i.lower() for i in ids if i))


def worst(impacts: Iterable[str]) -> str:
    impacts = list(impacts)
    return max(impacts, key=_ORDER.__getitem__) if impacts else NEUTRAL


def _low(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _as_set(v: Any) -> dict[str, Any]:
    items = v if isinstance(v, list) else ([] if v in (None, "") else [v])
    out = {}
    for i in items:
        key = _item_key(i)
        out[key] = i
    return out


def _item_key(i: Any) -> str:
    if isinstance(i, dict):
        target = i.get("target") if isinstance(i.get("target"), dict) else i
        kind = str(target.get("@odata.type", "")).lstrip("#").lower()
        ident = target.get("groupId") or target.get("userId") or target.get("id") or ""
        return f"{kind}:{str(ident).lower()}"
    return str(i).lower()


def _label(i: Any) -> str:
    if isinstance(i, dict):
        target = i.get("target") if isinstance(i.get("target"), dict) else i
        ident = target.get("groupId") or target.get("userId") or target.get("id")
        kind = str(target.get("@odata.type", "")).rsplit(".", 1)[-1]
        return f"{kind} {ident}" if kind else str(ident)
    return str(i)


def set_delta(old: Any, new: Any) -> tuple[list[Any], list[Any]]:
    o, n = _as_set(old), _as_set(new)
    return [n[k] for k in n if k not in o], [o[k] for k in o if k not in n]


def _fmt(added: list, removed: list) -> str:
    parts = [f"+ {_label(a)}" for a in added] + [f"- {_label(r)}" for r in removed]
    return ", ".join(parts)


def _exposed(removed: list[Any], ctx: Context) -> list[Any]:
    """The removed items that are break-glass objects."""
    return [r for r in removed if _item_key(r).split(":")[-1] in ctx.emergency_ids or _low(r) in ctx.emergency_ids]


def _list_verdict(name: str, old: Any, new: Any, include_like: bool, ctx: Context) -> Verdict:
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
    o, n = rank.get(_low(old) or "", -1), rank.get(_low(new) or "", -1)
    show = lambda v: (words or {}).get(_low(v), v)  # noqa: E731
    text = f"{name}: {show(old)} → {show(new)}"
    if o == n:
        return Verdict(NEUTRAL, text)
    stronger = (n > o) if higher_is_stronger else (n < o)
    if n == -1:
        return Verdict(WEAKENS, f"{text} (unrecognised value: treated as weakening)")
    return Verdict(STRENGTHENS if stronger else WEAKENS, text)


def _bool_verdict(name: str, old: Any, new: Any, true_is_stronger: bool = True) -> Verdict:
    text = f"{name}: {old} → {new}"
    if bool(old) == bool(new):
        return Verdict(NEUTRAL, text)
    stronger = bool(new) if true_is_stronger else not bool(new)
    return Verdict(STRENGTHENS if stronger else WEAKENS, text)


def _duration_verdict(name: str, old: Any, new: Any) -> Verdict:
    o, n = duration_seconds(old) if old else None, duration_seconds(new) if new else None
    text = f"{name}: {old} → {new}"
    if o is None or n is None:
        return Verdict(WEAKENS, f"{text} (no limit or unreadable duration)") if n is None else Verdict(STRENGTHENS, text)
    if n == o:
        return Verdict(NEUTRAL, text)
    return Verdict(WEAKENS if n > o else STRENGTHENS, text)


def _version(v: Any) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in str(v).split("."))
    except ValueError:
        return ()


def _unclassified(path: str, old: Any, new: Any) -> Verdict:
    return Verdict(WEAKENS, f"{field_words(path)}: {old!r} → {new!r} (not classified: treated as weakening until a reviewer confirms)")


def classify(kind: str, path: str, old: Any, new: Any, ctx: Context | None = None) -> Verdict:
    """Judge one field change from ``old`` (baseline) to ``new``."""
    ctx = ctx or Context()
    last = re.sub(r"\[.*?\]$", "", path.rsplit(".", 1)[-1])
    if last in NEUTRAL_FIELDS:
        return Verdict(NEUTRAL, f"{field_words(last)} renamed")
    handler = {
        "conditionalAccessPolicy": _ca,
        "roleManagementPolicy": _pim,
        "deviceCompliancePolicy": _compliance,
        "group": _group,
        "roleEligibility": _eligibility,
    }.get(kind)
    verdict = handler(path, last, old, new, ctx) if handler else None
    return verdict or _unclassified(path, old, new)


def _ca(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    if path == "state":
        return _rank_verdict("state", old, new, STATE_RANK, words=STATE_WORDS)
    if path == "grantControls.builtInControls":
        added, removed = set_delta(old, new)
        words = ", ".join([f"{r} removed" for r in removed] + [f"{a} added" for a in added])
        if removed:
            return Verdict(WEAKENS, f"grant controls: {words}")
        return Verdict(STRENGTHENS if added else NEUTRAL, f"grant controls: {words or 'reordered'}")
    if path == "grantControls.operator":
        if _low(old) == _low(new):
            return Verdict(NEUTRAL, "grant operator unchanged")
        return Verdict(WEAKENS if _low(new) == "or" else STRENGTHENS, f"grant controls: require {'all' if _low(old) == 'and' else 'one'} → require {'all' if _low(new) == 'and' else 'one'}")
    if path in ("grantControls.authenticationStrength", "grantControls.authenticationStrength.id"):
        o = old.get("id") if isinstance(old, dict) else old
        n = new.get("id") if isinstance(new, dict) else new
        if not n:
            return Verdict(WEAKENS, f"authentication strength {o} removed")
        return _rank_verdict("authentication strength", o, n, STRENGTH_RANK)
    if path == "grantControls":
        if not new:
            return Verdict(WEAKENS, "grant controls removed")
        if not old:
            return Verdict(STRENGTHENS, "grant controls added")
        return None
    if path == "sessionControls":
        return Verdict(WEAKENS if not new else STRENGTHENS, "session controls " + ("removed" if not new else "added"))
    if path.startswith("sessionControls.signInFrequency"):
        if last == "value":
            if old is None or new is None:
                return Verdict(WEAKENS if new is None and old is not None else STRENGTHENS, f"sign-in frequency: {old} → {new}")
            return Verdict(NEUTRAL if new == old else (WEAKENS if new > old else STRENGTHENS), f"sign-in frequency: {old} → {new}")
        if last == "type":
            order = {"hours": 0, "days": 1}
            return _rank_verdict("sign-in frequency unit", old, new, order, higher_is_stronger=False)
        if last == "frequencyInterval":
            return _rank_verdict("sign-in frequency", old, new, {"timebased": 0, "everytime": 1})
        if last == "isEnabled":
            return _bool_verdict("sign-in frequency enabled", old, new)
        if path == "sessionControls.signInFrequency":
            return Verdict(WEAKENS if not new else STRENGTHENS, "sign-in frequency " + ("removed" if not new else "added"))
        return None
    if path.startswith("sessionControls.persistentBrowser"):
        if last == "mode":
            return _rank_verdict("persistent browser", old, new, {"always": 0, "never": 1})
        if last == "isEnabled":
            return _bool_verdict("persistent browser control enabled", old, new)
        if path == "sessionControls.persistentBrowser":
            return Verdict(WEAKENS if not new else STRENGTHENS, "persistent browser control " + ("removed" if not new else "added"))
        return None
    if path.startswith("conditions."):
        words = field_words(path)
        if last.startswith("include") or last in ("clientAppTypes", "signInRiskLevels", "userRiskLevels", "servicePrincipalRiskLevels", "insiderRiskLevels"):
            return _list_verdict(words, old, new, True, ctx)
        if last.startswith("exclude"):
            return _list_verdict(words, old, new, False, ctx)
        if isinstance(old, (dict, type(None))) and isinstance(new, (dict, type(None))) and path.count(".") == 1:
            # A whole condition (locations, devices, platforms...) added narrows who the policy covers.
            if old is None:
                return Verdict(WEAKENS, f"condition {words} added (the policy now applies to fewer sign-ins)")
            if new is None:
                return Verdict(STRENGTHENS, f"condition {words} removed (the policy applies more widely)")
    return None


def _pim(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    m = re.match(r"^rules\[([^\]]+)\](.*)$", path)
    rule = m.group(1) if m else ""
    where = rule.replace("_", " ").lower()
    if m and m.group(2) == "":
        return Verdict(WEAKENS, f"rule {rule} missing") if not new else Verdict(NEUTRAL, f"rule {rule} added")
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
        added, removed = set_delta(old, new)
        if removed:
            return Verdict(WEAKENS, f"approvers: {_fmt(added, removed)} (who may approve changed: needs an authority's review)")
        return Verdict(NEUTRAL, f"approvers: {_fmt(added, removed)}")
    if last == "approvalStageTimeOutInDays":
        return Verdict(NEUTRAL, f"approval timeout: {old} → {new} days")
    if last == "isEnabled" and "AuthenticationContext" in rule:
        return _bool_verdict("authentication context on activation", old, new)
    if last == "claimValue":
        return Verdict(WEAKENS if not new else NEUTRAL, f"authentication context: {old} → {new}")
    if last == "notificationRecipients":
        return _list_verdict(f"{where}: notification recipients", old, new, True, ctx)
    if last == "notificationLevel":
        return _rank_verdict(f"{where}: notification level", old, new, NOTIFICATION_RANK)
    if last == "isDefaultRecipientsEnabled":
        return _bool_verdict(f"{where}: default recipients", old, new)
    return None


def _compliance(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    if path == "assignments" or path.startswith("assignments"):
        added, removed = set_delta(old, new)
        exclusions = [a for a in added if "exclusion" in _item_key(a)]
        if removed or exclusions:
            return Verdict(WEAKENS, f"assignments: {_fmt(added, removed)} (devices of privileged users no longer evaluated)")
        return Verdict(STRENGTHENS, f"assignments: {_fmt(added, removed)}")
    if last == "osMinimumVersion":
        o, n = _version(old), _version(new)
        if not n:
            return Verdict(WEAKENS, f"minimum OS version: {old} → {new}")
        return Verdict(NEUTRAL if o == n else (WEAKENS if n < o else STRENGTHENS), f"minimum OS version: {old} → {new}")
    if last == "deviceThreatProtectionRequiredSecurityLevel":
        return _rank_verdict("Defender for Endpoint risk allowed", old, new, THREAT_RANK, higher_is_stronger=False)
    if isinstance(old, bool) or isinstance(new, bool):
        return _bool_verdict(field_words(last), old, new)
    return None


def _group(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
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
    if last in ("isAssignableToRole", "securityEnabled"):
        return _bool_verdict(field_words(last), old, new)
    return None


def _eligibility(path: str, last: str, old: Any, new: Any, ctx: Context) -> Verdict | None:
    if last == "duration":
        return _duration_verdict("eligibility expires after", old, new)
    return None


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
        return Verdict(WEAKENS, f"{what} replaced: deleted and recreated, unprotected in between and with a new object ID")
    if op == "uncovered":
        return Verdict(WEAKENS, "privileged built-in role outside the baseline scope: its holders get no privileged "
                       "Conditional Access policies and no PIM settings from this baseline")
    if op in ("create", "import"):
        if kind == "roleEligibility":
            return Verdict(NEUTRAL, f"{what} granted: review who becomes eligible")
        return Verdict(STRENGTHENS, f"{what} added")
    return Verdict(NEUTRAL, op)


def classify_unmanaged(policy: dict[str, Any], ctx: Context | None = None) -> Verdict:
    """A Conditional Access policy outside the baseline that reaches privileged users.

    Conditional Access requires every policy that applies, so an extra policy's grant controls
    only add requirements; what it can break is the emergency-access exclusion (a policy that
    does not exclude the break-glass accounts can lock the tenant out) and session controls,
    which can conflict with the baseline's sign-in frequency and persistent-browser settings.
    """
    ctx = ctx or Context()
    users = (policy.get("conditions") or {}).get("users") or {}
    excluded = {str(i).lower() for i in (users.get("excludeGroups") or []) + (users.get("excludeUsers") or [])}
    if not ctx.emergency_ids or not ctx.emergency_ids <= excluded:
        return Verdict(WEAKENS, "policy outside the baseline that does not exclude the emergency-access accounts: "
                       "a misconfiguration can lock the tenant out")
    if policy.get("sessionControls"):
        return Verdict(WEAKENS, "policy outside the baseline with session controls that may conflict with the "
                       "baseline's (not classified: treated as weakening until a reviewer confirms)")
    return Verdict(NEUTRAL, "policy outside the baseline: its grant controls add requirements (every applicable "
                   "policy must be satisfied); adopt it into the baseline or remove it")

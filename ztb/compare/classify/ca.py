"""Conditional Access: which way each field of a policy moves its protection.

A policy covers the sign-ins its ``include*`` conditions name, minus those its ``exclude*``
conditions name, and requires its grant and session controls. So an included item removed, an
excluded item added, a grant control dropped, a weaker authentication strength or a longer
sign-in frequency weakens; a condition block added (locations, platforms...) narrows the policy.
"""

from __future__ import annotations

from typing import Any, Optional

from ztb.catalogue import strengths
from ztb.compare.classify.common import (
    NEUTRAL, STRENGTHENS, WEAKENS, Field, Rule, Verdict, block_verdict, bool_verdict, field_words, is_list_of,
    list_verdict, low, number, rank_verdict, rule, set_delta, text, unreadable,
)

STATE_RANK = {"disabled": 0, "enabledforreportingbutnotenforced": 1, "enabled": 2}
STATE_WORDS = {"disabled": "disabled", "enabledforreportingbutnotenforced": "report-only", "enabled": "enabled"}
#: Conditional Access conditions that narrow a policy when present (absent = every location,
#: platform, device...). ``users`` and ``applications`` are not among them: they say whom and what
#: the policy covers, so losing one loses coverage and, with ``users``, the break-glass exclusion.
NARROWING_CONDITIONS = {"locations", "platforms", "devices", "clientApplications", "times", "authenticationFlows"}
#: Lists whose items each bring sign-ins under the policy, like an ``include*`` list.
INCLUDING_LISTS = ("clientAppTypes", "signInRiskLevels", "userRiskLevels", "servicePrincipalRiskLevels", "insiderRiskLevels")


#: ``riskRemediation`` does what ``mfa`` AND ``passwordChange`` do for password users and also
#: remediates passwordless ones (policy-risk-based-user), so replacing the pair with it strengthens.
RISK_REMEDIATION_REPLACES = {"mfa", "passwordchange"}


def _built_in_controls(f: Field) -> Verdict:
    if not (is_list_of(f.old, (str,)) and is_list_of(f.new, (str,))):
        return unreadable(f.path, f.old, f.new)
    added, removed = set_delta(f.old, f.new)
    words = ", ".join([f"{text(r)} removed" for r in removed] + [f"{text(a)} added" for a in added])
    if removed and {low(a) for a in added} == {"riskremediation"} and {low(r) for r in removed} <= RISK_REMEDIATION_REPLACES:
        return Verdict(STRENGTHENS, f"grant controls: {words} (risk remediation also covers passwordless users)")
    if removed:
        return Verdict(WEAKENS, f"grant controls: {words}")
    return Verdict(STRENGTHENS if added else NEUTRAL, f"grant controls: {words or 'reordered'}")


def _operator(f: Field) -> Verdict:
    old, new = low(f.old), low(f.new)
    if old == new:
        return Verdict(NEUTRAL, "grant operator unchanged")
    if not all(v in ("and", "or", None) for v in (old, new)):
        return unreadable(f.path, f.old, f.new)
    return Verdict(WEAKENS if new == "or" else STRENGTHENS,
                   f"grant controls: require {'all' if old == 'and' else 'one'} → require {'all' if new == 'and' else 'one'}")


def _strength(f: Field) -> Verdict:
    o = f.old.get("id") if isinstance(f.old, dict) else f.old
    n = f.new.get("id") if isinstance(f.new, dict) else f.new
    if not n:
        return Verdict(WEAKENS, f"authentication strength {text(o)} removed")
    return rank_verdict("authentication strength", o, n, strengths.ranks())


def _sign_in_frequency(f: Field) -> Verdict:
    o, n = number(f.old), number(f.new)
    said = f"sign-in frequency: {text(f.old)} → {text(f.new)}"
    if (f.old is not None and o is None) or (f.new is not None and n is None):
        return unreadable(f.path, f.old, f.new)
    if o is None or n is None:
        return Verdict(WEAKENS if n is None else STRENGTHENS, said)
    return Verdict(NEUTRAL if n == o else (WEAKENS if n > o else STRENGTHENS), said)


def _narrowing(f: Field) -> Optional[Verdict]:
    # A whole condition (locations, devices, platforms...) added narrows who the policy covers.
    if not all(isinstance(v, (dict, type(None))) for v in (f.old, f.new)):
        return None
    if not f.old:
        return Verdict(WEAKENS, f"condition {field_words(f.path)} added (the policy now applies to fewer sign-ins)")
    if not f.new:
        return Verdict(STRENGTHENS, f"condition {field_words(f.path)} removed (the policy applies more widely)")
    return None


def _flags(value: Any) -> Optional[set[str]]:
    """A Graph flags value (``"deviceCodeFlow,authenticationTransfer"``) as a set; None when unreadable."""
    if value is None:
        return set()
    if not isinstance(value, str):
        return None
    return {v.strip().lower() for v in value.split(",") if v.strip() and v.strip().lower() != "none"}


def _transfer_methods(f: Field) -> Verdict:
    """The flows a block-authentication-flows policy covers: a flow removed is a flow allowed again."""
    old, new = _flags(f.old), _flags(f.new)
    if old is None or new is None:
        return unreadable(f.path, f.old, f.new)
    if new < old or not (old <= new):
        return Verdict(WEAKENS, f"authentication flows: {', '.join(sorted(old - new)) or 'none'} no longer covered")
    return Verdict(STRENGTHENS if new != old else NEUTRAL, f"authentication flows: {', '.join(sorted(new - old)) or 'unchanged'} added")


def _none(_f: Field) -> None:
    """Judged by its parts."""
    return None


def _alike(name: str, f: Field, rank: dict[str, int], higher_is_stronger: bool = True) -> Verdict:
    return rank_verdict(name, f.old, f.new, rank, higher_is_stronger)


def _browser_block(f: Field) -> Optional[Verdict]:
    """A persistent-browser control added is judged by its mode: ``always`` keeps admin sessions
    in the browser across restarts, which is weaker than no control (the user is asked)."""
    if not f.old and isinstance(f.new, dict) and f.new.get("isEnabled", True) is not False:
        mode = str(f.new.get("mode", "")).lower()
        if mode != "never":
            return Verdict(WEAKENS, f"persistent browser control added with mode {f.new.get('mode')!r} (sessions persist)")
    return block_verdict("persistent browser control", f)


_FREQUENCY = r"sessionControls\.signInFrequency"
_BROWSER = r"sessionControls\.persistentBrowser"
_MCAS = r"sessionControls\.cloudAppSecurity"
MCAS_RANK = {"monitoronly": 0, "mcasconfigured": 1, "blockdownloads": 2}
_NARROWING = "(" + "|".join(sorted(NARROWING_CONDITIONS)) + ")$"

#: The first row that matches a changed field judges it.
RULES: tuple[Rule, ...] = (
    rule(r"state$", lambda f: rank_verdict("state", f.old, f.new, STATE_RANK, words=STATE_WORDS)),
    rule(r"grantControls\.builtInControls$", _built_in_controls),
    rule(r"grantControls\.operator$", _operator),
    rule(r"grantControls\.authenticationStrength(\.id)?$", _strength),
    rule(r"grantControls$", lambda f: block_verdict("grant controls", f)),
    rule(r"grantControls", _none),
    rule(_FREQUENCY, _sign_in_frequency, last=r"value$"),
    rule(_FREQUENCY, lambda f: _alike("sign-in frequency unit", f, {"hours": 0, "days": 1}, False), last=r"type$"),
    rule(_FREQUENCY, lambda f: _alike("sign-in frequency", f, {"timebased": 0, "everytime": 1}), last=r"frequencyInterval$"),
    rule(_FREQUENCY, lambda f: bool_verdict("sign-in frequency enabled", f.old, f.new), last=r"isEnabled$"),
    rule(_FREQUENCY + "$", lambda f: block_verdict("sign-in frequency", f)),
    rule(_BROWSER, lambda f: _alike("persistent browser", f, {"always": 0, "never": 1}), last=r"mode$"),
    rule(_BROWSER, lambda f: bool_verdict("persistent browser control enabled", f.old, f.new), last=r"isEnabled$"),
    rule(_BROWSER + "$", _browser_block),
    rule(_MCAS, lambda f: _alike("Defender for Cloud Apps session control", f, MCAS_RANK), last=r"cloudAppSecurityType$"),
    rule(_MCAS, lambda f: bool_verdict("Defender for Cloud Apps session control enabled", f.old, f.new), last=r"isEnabled$"),
    rule(_MCAS + "$", lambda f: block_verdict("Defender for Cloud Apps session control", f)),
    rule(r"conditions\.authenticationFlows\.transferMethods$", _transfer_methods),
    rule(r"sessionControls", _none),
    rule(r"conditions\.", lambda f: list_verdict(field_words(f.path), f.old, f.new, True, f.ctx),
         last="include|(" + "|".join(INCLUDING_LISTS) + ")$"),
    rule(r"conditions\.", lambda f: list_verdict(field_words(f.path), f.old, f.new, False, f.ctx), last="exclude"),
    rule(r"conditions\.[^.]*$", _narrowing, last=_NARROWING),
)


def unmanaged(policy: Any, emergency_ids: frozenset[str]) -> Verdict:
    """A Conditional Access policy outside the baseline that reaches privileged users.

    Conditional Access requires every policy that applies, so an extra policy's grant controls
    only add requirements; what it can break is the emergency-access exclusion (a policy that
    does not exclude the break-glass accounts can lock the tenant out) and session controls,
    which can conflict with the baseline's sign-in frequency and persistent-browser settings.
    """
    conditions = policy.get("conditions") if isinstance(policy, dict) else None
    users = conditions.get("users") if isinstance(conditions, dict) else None
    users = users if isinstance(users, dict) else {}
    listed = [v for k in ("excludeGroups", "excludeUsers") for v in (users.get(k) if isinstance(users.get(k), list) else [])]
    excluded = {i.lower() for i in listed if isinstance(i, str)}
    if not emergency_ids or not emergency_ids <= excluded:
        return Verdict(WEAKENS, "policy outside the baseline that does not exclude the emergency-access accounts: "
                       "a misconfiguration can lock the tenant out")
    if not isinstance(policy, dict) or policy.get("sessionControls"):
        return Verdict(WEAKENS, "policy outside the baseline with session controls that may conflict with the "
                       "baseline's (not classified: treated as weakening until a reviewer confirms)")
    return Verdict(NEUTRAL, "policy outside the baseline: its grant controls add requirements (every applicable "
                   "policy must be satisfied); adopt it into the baseline or remove it")

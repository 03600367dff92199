"""PIM role settings: a role's rules (``rules[<rule id>].<field>``) judged field by field.

Stronger is shorter (activation and eligibility durations), required (expiration, MFA,
justification, approval), approved by the same people, and alerted to someone.
"""

from __future__ import annotations

import re
from typing import Optional

from ztb.compare.classify.common import (
    NEUTRAL, WEAKENS, Field, Rule, Verdict, bool_verdict, duration_verdict, field_words, fmt, is_list_of,
    list_verdict, rank_verdict, rule, set_delta, text, unreadable,
)

NOTIFICATION_RANK = {"none": 0, "critical": 1, "all": 2}
_RULE = re.compile(r"^rules\[([^\]]+)\](.*)$")


def rule_id(path: str) -> str:
    """The PIM rule a path is in (``rules[Expiration_EndUser_Assignment].x`` -> its id), or ""."""
    m = _RULE.match(path)
    return m.group(1) if m else ""


def _where(f: Field) -> str:
    return rule_id(f.path).replace("_", " ").lower()


def _whole_rule(f: Field) -> Optional[Verdict]:
    rule_name = rule_id(f.path)
    if not f.new:
        return Verdict(WEAKENS, f"rule {rule_name} missing")
    return Verdict(NEUTRAL, f"rule {rule_name} added") if not f.old else None


def _maximum(f: Field) -> Verdict:
    rule_name = rule_id(f.path)
    name = "activation maximum" if rule_name == "Expiration_EndUser_Assignment" else f"{_where(f)} maximum"
    return duration_verdict(name, f.old, f.new)


def _enabled_rules(f: Field) -> Verdict:
    name = f"{_where(f)}: required on activation" if "EndUser" in rule_id(f.path) else f"{_where(f)}: required"
    return list_verdict(name, f.old, f.new, True, f.ctx)


def _approvers(f: Field) -> Verdict:
    if not (is_list_of(f.old, (dict,)) and is_list_of(f.new, (dict,))):
        return unreadable(f.path, f.old, f.new)
    added, removed = set_delta(f.old, f.new)
    if removed:
        return Verdict(WEAKENS, f"approvers: {fmt(added, removed)} (who may approve changed: needs an authority's review)")
    return Verdict(NEUTRAL, f"approvers: {fmt(added, removed)}")


#: The first row that matches a changed field judges it.
RULES: tuple[Rule, ...] = (
    rule(r"rules\[[^\]]+\]$", _whole_rule),
    rule(r"", _maximum, last=r"maximumDuration$"),
    rule(r"", lambda f: bool_verdict(f"{_where(f)}: expiration required", f.old, f.new), last=r"isExpirationRequired$"),
    rule(r"", _enabled_rules, last=r"enabledRules$"),
    rule(r"", lambda f: bool_verdict(field_words(f.last), f.old, f.new),
         last=r"(isApprovalRequired|isApprovalRequiredForExtension|isRequestorJustificationRequired|isApproverJustificationRequired)$"),
    rule(r"", _approvers, last=r"(primaryApprovers|escalationApprovers)$"),
    rule(r"", lambda f: Verdict(NEUTRAL, f"approval timeout: {text(f.old)} → {text(f.new)} days"), last=r"approvalStageTimeOutInDays$"),
    rule(r"rules\[[^\]]*AuthenticationContext", lambda f: bool_verdict("authentication context on activation", f.old, f.new),
         last=r"isEnabled$"),
    rule(r"", lambda f: Verdict(WEAKENS if not f.new else NEUTRAL, f"authentication context: {text(f.old)} → {text(f.new)}"),
         last=r"claimValue$"),
    rule(r"", lambda f: list_verdict(f"{_where(f)}: notification recipients", f.old, f.new, True, f.ctx),
         last=r"notificationRecipients$"),
    rule(r"", lambda f: rank_verdict(f"{_where(f)}: notification level", f.old, f.new, NOTIFICATION_RANK),
         last=r"notificationLevel$"),
    rule(r"", lambda f: bool_verdict(f"{_where(f)}: default recipients", f.old, f.new), last=r"isDefaultRecipientsEnabled$"),
)

"""One notion of "weakens" for the whole project: drift and review both ask here.

Every change is judged by its direction relative to the baseline value (the desired state for
drift, the old state for review). Anything this package does not recognise is treated as
weakening until a reviewer says otherwise: a tool trusted with admin accounts must not call an
unknown change to a security setting harmless.

The two callers see the same loss in two shapes: drift compares normalised objects, where an
emptied block is simply absent (``None``), while review compares a preview's raw inputs, where
it is ``{}`` or ``[]``. A whole block that changed (``conditions.users`` lost, with the
break-glass exclusion inside it) is therefore judged by its parts, never by its outer shape, so
both callers get one answer. A value of a shape the rules do not expect (a string where Graph
has a number, an object where it has a list) weakens; no JSON value makes :func:`classify` raise.

Each kind's rules are a table in its own module (``ca``, ``pim``, ``compliance``, ``group``,
``eligibility``): a path pattern and its verdict function per row, the first match judging.

Public API::

    classify(kind, path, baseline_value, new_value, ctx) -> Verdict
    classify_operation(op, kind) -> Verdict
    classify_unmanaged(policy, ctx) -> Verdict
    unverifiable(path, why) -> Verdict
    field_words(path) -> str
    worst(impacts) -> Impact
"""

from __future__ import annotations

import re
from typing import Any, Optional, Sequence

from ztb.compare.classify import access_review, ca, compliance, eligibility, group, pim
from ztb.compare.classify.common import (
    MAX_NAMED, NEUTRAL, STRENGTHENS, WEAKENS, Context, Field, Impact, Rule, Verdict, bool_verdict, field_words, first, rule,
    unclassified, unreadable, worst,
)

__all__ = [
    "NEUTRAL", "STRENGTHENS", "WEAKENS", "Context", "Impact", "Verdict", "classify", "classify_operation",
    "classify_unmanaged", "field_words", "unverifiable", "worst",
]

#: Prose a person reads; renaming it changes no protection.
NEUTRAL_FIELDS = {"displayName", "description", "mailNickname", "justification"}
#: How deep a changed block is opened up before its remaining shape counts as unreadable; Graph's
#: deepest path a baseline manages (a PIM approval stage's approvers) is six levels down.
MAX_DEPTH = 16
#: More changed fields in one block than any Graph object of the baseline has (a PIM policy has 17
#: rules, a compliance policy about 60 properties): the block is not one this baseline wrote.
MAX_PARTS = 200

#: Kind -> its table of rules.
RULES: dict[str, Sequence[Rule]] = {
    "conditionalAccessPolicy": ca.RULES,
    "roleManagementPolicy": pim.RULES,
    "deviceCompliancePolicy": compliance.RULES,
    "managedAppProtection": compliance.RULES,
    "deviceManagementSettings": compliance.RULES,
    "group": group.RULES,
    "roleEligibility": eligibility.RULES,
    "groupRoleManagementPolicy": pim.RULES,
    "accessReviewScheduleDefinition": access_review.RULES,
    "authenticationContextClassReference": (),
    "roleManagementAlertConfiguration": (rule(r"^isEnabled$", lambda f: bool_verdict("alert enabled", f.old, f.new)),),
}
#: Kind -> what a reviewer calls one such object.
KIND_WORDS = {"conditionalAccessPolicy": "Conditional Access policy", "roleManagementPolicy": "PIM settings",
              "deviceCompliancePolicy": "device compliance policy", "group": "group", "roleEligibility": "eligible assignment",
              "managedAppProtection": "app protection policy", "deviceManagementSettings": "Intune compliance setting",
              "groupRoleManagementPolicy": "PIM for Groups settings", "accessReviewScheduleDefinition": "access review",
              "authenticationContextClassReference": "authentication context", "roleManagementAlertConfiguration": "PIM alert"}


def classify(kind: str, path: str, old: Any, new: Any, ctx: Context | None = None) -> Verdict:
    """Judge one field change from ``old`` (baseline) to ``new``. Never raises: a value of a
    shape the rules do not expect is judged weakening."""
    try:
        return _classify(kind, path, old, new, ctx or Context(), 0)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, RecursionError):
        return unreadable(path, old, new)


def _classify(kind: str, path: str, old: Any, new: Any, ctx: Context, depth: int) -> Verdict:
    last = re.sub(r"\[.*?\]$", "", path.rsplit(".", 1)[-1])
    if last in NEUTRAL_FIELDS:
        if all(v is None or isinstance(v, str) for v in (old, new)):
            return Verdict(NEUTRAL, f"{field_words(last)} renamed")
        return unreadable(path, old, new)
    verdict = first(RULES.get(kind, ()), Field(path, last, old, new, ctx))
    if verdict is not None:
        return verdict
    parts = _parts(path, old, new)
    if parts is None:
        return unclassified(path, old, new)
    if depth >= MAX_DEPTH or len(parts) > MAX_PARTS:
        return unreadable(path, old, new)
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


def unverifiable(path: str, why: str) -> Verdict:
    """A change whose value cannot be seen (a secret, or known only after apply): like anything
    unclassified, it weakens until a person who can see it confirms otherwise."""
    rule_id = pim.rule_id(path) if re.match(r"^rules\[[^\]]+\]\.", path) else ""
    where = f"{rule_id.replace('_', ' ').lower()}: " if rule_id else ""
    return Verdict(WEAKENS, f"{where}{field_words(path)}: {why} (treated as weakening until a reviewer confirms)")


#: Pulumi's and review's names for an object going away, and for one replaced by a new one.
_DELETE = ("delete", "delete-replaced", "discard")
_REPLACE = ("replace", "create-replacement")


def classify_operation(op: str, kind: str | None) -> Verdict:
    """Whole-resource operations. Deleting or replacing a baseline control is the most serious."""
    what = KIND_WORDS.get(kind or "", "resource")
    if op in _DELETE:
        if kind == "roleEligibility":
            return Verdict(NEUTRAL, f"{what} removed (less standing privilege)")
        if kind in ("roleManagementPolicy", "groupRoleManagementPolicy"):
            # Graph cannot delete a PIM policy: the provider leaves the settings as they are, but
            # nothing converges them or guards them against changes any more.
            return Verdict(WEAKENS, f"{what} no longer managed: the role's settings stay as they are, unguarded")
        return Verdict(WEAKENS, f"{what} deleted: its protection is gone")
    if op in _REPLACE:
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
    """A Conditional Access policy outside the baseline that reaches privileged users (see :func:`ca.unmanaged`)."""
    return ca.unmanaged(policy, (ctx or Context()).emergency_ids)


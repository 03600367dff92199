"""PIM eligible assignments: how long, and over how much of the directory.

Who holds the role, and which role, is the same question as granting an eligibility: a reviewer
answers it from the names (review prints who gains and who loses the role), so it is neutral here.
"""

from __future__ import annotations

from typing import Optional

from ztb.compare.classify.common import NEUTRAL, STRENGTHENS, WEAKENS, Field, Rule, Verdict, duration_verdict, rule, text


def _holder(f: Field) -> Optional[Verdict]:
    if not all(isinstance(v, str) for v in (f.old, f.new)):
        return None
    who = "principal" if f.last == "principalId" else "role"
    return Verdict(NEUTRAL, f"eligible {who} changed: {text(f.old)} → {text(f.new)}: review who becomes eligible")


def _scope(f: Field) -> Optional[Verdict]:
    if not all(isinstance(v, (str, type(None))) for v in (f.old, f.new)):
        return None
    o, n = f.old or "/", f.new or "/"
    if o == n:
        return Verdict(NEUTRAL, f"scope: {text(o)}")
    if n == "/":
        return Verdict(WEAKENS, f"scope: {text(o)} → / (the whole directory)")
    return Verdict(STRENGTHENS if o == "/" else NEUTRAL, f"scope: {text(o)} → {text(n)}")


#: The first row that matches a changed field judges it.
RULES: tuple[Rule, ...] = (
    rule(r"", lambda f: duration_verdict("eligibility expires after", f.old, f.new), last=r"duration$"),
    rule(r"", _holder, last=r"(principalId|roleDefinitionId)$"),
    rule(r"", _scope, last=r"directoryScopeId$"),
)

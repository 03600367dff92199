"""Access reviews: a review that runs less often, decides nothing on silence, or asks the wrong people is weaker.

Stronger is: recurring more often, removing access when reviewers do not answer (Deny, applied
automatically), reminding and mailing reviewers, requiring a justification. Who reviews and what is
reviewed are judged by an authority, so any change to them weakens until one has looked.
"""

from __future__ import annotations

from ztb.compare.classify.common import NEUTRAL, STRENGTHENS, WEAKENS, Field, Rule, Verdict, bool_verdict, number, rank_verdict, rule, text

#: What silence decides: removing access is strongest, approving everyone weakest.
DEFAULT_DECISION_RANK = {"approve": 0, "none": 1, "recommendation": 2, "deny": 3}
#: Stopped or finished series run no more reviews.
NOT_RUNNING = {"stopped", "completed"}


def _interval(f: Field) -> Verdict:
    o, n = number(f.old), number(f.new)
    said = f"review every {text(f.old)} → {text(f.new)} month(s)"
    if o is None or n is None:
        return Verdict(WEAKENS, f"{said} (not a number: treated as weakening)")
    if n == o:
        return Verdict(NEUTRAL, said)
    return Verdict(STRENGTHENS if n < o else WEAKENS, said)


def _who_or_what(f: Field) -> Verdict:
    what = "reviewers" if f.path.startswith("reviewers") else "what is reviewed"
    return Verdict(WEAKENS, f"{what} changed: {text(f.old)} → {text(f.new)} (needs an authority's review)")


def _apply_actions(f: Field) -> Verdict:
    if f.new in (None, []):
        return Verdict(WEAKENS, "decisions no longer remove access when applied")
    return Verdict(NEUTRAL if f.old else STRENGTHENS, f"apply actions: {text(f.old)} → {text(f.new)}")


def _days_open(f: Field) -> Verdict:
    """Longer open means an unanswered review removes access later (weakens); shorter only gives
    reviewers less time, which the default decision covers (neutral)."""
    o, n = number(f.old), number(f.new)
    said = f"review open {text(f.old)} → {text(f.new)} days"
    if o is None or n is None:
        return Verdict(WEAKENS, f"{said} (unreadable)")
    return Verdict(WEAKENS if n > o else NEUTRAL, said + (" (access held longer before an unanswered review removes it)" if n > o else ""))


#: The first row that matches a changed field judges it.
RULES: tuple[Rule, ...] = (
    rule(r"^(reviewers|fallbackReviewers|scope)", _who_or_what),
    rule(r"", lambda f: bool_verdict("decisions applied automatically", f.old, f.new), last=r"autoApplyDecisionsEnabled$"),
    rule(r"", lambda f: bool_verdict("a decision when reviewers do not respond", f.old, f.new), last=r"defaultDecisionEnabled$"),
    rule(r"", lambda f: rank_verdict("when reviewers do not respond", f.old, f.new, DEFAULT_DECISION_RANK), last=r"defaultDecision$"),
    rule(r"", lambda f: bool_verdict("reviewer emails", f.old, f.new), last=r"mailNotificationsEnabled$"),
    rule(r"", lambda f: bool_verdict("reminders", f.old, f.new), last=r"reminderNotificationsEnabled$"),
    rule(r"", lambda f: bool_verdict("justification on approval", f.old, f.new), last=r"justificationRequiredOnApproval$"),
    rule(r"", lambda f: bool_verdict("recommendations", f.old, f.new), last=r"recommendationsEnabled$"),
    rule(r"", _days_open, last=r"instanceDurationInDays$"),
    rule(r"^settings\.recurrence\.pattern", _interval, last=r"interval$"),
    rule(r"^settings\.recurrence", lambda f: Verdict(WEAKENS, f"recurrence {f.last}: {text(f.old)} → {text(f.new)} (a series that ends or changes pattern may stop reviewing)"),
         last=r"(type|numberOfOccurrences|endDate)$"),
    rule(r"^settings\.applyActions", _apply_actions),
    rule(r"^status$", lambda f: Verdict(WEAKENS if str(f.new).lower() in NOT_RUNNING else NEUTRAL, f"review series {text(f.new)}")),
)

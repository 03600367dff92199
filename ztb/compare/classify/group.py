"""Groups: who is in a group and who may change that.

An included group (the privileged users) is stronger with more members; the emergency-access
group is an exclusion, so the opposite holds for it, and a break-glass account leaving it is the
lock-out a tenant must never have. An owner of a role-assignable group manages its membership
(Entra groups FAQ), so an owner added weakens.
"""

from __future__ import annotations

from ztb.compare.classify.common import (
    NEUTRAL, STRENGTHENS, WEAKENS, Field, Rule, Verdict, bool_verdict, exposed, field_words, fmt, is_list_of, rule,
    set_delta, unreadable,
)


def _people(f: Field) -> bool:
    return is_list_of(f.old, (str, dict)) and is_list_of(f.new, (str, dict))


def _members(f: Field) -> Verdict:
    if not _people(f):
        return unreadable(f.path, f.old, f.new)
    added, removed = set_delta(f.old, f.new)
    said = fmt(added, removed)
    if not f.ctx.exclusion_group:
        return Verdict(WEAKENS if removed else STRENGTHENS, f"members: {said}")
    if added:
        return Verdict(WEAKENS, f"members: {said}: more accounts are excluded from every privileged policy")
    if exposed(removed, f.ctx):
        return Verdict(WEAKENS, f"members: {said}: a break-glass account leaves the emergency-access group")
    if removed and f.ctx.emergency_unknown:
        return Verdict(WEAKENS, f"members: {said}: the break-glass accounts are unknown here, so this may be one (treated as weakening)")
    return Verdict(STRENGTHENS, f"members: {said} (fewer accounts excluded)")


def _owners(f: Field) -> Verdict:
    if not _people(f):
        return unreadable(f.path, f.old, f.new)
    added, removed = set_delta(f.old, f.new)
    if added:
        return Verdict(WEAKENS, f"owners: {fmt(added, removed)}: who can change this group's members")
    return Verdict(STRENGTHENS if removed else NEUTRAL, f"owners: {fmt(added, removed) or 'reordered'} (fewer who can change its members)")


#: The first row that matches a changed field judges it.
RULES: tuple[Rule, ...] = (
    rule(r"", _members, last=r"members$"),
    rule(r"", _owners, last=r"owners$"),
    rule(r"", lambda f: bool_verdict(field_words(f.last), f.old, f.new), last=r"(isAssignableToRole|securityEnabled)$"),
)

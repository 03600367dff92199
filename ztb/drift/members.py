"""Group members and owners: the tamper paths, compared as sets of object IDs (types ignored).

How a group's members are read depends on what it is for (``meta.membership``): an exclusion
group (emergency access, the audited CA exclusion group) weakens with any member the stack does
not declare (excluded from every privileged policy) and with a declared break-glass member
missing (lockout risk); the privileged (included) group weakens with a declared member missing
and strengthens with an extra one; rollout rings compare owners only. Every group weakens with
an owner the stack does not declare: an owner can change the membership.
"""

from __future__ import annotations

from typing import Any

from ztb.compare import classify as cl
from ztb.drift.report import DriftError
from ztb.model import groups as g
from ztb.model.controls import Control
from ztb.model.groups import EXCLUSION, INCLUDED, RING

#: The config key that declares a group's members, named in the fix of an undeclared member.
MEMBER_KEYS = {g.EMERGENCY: g.EmergencyAccess.USER_IDS_KEY, g.CA_EXCLUSION: "ztb:conditionalAccessExclusionMemberIds",
               g.PRIVILEGED: "ztb:eligibility"}
#: What an owner the stack does not declare can do, by membership.
OWNER_POWER = {
    EXCLUSION: "can add accounts that every privileged policy then excludes",
    INCLUDED: "can change who the privileged policies cover",
    RING: "can move accounts into or out of a rollout ring",
}


def group_fields(c: Control) -> dict[str, Any]:
    """The group properties compared field by field: not members and owners (compared as
    sets below), nor what the component sets only at creation (``meta.create_only``)."""
    skip = {"members", "owners", *c.meta.create_only}
    return {k: v for k, v in c.desired.items() if k not in skip}


def membership_changes(c: Control, actual: dict[str, Any], ctx: cl.Context) -> list[tuple[dict[str, Any], cl.Verdict]]:
    """The members and owners changes of one matched group, each with its verdict."""
    for field_name in ("members", "owners"):
        if not isinstance(actual.get(field_name), list):
            raise DriftError(
                f"{c.id}: the snapshot's group {actual['id']} carries no '{field_name}' list, so who can bypass or change "
                "the privileged policies cannot be compared; re-export with `ztb export --out FILE` (a version 2 snapshot "
                "holds the members and owners of every group the baseline watches)"
            )
    membership = c.meta.membership
    out = []
    if membership in (EXCLUSION, INCLUDED):
        change = _members(c, actual["members"], membership, ctx)
        if change:
            out.append(change)
    change = _owners(c, actual["owners"], membership)
    if change:
        out.append(change)
    return out


def _members(c: Control, members: list[dict[str, Any]], membership: str, ctx: cl.Context) -> tuple[dict[str, Any], cl.Verdict] | None:
    declared = c.meta.members_declared
    if not declared and membership == INCLUDED:
        return None  # who the privileged group covers is not the stack's to say: nothing to compare
    want = {str(m["id"]).lower(): m for m in (c.desired.get("members") or [] if declared else [])}
    have = {str(m["id"]).lower(): m for m in members}
    if want.keys() == have.keys():
        return None
    # Same object on both sides where the ID matches, so the classifier's set delta (which
    # keys items by type and ID) sees only the IDs that differ.
    old = [have.get(k, v) for k, v in want.items()]
    ctx = cl.Context(frozenset(ctx.emergency_ids), exclusion_group=membership == EXCLUSION)
    v = cl.classify("group", "members", old, list(have.values()), ctx)
    if not declared:
        v = cl.Verdict(v.impact, f"{v.reason}; the stack declares no members for this group: declare the expected ones in "
                                 f"{MEMBER_KEYS.get(c.meta.group_key, 'the stack config')}")
    return {"path": "members", "desired": sorted(want) if declared else None, "actual": sorted(have)}, v


def _owners(c: Control, owners: list[dict[str, Any]], membership: str) -> tuple[dict[str, Any], cl.Verdict] | None:
    declared = c.meta.owners_declared
    want = {str(o["id"]).lower() for o in c.desired.get("owners") or []}
    have = {str(o["id"]).lower(): o for o in owners}
    added = [have[k] for k in have if k not in want]
    removed = sorted(want - set(have))
    if not added and not removed:
        return None
    detail = ", ".join([f"+ {_label(o)}" for o in added] + [f"- {k}" for k in removed])
    if added:
        fix = "declare the intended owners in ztb:groupOwners" if not declared else "remove it, or declare it in ztb:groupOwners"
        v = cl.Verdict(cl.WEAKENS, f"owners: {detail}: an owner the stack does not declare {OWNER_POWER[membership]} ({fix})")
    else:
        v = cl.Verdict(cl.NEUTRAL, f"owners: {detail}: a declared owner is gone (`pulumi up` restores it)")
    return {"path": "owners", "desired": sorted(want) if declared else None, "actual": sorted(have)}, v


def _label(obj: dict[str, Any]) -> str:
    kind = str(obj.get("@odata.type") or "").rsplit(".", 1)[-1]
    return f"{kind} {obj['id']}" if kind else str(obj["id"])

"""Who each phase enforces on, and why: the ring and privileged groups it targets, and role holders.

A phase's Conditional Access policies include the rings it has reached (``stacks/phases.yaml``)
and, from ``full``, the privileged group and every role in scope, and they exclude the
break-glass accounts and the CA exclusion group. So a person is in a phase's scope when they are a
(transitive) member of one of its groups, or hold (active or eligible, directly or through a group)
a role in scope in a phase that includes roles, and are not excluded. Pure functions over what
:mod:`ztb.readiness.read` read.
"""

from __future__ import annotations

from typing import Any

from ztb.model import groups as g
from ztb.model import stacks
from ztb.model.baseline import Baseline

PHASES = ("evaluate", "pilot", "full")


def excluded_ids(b: Baseline, members: dict[str, set[str]], ids: dict[str, str]) -> set[str]:
    """Users every baseline policy excludes: the break-glass accounts and the CA exclusion group's members."""
    out = {u.lower() for u in b.emergency.user_ids}
    for key in (g.EMERGENCY, g.CA_EXCLUSION):
        if ids.get(key):
            out |= members.get(ids[key].lower(), set())
    return out


def phase_scope(b: Baseline, phase: str, t: Any) -> dict[str, list[str]]:
    """User ID -> why ``phase`` enforces on them (``t`` is :class:`ztb.readiness.read.Tenant`)."""
    spec = stacks.phase(phase)
    why: dict[str, list[str]] = {}

    def add(users: set[str], reason: str) -> None:
        for u in users:
            why.setdefault(u, []).append(reason)

    keys = [g.RING_KEYS[r] for r in spec["rings"]] + ([g.PRIVILEGED] if spec["includePrivilegedScope"] else [])
    for key in keys:
        gid = t.group_ids.get(key, "").lower()
        add(t.members.get(gid, set()), f"member of {t.group_names.get(gid, key)}")
    if spec["includePrivilegedScope"]:
        names = {r.template_id: r.name for r in b.scope}
        for h in t.access.holdings:
            if h.role_id not in names:
                continue
            if h.principal_id in t.access.users:
                add({h.principal_id}, f"{names[h.role_id]}: {h.words()}")
            elif h.principal_id in t.members:
                add(t.members[h.principal_id], f"{names[h.role_id]}: {h.words()} through group {t.group_names.get(h.principal_id, h.principal_id)}")
    for u in excluded_ids(b, t.members, t.group_ids):
        why.pop(u, None)
    return {u: list(dict.fromkeys(r)) for u, r in why.items()}


def break_glass_ids(b: Baseline, t: Any) -> set[str]:
    """The break-glass accounts: configured by ID, and the users in the emergency-access group."""
    out = {u.lower() for u in b.emergency.user_ids}
    gid = t.group_ids.get(g.EMERGENCY, "").lower()
    return out | t.members.get(gid, set())

"""Readiness of a phase: read the tenant, run the checklist for everyone each phase enforces on.

People are judged once, whatever phase they first appear in; each phase's list is the people it
enforces on (cumulative rings, then the privileged group and role holders in ``full``), and the
outcome is decided by the assessed phase's people and the break-glass accounts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from ztb.model.baseline import Baseline
from ztb.readiness import checks
from ztb.readiness.breakglass import break_glass
from ztb.readiness.scope import PHASES, break_glass_ids, phase_scope
from ztb.readiness.verdicts import Person, Readiness


def judge(b: Baseline, t: Any, phase: str, since_text: str, window_start: datetime, tenant_id: str = "") -> Readiness:
    """The checklist over what :func:`ztb.readiness.read.read` returned (pure: no Graph)."""
    from ztb.drift.standing import standing_findings

    since = window_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    allowed = list(b.allowed_platforms)
    ours = checks.baseline_policies(b, t.policies)
    absent = checks.undeployed(b, ours)
    scopes = {p: phase_scope(b, p, t) for p in PHASES}
    people: dict[str, Person] = {}
    for scope in scopes.values():
        for uid, why in scope.items():
            if uid in people:
                continue
            user = t.users.get(uid, {})
            person = Person(uid, str(user.get("userPrincipalName") or uid), str(user.get("displayName") or ""), why)
            person.synced = bool(user.get("onPremisesSyncEnabled")) if user else None
            person.access = [f"{_role_name(b, h.role_id)}: {h.words()}" for h in t.access.of(uid)]
            person.checks = [
                checks.method_check(b, t.registration, uid, t.missing.get("registration", "")),
                checks.device_check(b, t.devices, uid, allowed, t.missing.get("devices", "")),
                checks.report_only_check(t.sign_ins, uid, ours, since, t.missing.get("sign_ins", ""), absent),
            ]
            risk = checks.risk_check(t.sign_ins, uid)
            if risk is not None:
                person.checks.append(risk)
            people[uid] = person
    # A person's reasons are those of the assessed phase where they are in it.
    for uid, why in scopes[phase].items():
        people[uid].why = why
    bg = [break_glass(uid, t, ours, since) for uid in sorted(break_glass_ids(b, t))]
    return Readiness(
        phase=phase, since=since_text, window_start=since, phases={p: sorted(s) for p, s in scopes.items()}, people=people,
        break_glass=bg, outcomes=checks.outcomes(t.sign_ins, scopes[phase], ours), could_not_read=list(t.missing.values()) + (
            [checks.undeployed_reason(absent)] if absent else []),
        standing=[f.as_dict() for f in standing_findings(b, t.access, break_glass_ids(b, t))], tenant_id=tenant_id,
    )


def _role_name(b: Baseline, role_id: str) -> str:
    return next((r.name for r in b.scope if r.template_id == role_id), role_id)


def assess(b: Baseline, phase: Optional[str], since: timedelta, since_text: str, graph_url: Optional[str] = None,
           client: Any = None, now: Optional[datetime] = None) -> Readiness:
    """Read the tenant and judge ``phase`` (default: the stack's) over the window ``since`` back from ``now``."""
    from ztb.readiness.read import read

    start = (now or datetime.now(timezone.utc)) - since
    t, tenant = read(b, start, graph_url, client)
    return judge(b, t, phase or b.config.phase, since_text, start, tenant)

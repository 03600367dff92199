"""What readiness tells: per person a verdict made of checks, and the report that holds them.

A check is ``ready``, ``blocked`` (enforcing its control would lock the person out: the reason and
the fix say why and what to do) or ``unknown`` (the data it needs could not be read: the reason
names the permission or licence). A person's verdict is their worst check; the report's outcome is
the worst verdict among the people the phase enforces on, and it is never "ready" when any data
was missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional


class Status(str, Enum):
    READY = "ready"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


#: Worst first: a lock-out outranks not knowing, which outranks ready.
_RANK = {Status.BLOCKED: 0, Status.UNKNOWN: 1, Status.READY: 2}


def worst(statuses) -> Status:
    return min(statuses, key=_RANK.__getitem__, default=Status.READY)


class CheckName(str, Enum):
    """The onboarding checklist, in the order the report shows it."""

    METHOD = "phishing-resistant method"
    DEVICE = "compliant device"
    REPORT_ONLY = "report-only outcomes"
    RISK = "risk data"
    EXCLUDED = "excluded from every enabled policy"
    CLOUD_ONLY = "cloud-only"
    UNUSED = "not used in the window"


@dataclass
class Check:
    name: CheckName
    status: Status
    reason: str
    fix: str = ""
    #: The controls (PRIV-CA-..) or tenant policies that would block, when blocked.
    controls: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.name.value, "status": self.status.value, "reason": self.reason, "fix": self.fix,
                "controls": list(self.controls)}


@dataclass
class Person:
    id: str
    upn: str
    display_name: str
    #: Why the person is in scope ("member of ZTB Privileged Ring 1 - Evaluate", "eligible Global Administrator").
    why: list[str]
    checks: list[Check] = field(default_factory=list)
    #: What the checklist shows without gating: standing vs eligible roles, synced or cloud-only.
    access: list[str] = field(default_factory=list)
    synced: Optional[bool] = None
    break_glass: bool = False

    @property
    def verdict(self) -> Status:
        return worst(c.status for c in self.checks)

    def summary(self) -> str:
        """"ready", or "would be blocked by <controls> because <reason>", or "cannot tell: <reason>"."""
        bad = [c for c in self.checks if c.status == self.verdict] if self.verdict != Status.READY else []
        if not bad:
            return "ready"
        if self.verdict == Status.BLOCKED:
            controls = sorted({x for c in bad for x in c.controls})
            return f"would be blocked by {', '.join(controls) or 'the baseline'} because " + "; ".join(c.reason for c in bad)
        return "cannot tell: " + "; ".join(c.reason for c in bad)

    def fixes(self) -> list[str]:
        return list(dict.fromkeys(c.fix for c in self.checks if c.status != Status.READY and c.fix))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "userPrincipalName": self.upn, "displayName": self.display_name, "verdict": self.verdict.value,
                "summary": self.summary(), "fixes": self.fixes(), "inScopeBecause": list(self.why), "access": list(self.access),
                "syncedFromOnPremises": self.synced, "breakGlass": self.break_glass, "checks": [c.as_dict() for c in self.checks]}


#: Report-only results a sign-in's appliedConditionalAccessPolicies can carry (signIn resource).
REPORT_ONLY_RESULTS = ("reportOnlyFailure", "reportOnlyInterrupted", "reportOnlySuccess", "reportOnlyNotApplied")


@dataclass
class PolicyOutcome:
    """What one report-only policy saw in the window, over the people in scope."""

    control_id: str
    policy_id: str
    display_name: str
    counts: dict[str, int] = field(default_factory=lambda: {r: 0 for r in REPORT_ONLY_RESULTS})

    def as_dict(self) -> dict[str, Any]:
        return {"controlId": self.control_id, "policyId": self.policy_id, "displayName": self.display_name, "counts": dict(self.counts)}


@dataclass
class Readiness:
    phase: str
    since: str
    window_start: str
    #: Phase name -> IDs of the people it enforces on (evaluate, pilot, full; cumulative rings).
    phases: dict[str, list[str]]
    people: dict[str, Person]
    break_glass: list[Person]
    outcomes: list[PolicyOutcome]
    #: Reads that failed, each a line naming the permission or licence that fixes it.
    could_not_read: list[str] = field(default_factory=list)
    #: Standing-access findings (ztb.drift.standing), shown beside the checklist.
    standing: list[dict[str, Any]] = field(default_factory=list)
    tenant_id: str = ""

    def enforced_on(self, phase: Optional[str] = None) -> list[Person]:
        """The people ``phase`` (default: the assessed one) enforces on, locked-out first, then by name."""
        people = [self.people[i] for i in self.phases.get(phase or self.phase, [])]
        return sorted(people, key=lambda p: (_RANK[p.verdict], p.upn.casefold(), p.id))

    @property
    def outcome(self) -> Status:
        statuses = [p.verdict for p in self.enforced_on()] + [p.verdict for p in self.break_glass]
        if self.could_not_read:
            statuses.append(Status.UNKNOWN)
        if not self.break_glass:
            statuses.append(Status.UNKNOWN)  # no break-glass account known: nobody can vouch for the way back in
        return worst(statuses)

    def why_unknown(self) -> list[str]:
        """Why the outcome is "could not tell", most basic first: the reads that failed, no break-glass account, else the
        first person (the phase's people in report order, then the break-glass accounts) with a check that could not be told."""
        if self.could_not_read:
            return list(self.could_not_read)
        if not self.break_glass:
            return ["no break-glass account is known (ztb:emergencyAccessUserIds or the emergency-access group's members), so "
                    "nobody can vouch for the way back in; name them in the stack config"]
        for p in self.enforced_on() + self.break_glass:
            check = next((c for c in p.checks if c.status == Status.UNKNOWN), None)
            if check is not None:
                who = f"break-glass account {p.upn}" if p in self.break_glass else p.upn
                return [f"{who}: {check.name.value} could not be told: {check.reason}" + (f"; {check.fix}" if check.fix else "")]
        return []

    def as_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase, "since": self.since, "windowStart": self.window_start, "tenantId": self.tenant_id,
            "outcome": self.outcome.value, "ready": self.outcome == Status.READY,
            "people": [p.as_dict() for p in self.enforced_on()],
            "phases": {k: sorted(v) for k, v in self.phases.items()},
            "breakGlass": [p.as_dict() for p in self.break_glass],
            "reportOnly": [o.as_dict() for o in self.outcomes],
            "couldNotRead": list(self.could_not_read),
            "standingAccess": list(self.standing),
        }

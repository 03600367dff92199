"""What `ztb review` finds: the changes of a preview judged, and the review they make.

Plain values, built by :mod:`ztb.review.judge` and printed by :mod:`ztb.review.render`; ``as_dict``
is the JSON a bot reads (`ztb review --format json`), so its keys and words are a contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from ztb.compare import classify as cl
from ztb.review.ops import COUNTED, Op
from ztb.review.preview import STACK_TYPE, parse_urn

#: Weakening first, as a reviewer reads them.
IMPACT_ORDER = {cl.WEAKENS: 0, cl.NEUTRAL: 1, cl.STRENGTHENS: 2}


class AccessChange(str, Enum):
    """What one change does to a principal's eligible role."""

    GAINS = "gains"
    LOSES = "loses"
    KEEPS = "keeps"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FieldChange:
    path: str  # Graph path, as drift and classify name it
    old: Any
    new: Any
    verdict: cl.Verdict
    forces_replacement: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "impact": self.verdict.impact,
                "reason": self.verdict.reason, "forcesReplacement": self.forces_replacement}


@dataclass(frozen=True)
class Access:
    """Who gains or loses an eligible role through one change (roleEligibility only)."""

    change: AccessChange
    principal: Any
    role: Any
    scope: Any

    def as_dict(self) -> dict[str, Any]:
        return {"change": self.change, "principalId": self.principal, "roleDefinitionId": self.role, "directoryScopeId": self.scope}


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    name: str
    type: str
    op: Op
    preview_op: str  # as the preview wrote it (ops joined by ", " when several steps were read together)
    kind: Optional[str]
    control_id: Optional[str]
    title: Optional[str]
    verdict: cl.Verdict
    fields: tuple[FieldChange, ...] = ()
    notes: tuple[str, ...] = ()
    #: The verdict on the operation itself (create, replace, delete, protect); None for updates.
    operation: Optional[cl.Verdict] = None
    access: tuple[Access, ...] = ()

    @property
    def serious(self) -> bool:
        """Deleting or replacing a baseline control in a way that weakens: the first thing to read."""
        return bool(self.control_id) and self.op in (Op.DELETE, Op.REPLACE) and self.verdict.impact == cl.WEAKENS

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn, "name": self.name, "type": self.type, "op": self.op, "previewOp": self.preview_op,
            "kind": self.kind, "controlId": self.control_id, "title": self.title, "impact": self.verdict.impact,
            "reason": self.verdict.reason, "serious": self.serious, "fields": [f.as_dict() for f in self.fields],
            "notes": list(self.notes),
            "operation": {"impact": self.operation.impact, "reason": self.operation.reason} if self.operation else None,
            "eligibility": [a.as_dict() for a in self.access],
        }


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: str = ""

    @property
    def resource(self) -> str:
        """The resource's name; empty for the stack itself (program errors carry its URN)."""
        return "" if not self.urn or parse_urn(self.urn)[1] == STACK_TYPE else self.urn.rsplit("::", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "urn": self.urn, "message": self.message}


@dataclass(frozen=True)
class Review:
    stack: str
    changes: tuple[ResourceChange, ...]
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[str, ...]
    #: object ID -> what it is (role names, the stack's groups, break-glass accounts), for readers.
    names: dict[str, str] = field(default_factory=dict)
    #: Drift `pulumi preview --refresh` found in the tenant (deployed state -> tenant): not the pull request's.
    drift: tuple[ResourceChange, ...] = ()
    #: Why a gate cannot pass this preview whatever its changes (exit 1 with --fail-on weakens).
    cannot_vouch: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {op: sum(c.op == op for c in self.changes) for op in COUNTED}

    @property
    def weakening(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.verdict.impact == cl.WEAKENS]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def as_dict(self) -> dict[str, Any]:
        from ztb.review.enforcement import enforces_more

        impacts = {i: sum(c.verdict.impact == i for c in self.changes) for i in IMPACT_ORDER}
        return {
            "stack": self.stack,
            "summary": {**self.counts, "changes": len(self.changes), **impacts,
                        "serious": sum(c.serious for c in self.changes), "errors": len(self.errors),
                        "drift": len(self.drift), "driftWeakens": sum(c.verdict.impact == cl.WEAKENS for c in self.drift)},
            "cannotVouch": list(self.cannot_vouch),
            "changes": [c.as_dict() for c in self.changes],
            "drift": [c.as_dict() for c in self.drift],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
            "notes": list(self.notes),
            # What can stop someone signing in who could before: the deploy workflow runs `ztb readiness` first.
            "enforcesMore": enforces_more(self),
        }


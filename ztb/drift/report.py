"""What drift tells: one finding per control that differs, and the report that holds them.

Shared by detection (:mod:`ztb.drift.detect`), history (:mod:`ztb.drift.history`, ``--previous``)
and the formats (:mod:`ztb.drift.formats`), which is why it lives apart from all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ztb.errors import ZtbError
from ztb.model.controls import Control

MISSING, CHANGED, NOT_ENFORCED, UNMANAGED, UNCOVERED = "missing", "changed", "notEnforced", "unmanaged", "uncovered"
NEW, PERSISTING, FIXED = "new", "persisting", "fixed"


class DriftError(ZtbError, ValueError):
    """Drift cannot be told from this snapshot: one line naming the problem and the fix."""


@dataclass
class Finding:
    control_id: str
    kind: str
    display_name: str
    status: str
    impact: str
    reason: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    object_id: Optional[str] = None
    trend: Optional[str] = None
    previous_status: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "controlId": self.control_id, "kind": self.kind, "displayName": self.display_name,
            "status": self.status, "impact": self.impact, "reason": self.reason, "changes": self.changes,
            "objectId": self.object_id,
        }
        if self.trend:
            out["trend"] = self.trend
        if self.previous_status and self.previous_status != self.status:
            out["previousStatus"] = self.previous_status
        return out


@dataclass
class Report:
    findings: list[Finding]
    controls: list[Control]
    not_checked: dict[str, str]
    tenant_id: str = ""
    exported_at: str = ""
    #: Unmanaged policies the stack accepts (ztb:acceptedUnmanagedPolicies) that do not weaken.
    accepted: list[dict[str, Any]] = field(default_factory=list)
    #: Live `ztb drift --previous`: the directory-audit events (role, PIM, Conditional Access) since the
    #: previous run's time (``ztb.tenant.audits``); information, not drift.
    audit_since: str = ""
    audit_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> list[Finding]:
        return [f for f in self.findings if f.trend != FIXED]

    @property
    def in_sync(self) -> bool:
        return not self.current

    def as_dict(self) -> dict[str, Any]:
        return {
            "inSync": self.in_sync,
            "findings": [f.as_dict() for f in self.findings],
            "tenantId": self.tenant_id,
            "exportedAt": self.exported_at,
            "notChecked": [{"controlId": k, "reason": v} for k, v in self.not_checked.items()],
            "accepted": self.accepted,
            **({"auditSince": self.audit_since, "auditEvents": self.audit_events} if self.audit_since else {}),
        }

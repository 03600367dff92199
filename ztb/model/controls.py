"""What a control is: declared once, read by components, plan, drift and review.

A control carries its provenance (guidance step, Zero Trust principle, protection level,
rationale, source) next to its desired state in Microsoft Graph's own JSON shape, so the text a
reviewer reads and the object a tenant is compared with cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterator

from ztb.errors import ZtbError
from ztb.model.meta import Meta, NoMeta

#: The five layers of protection of "Apply principles of Zero Trust to Microsoft Security Copilot".
GUIDANCE_STEPS = {
    1: "Protect admin and SecOps staff user accounts with identity and access policies",
    2: "Apply least privilege access to admin and SecOps staff user accounts",
    3: "Manage and protect admin and SecOps staff devices",
    4: "Deploy or validate threat protection",
    5: "Secure access to third-party security products integrated with Security Copilot",
}

PRINCIPLES = ("Verify explicitly", "Use least privilege access", "Assume breach")



class Kind(str, Enum):
    """What a control is, by the name plan, drift and review print (Graph's own type names).

    A ``str`` enum: ``Kind.GROUP == "group"``, so readers that still compare with the bare string,
    JSON output and dict keys keep working while they move over.
    """

    GROUP = "group"
    CONDITIONAL_ACCESS_POLICY = "conditionalAccessPolicy"
    ROLE_MANAGEMENT_POLICY = "roleManagementPolicy"
    ROLE_ELIGIBILITY = "roleEligibility"
    DEVICE_COMPLIANCE_POLICY = "deviceCompliancePolicy"
    #: Intune's tenant-wide compliance settings (``deviceManagement.settings``: secureByDefault).
    DEVICE_MANAGEMENT_SETTINGS = "deviceManagementSettings"
    #: Intune app protection (iosManagedAppProtection, androidManagedAppProtection).
    APP_PROTECTION_POLICY = "managedAppProtection"
    MANUAL_CHECK = "manualCheck"
    ACCESS_REVIEW = "accessReviewScheduleDefinition"
    AUTHENTICATION_CONTEXT = "authenticationContextClassReference"
    #: PIM for Groups: the member or owner policy of a role-assignable group that holds a role.
    GROUP_ROLE_MANAGEMENT_POLICY = "groupRoleManagementPolicy"
    #: A PIM alert's configuration (Graph beta ``unifiedRoleManagementAlertConfiguration``).
    ROLE_MANAGEMENT_ALERT = "roleManagementAlertConfiguration"

    def __str__(self) -> str:
        return self.value

#: A reference to a group the stack creates: its object ID exists only after `pulumi up`, so the
#: desired JSON names it by key and every consumer resolves it (Pulumi outputs, a snapshot's
#: display names, generated IDs) through :func:`resolve_refs`.
REF_RE = re.compile(r"^\$\{group:([A-Za-z]+)\}$")


def group_ref(key: str) -> str:
    return "${group:%s}" % key


class UnresolvedReferenceError(ZtbError, ValueError):
    """A group reference with no object ID: fail rather than plan an empty exclusion list."""


def iter_refs(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from iter_refs(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from iter_refs(v)
    elif isinstance(obj, str):
        m = REF_RE.match(obj)
        if m:
            yield m.group(1)


def resolve_refs(obj: Any, ids: dict[str, Any]) -> Any:
    """Replace every group reference with its ID; a missing one raises, never shrinks a list."""
    if isinstance(obj, dict):
        return {k: resolve_refs(v, ids) for k, v in obj.items()}
    if isinstance(obj, list):
        return [resolve_refs(v, ids) for v in obj]
    if isinstance(obj, str):
        m = REF_RE.match(obj)
        if m:
            key = m.group(1)
            if key not in ids or ids[key] in (None, ""):
                raise UnresolvedReferenceError(
                    f"group '{key}' does not resolve to an object ID; it must exist before any policy references it"
                )
            return ids[key]
    return obj


@dataclass(frozen=True)
class Control:
    id: str
    kind: Kind
    title: str
    display_name: str
    step: int
    principle: str
    level: str
    rationale: str
    source: str
    desired: dict[str, Any]
    #: Only for kind manualCheck: what a person must do, since no public API can.
    instructions: str = ""
    #: False when the stack references an existing object instead of creating it.
    managed: bool = True
    #: External baseline items this control satisfies *as configured* (filled by the crosswalk).
    crosswalk: tuple[str, ...] = field(default=())
    #: Extra facts consumers need (e.g. the role a PIM policy belongs to), typed per kind.
    meta: Meta = field(default_factory=NoMeta)

    def __post_init__(self) -> None:
        try:
            kind = Kind(self.kind)
        except ValueError:
            raise ValueError(f"{self.id}: unknown kind {self.kind}") from None
        # Stored as the enum whatever the caller passed, so every reader sees one type.
        object.__setattr__(self, "kind", kind)
        if self.step not in GUIDANCE_STEPS:
            raise ValueError(f"{self.id}: unknown guidance step {self.step}")
        if self.principle not in PRINCIPLES:
            raise ValueError(f"{self.id}: unknown principle {self.principle}")

    def summary(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "kind": self.kind.value,
            "displayName": self.display_name,
            "title": self.title,
            "step": self.step,
            "principle": self.principle,
            "level": self.level,
            "rationale": self.rationale,
            "source": self.source,
            "managed": self.managed,
            "crosswalk": list(self.crosswalk),
            "desired": self.desired,
        }
        if self.instructions:
            out["instructions"] = self.instructions
        version = getattr(self.meta, "graph_version", None)
        if version and self.managed:
            out["graphVersion"] = version
        return out

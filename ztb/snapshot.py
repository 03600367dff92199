"""The tenant snapshot: what `ztb export` writes, `ztb drift` reads and `ztb plan` can fake.

A snapshot is one JSON document: a few header keys and, per collection, the objects exactly as
Graph returned them (raw JSON, no models), so a snapshot taken today can be compared by a newer
ztb whose normalisation has learnt more of Graph's noise. It is versioned (``schemaVersion``);
a reader refuses a version it does not know rather than guess.

Validation is deliberately shallow but strict where drift depends on it: every collection must be
present (an interrupted or hand-cut file is not a tenant with no policies), PIM policies must carry
their rules and compliance policies their assignments (both come from ``$expand``; without it every
policy would look emptied). The first problem is reported as one line naming the fix.

:func:`ideal_snapshot` writes what a tenant matching the baseline exactly would export, with
the fields Graph fills in itself, so `ztb drift` on it must report nothing: the test that keeps
the normalisation honest about Graph's noise.
"""

from __future__ import annotations

import json
import sys
import uuid
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from . import __version__
from . import roles as rc
from .model.baseline import Baseline
from .model.controls import resolve_refs

SCHEMA_VERSION = 1
COLLECTIONS = (
    "conditionalAccessPolicies",
    "namedLocations",
    "authenticationStrengthPolicies",
    "groups",
    "roleManagementPolicies",
    "roleManagementPolicyAssignments",
    "deviceCompliancePolicies",
    "roleDefinitions",
)
#: Group properties export selects and the ideal snapshot fills (members are write-only here).
GROUP_SELECT = (
    "id", "displayName", "description", "mailEnabled", "mailNickname", "securityEnabled",
    "groupTypes", "isAssignableToRole", "createdDateTime",
)
ROLE_DEFINITION_SELECT = ("id", "displayName", "templateId", "isBuiltIn", "isPrivileged")


class SnapshotError(ValueError):
    """A snapshot that cannot be used: one line naming the problem and the fix."""


# --- format -------------------------------------------------------------------------------

class _Obj(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _CAPolicy(_Obj):
    id: str
    displayName: str
    state: str
    conditions: dict[str, Any]


class _Named(_Obj):
    id: str
    displayName: Optional[str] = None


class _Rule(_Obj):
    id: str
    odata_type: str = Field(alias="@odata.type")


class _PimPolicy(_Obj):
    id: str
    scopeId: str
    scopeType: str
    rules: list[_Rule]


class _PimAssignment(_Obj):
    id: str
    policyId: str
    roleDefinitionId: str
    scopeId: str
    scopeType: str


class _Compliance(_Obj):
    id: str
    odata_type: str = Field(alias="@odata.type")
    displayName: str
    assignments: list[dict[str, Any]]


class _RoleDefinition(_Obj):
    id: str
    displayName: str
    templateId: Optional[str] = None
    isBuiltIn: StrictBool
    isPrivileged: StrictBool


class _Snapshot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schemaVersion: Literal[1]
    tenantId: str
    exportedAt: str
    toolVersion: str
    conditionalAccessPolicies: list[_CAPolicy]
    namedLocations: list[_Named]
    authenticationStrengthPolicies: list[_Named]
    groups: list[_Named]
    roleManagementPolicies: list[_PimPolicy]
    roleManagementPolicyAssignments: list[_PimAssignment]
    deviceCompliancePolicies: list[_Compliance]
    roleDefinitions: list[_RoleDefinition]


_HINTS = {
    "rules": "PIM policies must be read with $expand=rules",
    "assignments": "compliance policies must be read with $expand=assignments",
    "isPrivileged": "role definitions must come from Graph beta, the only version with isPrivileged",
}


def _where(loc: tuple) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out.replace("odata_type", "@odata.type")


def _message(source: str, err: ValidationError) -> str:
    e = err.errors()[0]
    where, field = _where(e["loc"]), str(e["loc"][-1])
    if e["type"] == "missing":
        problem = f"'{where}' is missing"
    elif e["type"] == "extra_forbidden":
        problem = f"unknown top-level key '{where}' (a snapshot holds: schemaVersion, tenantId, exportedAt, toolVersion, {', '.join(COLLECTIONS)})"
    elif e["loc"] == ("schemaVersion",):
        problem = f"schemaVersion {e.get('input')!r} is not {SCHEMA_VERSION}, the only version this ztb ({__version__}) reads"
    else:
        problem = f"'{where}' {e['msg'].lower()}"
    hint = _HINTS.get(field.replace("odata_type", ""), "")
    fix = f"{hint}; " if hint else ""
    return f"snapshot {source}: {problem}; {fix}re-export it with `ztb export --out FILE` (an interrupted or hand-edited snapshot cannot be compared)"


def validate(doc: Any, source: str = "<snapshot>") -> dict[str, Any]:
    """Return ``doc`` unchanged when it is a usable snapshot, else raise SnapshotError (one line)."""
    if not isinstance(doc, dict):
        raise SnapshotError(f"snapshot {source}: top level is {type(doc).__name__}, not an object; write it with `ztb export --out FILE`")
    try:
        _Snapshot.model_validate(doc)
    except ValidationError as e:
        raise SnapshotError(_message(source, e)) from None
    return doc


def load(path: str) -> dict[str, Any]:
    """Read and validate a snapshot file (``-`` reads stdin)."""
    source = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"snapshot {source}: no such file; write one with `ztb export --out {source}` or pass the right --snapshot path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SnapshotError(f"snapshot {source}: cannot be read ({getattr(e, 'strerror', None) or e}); pass a readable JSON file") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        cut = " (the file ends early: truncated)" if e.pos >= len(text.rstrip()) else ""
        raise SnapshotError(
            f"snapshot {source}: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}{cut}; "
            f"re-export it with `ztb export --out {'FILE' if path == '-' else source}`"
        ) from None
    except RecursionError:
        raise SnapshotError(f"snapshot {source}: JSON nested too deeply to be a Graph export; re-export it with `ztb export --out FILE`") from None
    return validate(doc, source)


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


# --- the ideal snapshot -------------------------------------------------------------------

#: Fixed timestamps keep the ideal snapshot byte-for-byte reproducible.
IDEAL_TIME = "2025-01-01T00:00:00Z"
BUILT_IN_TIME = "2021-12-01T08:00:00Z"
NO_TENANT = "00000000-0000-0000-0000-000000000000"
_NS = uuid.UUID("6f1c3a52-8d0e-4f4b-9a57-7a2b5e0c2d11")
GRAPH_V1 = "https://graph.microsoft.com/v1.0/$metadata#"
#: Descriptions of the built-in strengths as Graph returns them (authenticationstrength-list-policies).
STRENGTH_DESCRIPTIONS = {
    "00000000-0000-0000-0000-000000000002": "Combinations of methods that satisfy strong authentication, such as a password + SMS",
    "00000000-0000-0000-0000-000000000003": "Passwordless methods that satisfy strong authentication, such as Passwordless sign-in with the Microsoft Authenticator",
    "00000000-0000-0000-0000-000000000004": "Phishing resistant, Passwordless methods for the strongest authentication, such as a FIDO2 security key",
}
#: The 7 rules of a directory-role PIM policy the baseline leaves alone, with the tenant defaults
#: Graph returns (pim-list-rolemanagementpolicies-ex2-directory-expand-rules.response.json).
_UNMANAGED_RULES = [
    ("Enablement_Admin_Eligibility", "Enablement", "Admin", "Eligibility", {"enabledRules": []}),
    *[
        (f"Notification_{who}_{scope}", "Notification", caller, level,
         {"notificationType": "Email", "recipientType": who, "notificationLevel": "All",
          "isDefaultRecipientsEnabled": True, "notificationRecipients": []})
        for scope, caller, level in (("Admin_Eligibility", "Admin", "Eligibility"), ("Admin_Assignment", "Admin", "Assignment"),
                                     ("EndUser_Assignment", "EndUser", "Assignment"))
        for who in ("Requestor", "Approver")
    ],
]


def ideal_id(tenant: str, *parts: str) -> str:
    """Deterministic object ID for an object the ideal tenant holds."""
    return str(uuid.uuid5(_NS, "/".join((tenant, *parts))))


@lru_cache(maxsize=1)
def _built_in_strengths() -> dict[str, Any]:
    """The built-in strengths in Graph's own order (crosswalk keeps them as sets)."""
    text = resources.files("ztb.data").joinpath("authentication-strengths.json").read_text(encoding="utf-8")
    return json.loads(text)["builtInStrengths"]


def strength_object(strength_id: str, policy_id: str | None = None) -> dict[str, Any]:
    """A built-in authentication strength as Graph returns it, standalone or expanded in a policy."""
    ctx = f"policies/conditionalAccessPolicies('{policy_id}')/grantControls/authenticationStrength" if policy_id else f"policies/authenticationStrengthPolicies('{strength_id}')"
    built_in = _built_in_strengths()[strength_id]
    return {
        "id": strength_id,
        "createdDateTime": BUILT_IN_TIME,
        "modifiedDateTime": BUILT_IN_TIME,
        "displayName": built_in["displayName"],
        "description": STRENGTH_DESCRIPTIONS.get(strength_id),
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": list(built_in["allowedCombinations"]),
        "combinationConfigurations@odata.context": f"{GRAPH_V1}{ctx}/combinationConfigurations",
        "combinationConfigurations": [],
    }


def _ideal_groups(b: Baseline, tenant: str) -> tuple[list[dict], dict[str, str]]:
    out, ids = [], {}
    for c in b.of_kind("group"):
        key = c.meta["groupKey"]
        if not c.managed:
            ids[key] = c.meta["objectId"]
            out.append(_existing_group(ids[key]))
            continue
        ids[key] = ideal_id(tenant, "group", key)
        d = c.desired
        out.append({
            "id": ids[key], "displayName": d["displayName"], "description": d["description"],
            "mailEnabled": d["mailEnabled"], "mailNickname": d["mailNickname"], "securityEnabled": d["securityEnabled"],
            "groupTypes": list(d["groupTypes"]), "isAssignableToRole": d["isAssignableToRole"], "createdDateTime": IDEAL_TIME,
        })
    approver = b.config.pim.approverGroupId
    if approver and approver not in ids.values():
        out.append(_existing_group(approver))
    return out, ids


def _existing_group(oid: str) -> dict[str, Any]:
    return {"id": oid, "displayName": f"Existing group {oid[:8]}", "description": None, "mailEnabled": False,
            "mailNickname": f"existing-{oid[:8]}", "securityEnabled": True, "groupTypes": [],
            "isAssignableToRole": None, "createdDateTime": IDEAL_TIME}


def _ideal_ca(desired: dict[str, Any], pid: str) -> dict[str, Any]:
    cond = desired["conditions"]
    users, apps = cond["users"], cond["applications"]
    grant = desired["grantControls"]
    if grant is not None:
        strength = (grant.get("authenticationStrength") or {}).get("id")
        grant = {
            "operator": grant["operator"], "builtInControls": grant["builtInControls"],
            "customAuthenticationFactors": grant["customAuthenticationFactors"], "termsOfUse": grant["termsOfUse"],
            "authenticationStrength@odata.context": f"{GRAPH_V1}policies/conditionalAccessPolicies('{pid}')/grantControls/authenticationStrength/$entity",
            "authenticationStrength": strength_object(strength, pid) if strength else None,
        }
    session = desired["sessionControls"]
    if session is not None:
        session = {"disableResilienceDefaults": None, "applicationEnforcedRestrictions": None, "cloudAppSecurity": None,
                   "persistentBrowser": None, "signInFrequency": None, **session}
    return {
        "id": pid, "templateId": None, "displayName": desired["displayName"],
        "createdDateTime": IDEAL_TIME, "modifiedDateTime": None, "state": desired["state"],
        "sessionControls": session,
        "conditions": {
            "userRiskLevels": cond["userRiskLevels"], "signInRiskLevels": cond["signInRiskLevels"],
            "clientAppTypes": cond["clientAppTypes"], "servicePrincipalRiskLevels": [], "insiderRiskLevels": None,
            "platforms": cond["platforms"], "locations": cond["locations"], "devices": None, "clientApplications": None,
            "applications": {**apps, "includeAuthenticationContextClassReferences": [], "applicationFilter": None},
            "users": {**users, "includeGuestsOrExternalUsers": None, "excludeGuestsOrExternalUsers": None},
        },
        "grantControls": grant,
    }


def _graph_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as GET returns it: operations lower-cased, no type annotations inside."""
    out = {k: v for k, v in rule.items() if k != "target"}
    out["target"] = {**rule["target"], "operations": [o.lower() for o in rule["target"]["operations"]]}
    return out


def _default_rule(rule_id: str, suffix: str, caller: str, level: str, body: dict) -> dict[str, Any]:
    return {"@odata.type": f"#microsoft.graph.unifiedRoleManagementPolicy{suffix}Rule", "id": rule_id, **body,
            "target": {"caller": caller, "operations": ["all"], "level": level, "inheritableSettings": [], "enforcedSettings": []}}


def _ideal_compliance(c, desired: dict[str, Any], tenant: str) -> dict[str, Any]:
    pid = desired.get("id") or ideal_id(tenant, "compliance", c.id)
    body = {k: v for k, v in desired.items() if k not in ("scheduledActionsForRule", "assignments", "id")}
    body.setdefault("@odata.type", "#microsoft.graph.windows10CompliancePolicy")
    body.setdefault("displayName", f"Existing compliance policy {pid[:8]}")
    assignments = [
        {"@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment", "id": f"{pid}_{a['target']['groupId']}",
         "source": "direct", "sourceId": pid,
         "target": {**a["target"], "deviceAndAppManagementAssignmentFilterId": None, "deviceAndAppManagementAssignmentFilterType": "none"}}
        for a in desired["assignments"]
    ]
    return {"id": pid, "createdDateTime": IDEAL_TIME, "lastModifiedDateTime": IDEAL_TIME, "version": 1,
            "roleScopeTagIds": ["0"], **body, "passwordRequired": False, "requireHealthyDeviceReport": False,
            "storageRequireEncryption": False, "earlyLaunchAntiMalwareDriverEnabled": False,
            "assignments@odata.context": f"https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceCompliancePolicies('{pid}')/assignments",
            "assignments": assignments}


def ideal_snapshot(b: Baseline) -> dict[str, Any]:
    """The snapshot a tenant matching the baseline exactly would export (deterministic)."""
    tenant = b.config.tenantId or NO_TENANT
    groups, ids = _ideal_groups(b, tenant)
    policies = []
    for c in b.of_kind("conditionalAccessPolicy"):
        policies.append(_ideal_ca(resolve_refs(c.desired, ids), ideal_id(tenant, "ca", c.id)))
    pim_policies, pim_assignments = [], []
    for c in b.of_kind("roleManagementPolicy"):
        role = c.desired["roleDefinitionId"]
        pid = f"DirectoryRole_{tenant}_{ideal_id(tenant, 'pim', role)}"
        rules = [_graph_rule(r) for r in resolve_refs(c.desired["rules"], ids)] + [_default_rule(*r) for r in _UNMANAGED_RULES]
        pim_policies.append({"id": pid, "displayName": "DirectoryRole", "description": "DirectoryRole", "isOrganizationDefault": False,
                             "scopeId": "/", "scopeType": "DirectoryRole", "lastModifiedDateTime": None,
                             "lastModifiedBy": {"displayName": None, "id": None}, "rules": rules})
        pim_assignments.append({"id": f"{pid}_{role}", "policyId": pid, "scopeId": "/", "scopeType": "DirectoryRole", "roleDefinitionId": role})
    compliance = [_ideal_compliance(c, resolve_refs(c.desired, ids), tenant) for c in b.of_kind("deviceCompliancePolicy")]
    scope = {r.template_id: r for r in b.scope}
    roles = {r.template_id: r for r in rc.catalogue()} | scope
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tenantId": tenant,
        "exportedAt": IDEAL_TIME,
        "toolVersion": f"ztb {__version__} (ideal snapshot from `ztb plan --format snapshot`)",
        "conditionalAccessPolicies": policies,
        "namedLocations": [],
        "authenticationStrengthPolicies": [strength_object(s) for s in _built_in_strengths()],
        "groups": groups,
        "roleManagementPolicies": pim_policies,
        "roleManagementPolicyAssignments": pim_assignments,
        "deviceCompliancePolicies": compliance,
        "roleDefinitions": [
            {"id": tid, "displayName": r.name, "templateId": tid, "isBuiltIn": True, "isPrivileged": r.privileged}
            for tid, r in roles.items()
        ],
    }


def render_snapshot(b: Baseline) -> str:
    """`ztb plan --format snapshot`: the ideal snapshot as JSON text."""
    return dumps(ideal_snapshot(b))

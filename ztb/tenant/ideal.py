"""The ideal tenant: the snapshot a tenant matching the baseline exactly would export.

`ztb plan --format snapshot` writes it, with the fields Graph fills in itself (creation times,
``@odata.context``, the rules a PIM policy keeps at the tenant default, the built-in
authentication strengths), so `ztb drift` on it must report nothing: the test that keeps the
normalisation honest about Graph's noise. Object IDs are derived from the tenant and the control
(:func:`ideal_id`) and timestamps are fixed, so the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import uuid
from typing import Any

from ztb import __version__
from ztb.catalogue import roles as rc
from ztb.catalogue import strengths
from ztb.model import apps
from ztb.model.baseline import Baseline
from ztb.model.controls import Control, resolve_refs
from ztb.tenant.groups import group_ids, match_groups
from ztb.tenant.snapshot import SCHEMA_VERSION, dumps

#: Fixed timestamps keep the ideal snapshot byte-for-byte reproducible.
IDEAL_TIME = "2025-01-01T00:00:00Z"
BUILT_IN_TIME = "2021-12-01T08:00:00Z"
NO_TENANT = "00000000-0000-0000-0000-000000000000"
_NS = uuid.UUID("6f1c3a52-8d0e-4f4b-9a57-7a2b5e0c2d11")
GRAPH_V1 = "https://graph.microsoft.com/v1.0/$metadata#"
#: Descriptions of the built-in strengths as Graph returns them (authenticationstrength-list-policies).
STRENGTH_DESCRIPTIONS = {
    strengths.MFA: "Combinations of methods that satisfy strong authentication, such as a password + SMS",
    strengths.PASSWORDLESS: "Passwordless methods that satisfy strong authentication, such as Passwordless sign-in with the Microsoft Authenticator",
    strengths.PHISHING_RESISTANT: "Phishing resistant, Passwordless methods for the strongest authentication, such as a FIDO2 security key",
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


def strength_object(strength_id: str, policy_id: str | None = None) -> dict[str, Any]:
    """A built-in authentication strength as Graph returns it, standalone or expanded in a policy."""
    ctx = f"policies/conditionalAccessPolicies('{policy_id}')/grantControls/authenticationStrength" if policy_id else f"policies/authenticationStrengthPolicies('{strength_id}')"
    built_in = strengths.built_in()[strength_id]
    return {
        "id": strength_id,
        "createdDateTime": BUILT_IN_TIME,
        "modifiedDateTime": BUILT_IN_TIME,
        "displayName": built_in.display_name,
        "description": STRENGTH_DESCRIPTIONS.get(strength_id),
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": list(built_in.allowed_combinations),
        "combinationConfigurations@odata.context": f"{GRAPH_V1}{ctx}/combinationConfigurations",
        "combinationConfigurations": [],
    }


def _principals(items: Any) -> list[dict[str, str]]:
    """Members or owners as Graph lists them: directory objects with their type."""
    return [{"@odata.type": i.get("@odata.type") or "#microsoft.graph.user", "id": i["id"]} for i in items or []]


def _watched(group: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """A watched group carries its members and owners: the declared ones, exactly."""
    return {**group, "members": _principals(desired.get("members")), "owners": _principals(desired.get("owners"))}


def _ideal_groups(b: Baseline, tenant: str) -> tuple[list[dict], dict[str, str]]:
    """Every group the baseline names, and the key -> ID map drift would resolve from them."""
    out = []
    for c in b.of_kind("group"):
        if not c.managed:
            out.append(_watched(_existing_group(c.meta.object_id), c.desired))
            continue
        d = c.desired
        out.append(_watched({
            "id": ideal_id(tenant, "group", c.meta.group_key), "displayName": d["displayName"], "description": d["description"],
            "mailEnabled": d["mailEnabled"], "mailNickname": d["mailNickname"], "securityEnabled": d["securityEnabled"],
            "groupTypes": list(d["groupTypes"]), "isAssignableToRole": d["isAssignableToRole"], "createdDateTime": IDEAL_TIME,
        }, d))
    ids = group_ids(match_groups(b, out))
    approver = b.config.pim.approverGroupId
    if approver and approver not in ids.values():
        out.append(_existing_group(approver))  # referenced by PIM rules only: not watched, no members
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
            "authenticationFlows": cond.get("authenticationFlows"),
            "applications": {**apps, "includeAuthenticationContextClassReferences": apps.get("includeAuthenticationContextClassReferences", []),
                             "applicationFilter": None},
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


def _ideal_compliance(c: Control, desired: dict[str, Any], tenant: str) -> dict[str, Any]:
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
    # Settings the baseline leaves alone come back at Graph's defaults (Windows: the documented ones);
    # the stack's own settings win over them.
    defaults = WINDOWS_DEFAULTS if body["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy" else {}
    return {"id": pid, "createdDateTime": IDEAL_TIME, "lastModifiedDateTime": IDEAL_TIME, "version": 1,
            "roleScopeTagIds": ["0"], **defaults, **body,
            "assignments@odata.context": f"https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceCompliancePolicies('{pid}')/assignments",
            "assignments": assignments}


#: Windows settings Graph returns at their defaults when a policy does not set them.
WINDOWS_DEFAULTS = {"passwordRequired": False, "requireHealthyDeviceReport": False, "storageRequireEncryption": False,
                    "earlyLaunchAntiMalwareDriverEnabled": False}


def _ideal_app_protection(c: Control, desired: dict[str, Any], tenant: str) -> dict[str, Any]:
    pid = ideal_id(tenant, "appProtection", c.id)
    body = {k: v for k, v in desired.items() if k != "assignments"}
    assignments = [{"id": f"{pid}_{a['target']['groupId']}", "source": "direct", "sourceId": pid,
                    "target": {**a["target"], "deviceAndAppManagementAssignmentFilterId": None,
                               "deviceAndAppManagementAssignmentFilterType": "none"}} for a in desired["assignments"]]
    return {"id": pid, "createdDateTime": IDEAL_TIME, "lastModifiedDateTime": IDEAL_TIME, "version": '"1"',
            "roleScopeTagIds": ["0"], "isAssigned": True, **body, "assignments": assignments}


def ideal_snapshot(b: Baseline) -> dict[str, Any]:
    """The snapshot a tenant matching the baseline exactly would export (deterministic)."""
    tenant = b.config.tenantId or NO_TENANT
    groups, ids = _ideal_groups(b, tenant)
    policies = []
    for c in b.of_kind("conditionalAccessPolicy"):
        desired = apps.resolve(resolve_refs(c.desired, ids), lambda template: ideal_id(tenant, "app", template))
        policies.append(_ideal_ca(desired, ideal_id(tenant, "ca", c.id)))
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
    app_protection = [_ideal_app_protection(c, resolve_refs(c.desired, ids), tenant) for c in b.of_kind("managedAppProtection")]
    settings = [{"deviceComplianceCheckinThresholdDays": 30, "isScheduledActionEnabled": True, **c.desired}
                for c in b.of_kind("deviceManagementSettings")]
    scope = {r.template_id: r for r in b.scope}
    roles = {r.template_id: r for r in rc.catalogue()} | scope
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tenantId": tenant,
        "exportedAt": IDEAL_TIME,
        "toolVersion": f"ztb {__version__} (ideal snapshot from `ztb plan --format snapshot`)",
        "conditionalAccessPolicies": policies,
        "namedLocations": [],
        "authenticationStrengthPolicies": [strength_object(s) for s in strengths.built_in()],
        "groups": groups,
        "roleManagementPolicies": pim_policies,
        "roleManagementPolicyAssignments": pim_assignments,
        "deviceCompliancePolicies": compliance,
        "managedAppPolicies": app_protection,
        "deviceManagementSettings": settings,
        # Admins hold their roles through PIM eligibility: no standing assignment outside the privileged group.
        "roleAssignments": [],
        "roleDefinitions": [
            {"id": tid, "displayName": r.name, "templateId": tid, "isBuiltIn": True, "isPrivileged": r.privileged}
            for tid, r in roles.items()
        ],
        **_ideal_governance(b, tenant),
        **_ideal_standing(b, tenant),
    }


def _ideal_review(c: Control, tenant: str) -> dict[str, Any]:
    """An access review definition as GET returns it (accessreviewset-list-definitions.md, example 2)."""
    d = c.desired
    settings = d["settings"]
    pattern = {"type": settings["recurrence"]["pattern"]["type"], "interval": settings["recurrence"]["pattern"]["interval"],
               "month": 0, "dayOfMonth": 0, "daysOfWeek": [], "firstDayOfWeek": "sunday", "index": "first"}
    rng = {"type": "noEnd", "numberOfOccurrences": 0, "recurrenceTimeZone": None,
           "startDate": settings["recurrence"]["range"]["startDate"], "endDate": None}
    return {
        "id": ideal_id(tenant, "review", c.id), "displayName": d["displayName"], "createdDateTime": IDEAL_TIME,
        "lastModifiedDateTime": IDEAL_TIME, "status": "InProgress", "descriptionForAdmins": d["descriptionForAdmins"],
        "descriptionForReviewers": d["descriptionForReviewers"], "instanceEnumerationScope": None,
        "createdBy": {"id": ideal_id(tenant, "user", "deployer"), "displayName": "ztb", "userPrincipalName": None},
        "scope": dict(d["scope"]), "reviewers": [{**r, "queryRoot": "decisions"} for r in d["reviewers"]],
        "settings": {**{k: v for k, v in settings.items() if k != "recurrence"}, "applyActions": settings.get("applyActions", []),
                     "recurrence": {"pattern": pattern, "range": rng}},
        "additionalNotificationRecipients": [],
    }


def _ideal_group_pim(c: Control, tenant: str) -> dict[str, Any]:
    """A PIM-for-Groups policy assignment with its policy and rules expanded (pim-list-...-ex4-group-owner-expand-policy-rules)."""
    gid, access = c.desired["scopeId"], c.desired["roleDefinitionId"]
    pid = f"Group_{gid}_{ideal_id(tenant, 'pim-group', gid, access)}"
    rules = [_graph_rule(r) for r in c.desired["rules"]] + [_default_rule(*r) for r in _UNMANAGED_RULES]
    return {"id": f"{pid}_{access}", "policyId": pid, "scopeId": gid, "scopeType": "Group", "roleDefinitionId": access,
            "policy": {"id": pid, "displayName": "Group", "description": "Group", "isOrganizationDefault": False, "scopeId": gid,
                       "scopeType": "Group", "lastModifiedDateTime": None, "lastModifiedBy": {"displayName": None, "id": None},
                       "rules": rules}}


def _ideal_governance(b: Baseline, tenant: str) -> dict[str, Any]:
    """The optional collections, present when the stack declares what drift compares with them."""
    out: dict[str, Any] = {}
    if b.of_kind("accessReviewScheduleDefinition"):
        out["accessReviewDefinitions"] = [_ideal_review(c, tenant) for c in b.of_kind("accessReviewScheduleDefinition")]
    if b.of_kind("authenticationContextClassReference"):
        out["authenticationContextClassReferences"] = [dict(c.desired) for c in b.of_kind("authenticationContextClassReference")]
    if b.of_kind("roleManagementAlertConfiguration"):
        out["roleManagementAlertConfigurations"] = [
            {**c.desired, "id": f"DirectoryRole_{tenant}_{c.meta.alert}", "alertDefinitionId": f"DirectoryRole_{tenant}_{c.meta.alert}"}
            for c in b.of_kind("roleManagementAlertConfiguration")]
    if b.of_kind("groupRoleManagementPolicy"):
        out["groupRoleManagementPolicyAssignments"] = [_ideal_group_pim(c, tenant) for c in b.of_kind("groupRoleManagementPolicy")]
    return out


#: When the ideal admins last activated their roles: inside the review window before IDEAL_TIME.
ACTIVATED_TIME = "2024-12-31T00:00:00Z"
USER, GROUP = "#microsoft.graph.user", "#microsoft.graph.group"


def _ideal_standing(b: Baseline, tenant: str) -> dict[str, Any]:
    """Standing access as a matching tenant exports it: every holding eligible, time-bound and used.

    The admins of ``ztb:eligibility`` and the groups of ``ztb:pim.groups`` are eligible for their
    roles (cloud-only users who activated within the review window); nobody holds a role
    permanently. PRIV-MAN-04 wants at least two Global Administrators: when the stack maps fewer,
    the ideal tenant also holds unmanaged eligible ones (``ideal-admin-<n>``) up to that minimum.
    """
    from ztb.drift.standing import GLOBAL_ADMINISTRATOR, RANGES

    bg = {u.lower() for u in b.emergency.user_ids}
    pairs = [(c.meta.principal_id.lower(), c.meta.template_id) for c in b.of_kind("roleEligibility")]
    admins = {p for p, role in pairs if role == GLOBAL_ADMINISTRATOR and p not in bg}
    fewest = RANGES[b.config.globalAdministratorRange][0]
    pairs += [(ideal_id(tenant, "admin", str(n)), GLOBAL_ADMINISTRATOR) for n in range(fewest - len(admins))]
    groups = {gid.lower() for gid in b.config.pim.groups}
    pairs += [(gid, rc.resolve(name).template_id) for gid, names in sorted(b.config.pim.groups.items()) for name in names]
    instances = [{"id": ideal_id(tenant, "eligibility", p, role), "principalId": p, "roleDefinitionId": role, "directoryScopeId": "/",
                  "memberType": "Direct", "startDateTime": IDEAL_TIME, "endDateTime": "2025-06-30T00:00:00Z"} for p, role in pairs]
    activations = [{"id": ideal_id(tenant, "activation", p, role), "principalId": p, "roleDefinitionId": role, "action": "selfActivate",
                    "createdDateTime": ACTIVATED_TIME} for p, role in pairs if p not in groups]
    users = sorted({p for p, _ in pairs} - groups)
    principals = [{"@odata.type": USER, "id": p, "displayName": f"Admin {p[:8]}", "accountEnabled": True,
                   "userPrincipalName": f"admin-{p[:8]}@example.onmicrosoft.com", "onPremisesSyncEnabled": None} for p in users]
    principals += [{"@odata.type": GROUP, "id": gid, "displayName": f"PIM group {gid[:8]}", "securityEnabled": True, "mailEnabled": False,
                    "groupTypes": [], "isAssignableToRole": True, "members": []} for gid in sorted(groups)]
    return {"roleAssignmentScheduleInstances": [], "roleEligibilityScheduleInstances": instances,
            "roleActivationRequests": activations, "rolePrincipals": principals}


def render_snapshot(b: Baseline) -> str:
    """`ztb plan --format snapshot`: the ideal snapshot as JSON text."""
    return dumps(ideal_snapshot(b))

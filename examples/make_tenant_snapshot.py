"""Regenerate examples/tenant-snapshot.json: the sample stack's tenant after a few months of
portal changes, for trying `ztb drift` without a tenant.

    python examples/make_tenant_snapshot.py            # rewrites examples/tenant-snapshot.json
    ztb drift --config Pulumi.dev.yaml --snapshot examples/tenant-snapshot.json

It starts from the ideal snapshot of Pulumi.dev.yaml (what `ztb plan --format snapshot` writes)
and applies the drift below, each a change people really make, plus some of Graph's own noise
(respelled durations, reordered lists, new timestamps) that must *not* be reported. Deterministic:
running it twice gives the same file.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ztb.config import load_stack_file  # noqa: E402
from ztb.model.baseline import build  # noqa: E402
from ztb.tenant.ideal import ideal_snapshot  # noqa: E402
from ztb.tenant.snapshot import dumps  # noqa: E402

OUT = REPO / "examples" / "tenant-snapshot.json"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
HELPDESK_CONTRACTORS = "c0a7ac70-0000-4000-8000-00000000c0a7"
#: A helpdesk account someone "temporarily" put into the emergency-access group during an incident.
HELPDESK_ACCOUNT = "4e1bde5c-0000-4000-8000-0000000004e1"
CHANGED_AT = "2025-03-14T09:26:53.5897932Z"
#: A migration account synced from on-premises, made Global Administrator directly (not through PIM), for good.
MIGRATION_ACCOUNT = "5ec0ffee-0000-4000-8000-0000000005ec"

#: What each change is and the finding it must produce (tests/drift/test_examples.py checks this list).
EXPECTED = {
    "PRIV-CA-05": ("notEnforced", "weakens", "risky-sign-in policy flipped to report-only 'to test something'"),
    "PRIV-CA-01": ("changed", "weakens", "a contractors group excluded from phishing-resistant MFA"),
    "PRIV-GRP-02": ("changed", "weakens", "a helpdesk account added to the emergency-access exclusion group (excluded from every privileged policy)"),
    "PRIV-PIM-62e90394": ("changed", "weakens", "Global Administrator activation raised from PT1H to PT8H"),
    "PRIV-PIM-e8611ab8": ("changed", "weakens", "approval turned off for Privileged Role Administrator"),
    "PRIV-DEV-01": ("changed", "weakens", "Defender for Endpoint risk allowed raised from low to medium"),
    "UNMANAGED-CA-7e57ad00": ("unmanaged", "weakens", "an old 'Admins MFA' policy without the break-glass exclusion"),
    "UNCOVERED-ROLE-0526716b": ("uncovered", "weakens", "a built-in role newly labelled privileged (simulated)"),
    "STANDING-5ec0ffee-62e90394": ("standingAccess", "weakens", "a migration account made Global Administrator permanently"),
    "OUTSIDE-PIM-5ec0ffee-62e90394": ("standingAccess", "weakens", "... directly in the portal's role blade, not through PIM"),
    "SYNCED-5ec0ffee": ("standingAccess", "weakens", "... and synced from on-premises Active Directory"),
}


def _policy(snap: dict, control_id: str) -> dict:
    return next(p for p in snap["conditionalAccessPolicies"] if f" {control_id} " in p["displayName"])


def _rule(snap: dict, role: str, rule_id: str) -> dict:
    policy_id = next(a["policyId"] for a in snap["roleManagementPolicyAssignments"] if a["roleDefinitionId"] == role)
    policy = next(p for p in snap["roleManagementPolicies"] if p["id"] == policy_id)
    policy["lastModifiedDateTime"] = CHANGED_AT
    policy["lastModifiedBy"] = {"displayName": "Sam Admin", "id": None}
    return next(r for r in policy["rules"] if r["id"] == rule_id)


def drifted() -> dict:
    snap = copy.deepcopy(ideal_snapshot(build(load_stack_file(REPO / "Pulumi.dev.yaml"))))
    snap["exportedAt"] = "2025-04-01T02:00:07Z"
    snap["toolVersion"] = "ztb 0.1.0 (example: examples/make_tenant_snapshot.py)"

    # --- drift -------------------------------------------------------------------------------
    ca05 = _policy(snap, "PRIV-CA-05")
    ca05.update(state="enabledForReportingButNotEnforced", modifiedDateTime=CHANGED_AT)
    ca01 = _policy(snap, "PRIV-CA-01")
    ca01["conditions"]["users"]["excludeGroups"].append(HELPDESK_CONTRACTORS)
    ca01["modifiedDateTime"] = CHANGED_AT
    emergency = next(g for g in snap["groups"] if g["displayName"] == "ZTB Emergency Access Exclusion")
    emergency["members"].append({"@odata.type": "#microsoft.graph.user", "id": HELPDESK_ACCOUNT})
    _rule(snap, GLOBAL_ADMIN, "Expiration_EndUser_Assignment")["maximumDuration"] = "PT8H"
    _rule(snap, PRIVILEGED_ROLE_ADMIN, "Approval_EndUser_Assignment")["setting"]["isApprovalRequired"] = False
    device = snap["deviceCompliancePolicies"][0]
    device.update(deviceThreatProtectionRequiredSecurityLevel="medium", version=3, lastModifiedDateTime=CHANGED_AT)

    legacy = copy.deepcopy(_policy(snap, "PRIV-CA-04"))
    legacy.update(id="7e57ad00-5f1b-4c8e-9d3a-1b2c3d4e5f60", displayName="Admins MFA (old, do not delete)", state="enabled",
                  createdDateTime="2021-06-02T11:04:12.1234567Z", modifiedDateTime=None, sessionControls=None)
    legacy["conditions"]["users"].update(includeGroups=[], excludeGroups=[], excludeUsers=[], includeRoles=[GLOBAL_ADMIN])
    legacy["conditions"]["userRiskLevels"] = []
    legacy["grantControls"]["builtInControls"] = ["mfa"]
    legacy["grantControls"]["operator"] = "OR"
    legacy["grantControls"]["authenticationStrength"] = None
    snap["conditionalAccessPolicies"].append(legacy)

    # Microsoft labels a role privileged after the catalogue was written (simulated: today's
    # label for Authentication Policy Administrator is not privileged).
    snap["roleDefinitions"].append({"id": "0526716b-113d-4c15-b2c8-68e3c22b9f80", "displayName": "Authentication Policy Administrator",
                                    "templateId": "0526716b-113d-4c15-b2c8-68e3c22b9f80", "isBuiltIn": True, "isPrivileged": True})

    # Standing access: a synced migration account holds Global Administrator permanently, assigned
    # outside PIM (no schedule start), as rbacapplication-list-roleassignmentscheduleinstances shows them.
    snap["roleAssignmentScheduleInstances"].append({
        "id": "lAPpYvVpN0KRkAEhdxReEP7_wF4AAEBAgAAAAAAABew-1", "principalId": MIGRATION_ACCOUNT, "roleDefinitionId": GLOBAL_ADMIN,
        "directoryScopeId": "/", "assignmentType": "Assigned", "memberType": "Direct", "startDateTime": None, "endDateTime": None})
    snap["rolePrincipals"].append({"@odata.type": "#microsoft.graph.user", "id": MIGRATION_ACCOUNT, "displayName": "Migration (temp)",
                                   "userPrincipalName": "migration@contoso.com", "onPremisesSyncEnabled": True, "accountEnabled": True})

    # --- the rest of a tenant, none of it drift ----------------------------------------------
    for activation in snap["roleActivationRequests"]:  # the admins activated their roles this quarter
        activation["createdDateTime"] = "2025-03-27T08:15:02.6407529Z"
    guests = copy.deepcopy(_policy(snap, "PRIV-CA-02"))
    guests.update(id="9e5700aa-0000-4c8e-9d3a-000000000001", displayName="Guests: require MFA", state="enabled")
    guests["conditions"]["users"].update(includeUsers=["GuestsOrExternalUsers"], includeGroups=[], includeRoles=[])
    guests["grantControls"]["builtInControls"] = ["mfa"]
    retired = copy.deepcopy(_policy(snap, "PRIV-CA-03"))
    retired.update(id="9e5700aa-0000-4c8e-9d3a-000000000002", displayName="Old admin device policy", state="disabled")
    snap["conditionalAccessPolicies"] += [guests, retired]
    snap["namedLocations"].append({
        "@odata.type": "#microsoft.graph.countryNamedLocation", "id": "1c4427fd-0885-4a3d-8b23-09a899ffa959",
        "displayName": "Blocked countries", "createdDateTime": "2021-01-12T19:10:38Z", "modifiedDateTime": "2021-01-12T19:10:38Z",
        "countriesAndRegions": ["CA", "IN"], "includeUnknownCountriesAndRegions": False,
    })
    snap["roleDefinitions"].append({"id": "f023fd81-a637-4b56-95fd-791ac0226033", "displayName": "Service Support Administrator",
                                    "templateId": "f023fd81-a637-4b56-95fd-791ac0226033", "isBuiltIn": True, "isPrivileged": False})

    # --- Graph's own noise: must not be reported ----------------------------------------------
    for policy in snap["conditionalAccessPolicies"]:
        policy["conditions"]["users"]["includeRoles"].sort()
    _rule(snap, "194ae4cb-b126-40b2-bd5b-6091b380977d", "Expiration_EndUser_Assignment")["maximumDuration"] = "PT120M"  # = PT2H
    for policy in snap["roleManagementPolicies"]:
        policy["rules"].sort(key=lambda r: r["id"])
    for group in snap["groups"]:
        if "members" in group:  # Graph lists members in its own order, and types them as directory objects
            group["members"].sort(key=lambda m: m["id"], reverse=True)
    # What terraform-provider-azuread sends with a policy whose sign-in frequency is time-based:
    # both switched off, both "no session control" to drift.
    _policy(snap, "PRIV-CA-06")["sessionControls"].update(applicationEnforcedRestrictions={"isEnabled": False},
                                                          disableResilienceDefaults=False)
    return snap


def main() -> None:
    OUT.write_text(dumps(drifted()) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()

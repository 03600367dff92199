"""A tenant-wide policy that reaches admins on purpose can be accepted, but never hides a weakening."""

from __future__ import annotations

import copy

from tests.conftest import stack_values
from ztb.config import split_namespace, validate
from ztb.drift.detect import detect
from ztb.model.baseline import build

from tests.drift.test_detect import BREAK_GLASS_USER, IDEAL, SAMPLE

ALL_USERS_MFA = "a11a11a1-0000-4000-8000-0000000000a1"
EMERGENCY_GROUP = next(g["id"] for g in IDEAL["groups"] if g["displayName"] == "ZTB Emergency Access Exclusion")


def tenant_wide_mfa(excluded_users: list[str]) -> dict:
    return {
        "id": ALL_USERS_MFA, "displayName": "All users: require MFA", "state": "enabled",
        "createdDateTime": "2024-01-01T00:00:00Z", "modifiedDateTime": None, "templateId": None,
        "conditions": {
            "users": {"includeUsers": ["All"], "excludeUsers": excluded_users, "includeGroups": [], "excludeGroups": [EMERGENCY_GROUP],
                      "includeRoles": [], "excludeRoles": []},
            "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
            "clientAppTypes": ["all"], "signInRiskLevels": [], "userRiskLevels": [], "platforms": None, "locations": None,
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [], "termsOfUse": []},
        "sessionControls": None,
    }


def snapshot_with(policy: dict) -> dict:
    snap = copy.deepcopy(IDEAL)
    snap["conditionalAccessPolicies"].append(policy)
    return snap


def accepting() -> object:
    values = split_namespace(stack_values(), "test")
    values["acceptedUnmanagedPolicies"] = [{"id": ALL_USERS_MFA, "reason": "tenant-wide MFA baseline"}]
    return build(validate(values))


BREAK_GLASS = ["0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"]


def test_a_tenant_wide_policy_reaching_admins_is_reported_as_unmanaged_by_default():
    report = detect(SAMPLE, snapshot_with(tenant_wide_mfa(BREAK_GLASS)))
    assert [f.status for f in report.findings] == ["unmanaged"]
    assert not report.in_sync


def test_an_accepted_harmless_policy_is_listed_not_drift():
    report = detect(accepting(), snapshot_with(tenant_wide_mfa(BREAK_GLASS)))
    assert report.in_sync
    assert report.as_dict()["accepted"] == [{"id": ALL_USERS_MFA, "displayName": "All users: require MFA", "reason": "tenant-wide MFA baseline"}]


def test_an_accepted_policy_that_loses_the_break_glass_exclusion_is_reported_again():
    report = detect(accepting(), snapshot_with(tenant_wide_mfa([BREAK_GLASS_USER])))
    assert [(f.status, f.impact) for f in report.findings] == [("unmanaged", "weakens")]

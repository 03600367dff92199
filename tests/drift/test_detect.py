"""Drift against the sample stack: one compliant tenant, one change per case (ScubaGear-style)."""

from __future__ import annotations

import copy
import json
from typing import Callable

import pytest

from tests.conftest import SAMPLE_STACK, stack_values
from ztb.config import load_stack_file
from ztb.config import validate as validate_config
from ztb.drift.detect import DriftError, detect, mark_history
from ztb.model.baseline import Baseline, build
from ztb.tenant.ideal import ideal_snapshot

SAMPLE = build(load_stack_file(SAMPLE_STACK))
IDEAL = ideal_snapshot(SAMPLE)
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
BREAK_GLASS_USER = "0b5e0a11-0000-4000-8000-000000000001"
OTHER_GROUP = "5ca1ab1e-0000-4000-8000-0000000000ff"


def ideal() -> dict:
    return copy.deepcopy(IDEAL)


def ca(snap: dict, control_id: str) -> dict:
    return next(p for p in snap["conditionalAccessPolicies"] if f" {control_id} " in p["displayName"])


def group_id(snap: dict, name: str) -> str:
    return next(g["id"] for g in snap["groups"] if g["displayName"] == name)


def pim_rule(snap: dict, role: str, rule_id: str) -> dict:
    policy_id = next(a["policyId"] for a in snap["roleManagementPolicyAssignments"] if a["roleDefinitionId"] == role)
    policy = next(p for p in snap["roleManagementPolicies"] if p["id"] == policy_id)
    return next(r for r in policy["rules"] if r["id"] == rule_id)


def findings(snap: dict, baseline=SAMPLE) -> dict[str, dict]:
    report = detect(baseline, snap)
    return {f.control_id: f.as_dict() for f in report.findings}


def test_the_ideal_snapshot_of_the_sample_stack_is_in_sync():
    report = detect(SAMPLE, ideal())
    assert report.in_sync and report.findings == []
    # Manual checks are reported as not checked, never silently dropped; the snapshot holds the role
    # schedules, so the eligible assignments and PRIV-MAN-04 (the Global Administrator count) are checked.
    assert set(report.not_checked) == {c.id for c in SAMPLE.controls if c.kind == "manualCheck"} - {"PRIV-MAN-04"}


def _state(control_id: str, state: str) -> Callable[[dict], None]:
    return lambda s: ca(s, control_id).__setitem__("state", state)


def _drop_emergency_group(s: dict) -> None:
    ca(s, "PRIV-CA-03")["conditions"]["users"]["excludeGroups"].remove(group_id(s, "ZTB Emergency Access Exclusion"))


def _raise_activation(s: dict) -> None:
    pim_rule(s, GLOBAL_ADMIN, "Expiration_EndUser_Assignment")["maximumDuration"] = "PT8H"


def _approval_off(s: dict) -> None:
    pim_rule(s, GLOBAL_ADMIN, "Approval_EndUser_Assignment")["setting"]["isApprovalRequired"] = False


def _unassign_compliance(s: dict) -> None:
    s["deviceCompliancePolicies"][0]["assignments"] = []


def _weaker_strength(s: dict) -> None:
    ca(s, "PRIV-CA-01")["grantControls"]["authenticationStrength"]["id"] = "00000000-0000-0000-0000-000000000002"


MUTATIONS = {
    "state to report-only": (_state("PRIV-CA-01", "enabledForReportingButNotEnforced"), "PRIV-CA-01", "notEnforced", "report-only"),
    "state to disabled": (_state("PRIV-CA-07", "disabled"), "PRIV-CA-07", "notEnforced", "disabled"),
    "break-glass group exclusion removed": (_drop_emergency_group, "PRIV-CA-03", "changed", "emergency-access exclusion is gone"),
    "break-glass user exclusion removed": (lambda s: ca(s, "PRIV-CA-05")["conditions"]["users"]["excludeUsers"].remove(BREAK_GLASS_USER),
                                           "PRIV-CA-05", "changed", "emergency-access exclusion is gone"),
    "extra excluded group": (lambda s: ca(s, "PRIV-CA-02")["conditions"]["users"]["excludeGroups"].append(OTHER_GROUP),
                             "PRIV-CA-02", "changed", "more left outside the policy"),
    "MFA removed from grant controls": (lambda s: ca(s, "PRIV-CA-04")["grantControls"]["builtInControls"].remove("riskRemediation"),
                                        "PRIV-CA-04", "changed", "riskRemediation removed"),
    "risk remediation read back as Graph's sentinel": (
        lambda s: ca(s, "PRIV-CA-04")["grantControls"].__setitem__("builtInControls", ["unknownFutureValue"]),
        "PRIV-CA-04", "changed", "riskRemediation removed"),
    "device code flow no longer blocked": (
        lambda s: ca(s, "PRIV-CA-11")["conditions"]["authenticationFlows"].__setitem__("transferMethods", "authenticationTransfer"),
        "PRIV-CA-11", "changed", "devicecodeflow no longer covered"),
    "authentication flows condition dropped to none": (
        lambda s: ca(s, "PRIV-CA-11")["conditions"]["authenticationFlows"].__setitem__("transferMethods", "none"),
        "PRIV-CA-11", "changed", "no longer covered"),
    "security info registration opened to every strength": (
        lambda s: ca(s, "PRIV-CA-09")["grantControls"].__setitem__("authenticationStrength", None),
        "PRIV-CA-09", "changed", "authentication strength"),
    "device registration user action removed": (
        lambda s: ca(s, "PRIV-CA-10")["conditions"]["applications"].__setitem__("includeUserActions", []),
        "PRIV-CA-10", "changed", "urn:user:registerdevice"),
    "gallery app removed from the security tools policy": (
        lambda s: ca(s, "PRIV-CA-08")["conditions"]["applications"]["includeApplications"].pop(),
        "PRIV-CA-08", "changed", "fewer sign-ins covered"),
    "ring group no longer role-assignable": (
        lambda s: next(g for g in s["groups"] if g["displayName"].endswith("Ring 1 - Evaluate")).__setitem__("isAssignableToRole", False),
        "PRIV-GRP-11", "changed", "is assignable to role"),
    "phishing-resistant strength downgraded": (_weaker_strength, "PRIV-CA-01", "changed", "authentication strength"),
    "role dropped from the policy": (lambda s: ca(s, "PRIV-CA-06")["conditions"]["users"]["includeRoles"].remove(GLOBAL_ADMIN),
                                     "PRIV-CA-06", "changed", "fewer sign-ins covered"),
    "persistent browser allowed": (lambda s: ca(s, "PRIV-CA-06")["sessionControls"]["persistentBrowser"].__setitem__("mode", "always"),
                                   "PRIV-CA-06", "changed", "persistent browser"),
    "PIM activation duration raised": (_raise_activation, "PRIV-PIM-62e90394", "changed", "PT1H → PT8H"),
    "PIM approval turned off": (_approval_off, "PRIV-PIM-62e90394", "changed", "is approval required"),
    "PIM MFA on activation removed": (lambda s: pim_rule(s, SECURITY_ADMIN, "Enablement_EndUser_Assignment")["enabledRules"].remove("MultiFactorAuthentication"),
                                      "PRIV-PIM-194ae4cb", "changed", "MultiFactorAuthentication"),
    "compliance assignment removed": (_unassign_compliance, "PRIV-DEV-01", "changed", "no longer evaluated"),
    "compliance assignment turned into an exclusion": (
        lambda s: s["deviceCompliancePolicies"][0]["assignments"][0]["target"].__setitem__("@odata.type", "#microsoft.graph.exclusionGroupAssignmentTarget"),
        "PRIV-DEV-01", "changed", "no longer evaluated"),
    "compliance firewall off": (lambda s: s["deviceCompliancePolicies"][0].__setitem__("activeFirewallRequired", False),
                                "PRIV-DEV-01", "changed", "active firewall required"),
    "CA policy deleted": (lambda s: s["conditionalAccessPolicies"].remove(ca(s, "PRIV-CA-08")), "PRIV-CA-08", "missing", "deleted"),
    "PIM assignment gone": (lambda s: s["roleManagementPolicyAssignments"].pop(0), "PRIV-PIM-db506228", "missing", "no PIM policy"),
    "compliance policy deleted": (lambda s: s["deviceCompliancePolicies"].remove(next(p for p in s["deviceCompliancePolicies"] if "PRIV-DEV-01" in p["displayName"])), "PRIV-DEV-01", "missing", "deleted"),
    "referenced group deleted": (lambda s: s["groups"].remove(next(g for g in s["groups"] if g["id"] == "0ca0e8c1-0000-4000-8000-000000000003")),
                                 "PRIV-GRP-03", "missing", "not in the tenant"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_each_weakening_change_is_reported_on_its_control(name):
    mutate, control_id, status, words = MUTATIONS[name]
    snap = ideal()
    mutate(snap)
    found = findings(snap)
    assert list(found) == [control_id], found
    finding = found[control_id]
    assert finding["status"] == status
    assert finding["impact"] == "weakens"
    assert words in finding["reason"]
    if status == "changed" or status == "notEnforced":
        assert finding["changes"] and all({"path", "desired", "actual", "impact"} <= set(c) for c in finding["changes"])


def test_changes_name_each_field_with_desired_and_actual():
    snap = ideal()
    _raise_activation(snap)
    _approval_off(snap)
    changes = findings(snap)["PRIV-PIM-62e90394"]["changes"]
    assert {(c["path"], json.dumps(c["desired"]), json.dumps(c["actual"])) for c in changes} == {
        ("rules[Expiration_EndUser_Assignment].maximumDuration", '"PT1H"', '"PT8H"'),
        ("rules[Approval_EndUser_Assignment].setting.isApprovalRequired", "true", "false"),
    }


def test_an_extra_grant_control_is_drift_that_strengthens():
    snap = ideal()
    ca(snap, "PRIV-CA-03")["grantControls"]["builtInControls"].append("mfa")
    finding = findings(snap)["PRIV-CA-03"]
    assert (finding["status"], finding["impact"]) == ("changed", "strengthens")
    assert not detect(SAMPLE, snap).in_sync


def test_graph_noise_is_not_drift():
    snap = ideal()
    for policy in snap["conditionalAccessPolicies"]:
        policy["conditions"]["users"]["includeRoles"].reverse()
        policy["conditions"]["applications"]["includeApplications"] = [a.lower() for a in policy["conditions"]["applications"]["includeApplications"]]
        if not policy["conditions"]["userRiskLevels"]:
            policy["conditions"]["userRiskLevels"] = None  # null vs []
        policy["modifiedDateTime"] = "2025-06-01T10:00:00.1234567Z"
        if policy["grantControls"]:
            policy["grantControls"].pop("authenticationStrength@odata.context")
    pim_rule(snap, GLOBAL_ADMIN, "Expiration_EndUser_Assignment")["maximumDuration"] = "PT60M"  # = PT1H
    pim_rule(snap, SECURITY_ADMIN, "Expiration_Admin_Eligibility")["maximumDuration"] = "PT4320H"  # = P180D
    pim_rule(snap, SECURITY_ADMIN, "Enablement_EndUser_Assignment")["enabledRules"].reverse()
    for policy in snap["roleManagementPolicies"]:
        policy["rules"].reverse()
        policy["lastModifiedDateTime"] = "2025-06-01T10:00:00Z"
    snap["deviceCompliancePolicies"][0]["version"] = 9
    snap["groups"][0]["createdDateTime"] = "2024-02-02T00:00:00Z"
    assert findings(snap) == {}


def test_unmanaged_policy_reaching_a_privileged_role_is_reported():
    snap = ideal()
    extra = copy.deepcopy(ca(snap, "PRIV-CA-02"))
    extra.update(id="f00dcafe-0000-4000-8000-000000000001", displayName="Helpdesk legacy exception", state="enabled")
    extra["conditions"]["users"].update(includeGroups=[], includeRoles=[SECURITY_ADMIN], excludeGroups=[], excludeUsers=[])
    snap["conditionalAccessPolicies"].append(extra)
    found = findings(snap)
    assert list(found) == ["UNMANAGED-CA-f00dcafe"]
    assert found["UNMANAGED-CA-f00dcafe"]["status"] == "unmanaged"
    assert found["UNMANAGED-CA-f00dcafe"]["impact"] == "weakens"  # it does not exclude the break-glass accounts
    assert "1 privileged role" in found["UNMANAGED-CA-f00dcafe"]["reason"]


def test_unmanaged_policy_that_keeps_the_break_glass_exclusion_and_only_adds_grants_is_neutral():
    snap = ideal()
    extra = copy.deepcopy(ca(snap, "PRIV-CA-03"))
    extra.update(id="f00dcafe-0000-4000-8000-000000000002", displayName="All users MFA", state="enabledForReportingButNotEnforced")
    extra["conditions"]["users"].update(includeUsers=["All"], includeGroups=[], includeRoles=[])
    snap["conditionalAccessPolicies"].append(extra)
    found = findings(snap)["UNMANAGED-CA-f00dcafe"]
    assert (found["status"], found["impact"]) == ("unmanaged", "neutral")
    assert "All users" in found["reason"] and "report-only" in found["reason"]


def test_disabled_or_unrelated_policies_outside_the_baseline_are_not_reported():
    snap = ideal()
    disabled = copy.deepcopy(ca(snap, "PRIV-CA-02"))
    disabled.update(id="0ff00000-0000-4000-8000-000000000001", displayName="Old admin policy", state="disabled")
    unrelated = copy.deepcopy(ca(snap, "PRIV-CA-02"))
    unrelated.update(id="0ff00000-0000-4000-8000-000000000002", displayName="Guests", state="enabled")
    unrelated["conditions"]["users"].update(includeUsers=["GuestsOrExternalUsers"], includeGroups=[OTHER_GROUP], includeRoles=[])
    snap["conditionalAccessPolicies"] += [disabled, unrelated]
    assert findings(snap) == {}


def test_privileged_built_in_role_outside_the_scope_is_uncovered():
    snap = ideal()
    snap["roleDefinitions"].append({"id": "0526716b-113d-4c15-b2c8-68e3c22b9f80", "displayName": "Authentication Policy Administrator",
                                    "templateId": "0526716b-113d-4c15-b2c8-68e3c22b9f80", "isBuiltIn": True, "isPrivileged": True})
    snap["roleDefinitions"].append({"id": "c0ffee00-0000-4000-8000-000000000001", "displayName": "Custom privileged",
                                    "templateId": None, "isBuiltIn": False, "isPrivileged": True})
    found = findings(snap)
    assert list(found) == ["UNCOVERED-ROLE-0526716b"]
    assert (found["UNCOVERED-ROLE-0526716b"]["status"], found["UNCOVERED-ROLE-0526716b"]["impact"]) == ("uncovered", "weakens")


def test_a_role_removed_on_purpose_is_not_uncovered():
    values = {k.split(":", 1)[1]: v for k, v in stack_values().items() if k.startswith("ztb:")}
    values["roles"] = {"add": [], "remove": ["Directory Writers"]}
    baseline = build(validate_config(values))
    assert baseline.warnings  # `ztb plan` already warns about it
    assert findings(ideal_snapshot(baseline), baseline) == {}


def test_a_created_group_missing_from_the_tenant_is_an_error_not_an_empty_exclusion():
    snap = ideal()
    snap["groups"] = [g for g in snap["groups"] if g["displayName"] != "ZTB Emergency Access Exclusion"]
    with pytest.raises(DriftError, match="PRIV-GRP-02 'ZTB Emergency Access Exclusion', which is not in the snapshot"):
        detect(SAMPLE, snap)


def test_two_groups_with_the_stack_name_is_an_error():
    snap = ideal()
    twin = copy.deepcopy(next(g for g in snap["groups"] if g["displayName"] == "ZTB Privileged Users"))
    twin["id"] = "7a170000-0000-4000-8000-000000000001"
    snap["groups"].append(twin)
    with pytest.raises(DriftError, match="2 groups are named 'ZTB Privileged Users'"):
        detect(SAMPLE, snap)


def test_a_same_named_copy_of_a_baseline_policy_is_judged_as_unmanaged():
    snap = ideal()
    copy_ = copy.deepcopy(ca(snap, "PRIV-CA-01"))
    copy_["id"] = "c0b1e500-0000-4000-8000-000000000001"
    copy_["conditions"]["users"]["excludeGroups"].append(OTHER_GROUP)
    snap["conditionalAccessPolicies"].append(copy_)
    found = findings(snap)
    assert list(found) == ["UNMANAGED-CA-c0b1e500"]  # the exact one is the stack's; the copy is extra


def test_previous_run_marks_findings_new_persisting_and_fixed():
    first = ideal()
    _raise_activation(first)
    _state("PRIV-CA-01", "disabled")(first)
    previous = detect(SAMPLE, first).as_dict()["findings"]
    second = ideal()
    _raise_activation(second)
    _unassign_compliance(second)
    report = detect(SAMPLE, second)
    mark_history(report, previous)
    trends = {f.control_id: f.trend for f in report.findings}
    assert trends == {"PRIV-PIM-62e90394": "persisting", "PRIV-DEV-01": "new", "PRIV-CA-01": "fixed"}
    assert not report.in_sync
    # Fixed findings alone do not make drift.
    third = detect(SAMPLE, ideal())
    mark_history(third, report.as_dict()["findings"])
    assert third.in_sync and {f.trend for f in third.findings} == {"fixed"}
    assert {f.control_id for f in third.findings} == {"PRIV-PIM-62e90394", "PRIV-DEV-01"}


def other_stack(**changes) -> Baseline:
    values = {k.split(":", 1)[1]: v for k, v in stack_values().items() if k.startswith("ztb:")}
    values.update(changes)
    return build(validate_config(values))


EXISTING_POLICY = "e1157100-0000-4000-8000-000000000001"
EXISTING_EMERGENCY = "e1e00000-0000-4000-8000-000000000002"
OWNER = "0a0e0000-0000-4000-8000-0000000000aa"


def test_an_existing_compliance_policy_is_matched_by_id_and_its_assignment_checked():
    baseline = other_stack(deviceCompliance={"enabled": True, "assignExistingPolicyIds": [EXISTING_POLICY]})
    snap = ideal_snapshot(baseline)
    assert findings(snap, baseline) == {}
    existing = next(p for p in snap["deviceCompliancePolicies"] if p["id"] == EXISTING_POLICY)
    existing["assignments"] = []
    found = findings(snap, baseline)
    assert list(found) == ["PRIV-DEV-11"] and found["PRIV-DEV-11"]["impact"] == "weakens"
    snap["deviceCompliancePolicies"].remove(existing)
    assert findings(snap, baseline)["PRIV-DEV-11"]["status"] == "missing"


def test_a_report_only_stack_is_not_owed_enforcement_but_disabling_it_still_weakens():
    baseline = other_stack(phase="evaluate", reportOnly=True, emergencyAccessGroupId=EXISTING_EMERGENCY, emergencyAccessUserIds=[],
                           groupOwners=[OWNER])
    snap = ideal_snapshot(baseline)
    assert findings(snap, baseline) == {}
    ca(snap, "PRIV-CA-02")["state"] = "disabled"
    found = findings(snap, baseline)["PRIV-CA-02"]
    assert (found["status"], found["impact"]) == ("changed", "weakens")
    ca(snap, "PRIV-CA-03")["conditions"]["users"]["excludeGroups"].remove(EXISTING_EMERGENCY)
    assert "emergency-access exclusion is gone" in findings(snap, baseline)["PRIV-CA-03"]["reason"]

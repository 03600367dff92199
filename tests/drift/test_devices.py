"""Drift on the device objects: an in-sync tenant built from Microsoft's documented payloads is clean, and
a relaxed setting, a removed assignment, secureByDefault off, an allowed platform added or a role holder
outside the privileged group is reported as weakening."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import SAMPLE_STACK
from tests.doubles.graph import sample
from ztb.config import load_stack_file
from ztb.drift.detect import detect
from ztb.drift.report import DriftError
from ztb.model.baseline import build
from ztb.tenant.ideal import ideal_snapshot
from ztb.tenant.snapshot import validate

SAMPLE = build(load_stack_file(SAMPLE_STACK))
IDEAL = ideal_snapshot(SAMPLE)
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
OUTSIDER = "ad000000-0000-4000-8000-0000000000ee"
#: The documented create response of each type: every property Graph returns, at its documented value.
DOCUMENTED = {
    "#microsoft.graph.macOSCompliancePolicy": "intune-macoscompliancepolicy-create.response.json",
    "#microsoft.graph.iosCompliancePolicy": "intune-ioscompliancepolicy-create.response.json",
    "#microsoft.graph.androidWorkProfileCompliancePolicy": "intune-androidworkprofilecompliancepolicy-create.response.json",
    "#microsoft.graph.androidDeviceOwnerCompliancePolicy": "intune-androiddeviceownercompliancepolicy-create.response.json",
    "#microsoft.graph.windows10CompliancePolicy": "intune-windows10compliancepolicy-create.response.json",
    "#microsoft.graph.iosManagedAppProtection": "intune-iosmanagedappprotection-create.response.json",
}


def _as_graph_returns(policy: dict) -> dict:
    """The ideal policy over its type's documented response: Graph's other properties (defaults,
    server-set fields, OData annotations) present as documented, the baseline's settings as set."""
    name = DOCUMENTED.get(policy["@odata.type"])
    base = sample(name) if name else {}
    ours = {k: v for k, v in policy.items() if not k.startswith("assignments")}
    assignments = [{"@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment", **a,
                    "target": {**a["target"], "@odata.type": a["target"]["@odata.type"].lstrip("#")}}
                   for a in policy["assignments"]]
    return {**base, **ours, "assignments": assignments}


def documented_tenant() -> dict:
    snap = copy.deepcopy(IDEAL)
    snap["deviceCompliancePolicies"] = [_as_graph_returns(p) for p in snap["deviceCompliancePolicies"]]
    snap["managedAppPolicies"] = [_as_graph_returns(p) for p in snap["managedAppPolicies"]]
    documented = sample("intune-devicemanagement-get.response.json")["value"]["settings"]
    snap["deviceManagementSettings"] = [copy.deepcopy(documented)]  # documented with secureByDefault true
    return validate(snap, "documented tenant")


def findings(snap: dict) -> dict[str, dict]:
    return {f.control_id: f.as_dict() for f in detect(SAMPLE, snap).findings}


def policy(snap: dict, collection: str, control_id: str) -> dict:
    return next(p for p in snap[collection] if f" {control_id} " in p["displayName"])


def test_a_tenant_in_sync_built_from_documented_payloads_is_clean():
    snap = documented_tenant()
    # The documented bodies hold settings the baseline leaves alone: they are Graph's, not drift.
    ios = policy(snap, "deviceCompliancePolicies", "PRIV-DEV-03")
    assert ios["managedEmailProfileRequired"] is True and ios["osMaximumVersion"] == "Os Maximum Version value"
    assert policy(snap, "managedAppPolicies", "PRIV-MAM-01")["faceIdBlocked"] is True
    assert findings(snap) == {}


def test_the_ideal_snapshot_is_clean_too():
    assert findings(copy.deepcopy(IDEAL)) == {}


@pytest.mark.parametrize("control,collection,change,words", [
    ("PRIV-DEV-03", "deviceCompliancePolicies", {"passcodeMinimumLength": 4}, "passcode minimum length: 6 → 4"),
    ("PRIV-DEV-03", "deviceCompliancePolicies", {"passcodeMinutesOfInactivityBeforeLock": 60}, "5 → 60"),
    ("PRIV-DEV-03", "deviceCompliancePolicies", {"securityBlockJailbrokenDevices": False}, "security block jailbroken devices"),
    ("PRIV-DEV-03", "deviceCompliancePolicies", {"deviceThreatProtectionRequiredSecurityLevel": "high"}, "secured → high"),
    ("PRIV-DEV-02", "deviceCompliancePolicies", {"storageRequireEncryption": False}, "storage require encryption"),
    ("PRIV-DEV-04", "deviceCompliancePolicies", {"passwordRequiredType": "deviceDefault"}, "numericComplex → deviceDefault"),
    ("PRIV-DEV-05", "deviceCompliancePolicies", {"passwordPreviousPasswordCountToBlock": 1}, "5 → 1"),
    ("PRIV-DEV-01", "deviceCompliancePolicies", {"defenderVersion": "4.18.2001.0"}, "defender version"),
    ("PRIV-MAM-01", "managedAppPolicies", {"allowedOutboundDataTransferDestinations": "allApps"}, "managedApps → allApps"),
    ("PRIV-MAM-01", "managedAppPolicies", {"minimumPinLength": 4}, "6 → 4"),
    ("PRIV-MAM-02", "managedAppPolicies", {"screenCaptureBlocked": False}, "screen capture blocked"),
])
def test_a_relaxed_setting_is_weakening(control, collection, change, words):
    snap = documented_tenant()
    policy(snap, collection, control).update(change)
    found = findings(snap)
    assert list(found) == [control] and found[control]["impact"] == "weakens"
    assert words in found[control]["reason"], found[control]["reason"]


@pytest.mark.parametrize("control,collection", [("PRIV-DEV-04", "deviceCompliancePolicies"), ("PRIV-MAM-02", "managedAppPolicies")])
def test_a_removed_assignment_is_weakening(control, collection):
    snap = documented_tenant()
    p = policy(snap, collection, control)
    p["assignments"] = p["assignments"][1:]
    found = findings(snap)
    assert list(found) == [control] and found[control]["impact"] == "weakens"
    assert "no longer evaluated" in found[control]["reason"]


def test_a_deleted_app_protection_policy_is_missing_and_weakening():
    snap = documented_tenant()
    snap["managedAppPolicies"] = [p for p in snap["managedAppPolicies"] if "PRIV-MAM-01" not in p["displayName"]]
    found = findings(snap)
    assert list(found) == ["PRIV-MAM-01"] and (found["PRIV-MAM-01"]["status"], found["PRIV-MAM-01"]["impact"]) == ("missing", "weakens")


def test_secure_by_default_off_is_weakening_and_says_how_to_turn_it_on():
    snap = documented_tenant()
    snap["deviceManagementSettings"][0]["secureByDefault"] = False
    found = findings(snap)
    assert list(found) == ["PRIV-DEV-20"] and found["PRIV-DEV-20"]["impact"] == "weakens"
    assert "ztb:deviceCompliance.secureByDefault: true" in found["PRIV-DEV-20"]["reason"]


def test_an_allowed_platform_added_to_PRIV_CA_07_is_weakening():
    snap = documented_tenant()
    block = next(p for p in snap["conditionalAccessPolicies"] if " PRIV-CA-07 " in p["displayName"])
    block["conditions"]["platforms"]["excludePlatforms"].append("linux")
    found = findings(snap)
    assert list(found) == ["PRIV-CA-07"] and found["PRIV-CA-07"]["impact"] == "weakens"


def _holder(principal: str, role: str = GLOBAL_ADMIN, typ: str = "#microsoft.graph.user") -> dict:
    return {"id": f"ra-{principal}-{role[:8]}", "principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/",
            "principal": {"@odata.type": typ, "id": principal}}


def test_a_role_holder_outside_the_privileged_group_is_reported_as_weakening():
    snap = documented_tenant()
    member = next(m["id"] for g in snap["groups"] if g["displayName"] == "ZTB Privileged Users" for m in g["members"])
    snap["roleAssignments"] = [
        _holder(OUTSIDER),                                                   # the finding
        _holder(member),                                                     # in the group: fine
        _holder("0b5e0a11-0000-4000-8000-000000000001"),                     # break-glass: excluded from every policy
        _holder("5e000000-0000-4000-8000-000000000001", typ="#microsoft.graph.servicePrincipal"),  # no devices
        _holder("ad000000-0000-4000-8000-0000000000ef", role="88d8e3e3-8f55-4a1e-953a-9b9898b8876b"),  # Directory Readers: not in scope
    ]
    found = findings(validate(snap, "with role holders"))
    assert list(found) == [f"ROLE-HOLDER-{OUTSIDER[:8]}"]
    finding = found[f"ROLE-HOLDER-{OUTSIDER[:8]}"]
    assert finding["impact"] == "weakens" and "Global Administrator" in finding["reason"]
    assert "not a member of the privileged group" in finding["reason"]


def test_role_holders_are_not_judged_before_the_policies_target_roles():
    from ztb.config import split_namespace, validate as validate_config
    from tests.conftest import stack_values

    values = split_namespace(stack_values(), "test")
    values.update(phase="pilot", reportOnly=True)
    b = build(validate_config(values))
    snap = ideal_snapshot(b)
    snap["roleAssignments"] = [_holder(OUTSIDER)]
    assert [f.control_id for f in detect(b, snap).findings] == []


@pytest.mark.parametrize("collection", ["managedAppPolicies", "deviceManagementSettings", "roleAssignments"])
def test_a_snapshot_from_before_the_device_objects_is_refused_not_read_as_empty(collection):
    snap = documented_tenant()
    del snap[collection]
    with pytest.raises(DriftError, match=f"the snapshot has no {collection} .*re-export"):
        detect(SAMPLE, snap)


def test_a_snapshot_that_skipped_the_role_assignments_is_refused_not_read_as_no_holder():
    snap = documented_tenant()
    snap["roleAssignments"] = []
    snap["skipped"] = {"roleAssignments": "edited by hand"}
    with pytest.raises(DriftError, match="skipped roleAssignments"):
        detect(SAMPLE, snap)


def test_the_privileged_group_without_members_cannot_vouch_for_role_holders():
    snap = documented_tenant()
    snap["roleAssignments"] = [_holder(OUTSIDER)]
    group = next(g for g in snap["groups"] if g["displayName"] == "ZTB Privileged Users")
    group.pop("members")
    with pytest.raises(DriftError):
        detect(SAMPLE, snap)


# --------------------------------------------------------------------------- review judges the same changes


def _update_preview(control: str, collection_type: str, change) -> dict:
    """A `pulumi preview --json` update of one device resource, built from the create fixture's step."""
    import json

    from tests.review.test_review import load, step_of
    from ztb.model.controls import resolve_refs

    doc = load("create")
    template = step_of(doc, "PRIV-DEV-01")
    c = SAMPLE.by_id()[control]
    ids = {k: f"00000000-0000-4000-8000-0000000000{i:02d}" for i, k in enumerate(
        ("privilegedUsers", "emergencyAccess", "ringEvaluate", "ringPilot", "ringFull"))}
    desired = resolve_refs(c.desired, ids)
    old_inputs = {"policy": {k: v for k, v in desired.items() if k != "assignments"}, "assignments": desired["assignments"],
                  "controlId": control, "__provider": template["newState"]["inputs"]["__provider"]}
    new_inputs = json.loads(json.dumps(old_inputs))
    change(new_inputs)
    name = template["urn"].rsplit("::", 1)[1].replace("priv-dev-01", control.lower())
    urn = template["urn"].rsplit("::", 1)[0].replace("ztb:DeviceCompliancePolicy", collection_type) + "::" + name
    if collection_type != "ztb:DeviceCompliancePolicy":
        urn = urn.replace("ztb:index:DeviceCompliance$", "ztb:index:AppProtection$").replace("baseline-compliance", "baseline-app-protection")
    old_state = {**template["newState"], "urn": urn, "type": urn.split("::")[-2].split("$")[-1], "inputs": old_inputs, "outputs": old_inputs}
    step = {"op": "update", "urn": urn, "provider": template["provider"], "oldState": old_state,
            "newState": {**old_state, "inputs": new_inputs}, "detailedDiff": None, "diffReasons": ["policy", "assignments"]}
    doc["steps"] = [doc["steps"][0], step]
    doc["changeSummary"] = {"update": 1}
    return doc


@pytest.mark.parametrize("control,typ,change,words", [
    ("PRIV-DEV-03", "ztb:DeviceCompliancePolicy", lambda d: d["policy"].update(passcodeMinimumLength=4), "6 → 4"),
    ("PRIV-DEV-04", "ztb:DeviceCompliancePolicy", lambda d: d.update(assignments=d["assignments"][:1]), "no longer evaluated"),
    ("PRIV-MAM-01", "ztb:AppProtectionPolicy", lambda d: d["policy"].update(printBlocked=False), "print blocked"),
])
def test_review_judges_a_relaxed_device_policy_as_drift_does(control, typ, change, words):
    from tests.review.test_review import change_of, reviewed

    found = change_of(reviewed(_update_preview(control, typ, change)), control)
    assert found.verdict.impact == "weakens" and words in found.verdict.reason, found.verdict.reason

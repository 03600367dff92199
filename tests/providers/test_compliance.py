"""The Intune compliance provider against the Graph double (beta endpoints, documented shapes)."""

from __future__ import annotations

import base64
import copy

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from tests.conftest import SAMPLE_STACK, param_id
from tests.doubles.graph import graph, graph_server, sample  # noqa: F401 (fixtures)
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.model.controls import resolve_refs
from ztb.providers import ProviderError
from ztb.providers.compliance import DeviceCompliancePolicyProvider, inputs_from_desired

SAMPLE = build(load_stack_file(SAMPLE_STACK))
PRIVILEGED = "9a1e0000-0000-4000-8000-0000000000aa"
OTHER_GROUP = "9a1e0000-0000-4000-8000-0000000000bb"
POLICIES = "/deviceManagement/deviceCompliancePolicies"


def managed_props(**extra) -> dict:
    control = SAMPLE.by_id()["PRIV-DEV-01"]
    rings = {"ringEvaluate": OTHER_GROUP, "ringPilot": OTHER_GROUP, "ringFull": OTHER_GROUP}
    desired = resolve_refs(copy.deepcopy(control.desired), {"privilegedUsers": PRIVILEGED, **rings})
    # The provider's mechanics with one assignment (the model assigns the rings too: tests/model/test_devices.py).
    desired["assignments"] = [a for a in desired["assignments"] if a["target"]["groupId"] == PRIVILEGED]
    return {**inputs_from_desired(desired, assign_only=False), "controlId": control.id, **extra}


def assign_only_props(policy_id: str) -> dict:
    desired = {"id": policy_id, "assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": PRIVILEGED}}]}
    return {**inputs_from_desired(desired, assign_only=True), "controlId": "PRIV-DEV-11"}


def group_ids(assignments: list[dict]) -> list[str]:
    return sorted(a["target"].get("groupId") or a["target"].get("collectionId") for a in assignments)


@pytest.fixture
def provider() -> DeviceCompliancePolicyProvider:
    return DeviceCompliancePolicyProvider()


# --------------------------------------------------------------------------- managed policy


def test_create_posts_the_beta_policy_with_one_block_action_then_assigns_it(graph, provider):
    props = managed_props()
    result = provider.create(props)
    create, assign = graph.sent("POST")
    assert (create.version, create.path) == ("beta", POLICIES)
    assert create.body["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert create.body["tpmRequired"] is True and create.body["deviceThreatProtectionRequiredSecurityLevel"] == "low"
    assert "assignments" not in create.body
    blocks = [c for r in create.body["scheduledActionsForRule"] for c in r["scheduledActionConfigurations"] if c["actionType"] == "block"]
    assert len(blocks) == 1
    assert (assign.version, assign.path) == ("beta", f"{POLICIES}/{result.id}/assign")
    assert assign.body == {"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": PRIVILEGED}}]}
    assert group_ids(graph.compliance_assignments[result.id]) == [PRIVILEGED]


def test_a_policy_without_exactly_one_block_action_is_refused_before_any_call(graph, provider):
    props = managed_props()
    props["policy"]["scheduledActionsForRule"] = []
    assert [f.property for f in provider.check({}, props).failures] == ["policy"]
    with pytest.raises(ProviderError, match="^PRIV-DEV-01: scheduledActionsForRule must hold exactly one block action"):
        provider.create(props)
    assert graph.requests == []


def test_graph_rejecting_the_create_is_one_line_naming_the_resource_and_code(graph, provider):
    graph.fail("POST", rf"^{POLICIES}$", 400, {"error": {"code": "BadRequest", "message": "Compliance policy must have one and only one block scheduled action"}})
    with pytest.raises(ProviderError) as info:
        provider.create(managed_props())
    assert str(info.value) == (
        f"PRIV-DEV-01: POST /beta{POLICIES}: HTTP 400 BadRequest: Compliance policy must have one and only one block scheduled action"
    )


def test_a_failed_assign_deletes_the_new_policy_so_nothing_is_orphaned(graph, provider):
    graph.fail("POST", r"/assign$", 400, {"error": {"code": "BadRequest", "message": "Group not found"}})
    with pytest.raises(ProviderError, match=r"could not assign it \(POST /beta/deviceManagement/deviceCompliancePolicies/.+/assign: HTTP 400 BadRequest: Group not found\); the policy was deleted again"):
        provider.create(managed_props())
    assert graph.compliance == {}
    assert len(graph.sent("DELETE")) == 1


def test_unchanged_policy_sends_no_patch_and_no_assign(graph, provider):
    props = managed_props()
    created = provider.create(props)
    refreshed = provider.read(created.id, created.outs)  # Graph adds defaults, version, ids, typed targets
    assert refreshed.outs["policy"]["osMinimumVersion"] == "10.0.19045.0"
    assert provider.diff(created.id, refreshed.outs, props).changes is False
    writes_before = len(graph.sent("POST")) + len(graph.sent("PATCH"))
    provider.update(created.id, refreshed.outs, props)
    assert len(graph.sent("POST")) + len(graph.sent("PATCH")) == writes_before


def test_changed_setting_patches_only_that_setting_with_its_odata_type(graph, provider):
    props = managed_props()
    created = provider.create(props)
    news = copy.deepcopy(props)
    news["policy"]["deviceThreatProtectionRequiredSecurityLevel"] = "secured"
    assert provider.diff(created.id, created.outs, news).changes is True
    provider.update(created.id, created.outs, news)
    (patch,) = graph.sent("PATCH")
    assert patch.body == {"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "deviceThreatProtectionRequiredSecurityLevel": "secured"}
    assert len(graph.sent("POST", "/assign")) == 1  # only the create's
    assert graph.compliance[created.id]["deviceThreatProtectionRequiredSecurityLevel"] == "secured"


def test_changed_assignment_reassigns_without_patching(graph, provider):
    props = managed_props()
    created = provider.create(props)
    news = copy.deepcopy(props)
    news["assignments"][0]["target"]["groupId"] = OTHER_GROUP
    provider.update(created.id, created.outs, news)
    assert graph.sent("PATCH") == []
    assert graph.sent("POST", "/assign")[-1].body["assignments"] == news["assignments"]
    assert group_ids(graph.compliance_assignments[created.id]) == [OTHER_GROUP]


def test_read_of_a_drifted_policy_shows_the_changed_setting_and_the_portal_assignment(graph, provider):
    props = managed_props()
    created = provider.create(props)
    graph.compliance[created.id]["activeFirewallRequired"] = False
    graph.compliance_assignments[created.id].append(graph._assignment(created.id, {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": OTHER_GROUP}}))
    refreshed = provider.read(created.id, created.outs)
    assert refreshed.outs["policy"]["activeFirewallRequired"] is False
    assert group_ids(refreshed.outs["assignments"]) == sorted([PRIVILEGED, OTHER_GROUP])
    assert [c.path for c in provider.changes(refreshed.outs, props)] == ["activeFirewallRequired", "assignments"]
    provider.update(created.id, refreshed.outs, props)
    assert graph.sent("PATCH")[-1].body == {"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "activeFirewallRequired": True}
    assert group_ids(graph.compliance_assignments[created.id]) == [PRIVILEGED]  # the stack owns this policy's assignments


def test_import_by_policy_id_returns_the_live_policy_as_inputs(graph, provider):
    policy_id = graph.add_compliance_policy()  # the documented windows10CompliancePolicy
    result = provider.read(policy_id, {})
    assert result.id == policy_id
    assert result.inputs["policy"]["displayName"] == "Display Name value"
    assert result.inputs["policy"]["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert result.inputs["assignments"] == []


def test_read_of_a_vanished_policy_returns_no_id(graph, provider):
    created = provider.create(managed_props())
    del graph.compliance[created.id]
    assert provider.read(created.id, created.outs).id is None


def test_delete_deletes_the_policy_and_tolerates_it_being_gone(graph, provider):
    created = provider.create(managed_props())
    provider.delete(created.id, created.outs)
    assert created.id not in graph.compliance
    provider.delete(created.id, created.outs)  # 404: already gone
    assert [r.path for r in graph.sent("DELETE")] == [f"{POLICIES}/{created.id}"] * 2


# --------------------------------------------------------------------------- assign-only (existing policy)


def documented_existing_policy(graph) -> str:
    existing = sample("intune-devicecompliancepolicyassignment-list.response.json")["value"]
    return graph.add_compliance_policy(assignments=existing)


def test_assign_only_keeps_the_assignments_that_are_not_ours(graph, provider):
    policy_id = documented_existing_policy(graph)
    provider.create(assign_only_props(policy_id))
    (assign,) = graph.sent("POST", "/assign")
    sent = assign.body["assignments"]
    assert sent[0]["target"] == {"@odata.type": "microsoft.graph.configurationManagerCollectionAssignmentTarget", "collectionId": "Collection Id value"}
    assert sent[1] == {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": PRIVILEGED}}
    assert graph.sent("PATCH") == [] and graph.sent("DELETE") == []


def test_assign_only_delete_removes_only_our_assignment(graph, provider):
    policy_id = documented_existing_policy(graph)
    created = provider.create(assign_only_props(policy_id))
    provider.delete(created.id, created.outs)
    assert group_ids(graph.compliance_assignments[policy_id]) == ["Collection Id value"]
    assert policy_id in graph.compliance


def test_assign_only_already_assigned_sends_nothing_and_delete_keeps_it(graph, provider):
    ours = {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": PRIVILEGED}}
    policy_id = graph.add_compliance_policy(assignments=[ours])
    created = provider.create(assign_only_props(policy_id))
    provider.delete(created.id, created.outs)
    assert graph.sent("POST") == []
    assert group_ids(graph.compliance_assignments[policy_id]) == [PRIVILEGED]


def test_assign_only_unchanged_read_back_is_not_a_change(graph, provider):
    policy_id = documented_existing_policy(graph)
    props = assign_only_props(policy_id)
    created = provider.create(props)
    refreshed = provider.read(created.id, created.outs)
    assert provider.diff(created.id, refreshed.outs, props).changes is False
    graph.compliance_assignments[policy_id] = [a for a in graph.compliance_assignments[policy_id] if a["target"].get("groupId") != PRIVILEGED]
    drifted = provider.read(created.id, created.outs)
    assert provider.diff(created.id, drifted.outs, props).changes is True


def test_assign_only_of_a_missing_policy_names_it(graph, provider):
    missing = "0f0f0f0f-0000-4000-8000-000000000000"
    with pytest.raises(ProviderError, match=f"^PRIV-DEV-11: existing compliance policy {missing} was not found in Intune"):
        provider.create(assign_only_props(missing))


# --------------------------------------------------------------------------- faults


def test_throttled_assignment_read_is_retried(graph, provider):
    policy_id = documented_existing_policy(graph)
    graph.fail("GET", r"/assignments", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "5"})
    provider.create(assign_only_props(policy_id))
    assert graph.sleeps == [5]
    assert group_ids(graph.compliance_assignments[policy_id]) == sorted(["Collection Id value", PRIVILEGED])


def test_unavailable_once_on_a_patch_is_retried(graph, provider):
    props = managed_props()
    created = provider.create(props)
    news = copy.deepcopy(props)
    news["policy"]["osMinimumVersion"] = "10.0.22631.0"
    graph.fail("PATCH", POLICIES, 503)
    provider.update(created.id, created.outs, news)
    assert len(graph.sent("PATCH")) == 2
    assert graph.compliance[created.id]["osMinimumVersion"] == "10.0.22631.0"


def test_malformed_policy_read_is_one_line(graph, provider):
    created = provider.create(managed_props())
    graph.fail("GET", rf"{POLICIES}/{created.id}$", 200, raw=b"{'not': json}")
    with pytest.raises(ProviderError, match=rf"^PRIV-DEV-01: GET /beta{POLICIES}/{created.id}: InvalidResponse: the answer's body is not valid JSON"):
        provider.read(created.id, created.outs)


def test_update_of_a_policy_deleted_in_the_portal_says_to_refresh(graph, provider):
    props = managed_props()
    created = provider.create(props)
    del graph.compliance[created.id]
    with pytest.raises(ProviderError, match="no longer exists in Intune; run `pulumi refresh`"):
        provider.update(created.id, created.outs, props)


def test_provider_pickles_by_reference():
    blob = base64.b64decode(serialize_provider(DeviceCompliancePolicyProvider()))
    assert len(blob) < 500 and b"ztb.providers.compliance" in blob
    assert isinstance(dill.loads(blob), DeviceCompliancePolicyProvider)


# --------------------------------------------------------------------------- values not known yet (preview)

from pulumi.output import Unknown  # noqa: E402

from ztb.providers import UNKNOWN, has_unknowns, is_unknown  # noqa: E402

ODD_VALUES = [None, "", 1.0, True, {}, [], [1.0], [{"target": Unknown()}], [Unknown()], {"@odata.type": Unknown()}, Unknown(), UNKNOWN]


@pytest.mark.parametrize("odd", ODD_VALUES, ids=param_id)
@pytest.mark.parametrize("key", ["policy", "assignments", "assignOnly", "policyId"])
def test_check_and_diff_take_any_value_in_any_input_without_raising(provider, key, odd):
    for props in (managed_props(), assign_only_props("e0e0e0e0-0000-4000-8000-000000000001")):
        news = {**props, key: odd}
        failures = provider.check({}, news).failures
        result = provider.diff("policy-id", props, news)
        if has_unknowns(odd):
            assert result.changes is True
        if is_unknown(odd):
            assert failures == []


def test_a_fresh_stack_s_unknown_assignments_pass_check_and_the_policy_is_still_judged(provider):
    news = {**managed_props(), "assignments": Unknown()}
    assert provider.check({}, news).failures == []
    news["policy"]["scheduledActionsForRule"] = []
    assert [f.property for f in provider.check({}, news).failures] == ["policy"]


def test_an_unknown_assignment_target_is_an_in_place_change(provider):
    props = managed_props()
    news = copy.deepcopy(props)
    news["assignments"][0]["target"]["groupId"] = Unknown()
    result = provider.diff("policy-id", props, news)
    assert (result.changes, result.replaces) == (True, [])


@pytest.mark.parametrize("identity,replaces", [
    ({"policy": {"@odata.type": Unknown()}}, ["policy"]),
    ({"assignOnly": Unknown()}, ["assignOnly"]),
])
def test_an_unknown_identity_field_is_a_replacement(provider, identity, replaces):
    props = managed_props()
    news = {**props, **{k: ({**props[k], **v} if k == "policy" else v) for k, v in identity.items()}}
    assert provider.diff("policy-id", props, news).replaces == replaces


def test_an_unknown_existing_policy_id_is_a_replacement(provider):
    props = assign_only_props("e0e0e0e0-0000-4000-8000-000000000001")
    assert provider.diff("policy-id", props, {**props, "policyId": UNKNOWN}).replaces == ["policyId"]

"""The Pulumi program under mocks: what `pulumi up` would send for the sample stack."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import SAMPLE_STACK, object_id_for, run_program, stack_values
from ztb.azuread import to_graph
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.model.controls import resolve_refs
from ztb.normalize import compare

CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP = "azuread:index/group:Group"
SAMPLE = build(load_stack_file(SAMPLE_STACK))


def created_group_ids(mocks) -> dict[str, str]:
    keys = {c.id.lower(): c.meta["groupKey"] for c in SAMPLE.of_kind("group")}
    return {keys[name.split("baseline-groups-")[1]]: object_id_for(name) for name, _ in mocks.of_type(GROUP)}


def test_sample_stack_declares_every_policy_and_group(pulumi_mocks):
    run_program(pulumi_mocks)
    names = sorted(n for n, _ in pulumi_mocks.of_type(CA))
    assert names == sorted(f"baseline-ca-{c.id.lower()}" for c in SAMPLE.of_kind("conditionalAccessPolicy"))
    # Five groups created (privileged, emergency, three rings); the CA exclusion group is looked up.
    assert len(pulumi_mocks.of_type(GROUP)) == 5
    assert ("azuread:index/getGroup:getGroup", {"objectId": "0ca0e8c1-0000-4000-8000-000000000003"}) in [
        (t, {"objectId": a.get("objectId")}) for t, a in pulumi_mocks.calls
    ]


def test_every_policy_excludes_emergency_access(pulumi_mocks):
    run_program(pulumi_mocks)
    emergency_group = object_id_for("baseline-groups-priv-grp-02")
    for name, inputs in pulumi_mocks.of_type(CA):
        users = inputs["conditions"]["users"]
        assert emergency_group in users["excludedGroups"], name
        assert "0ca0e8c1-0000-4000-8000-000000000003" in users["excludedGroups"], name
        assert set(users["excludedUsers"]) == {"0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"}, name


def test_emergency_access_group_is_role_assignable_protected_and_holds_break_glass_accounts(pulumi_mocks):
    run_program(pulumi_mocks)
    inputs = dict(pulumi_mocks.of_type(GROUP))["baseline-groups-priv-grp-02"]
    assert inputs["assignableToRole"] is True
    assert inputs["securityEnabled"] is True and inputs["mailEnabled"] is False
    assert sorted(inputs["members"]) == ["0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"]


def test_privileged_group_is_role_assignable_and_holds_the_eligible_admins(pulumi_mocks):
    run_program(pulumi_mocks)
    inputs = dict(pulumi_mocks.of_type(GROUP))["baseline-groups-priv-grp-01"]
    assert inputs["assignableToRole"] is True
    assert sorted(inputs["members"]) == sorted(stack_values()["ztb:eligibility"])


def test_component_inputs_and_plan_json_are_one_model(pulumi_mocks):
    """The CA inputs pulumi-azuread receives, read back as Graph JSON, equal `ztb plan`'s desired JSON."""
    run_program(pulumi_mocks)
    ids = {**created_group_ids(pulumi_mocks), "caExclusion": "0ca0e8c1-0000-4000-8000-000000000003"}
    sent = {name: inputs for name, inputs in pulumi_mocks.of_type(CA)}
    for control in SAMPLE.of_kind("conditionalAccessPolicy"):
        desired = resolve_refs(control.desired, ids)
        as_graph = to_graph(sent[f"baseline-ca-{control.id.lower()}"])
        assert compare("conditionalAccessPolicy", desired, as_graph) == [], control.id


def test_full_phase_targets_privileged_group_and_all_32_roles(pulumi_mocks):
    run_program(pulumi_mocks)
    privileged = object_id_for("baseline-groups-priv-grp-01")
    for name, inputs in pulumi_mocks.of_type(CA):
        users = inputs["conditions"]["users"]
        assert privileged in users["includedGroups"], name
        assert len(set(users["includedRoles"])) == 32, name


def test_pilot_phase_targets_only_the_evaluate_and_pilot_rings(pulumi_mocks):
    values = stack_values()
    values["ztb:phase"] = "pilot"
    run_program(pulumi_mocks, values)
    rings = {object_id_for("baseline-groups-priv-grp-11"), object_id_for("baseline-groups-priv-grp-12")}
    for name, inputs in pulumi_mocks.of_type(CA):
        users = inputs["conditions"]["users"]
        assert set(users["includedGroups"]) == rings, name
        assert "includedRoles" not in users, name


def test_report_only_switch_rolls_out_without_enforcing(pulumi_mocks):
    values = stack_values()
    values["ztb:reportOnly"] = True
    run_program(pulumi_mocks, values)
    states = {inputs["state"] for _, inputs in pulumi_mocks.of_type(CA)}
    assert states == {"enabledForReportingButNotEnforced"}


def test_high_risk_user_policy_uses_mfa_and_password_change_because_azuread_lacks_risk_remediation(pulumi_mocks):
    run_program(pulumi_mocks)
    inputs = dict(pulumi_mocks.of_type(CA))["baseline-ca-priv-ca-04"]
    assert inputs["grantControls"] == {"operator": "AND", "builtInControls": ["mfa", "passwordChange"]}
    assert inputs["conditions"]["userRiskLevels"] == ["high"]
    assert inputs["sessionControls"]["signInFrequencyInterval"] == "everyTime"


def test_security_tools_policy_targets_copilot_and_tanium(pulumi_mocks):
    run_program(pulumi_mocks)
    inputs = dict(pulumi_mocks.of_type(CA))["baseline-ca-priv-ca-08"]
    assert inputs["conditions"]["applications"]["includedApplications"] == [
        "bb5ffd56-39eb-458c-a53a-775ba21277da", "7a410000-0000-4000-8000-00000000a001",
    ]
    assert inputs["grantControls"]["operator"] == "AND"
    assert inputs["grantControls"]["builtInControls"] == ["compliantDevice"]
    assert inputs["grantControls"]["authenticationStrengthPolicyId"].endswith("00000000-0000-0000-0000-000000000004")


def test_a_referenced_group_that_is_not_in_the_tenant_fails_the_plan(pulumi_mocks):
    values = stack_values()
    with pytest.raises(Exception, match="was not found"):
        run_program(pulumi_mocks, values, tenant_groups=set())
    assert pulumi_mocks.of_type(CA) == [], "no policy may be declared around a missing exclusion group"


def test_invalid_stack_config_declares_nothing(pulumi_mocks):
    values = stack_values()
    del values["ztb:emergencyAccessUserIds"]
    with pytest.raises(Exception, match="problem"):
        run_program(pulumi_mocks, values)
    assert pulumi_mocks.resources == []


def test_existing_emergency_group_is_looked_up_not_created(pulumi_mocks):
    values = copy.deepcopy(stack_values())
    del values["ztb:emergencyAccessUserIds"]
    values["ztb:emergencyAccessGroupId"] = "e0e0e0e0-0000-4000-8000-000000000099"
    run_program(pulumi_mocks, values)
    assert "baseline-groups-priv-grp-02" not in dict(pulumi_mocks.of_type(GROUP))
    for name, inputs in pulumi_mocks.of_type(CA):
        assert "e0e0e0e0-0000-4000-8000-000000000099" in inputs["conditions"]["users"]["excludedGroups"], name

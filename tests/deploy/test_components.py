"""The Pulumi program under mocks: what `pulumi up` would send for the sample stack."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import SAMPLE_STACK, client_id_for, object_id_for, run_program, stack_values
from ztb.deploy.azuread import to_graph
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.model import apps
from ztb.model.controls import resolve_refs
from ztb.compare.normalize import compare

CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP = "azuread:index/group:Group"
GRAPH_CA = "pulumi-python:dynamic/ztb:ConditionalAccessPolicy"
APP = "azuread:index/applicationFromTemplate:ApplicationFromTemplate"
SAMPLE = build(load_stack_file(SAMPLE_STACK))
SAMPLE_APPS = [(a.name, a.templateId) for a in SAMPLE.config.galleryApps]
OWNER = "0a0e0000-0000-4000-8000-0000000000f1"
BREAK_GLASS = ["0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"]


def created_group_ids(mocks) -> dict[str, str]:
    keys = {c.id.lower(): c.meta.group_key for c in SAMPLE.of_kind("group")}
    return {keys[name.split("baseline-groups-")[1]]: object_id_for(name) for name, _ in mocks.of_type(GROUP)}


def test_sample_stack_declares_every_policy_and_group(sample_declared):
    names = sorted(n for n, _ in sample_declared.of_type(CA) + sample_declared.of_type(GRAPH_CA))
    assert names == sorted(f"baseline-ca-{c.id.lower()}" for c in SAMPLE.of_kind("conditionalAccessPolicy"))
    # PRIV-CA-04 (riskRemediation) goes through ztb's Graph provider, under the same resource name, and
    # so does PRIV-CA-13 (on the authentication context, which pulumi-azuread cannot target).
    assert sorted(n for n, _ in sample_declared.of_type(GRAPH_CA)) == ["baseline-ca-priv-ca-04", "baseline-ca-priv-ca-13"]
    # Five groups created (privileged, emergency, three rings); the CA exclusion group is looked up.
    assert len(sample_declared.of_type(GROUP)) == 5
    assert ("azuread:index/getGroup:getGroup", {"objectId": "0ca0e8c1-0000-4000-8000-000000000003"}) in [
        (t, {"objectId": a.get("objectId")}) for t, a in sample_declared.calls
    ]


def test_every_policy_excludes_emergency_access(sample_declared):
    emergency_group = object_id_for("baseline-groups-priv-grp-02")
    for name, inputs in sample_declared.of_type(CA):
        users = inputs["conditions"]["users"]
        assert emergency_group in users["excludedGroups"], name
        assert "0ca0e8c1-0000-4000-8000-000000000003" in users["excludedGroups"], name
        assert set(users["excludedUsers"]) == {"0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"}, name


def test_the_graph_provider_policy_excludes_emergency_access_by_resolved_id(sample_declared):
    inputs = dict(sample_declared.of_type(GRAPH_CA))["baseline-ca-priv-ca-04"]
    emergency_group = object_id_for("baseline-groups-priv-grp-02")
    assert inputs["emergencyGroupId"] == emergency_group
    users = inputs["policy"]["conditions"]["users"]
    assert users["excludeGroups"] == [emergency_group, "0ca0e8c1-0000-4000-8000-000000000003"]
    assert set(users["excludeUsers"]) == set(BREAK_GLASS)


def test_emergency_access_group_is_role_assignable_protected_and_holds_break_glass_accounts(sample_declared):
    inputs = dict(sample_declared.of_type(GROUP))["baseline-groups-priv-grp-02"]
    assert inputs["assignableToRole"] is True
    assert inputs["securityEnabled"] is True and inputs["mailEnabled"] is False
    assert sorted(inputs["members"]) == ["0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"]


def test_privileged_group_is_role_assignable_and_holds_the_eligible_admins(sample_declared):
    inputs = dict(sample_declared.of_type(GROUP))["baseline-groups-priv-grp-01"]
    assert inputs["assignableToRole"] is True
    assert sorted(inputs["members"]) == sorted(stack_values()["ztb:eligibility"])


def test_component_inputs_and_plan_json_are_one_model(sample_declared):
    """The CA inputs pulumi-azuread receives, read back as Graph JSON, equal `ztb plan`'s desired JSON."""
    ids = {**created_group_ids(sample_declared), "caExclusion": "0ca0e8c1-0000-4000-8000-000000000003"}
    sent = {name: inputs for name, inputs in sample_declared.of_type(CA)}
    graph_sent = dict(sample_declared.of_type(GRAPH_CA))
    app_ids = {t: client_id_for(object_id_for(f"baseline-apps-{t[:8]}")) for _, t in SAMPLE_APPS}
    for control in SAMPLE.of_kind("conditionalAccessPolicy"):
        name = f"baseline-ca-{control.id.lower()}"
        desired = apps.resolve(resolve_refs(control.desired, ids), app_ids.__getitem__)
        as_graph = graph_sent[name]["policy"] if control.meta.via_graph else to_graph(sent[name])
        assert compare("conditionalAccessPolicy", desired, as_graph) == [], control.id


def test_full_phase_targets_privileged_group_and_all_37_roles(sample_declared):
    privileged = object_id_for("baseline-groups-priv-grp-01")
    for name, inputs in sample_declared.of_type(CA):
        users = inputs["conditions"]["users"]
        assert privileged in users["includedGroups"], name
        assert len(set(users["includedRoles"])) == 37, name
    users = dict(sample_declared.of_type(GRAPH_CA))["baseline-ca-priv-ca-04"]["policy"]["conditions"]["users"]
    assert privileged in users["includeGroups"] and len(set(users["includeRoles"])) == 37


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


def test_high_risk_user_policy_requires_risk_remediation_through_the_graph_provider(sample_declared):
    policy = dict(sample_declared.of_type(GRAPH_CA))["baseline-ca-priv-ca-04"]["policy"]
    assert policy["grantControls"]["builtInControls"] == ["riskRemediation"]
    assert policy["grantControls"]["authenticationStrength"] == {"id": "00000000-0000-0000-0000-000000000004"}
    assert policy["conditions"]["userRiskLevels"] == ["high"]
    assert policy["sessionControls"]["signInFrequency"]["frequencyInterval"] == "everyTime"
    assert "baseline-ca-priv-ca-04" not in dict(sample_declared.of_type(CA))


def test_password_tenants_keep_mfa_and_password_change_through_pulumi_azuread(pulumi_mocks):
    values = stack_values()
    values["ztb:userRiskRemediation"] = "passwordChange"
    run_program(pulumi_mocks, values)
    inputs = dict(pulumi_mocks.of_type(CA))["baseline-ca-priv-ca-04"]
    assert inputs["grantControls"] == {"operator": "AND", "builtInControls": ["mfa", "passwordChange"]}
    assert inputs["sessionControls"]["signInFrequencyInterval"] == "everyTime"
    assert [n for n, _ in pulumi_mocks.of_type(GRAPH_CA)] == ["baseline-ca-priv-ca-13"]  # only the context policy


def test_security_tools_policy_targets_copilot_and_tanium(sample_declared):
    inputs = dict(sample_declared.of_type(CA))["baseline-ca-priv-ca-08"]
    copilot = ["43d7b169-1d9e-4d32-8cd8-06c5974ed90c", "bb5ffd56-39eb-458c-a53a-775ba21277da",
               "bb3d68c2-d09e-4455-94a0-e323996dbaa3", "b0cf1501-8e0f-4fbb-b70a-52ca5ea7bda6"]
    # Tanium SSO enters by the *client* ID of the app the stack instantiated, not ApplicationFromTemplate's
    # applicationId (a resource ID, /applications/<objectId>).
    tanium = dict(sample_declared.of_type(APP))["baseline-apps-7a410000"]
    assert tanium == {"displayName": "Tanium SSO", "templateId": "7a410000-0000-4000-8000-00000000a001"}
    assert inputs["conditions"]["applications"]["includedApplications"] == copilot + [
        client_id_for(object_id_for("baseline-apps-7a410000"))]
    assert "sessionControls" not in inputs
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
    values["ztb:groupOwners"] = [OWNER]
    run_program(pulumi_mocks, values)
    assert "baseline-groups-priv-grp-02" not in dict(pulumi_mocks.of_type(GROUP))
    for name, inputs in pulumi_mocks.of_type(CA):
        assert "e0e0e0e0-0000-4000-8000-000000000099" in inputs["conditions"]["users"]["excludedGroups"], name


# -- groups as pulumi-azuread receives them --------------------------------------------------------

def test_every_created_group_gets_the_declared_owners_never_the_deploying_principal(sample_declared, pulumi_mocks):
    for name, inputs in sample_declared.of_type(GROUP):
        assert sorted(inputs["owners"]) == BREAK_GLASS, name
    values = stack_values()
    values["ztb:groupOwners"] = [OWNER]
    run_program(pulumi_mocks, values)
    assert len(pulumi_mocks.of_type(GROUP)) == 5
    assert {tuple(i["owners"]) for _, i in pulumi_mocks.of_type(GROUP)} == {(OWNER,)}


def test_group_members_are_the_models_declared_members(sample_declared):
    sent = dict(sample_declared.of_type(GROUP))
    for c in SAMPLE.of_kind("group"):
        if not c.managed:
            continue
        declared = [m["id"] for m in c.desired.get("members") or []]
        assert sent[f"baseline-groups-{c.id.lower()}"].get("members", []) == declared, c.id


@pytest.fixture
def group_options(monkeypatch):
    """The ResourceOptions each azuread.Group is declared with (the mocks see inputs only)."""
    import pulumi_azuread

    recorded: dict[str, object] = {}
    original = pulumi_azuread.Group

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, resource_name, *args, opts=None, **kwargs):
            recorded[resource_name] = opts
            super().__init__(resource_name, *args, opts=opts, **kwargs)

    monkeypatch.setattr(pulumi_azuread, "Group", Recording)
    return recorded


def test_a_name_prefix_change_renames_groups_in_place(pulumi_mocks, group_options):
    """Same resource names, same (ForceNew) mailNickname, changes to it ignored: no replacement."""
    run_program(pulumi_mocks)
    before = dict(pulumi_mocks.of_type(GROUP))
    values = stack_values()
    values["ztb:namePrefix"] = "Contoso T0"
    run_program(pulumi_mocks, values)
    after = dict(pulumi_mocks.of_type(GROUP)[len(before):])
    assert set(after) == set(before)
    for name in before:
        assert after[name]["mailNickname"] == before[name]["mailNickname"], name
        assert after[name]["displayName"].startswith("Contoso T0 ") and before[name]["displayName"].startswith("ZTB "), name
        # Rings: isAssignableToRole is ForceNew, so an existing stack's rings are kept until it opts in.
        ring = name in ("baseline-groups-priv-grp-11", "baseline-groups-priv-grp-12", "baseline-groups-priv-grp-13")
        assert group_options[name].ignore_changes == (["mailNickname", "assignableToRole"] if ring else ["mailNickname"]), name
    assert group_options["baseline-groups-priv-grp-02"].protect is True


def test_the_program_reads_numbers_as_pulumi_config_set_writes_them(pulumi_mocks):
    values = stack_values()
    values["ztb:signInFrequencyHours"] = "4"  # what `pulumi config set ztb:signInFrequencyHours 4` stores
    run_program(pulumi_mocks, values)
    assert dict(pulumi_mocks.of_type(CA))["baseline-ca-priv-ca-06"]["sessionControls"]["signInFrequency"] == 4


@pytest.mark.parametrize("key,value", [
    ("ztb:signInFrequencyHours", True),
    ("ztb:securityApps", []),
    ("ztb:reportOnlyControls", ["PRIV-CA-7"]),
    ("ztb:groupOwners", []),
    ("ztb:privilegedGroupId", "0ca0e8c1-0000-4000-8000-000000000003"),
])
def test_an_unsafe_or_undeployable_config_declares_nothing(pulumi_mocks, key, value):
    values = stack_values()
    values[key] = value
    if key == "ztb:securityApps":
        values["ztb:galleryApps"] = []
    with pytest.raises(Exception, match="nothing was declared"):
        run_program(pulumi_mocks, values)
    assert pulumi_mocks.resources == []


def test_a_break_glass_account_made_eligible_declares_nothing(pulumi_mocks):
    values = copy.deepcopy(stack_values())
    values["ztb:eligibility"][BREAK_GLASS[0]] = ["Global Administrator"]
    with pytest.raises(Exception, match="nothing was declared"):
        run_program(pulumi_mocks, values)
    assert pulumi_mocks.resources == []


def test_conditional_access_args_refuse_a_policy_set_that_could_lock_the_tenant_out():
    """One check, at the arguments: the emergency group's ID is given and every policy excludes it."""
    import dataclasses

    from ztb.deploy.conditional_access import ConditionalAccessArgs
    from ztb.model.conditional_access import MissingExclusionError
    from ztb.model.groups import EmergencyAccess

    ids = {"emergencyAccess": "e0e0e0e0-0000-4000-8000-000000000001", "privilegedUsers": "p"}
    assert len(ConditionalAccessArgs.of(SAMPLE, ids).policies) == 13
    with pytest.raises(MissingExclusionError, match="needs the emergency-access group's ID"):
        ConditionalAccessArgs.of(SAMPLE, {"privilegedUsers": "p"})
    policy = SAMPLE.of_kind("conditionalAccessPolicy")[0]
    desired = copy.deepcopy(policy.desired)
    desired["conditions"]["users"]["excludeGroups"].remove(SAMPLE.emergency.ref)
    stripped = dataclasses.replace(policy, desired=desired)
    with pytest.raises(MissingExclusionError, match=f"{policy.id}: policy does not exclude the emergency-access group"):
        ConditionalAccessArgs(policies=[stripped], group_ids=ids, emergency=SAMPLE.emergency, referenced={})
    assert SAMPLE.emergency.ref == "${group:%s}" % EmergencyAccess.GROUP_KEY

"""PimRoleSettings, RoleEligibility and DeviceCompliance under the shared Pulumi mocks."""

from __future__ import annotations

import copy
import json

import pulumi
import pytest

from tests.conftest import BaselineMocks, stack_values
from ztb.config import split_namespace, validate
from ztb.model.baseline import build
from ztb.model.controls import UnresolvedReferenceError
from ztb.compare.normalize import compare

PIM = "pulumi-python:dynamic/ztb:RoleManagementPolicy"
ELIGIBILITY = "pulumi-python:dynamic/ztb:RoleEligibility"
COMPLIANCE = "pulumi-python:dynamic/ztb:DeviceCompliancePolicy"
PRIVILEGED_GROUP = "9a1e0000-0000-4000-8000-0000000000aa"
EXISTING_POLICY = "e0e0e0e0-0000-4000-8000-000000000001"
#: The sample stack is in phase full: PRIV-CA-03, and so every compliance policy, includes the rings too.
RINGS = {"ringEvaluate": "9a1e0000-0000-4000-8000-0000000000e1", "ringPilot": "9a1e0000-0000-4000-8000-0000000000e2",
         "ringFull": "9a1e0000-0000-4000-8000-0000000000e3"}


def baseline(**overrides):
    values = split_namespace(stack_values(), "test")
    for key, value in overrides.items():
        values[key] = value
    return build(validate(values))


def declare(mocks, base, group_ids=None, graph_url=None):
    """Declare the three components inside a mocked program; returns what the mocks recorded."""
    from ztb.deploy.device_compliance import DeviceCompliance, DeviceComplianceArgs
    from ztb.deploy.pim_role_settings import PimRoleSettings, PimRoleSettingsArgs
    from ztb.deploy.role_eligibility import RoleEligibility, RoleEligibilityArgs

    ids = {"privilegedUsers": PRIVILEGED_GROUP, **RINGS} if group_ids is None else group_ids

    @pulumi.runtime.test
    def program():
        outputs = {k: pulumi.Output.from_input(v) for k, v in ids.items()}
        pim = PimRoleSettings("baseline-pim", PimRoleSettingsArgs.of(base, outputs), graph_url=graph_url)
        RoleEligibility("baseline-eligibility", RoleEligibilityArgs.of(base, outputs), pim=pim, graph_url=graph_url)
        DeviceCompliance("baseline-compliance", DeviceComplianceArgs.of(base, outputs), graph_url=graph_url)
        return pulumi.Output.all(*pim.policy_ids.values()).apply(lambda _: None)

    program()
    return mocks


def inputs_of(mocks, typ: str) -> dict[str, dict]:
    return {name: inputs for name, inputs in mocks.of_type(typ)}


@pytest.fixture(scope="module")
def _default_run():
    """The three components of the sample stack's baseline, declared once for the tests that only read them."""
    mocks, base = BaselineMocks(), baseline()
    pulumi.runtime.set_mocks(mocks, project="ztb", stack="dev", preview=False)
    try:
        declare(mocks, base)
    finally:
        pulumi.runtime.set_mocks(BaselineMocks(), project="ztb", stack="dev", preview=False)
    return base, mocks


@pytest.fixture
def default_declared(_default_run):
    """(baseline, what the mocks recorded) for the default declaration; a copy per test."""
    return copy.deepcopy(_default_run)


def test_every_privileged_role_gets_its_pim_settings_resource(default_declared):
    base, mocks = default_declared
    declared = inputs_of(mocks, PIM)
    controls = base.of_kind("roleManagementPolicy")
    assert len(controls) == 37
    assert sorted(declared) == sorted(f"baseline-pim-{c.id.lower()}" for c in controls)
    for control in controls:
        inputs = declared[f"baseline-pim-{control.id.lower()}"]
        assert inputs["roleDefinitionId"] == control.meta.template_id
        # Pulumi drops null values from inputs (claimValue: null); Graph treats absent the same.
        assert compare("roleManagementPolicy", control.desired, inputs) == [], control.id
        assert [r["id"] for r in inputs["rules"]] == [r["id"] for r in control.desired["rules"]]
        assert inputs["controlId"] == control.id


def test_components_are_registered_with_their_type_tokens(default_declared):
    _, mocks = default_declared
    types = {t for t, _, _ in mocks.resources}
    assert {"ztb:index:PimRoleSettings", "ztb:index:RoleEligibility", "ztb:index:DeviceCompliance"} <= types


def test_each_mapped_admin_gets_an_expiring_eligibility(default_declared):
    _, mocks = default_declared
    declared = inputs_of(mocks, ELIGIBILITY)
    expected = {(p, r) for p, roles in stack_values()["ztb:eligibility"].items() for r in roles}
    assert len(declared) == len(expected) == 5
    for inputs in declared.values():
        assert inputs["action"] == "adminAssign"
        assert inputs["scheduleInfo"] == {"expiration": {"type": "afterDuration", "duration": "P180D"}}


def test_compliance_assignment_resolves_the_privileged_group_output(default_declared):
    _, mocks = default_declared
    declared = inputs_of(mocks, COMPLIANCE)
    assert sorted(declared) == [f"baseline-compliance-priv-dev-0{i}" for i in range(1, 6)]  # one per platform policy
    inputs = declared["baseline-compliance-priv-dev-01"]
    # Phase full: the privileged group and the rings, exactly the groups PRIV-CA-03 includes.
    assert inputs["assignments"] == [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g}}
                                     for g in (PRIVILEGED_GROUP, *RINGS.values())]
    assert inputs["policy"]["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert {i["graphVersion"] for i in declared.values()} == {"beta", "v1.0"}
    assert "assignments" not in inputs["policy"]
    assert "${group:" not in json.dumps([i for _, _, i in mocks.resources], default=str)


def test_existing_policies_are_assigned_not_managed(pulumi_mocks):
    declare(pulumi_mocks, baseline(deviceCompliance={"enabled": False, "assignExistingPolicyIds": [EXISTING_POLICY]}))
    declared = inputs_of(pulumi_mocks, COMPLIANCE)
    assert list(declared) == ["baseline-compliance-priv-dev-11"]
    inputs = declared["baseline-compliance-priv-dev-11"]
    assert (inputs["policyId"], inputs["assignOnly"]) == (EXISTING_POLICY, True)
    assert "policy" not in inputs
    assert inputs["assignments"][0]["target"]["groupId"] == PRIVILEGED_GROUP


def test_a_group_the_stack_does_not_have_fails_the_declaration(pulumi_mocks):
    with pytest.raises(UnresolvedReferenceError, match="privilegedUsers"):
        declare(pulumi_mocks, baseline(), group_ids={})
    assert inputs_of(pulumi_mocks, COMPLIANCE) == {}


def test_graph_url_is_passed_to_every_provider(pulumi_mocks):
    declare(pulumi_mocks, baseline(), graph_url="https://graph.microsoft.us")
    for typ in (PIM, ELIGIBILITY, COMPLIANCE):
        assert {i["graphUrl"] for i in inputs_of(pulumi_mocks, typ).values()} == {"https://graph.microsoft.us"}, typ


def test_without_a_graph_url_the_providers_use_the_environment(default_declared):
    _, mocks = default_declared
    assert all("graphUrl" not in i for _, _, i in mocks.resources)


def test_the_declared_inputs_are_the_model_unchanged(pulumi_mocks):
    base = baseline()
    before = copy.deepcopy([c.desired for c in base.controls])
    declare(pulumi_mocks, base)
    assert [c.desired for c in base.controls] == before


# --------------------------------------------------------------------------- resolved key by key; adoption by import_


def test_a_key_without_group_references_stays_a_plain_value_beside_one_that_waits(pulumi_mocks):
    from ztb.providers import resolve_inputs

    desired = {
        "policy": {"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "tpmRequired": True},
        "assignments": [{"target": {"groupId": "${group:privilegedUsers}"}}],
    }
    seen = {}

    @pulumi.runtime.test
    def program():
        props = resolve_inputs(desired, {"privilegedUsers": pulumi.Output.from_input(PRIVILEGED_GROUP)}, ("policy", "assignments"))
        seen.update(props)
        return props["assignments"].apply(lambda a: seen.update(resolved=a))

    program()
    assert seen["policy"] == desired["policy"] and seen["policy"] is not desired["policy"]
    assert isinstance(seen["assignments"], pulumi.Output)
    assert seen["resolved"] == [{"target": {"groupId": PRIVILEGED_GROUP}}]


def test_group_ids_known_at_declaration_resolve_to_plain_values():
    from ztb.providers import resolve_inputs

    props = resolve_inputs({"assignments": [{"target": {"groupId": "${group:privilegedUsers}"}}]},
                           {"privilegedUsers": PRIVILEGED_GROUP}, ("assignments",))
    assert props == {"assignments": [{"target": {"groupId": PRIVILEGED_GROUP}}]}


def test_a_managed_compliance_policy_can_be_adopted_with_import_ids(pulumi_mocks):
    from ztb.deploy.device_compliance import DeviceCompliance, DeviceComplianceArgs

    @pulumi.runtime.test
    def program():
        DeviceCompliance("baseline-compliance", DeviceComplianceArgs.of(baseline(), {"privilegedUsers": PRIVILEGED_GROUP, **RINGS}), import_ids={"PRIV-DEV-01": EXISTING_POLICY})

    program()
    assert pulumi_mocks.imports == {"baseline-compliance-priv-dev-01": EXISTING_POLICY}


@pytest.mark.parametrize("import_ids,problem", [
    ({"PRIV-DEV-99": EXISTING_POLICY}, "PRIV-DEV-99, which is not a resource it can adopt"),
    ({"PRIV-DEV-01": ""}, "gives no object ID for PRIV-DEV-01"),
    ({"PRIV-DEV-01": None}, "gives no object ID for PRIV-DEV-01"),
])
def test_import_ids_for_a_control_the_component_cannot_adopt_fail_the_declaration(pulumi_mocks, import_ids, problem):
    from ztb.deploy.device_compliance import DeviceCompliance, DeviceComplianceArgs

    @pulumi.runtime.test
    def program():
        DeviceCompliance("baseline-compliance", DeviceComplianceArgs.of(baseline(), {"privilegedUsers": PRIVILEGED_GROUP, **RINGS}), import_ids=import_ids)

    with pytest.raises(pulumi.RunError, match=problem):
        program()
    assert inputs_of(pulumi_mocks, COMPLIANCE) == {}


def test_an_assign_only_policy_is_adopted_on_create_not_imported(pulumi_mocks):
    from ztb.deploy.device_compliance import DeviceCompliance, DeviceComplianceArgs

    base = baseline(deviceCompliance={"enabled": False, "assignExistingPolicyIds": [EXISTING_POLICY]})

    @pulumi.runtime.test
    def program():
        DeviceCompliance("baseline-compliance", DeviceComplianceArgs.of(base, {"privilegedUsers": PRIVILEGED_GROUP}), import_ids={"PRIV-DEV-11": EXISTING_POLICY})

    with pytest.raises(pulumi.RunError, match="PRIV-DEV-11, which is not a resource it can adopt"):
        program()


def test_an_eligibility_keeps_its_earlier_resource_name_as_an_alias(pulumi_mocks, monkeypatch):
    """Eligibility IDs now carry the whole principal GUID; the old first-segment name is an alias,
    so an existing stack's eligibilities are renamed in place, not revoked and granted again."""
    import ztb.deploy.role_eligibility as component

    seen: dict[str, list[str]] = {}
    real = component.EligibilityResource

    def recording(name, props, opts=None):
        seen[name] = [a.name for a in (opts.aliases or [])]
        return real(name, props, opts)

    monkeypatch.setattr(component, "EligibilityResource", recording)
    declare(pulumi_mocks, baseline())
    assert seen, "no eligibility was declared"
    for name, aliases in seen.items():
        principal_head = name.split("priv-elig-")[1].split("-")[0]
        role_short = name.rsplit("-", 1)[1]
        assert aliases == [f"baseline-eligibility-priv-elig-{principal_head}-{role_short}"], (name, aliases)

"""PimRoleSettings, RoleEligibility and DeviceCompliance under the shared Pulumi mocks."""

from __future__ import annotations

import copy
import json

import pulumi
import pytest

from tests.conftest import stack_values
from ztb.config import split_namespace, validate
from ztb.model.baseline import build
from ztb.model.controls import UnresolvedReferenceError
from ztb.normalize import compare

PIM = "pulumi-python:dynamic/ztb:RoleManagementPolicy"
ELIGIBILITY = "pulumi-python:dynamic/ztb:RoleEligibility"
COMPLIANCE = "pulumi-python:dynamic/ztb:DeviceCompliancePolicy"
PRIVILEGED_GROUP = "9a1e0000-0000-4000-8000-0000000000aa"
EXISTING_POLICY = "e0e0e0e0-0000-4000-8000-000000000001"


def baseline(**overrides):
    values = split_namespace(stack_values(), "test")
    for key, value in overrides.items():
        values[key] = value
    return build(validate(values))


def declare(mocks, base, group_ids=None, graph_url=None):
    """Declare the three components inside a mocked program; returns what the mocks recorded."""
    from components.device_compliance import DeviceCompliance
    from components.pim_role_settings import PimRoleSettings
    from components.role_eligibility import RoleEligibility

    ids = {"privilegedUsers": PRIVILEGED_GROUP} if group_ids is None else group_ids

    @pulumi.runtime.test
    def program():
        outputs = {k: pulumi.Output.from_input(v) for k, v in ids.items()}
        pim = PimRoleSettings("baseline-pim", base, outputs, graph_url=graph_url)
        RoleEligibility("baseline-eligibility", base, outputs, pim=pim, graph_url=graph_url)
        DeviceCompliance("baseline-compliance", base, outputs, graph_url=graph_url)
        return pulumi.Output.all(*pim.policy_ids.values()).apply(lambda _: None)

    program()
    return mocks


def inputs_of(mocks, typ: str) -> dict[str, dict]:
    return {name: inputs for name, inputs in mocks.of_type(typ)}


def test_every_privileged_role_gets_its_pim_settings_resource(pulumi_mocks):
    base = baseline()
    declare(pulumi_mocks, base)
    declared = inputs_of(pulumi_mocks, PIM)
    controls = base.of_kind("roleManagementPolicy")
    assert len(controls) == 32
    assert sorted(declared) == sorted(f"baseline-pim-{c.id.lower()}" for c in controls)
    for control in controls:
        inputs = declared[f"baseline-pim-{control.id.lower()}"]
        assert inputs["roleDefinitionId"] == control.meta["templateId"]
        # Pulumi drops null values from inputs (claimValue: null); Graph treats absent the same.
        assert compare("roleManagementPolicy", control.desired, inputs) == [], control.id
        assert [r["id"] for r in inputs["rules"]] == [r["id"] for r in control.desired["rules"]]
        assert inputs["controlId"] == control.id


def test_components_are_registered_with_their_type_tokens(pulumi_mocks):
    declare(pulumi_mocks, baseline())
    types = {t for t, _, _ in pulumi_mocks.resources}
    assert {"ztb:index:PimRoleSettings", "ztb:index:RoleEligibility", "ztb:index:DeviceCompliance"} <= types


def test_each_mapped_admin_gets_an_expiring_eligibility(pulumi_mocks):
    base = baseline()
    declare(pulumi_mocks, base)
    declared = inputs_of(pulumi_mocks, ELIGIBILITY)
    expected = {(p, r) for p, roles in stack_values()["ztb:eligibility"].items() for r in roles}
    assert len(declared) == len(expected) == 5
    for inputs in declared.values():
        assert inputs["action"] == "adminAssign"
        assert inputs["scheduleInfo"] == {"expiration": {"type": "afterDuration", "duration": "P180D"}}


def test_compliance_assignment_resolves_the_privileged_group_output(pulumi_mocks):
    declare(pulumi_mocks, baseline())
    (inputs,) = inputs_of(pulumi_mocks, COMPLIANCE).values()
    assert inputs["assignments"] == [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": PRIVILEGED_GROUP}}]
    assert inputs["policy"]["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert "assignments" not in inputs["policy"]
    assert "${group:" not in json.dumps([i for _, _, i in pulumi_mocks.resources], default=str)


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


def test_without_a_graph_url_the_providers_use_the_environment(pulumi_mocks):
    declare(pulumi_mocks, baseline())
    assert all("graphUrl" not in i for _, _, i in pulumi_mocks.resources)


def test_the_declared_inputs_are_the_model_unchanged(pulumi_mocks):
    base = baseline()
    before = copy.deepcopy([c.desired for c in base.controls])
    declare(pulumi_mocks, base)
    assert [c.desired for c in base.controls] == before

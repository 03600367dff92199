"""Authentication context end to end: the context, PRIV-CA-13 behind it, and MFA on activation until it enforces."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph.generated.models.authentication_context_class_reference import AuthenticationContextClassReference
from msgraph.generated.models.conditional_access_policy import ConditionalAccessPolicy

from tests.conftest import one_error_line
from tests.config.test_config import stack
from tests.model.test_model import RAW, SAMPLE, values
from ztb.catalogue import strengths
from ztb.cli import cli
from ztb.config import validate
from ztb.model.auth_context import CONTEXT_ID, POLICY_ID
from ztb.model.baseline import build

PRIVILEGED = "${group:privilegedUsers}"


def activation(b) -> tuple[set[str], dict]:
    """What every role's activation requires: the enabled rules and the context rule (the same for all roles)."""
    seen = set()
    for c in b.of_kind("roleManagementPolicy") + b.of_kind("groupRoleManagementPolicy"):
        rules = {r["id"]: r for r in c.desired["rules"]}
        seen.add((tuple(rules["Enablement_EndUser_Assignment"]["enabledRules"]), json.dumps(rules["AuthenticationContext_EndUser_Assignment"])))
    assert len(seen) == 1
    enabled, context = seen.pop()
    return set(enabled), json.loads(context)


def enforced(**changes):
    return build(validate(values(reportOnlyControls=[], **changes)))


def test_the_sample_declares_the_context_and_a_report_only_policy_so_activation_keeps_mfa_and_plan_says_so():
    by_id = SAMPLE.by_id()
    assert by_id[CONTEXT_ID].desired == {"id": "c1", "displayName": "ZTB Privileged role activation",
                                         "description": by_id[CONTEXT_ID].desired["description"], "isAvailable": True}
    assert by_id[POLICY_ID].desired["state"] == "enabledForReportingButNotEnforced"
    enabled, context = activation(SAMPLE)
    assert "MultiFactorAuthentication" in enabled and context["isEnabled"] is False
    result = CliRunner().invoke(cli, ["plan", "--config", "Pulumi.dev.yaml"])
    assert result.exit_code == 0 and "Note: authentication context c1: PRIV-CA-13 is report-only" in result.stdout
    assert "keeps requiring MFA" in result.stdout and result.stderr == ""


def test_once_the_policy_enforces_on_the_privileged_group_the_context_replaces_mfa():
    b = enforced()
    enabled, context = activation(b)
    assert "MultiFactorAuthentication" not in enabled and "Justification" in enabled
    assert (context["isEnabled"], context["claimValue"]) == (True, "c1")
    assert b.notes == []


@pytest.mark.parametrize("changes,why", [
    ({"reportOnly": True}, "ztb:reportOnly is true"),
    ({"reportOnlyControls": [POLICY_ID]}, "reportOnlyControls lists PRIV-CA-13"),
    ({"privilegedGroupId": "9f000000-0000-4000-8000-000000000099"}, "whose members the stack does not declare"),
    ({"phase": "pilot", "reportOnly": True}, "report-only"),
])
def test_mfa_stays_on_activation_while_the_policy_does_not_enforce_on_declared_admins(changes, why):
    b = build(validate(values(**{"reportOnlyControls": [], **changes})))
    enabled, context = activation(b)
    assert "MultiFactorAuthentication" in enabled and context["isEnabled"] is False
    assert len(b.notes) == 1 and why in b.notes[0]


@pytest.mark.parametrize("phase", ["evaluate", "pilot"])
def test_a_config_that_would_leave_activation_with_neither_is_refused_in_one_line(tmp_path, phase):
    def change(c):
        c["ztb:phase"], c["ztb:reportOnly"], c["ztb:reportOnlyControls"] = phase, False, []

    result = CliRunner().invoke(cli, ["plan", "--config", str(stack(tmp_path, change))])
    line = one_error_line(result)
    assert "neither MFA nor the context" in line and "PRIV-CA-13" in line and "reportOnlyControls" in line
    assert result.stdout == ""


def test_the_policy_targets_the_privileged_group_not_roles_excludes_emergency_access_and_asks_phishing_resistant_every_time():
    for b in (SAMPLE, enforced()):
        d = b.by_id()[POLICY_ID].desired
        users = d["conditions"]["users"]
        # The privileged group (and, as in every policy, the rings the phase has reached), never roles.
        assert users["includeGroups"][0] == PRIVILEGED and users["includeRoles"] == [] and users["includeUsers"] == []
        assert "${group:emergencyAccess}" in users["excludeGroups"] and set(users["excludeUsers"]) == set(RAW["emergencyAccessUserIds"])
        assert d["conditions"]["applications"]["includeAuthenticationContextClassReferences"] == ["c1"]
        assert d["conditions"]["applications"]["includeApplications"] == []
        assert d["grantControls"]["authenticationStrength"] == {"id": strengths.PHISHING_RESISTANT}
        assert d["sessionControls"]["signInFrequency"]["frequencyInterval"] == "everyTime"


def test_without_a_context_nothing_is_declared_and_activation_requires_mfa():
    pim = {k: v for k, v in RAW["pim"].items() if k != "authenticationContext"}
    b = build(validate(values(pim=pim, reportOnlyControls=[])))
    assert CONTEXT_ID not in b.by_id() and POLICY_ID not in b.by_id()
    assert "MultiFactorAuthentication" in activation(b)[0]


def test_the_context_and_its_policy_parse_into_msgraph_s_models_without_unknown_fields():
    def parse(obj, cls):
        return JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(obj).encode()).get_object_value(cls)

    context = parse(SAMPLE.by_id()[CONTEXT_ID].desired, AuthenticationContextClassReference)
    assert context.additional_data == {} and context.is_available is True
    policy = parse(enforced().by_id()[POLICY_ID].desired, ConditionalAccessPolicy)
    assert policy.additional_data == {} and policy.state is not None
    assert policy.conditions.applications.include_authentication_context_class_references == ["c1"]
    assert policy.conditions.applications.additional_data == {}

"""Graph's own noise is never drift: the shared normalisation on Microsoft's documented payloads,
and the verdicts drift adds to the shared classification (unmanaged policies, uncovered roles)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import GRAPH_SAMPLES
from ztb.compare.classify import NEUTRAL, WEAKENS, Context, classify, classify_operation, classify_unmanaged
from ztb.compare.normalize import canonical, compare


def sample(name: str):
    return json.loads((GRAPH_SAMPLES / name).read_text())


@pytest.mark.parametrize("example", ["ex1-require-mfa-exo", "ex2-block-untrusted-regions", "ex4-mfa-noncompliant-devices"])
def test_a_created_ca_policy_equals_what_graph_answers(example):
    """The documented POST body against the documented 201 body: server-set fields, nulls, empty
    lists, defaults (ex4 sends no clientAppTypes, Graph answers ["all"])."""
    request = sample(f"conditionalaccess-create-policy-{example}.request.json")
    response = sample(f"conditionalaccess-create-policy-{example}.response.json")
    assert compare("conditionalAccessPolicy", request, response) == []


def test_client_app_types_all_is_the_default_but_other_values_still_count():
    changed = compare("conditionalAccessPolicy", {"conditions": {"clientAppTypes": ["all"], "users": {"includeUsers": ["All"]}}},
                      {"conditions": {"clientAppTypes": ["browser"], "users": {"includeUsers": ["All"]}}})
    assert [c.path for c in changed] == ["conditions.clientAppTypes"]
    verdict = classify("conditionalAccessPolicy", changed[0].path, changed[0].desired, changed[0].actual)
    assert verdict.impact == WEAKENS


def test_a_created_compliance_policy_equals_what_graph_answers():
    request = sample("intune-windows10compliancepolicy-create.request.json")
    response = sample("intune-windows10compliancepolicy-create.response.json")
    request["scheduledActionsForRule"] = [{"ruleName": "PasswordRequired", "scheduledActionConfigurations": [{"actionType": "block"}]}]
    assert compare("deviceCompliancePolicy", request, response) == []


def test_compliance_assignments_compare_by_target_not_by_server_set_id():
    listed = sample("intune-devicecompliancepolicyassignment-list.response.json")["value"]
    desired = {"assignments": [{"target": dict(a["target"])} for a in listed]}
    actual = {"assignments": [{**a, "source": "direct", "sourceId": "2919ae62"} for a in listed]}
    actual["assignments"][0]["target"]["deviceAndAppManagementAssignmentFilterType"] = "none"
    assert compare("deviceCompliancePolicy", desired, actual) == []
    assert canonical("deviceCompliancePolicy", actual)["assignments"] == [
        {"target": {"@odata.type": "microsoft.graph.configurationmanagercollectionassignmenttarget", "collectionId": "collection id value"}}
    ]
    # A real filter, or another target type (an exclusion), is still a difference.
    actual["assignments"][0]["target"]["deviceAndAppManagementAssignmentFilterType"] = "include"
    assert [c.path for c in compare("deviceCompliancePolicy", desired, actual)] == ["assignments"]


def test_a_group_assignment_turned_into_an_exclusion_is_drift_that_weakens():
    include = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "42b177b8-c1b8-51c9-bba5-757d5a2835ad"}
    exclude = {**include, "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget"}
    changed = compare("deviceCompliancePolicy", {"assignments": [{"target": include}]},
                      {"assignments": [{"id": "p_g", "target": exclude}]})
    assert [c.path for c in changed] == ["assignments"]
    assert classify("deviceCompliancePolicy", "assignments", changed[0].desired, changed[0].actual).impact == WEAKENS


@pytest.mark.parametrize("request_file,paths", [
    ("pim-update-rule-ex1-expiration-enduser-assignment.request.json", ["rules[Expiration_EndUser_Assignment].maximumDuration"]),
    ("pim-update-rule-ex6-enablement-admin-assignment.request.json", ["rules[Enablement_Admin_Assignment].enabledRules"]),
    ("pim-update-rule-ex4-expiration-admin-eligibility.request.json",
     ["rules[Expiration_Admin_Eligibility].isExpirationRequired", "rules[Expiration_Admin_Eligibility].maximumDuration"]),
])
def test_documented_pim_patch_against_documented_get_differs_only_where_the_values_do(request_file, paths):
    """PATCH bodies carry target @odata.type and operations "All"; GET answers "all" without types."""
    rule = sample(request_file)
    got = sample("pim-policy-list-rules-ex1-directoryrole.response.json")["value"]
    assert [c.path for c in compare("roleManagementPolicy", {"rules": [rule]}, {"rules": got})] == paths
    applied = [({**r, **{k: v for k, v in rule.items() if k not in ("target", "@odata.type")}} if r["id"] == rule["id"] else r) for r in got]
    assert compare("roleManagementPolicy", {"rules": [rule]}, {"rules": applied}) == []


def test_pim_rules_the_baseline_does_not_manage_are_ignored():
    rules = sample("pim-policy-list-rules-ex1-directoryrole.response.json")["value"]
    desired = {"rules": [r for r in rules if r["id"] == "Expiration_EndUser_Assignment"]}
    changed = [dict(r, notificationLevel="None") if r["id"].startswith("Notification_Requestor") else r for r in rules]
    assert compare("roleManagementPolicy", desired, {"rules": changed}) == []


# --- classify: verdicts drift asks for -------------------------------------------------------

BREAK_GLASS = "0b5e0a11-0000-4000-8000-000000000001"
CTX = Context.of([BREAK_GLASS])


def policy(exclude_users, session=None):
    return {"conditions": {"users": {"includeUsers": ["All"], "excludeUsers": exclude_users}}, "sessionControls": session}


def test_unmanaged_policy_without_the_break_glass_exclusion_weakens():
    assert classify_unmanaged(policy([]), CTX).impact == WEAKENS
    assert "lock the tenant out" in classify_unmanaged(policy([]), CTX).reason


def test_unmanaged_policy_with_the_exclusion_only_adds_requirements():
    assert classify_unmanaged(policy([BREAK_GLASS.upper()]), CTX).impact == NEUTRAL


def test_unmanaged_policy_with_session_controls_is_treated_as_weakening():
    v = classify_unmanaged(policy([BREAK_GLASS], {"persistentBrowser": {"mode": "always", "isEnabled": True}}), CTX)
    assert v.impact == WEAKENS


def test_unmanaged_policy_without_known_break_glass_accounts_is_never_called_harmless():
    assert classify_unmanaged(policy([BREAK_GLASS]), Context()).impact == WEAKENS


def test_an_uncovered_privileged_role_weakens():
    assert classify_operation("uncovered", "roleManagementPolicy").impact == WEAKENS


def test_a_changed_odata_type_reports_both_values():
    from ztb.compare.normalize import compare

    desired = {"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1"}}]}
    actual = {"assignments": [{"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g1"}}]}
    changes = compare("deviceCompliancePolicy", desired, actual)
    assert changes and all(c.desired is not None and c.actual is not None for c in changes)

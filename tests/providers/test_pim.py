"""The PIM settings provider against the Graph double, seeded with Microsoft's documented rules."""

from __future__ import annotations

import base64
import copy

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from tests.conftest import SAMPLE_STACK, param_id
from tests.doubles.graph import documented_directory_rules, graph, graph_server, sample  # noqa: F401 (fixtures)
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.model.pim import MANAGED_RULES
from ztb.compare.normalize import compare
from ztb.providers import ProviderError
from ztb.providers.pim import RoleManagementPolicyProvider

SAMPLE = build(load_stack_file(SAMPLE_STACK))
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
SECURITY_OPERATOR = "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f"
PATCHES = r"/rules/"


def props_for(template_id: str, **extra) -> dict:
    control = next(c for c in SAMPLE.of_kind("roleManagementPolicy") if c.meta.template_id == template_id)
    return {**copy.deepcopy(control.desired), "controlId": control.id, **extra}


def rule(props: dict, rule_id: str) -> dict:
    return next(r for r in props["rules"] if r["id"] == rule_id)


def patched_rule_ids(graph) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in graph.sent("PATCH")]


@pytest.fixture
def provider() -> RoleManagementPolicyProvider:
    return RoleManagementPolicyProvider()


# --------------------------------------------------------------------------- create


def test_create_patches_only_the_rules_that_differ_from_the_documented_defaults(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    props = props_for(GLOBAL_ADMIN)
    result = provider.create(props)
    assert result.id == policy_id
    # Documented defaults: activation PT8H, no approval, eligible P365D / active P180D not required,
    # active assignment needs only Justification, notifications to default recipients only.
    # MFA + Justification on activation and the disabled auth context already match the baseline.
    assert sorted(patched_rule_ids(graph)) == sorted([
        "Expiration_EndUser_Assignment", "Approval_EndUser_Assignment", "Expiration_Admin_Eligibility",
        "Expiration_Admin_Assignment", "Enablement_Admin_Assignment", "Notification_Admin_Admin_Eligibility",
        "Notification_Admin_Admin_Assignment", "Notification_Admin_EndUser_Assignment",
    ])
    assert compare("roleManagementPolicy", props, {"rules": graph.pim_policies[policy_id]["rules"]}) == []


def test_every_rule_patch_carries_type_id_target_and_settings(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    provider.create(props_for(GLOBAL_ADMIN))
    for req in graph.sent("PATCH"):
        rule_id = req.path.rsplit("/", 1)[1]
        assert req.path == f"/policies/roleManagementPolicies/{policy_id}/rules/{rule_id}"
        assert req.body["@odata.type"] == f"#microsoft.graph.unifiedRoleManagementPolicy{MANAGED_RULES[rule_id][0]}Rule"
        assert req.body["id"] == rule_id
        assert req.body["target"]["caller"] == MANAGED_RULES[rule_id][1]
        assert req.body["target"]["level"] == MANAGED_RULES[rule_id][2]
    approval = next(r.body for r in graph.sent("PATCH") if r.path.endswith("Approval_EndUser_Assignment"))
    assert approval["setting"]["isApprovalRequired"] is True
    assert approval["setting"]["approvalStages"][0]["primaryApprovers"] == [
        {"@odata.type": "#microsoft.graph.groupMembers", "groupId": "a9940000-0000-4000-8000-000000000004"}
    ]


def test_numbers_pulumi_hands_over_as_floats_are_sent_as_integers(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    props = props_for(GLOBAL_ADMIN)
    stage = rule(props, "Approval_EndUser_Assignment")["setting"]["approvalStages"][0]
    stage["approvalStageTimeOutInDays"], stage["escalationTimeInMinutes"] = 1.0, 0.0
    provider.create(props)
    sent = next(r.body for r in graph.sent("PATCH") if r.path.endswith("Approval_EndUser_Assignment"))
    days = sent["setting"]["approvalStages"][0]["approvalStageTimeOutInDays"]
    assert days == 1 and isinstance(days, int)


def test_create_on_a_role_without_a_policy_names_the_role(graph, provider):
    with pytest.raises(ProviderError, match=rf"^PRIV-PIM-62e90394: no PIM policy is assigned to role {GLOBAL_ADMIN}"):
        provider.create(props_for(GLOBAL_ADMIN))


# --------------------------------------------------------------------------- no perpetual diffs


def test_unchanged_policy_sends_no_patch(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    props = props_for(GLOBAL_ADMIN)
    created = provider.create(props)
    before = len(graph.sent("PATCH"))
    refreshed = provider.read(created.id, created.outs)
    assert provider.diff(created.id, refreshed.outs, props).changes is False
    provider.update(created.id, refreshed.outs, props)
    assert len(graph.sent("PATCH")) == before


def test_pt60m_read_back_is_not_a_change(graph, provider):
    policy_id = graph.add_role_policy(SECURITY_OPERATOR)
    props = props_for(SECURITY_OPERATOR)
    rule(props, "Expiration_EndUser_Assignment")["maximumDuration"] = "PT60M"
    created = provider.create(props)
    assert graph.rule(policy_id, "Expiration_EndUser_Assignment")["maximumDuration"] == "PT1H"  # Graph's spelling
    refreshed = provider.read(created.id, created.outs)
    assert rule(refreshed.outs, "Expiration_EndUser_Assignment")["maximumDuration"] == "PT1H"
    assert provider.diff(created.id, refreshed.outs, props).changes is False
    before = len(graph.sent("PATCH"))
    provider.update(created.id, refreshed.outs, props)
    assert len(graph.sent("PATCH")) == before


def test_graph_recasing_and_dropped_target_types_are_not_changes(graph, provider):
    # The documented PATCH body carries target @odata.type and operations "All"; the documented
    # GET answers without the type and with "all", in another rule order.
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    documented = sample("pim-update-rule-ex1-expiration-enduser-assignment.request.json")
    props = {"roleDefinitionId": GLOBAL_ADMIN, "scopeId": "/", "scopeType": "DirectoryRole", "rules": [documented]}
    created = provider.create(props)
    stored = graph.rule(policy_id, "Expiration_EndUser_Assignment")
    assert stored["target"]["operations"] == ["all"] and "@odata.type" not in stored["target"]
    graph.pim_policies[policy_id]["rules"].reverse()
    refreshed = provider.read(created.id, created.outs)
    assert provider.diff(created.id, refreshed.outs, props).changes is False


# --------------------------------------------------------------------------- update and diff


def test_changed_update_patches_exactly_the_changed_rules(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    props = props_for(GLOBAL_ADMIN)
    created = provider.create(props)
    news = copy.deepcopy(props)
    rule(news, "Expiration_EndUser_Assignment")["maximumDuration"] = "PT4H"
    rule(news, "Notification_Admin_Admin_Assignment")["notificationRecipients"] = ["soc@contoso.com"]
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes is True and diff.replaces == []
    patches_before = len(graph.sent("PATCH"))
    provider.update(created.id, created.outs, news)
    assert patched_rule_ids(graph)[patches_before:] == ["Expiration_EndUser_Assignment", "Notification_Admin_Admin_Assignment"]
    assert graph.sent("PATCH")[-2].body["maximumDuration"] == "PT4H"


def test_diff_is_field_level(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    props = props_for(GLOBAL_ADMIN)
    created = provider.create(props)
    news = copy.deepcopy(props)
    rule(news, "Expiration_Admin_Eligibility")["maximumDuration"] = "P90D"
    changes = compare("roleManagementPolicy", news, created.outs)
    assert [c.path for c in changes] == ["rules[Expiration_Admin_Eligibility].maximumDuration"]
    assert (changes[0].desired, changes[0].actual) == ("P90D", "P180D")


def test_another_role_is_a_replacement_not_an_update(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    created = provider.create(props_for(GLOBAL_ADMIN))
    diff = provider.diff(created.id, created.outs, props_for(SECURITY_OPERATOR))
    assert diff.changes is True and diff.replaces == ["roleDefinitionId"]


def test_update_converges_against_the_live_rules_not_the_last_outputs(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    props = props_for(GLOBAL_ADMIN)
    created = provider.create(props)
    graph.rule(policy_id, "Enablement_Admin_Assignment")["enabledRules"] = ["Justification"]  # portal edit
    before = len(graph.sent("PATCH"))
    provider.update(created.id, created.outs, props)
    assert patched_rule_ids(graph)[before:] == ["Enablement_Admin_Assignment"]


# --------------------------------------------------------------------------- read, import, delete


def test_read_of_a_drifted_policy_reports_the_live_rules(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    props = props_for(GLOBAL_ADMIN)
    created = provider.create(props)
    graph.rule(policy_id, "Expiration_Admin_Eligibility")["isExpirationRequired"] = False  # permanent eligibility allowed again
    refreshed = provider.read(created.id, created.outs)
    assert refreshed.id == policy_id and refreshed.inputs is None
    assert rule(refreshed.outs, "Expiration_Admin_Eligibility")["isExpirationRequired"] is False
    assert provider.diff(created.id, refreshed.outs, props).changes is True
    assert [c.path for c in compare("roleManagementPolicy", props, refreshed.outs)] == [
        "rules[Expiration_Admin_Eligibility].isExpirationRequired"
    ]


def test_import_by_role_definition_id_returns_the_managed_rules_as_inputs(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    result = provider.read(GLOBAL_ADMIN, {})
    assert result.id == policy_id
    assert result.inputs["roleDefinitionId"] == GLOBAL_ADMIN and result.inputs["scopeType"] == "DirectoryRole"
    assert [r["id"] for r in result.inputs["rules"]] == list(MANAGED_RULES)
    documented = {r["id"]: r for r in documented_directory_rules()}
    assert all(r == documented[r["id"]] for r in result.inputs["rules"])


def test_import_by_policy_id_finds_its_role_across_pages(graph, provider):
    for i in range(4):
        graph.add_role_policy(f"00000000-0000-4000-8000-00000000000{i}")
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    graph.page_size = 2
    result = provider.read(policy_id, {"rules": props_for(GLOBAL_ADMIN)["rules"]})
    assert result.id == policy_id and result.inputs["roleDefinitionId"] == GLOBAL_ADMIN
    assert len(graph.sent("GET", "roleManagementPolicyAssignments")) == 3


def test_read_of_a_vanished_policy_returns_no_id(graph, provider):
    result = provider.read("DirectoryRole_cab01047-8ad9-4792-8e42-569340767f1b_00000000-0000-0000-0000-000000000000", {})
    assert result.id is None


def test_delete_leaves_the_tenant_settings_and_sends_nothing(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    created = provider.create(props_for(GLOBAL_ADMIN))
    configured = copy.deepcopy(graph.pim_policies[policy_id]["rules"])
    sent_before = len(graph.requests)
    provider.delete(created.id, created.outs)
    assert len(graph.requests) == sent_before
    assert graph.pim_policies[policy_id]["rules"] == configured


# --------------------------------------------------------------------------- faults, through the provider


def test_throttled_lookup_is_retried_and_the_create_succeeds(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    graph.fail("GET", "roleManagementPolicyAssignments", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "3"})
    assert provider.create(props_for(GLOBAL_ADMIN)).id
    assert graph.sleeps == [3]
    assert len(graph.sent("GET", "roleManagementPolicyAssignments")) == 2


def test_unavailable_once_on_a_patch_is_retried(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    graph.fail("PATCH", "Expiration_Admin_Eligibility", 503)
    provider.create(props_for(GLOBAL_ADMIN))
    assert patched_rule_ids(graph).count("Expiration_Admin_Eligibility") == 2
    assert graph.rule(policy_id, "Expiration_Admin_Eligibility")["maximumDuration"] == "P180D"


def test_rejected_patch_is_one_line_naming_control_rule_and_graph_code(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    graph.fail("PATCH", "Approval_EndUser_Assignment", 400,
               {"error": {"code": "InvalidPolicyRule", "message": "The approver group does not exist.", "innerError": {"request-id": "r-1"}}})
    with pytest.raises(ProviderError) as info:
        provider.create(props_for(GLOBAL_ADMIN))
    assert str(info.value) == (
        f"PRIV-PIM-62e90394: PATCH /policies/roleManagementPolicies/{policy_id}/rules/Approval_EndUser_Assignment: "
        "HTTP 400 InvalidPolicyRule: The approver group does not exist. [request-id r-1]"
    )


def test_rule_vanished_mid_update_is_a_404_naming_the_rule(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    graph.fail("PATCH", "Expiration_EndUser_Assignment", 404)
    with pytest.raises(ProviderError, match=r"^PRIV-PIM-62e90394: PATCH /policies/roleManagementPolicies/.+/rules/Expiration_EndUser_Assignment: HTTP 404 ResourceNotFound: "):
        provider.create(props_for(GLOBAL_ADMIN))


def test_malformed_lookup_answer_is_one_line(graph, provider):
    graph.add_role_policy(GLOBAL_ADMIN)
    graph.fail("GET", "roleManagementPolicyAssignments", 200, raw=b'{"value": [{"policyId": ')
    with pytest.raises(ProviderError, match=r"^PRIV-PIM-62e90394: GET /policies/roleManagementPolicyAssignments: InvalidResponse: .*not valid JSON"):
        provider.create(props_for(GLOBAL_ADMIN))


def test_graph_url_input_is_used(graph, provider, monkeypatch):
    monkeypatch.setenv("ZTB_GRAPH_URL", "http://127.0.0.1:9")  # unreachable: only the input can work
    graph.add_role_policy(GLOBAL_ADMIN)
    assert provider.create(props_for(GLOBAL_ADMIN, graphUrl=graph.root)).id


def test_check_rejects_a_rule_without_its_odata_type(provider):
    props = props_for(GLOBAL_ADMIN)
    del rule(props, "Expiration_EndUser_Assignment")["@odata.type"]
    failures = provider.check({}, props).failures
    assert [f.property for f in failures] == ["rules"]


# --------------------------------------------------------------------------- pickling


def test_provider_pickles_by_reference_without_clients_or_credentials():
    blob = base64.b64decode(serialize_provider(RoleManagementPolicyProvider()))
    assert len(blob) < 500 and b"ztb.providers.pim" in blob
    assert isinstance(dill.loads(blob), RoleManagementPolicyProvider)
    assert vars(dill.loads(blob)) == {}


# --------------------------------------------------------------------------- the providers' one notion of "unknown"
# (ztb/providers/__init__.py, shared by the three providers; the host-process tests drive it over gRPC)

from pulumi.output import Unknown  # noqa: E402

from ztb.providers import UNKNOWN, dig, has_unknowns, identity_replaces, is_unknown, label, same_id, wire  # noqa: E402

ODD_VALUES = [None, "", 1.0, 0.5, True, {}, {"id": "x"}, [], ["x"], Unknown(), UNKNOWN]


def test_both_spellings_of_unknown_are_unknown_at_any_depth():
    assert is_unknown(Unknown()) and is_unknown(UNKNOWN)
    assert not any(is_unknown(v) for v in (None, "", "unknown", 0.0, {}, [UNKNOWN]))
    for hidden in (Unknown(), UNKNOWN):
        assert has_unknowns({"rules": [{"target": {"caller": "Admin", "ids": [hidden]}}]})
        assert has_unknowns((1.0, {"a": hidden}))
    assert not has_unknowns({"rules": [{"id": "x", "n": 1.0, "none": None}]})


@pytest.mark.parametrize("a", ODD_VALUES, ids=param_id)
@pytest.mark.parametrize("b", ODD_VALUES, ids=param_id)
def test_same_id_never_raises_and_an_unknown_is_never_the_same(a, b):
    answer = same_id(a, b)
    assert isinstance(answer, bool)
    if has_unknowns(a) or has_unknowns(b):
        assert answer is False


def test_same_id_ignores_case_and_reads_absent_as_empty():
    assert same_id("ABC-def", "abc-DEF") and same_id(None, "") and not same_id("a", "b")


def test_dig_stops_at_the_first_unknown_and_never_raises():
    assert is_unknown(dig({"scheduleInfo": Unknown()}, "scheduleInfo", "expiration", "type"))
    assert dig({"scheduleInfo": 1.0}, "scheduleInfo", "expiration") is None
    assert dig(None, "a") is None
    assert dig({"a": {"b": "c"}}, "a", "b") == "c"


def test_identity_replaces_an_unknown_or_different_field_and_applies_defaults():
    olds = {"roleDefinitionId": GLOBAL_ADMIN, "scopeId": "/"}
    assert identity_replaces(olds, {"roleDefinitionId": GLOBAL_ADMIN.upper()}, ("roleDefinitionId", "scopeId"), {"scopeId": "/"}) == []
    assert identity_replaces(olds, {"roleDefinitionId": Unknown(), "scopeId": "/"}, ("roleDefinitionId", "scopeId")) == ["roleDefinitionId"]
    assert identity_replaces(olds, {"roleDefinitionId": SECURITY_OPERATOR, "scopeId": 1.0}, ("roleDefinitionId", "scopeId")) == ["roleDefinitionId", "scopeId"]


def test_a_value_not_known_yet_is_never_sent_to_graph():
    with pytest.raises(ProviderError, match="not known yet"):
        wire({"rules": [{"id": "x", "value": Unknown()}]})
    with pytest.raises(ProviderError, match="not known yet"):
        wire([UNKNOWN])
    assert wire({"n": 1.0, "half": 0.5, "__provider": "p"}) == {"n": 1, "half": 0.5}


def test_an_unknown_control_id_never_becomes_the_label():
    assert label({"controlId": Unknown()}, "fallback") == "fallback"
    assert label({"controlId": 1.0}, "fallback") == "fallback"
    assert label({"controlId": "PRIV-PIM-62e90394"}, "fallback") == "PRIV-PIM-62e90394"


@pytest.mark.parametrize("odd", ODD_VALUES, ids=param_id)
def test_check_and_diff_take_any_value_in_any_input_without_raising(provider, odd):
    props = props_for(GLOBAL_ADMIN)
    for key in ("roleDefinitionId", "scopeId", "scopeType", "rules"):
        news = {**props, key: odd}
        provider.check({}, news)
        result = provider.diff(GLOBAL_ADMIN, props, news)
        if has_unknowns(odd):
            assert result.changes is True
    news = copy.deepcopy(props)
    news["rules"][0] = odd
    provider.check({}, news)
    provider.diff(GLOBAL_ADMIN, props, news)

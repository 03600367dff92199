"""Access reviews as code (PRIV-REV-*): one recurring review per privileged role and one of the CA exclusion group."""

from __future__ import annotations

import json

import pytest
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph.generated.models.access_review_schedule_definition import AccessReviewScheduleDefinition

from tests.model.test_model import RAW, SAMPLE, values
from ztb.catalogue import roles as rc
from ztb.config import validate
from ztb.model.baseline import build
from ztb.model.reviews import EXCLUSION_ID, control_id

APPROVERS = RAW["pim"]["approverGroupId"]
CA_EXCLUSION = RAW["conditionalAccessExclusionGroupId"]


def reviews(b=SAMPLE):
    return {c.id: c for c in b.of_kind("accessReviewScheduleDefinition")}


def test_one_review_per_role_in_scope_and_one_of_the_exclusion_group():
    found = reviews()
    assert set(found) == {control_id(r) for r in SAMPLE.scope} | {EXCLUSION_ID}
    for role in SAMPLE.scope:
        scope = found[control_id(role)].desired["scope"]
        # Graph's scope concept page, example 9: "all active and eligible assignments" of the role.
        assert scope == {"@odata.type": "#microsoft.graph.accessReviewQueryScope",
                         "query": f"/roleManagement/directory/roleDefinitions/{role.template_id}", "queryType": "MicrosoftGraph"}
    assert found[EXCLUSION_ID].desired["scope"]["query"] == f"/groups/{CA_EXCLUSION}/transitiveMembers"


def test_reviewers_cadence_silence_and_reminders_come_from_the_stack_with_the_recommended_defaults():
    settings = reviews()[control_id(rc.resolve("Security Administrator"))].desired["settings"]
    assert reviews()[EXCLUSION_ID].desired["reviewers"] == [{"query": f"/groups/{APPROVERS}/transitiveMembers", "queryType": "MicrosoftGraph"}]
    assert settings["recurrence"] == {"pattern": {"type": "absoluteMonthly", "interval": 3}, "range": {"type": "noEnd", "startDate": "2026-01-05"}}
    assert (settings["defaultDecisionEnabled"], settings["defaultDecision"], settings["autoApplyDecisionsEnabled"]) == (True, "Deny", True)
    assert settings["applyActions"] == [{"@odata.type": "#microsoft.graph.removeAccessApplyAction"}]
    assert settings["reminderNotificationsEnabled"] and settings["mailNotificationsEnabled"] and settings["justificationRequiredOnApproval"]
    custom = build(validate(values(accessReviews={"reviewerGroupId": "5e5e0000-0000-4000-8000-00000000000a", "recurrence": "monthly",
                                                  "durationInDays": "7", "defaultDecision": "Recommendation", "autoApply": "false",
                                                  "reminders": False})))
    s = reviews(custom)[EXCLUSION_ID].desired
    assert s["reviewers"][0]["query"] == "/groups/5e5e0000-0000-4000-8000-00000000000a/transitiveMembers"
    assert s["settings"]["recurrence"]["pattern"]["interval"] == 1 and s["settings"]["instanceDurationInDays"] == 7
    assert (s["settings"]["defaultDecision"], s["settings"]["autoApplyDecisionsEnabled"], s["settings"]["reminderNotificationsEnabled"]) == (
        "Recommendation", False, False)
    assert "applyActions" not in s["settings"]


def test_an_unanswered_global_administrator_review_never_removes_the_break_glass_accounts_role():
    ga = reviews()[control_id(rc.resolve("Global Administrator"))]
    assert (ga.desired["settings"]["defaultDecision"], ga.desired["settings"]["defaultDecisionEnabled"]) == ("None", False)
    assert ga.desired["settings"]["autoApplyDecisionsEnabled"] is True  # reviewers' explicit denials still apply
    assert "break-glass" in ga.rationale


def test_reviews_can_be_turned_off_and_the_exclusion_review_needs_the_exclusion_group():
    assert reviews(build(validate(values(accessReviews={"enabled": False})))) == {}
    without = {k: v for k, v in RAW.items() if k not in ("conditionalAccessExclusionGroupId",)}
    assert EXCLUSION_ID not in reviews(build(validate(without)))


def test_every_review_parses_into_msgraph_s_model_without_unknown_fields():
    """The Graph-model check: Microsoft's generated model knows every field the baseline sends."""
    for c in SAMPLE.of_kind("accessReviewScheduleDefinition"):
        node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(c.desired).encode())
        model = node.get_object_value(AccessReviewScheduleDefinition)
        assert model.additional_data == {}, c.id
        assert model.scope.additional_data == {} and model.settings.additional_data == {}, c.id
        assert model.settings.recurrence.pattern.type is not None, c.id  # an unknown enum member would parse as None
        assert model.settings.recurrence.range.type is not None and model.settings.recurrence.range.start_date is not None, c.id
        assert [type(a).__name__ for a in model.settings.apply_actions or []] in ([], ["RemoveAccessApplyAction"]), c.id
        assert all(r.additional_data == {} for r in model.reviewers), c.id


@pytest.mark.parametrize("field", ["displayName", "descriptionForReviewers"])
def test_texts_fit_graph_s_limits(field):
    for c in SAMPLE.of_kind("accessReviewScheduleDefinition"):
        assert len(c.desired[field]) <= 256, c.id


@pytest.mark.parametrize("key,value,expected", [
    ("durationInDays", 0, "durationInDays"),
    ("durationInDays", 181, "durationInDays"),
    ("durationInDays", "two weeks", "whole number"),
    ("durationInDays", True, "whole number"),
    ("recurrence", "weekly", "recurrence"),
    ("defaultDecision", "Remove", "defaultDecision"),
    ("defaultDecision", "deny", "defaultDecision"),
    ("defaultDecision", "Approve", "defaultDecision"),
    ("autoApply", "yes", "true or false"),
    ("reminders", 1, "true or false"),
    ("startDate", "05/01/2026", "YYYY-MM-DD"),
    ("startDate", "2026-13-01", "YYYY-MM-DD"),
    ("reviewerGroupId", "approvers", "not an object ID"),
    ("reviewerGroupId", CA_EXCLUSION, "review their own access"),
    ("reviewerGroupId", "9e0a0000-0000-4000-8000-000000000021", "review their own access"),
    ("reviewers", ["a"], "reviewers"),
])
def test_a_bad_access_review_setting_is_one_line_naming_the_key(tmp_path, key, value, expected):
    from tests.config.test_config import one_line, stack

    line = one_line(stack(tmp_path, lambda c: c.setdefault("ztb:accessReviews", {}).__setitem__(key, value)))
    assert expected in line, line


def test_the_approvers_may_also_be_the_reviewers():
    b = build(validate(values(accessReviews={"reviewerGroupId": APPROVERS})))
    assert reviews(b)[EXCLUSION_ID].desired["reviewers"][0]["query"] == f"/groups/{APPROVERS}/transitiveMembers"


def test_reviews_without_reviewers_are_refused_and_disabled_reviews_need_none(tmp_path):
    from tests.config.test_config import one_line, plan, stack

    def no_approvers(c, enabled=True):
        c["ztb:pim"].pop("approverGroupId")
        c["ztb:pim"]["approvalRoles"] = []
        c["ztb:accessReviews"] = {"enabled": enabled}

    line = one_line(stack(tmp_path, no_approvers))
    assert "ztb:accessReviews' has no reviewers" in line and "reviewerGroupId" in line
    assert plan(stack(tmp_path, lambda c: no_approvers(c, False))).exit_code == 0

"""PIM for Groups (PRIV-PIMG-*) and the Global Administrator activation mailbox."""

from __future__ import annotations

import pytest

from tests.config.test_config import one_line, stack
from tests.model.test_model import RAW, SAMPLE, values
from ztb.catalogue import roles as rc
from ztb.config import validate
from ztb.deploy.pim_group_settings import to_azuread
from ztb.model.baseline import build
from ztb.model.pim import rules_for

GROUP = "9e0a0000-0000-4000-8000-000000000021"
OTHER = "9e0a0000-0000-4000-8000-000000000022"
GA_BOX = RAW["pim"]["globalAdminNotificationMailbox"]


def group_controls(b=SAMPLE):
    return {c.id: c for c in b.of_kind("groupRoleManagementPolicy")}


def test_a_group_holding_a_role_gets_member_and_owner_policies_with_the_role_s_rules():
    found = group_controls()
    assert set(found) == {f"PRIV-PIMG-{GROUP}-MEMBER", f"PRIV-PIMG-{GROUP}-OWNER"}
    exchange = rules_for(rc.resolve("Exchange Administrator"), build(validate(RAW)).config)
    for c in found.values():
        assert (c.desired["scopeId"], c.desired["scopeType"]) == (GROUP, "Group")
        assert c.desired["rules"] == exchange


def test_the_strictest_role_a_group_holds_decides_approval_and_the_global_admin_mailbox():
    pim = {**RAW["pim"], "groups": {GROUP: ["Exchange Administrator", "Global Administrator"]}}
    c = group_controls(build(validate(values(pim=pim))))[f"PRIV-PIMG-{GROUP}-MEMBER"]
    rules = {r["id"]: r for r in c.desired["rules"]}
    assert rules["Approval_EndUser_Assignment"]["setting"]["isApprovalRequired"] is True
    assert rules["Expiration_EndUser_Assignment"]["maximumDuration"] == RAW["pim"]["approvalRolesActivationMaxDuration"]
    assert rules["Notification_Admin_EndUser_Assignment"]["notificationRecipients"] == [RAW["pim"]["notificationMailbox"], GA_BOX]
    args = to_azuread(c.desired)
    assert args["activation_rules"]["require_approval"] is True
    assert args["activation_rules"]["approval_stage"] == {"primary_approvers": [{"object_id": RAW["pim"]["approverGroupId"], "type": "Group"}]}
    assert args["notification_rules"]["eligible_activations"]["admin_notifications"]["additional_recipients"] == [RAW["pim"]["notificationMailbox"], GA_BOX]


def test_the_provider_gets_mfa_or_the_context_never_both():
    (member, _) = group_controls().values()
    args = to_azuread(member.desired)["activation_rules"]
    assert args["require_multifactor_authentication"] is True and "required_conditional_access_authentication_context" not in args
    enforced = build(validate(values(reportOnlyControls=[])))
    args = to_azuread(next(iter(group_controls(enforced).values())).desired)["activation_rules"]
    assert args["required_conditional_access_authentication_context"] == "c1" and "require_multifactor_authentication" not in args


def test_only_global_administrator_activations_reach_the_separate_mailbox():
    for c in SAMPLE.of_kind("roleManagementPolicy"):
        rules = {r["id"]: r for r in c.desired["rules"]}
        assert (GA_BOX in rules["Notification_Admin_EndUser_Assignment"]["notificationRecipients"]) == (c.meta.template_id == rc.GLOBAL_ADMINISTRATOR)
        assert GA_BOX not in rules["Notification_Admin_Admin_Assignment"]["notificationRecipients"]


def test_the_sample_s_group_policies_reach_the_program(sample_declared):
    sent = dict(sample_declared.of_type("azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy"))
    assert sorted(sent) == sorted(f"baseline-pim-groups-{i.lower()}" for i in group_controls())
    owner = sent[f"baseline-pim-groups-priv-pimg-{GROUP}-owner"]
    assert (owner["groupId"], owner["roleId"]) == (GROUP, "owner")
    assert owner["activationRules"]["maximumDuration"] == "PT2H" and owner["activationRules"]["requireMultifactorAuthentication"] is True
    assert owner["eligibleAssignmentRules"] == {"expirationRequired": True, "expireAfter": "P180D"}


@pytest.mark.parametrize("groups,expected", [
    ({"not-a-guid": ["Global Reader"]}, "not an object ID"),
    ({GROUP: []}, "lists no role"),
    ({GROUP: ["Global Reader"], GROUP.upper(): ["Global Reader"]}, "listed twice"),
    ({GROUP: ["Global Redaer"]}, "Global Reader"),
    ({GROUP: ["Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"]}, "list it once"),
    ({RAW["pim"]["approverGroupId"]: ["Global Reader"]}, "name the same group"),
    ({RAW["conditionalAccessExclusionGroupId"]: ["Global Reader"]}, "name the same group"),
    ({GROUP: "Global Reader"}, "pim.groups"),
    ([GROUP], "pim.groups"),
])
def test_a_bad_pim_groups_entry_is_one_line_naming_the_problem(tmp_path, groups, expected):
    line = one_line(stack(tmp_path, lambda c: c["ztb:pim"].__setitem__("groups", groups)))
    assert expected in line, line


@pytest.mark.parametrize("mailbox,expected", [
    ("not-an-address", "not an email address"),
    (RAW["pim"]["notificationMailbox"], "same mailbox"),
    (RAW["pim"]["notificationMailbox"].upper(), "same mailbox"),
    (7, "globalAdminNotificationMailbox"),
])
def test_a_bad_global_admin_mailbox_is_one_line(tmp_path, mailbox, expected):
    line = one_line(stack(tmp_path, lambda c: c["ztb:pim"].__setitem__("globalAdminNotificationMailbox", mailbox)))
    assert expected in line, line

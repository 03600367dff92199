"""Every crosswalk claim is proven against the item's published criteria, on the desired JSON."""

from __future__ import annotations

import copy

import pytest

from ztb.catalogue import crosswalk
from ztb.catalogue import roles as rc
from ztb.config import validate
from ztb.model.baseline import build

from tests.model.test_model import RAW, SAMPLE, values


def test_every_claim_holds_on_its_control():
    claims = 0
    for c in SAMPLE.controls:
        for item in c.crosswalk:
            assert crosswalk.holds(item, c.desired, c), (c.id, item)
            claims += 1
    assert claims >= 5


def test_sample_stack_claims_what_an_auditor_would_check():
    by_id = SAMPLE.by_id()
    assert "MS.AAD.3.6v1" in by_id["PRIV-CA-01"].crosswalk
    ga = by_id[f"PRIV-PIM-{rc.GLOBAL_ADMINISTRATOR[:8]}"].crosswalk
    assert set(ga) == {"MS.AAD.7.6v1", "MS.AAD.7.7v1", "MS.AAD.7.8v1"}
    for role in rc.catalogue():
        if role.cisa_high and role.template_id != rc.GLOBAL_ADMINISTRATOR:
            assert {"MS.AAD.7.7v1", "MS.AAD.7.9v1"} <= set(by_id[f"PRIV-PIM-{role.short_id}"].crosswalk), role.name


def test_ms_aad_3_6_criteria_fail_on_each_published_condition():
    policy = SAMPLE.by_id()["PRIV-CA-01"].desired
    assert crosswalk.ms_aad_3_6(policy)
    mutations = {
        "report-only": lambda p: p.update(state="enabledForReportingButNotEnforced"),
        "missing a cisaHigh role": lambda p: p["conditions"]["users"]["includeRoles"].remove(rc.resolve("Hybrid Identity Administrator").template_id),
        "not all apps": lambda p: p["conditions"]["applications"].update(includeApplications=["00000002-0000-0ff1-ce00-000000000000"]),
        "excluded role": lambda p: p["conditions"]["users"].update(excludeRoles=[rc.GLOBAL_ADMINISTRATOR]),
        "passwordless strength allows push": lambda p: p["grantControls"].update(authenticationStrength={"id": "00000000-0000-0000-0000-000000000003"}),
        "plain mfa": lambda p: p.update(grantControls={"operator": "OR", "builtInControls": ["mfa"]}),
    }
    for label, mutate in mutations.items():
        p = copy.deepcopy(policy)
        mutate(p)
        assert not crosswalk.ms_aad_3_6(p), label


def test_claims_are_dropped_when_the_config_no_longer_satisfies_them():
    report_only = build(validate(values(reportOnly=True)))
    assert "MS.AAD.3.6v1" not in report_only.by_id()["PRIV-CA-01"].crosswalk
    enterprise = build(validate(values(level="enterprise")))
    assert "MS.AAD.3.6v1" not in enterprise.by_id()["PRIV-CA-01"].crosswalk
    no_hybrid = build(validate(values(roles={"add": [], "remove": ["Hybrid Identity Administrator"]})))
    assert "MS.AAD.3.6v1" not in no_hybrid.by_id()["PRIV-CA-01"].crosswalk
    no_approval = build(validate(values(pim={**RAW["pim"], "approvalRoles": []})))
    assert "MS.AAD.7.6v1" not in no_approval.by_id()[f"PRIV-PIM-{rc.GLOBAL_ADMINISTRATOR[:8]}"].crosswalk


@pytest.mark.parametrize("rule_id,item", [
    ("Notification_Admin_Admin_Eligibility", "MS.AAD.7.7v1"),
    ("Notification_Admin_Admin_Assignment", "MS.AAD.7.7v1"),
    ("Notification_Admin_EndUser_Assignment", "MS.AAD.7.8v1"),
])
def test_pim_alert_claims_need_recipients(rule_id, item):
    policy = copy.deepcopy(SAMPLE.by_id()[f"PRIV-PIM-{rc.GLOBAL_ADMINISTRATOR[:8]}"].desired)
    assert crosswalk.holds(item, policy)
    next(r for r in policy["rules"] if r["id"] == rule_id)["notificationRecipients"] = []
    assert not crosswalk.holds(item, policy)

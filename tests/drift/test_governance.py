"""Drift of access reviews, the authentication context and PIM for Groups, on snapshots built from Microsoft's documented payloads."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from tests.conftest import GRAPH_SAMPLES, SAMPLE_STACK
from tests.drift.test_detect import SAMPLE, ideal
from tests.cli.test_drift import assert_one_error_line, write
from ztb.cli.drift import command as drift_command
from ztb.drift.detect import DriftError, detect
from ztb.tenant.snapshot import validate

GROUP = "9e0a0000-0000-4000-8000-000000000021"
GLOBAL_ADMIN_REVIEW = "PRIV-REV-62e90394"


def documented(name: str) -> dict:
    return json.loads((GRAPH_SAMPLES / name).read_text())


def review(snap: dict, control_id: str) -> dict:
    return next(r for r in snap["accessReviewDefinitions"] if f" {control_id} " in r["displayName"])


def found(snap: dict) -> dict[str, dict]:
    return {f.control_id: f.as_dict() for f in detect(SAMPLE, validate(snap)).findings}


def test_the_in_sync_snapshot_is_clean():
    snap = ideal()
    assert {"accessReviewDefinitions", "authenticationContextClassReferences", "groupRoleManagementPolicyAssignments"} <= set(snap)
    assert detect(SAMPLE, validate(snap)).in_sync


def test_a_review_relaxed_to_the_documented_defaults_weakens():
    """The documented definition (example 1): no decision on silence, nothing auto-applied, weekly, a numbered range."""
    snap = ideal()
    live = review(snap, "PRIV-REV-EXCL")
    live["settings"] = copy.deepcopy(documented("accessreview-list-definitions-ex1.response.json")["value"][0]["settings"])
    f = found(snap)["PRIV-REV-EXCL"]
    assert (f["status"], f["impact"]) == ("changed", "weakens")
    by_path = {c["path"]: c["impact"] for c in f["changes"]}
    for path in ("settings.defaultDecision", "settings.defaultDecisionEnabled", "settings.autoApplyDecisionsEnabled",
                 "settings.recurrence.range.type", "settings.applyActions"):
        assert by_path[path] == "weakens", (path, by_path)
    assert by_path["settings.recurrence.pattern.type"] == "weakens"


@pytest.mark.parametrize("status", ["Stopped", "Completed"])
def test_a_stopped_review_series_is_not_enforced_and_weakens(status):
    snap = ideal()
    review(snap, GLOBAL_ADMIN_REVIEW)["status"] = status
    f = found(snap)[GLOBAL_ADMIN_REVIEW]
    assert (f["status"], f["impact"]) == ("notEnforced", "weakens") and status in f["reason"]


@pytest.mark.parametrize("status", [None, "", "  "])
def test_a_review_series_without_a_status_is_not_taken_for_running(status):
    snap = ideal()
    review(snap, GLOBAL_ADMIN_REVIEW)["status"] = status
    f = found(snap)[GLOBAL_ADMIN_REVIEW]
    assert (f["status"], f["impact"]) == ("notEnforced", "weakens") and "no status" in f["reason"]


def test_a_stopped_twin_of_a_review_cannot_hide_behind_the_running_one():
    snap = ideal()
    twin = dict(copy.deepcopy(review(snap, GLOBAL_ADMIN_REVIEW)), id="0f0f0f0f-0000-4000-8000-00000000dead", status="Stopped")
    snap["accessReviewDefinitions"].append(twin)
    with pytest.raises(DriftError, match="2 access reviews are named"):
        detect(SAMPLE, validate(snap))


def test_a_review_open_longer_weakens_and_shorter_is_neutral():
    for days, impact in ((180, "weakens"), (7, "neutral")):
        snap = ideal()
        review(snap, "PRIV-REV-EXCL")["settings"]["instanceDurationInDays"] = days
        (change,) = found(snap)["PRIV-REV-EXCL"]["changes"]
        assert (change["path"], change["impact"]) == ("settings.instanceDurationInDays", impact)


def test_a_deleted_review_is_missing_and_another_tenant_review_is_not_the_stack_s():
    snap = ideal()
    snap["accessReviewDefinitions"] = [r for r in snap["accessReviewDefinitions"] if "PRIV-REV-EXCL" not in r["displayName"]]
    snap["accessReviewDefinitions"] += documented("accessreview-list-definitions-ex2-allgroups.response.json")["value"]
    f = found(snap)
    assert list(f) == ["PRIV-REV-EXCL"] and (f["PRIV-REV-EXCL"]["status"], f["PRIV-REV-EXCL"]["impact"]) == ("missing", "weakens")


def test_other_reviewers_weaken_and_a_shorter_cadence_strengthens():
    snap = ideal()
    review(snap, "PRIV-REV-EXCL")["reviewers"] = documented("accessreview-list-definitions-ex1.response.json")["value"][0]["reviewers"]
    review(snap, GLOBAL_ADMIN_REVIEW)["settings"]["recurrence"]["pattern"]["interval"] = 1
    f = found(snap)
    assert f["PRIV-REV-EXCL"]["impact"] == "weakens" and "reviewers changed" in f["PRIV-REV-EXCL"]["reason"]
    assert f[GLOBAL_ADMIN_REVIEW]["impact"] == "strengthens"


def test_a_pim_for_groups_group_left_at_defaults_weakens():
    """Microsoft's documented owner policy of a group (defaults: no MFA, PT8H, P365D eligibility, no recipients)."""
    snap = ideal()
    at_defaults = copy.deepcopy(documented("pim-list-rolemanagementpolicyassignments-ex4-group-owner-expand-policy-rules.response.json")["value"][0])
    at_defaults["scopeId"] = at_defaults["policy"]["scopeId"] = GROUP
    snap["groupRoleManagementPolicyAssignments"] = [a for a in snap["groupRoleManagementPolicyAssignments"] if a["roleDefinitionId"] != "owner"]
    snap["groupRoleManagementPolicyAssignments"].append(at_defaults)
    f = found(snap)
    (cid,) = f
    assert cid == f"PRIV-PIMG-{GROUP}-OWNER" and (f[cid]["status"], f[cid]["impact"]) == ("changed", "weakens")
    paths = {c["path"] for c in f[cid]["changes"] if c["impact"] == "weakens"}
    assert {"rules[Expiration_EndUser_Assignment].maximumDuration", "rules[Enablement_EndUser_Assignment].enabledRules",
            "rules[Expiration_Admin_Eligibility].maximumDuration"} <= paths


def test_a_group_not_onboarded_to_pim_for_groups_is_missing():
    snap = ideal()
    snap["groupRoleManagementPolicyAssignments"] = []
    f = found(snap)
    assert {k: (v["status"], v["impact"]) for k, v in f.items()} == {
        f"PRIV-PIMG-{GROUP}-MEMBER": ("missing", "weakens"), f"PRIV-PIMG-{GROUP}-OWNER": ("missing", "weakens")}


def test_an_unavailable_or_renamed_context_and_a_missing_one():
    snap = ideal()
    snap["authenticationContextClassReferences"] = documented("authenticationcontext-list.response.json")["value"]
    f = found(snap)["PRIV-CTX-01"]
    assert (f["status"], f["impact"]) == ("changed", "neutral")  # documented c1 is available, only named otherwise
    snap["authenticationContextClassReferences"][0]["isAvailable"] = False
    f = found(snap)["PRIV-CTX-01"]
    assert (f["status"], f["impact"]) == ("notEnforced", "weakens")
    snap["authenticationContextClassReferences"] = []
    assert found(snap)["PRIV-CTX-01"]["status"] == "missing"


def test_the_context_policy_turned_off_is_reported_like_every_policy():
    snap = ideal()
    next(p for p in snap["conditionalAccessPolicies"] if " PRIV-CA-13 " in p["displayName"])["state"] = "disabled"
    f = found(snap)["PRIV-CA-13"]
    assert f["impact"] == "weakens"


@pytest.mark.parametrize("collection", ["accessReviewDefinitions", "authenticationContextClassReferences", "groupRoleManagementPolicyAssignments"])
def test_a_snapshot_without_a_collection_the_stack_needs_is_refused_not_in_sync(tmp_path, collection):
    snap = ideal()
    del snap[collection]
    with pytest.raises(DriftError, match=f"holds no '{collection}'"):
        detect(SAMPLE, validate(snap))
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--snapshot", write(tmp_path, snap)])
    assert_one_error_line(result, collection, "ztb export")


@pytest.mark.parametrize("mutate,expected", [
    (lambda s: s["accessReviewDefinitions"][0].update(settings={"autoApplyDecisionsEnabled": "no"}), "autoApplyDecisionsEnabled"),
    (lambda s: s["accessReviewDefinitions"].append(copy.deepcopy(s["accessReviewDefinitions"][0])), "twice"),
    (lambda s: s["groupRoleManagementPolicyAssignments"][0].update(roleDefinitionId="admin"), "roleDefinitionId"),
    (lambda s: s["groupRoleManagementPolicyAssignments"][0]["policy"].pop("rules"), "rules"),
    (lambda s: s["authenticationContextClassReferences"].extend({"id": f"c{i}"} for i in range(1, 101)), "Entra offers c1 to c99"),
])
def test_a_malformed_optional_collection_is_one_line(tmp_path, mutate, expected):
    snap = ideal()
    mutate(snap)
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--snapshot", write(tmp_path, snap)])
    assert_one_error_line(result, expected)

"""`ztb review` of a preview that changes an access review or the policy on the authentication context.

The steps are the PIM step of the update-no-detailed-diff fixture (the real CLI's shape for a
dynamic resource without detailedDiff) with the access review's or context policy's type, name and
inputs: what `pulumi preview --json` prints for the components' dynamic resources (PRIV-CA-13 is
deployed by ztb's Graph Conditional Access provider, its policy under the input "policy").
"""

from __future__ import annotations

import copy

import pytest

from tests.model.test_model import SAMPLE
from tests.review.test_review import change_of, load, reviewed, step_of
from ztb.compare.classify import WEAKENS

TYPES = {"PRIV-REV": ("AccessReviews", "baseline-reviews", "AccessReview"),
         "PRIV-CA-13": ("PrivilegedConditionalAccess", "baseline-ca", "ConditionalAccessPolicy")}


def preview(control_id: str, change) -> dict:
    doc = load("update-no-detailed-diff")
    template = step_of(doc, "PRIV-PIM-62e90394")
    component, prefix, typ = TYPES["PRIV-CA-13" if control_id == "PRIV-CA-13" else "PRIV-REV"]
    urn = f"urn:pulumi:dev::ztb::ztb:index:{component}$pulumi-python:dynamic/ztb:{typ}::{prefix}-{control_id.lower()}"
    desired = SAMPLE.by_id()[control_id].desired
    # ztb's Graph Conditional Access provider takes the policy under "policy" (PRIV-CA-13, like PRIV-CA-04).
    old = ({"controlId": control_id, "emergencyGroupId": "9a1e0000-0000-4000-8000-0000000000ee", "policy": copy.deepcopy(desired)}
           if control_id == "PRIV-CA-13" else {"controlId": control_id, **copy.deepcopy(desired)})
    new = copy.deepcopy(old)
    change(new)
    step = copy.deepcopy(template)
    step["urn"] = urn
    for state, inputs in (("oldState", old), ("newState", new)):
        step[state].update(urn=urn, type=f"pulumi-python:dynamic/ztb:{typ}", inputs=inputs, parent=f"urn:pulumi:dev::ztb::ztb:index:{component}::{prefix}")
    step["oldState"]["outputs"] = {**old, "observed": True}
    step["oldState"]["id"] = "98dcebed-c7f6-46f4-bcf3-4a3fccdb3e2a"
    doc["steps"] = [doc["steps"][0], step]
    doc["changeSummary"] = {"update": 1}
    return doc


@pytest.mark.parametrize("change,reason", [
    (lambda d: d["settings"].update(autoApplyDecisionsEnabled=False), "decisions applied automatically"),
    (lambda d: d["settings"].update(defaultDecision="Approve"), "when reviewers do not respond"),
    (lambda d: d["settings"]["recurrence"]["pattern"].update(interval=12), "review every 3 → 12 month(s)"),
    (lambda d: d.update(reviewers=[]), "reviewers changed"),
])
def test_a_relaxed_access_review_weakens_in_review_as_in_drift(change, reason):
    r = reviewed(preview("PRIV-REV-EXCL", change))
    c = change_of(r, "PRIV-REV-EXCL")
    assert c.verdict.impact == WEAKENS and any(reason in f.verdict.reason for f in c.fields), [f.verdict.reason for f in c.fields]


def test_the_context_policy_turned_report_only_weakens():
    enforced = lambda d: None  # noqa: E731
    doc = preview("PRIV-CA-13", enforced)
    for state, value in (("oldState", "enabled"), ("newState", "enabledForReportingButNotEnforced")):
        doc["steps"][1][state]["inputs"]["policy"]["state"] = value
    doc["steps"][1]["oldState"]["outputs"]["policy"]["state"] = "enabled"
    c = change_of(reviewed(doc), "PRIV-CA-13")
    assert c.verdict.impact == WEAKENS and [f.path for f in c.fields] == ["state"]

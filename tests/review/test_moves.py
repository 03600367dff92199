"""PRIV-CA-04 moving from pulumi-azuread to ztb's Graph provider: one move, judged by what changes.

The preview steps are built from a real step of `tests/fixtures/preview/update-detailed-diff.json`
(its PRIV-CA-05 state, as `pulumi preview --json` wrote it), turned into the delete of the old
pulumi-azuread PRIV-CA-04 and the create of the Graph provider's PRIV-CA-04 under the same name.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from ztb.compare import classify as cl
from ztb.deploy.azuread import to_graph
from ztb.review import judge as rv
from ztb.review.moves import MOVE_NOTE
from ztb.review.ops import Op
from ztb.review.stack import read_config

FIXTURES = Path(__file__).parents[1] / "fixtures" / "preview"
AZUREAD_CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GRAPH_CA = "pulumi-python:dynamic/ztb:ConditionalAccessPolicy"
EMERGENCY_GROUP = "e58d11cd-f060-55f5-99bb-82679d22f917"
PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"


def _urn(type_: str) -> str:
    return f"urn:pulumi:dev::ztb::ztb:index:PrivilegedConditionalAccess${type_}::baseline-ca-priv-ca-04"


def move_doc(new_grant: dict | None = None, keep_exclusion: bool = True) -> dict:
    doc = json.loads((FIXTURES / "update-detailed-diff.json").read_text())
    ca05 = next(s for s in doc["steps"] if s["urn"].endswith("priv-ca-05"))
    old = copy.deepcopy(ca05["oldState"])
    cond = old["inputs"]["conditions"]
    cond.pop("signInRiskLevels", None)
    cond["userRiskLevels"] = ["high"]
    old["inputs"]["grantControls"] = {"operator": "AND", "builtInControls": ["mfa", "passwordChange"]}
    old["inputs"]["displayName"] = "ZTB PRIV-CA-04 Privileged: High-risk users must change password"
    old["urn"] = _urn(AZUREAD_CA)
    policy = to_graph({k: v for k, v in old["inputs"].items() if not k.startswith("__")})
    policy["displayName"] = "ZTB PRIV-CA-04 Privileged: High-risk users must remediate risk"
    policy["grantControls"] = new_grant or {"operator": "AND", "builtInControls": ["riskRemediation"],
                                            "authenticationStrength": {"id": PHISHING_RESISTANT}}
    if not keep_exclusion:
        policy["conditions"]["users"]["excludeGroups"].remove(EMERGENCY_GROUP)
    new = {"urn": _urn(GRAPH_CA), "custom": True, "type": GRAPH_CA,
           "inputs": {"policy": policy, "emergencyGroupId": EMERGENCY_GROUP, "controlId": "PRIV-CA-04"}}
    doc["steps"] = [doc["steps"][0],
                    {"op": "create", "urn": new["urn"], "newState": new},
                    {"op": "delete", "urn": old["urn"], "oldState": old}]
    doc["changeSummary"] = {"create": 1, "delete": 1, "same": 58}
    return doc


def review(doc: dict):
    read = read_config(doc)
    return rv.review(doc, read.baseline, read.note, read.unusable)


def test_moving_to_risk_remediation_is_one_move_that_strengthens_not_a_deleted_policy():
    r = review(move_doc())
    gone = next(c for c in r.changes if c.op is Op.DELETE)
    made = next(c for c in r.changes if c.op is Op.CREATE)
    assert gone.control_id == made.control_id == "PRIV-CA-04"
    assert MOVE_NOTE in gone.notes and MOVE_NOTE in made.notes
    # The overall verdict is the worst field's (the display name's rename is neutral); the grant strengthens.
    assert gone.verdict.impact == cl.NEUTRAL, gone.verdict
    grant = next(f for f in gone.fields if f.path == "grantControls.builtInControls")
    assert grant.verdict.impact == cl.STRENGTHENS and "passwordless" in grant.verdict.reason
    assert not gone.serious  # not "a baseline control deleted"
    assert made.verdict.impact == cl.NEUTRAL


def test_a_move_that_loses_the_emergency_exclusion_weakens():
    r = review(move_doc(keep_exclusion=False))
    gone = next(c for c in r.changes if c.op is Op.DELETE)
    assert gone.verdict.impact == cl.WEAKENS
    assert "emergency-access exclusion" in gone.verdict.reason


def test_a_move_that_drops_the_grant_to_plain_mfa_weakens():
    r = review(move_doc(new_grant={"operator": "OR", "builtInControls": ["mfa"]}))
    gone = next(c for c in r.changes if c.op is Op.DELETE)
    assert gone.verdict.impact == cl.WEAKENS and "passwordChange removed" in gone.verdict.reason


def test_a_delete_without_a_create_of_the_same_control_stays_a_deleted_policy():
    doc = move_doc()
    doc["steps"] = [s for s in doc["steps"] if s["op"] != "create"]
    doc["changeSummary"] = {"delete": 1, "same": 59}
    gone = next(c for c in review(doc).changes if c.op is Op.DELETE)
    assert gone.verdict.impact == cl.WEAKENS and gone.serious


def test_a_ring_group_replacement_is_weakening_and_serious():
    doc = json.loads((FIXTURES / "replace-with-unknowns.json").read_text())
    ring = next(c for c in review(doc).changes if c.control_id == "PRIV-GRP-13")
    assert ring.op is Op.REPLACE and ring.verdict.impact == cl.WEAKENS and ring.serious


# -- updates of the Graph provider's policy are read from its Graph JSON


def update_doc(change) -> dict:
    doc = move_doc()
    made = next(s for s in doc["steps"] if s["op"] == "create")
    old = copy.deepcopy(made["newState"])
    new = copy.deepcopy(old)
    change(new["inputs"]["policy"])
    doc["steps"] = [doc["steps"][0], {"op": "update", "urn": made["urn"], "oldState": old, "newState": new, "detailedDiff": None}]
    doc["changeSummary"] = {"update": 1, "same": 59}
    return doc


def test_an_update_that_drops_the_emergency_exclusion_from_the_graph_policy_weakens():
    change = next(c for c in review(update_doc(lambda p: p["conditions"]["users"]["excludeGroups"].remove(EMERGENCY_GROUP))).changes
                  if c.control_id == "PRIV-CA-04")
    assert change.verdict.impact == cl.WEAKENS and "emergency-access exclusion" in change.verdict.reason
    assert [f.path for f in change.fields] == ["conditions.users.excludeGroups"]


def test_an_update_back_to_password_change_weakens():
    def back(p):
        p["grantControls"] = {"operator": "AND", "builtInControls": ["mfa", "passwordChange"]}
    change = next(c for c in review(update_doc(back)).changes if c.control_id == "PRIV-CA-04")
    assert change.verdict.impact == cl.WEAKENS
    assert {f.path for f in change.fields} >= {"grantControls.builtInControls"}

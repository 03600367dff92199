"""ztb.compare.values and compare(both_ways): the small ideas every reader shares, decided once."""

from __future__ import annotations

import json

from ztb.compare.classify import WEAKENS, Impact, classify
from ztb.compare.normalize import compare
from ztb.compare.values import assignment_key, id_text, integral, item_key


def test_integral_numbers_from_pulumi():
    assert integral(4.0) == 4 and isinstance(integral(4.0), int)
    assert integral(4.5) == 4.5 and integral(True) is True and integral(None) is None and integral("4.0") == "4.0"
    assert integral(float("inf")) == float("inf")


def test_identities():
    assert id_text(None) == "" and id_text("ABC") == "abc" and id_text(3.0) == "3"
    group = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "G1"}
    assert item_key({"id": "p_g1", "target": group}) == item_key({"target": group}) == "microsoft.graph.groupassignmenttarget:g1"
    assert item_key("ABC") == "abc"
    assert assignment_key({"target": group}) == ("groupassignmenttarget", "g1", "", "none")
    assert assignment_key("not an assignment") == ("", "", "", "none")


def test_impact_reads_as_its_word():
    v = classify("group", "owners", [], ["someone"])
    assert v.impact is Impact.WEAKENS and v.impact == WEAKENS == "weakens"
    assert f"{v.impact}" == str(v.impact) == "weakens"
    assert json.dumps({"impact": v.impact}) == '{"impact": "weakens"}'


def test_both_ways_reports_what_only_the_new_side_names():
    old = {"rules": [{"id": "R1", "isExpirationRequired": True}]}
    new = {"rules": [{"id": "R1", "isExpirationRequired": True}, {"id": "R2", "isExpirationRequired": False}]}
    assert compare("roleManagementPolicy", old, new) == []
    changes = compare("roleManagementPolicy", old, new, both_ways=True)
    assert [(c.path, c.desired, c.actual) for c in changes] == [("rules[R2]", None, new["rules"][1])]
    grew = compare("group", {"displayName": "a"}, {"displayName": "a", "isAssignableToRole": True}, both_ways=True)
    assert [(c.path, c.desired, c.actual) for c in grew] == [("isAssignableToRole", None, True)]

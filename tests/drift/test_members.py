"""Group members and owners are tamper paths: drift reports them, from a snapshot and live.

One account added to the emergency-access exclusion group is excluded from every privileged
policy; an owner the stack does not declare can add it. Verdicts follow the group's membership
(/tmp interfaces, issue 10 §4): exclusion, included (the privileged group) or ring.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK, stack_values
from tests.doubles.graph import graph, graph_server  # noqa: F401  (fixtures)
from tests.drift.test_detect import IDEAL, SAMPLE, findings, ideal, other_stack
from tests.cli.test_drift import assert_one_error_line, write
from ztb.cli.drift import command as drift_command
from ztb.drift.detect import DriftError, detect
from ztb.tenant.ideal import ideal_snapshot

USER = "#microsoft.graph.user"
INTRUDER = "1a7e0000-0000-4000-8000-00000000bad1"
BREAK_GLASS = ["0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"]
ADMINS = ["ad000000-0000-4000-8000-000000000011", "ad000000-0000-4000-8000-000000000012", "ad000000-0000-4000-8000-000000000013"]
CA_EXCLUSION = "0ca0e8c1-0000-4000-8000-000000000003"
EMERGENCY = "ZTB Emergency Access Exclusion"
PRIVILEGED = "ZTB Privileged Users"
RING = "ZTB Privileged Ring 2 - Pilot"


def group(snap: dict, name_or_id: str) -> dict:
    return next(g for g in snap["groups"] if name_or_id in (g["displayName"], g["id"]))


def one_finding(snap: dict, baseline=SAMPLE) -> tuple[str, dict]:
    found = findings(snap, baseline)
    assert len(found) == 1, found
    return next(iter(found.items()))


def test_the_ideal_snapshot_carries_the_declared_members_and_owners_of_every_watched_group():
    assert [m["id"] for m in group(IDEAL, EMERGENCY)["members"]] == BREAK_GLASS
    assert [m["id"] for m in group(IDEAL, PRIVILEGED)["members"]] == ADMINS
    assert group(IDEAL, CA_EXCLUSION)["members"] == []
    assert group(IDEAL, RING)["members"] == []  # rings: members are not the stack's to declare
    for g in IDEAL["groups"]:
        if g["id"] != SAMPLE.config.pim.approverGroupId:  # referenced by PIM rules only: not watched
            assert [o["id"] for o in g["owners"]] == BREAK_GLASS, g["displayName"]
    assert detect(SAMPLE, ideal()).in_sync


@pytest.mark.parametrize("where", [EMERGENCY, CA_EXCLUSION])
def test_an_account_added_to_an_exclusion_group_weakens(where):
    snap = ideal()
    group(snap, where)["members"].append({"@odata.type": USER, "id": INTRUDER})
    cid, finding = one_finding(snap)
    assert cid == ("PRIV-GRP-02" if where == EMERGENCY else "PRIV-GRP-03")
    assert (finding["status"], finding["impact"]) == ("changed", "weakens")
    assert INTRUDER in finding["reason"] and "excluded from every privileged policy" in finding["reason"]
    (change,) = finding["changes"]
    assert change["path"] == "members" and INTRUDER in change["actual"] and INTRUDER not in change["desired"]


@pytest.mark.parametrize("where,cid", [(EMERGENCY, "PRIV-GRP-02"), (CA_EXCLUSION, "PRIV-GRP-03"), (PRIVILEGED, "PRIV-GRP-01"),
                                       (RING, "PRIV-GRP-12")])
def test_an_owner_the_stack_does_not_declare_weakens_on_every_group(where, cid):
    snap = ideal()
    group(snap, where)["owners"].append({"@odata.type": "#microsoft.graph.servicePrincipal", "id": INTRUDER})
    found_cid, finding = one_finding(snap)
    assert (found_cid, finding["impact"]) == (cid, "weakens")
    assert "owner the stack does not declare" in finding["reason"] and "servicePrincipal " + INTRUDER in finding["reason"]
    assert [c["path"] for c in finding["changes"]] == ["owners"]


def test_a_break_glass_account_missing_from_the_emergency_group_is_a_lockout_risk():
    snap = ideal()
    group(snap, EMERGENCY)["members"].pop(0)
    cid, finding = one_finding(snap)
    assert (cid, finding["impact"]) == ("PRIV-GRP-02", "weakens")
    assert "break-glass account leaves the emergency-access group" in finding["reason"]


def test_an_admin_missing_from_the_privileged_group_weakens_and_an_extra_one_strengthens():
    snap = ideal()
    group(snap, PRIVILEGED)["members"].pop()
    assert one_finding(snap)[1]["impact"] == "weakens"
    snap = ideal()
    group(snap, PRIVILEGED)["members"].append({"@odata.type": USER, "id": INTRUDER})
    cid, finding = one_finding(snap)
    assert (cid, finding["impact"]) == ("PRIV-GRP-01", "strengthens")


def test_ring_members_are_not_the_stacks_to_declare():
    snap = ideal()
    group(snap, RING)["members"] += [{"@odata.type": USER, "id": INTRUDER}, {"@odata.type": USER, "id": ADMINS[0]}]
    assert findings(snap) == {}


def test_a_declared_owner_gone_is_reported_but_does_not_weaken():
    snap = ideal()
    group(snap, EMERGENCY)["owners"].pop()
    cid, finding = one_finding(snap)
    assert (cid, finding["impact"]) == ("PRIV-GRP-02", "neutral")


def test_members_and_owners_compare_by_id_whatever_the_case_or_type_annotation():
    snap = ideal()
    for g in snap["groups"]:
        for key in ("members", "owners"):
            for item in g.get(key, []):
                item["id"] = item["id"].upper()
                item["@odata.type"] = "#microsoft.graph.directoryObject"
            g.get(key, []).reverse()
    assert findings(snap) == {}


def test_an_existing_emergency_group_without_declared_members_reports_every_member_with_the_fix():
    baseline = other_stack(emergencyAccessGroupId="e1e00000-0000-4000-8000-000000000002", emergencyAccessUserIds=[],
                           groupOwners=["0a0e0000-0000-4000-8000-0000000000aa"])
    snap = ideal_snapshot(baseline)
    assert detect(baseline, snap).in_sync
    group(snap, "e1e00000-0000-4000-8000-000000000002")["members"].append({"@odata.type": USER, "id": INTRUDER})
    cid, finding = one_finding(snap, baseline)
    assert (cid, finding["impact"]) == ("PRIV-GRP-02", "weakens")
    assert "ztb:emergencyAccessUserIds" in finding["reason"]


@pytest.mark.parametrize("key", ["members", "owners"])
@pytest.mark.parametrize("where", [EMERGENCY, CA_EXCLUSION, RING])
def test_a_watched_group_without_its_members_or_owners_is_an_error_not_in_sync(key, where):
    snap = ideal()
    del group(snap, where)[key]
    with pytest.raises(DriftError, match=f"carries no '{key}' list"):
        detect(SAMPLE, snap)


def test_from_a_snapshot_file_an_added_exclusion_member_exits_2_and_a_missing_list_exits_1(tmp_path):
    snap = ideal()
    group(snap, EMERGENCY)["members"].append({"@odata.type": USER, "id": INTRUDER})
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--snapshot", write(tmp_path, snap), "--format", "json"])
    assert result.exit_code == 2, result.stderr
    assert [(f["controlId"], f["impact"]) for f in json.loads(result.stdout)["findings"]] == [("PRIV-GRP-02", "weakens")]
    del group(snap, EMERGENCY)["owners"]
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--snapshot", write(tmp_path, snap)])
    assert_one_error_line(result, "PRIV-GRP-02", "owners", "ztb export")


@pytest.mark.parametrize("key,entry", [("members", {"@odata.type": USER, "id": INTRUDER}),
                                       ("owners", {"@odata.type": USER, "id": INTRUDER})])
def test_live_drift_reports_an_added_member_or_owner_of_the_exclusion_group(graph, key, entry):
    from tests.doubles.tenant import serve

    snap = ideal()
    group(snap, EMERGENCY)[key].append(entry)
    serve(graph, snap)
    graph.page_size = 5
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 2, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["controlId"], finding["impact"]) == ("PRIV-GRP-02", "weakens")
    assert INTRUDER in finding["reason"]


def test_the_config_the_tests_use_declares_the_break_glass_accounts():
    assert stack_values()["ztb:emergencyAccessUserIds"] == BREAK_GLASS

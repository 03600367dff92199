"""Standing access judged from the snapshot (`ztb drift --snapshot`), with no Graph call.

The ideal snapshot carries the sample stack's role schedules in sync; each case adds Microsoft's
documented payloads (tests/fixtures/graph/README.md names the pages) with only identifiers and
the value the case is about changed: a permanent Global Administrator, five of them, a synced
admin, a role-holding group outside ``ztb:pim.groups``, an eligibility nobody used. A snapshot
exported before ztb wrote the role schedules leaves them not checked, never in sync.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from tests.doubles.graph import sample
from tests.drift.test_detect import IDEAL
from ztb.cli.drift import command
from ztb.tenant.people import USER_SELECT
from ztb.tenant.snapshot import STANDING_COLLECTIONS

GA = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
ADMIN = "ad000000-0000-4000-8000-000000000011"
ROLE_GROUP = "f00dcafe-0000-4000-8000-0000000000a1"
USER, GROUP = "#microsoft.graph.user", "#microsoft.graph.group"


@pytest.fixture(autouse=True)
def no_graph(monkeypatch):
    """Any Graph call would fail: nothing listens on port 9."""
    monkeypatch.setenv("ZTB_GRAPH_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", "not-a-token")


def snapshot() -> dict:
    return json.loads(json.dumps(IDEAL))


def documented_user(oid: str, upn: str, synced: bool | None = None) -> dict:
    """user-list.response.json's administrator, as export's $select of it reads (with the principal's type)."""
    u = copy.deepcopy(sample("user-list.response.json")["value"][1])
    u.update(id=oid, userPrincipalName=upn, onPremisesSyncEnabled=synced)
    return {"@odata.type": USER, **{k: u[k] for k in USER_SELECT if k in u}}


def documented_eligibility(principal: str, role: str) -> dict:
    e = copy.deepcopy(sample("roleeligibilityscheduleinstances-list.response.json")["value"][0])
    e.update(id=f"elig-{principal}-{role[:8]}", principalId=principal, roleDefinitionId=role)
    return e


def drift(tmp_path, snap: dict, *extra: str):
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snap))
    result = CliRunner().invoke(command, ["--config", str(SAMPLE_STACK), "--snapshot", str(path), "--format", "json", *extra],
                                catch_exceptions=False)
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else None
    return result, doc, {f["controlId"]: f for f in (doc or {}).get("findings", [])}


def test_the_ideal_snapshot_is_clean_and_priv_man_04_is_checked(tmp_path):
    result, doc, findings = drift(tmp_path, snapshot())
    assert result.exit_code == 0, result.output
    assert doc["inSync"] and not findings
    unchecked = {n["controlId"] for n in doc["notChecked"]}
    assert "PRIV-MAN-04" not in unchecked and not any(c.startswith("PRIV-ELIG-") for c in unchecked)


def test_the_flag_is_unnecessary_when_the_snapshot_holds_the_schedules(tmp_path):
    result, doc, _ = drift(tmp_path, snapshot(), "--standing-access")
    assert result.exit_code == 0, result.output  # no live read: ZTB_GRAPH_URL points at nothing
    assert "judged from it and --standing-access read nothing live" in result.stderr


def test_documented_permanent_global_administrators_are_standing_and_outside_pim(tmp_path):
    snap = snapshot()
    for a in sample("roleassignmentscheduleinstances-list.response.json")["value"]:  # identifiers as documented
        snap["roleAssignmentScheduleInstances"].append(a)
        snap["rolePrincipals"].append(documented_user(a["principalId"], f"{a['principalId'][:8]}@contoso.com"))
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2
    standing = findings["STANDING-6be4b305-62e90394"]
    assert standing["impact"] == "weakens" and standing["status"] == "standingAccess" and "permanent active" in standing["reason"]
    assert findings["OUTSIDE-PIM-56f2d212-62e90394"]["impact"] == "weakens"
    assert "PRIV-MAN-04" not in findings  # two plus the ideal's two: four, inside Microsoft's range


def test_five_global_administrators_weaken_citing_microsoft_and_cisa(tmp_path):
    snap = snapshot()
    snap["roleAssignmentScheduleInstances"] += sample("roleassignmentscheduleinstances-list.response.json")["value"]
    extra = "e1e1e1e1-0000-4000-8000-000000000005"
    snap["roleEligibilityScheduleInstances"].append(documented_eligibility(extra, GA))
    snap["rolePrincipals"].append(documented_user(extra, "fifth@contoso.com"))
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2
    count = findings["PRIV-MAN-04"]
    assert count["impact"] == "weakens" and "5 Global Administrators" in count["reason"]
    assert "fewer than five" in count["reason"] and "MS.AAD.7.1v1 two to eight" in count["reason"]


def test_cisa_range_accepts_five(tmp_path):
    import yaml

    doc = yaml.safe_load(SAMPLE_STACK.read_text())
    doc["config"]["ztb:globalAdministratorRange"] = "cisa"
    config = tmp_path / "Pulumi.cisa.yaml"
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    snap = snapshot()
    for n in range(3):
        oid = f"e1e1e1e1-0000-4000-8000-00000000000{n}"
        snap["roleEligibilityScheduleInstances"].append(documented_eligibility(oid, GA))
        snap["roleActivationRequests"].append({**snap["roleActivationRequests"][0], "id": f"act-{n}", "principalId": oid})
        snap["rolePrincipals"].append(documented_user(oid, f"extra{n}@contoso.com"))
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snap))
    result = CliRunner().invoke(command, ["--config", str(config), "--snapshot", str(path), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_a_synced_admin_weakens(tmp_path):
    snap = snapshot()
    admin = next(p for p in snap["rolePrincipals"] if p["id"] == ADMIN)
    admin.update(documented_user(ADMIN, "admin@contoso.com", synced=True))
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2 and set(findings) == {"SYNCED-ad000000"}
    assert findings["SYNCED-ad000000"]["impact"] == "weakens" and "on-premises" in findings["SYNCED-ad000000"]["reason"]


def test_a_role_holding_group_outside_pim_groups_weakens_and_a_declared_one_does_not(tmp_path):
    snap = snapshot()
    assert any(p["@odata.type"] == GROUP for p in snap["rolePrincipals"])  # the declared PIM group: no finding (clean above)
    group = copy.deepcopy(sample("group-list.response.json")["value"][0])
    group.update(id=ROLE_GROUP, isAssignableToRole=True)
    snap["rolePrincipals"].append({"@odata.type": GROUP, **group})
    snap["roleEligibilityScheduleInstances"].append(documented_eligibility(ROLE_GROUP, PRIVILEGED_ROLE_ADMIN))
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2
    assert set(findings) == {"PIM-GROUP-f00dcafe"}  # and no unused eligibility: its members activate as themselves
    f = findings["PIM-GROUP-f00dcafe"]
    assert f["impact"] == "weakens" and "Privileged Role Administrator" in f["displayName"] and "ztb:pim.groups" in f["reason"]
    assert f["objectId"] == ROLE_GROUP


def test_an_eligibility_not_activated_in_the_window_before_the_export_weakens(tmp_path):
    snap = snapshot()
    snap["roleActivationRequests"] = [a for a in snap["roleActivationRequests"] if a["roleDefinitionId"] != SECURITY_ADMIN]
    for a in snap["roleActivationRequests"]:
        if a["roleDefinitionId"] == GA:
            a["createdDateTime"] = "2024-09-01T00:00:00Z"  # 122 days before exportedAt: outside the 90-day window
    _, _, findings = drift(tmp_path, snap)
    unused = {c for c in findings if c.startswith("UNUSED-ELIG-")}
    assert unused == {"UNUSED-ELIG-ad000000-194ae4cb", "UNUSED-ELIG-ad000000-62e90394"} | {
        f"UNUSED-ELIG-{e['principalId'][:8]}-62e90394" for e in snap["roleEligibilityScheduleInstances"] if e["roleDefinitionId"] == GA}
    assert all(findings[c]["impact"] == "weakens" and "since 2024-10-03" in findings[c]["reason"] for c in unused)


def test_a_declared_eligibility_that_is_gone_is_reported(tmp_path):
    snap = snapshot()
    snap["roleEligibilityScheduleInstances"] = [e for e in snap["roleEligibilityScheduleInstances"] if e["roleDefinitionId"] != SECURITY_ADMIN]
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2
    (gone,) = [f for c, f in findings.items() if c.startswith("PRIV-ELIG-")]
    assert gone["status"] == "missing" and "not eligible for Security Administrator" in gone["reason"]


def test_an_older_snapshot_without_the_schedules_says_not_checked_never_in_sync(tmp_path):
    snap = {k: v for k, v in snapshot().items() if k not in STANDING_COLLECTIONS}
    result, doc, findings = drift(tmp_path, snap)
    assert result.exit_code == 0 and not findings  # as before ztb exported them: nothing judged, nothing claimed
    reasons = {n["controlId"]: n["reason"] for n in doc["notChecked"]}
    assert "PRIV-MAN-04" in reasons and "does not hold" in reasons["PRIV-MAN-04"] and "re-export" in reasons["PRIV-MAN-04"]
    assert any(c.startswith("PRIV-ELIG-") for c in reasons)


def _ga_group(snap: dict, members) -> None:
    """A role-assignable group (group-list.response.json's first group) eligible for Global Administrator."""
    group = copy.deepcopy(sample("group-list.response.json")["value"][0])
    group.update(id=ROLE_GROUP, isAssignableToRole=True)
    if members is not None:
        group["members"] = members
    snap["rolePrincipals"].append({"@odata.type": GROUP, **group})
    snap["roleEligibilityScheduleInstances"].append(documented_eligibility(ROLE_GROUP, GA))


def test_each_member_of_a_group_holding_global_administrator_counts(tmp_path):
    # Two eligible admins in the ideal tenant plus a group of six: eight people can become Global Administrator.
    snap = snapshot()
    _ga_group(snap, [f"6e6e6e6e-0000-4000-8000-00000000000{n}" for n in range(6)])
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2
    assert "8 Global Administrators" in findings["PRIV-MAN-04"]["reason"]


def test_a_group_holding_global_administrator_whose_members_were_not_read_cannot_be_counted(tmp_path):
    snap = snapshot()
    _ga_group(snap, None)  # exported before ztb read a role-holding group's members
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2
    count = findings["PRIV-MAN-04"]
    assert count["impact"] == "weakens" and "cannot be told" in count["reason"] and ROLE_GROUP in count["reason"]


@pytest.mark.parametrize("assignment_type", [None, "", "Assigned ", "ASSIGNED", "somethingNew"])
def test_an_oddly_written_assignment_type_cannot_hide_a_permanent_global_administrator(tmp_path, assignment_type):
    snap = snapshot()
    a = copy.deepcopy(sample("roleassignmentscheduleinstances-list.response.json")["value"][0])
    a.update(principalId=ADMIN, roleDefinitionId=GA, assignmentType=assignment_type, endDateTime=None)
    snap["roleAssignmentScheduleInstances"].append(a)
    result, _, findings = drift(tmp_path, snap)
    assert result.exit_code == 2, result.output
    assert findings["STANDING-ad000000-62e90394"]["impact"] == "weakens"

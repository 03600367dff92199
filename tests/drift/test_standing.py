"""Standing access in drift read live (`ztb drift --standing-access` on a snapshot exported before ztb
wrote the role schedules): the one reader shared with `ztb readiness` and `ztb export`, from
Microsoft's documented schedule-instance payloads. Judging a snapshot that holds them:
tests/drift/test_standing_snapshot.py."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from tests.doubles.graph import graph, graph_server, sample  # noqa: F401  (fixtures)
from tests.doubles.readiness import serve
from ztb.cli.drift import command
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.tenant.ideal import ideal_snapshot
from ztb.tenant.snapshot import STANDING_COLLECTIONS

GA = "62e90394-69f5-4237-9190-012177145e10"
BREAK_GLASS = "0b5e0a11-0000-4000-8000-000000000001"
IDEAL = ideal_snapshot(build(load_stack_file(str(SAMPLE_STACK))))
#: The sample stack's Global Administrators: its one mapped admin and the ideal tenant's second one.
ADMINS = sorted(e["principalId"] for e in IDEAL["roleEligibilityScheduleInstances"] if e["roleDefinitionId"] == GA)
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"


@pytest.fixture
def tenant(graph, tmp_path):
    snap = json.loads(json.dumps(IDEAL))
    live = {k: snap.pop(k) for k in STANDING_COLLECTIONS}  # an older export: the role schedules are not in the file
    path = tmp_path / "ideal.json"
    path.write_text(json.dumps(snap))
    t = serve(graph, json.loads(json.dumps(snap)))
    for p in live["rolePrincipals"]:
        if p["@odata.type"] == "#microsoft.graph.user":
            t.user(p["id"], p["userPrincipalName"], methods=["fido2SecurityKey"])
        else:
            t.group(p["id"], p["displayName"])
    for e in live["roleEligibilityScheduleInstances"]:
        t.eligibility(e["principalId"], e["roleDefinitionId"], activated_hours_ago=None if e["principalId"] in t.members else 24 * 10)
    t.user(BREAK_GLASS, "breakglass1@contoso.onmicrosoft.com")
    t.assignment(BREAK_GLASS, GA, permanent=True)  # a break-glass account: permanent by design
    t.snapshot_path = path
    return t


def drift(t, *extra):
    result = CliRunner().invoke(command, ["--config", str(SAMPLE_STACK), "--snapshot", str(t.snapshot_path), "--standing-access",
                                          "--format", "json", *extra], catch_exceptions=False)
    return result, json.loads(result.stdout) if result.stdout.startswith("{") else None


def test_clean_tenant_is_in_sync_and_the_break_glass_exception_is_listed(tenant):
    result, doc = drift(tenant)
    assert result.exit_code == 0, result.output
    assert doc["inSync"] and not [n for n in doc["notChecked"] if n["controlId"] == "PRIV-MAN-04"]
    assert any(a["id"] == BREAK_GLASS and "break-glass" in a["reason"] for a in doc["accepted"])


def test_documented_permanent_global_administrators_are_standing_and_outside_pim(tenant):
    for a in sample("roleassignmentscheduleinstances-list.response.json")["value"]:
        tenant.assignments.append(a)
        tenant.user(a["principalId"], f"{a['principalId'][:8]}@contoso.com")
    result, doc = drift(tenant)
    assert result.exit_code == 2
    ids = {f["controlId"]: f for f in doc["findings"]}
    assert {"STANDING-6be4b305-62e90394", "STANDING-56f2d212-62e90394", "OUTSIDE-PIM-6be4b305-62e90394"} <= set(ids)
    assert ids["STANDING-6be4b305-62e90394"]["impact"] == "weakens" and "permanent active" in ids["STANDING-6be4b305-62e90394"]["reason"]
    # Two admins plus two documented permanent ones: four, still inside Microsoft's range.
    assert "PRIV-MAN-04" not in ids


def test_five_global_administrators_cite_microsoft_and_cisa(tenant):
    for n in range(3):
        oid = f"ad000000-0000-4000-8000-00000000002{n}"
        tenant.user(oid, f"extra{n}@contoso.com")
        tenant.eligibility(oid, GA, activated_hours_ago=1)
    result, doc = drift(tenant)
    assert result.exit_code == 2
    finding = next(f for f in doc["findings"] if f["controlId"] == "PRIV-MAN-04")
    assert finding["impact"] == "weakens" and "5 Global Administrators" in finding["reason"]
    assert "fewer than five" in finding["reason"] and "MS.AAD.7.1v1 two to eight" in finding["reason"]


def test_one_global_administrator_is_too_few(tenant):
    tenant.eligibilities = [e for e in tenant.eligibilities if e["principalId"] != ADMINS[1]]
    _, doc = drift(tenant)
    assert "1 Global Administrators" in next(f for f in doc["findings"] if f["controlId"] == "PRIV-MAN-04")["reason"]


def test_synced_admin_and_unused_eligibility(tenant):
    tenant.users[ADMINS[0]]["onPremisesSyncEnabled"] = True
    tenant.activations = [a for a in tenant.activations if a["roleDefinitionId"] != SECURITY_ADMIN]
    result, doc = drift(tenant)
    ids = {f["controlId"] for f in doc["findings"]}
    assert f"SYNCED-{ADMINS[0][:8]}" in ids and "UNUSED-ELIG-ad000000-194ae4cb" in ids
    assert result.exit_code == 2


def test_without_the_flag_the_global_admin_count_is_listed_as_not_checked(tenant):
    result = CliRunner().invoke(command, ["--config", str(SAMPLE_STACK), "--snapshot", str(tenant.snapshot_path), "--format", "json"],
                                catch_exceptions=False)
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and not tenant.double.requests
    reason = next(n["reason"] for n in doc["notChecked"] if n["controlId"] == "PRIV-MAN-04")
    assert "--standing-access" in reason and "re-export" in reason


def test_unreadable_role_schedules_exit_1_naming_the_permission(tenant, graph):
    graph.fail("GET", r"roleEligibilityScheduleInstances", 403, times=100)
    result, _ = drift(tenant)
    assert result.exit_code == 1 and "RoleManagement.Read.Directory" in result.stderr and result.stdout == ""


def test_role_schedules_of_another_tenant_are_refused(tenant, graph):
    graph.organization_id = "cab01047-8ad9-4792-8e42-569340767f1b"
    result, _ = drift(tenant)
    assert result.exit_code == 1 and "cannot be vouched for" in result.stderr


def test_cisa_range_accepts_five_global_administrators(tenant, tmp_path):
    import yaml

    doc = yaml.safe_load(SAMPLE_STACK.read_text())
    doc["config"]["ztb:globalAdministratorRange"] = "cisa"
    config = tmp_path / "Pulumi.cisa.yaml"
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    for n in range(3):
        oid = f"ad000000-0000-4000-8000-00000000002{n}"
        tenant.user(oid, f"extra{n}@contoso.com")
        tenant.eligibility(oid, GA, activated_hours_ago=1)
    result = CliRunner().invoke(command, ["--config", str(config), "--snapshot", str(tenant.snapshot_path), "--standing-access",
                                          "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not [f for f in json.loads(result.stdout)["findings"] if f["controlId"] == "PRIV-MAN-04"]


@pytest.mark.parametrize("field,value", [("endDateTime", 5), ("principalId", ["x"]), ("assignmentType", {"a": 1}), ("memberType", True)])
def test_a_schedule_instance_of_another_shape_is_one_line(tenant, graph, field, value):
    graph.fail("GET", r"roleAssignmentScheduleInstances", 200, {"value": [dict(tenant.assignments[0], **{field: value})]}, times=100)
    result, _ = drift(tenant)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and result.stdout == "" and len(lines) == 1 and "Traceback" not in result.stderr
    assert "reading the role schedules failed" in lines[0] and "InvalidResponse" in lines[0] and field in lines[0]

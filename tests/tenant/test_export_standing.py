"""`ztb export` writes standing access into the snapshot, through the real msgraph-sdk stack against
the Graph double: the role schedule instances of the roles in scope, the window's activations and
the principals they name, read by the one reader (ztb.tenant.role_access) in ``$batch``; a refused
read fails closed naming the permission, and nothing is written."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from tests.cli.test_drift import assert_one_error_line
from tests.conftest import SAMPLE_STACK
from tests.doubles.graph import graph, graph_server, sample  # noqa: F401  (fixtures)
from tests.doubles.tenant import serve
from tests.drift.test_detect import IDEAL
from ztb.cli.drift import command as drift_command
from ztb.cli.export import command as export_command
from ztb.tenant.snapshot import STANDING_COLLECTIONS, load

GA = "62e90394-69f5-4237-9190-012177145e10"
DOCUMENTED = sample("roleassignmentscheduleinstances-list.response.json")["value"]


def export(graph, tmp_path, snap=None):
    serve(graph, copy.deepcopy(snap if snap is not None else IDEAL))
    out = tmp_path / "tenant.json"
    result = CliRunner().invoke(export_command, ["--config", str(SAMPLE_STACK), "--out", str(out)], catch_exceptions=False)
    return result, out


def test_export_writes_the_role_schedules_their_principals_and_the_windows_activations(graph, tmp_path):
    result, out = export(graph, tmp_path)
    assert result.exit_code == 0, result.stderr
    snap = load(str(out))
    for key in ("roleAssignmentScheduleInstances", "roleEligibilityScheduleInstances", "rolePrincipals"):
        assert sorted(snap[key], key=lambda x: x["id"]) == sorted(IDEAL[key], key=lambda x: x["id"]), key
    # The activations keep their IDs; the double dates them as old as they were at the ideal's export.
    assert sorted(a["id"] for a in snap["roleActivationRequests"]) == sorted(a["id"] for a in IDEAL["roleActivationRequests"])
    batched = [r for r in graph.batched if "Schedule" in r.path]
    instance_reads = [r for r in batched if r.path.endswith("ScheduleInstances")]
    assert len(instance_reads) == 6 and all(r.query["$filter"].startswith("roleDefinitionId in (") for r in instance_reads)
    assert all("principalId" in r.query["$select"] for r in instance_reads)
    (requests,) = [r for r in batched if r.path.endswith("roleAssignmentScheduleRequests")]
    assert requests.query["$filter"] == "action eq 'selfActivate'"
    assert not graph.sent("GET", "ScheduleInstances")  # every instance read went through $batch
    # The exported snapshot drifts clean from the file, with no further Graph call.
    graph.requests.clear()
    drift = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--snapshot", str(out), "--format", "json"],
                               catch_exceptions=False)
    assert drift.exit_code == 0, drift.stdout
    assert not graph.requests and "PRIV-MAN-04" not in {n["controlId"] for n in json.loads(drift.stdout)["notChecked"]}


def test_a_documented_permanent_global_administrator_is_exported_and_drift_reports_it(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    snap["roleAssignmentScheduleInstances"] += copy.deepcopy(DOCUMENTED)
    for a in DOCUMENTED:
        snap["rolePrincipals"].append({"@odata.type": "#microsoft.graph.user", "id": a["principalId"], "displayName": "MOD Administrator",
                                       "userPrincipalName": f"{a['principalId'][:8]}@contoso.com", "onPremisesSyncEnabled": True})
    # A scoped assignment (an administrative unit) is not tenant-wide standing access and is not exported.
    snap["roleAssignmentScheduleInstances"].append(dict(copy.deepcopy(DOCUMENTED[0]), id="scoped-1", directoryScopeId="/administrativeUnits/x"))
    result, out = export(graph, tmp_path, snap)
    assert result.exit_code == 0, result.stderr
    exported = load(str(out))
    assert {a["id"] for a in exported["roleAssignmentScheduleInstances"]} == {a["id"] for a in DOCUMENTED}
    assert {p["id"] for p in exported["rolePrincipals"]} >= {a["principalId"] for a in DOCUMENTED}
    drift = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--snapshot", str(out), "--format", "json"],
                               catch_exceptions=False)
    findings = {f["controlId"]: f for f in json.loads(drift.stdout)["findings"]}
    assert drift.exit_code == 2
    assert {"STANDING-6be4b305-62e90394", "OUTSIDE-PIM-6be4b305-62e90394", "SYNCED-6be4b305", "SYNCED-56f2d212"} <= set(findings)
    assert all(findings[c]["impact"] == "weakens" for c in findings)


@pytest.mark.parametrize("pattern,permission", [
    (r"roleAssignmentScheduleInstances", "RoleManagement.Read.Directory"),
    (r"roleEligibilityScheduleInstances", "RoleManagement.Read.Directory"),
    (r"roleAssignmentScheduleRequests", "RoleManagement.Read.Directory"),
    (r"^/users", "User.Read.All"),
])
def test_a_refused_standing_read_fails_closed_naming_the_permission(graph, tmp_path, pattern, permission):
    graph.fail("GET", pattern, 403, times=100)
    result, out = export(graph, tmp_path)
    assert_one_error_line(result, permission, "nothing was compared or written")
    assert not out.exists()


def test_live_drift_judges_standing_access_from_the_same_read(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    snap["roleAssignmentScheduleInstances"] += copy.deepcopy(DOCUMENTED[:1])
    snap["rolePrincipals"].append({"@odata.type": "#microsoft.graph.user", "id": DOCUMENTED[0]["principalId"],
                                   "userPrincipalName": "mod@contoso.com"})
    serve(graph, snap)
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 2, result.stderr
    assert "STANDING-6be4b305-62e90394" in {f["controlId"] for f in json.loads(result.stdout)["findings"]}
    assert set(STANDING_COLLECTIONS) and len(graph.sent("GET", "^/organization")) == 1  # one read, not a second live pass

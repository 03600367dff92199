"""`ztb drift --previous` (live) lists who changed roles, PIM and Conditional Access since the previous run.

The events come from the real msgraph-sdk stack against the Graph double, which serves Microsoft's
documented ``directoryAudit`` payload (tests/fixtures/graph/directoryaudit-list-ex1.response.json).
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from tests.conftest import GRAPH_SAMPLES, SAMPLE_STACK, one_error_line
from tests.doubles.graph import graph, graph_server  # noqa: F401  (fixtures)
from tests.doubles.tenant import serve
from tests.drift.test_detect import ideal
from tests.cli.test_drift import write
from ztb.cli.drift import command as drift_command

AUDITS = "/auditLogs/directoryAudits"
SINCE = "2018-01-09T00:00:00Z"
EVENTS = json.loads((GRAPH_SAMPLES / "directoryaudit-list-ex1.response.json").read_text())["value"]


def previous(tmp_path, **changes) -> str:
    doc = {"inSync": True, "findings": [], "tenantId": ideal()["tenantId"], "exportedAt": SINCE, **changes}
    return write(tmp_path, doc, "previous.json")


def drift(*args: str):
    return CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), *args], catch_exceptions=False)


@pytest.fixture
def tenant(graph):
    serve(graph, ideal())
    graph.collections[AUDITS] = copy.deepcopy(EVENTS)
    return graph


def test_the_events_since_the_previous_run_are_read_server_side_filtered_and_reported(tenant, tmp_path):
    result = drift("--format", "json", "--previous", previous(tmp_path))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["inSync"] is True and doc["auditSince"] == SINCE
    assert doc["auditEvents"] == [{
        "when": "2018-01-09T21:20:02.7215374Z", "who": "bob@wingtiptoysonline.com", "what": "Add member to group",
        "targets": ["Example.com", "bob@contoso.com"], "category": "UserManagement", "service": "Core Directory",
        "result": "success", "id": "id",
    }]
    (read,) = tenant.sent("GET", AUDITS)
    assert read.version == "v1.0"
    assert read.query == {
        "$filter": f"activityDateTime ge {SINCE} and (category eq 'RoleManagement' or category eq 'Policy' or loggedByService eq 'PIM')",
        "$orderby": "activityDateTime",
    }
    assert not tenant.sent("POST", AUDITS) and not tenant.sent("PATCH")


@pytest.mark.parametrize("fmt,expected", [
    ("text", "Role, PIM and Conditional Access changes since 2018-01-09T00:00:00Z (directory audit): 1"),
    ("markdown", "### Who changed what since 2018-01-09T00:00:00Z"),
])
def test_text_and_markdown_show_who_what_when(tenant, tmp_path, fmt, expected):
    result = drift("--format", fmt, "--previous", previous(tmp_path))
    assert result.exit_code == 0 and expected in result.stdout
    assert "wingtiptoysonline.com" in result.stdout and "Add member to group" in result.stdout


def test_every_page_is_read(tenant, tmp_path):
    tenant.collections[AUDITS] = [dict(copy.deepcopy(EVENTS[0]), id=f"event-{i}") for i in range(7)]
    tenant.page_size = 3
    doc = json.loads(drift("--format", "json", "--previous", previous(tmp_path)).stdout)
    assert [e["id"] for e in doc["auditEvents"]] == [f"event-{i}" for i in range(7)]


def test_without_previous_or_from_a_snapshot_no_audit_is_read(tenant, tmp_path):
    assert "auditEvents" not in json.loads(drift("--format", "json").stdout)
    doc = json.loads(drift("--format", "json", "--snapshot", write(tmp_path, ideal()), "--previous", previous(tmp_path)).stdout)
    assert "auditEvents" not in doc and not tenant.sent("GET", AUDITS)


def test_a_refused_audit_read_fails_closed_naming_the_permission(tenant, tmp_path):
    tenant.fail("GET", AUDITS, 403)
    result = drift("--format", "json", "--previous", previous(tmp_path))
    line = one_error_line(result)
    assert "AuditLog.Read.All" in line and "nothing was compared or written" in line
    assert result.stdout == "" and "double-token" not in result.stderr


def test_a_failed_page_is_never_an_empty_audit(tenant, tmp_path):
    tenant.collections[AUDITS] = [dict(copy.deepcopy(EVENTS[0]), id=f"event-{i}") for i in range(4)]
    tenant.page_size = 2
    tenant.fail("GET", r"directoryAudits.*skiptoken", 500, times=10)
    result = drift("--format", "json", "--previous", previous(tmp_path))
    assert result.exit_code == 1 and result.stdout == ""
    assert "directory-audit" in one_error_line(result)


@pytest.mark.parametrize("event,expected", [
    ({"category": "RoleManagement"}, "has no 'id'"),  # the paging layer refuses it first
    ({"id": "e2", "category": "RoleManagement"}, "without its id or activityDateTime"),
    (dict(EVENTS[0], id="e2", activityDisplayName=["x"]), "activityDisplayName is not text"),
    (dict(EVENTS[0], id="e2", targetResources={"id": "x"}), "targetResources is not a list"),
    (dict(EVENTS[0], id="e2", initiatedBy={"user": {"userPrincipalName": 7}}), "initiatedBy.user is not text"),
])
def test_an_event_of_another_shape_is_one_line_not_a_partial_list(tenant, tmp_path, event, expected):
    tenant.collections[AUDITS] = [copy.deepcopy(EVENTS[0]), event]
    result = drift("--format", "json", "--previous", previous(tmp_path))
    assert expected in one_error_line(result) and result.stdout == ""


@pytest.mark.parametrize("exported,expected", [
    (None, "has no exportedAt"),
    ("yesterday", "not an ISO 8601 UTC time"),
    ("2018-01-09T00:00:00Z' or category eq 'x", "not an ISO 8601 UTC time"),
    ("2018-13-45T25:00:00Z", "not a calendar time"),
    ("2999-01-01T00:00:00Z", "is in the future"),
    ("2018-01-09T00:00:00Zjunk", "not an ISO 8601 UTC time"),
])
def test_a_previous_result_without_a_usable_time_is_refused(tenant, tmp_path, exported, expected):
    path = previous(tmp_path, exportedAt=exported) if exported else write(tmp_path, {"findings": [], "tenantId": ideal()["tenantId"]}, "p.json")
    result = drift("--previous", path)
    assert expected in one_error_line(result)
    assert not tenant.sent("GET", AUDITS)


def test_more_events_than_a_report_lists_is_one_line_pointing_at_the_audit_log(tenant, tmp_path, monkeypatch):
    import ztb.tenant.audits as audits

    monkeypatch.setattr(audits, "MAX_EVENTS", 3)
    tenant.collections[AUDITS] = [dict(copy.deepcopy(EVENTS[0]), id=f"event-{i}") for i in range(4)]
    line = one_error_line(drift("--previous", previous(tmp_path)))
    assert "4 directory-audit events" in line and "Entra audit log" in line


def test_with_a_snapshot_audit_lists_the_events_read_live_as_the_nightly_job_does(tenant, tmp_path):
    doc = json.loads(drift("--format", "json", "--snapshot", write(tmp_path, ideal()), "--previous", previous(tmp_path), "--audit").stdout)
    assert doc["auditSince"] == SINCE and [e["what"] for e in doc["auditEvents"]] == ["Add member to group"]
    assert not drift("--previous", previous(tmp_path), "--no-audit").stdout.count("directory audit")


def test_audit_without_previous_is_one_line(tenant):
    assert "pass --previous FILE" in one_error_line(drift("--audit"))


OTHER_TENANT = "f00dcafe-0000-4000-8000-00000000beef"


@pytest.mark.parametrize("snapshot", [True, False], ids=["snapshot", "live"])
def test_events_graph_answers_for_another_tenant_are_refused_in_one_line(tenant, tmp_path, snapshot):
    """/organization names another tenant: its events (or its "nobody changed anything") are never reported."""
    tenant.organization_id = OTHER_TENANT
    args = ["--snapshot", write(tmp_path, ideal())] if snapshot else []
    result = drift("--format", "json", *args, "--previous", previous(tmp_path), "--audit")
    line = one_error_line(result)
    assert OTHER_TENANT in line and result.stdout == ""
    if snapshot:  # the live read refuses the tenant before it reads any audit event
        assert "directory-audit events" in line and "cannot be vouched for" in line and tenant.sent("GET", AUDITS)


@pytest.mark.parametrize("since", ["2018-01-09T00:00:00Z\n", "2018-01-09T00:00:00Z\n' or category eq 'x", " 2018-01-09T00:00:00Z"])
def test_the_window_start_is_the_whole_text_not_a_prefix_or_a_line(since):
    from ztb.tenant.audits import AuditError, audit_query

    with pytest.raises(AuditError, match="not an ISO 8601 UTC time"):
        audit_query(since)


def test_a_window_start_within_the_clock_skew_is_read_and_later_is_refused():
    from datetime import datetime, timezone

    from ztb.tenant.audits import AuditError, audit_query

    now = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
    assert audit_query("2026-01-05T02:04:59Z", now)["$orderby"] == "activityDateTime"
    with pytest.raises(AuditError, match="in the future"):
        audit_query("2026-01-05T02:05:01Z", now)

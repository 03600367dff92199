"""`ztb export` and live `ztb drift` through the real msgraph-sdk stack against the local Graph
double (tests/doubles/graph.py) serving a whole tenant (tests/doubles/tenant.py)."""

from __future__ import annotations

import copy
import json
import math

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from tests.doubles.tenant import serve
from tests.cli.test_drift import assert_one_error_line
from tests.doubles.graph import graph, graph_server, sample  # noqa: F401  (fixtures)
from tests.drift.test_detect import IDEAL, MUTATIONS, ca
from ztb.cli.drift import command as drift_command
from ztb.cli.export import command as export_command
from ztb.tenant.export import IN_FILTER_MAX
from ztb.tenant.snapshot import COLLECTIONS, load

#: One paged list per collection, plus the stack's groups by name and the referenced ones by ID,
#: /organization (the tenant), and one $batch for the members and owners of the watched groups; app
#: protection is one collection read from two lists (iOS, Android); and the sample's optional
#: collections: access reviews, authentication contexts, the PIM for Groups policies of its one
#: ztb:pim.groups group, and (beta) its PIM alert configurations; and standing access: one $batch of
#: the role schedule instances (37 roles, 15 a filter: 3 + 3) and activation requests, one $batch of
#: the users they name, one /groups list of the principals that are not users (the PIM group), and
#: one $batch of that group's transitive members (each holds its roles: the Global Administrator count).
ONE_PAGE_EACH = len(COLLECTIONS) - 1 + 1 + 2 + 1 + 1 + 4 + 3 + 1


def without_context(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in x.items() if not k.endswith("@odata.context")} for x in items]


def tenant(graph, snap=None, page_size=None):
    serve(graph, copy.deepcopy(snap if snap is not None else IDEAL))
    graph.page_size = page_size
    return graph


def export(tmp_path, *extra):
    out = tmp_path / "tenant.json"
    result = CliRunner().invoke(export_command, ["--config", str(SAMPLE_STACK), "--out", str(out), *extra], catch_exceptions=False)
    return result, out


def drift(*extra):
    return CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--format", "json", *extra], catch_exceptions=False)


def test_export_reads_every_collection_across_pages(graph, tmp_path):
    tenant(graph, page_size=3)
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.stderr
    snap = load(str(out))
    for key in COLLECTIONS:
        if key != "groups":
            assert without_context(snap[key]) == without_context(IDEAL[key]), key
    assert {g["id"] for g in snap["groups"]} == {g["id"] for g in IDEAL["groups"]}
    assert snap["tenantId"] == IDEAL["tenantId"]
    # Paging was followed to the end: 32 PIM policies in pages of 3.
    assert len(graph.sent("GET", "/policies/roleManagementPolicies$")) == math.ceil(len(IDEAL["roleManagementPolicies"]) / 3)


def test_export_uses_one_filtered_expanded_list_for_pim_and_selects_role_definitions(graph, tmp_path):
    tenant(graph)
    assert export(tmp_path)[0].exit_code == 0
    (pim,) = graph.sent("GET", "/policies/roleManagementPolicies$")
    assert pim.query == {"$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'", "$expand": "rules"}
    assignments, groups = sorted(graph.sent("GET", "/policies/roleManagementPolicyAssignments"), key=lambda r: "Group" in r.query["$filter"])
    assert assignments.query == {"$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'"}
    assert groups.query == {"$filter": "scopeId eq '9e0a0000-0000-4000-8000-000000000021' and scopeType eq 'Group'",
                            "$expand": "policy($expand=rules)"}
    (compliance,) = graph.sent("GET", "/deviceManagement/deviceCompliancePolicies")
    assert compliance.version == "beta" and compliance.query == {"$expand": "assignments"}
    (roles,) = graph.sent("GET", "/roleManagement/directory/roleDefinitions")
    assert roles.version == "beta" and roles.query == {"$select": "id,displayName,templateId,isBuiltIn,isPrivileged"}
    # Read-only: the POSTs are the $batches of GETs (members and owners; role schedules; their users;
    # the role-holding group's transitive members).
    assert [r.path for r in graph.sent("POST")] == ["/$batch"] * 4
    assert {r.method for r in graph.batched} == {"GET"}
    assert not graph.sent("PATCH") and not graph.sent("DELETE")


def test_requests_grow_with_pages_not_with_policies_or_roles(graph, tmp_path):
    big = copy.deepcopy(IDEAL)
    for i in range(300):
        p = copy.deepcopy(big["conditionalAccessPolicies"][1])
        p.update(id=f"00000000-0000-4000-8000-{i:012d}", displayName=f"Tenant policy {i}", state="disabled")
        big["conditionalAccessPolicies"].append(p)
    big["roleManagementPolicies"] += [dict(copy.deepcopy(big["roleManagementPolicies"][0]), id=f"DirectoryRole_x_{i}") for i in range(60)]
    tenant(graph, big)
    assert export(tmp_path)[0].exit_code == 0
    assert len(graph.requests) == ONE_PAGE_EACH
    graph.requests.clear()
    graph.page_size = 100
    assert export(tmp_path)[0].exit_code == 0
    pages = math.ceil(len(big["conditionalAccessPolicies"]) / 100) + math.ceil(len(big["roleManagementPolicies"]) / 100) - 2
    assert len(graph.requests) == ONE_PAGE_EACH + pages


def test_groups_referenced_by_policies_are_read_15_ids_per_request_never_the_directory(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    extra = [{"id": f"9a000000-0000-4000-8000-{i:012d}", "displayName": f"Team {i}", "securityEnabled": True} for i in range(40)]
    snap["groups"] += extra + [{"id": f"ab000000-0000-4000-8000-{i:012d}", "displayName": f"Unreferenced {i}"} for i in range(500)]
    for i, g in enumerate(extra):
        p = copy.deepcopy(snap["conditionalAccessPolicies"][0])
        p.update(id=f"11111111-0000-4000-8000-{i:012d}", displayName=f"Team policy {i}", state="disabled")
        p["conditions"]["users"]["includeGroups"] = [g["id"]]
        snap["conditionalAccessPolicies"].append(p)
    tenant(graph, snap)
    result, out = export(tmp_path)
    assert result.exit_code == 0
    # (Standing access looks up its one group principal, the PIM group, on its own.)
    by_id = [r for r in graph.sent("GET", "^/groups$") if r.query["$filter"].startswith("id in") and "9e0a0000" not in r.query["$filter"]]
    wanted = 40 + 2  # the teams, the CA exclusion group and the approver group
    assert len(by_id) == math.ceil(wanted / IN_FILTER_MAX)
    assert all(r.query["$filter"].count("'") // 2 <= IN_FILTER_MAX for r in by_id)
    exported = {g["id"] for g in load(str(out))["groups"]}
    assert {g["id"] for g in extra} <= exported and not any(i.startswith("ab000000") for i in exported)


def test_live_drift_of_a_matching_tenant_exits_0(graph):
    tenant(graph, page_size=7)
    result = drift()
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["inSync"] is True


@pytest.mark.parametrize("name", ["state to report-only", "PIM approval turned off", "compliance assignment removed"])
def test_live_drift_reports_a_weakening_change_and_exits_2(graph, name):
    snap = copy.deepcopy(IDEAL)
    MUTATIONS[name][0](snap)
    tenant(graph, snap, page_size=10)
    result = drift()
    assert result.exit_code == 2, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["controlId"], f["impact"]) for f in findings] == [(MUTATIONS[name][1], "weakens")]


def test_a_429_is_retried_after_retry_after_and_the_read_completes(graph):
    tenant(graph)
    graph.fail("GET", "^/identity/conditionalAccess/policies", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "2"})
    result = drift()
    assert result.exit_code == 0, result.stderr
    assert len(graph.sent("GET", "^/identity/conditionalAccess/policies$")) == 2
    assert graph.sleeps == [2.0]


def test_throttling_past_the_retries_exits_1_never_in_sync(graph):
    tenant(graph)
    graph.fail("GET", "^/policies/roleManagementPolicies", 429, sample("error-429-toomanyrequests.json"),
               headers={"Retry-After": "1"}, times=10)
    assert_one_error_line(drift(), "reading the tenant failed", "HTTP 429", "TooManyRequests")
    assert len(graph.sleeps) == 3  # the SDK's three retries, then the error


def test_a_failure_in_the_middle_of_paging_exits_1_and_writes_nothing(graph, tmp_path):
    tenant(graph, page_size=4)
    graph.fail("GET", r"^/policies/roleManagementPolicies\?.*skiptoken=8", 500)
    assert_one_error_line(drift(), "GET /policies/roleManagementPolicies: HTTP 500")
    graph.fail("GET", r"^/policies/roleManagementPolicies\?.*skiptoken=8", 500)
    previous = tmp_path / "tenant.json"
    previous.write_text("earlier snapshot")
    result, out = export(tmp_path)
    assert_one_error_line(result, "HTTP 500")
    assert out.read_text() == "earlier snapshot"  # never replaced by a partial snapshot


def test_an_authentication_failure_exits_1(graph):
    tenant(graph)
    graph.fail("GET", "^/identity/conditionalAccess/policies", 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}})
    assert_one_error_line(drift(), "HTTP 401", "InvalidAuthenticationToken")


def test_a_page_that_is_not_a_collection_exits_1(graph):
    tenant(graph)
    graph.fail("GET", "^/deviceManagement/deviceCompliancePolicies", 200, {"error": "not a page"})
    assert_one_error_line(drift(), "not a collection")


def test_graph_url_option_points_at_another_root(graph, monkeypatch):
    tenant(graph)
    monkeypatch.delenv("ZTB_GRAPH_URL")
    assert drift("--graph-url", graph.root).exit_code == 0
    assert_one_error_line(drift("--graph-url", "http://graph.example.com"), "must use https")


def test_export_then_drift_from_the_file_matches_live_drift(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    MUTATIONS["extra excluded group"][0](snap)
    ca(snap, "PRIV-CA-06")["state"] = "disabled"
    tenant(graph, snap, page_size=5)
    result, out = export(tmp_path)
    assert result.exit_code == 0
    from_file = drift("--snapshot", str(out))
    live = drift()
    assert from_file.exit_code == live.exit_code == 2
    strip = lambda r: [(f["controlId"], f["status"], f["impact"]) for f in json.loads(r.stdout)["findings"]]  # noqa: E731
    assert strip(from_file) == strip(live) == [("PRIV-CA-02", "changed", "weakens"), ("PRIV-CA-06", "notEnforced", "weakens")]


def test_no_credential_is_one_error_line_not_the_sdk_log(graph, monkeypatch):
    import logging

    from azure.core.exceptions import ClientAuthenticationError

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    monkeypatch.setattr(logging.getLogger("azure.identity"), "handlers", [handler])

    class NoCredential:
        def get_token(self, *scopes, **kwargs):
            logging.getLogger("azure.identity").warning("DefaultAzureCredential failed to retrieve a token:\n\tAzureCliCredential: Azure CLI not found on path")
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token from the included credentials.")

    tenant(graph)
    monkeypatch.delenv("ZTB_ACCESS_TOKEN")
    monkeypatch.setattr("ztb.graph.client.credential_from_env", lambda: NoCredential())
    assert_one_error_line(drift(), "AuthenticationFailed", "az login")
    # The SDK's per-credential warnings are not printed beside it (on a terminal they would be).
    assert records == []

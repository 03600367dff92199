"""Graph answers that are wrong, endless or elsewhere: each class fails closed, in one line (exit 1).

Issue 11 §2 (a repeated page), §3 (no end: a trickling body, an endless nextLink chain), §4
(redirects to another host), §9 (items that are not objects or lack an id) and §10 (401 / 403
carry their fix), through the real msgraph-sdk stack against the Graph double (tests/doubles/graph.py)
serving a whole tenant (tests/doubles/tenant.py).
"""

from __future__ import annotations

import asyncio
import copy

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from tests.doubles.tenant import serve
from tests.doubles.graph import TOKEN, graph, graph_error, graph_server, other_host, other_server, sample  # noqa: F401
from tests.drift.test_detect import IDEAL
from tests.cli.test_drift import assert_one_error_line
from ztb.cli.drift import command as drift_command
from ztb.cli.export import command as export_command
from ztb.graph.client import GraphClient, ReadLimits, StaticTokenCredential
from ztb.graph.errors import GraphError
from ztb.graph.permissions import fix_for, permission_for

#: The fixture replaces asyncio.sleep (the retry handler's) for each test; this is the real one.
REAL_SLEEP = asyncio.sleep
CA = "^/identity/conditionalAccess/policies"
PIM = "^/policies/roleManagementPolicies"


def tenant(graph, snap=None, page_size=None):
    serve(graph, copy.deepcopy(snap if snap is not None else IDEAL))
    graph.page_size = page_size
    return graph


def drift(*extra):
    return CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--format", "json", *extra], catch_exceptions=False)


def export(tmp_path, *extra):
    out = tmp_path / "tenant.json"
    result = CliRunner().invoke(export_command, ["--config", str(SAMPLE_STACK), "--out", str(out), *extra], catch_exceptions=False)
    return result, out


def assert_export_fails(tmp_path, *words):
    result, out = export(tmp_path)
    assert_one_error_line(result, *words)
    assert not out.exists() and not list(tmp_path.glob(".ztb-*"))


def raised(fn) -> GraphError:
    with pytest.raises(GraphError) as info:
        fn()
    return info.value


# --------------------------------------------------------------------------- §2 a repeated page


@pytest.mark.parametrize("pattern, size", [(CA, 1), (PIM, 5), ("^/policies/roleManagementPolicyAssignments", 3),
                                           ("^/roleManagement/directory/roleDefinitions", 10)])
def test_a_repeated_page_is_an_error_not_in_sync(graph, tmp_path, pattern, size):
    tenant(graph, page_size=size)
    graph.repeat_page(pattern.lstrip("^"))
    assert_one_error_line(drift(), "comes twice", "page 1 and page 2", "repeated or skipped a page")
    assert_export_fails(tmp_path, "comes twice")


def test_a_repeated_object_within_one_page_in_any_letter_case_is_an_error(graph):
    snap = copy.deepcopy(IDEAL)
    twin = copy.deepcopy(snap["conditionalAccessPolicies"][0])
    twin["id"] = twin["id"].upper()
    snap["conditionalAccessPolicies"].append(twin)
    tenant(graph, snap)
    assert_one_error_line(drift(), "GET /identity/conditionalAccess/policies", "RepeatedObject", "comes twice (page 1 and page 1)")


def test_a_repeated_page_of_group_members_is_an_error(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    for g in snap["groups"]:
        g["members"] = [{"@odata.type": "#microsoft.graph.user", "id": f"0b5e0a11-0000-4000-8000-{i:012d}"} for i in range(1, 6)]
    tenant(graph, snap, page_size=2)
    graph.repeat_page("/members")
    assert_export_fails(tmp_path, "/members", "comes twice")


# --------------------------------------------------------------------------- §9 items that are not objects


@pytest.mark.parametrize("item, words", [
    (1, "is a number, not an object"), ("x", "is a string, not an object"), (None, "is null, not an object"),
    ([{"id": "a"}], "is an array, not an object"), (True, "is a boolean, not an object"),
    ({}, "has no 'id'"), ({"id": ""}, "has no 'id'"), ({"id": 7}, "has no 'id'"), ({"id": None, "displayName": "x"}, "has no 'id'"),
    ({"id": {"nested": 1}}, "has no 'id'"),
])
def test_a_live_item_that_is_not_an_object_with_an_id_is_one_line(graph, item, words):
    tenant(graph)
    graph.fail("GET", CA, 200, {"value": [copy.deepcopy(IDEAL["conditionalAccessPolicies"][0]), item]})
    assert_one_error_line(drift(), "GET /identity/conditionalAccess/policies", "item 2 of page 1", words)


@pytest.mark.parametrize("page", [[], "value", 3, None, {"value": {"id": "a"}}, {"values": []}])
def test_a_page_that_is_not_a_collection_is_one_line(graph, page):
    tenant(graph)
    graph.fail("GET", "^/roleManagement/directory/roleDefinitions", 200, page)
    assert_one_error_line(drift(), "GET /beta/roleManagement/directory/roleDefinitions")


def test_a_member_without_an_id_is_one_line(graph):
    tenant(graph)
    graph.fail("GET", "/members", 200, {"value": [{"@odata.type": "#microsoft.graph.user"}]})
    assert_one_error_line(drift(), "/members", "item 1 of page 1 has no 'id'")


# --------------------------------------------------------------------------- §3 no end


def test_an_endless_chain_of_new_next_links_stops_at_the_page_cap(graph, monkeypatch):
    tenant(graph)
    graph.endless_next_links(CA)
    monkeypatch.setenv("ZTB_GRAPH_MAX_PAGES", "7")
    assert_one_error_line(drift(), "GET /identity/conditionalAccess/policies", "PageLimit", "more than 7 pages", "ZTB_GRAPH_MAX_PAGES")
    assert len(graph.sent("GET", CA)) == 7


def test_the_page_cap_allows_exactly_that_many_pages(graph):
    graph.collections["/groups"] = [{"id": f"00000000-0000-4000-8000-{i:012d}"} for i in range(6)]
    graph.page_size = 2
    with GraphClient(graph.root, StaticTokenCredential(TOKEN), ReadLimits(max_pages=3)) as g:
        assert len(g.list_all("/groups")) == 6
    with GraphClient(graph.root, StaticTokenCredential(TOKEN), ReadLimits(max_pages=2)) as g:
        err = raised(lambda: g.list_all("/groups"))
    assert (err.code, err.resource) == ("PageLimit", "/groups")


def test_a_body_that_trickles_one_byte_at_a_time_stops_at_the_deadline(graph, tmp_path, monkeypatch):
    tenant(graph)
    # One byte every 0.2 s for a 78-byte body, against a 1 s deadline: bounded test time, no timing asserted.
    graph.trickle(PIM, interval=0.2, times=2)
    monkeypatch.setenv("ZTB_GRAPH_TIMEOUT", "1")
    assert_one_error_line(drift(), "GET /policies/roleManagementPolicies", "Timeout", "within 1 s", "ZTB_GRAPH_TIMEOUT")
    assert_export_fails(tmp_path, "Timeout", "ZTB_GRAPH_TIMEOUT")


def test_a_retry_after_longer_than_the_deadline_ends_the_read(graph, monkeypatch):
    tenant(graph)
    graph.fail("GET", CA, 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "1"}, times=10)

    async def slow_sleep(delay, *args, **kwargs):  # the retry handler's waits, longer than the deadline
        await REAL_SLEEP(0.6)

    monkeypatch.setattr("kiota_http.middleware.retry_handler.asyncio.sleep", slow_sleep)
    monkeypatch.setenv("ZTB_GRAPH_TIMEOUT", "1")
    assert_one_error_line(drift(), "GET /identity/conditionalAccess/policies", "Timeout")


@pytest.mark.parametrize("name, value", [
    ("ZTB_GRAPH_TIMEOUT", "abc"), ("ZTB_GRAPH_TIMEOUT", "0"), ("ZTB_GRAPH_TIMEOUT", "-5"), ("ZTB_GRAPH_TIMEOUT", "nan"),
    ("ZTB_GRAPH_TIMEOUT", "inf"), ("ZTB_GRAPH_TIMEOUT", "1e9"), ("ZTB_GRAPH_MAX_PAGES", "1.5"), ("ZTB_GRAPH_MAX_PAGES", "0"),
    ("ZTB_GRAPH_MAX_PAGES", "ten"), ("ZTB_GRAPH_MAX_PAGES", "99999999"),
])
def test_a_bad_read_limit_is_one_line_naming_it(graph, monkeypatch, name, value):
    tenant(graph)
    monkeypatch.setenv(name, value)
    assert_one_error_line(drift(), name, "above 0")
    assert graph.requests == []


def test_read_limits_default_when_unset_and_accept_sane_values(monkeypatch):
    monkeypatch.delenv("ZTB_GRAPH_TIMEOUT", raising=False)
    monkeypatch.delenv("ZTB_GRAPH_MAX_PAGES", raising=False)
    assert ReadLimits.from_env() == ReadLimits(300.0, 1000)
    monkeypatch.setenv("ZTB_GRAPH_TIMEOUT", " 2.5 ")
    monkeypatch.setenv("ZTB_GRAPH_MAX_PAGES", "20")
    assert ReadLimits.from_env() == ReadLimits(2.5, 20)


# --------------------------------------------------------------------------- §4 redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_not_followed_into_tenant_data(graph, other_host, tmp_path, status):
    tenant(graph)
    graph.redirect(CA, f"{other_host.root}/v1.0/identity/conditionalAccess/policies", status=status, times=2)
    assert_one_error_line(drift(), "GET /identity/conditionalAccess/policies", f"HTTP {status}", "RedirectRefused",
                          f"redirects to {other_host.root}", f"only {graph.root} answers for the tenant")
    assert_export_fails(tmp_path, "RedirectRefused")
    assert other_host.requests == []  # not even a request without the token


def test_a_redirect_inside_a_batch_sub_response_is_not_followed(graph, other_host):
    tenant(graph)
    graph.redirect("/members", f"{other_host.root}/v1.0/groups/x/members")
    result = drift()
    assert result.exit_code == 1 and other_host.requests == []
    assert "HTTP 307" in result.stderr and "/members" in result.stderr


def test_a_redirect_to_another_port_or_scheme_of_the_same_host_is_another_origin(graph):
    graph.collections["/groups"] = [{"id": "00000000-0000-4000-8000-000000000001"}]
    port = int(graph.root.rsplit(":", 1)[1])
    for target in (f"http://127.0.0.1:{port + 1}/v1.0/groups", f"https://127.0.0.1:{port}/v1.0/groups", f"http://localhost:{port}/v1.0/groups"):
        graph.redirect("^/groups", target)
        with graph.client() as g:
            err = raised(lambda: g.list_all("/groups"))
        assert err.code == "RedirectRefused", target
    assert len(graph.requests) == 3


def test_a_redirect_within_the_graph_root_is_followed_with_the_token(graph):
    graph.collections["/groups"] = [{"id": "00000000-0000-4000-8000-000000000001"}]
    graph.collections["/groups/moved"] = [{"id": "00000000-0000-4000-8000-000000000002"}]
    graph.redirect("^/groups$", "/v1.0/groups/moved")
    with graph.client() as g:
        assert [x["id"] for x in g.list_all("/groups")] == ["00000000-0000-4000-8000-000000000002"]
    assert [r.path for r in graph.requests] == ["/groups", "/groups/moved"]


def test_a_redirect_without_a_location_is_one_line(graph):
    graph.fail("GET", "^/groups", 302, raw=b"")
    with graph.client() as g:
        err = raised(lambda: g.list_all("/groups"))
    assert err.status == 302 and "\n" not in str(err)


# --------------------------------------------------------------------------- §10 401 and 403 carry their fix

COLLECTION_FAULTS = [
    (CA, "/identity/conditionalAccess/policies", "Policy.Read.All"),
    ("^/identity/conditionalAccess/namedLocations", "/identity/conditionalAccess/namedLocations", "Policy.Read.All"),
    ("^/policies/authenticationStrengthPolicies", "/policies/authenticationStrengthPolicies", "Policy.Read.All"),
    (PIM, "/policies/roleManagementPolicies", "RoleManagement.Read.Directory"),
    ("^/policies/roleManagementPolicyAssignments", "/policies/roleManagementPolicyAssignments", "RoleManagement.Read.Directory"),
    ("^/roleManagement/directory/roleDefinitions", "/beta/roleManagement/directory/roleDefinitions", "RoleManagement.Read.Directory"),
    ("^/deviceManagement/deviceCompliancePolicies", "/beta/deviceManagement/deviceCompliancePolicies", "DeviceManagementConfiguration.Read.All"),
    (r"^/groups\?", "/groups", "GroupMember.Read.All"),
    ("/members", "/members", "GroupMember.Read.All"),   # a sub-response of $batch
    ("/owners", "/owners", "GroupMember.Read.All"),
]


@pytest.mark.parametrize("pattern, resource, permission", COLLECTION_FAULTS)
def test_a_403_names_the_permission_the_collection_needs(graph, pattern, resource, permission):
    tenant(graph)
    graph.fail("GET", pattern, 403, graph_error("Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
    assert_one_error_line(drift(), resource, "HTTP 403 Authorization_RequestDenied",
                          f"grant the application permission {permission}", "admin consent")


@pytest.mark.parametrize("pattern, resource, permission", COLLECTION_FAULTS[::3])
def test_a_401_says_sign_in_again(graph, pattern, resource, permission):
    tenant(graph)
    graph.fail("GET", pattern, 401, graph_error("InvalidAuthenticationToken", "Access token has expired or is not yet valid."))
    assert_one_error_line(drift(), resource, "HTTP 401", "sign in again", "az login", "OIDC", "ZTB_ACCESS_TOKEN")


def test_a_403_on_the_batch_itself_still_says_what_to_grant(graph):
    tenant(graph)
    graph.fail("POST", r"^/\$batch", 403, graph_error("Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
    assert_one_error_line(drift(), "POST /$batch", "HTTP 403", "grant")


def test_every_collection_export_reads_has_one_permission_row():
    from ztb.tenant.export import LISTS, ORGANIZATION

    for path, _, _ in LISTS.values():
        assert permission_for(path) is not None, path
    for path in ("/groups", "/groups/x/members", "/groups/x/owners", ORGANIZATION, "/beta/deviceManagement/deviceCompliancePolicies"):
        assert permission_for(path) is not None, path
    assert permission_for("/groupsX") is None and permission_for("/applications") is None
    assert fix_for(GraphError("GET", "/applications", 403)).startswith("grant the identity")
    assert fix_for(GraphError("GET", "/applications", 500)) == ""


def test_every_collection_readiness_reads_has_one_permission_row_and_the_readme_shows_them():
    from tests.conftest import REPO
    from ztb.graph.permissions import READINESS_PERMISSIONS, markdown_table
    from ztb.tenant import evidence, role_access

    for path in (evidence.REGISTRATION, evidence.DEVICES, evidence.SIGN_INS, "/users", "/users/x/transitiveMemberOf",
                 "/groups/x/transitiveMembers", role_access.ASSIGNMENTS, role_access.ELIGIBILITIES, role_access.ACTIVATION_REQUESTS):
        assert permission_for(path) is not None, path
    assert fix_for(GraphError("GET", evidence.SIGN_INS, 403)).startswith("grant the application permission AuditLog.Read.All")
    assert markdown_table(READINESS_PERMISSIONS) in (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_permission_table_is_the_code_table():
    from tests.conftest import REPO
    from ztb.graph.permissions import markdown_table

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme

"""ztb.graph.client against the Graph double: the real msgraph-sdk stack, raw JSON, one readable error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.doubles.graph import REPO, TENANT, TOKEN, GraphDouble, access_token, graph, graph_server, sample  # noqa: F401 (fixtures)
from ztb.graph.client import GraphClient, StaticTokenCredential, resolve_graph_url
from ztb.graph.errors import GraphError
from ztb.graph.token import MalformedToken

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PIM_FILTER = f"scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{GLOBAL_ADMIN}'"


def seed_groups(graph: GraphDouble, count: int) -> list[dict]:
    """``count`` groups shaped like the documented GET /groups items, with distinct IDs."""
    template = sample("group-list.response.json")["value"][0]
    groups = [{**template, "id": f"00000000-0000-4000-8000-{i:012d}", "displayName": f"Group {i}"} for i in range(count)]
    graph.collections["/groups"] = groups
    return groups


def raised(fn) -> GraphError:
    with pytest.raises(GraphError) as info:
        fn()
    return info.value


# --------------------------------------------------------------------------- requests


def test_get_sends_the_bearer_token_and_the_odata_query_as_given(graph):
    graph.add_role_policy(GLOBAL_ADMIN)
    with graph.client() as g:
        page = g.get_json("/policies/roleManagementPolicyAssignments", {"$filter": PIM_FILTER, "$expand": "policy($expand=rules)"})
    assert [a["roleDefinitionId"] for a in page["value"]] == [GLOBAL_ADMIN]
    assert len(page["value"][0]["policy"]["rules"]) == 17
    (req,) = graph.sent("GET")
    assert req.version == "v1.0"
    assert req.query == {"$filter": PIM_FILTER, "$expand": "policy($expand=rules)"}


def test_beta_requests_go_to_the_beta_root(graph):
    policy_id = graph.add_compliance_policy()
    with graph.client() as g:
        policy = g.get_json(f"/deviceManagement/deviceCompliancePolicies/{policy_id}", version="beta")
    assert policy["id"] == policy_id
    assert [r.version for r in graph.sent()] == ["beta"]


def test_patch_answering_204_returns_none_and_sends_the_json_body(graph):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    body = sample("pim-update-rule-ex1-expiration-enduser-assignment.request.json")
    with graph.client() as g:
        assert g.patch_json(f"/policies/roleManagementPolicies/{policy_id}/rules/Expiration_EndUser_Assignment", body) is None
    assert graph.sent("PATCH")[0].body == body
    assert graph.rule(policy_id, "Expiration_EndUser_Assignment")["maximumDuration"] == "PT1H45M"


def test_post_returns_the_created_object(graph):
    with graph.client() as g:
        created = g.post_json("/deviceManagement/deviceCompliancePolicies", sample("intune-windows10compliancepolicy-create.request.json")
                              | {"scheduledActionsForRule": [{"ruleName": "PasswordRequired", "scheduledActionConfigurations": [{"actionType": "block", "gracePeriodHours": 0}]}]},
                              version="beta")
    assert created["id"] in graph.compliance
    assert created["displayName"] == "Display Name value"


# --------------------------------------------------------------------------- paging


def test_list_all_follows_next_link_to_the_last_page(graph):
    groups = seed_groups(graph, 5)
    graph.page_size = 2
    with graph.client() as g:
        items = g.list_all("/groups", {"$select": "id,displayName"})
    assert [i["id"] for i in items] == [x["id"] for x in groups]
    pages = graph.sent("GET", "/groups")
    assert len(pages) == 3
    assert [p.query.get("$skiptoken") for p in pages] == [None, "2", "4"]
    assert all(p.query["$select"] == "id,displayName" for p in pages)


def test_failure_mid_paging_raises_instead_of_returning_a_partial_list(graph):
    seed_groups(graph, 5)
    graph.page_size = 2
    graph.fail("GET", r"/groups\?.*skiptoken=2", 400, sample("error-example-invalidrange.json"))
    with graph.client() as g:
        err = raised(lambda: g.list_all("/groups"))
    assert str(err).startswith("GET /groups: HTTP 400 invalidRange: Uploaded fragment overlaps with existing data.")
    assert len(graph.sent("GET", "/groups")) == 2


def test_next_link_to_another_host_is_refused(graph):
    graph.fail("GET", r"^/groups", 200, {"value": [{"id": "a"}], "@odata.nextLink": "https://graph.example.net/v1.0/groups?$skiptoken=x"})
    with graph.client() as g:
        err = raised(lambda: g.list_all("/groups"))
    assert "GET /groups: InvalidResponse: @odata.nextLink leaves" in str(err)


def test_a_page_without_value_is_not_a_collection(graph):
    graph.fail("GET", r"^/groups", 200, {"id": "not-a-page"})
    with graph.client() as g:
        err = raised(lambda: g.list_all("/groups"))
    assert "GET /groups: InvalidResponse: page 1 is not a collection" in str(err)


# --------------------------------------------------------------------------- retries (the SDK's own middleware)


def test_429_is_retried_after_the_retry_after_delay(graph):
    seed_groups(graph, 1)
    graph.fail("GET", r"^/groups", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "2"})
    with graph.client() as g:
        items = g.list_all("/groups")
    assert len(items) == 1
    assert len(graph.sent("GET", "/groups")) == 2
    assert graph.sleeps == [2]


def test_429_with_the_documented_fractional_retry_after_backs_off_and_retries(graph):
    # concepts/throttling.md shows `Retry-After: 2.128`; kiota cannot parse it and backs off instead.
    seed_groups(graph, 1)
    graph.fail("GET", r"^/groups", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "2.128"})
    with graph.client() as g:
        assert len(g.list_all("/groups")) == 1
    assert len(graph.sleeps) == 1 and graph.sleeps[0] > 0


def test_patch_throttled_once_is_resent_with_its_body(graph):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    body = sample("pim-update-rule-ex4-expiration-admin-eligibility.request.json")
    graph.fail("PATCH", "/rules/Expiration_Admin_Eligibility", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "1"})
    with graph.client() as g:
        g.patch_json(f"/policies/roleManagementPolicies/{policy_id}/rules/Expiration_Admin_Eligibility", body)
    sent = graph.sent("PATCH")
    assert len(sent) == 2 and sent[0].body == sent[1].body == body
    assert graph.rule(policy_id, "Expiration_Admin_Eligibility")["maximumDuration"] == "P90D"


def test_503_is_retried(graph):
    seed_groups(graph, 2)
    graph.fail("GET", r"^/groups", 503)
    with graph.client() as g:
        assert len(g.list_all("/groups")) == 2
    assert len(graph.sent("GET", "/groups")) == 2
    assert len(graph.sleeps) == 1


def test_throttling_that_never_ends_gives_one_readable_line_after_three_retries(graph):
    seed_groups(graph, 1)
    graph.fail("GET", r"^/groups", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "1"}, times=10)
    with graph.client() as g:
        err = raised(lambda: g.list_all("/groups"))
    assert str(err).startswith("GET /groups: HTTP 429 TooManyRequests: Please retry again later. [request-id 94fb3b52")
    assert len(graph.sent("GET", "/groups")) == 4
    assert graph.sleeps == [1, 1, 1]


# --------------------------------------------------------------------------- errors


def test_graph_400_names_method_resource_status_code_and_message(graph):
    with graph.client() as g:
        err = raised(lambda: g.get_json("/policies/roleManagementPolicyAssignments", {"$filter": "scopeId eq / and"}))
    assert str(err).startswith("GET /policies/roleManagementPolicyAssignments: HTTP 400 BadRequest: Invalid filter clause [request-id ")
    assert (err.status, err.code, err.graph_message) == (400, "BadRequest", "Invalid filter clause")
    assert "\n" not in str(err)


def test_404_on_a_vanished_object_is_recognisable(graph):
    with graph.client() as g:
        err = raised(lambda: g.get_json("/deviceManagement/deviceCompliancePolicies/0f0f0f0f-0000-4000-8000-000000000000", version="beta"))
    assert err.not_found
    assert str(err).startswith("GET /beta/deviceManagement/deviceCompliancePolicies/0f0f0f0f-0000-4000-8000-000000000000: HTTP 404 ResourceNotFound: ")


def test_malformed_json_in_a_2xx_answer_is_a_graph_error(graph):
    graph.fail("GET", r"^/groups", 200, raw=b'{"value": [{"id": "a"},')
    with graph.client() as g:
        err = raised(lambda: g.list_all("/groups"))
    assert str(err).startswith("GET /groups: InvalidResponse: the answer's body is not valid JSON")


def test_an_error_page_that_is_not_json_still_gives_status_and_resource(graph):
    graph.fail("GET", r"^/groups", 502, raw=b"<html><body>Bad Gateway</body></html>", content_type="text/html")
    with graph.client() as g:
        err = raised(lambda: g.list_all("/groups"))
    assert str(err) == "GET /groups: HTTP 502: the answer carries no Graph error (empty or not Graph's JSON)"


def test_an_empty_error_answer_still_gives_status_and_resource(graph):
    graph.fail("GET", r"^/groups", 500, raw=b"")
    with graph.client() as g:
        err = raised(lambda: g.get_json("/groups"))
    assert (str(err), err.status) == ("GET /groups: HTTP 500: the answer carries no Graph error (empty or not Graph's JSON)", 500)


def test_an_unreachable_graph_is_one_line_naming_the_call(monkeypatch):
    with GraphClient("http://127.0.0.1:9", StaticTokenCredential(TOKEN)) as g:
        err = raised(lambda: g.get_json("/groups"))
    assert str(err).startswith("GET /groups: ConnectionError: cannot reach http://127.0.0.1:9")


def test_the_access_token_never_appears_in_errors_or_reprs(graph):
    graph.fail("GET", r"^/groups", 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}})
    with graph.client() as g:
        err = raised(lambda: g.get_json("/groups"))
        assert TOKEN not in repr(g) and TOKEN not in repr(g.core._credential)
    assert str(err) == "GET /groups: HTTP 401 InvalidAuthenticationToken: Access token has expired."
    assert TOKEN not in str(err)


def test_the_token_comes_from_ztb_access_token(graph, monkeypatch):
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", "from-the-environment")
    seed_groups(graph, 1)
    with GraphClient() as g:  # URL and token both from the environment
        assert g.list_all("/groups")
    assert g.root == graph.root


def test_the_client_records_the_tenant_of_the_tokens_it_sends(graph):
    seed_groups(graph, 1)
    with GraphClient(graph.root, StaticTokenCredential(access_token(TENANT.upper()))) as g:
        assert g.token_tenants() == set()  # nothing sent yet
        g.list_all("/groups")
        assert g.token_tenants() == {TENANT}
    with graph.client() as g:  # the double's default token is not a JWT: no claim, no error
        g.list_all("/groups")
        assert g.token_tenants() == set()


@pytest.mark.parametrize("bad", ["", "   ", "ab\ncd", "ab cd", "ab\tcd", "ab\x00cd", "ab\x1bcd", "ab\x7fcd", "abé", "ab\u200bcd", "x" * 16385])
def test_a_malformed_static_token_is_refused_without_showing_it(bad):
    with pytest.raises(MalformedToken) as info:
        StaticTokenCredential(bad)
    message = str(info.value)
    assert "ZTB_ACCESS_TOKEN" in message and "\n" not in message
    assert not any(part and part in message for part in bad.split() if len(part) > 3)


def test_surrounding_whitespace_of_a_pasted_token_is_trimmed(graph):
    seed_groups(graph, 1)
    with GraphClient(graph.root, StaticTokenCredential(f"  {TOKEN}\n")) as g:
        g.list_all("/groups")
    assert graph.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_credential_that_yields_a_malformed_token_fails_the_call_before_sending(graph):
    from azure.core.credentials import AccessToken

    class Credential:
        def get_token(self, *scopes, **kwargs):
            return AccessToken("header.pay\r\nInjected: yes", 2**31)

    with GraphClient(graph.root, Credential()) as g:
        err = raised(lambda: g.get_json("/groups"))
    assert err.code == "MalformedToken" and "a control character at position 11" in str(err) and "Injected" not in str(err)
    assert graph.requests == []


# --------------------------------------------------------------------------- configuration


def test_graph_url_comes_from_argument_then_environment_then_the_global_cloud(monkeypatch):
    monkeypatch.delenv("ZTB_GRAPH_URL", raising=False)
    assert resolve_graph_url() == "https://graph.microsoft.com"
    monkeypatch.setenv("ZTB_GRAPH_URL", "https://graph.microsoft.us/v1.0/")
    assert resolve_graph_url() == "https://graph.microsoft.us"
    assert resolve_graph_url("http://127.0.0.1:8080/beta") == "http://127.0.0.1:8080"


def test_plain_http_is_refused_except_for_localhost():
    with pytest.raises(ValueError, match="must use https"):
        resolve_graph_url("http://graph.contoso.example")
    assert resolve_graph_url("http://localhost:5000") == "http://localhost:5000"


@pytest.mark.parametrize("url", ["https://graph.microsoft.com:99999", "https://[::1", "https://graph microsoft.com", "https://graph.microsoft.com/\x00",
                                 "https://graph.microsoft.com?x=1", "https://graph.microsoft.com#f", "graph.microsoft.com", "https://"])
def test_a_malformed_graph_url_is_one_line(url):
    with pytest.raises(ValueError) as info:
        resolve_graph_url(url)
    assert "\n" not in str(info.value) and "Graph URL" in str(info.value)


def test_importing_the_client_and_providers_does_not_load_msgraph():
    code = (
        "import sys; import ztb.graph.client, ztb.providers.pim, ztb.providers.compliance, ztb.providers.eligibility; "
        "import ztb.deploy.pim_role_settings, ztb.deploy.device_compliance, ztb.deploy.role_eligibility; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('msgraph', 'kiota_http', 'azure')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

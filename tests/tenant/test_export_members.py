"""Issue 10 §4 (export side): members and owners of the baseline's groups, read through `$batch`.

Every group a baseline group control matches (the stack's groups by display name, the existing
groups the config names by ID) carries ``members`` and ``owners`` (id and ``@odata.type``, every
page) in the snapshot; other groups carry neither. The reads go two sub-requests per group, 20 per
hand-built batch (concepts/json-batching.md); a throttled sub-response is read again directly
after its Retry-After (capped), and any other failure fails the export.

Also issue 11 §13: a stack without a compliance control never reads Intune and says so.
"""

from __future__ import annotations

import copy
import json
import math

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from tests.doubles.tenant import serve
from tests.doubles.graph import TOKEN, graph, graph_error, graph_server, sample  # noqa: F401 (fixtures)
from tests.drift.test_detect import IDEAL
from tests.cli.test_drift import assert_one_error_line
from ztb.cli.drift import command as drift_command
from ztb.cli.export import command as export_command
from ztb.tenant.export import MEMBER_QUERY, OWNER_QUERY
from ztb.graph.client import BATCH_MAX, RETRY_AFTER_CAP, GraphClient, StaticTokenCredential
from ztb.graph.errors import GraphError
from ztb.tenant.snapshot import load

USER = "#microsoft.graph.user"
EMERGENCY = "ZTB Emergency Access Exclusion"
#: Groups a baseline group control matches in the sample stack: 5 created (by name) + the CA exclusion group (by ID).
WATCHED = {g["id"] for g in IDEAL["groups"] if "members" in g}


def tenant(graph, snap=None, page_size=None):
    serve(graph, copy.deepcopy(snap if snap is not None else IDEAL))
    graph.page_size = page_size
    return graph


def export(tmp_path, config=SAMPLE_STACK):
    out = tmp_path / "tenant.json"
    result = CliRunner().invoke(export_command, ["--config", str(config), "--out", str(out)], catch_exceptions=False)
    return result, out


def drift(*extra, config=SAMPLE_STACK):
    return CliRunner().invoke(drift_command, ["--config", str(config), "--format", "json", *extra], catch_exceptions=False)


def group(snap, name):
    return next(g for g in snap["groups"] if g["displayName"] == name)


def users(prefix: str, n: int) -> list[dict]:
    return [{"@odata.type": USER, "id": f"{prefix}-0000-4000-8000-{i:012d}"} for i in range(n)]


# --------------------------------------------------------------------------- what is read, and how


def test_export_puts_members_and_owners_on_every_watched_group_in_one_batch(graph, tmp_path):
    assert len(WATCHED) == 6
    tenant(graph)
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.stderr
    snap = load(str(out))
    for g in snap["groups"]:
        if g["id"] in WATCHED:
            expected = next(x for x in IDEAL["groups"] if x["id"] == g["id"])
            assert (g["members"], g["owners"]) == (expected["members"], expected["owners"]), g["displayName"]
        else:  # the PIM approver group: referenced, not a baseline group control
            assert "members" not in g and "owners" not in g
    # The other batches are standing access's (role schedules, their principals, and the transitive
    # members of a role-holding group): no baseline group's members or owners.
    (batch,) = [b for b in graph.sent("POST") if any(r["url"].split("?")[0].endswith(("/members", "/owners")) for r in b.body["requests"])]
    assert batch.path == "/$batch" and len(batch.body["requests"]) == 2 * len(WATCHED) <= BATCH_MAX
    assert {r["url"] for r in batch.body["requests"]} == (
        {f"/groups/{i}/members?$select=id&$top=999" for i in WATCHED} | {f"/groups/{i}/owners?$select=id" for i in WATCHED})
    assert all(not r["url"].startswith("http") for r in batch.body["requests"])  # Graph rejects absolute URLs
    assert not graph.sent("GET", "/members") and not graph.sent("GET", "/owners")  # no request per group


def test_members_keep_only_id_and_type_whatever_graph_adds(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    documented = sample("group-list-owners.response.json")["value"]
    group(snap, EMERGENCY)["owners"] = documented
    tenant(graph, snap)
    graph.fail("GET", "/owners", 200, {"value": documented}, times=10)  # Graph ignoring $select
    with graph.client() as g:
        lists = g.list_many([(f"/groups/{group(snap, EMERGENCY)['id']}/owners", OWNER_QUERY)])
    assert lists[0] == documented
    result, out = export(tmp_path)
    exported = group(load(str(out)), EMERGENCY)["owners"]
    assert exported == [{"@odata.type": USER, "id": o["id"]} for o in documented]


def test_a_sub_response_with_a_next_link_is_followed_to_the_last_page(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    group(snap, EMERGENCY)["members"] = users("0b5e0a11", 7)
    tenant(graph, snap, page_size=3)
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert group(load(str(out)), EMERGENCY)["members"] == users("0b5e0a11", 7)
    emergency = group(snap, EMERGENCY)["id"]
    follow = graph.sent("GET", f"^/groups/{emergency}/members$")
    assert [r.query.get("$skiptoken") for r in follow] == ["3", "6"]
    assert all(r.query["$select"] == "id" for r in follow)


def test_many_groups_take_batches_of_at_most_20_requests(graph):
    ids = [f"9a000000-0000-4000-8000-{i:012d}" for i in range(23)]
    for i, gid in enumerate(ids):
        graph.members[gid] = users(f"{i:08x}", 2)
        graph.owners[gid] = users(f"{i + 100:08x}", 1)
    reads = [r for gid in ids for r in ((f"/groups/{gid}/members", MEMBER_QUERY), (f"/groups/{gid}/owners", OWNER_QUERY))]
    with graph.client() as g:
        lists = g.list_many(reads)
    assert [len(x) for x in lists] == [2, 1] * 23
    assert lists[2] == users("00000001", 2) and lists[3] == users("00000065", 1)  # correlated by id, not by order
    sizes = sorted(len(r.body["requests"]) for r in graph.sent("POST", r"^/\$batch"))
    assert sizes == sorted([BATCH_MAX] * (46 // BATCH_MAX) + [46 % BATCH_MAX]) and len(sizes) == math.ceil(46 / BATCH_MAX)


def test_no_watched_group_means_no_batch(graph):
    with graph.client() as g:
        assert g.list_many([]) == []
    assert graph.requests == []


# --------------------------------------------------------------------------- throttling and failures inside a batch


def test_a_throttled_sub_response_is_read_again_directly_after_its_retry_after(graph, tmp_path):
    tenant(graph)
    emergency = group(IDEAL, EMERGENCY)["id"]
    graph.fail("GET", f"^/groups/{emergency}/members", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "7"})
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert group(load(str(out)), EMERGENCY)["members"] == group(IDEAL, EMERGENCY)["members"]
    assert graph.sleeps == [7.0]
    assert len(graph.sent("GET", f"^/groups/{emergency}/members$")) == 1  # the direct read


def test_a_retry_after_inside_a_batch_is_capped(graph):
    graph.members["9a000000-0000-4000-8000-000000000001"] = users("0b5e0a11", 1)
    graph.fail("GET", "/members", 429, graph_error("TooManyRequests", "Please retry again later."), headers={"Retry-After": "3600"})
    with graph.client() as g:
        assert g.list_many(["/groups/9a000000-0000-4000-8000-000000000001/members"]) == [users("0b5e0a11", 1)]
    assert graph.sleeps == [RETRY_AFTER_CAP]


@pytest.mark.parametrize("status", [500, 503, 504])
def test_a_server_error_inside_a_batch_is_read_again_directly(graph, status):
    graph.owners["9a000000-0000-4000-8000-000000000001"] = users("0b5e0a11", 2)
    graph.fail("GET", "/owners", status)
    with graph.client() as g:
        assert g.list_many(["/groups/9a000000-0000-4000-8000-000000000001/owners"]) == [users("0b5e0a11", 2)]
    assert len(graph.sent("GET", "/owners")) == 1


def test_throttling_that_outlasts_the_sdk_retries_fails_the_export(graph, tmp_path):
    tenant(graph)
    graph.fail("GET", "/members", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "1"}, times=100)
    result, out = export(tmp_path)
    assert_one_error_line(result, "/members: HTTP 429 TooManyRequests")
    assert not out.exists()


@pytest.mark.parametrize("status, code", [(404, "Request_ResourceNotFound"), (400, "BadRequest"), (405, "Request_BadRequest")])
def test_a_failed_sub_response_fails_the_export_and_writes_nothing(graph, tmp_path, status, code):
    tenant(graph)
    graph.fail("GET", "/owners", status, graph_error(code, "documented failure"))
    result, out = export(tmp_path)
    assert_one_error_line(result, "/owners", f"HTTP {status} {code}: documented failure")
    assert not out.exists()


@pytest.mark.parametrize("answer, words", [
    ({"responses": []}, "lacks the responses to requests 1"),
    ({"value": []}, "has no 'responses' list"),
    ({"responses": [{"id": "99", "status": 200, "body": {"value": []}}]}, "answers request '99', which was not sent"),
    ({"responses": [{"id": "1", "status": "200"}]}, "not an object with a numeric status"),
    ({"responses": ["x"]}, "not an object with a numeric status"),
    ({"responses": [{"id": "1", "status": 200, "body": {"value": []}}, {"id": "1", "status": 200, "body": {"value": []}}]}, "answers request 1 twice"),
    ({"responses": [{"id": "1", "status": 200, "body": "not json"}]}, "page 1 is not a collection"),
    ({"responses": [{"id": "1", "status": 200, "body": {"value": [{"@odata.type": USER}]}}]}, "has no 'id'"),
])
def test_a_malformed_batch_answer_fails_the_read(graph, answer, words):
    graph.fail("POST", r"^/\$batch", 200, answer)
    with graph.client() as g:
        with pytest.raises(GraphError) as info:
            g.list_many(["/groups/9a000000-0000-4000-8000-000000000001/members"])
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_group_id_that_is_not_a_guid_never_becomes_a_path(graph, tmp_path):
    tenant(graph)
    hostile = {k: v for k, v in group(IDEAL, EMERGENCY).items() if k not in ("members", "owners")}
    hostile["id"] = "../../organization"
    graph.fail("GET", r"^/groups\?.*displayName", 200, {"value": [hostile]})
    result, _ = export(tmp_path)
    assert_one_error_line(result, "is not a GUID")
    assert not [r for b in graph.sent("POST") for r in b.body["requests"] if ".." in r["url"] or "organization" in r["url"]]
    assert not [r for r in graph.requests if ".." in r.path]


# --------------------------------------------------------------------------- drift sees the tamper paths live


def test_live_drift_reports_an_added_member_of_the_exclusion_group_as_weakening(graph):
    snap = copy.deepcopy(IDEAL)
    group(snap, EMERGENCY)["members"].append({"@odata.type": USER, "id": "badbad00-0000-4000-8000-000000000666"})
    tenant(graph, snap, page_size=2)
    result = drift()
    assert result.exit_code == 2, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["controlId"], f["impact"]) for f in findings] == [("PRIV-GRP-02", "weakens")]
    assert "badbad00-0000-4000-8000-000000000666" in result.stdout


def test_live_drift_reports_an_added_owner_of_the_ca_exclusion_group_as_weakening(graph):
    snap = copy.deepcopy(IDEAL)
    next(g for g in snap["groups"] if g["id"].startswith("0ca0e8c1"))["owners"].append({"@odata.type": USER, "id": "badbad00-0000-4000-8000-000000000777"})
    tenant(graph, snap)
    result = drift()
    assert result.exit_code == 2, result.stderr
    assert [(f["controlId"], f["impact"]) for f in json.loads(result.stdout)["findings"]] == [("PRIV-GRP-03", "weakens")]


def test_export_then_drift_from_the_file_sees_the_same_tamper(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    group(snap, EMERGENCY)["members"].pop()  # a break-glass account removed: lockout risk
    tenant(graph, snap)
    result, out = export(tmp_path)
    assert result.exit_code == 0
    from_file, live = drift("--snapshot", str(out)), drift()
    assert from_file.exit_code == live.exit_code == 2
    strip = lambda r: [(f["controlId"], f["impact"]) for f in json.loads(r.stdout)["findings"]]  # noqa: E731
    assert strip(from_file) == strip(live) == [("PRIV-GRP-02", "weakens")]


# --------------------------------------------------------------------------- §13 read only what the stack declares


def stack_without_compliance(tmp_path) -> str:
    doc = yaml.safe_load(SAMPLE_STACK.read_text())
    doc["config"]["ztb:deviceCompliance"] = {"enabled": False}
    doc["config"]["ztb:appProtection"] = {"enabled": False}  # app protection is Intune too
    path = tmp_path / "Pulumi.nointune.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_a_tenant_without_intune_exports_and_drifts_when_the_stack_has_no_compliance_control(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    snap["deviceCompliancePolicies"] = []
    snap["managedAppPolicies"] = snap["deviceManagementSettings"] = []
    snap["conditionalAccessPolicies"] = [p for p in snap["conditionalAccessPolicies"] if "PRIV-CA-12" not in p["displayName"]]
    tenant(graph, snap)
    # A tenant without Intune: every deviceManagement request fails.
    graph.fail("GET", "^/deviceManagement", 400, graph_error("BadRequest", "Request not applicable to target tenant."), times=100)
    config = stack_without_compliance(tmp_path)
    result, out = export(tmp_path, config)
    assert result.exit_code == 0, result.stderr
    reason = "no compliance control in the stack (ztb:deviceCompliance.enabled is false)"
    assert f"Skipped deviceCompliancePolicies: {reason}" in result.stderr
    exported = load(str(out))
    assert exported["skipped"]["deviceCompliancePolicies"] == reason and exported["deviceCompliancePolicies"] == []
    assert set(exported["skipped"]) == {"deviceCompliancePolicies", "managedAppPolicies", "deviceManagementSettings", "roleAssignments"}
    live = drift(config=config)
    assert live.exit_code == 0, live.stderr
    assert f"Skipped deviceCompliancePolicies: {reason}" in live.stderr
    assert not graph.sent("GET", "^/deviceManagement")


def test_with_a_compliance_control_a_tenant_without_intune_is_an_error_naming_the_permission(graph, tmp_path):
    tenant(graph)
    graph.fail("GET", "^/deviceManagement", 403, graph_error("Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
    result, out = export(tmp_path)
    assert_one_error_line(result, "/beta/deviceManagement/deviceCompliancePolicies", "DeviceManagementConfiguration.Read.All")
    assert "skipped" not in (load(str(out)) if out.exists() else {})

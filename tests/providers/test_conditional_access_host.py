"""PRIV-CA-04 (risk remediation) through ztb's Graph Conditional Access provider, inside the SDK's host.

The host is started as the engine starts it and driven over gRPC with the Structs the real
``__main__.py`` registers (see ``tests/doubles/host.py``); Create/Read/Update/Delete reach the Graph
double over HTTP, which answers ``riskRemediation`` only to a client that sends ``Prefer:
include-unknown-enum-members`` (Graph's evolvable-enum rule).
"""

from __future__ import annotations

import base64
import pickletools

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from tests.conftest import BaselineMocks, object_id_for
from tests.doubles.graph import TOKEN, graph, graph_server  # noqa: F401 (fixtures)
from tests.doubles.host import (  # noqa: F401 (engine, host: fixtures)
    NONE, SOME, FreshStackMocks, check, create, delete, diff, edited, engine, host, one, plain, read, register, update, urn,
    with_unknown,
)
from ztb.providers import UNKNOWN
from ztb.providers.conditional_access import POLICIES, ConditionalAccessPolicyProvider

CA = "pulumi-python:dynamic/ztb:ConditionalAccessPolicy"
NAME = "baseline-ca-priv-ca-04"
PREFER = "include-unknown-enum-members"


@pytest.fixture(scope="module")
def fresh_preview():
    return register(FreshStackMocks(), preview=True, types=[CA])


@pytest.fixture(scope="module")
def deployed():
    return register(BaselineMocks(), preview=False, types=[CA])


@pytest.fixture
def created(host, graph, deployed):
    _, news = one(deployed, CA, NAME)
    answer = create(host, CA, NAME, news)
    return news, answer.id, answer.properties


def prefer_of(recorded) -> str:
    return {k.lower(): v for k, v in recorded.headers.items()}.get("prefer", "")


# -- registration and the first preview


def test_the_registered_provider_is_its_permanent_class_by_reference(deployed):
    _, news = one(deployed, CA, NAME)
    registered = news.fields["__provider"].string_value
    assert registered == serialize_provider(ConditionalAccessPolicyProvider())
    names = [arg for _op, arg, _ in pickletools.genops(base64.b64decode(registered)) if isinstance(arg, str)]
    assert names == ["ztb.providers.conditional_access", "ConditionalAccessPolicyProvider"]


def test_the_program_registers_risk_remediation_with_the_emergency_group_resolved(deployed):
    _, news = one(deployed, CA, NAME)
    props = plain(news)
    emergency = object_id_for("baseline-groups-priv-grp-02")
    assert props["emergencyGroupId"] == emergency
    assert emergency in props["policy"]["conditions"]["users"]["excludeGroups"]
    assert props["policy"]["grantControls"]["builtInControls"] == ["riskRemediation"]
    assert props["policy"]["state"] == "enabled"


def test_a_fresh_stack_preview_checks_without_failures_and_hands_unknowns_back(host, fresh_preview):
    _, news = one(fresh_preview, CA, NAME)
    assert news.fields["emergencyGroupId"].string_value == UNKNOWN  # the group does not exist yet
    policy = plain(news)["policy"]
    assert policy["conditions"]["users"] == UNKNOWN  # only the part that names groups waits for them
    assert policy["grantControls"]["builtInControls"] == ["riskRemediation"] and UNKNOWN not in str(policy["grantControls"])
    answer = check(host, CA, NAME, news)
    assert list(answer.failures) == []
    assert answer.inputs.fields["emergencyGroupId"].string_value == UNKNOWN
    assert answer.inputs.fields["__provider"] == news.fields["__provider"]


@pytest.mark.parametrize("path", [
    ("policy",), ("emergencyGroupId",), ("policy", "conditions", "users", "excludeGroups"),
    ("policy", "conditions", "users", "excludeGroups", 0), ("policy", "conditions", "users", "includeGroups"),
    ("policy", "conditions", "applications"),
])
def test_check_passes_a_value_not_known_yet_at_any_depth(host, deployed, path):
    _, news = one(deployed, CA, NAME)
    assert list(check(host, CA, NAME, with_unknown(news, *path)).failures) == []


def test_a_fresh_preview_still_refuses_a_known_mistake_in_the_grant(host, fresh_preview):
    _, news = one(fresh_preview, CA, NAME)
    bad = edited(news, lambda d: d["policy"]["grantControls"].pop("authenticationStrength"))
    assert [f.property for f in check(host, CA, NAME, bad).failures] == ["policy"]


def test_check_still_refuses_what_is_known_to_be_wrong_beside_an_unknown(host, deployed):
    _, news = one(deployed, CA, NAME)
    no_strength = edited(with_unknown(news, "emergencyGroupId"), lambda d: d["policy"]["grantControls"].pop("authenticationStrength"))
    failures = check(host, CA, NAME, no_strength).failures
    assert [f.property for f in failures] == ["policy"] and "authentication strength" in failures[0].reason
    emergency = object_id_for("baseline-groups-priv-grp-02")
    unexcluded = edited(news, lambda d: d["policy"]["conditions"]["users"]["excludeGroups"].remove(emergency))
    assert "emergencyGroupId" in [f.property for f in check(host, CA, NAME, unexcluded).failures]


# -- a stack that exists


@pytest.mark.parametrize("path", [("policy",), ("emergencyGroupId",), ("policy", "conditions", "users", "includeGroups", 0)])
def test_an_unknown_input_is_a_change_never_a_replacement(host, created, path):
    news, policy_id, outs = created
    answer = diff(host, CA, NAME, policy_id, outs, with_unknown(news, *path))
    assert answer.changes == SOME and list(answer.replaces) == []


def test_create_writes_risk_remediation_with_the_prefer_header_and_then_diffs_as_no_change(host, graph, created):
    news, policy_id, outs = created
    (post,) = graph.sent("POST", POLICIES)
    assert PREFER in prefer_of(post)
    assert graph.ca_policies[policy_id]["grantControls"]["builtInControls"] == ["riskRemediation"]
    assert plain(outs)["policy"]["grantControls"]["builtInControls"] == ["riskRemediation"]
    assert diff(host, CA, NAME, policy_id, outs, news).changes == NONE


def test_refresh_reads_risk_remediation_not_graph_s_sentinel(host, graph, created):
    news, policy_id, outs = created
    refreshed = read(host, CA, NAME, policy_id, properties=outs)
    assert plain(refreshed.properties)["policy"]["grantControls"]["builtInControls"] == ["riskRemediation"]
    assert all(PREFER in prefer_of(r) for r in graph.sent("GET"))
    # The header is what makes the difference: the same policy read without it.
    with graph.client() as g:
        bare = g.get_json(f"{POLICIES}/{policy_id}")
    assert bare["grantControls"]["builtInControls"] == ["unknownFutureValue"]


def test_update_reverts_a_portal_change_and_delete_removes_the_policy(host, graph, created):
    news, policy_id, outs = created
    graph.ca_policies[policy_id]["state"] = "disabled"  # someone switched it off in the portal
    refreshed = read(host, CA, NAME, policy_id, properties=outs).properties
    assert diff(host, CA, NAME, policy_id, refreshed, news).changes == SOME
    graph.requests.clear()
    answer = update(host, CA, NAME, policy_id, refreshed, news)
    (patch,) = graph.sent("PATCH")
    assert PREFER in prefer_of(patch) and patch.body["state"] == "enabled"
    assert graph.ca_policies[policy_id]["state"] == "enabled"
    delete(host, CA, NAME, policy_id, answer.properties)
    assert graph.ca_policies == {}
    delete(host, CA, NAME, policy_id, answer.properties)  # already gone: not an error


def test_an_import_style_read_adopts_with_the_program_s_inputs(host, graph, created):
    news, policy_id, _ = created
    answer = read(host, CA, NAME, policy_id, properties=news, inputs=news)
    assert plain(answer.inputs)["policy"]["grantControls"]["builtInControls"] == ["riskRemediation"]
    assert plain(answer.inputs)["emergencyGroupId"] == plain(news)["emergencyGroupId"]


# -- the guards, at apply time, on resolved IDs


def test_create_refuses_a_policy_without_the_emergency_exclusion_and_sends_nothing(host, graph, engine, deployed):
    _, news = one(deployed, CA, NAME)
    emergency = object_id_for("baseline-groups-priv-grp-02")
    unexcluded = edited(news, lambda d: d["policy"]["conditions"]["users"]["excludeGroups"].remove(emergency))
    with pytest.raises(grpc.RpcError) as info:
        host.Create(provider_pb2.CreateRequest(urn=urn(CA, NAME), type=CA, name=NAME, properties=unexcluded))
    last = info.value.details().rstrip().splitlines()[-1]
    assert last.startswith("ztb.providers.ProviderError: PRIV-CA-04: ")
    assert f"does not exclude the emergency-access group {emergency}" in last
    assert graph.sent("POST") == [] and graph.ca_policies == {}
    assert TOKEN not in info.value.details()


def test_a_graph_refusal_is_one_line_naming_the_control_and_the_call(host, graph, deployed):
    _, news = one(deployed, CA, NAME)
    graph.fail("POST", rf"^{POLICIES}$", 400, {"error": {"code": "BadRequest", "message": "Invalid policy"}})
    with pytest.raises(grpc.RpcError) as info:
        create(host, CA, NAME, news)
    assert info.value.details().rstrip().splitlines()[-1] == (
        f"ztb.providers.ProviderError: PRIV-CA-04: POST {POLICIES}: HTTP 400 BadRequest: Invalid policy")

"""The access review and authentication-context providers inside the SDK's provider host, over gRPC.

Inputs are what the real ``__main__.py`` registers for the sample stack under the mocks (as
tests/doubles/host.py records them); create/read/update/delete reach the Graph double,
whose write endpoints answer as the documented examples do (tests/doubles/governance.py).
"""

from __future__ import annotations

import pytest
from pulumi.dynamic.dynamic import serialize_provider  # noqa: F401  (the host unpickles what this serialises)

from tests.conftest import BaselineMocks, object_id_for
from tests.doubles import governance
from tests.doubles.graph import graph, graph_server  # noqa: F401 (fixtures)
from tests.doubles.host import (  # noqa: F401 (fixtures engine, host)
    NONE, SOME, FreshStackMocks, check, create, delete, diff, edited, engine, host, one, plain, read, update, with_unknown,
)
from tests.doubles.host import register as _register
from ztb.providers.access_reviews import AccessReviewProvider
from ztb.providers.auth_context import AuthenticationContextProvider
from ztb.providers.conditional_access import ConditionalAccessPolicyProvider

REVIEW = "pulumi-python:dynamic/ztb:AccessReview"
CONTEXT = "pulumi-python:dynamic/ztb:AuthenticationContext"
#: PRIV-CA-13 goes through ztb's Graph Conditional Access provider, like PRIV-CA-04.
POLICY = "pulumi-python:dynamic/ztb:ConditionalAccessPolicy"
CONTEXT_POLICY = "baseline-ca-priv-ca-13"
MINE = {REVIEW: AccessReviewProvider, CONTEXT: AuthenticationContextProvider, POLICY: ConditionalAccessPolicyProvider}
GA_REVIEW = "baseline-reviews-priv-rev-62e90394"
EXCL_REVIEW = "baseline-reviews-priv-rev-excl"


def registered(mocks: BaselineMocks, preview: bool):
    return _register(mocks, preview, MINE)


@pytest.fixture(scope="module")
def deployed():
    return registered(BaselineMocks(), preview=False)


@pytest.fixture(scope="module")
def fresh_preview():
    return registered(FreshStackMocks(), preview=True)


@pytest.fixture
def tenant(graph):
    return governance.serve(graph)


def test_the_program_registers_one_review_per_role_and_the_exclusion_group_and_the_context_and_its_policy(deployed):
    names = sorted(n for n, (t, _) in deployed.items() if t == REVIEW)
    assert len(names) == 38 and EXCL_REVIEW in names and GA_REVIEW in names
    assert [n for n, (t, _) in deployed.items() if t == CONTEXT] == ["baseline-auth-context-priv-ctx-01"]
    assert sorted(n for n, (t, _) in deployed.items() if t == POLICY) == ["baseline-ca-priv-ca-04", CONTEXT_POLICY]


@pytest.mark.parametrize("typ", sorted(MINE))
def test_a_fresh_stack_preview_checks_without_failures_and_hands_unknowns_back(host, fresh_preview, typ):
    for name, (t, news) in fresh_preview.items():
        if t == typ:
            answer = check(host, typ, name, news)
            assert list(answer.failures) == [], (name, answer.failures)


def test_a_review_through_the_host(host, graph, tenant, deployed):
    name, news = one(deployed, REVIEW, EXCL_REVIEW)
    created = create(host, REVIEW, name, news)
    (post,) = graph.sent("POST", r"/accessReviews/definitions$")
    assert post.body["scope"]["query"] == "/groups/0ca0e8c1-0000-4000-8000-000000000003/transitiveMembers"
    assert post.body["settings"]["instanceDurationInDays"] == 14 and isinstance(post.body["settings"]["instanceDurationInDays"], int)
    assert post.body["settings"]["applyActions"] == [{"@odata.type": "#microsoft.graph.removeAccessApplyAction"}]
    outs = created.properties
    # Graph adds queryRoot to reviewers and answers the start date as a date: still no change.
    assert diff(host, REVIEW, name, created.id, outs, check(host, REVIEW, name, news, outs).inputs).changes == NONE
    refreshed = read(host, REVIEW, name, created.id, properties=outs)
    assert plain(refreshed.properties)["status"] == "NotStarted"
    assert diff(host, REVIEW, name, created.id, refreshed.properties, news).changes == NONE

    graph.requests.clear()
    monthly = edited(news, lambda d: d["settings"]["recurrence"]["pattern"].update(interval=1))
    answer = diff(host, REVIEW, name, created.id, outs, monthly)
    assert (answer.changes, list(answer.replaces)) == (SOME, [])
    later_start = edited(news, lambda d: d["settings"]["recurrence"]["range"].update(startDate="2027-01-04"))
    assert diff(host, REVIEW, name, created.id, outs, later_start).changes == NONE  # create-only
    updated = update(host, REVIEW, name, created.id, outs, monthly)
    (put,) = graph.sent("PUT")
    assert "scope" not in put.body and put.body["settings"]["recurrence"]["pattern"]["interval"] == 1
    assert put.body["settings"]["recurrence"]["range"]["startDate"] == "2026-01-05"  # the live one, kept
    assert plain(updated.properties)["settings"]["recurrence"]["pattern"]["interval"] == 1

    other_scope = edited(news, lambda d: d["scope"].update(query="/groups/00000000-0000-4000-8000-000000000009/transitiveMembers"))
    assert list(diff(host, REVIEW, name, created.id, outs, other_scope).replaces) == ["scope"]
    assert list(diff(host, REVIEW, name, created.id, outs, with_unknown(news, "scope")).replaces) == ["scope"]

    delete(host, REVIEW, name, created.id, updated.properties)
    assert graph.collections[governance.REVIEWS] == []
    delete(host, REVIEW, name, created.id, updated.properties)  # already gone: not an error


def test_check_refuses_a_self_review_and_a_one_off_review(host, deployed):
    name, news = one(deployed, REVIEW, GA_REVIEW)
    no_reviewers = check(host, REVIEW, name, edited(news, lambda d: d.update(reviewers=[])))
    assert [f.property for f in no_reviewers.failures] == ["reviewers"] and "self-review" in no_reviewers.failures[0].reason
    one_off = check(host, REVIEW, name, edited(news, lambda d: d["settings"].pop("recurrence")))
    assert [f.property for f in one_off.failures] == ["settings"]


def test_a_graph_refusal_reaches_the_engine_as_one_line_naming_the_control(host, graph, tenant, deployed):
    import grpc

    name, news = one(deployed, REVIEW, GA_REVIEW)
    graph.fail("POST", r"/accessReviews/definitions$", 403, times=3)
    with pytest.raises(grpc.RpcError) as e:
        create(host, REVIEW, name, news)
    last = e.value.details().strip().splitlines()[-1]
    assert "PRIV-REV-62e90394" in last and "403" in last and "double-token" not in e.value.details()


def test_the_context_and_its_policy_through_the_host(host, graph, tenant, deployed):
    ctx_name, ctx_news = one(deployed, CONTEXT)
    ctx = create(host, CONTEXT, ctx_name, ctx_news)
    assert ctx.id == "c1"
    assert [r.method for r in graph.requests if "authenticationContext" in r.path] == ["GET", "POST"]
    assert graph.collections[governance.CONTEXTS] == [
        {"id": "c1", "displayName": "ZTB Privileged role activation", "description": plain(ctx_news)["description"], "isAvailable": True}]
    assert diff(host, CONTEXT, ctx_name, ctx.id, ctx.properties, ctx_news).changes == NONE
    # An existing context (as documented: c1 "Contoso trusted locations") is adopted and PATCHed, not created twice.
    graph.requests.clear()
    graph.collections[governance.CONTEXTS][0]["displayName"] = "Contoso trusted locations"
    again = create(host, CONTEXT, ctx_name, ctx_news)
    assert [r.method for r in graph.requests if "authenticationContext" in r.path] == ["GET", "PATCH"]
    assert graph.collections[governance.CONTEXTS][0]["displayName"] == "ZTB Privileged role activation"
    graph.requests.clear()
    delete(host, CONTEXT, ctx_name, again.id, again.properties)
    assert graph.requests == []  # PIM may still name the context: left as it is

    pol_name, pol_news = one(deployed, POLICY, CONTEXT_POLICY)
    policy = create(host, POLICY, pol_name, pol_news)
    (post,) = graph.sent("POST", r"/conditionalAccess/policies$")
    assert post.body["conditions"]["applications"]["includeAuthenticationContextClassReferences"] == ["c1"]
    assert post.body["conditions"]["users"]["includeRoles"] == []
    assert object_id_for("baseline-groups-priv-grp-01") in post.body["conditions"]["users"]["includeGroups"]
    assert object_id_for("baseline-groups-priv-grp-02") in post.body["conditions"]["users"]["excludeGroups"]
    assert post.body["state"] == "enabledForReportingButNotEnforced"
    assert diff(host, POLICY, pol_name, policy.id, policy.properties, pol_news).changes == NONE
    enforce = edited(pol_news, lambda d: d["policy"].update(state="enabled"))
    assert diff(host, POLICY, pol_name, policy.id, policy.properties, enforce).changes == SOME
    graph.requests.clear()
    updated = update(host, POLICY, pol_name, policy.id, policy.properties, enforce)
    (patch,) = graph.sent("PATCH")
    assert patch.body["state"] == "enabled"
    delete(host, POLICY, pol_name, policy.id, updated.properties)
    assert graph.ca_policies == {}


def test_a_policy_without_an_exclusion_never_reaches_graph(host, deployed):
    name, news = one(deployed, POLICY, CONTEXT_POLICY)
    answer = check(host, POLICY, name, edited(news, lambda d: d["policy"]["conditions"]["users"].update(excludeGroups=[])))
    assert "emergencyGroupId" in [f.property for f in answer.failures]
    assert any("emergency-access" in f.reason for f in answer.failures)

"""The time-bound eligibility provider against the Graph double (documented request/schedule shapes)."""

from __future__ import annotations

import base64
import copy
import re
from datetime import datetime, timedelta, timezone

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from tests.conftest import SAMPLE_STACK, param_id
from tests.doubles.graph import graph, graph_server, sample  # noqa: F401 (fixtures)
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.providers import ProviderError
from ztb.providers.eligibility import RoleEligibilityProvider, observed_schedule

SAMPLE = build(load_stack_file(SAMPLE_STACK))
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
ADMIN = "ad000000-0000-4000-8000-000000000011"
REQUESTS = "/roleManagement/directory/roleEligibilityScheduleRequests"


def props_for(principal: str = ADMIN, role: str = GLOBAL_ADMIN) -> dict:
    control = next(c for c in SAMPLE.of_kind("roleEligibility") if c.meta.principal_id == principal and c.meta.template_id == role)
    return {**copy.deepcopy(control.desired), "controlId": control.id}


def end_of(schedule: dict) -> datetime:
    return datetime.fromisoformat(schedule["scheduleInfo"]["expiration"]["endDateTime"].replace("Z", "+00:00"))


@pytest.fixture
def provider() -> RoleEligibilityProvider:
    return RoleEligibilityProvider()


def test_create_requests_admin_assign_with_an_expiring_schedule(graph, provider):
    props = props_for()
    result = provider.create(props)
    (req,) = graph.sent("POST", REQUESTS)
    assert req.body == {
        "action": "adminAssign", "principalId": ADMIN, "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/",
        "justification": "Privileged baseline: eligible assignment managed by ztb",
        "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "P180D"}},
    }
    (schedule,) = graph.schedules
    assert result.id == schedule["id"] and result.outs["adopted"] is False
    assert abs(end_of(schedule) - (datetime.now(timezone.utc) + timedelta(days=180))) < timedelta(minutes=5)


def test_eligibility_without_expiration_is_refused_before_any_call(graph, provider):
    props = props_for()
    props["scheduleInfo"] = {"expiration": {"type": "noExpiration"}}
    assert [f.property for f in provider.check({}, props).failures] == ["scheduleInfo"]
    with pytest.raises(ProviderError, match="eligibility must expire"):
        provider.create(props)
    assert graph.requests == []


def test_a_duration_the_role_rule_forbids_is_one_line_naming_the_graph_code(graph, provider):
    policy_id = graph.add_role_policy(GLOBAL_ADMIN)
    graph.rule(policy_id, "Expiration_Admin_Eligibility").update(isExpirationRequired=True, maximumDuration="P90D")
    with pytest.raises(ProviderError) as info:
        provider.create(props_for())
    assert str(info.value).startswith(
        f"{props_for()['controlId']}: POST {REQUESTS}: HTTP 400 RoleAssignmentRequestPolicyValidationFailed: "
        'The following policy rules failed: ["ExpirationRule"] [request-id '
    )
    assert graph.schedules == []


def test_an_existing_permanent_eligibility_is_adopted_and_made_time_bound(graph, provider):
    schedule = graph.add_schedule(ADMIN, GLOBAL_ADMIN, end=None)
    created = provider.create(props_for())
    assert graph.sent("POST", REQUESTS)[0].body["action"] == "adminUpdate"
    assert created.id == schedule["id"] and created.outs["adopted"] is True
    assert schedule["scheduleInfo"]["expiration"]["type"] == "afterDateTime"
    provider.delete(created.id, created.outs)
    assert len(graph.sent("POST")) == 1 and graph.schedules == [schedule]  # adopted: left in place


def test_unchanged_eligibility_read_back_is_not_a_change(graph, provider):
    props = props_for()
    created = provider.create(props)
    refreshed = provider.read(created.id, created.outs)  # Graph answers afterDateTime + endDateTime
    assert refreshed.id == created.id and refreshed.inputs is None
    assert provider.diff(created.id, refreshed.outs, props).changes is False


def test_read_of_an_eligibility_made_permanent_is_drift_and_update_restores_the_expiry(graph, provider):
    props = props_for()
    created = provider.create(props)
    graph.schedules[0]["scheduleInfo"]["expiration"] = {"type": "noExpiration", "endDateTime": None, "duration": None}
    refreshed = provider.read(created.id, created.outs)
    assert refreshed.outs["scheduleInfo"] == {"expiration": {"type": "noExpiration"}}
    assert provider.diff(created.id, refreshed.outs, props).changes is True
    provider.update(created.id, refreshed.outs, props)
    assert graph.sent("POST", REQUESTS)[-1].body["action"] == "adminUpdate"
    assert graph.schedules[0]["scheduleInfo"]["expiration"]["type"] == "afterDateTime"


def test_an_end_date_beyond_the_allowed_duration_is_drift(graph, provider):
    props = props_for()
    created = provider.create(props)
    graph.schedules[0]["scheduleInfo"]["expiration"]["endDateTime"] = "2099-01-01T00:00:00Z"
    refreshed = provider.read(created.id, created.outs)
    assert refreshed.outs["scheduleInfo"]["expiration"] == {"type": "afterDateTime", "endDateTime": "2099-01-01T00:00:00Z"}
    assert provider.diff(created.id, refreshed.outs, props).changes is True


def test_a_shorter_duration_is_an_update_by_admin_update(graph, provider):
    props = props_for()
    created = provider.create(props)
    news = copy.deepcopy(props)
    news["scheduleInfo"]["expiration"]["duration"] = "P90D"
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes is True and diff.replaces == []
    provider.update(created.id, created.outs, news)
    last = graph.sent("POST", REQUESTS)[-1].body
    assert (last["action"], last["scheduleInfo"]["expiration"]["duration"]) == ("adminUpdate", "P90D")
    assert end_of(graph.schedules[0]) < datetime.now(timezone.utc) + timedelta(days=91)


def test_the_same_duration_spelled_differently_is_not_a_change(graph, provider):
    props = props_for()
    created = provider.create(props)
    news = copy.deepcopy(props)
    news["scheduleInfo"]["expiration"]["duration"] = "PT4320H"  # 180 days
    assert provider.diff(created.id, created.outs, news).changes is False


def test_another_principal_is_a_replacement_removing_the_old_first(graph, provider):
    created = provider.create(props_for())
    news = {**props_for(), "principalId": "ad000000-0000-4000-8000-000000000099"}
    diff = provider.diff(created.id, created.outs, news)
    assert diff.replaces == ["principalId"] and diff.delete_before_replace is True


def test_import_by_schedule_id_reads_the_documented_schedule(graph, provider):
    documented = sample("roleeligibilityschedules-list.response.json")["value"][0]
    schedule = graph.add_schedule(documented["principalId"], documented["roleDefinitionId"], end=documented["scheduleInfo"]["expiration"]["endDateTime"])
    result = provider.read(schedule["id"], {})
    assert result.id == schedule["id"]
    assert result.inputs == {
        "principalId": documented["principalId"], "roleDefinitionId": documented["roleDefinitionId"], "directoryScopeId": "/",
        "action": "adminAssign", "scheduleInfo": {"expiration": {"type": "afterDateTime", "endDateTime": "2024-04-10T00:00:00Z"}},
    }


def test_read_of_an_expired_or_removed_eligibility_returns_no_id(graph, provider):
    created = provider.create(props_for())
    graph.schedules.clear()
    assert provider.read(created.id, created.outs).id is None
    assert provider.read("77f71919-62f3-4d0c-9f88-0a0391b665cd", {}).id is None  # import of an unknown schedule: 404


def test_delete_posts_admin_remove_and_tolerates_it_being_gone(graph, provider):
    created = provider.create(props_for())
    provider.delete(created.id, created.outs)
    assert graph.sent("POST", REQUESTS)[-1].body == {
        "action": "adminRemove", "principalId": ADMIN, "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/",
    }
    assert graph.schedules == []
    provider.delete(created.id, created.outs)  # Graph: 400 RoleAssignmentDoesNotExist
    assert len(graph.sent("POST", REQUESTS)) == 3


def test_a_delete_graph_refuses_is_one_line(graph, provider):
    created = provider.create(props_for())
    graph.fail("POST", REQUESTS, 403, {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}})
    with pytest.raises(ProviderError, match=rf"^{re.escape(props_for()['controlId'])}: POST {REQUESTS}: HTTP 403 Authorization_RequestDenied: Insufficient privileges"):
        provider.delete(created.id, created.outs)


def test_throttled_schedule_lookup_is_retried(graph, provider):
    graph.fail("GET", "roleEligibilitySchedules", 429, sample("error-429-toomanyrequests.json"), headers={"Retry-After": "4"})
    provider.create(props_for())
    assert graph.sleeps == [4] and len(graph.schedules) == 1


def test_unavailable_once_on_the_request_is_retried(graph, provider):
    graph.fail("POST", REQUESTS, 503)
    provider.create(props_for())
    assert len(graph.sent("POST", REQUESTS)) == 2 and len(graph.schedules) == 1


def test_malformed_request_answer_is_one_line(graph, provider):
    graph.fail("POST", REQUESTS, 201, raw=b'{"id": "50877283", "status": ')
    with pytest.raises(ProviderError, match=rf"^{re.escape(props_for()['controlId'])}: POST {REQUESTS}: InvalidResponse: the answer's body is not valid JSON"):
        provider.create(props_for())


def test_observed_schedule_within_the_duration_is_the_desired_one():
    desired = {"expiration": {"type": "afterDuration", "duration": "P30D"}}
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    soon = {"scheduleInfo": {"expiration": {"type": "afterDateTime", "endDateTime": "2026-01-20T00:00:00Z"}}}
    late = {"scheduleInfo": {"expiration": {"type": "afterDateTime", "endDateTime": "2026-03-01T00:00:00Z"}}}
    assert observed_schedule(soon, desired, now) == desired
    assert observed_schedule(late, desired, now) != desired


def test_provider_pickles_by_reference():
    blob = base64.b64decode(serialize_provider(RoleEligibilityProvider()))
    assert len(blob) < 500 and b"ztb.providers.eligibility" in blob
    assert isinstance(dill.loads(blob), RoleEligibilityProvider)


# --------------------------------------------------------------------------- values not known yet (preview)

from pulumi.output import Unknown  # noqa: E402

from ztb.providers import UNKNOWN, has_unknowns, is_unknown  # noqa: E402

ODD_VALUES = [None, "", 1.0, True, {}, {"expiration": 1.0}, {"expiration": {"type": Unknown(), "duration": "P30D"}}, [], ["x"], Unknown(), UNKNOWN]


@pytest.mark.parametrize("odd", ODD_VALUES, ids=param_id)
@pytest.mark.parametrize("key", ["principalId", "roleDefinitionId", "directoryScopeId", "scheduleInfo", "justification"])
def test_check_and_diff_take_any_value_in_any_input_without_raising(provider, key, odd):
    props = props_for()
    news = {**props, key: odd}
    failures = provider.check({}, news).failures
    result = provider.diff("schedule-id", props, news)
    if has_unknowns(odd):
        assert result.changes is True
        assert result.replaces == ([key] if key in ("principalId", "roleDefinitionId", "directoryScopeId") else [])
    if is_unknown(odd) or key == "scheduleInfo" and has_unknowns(odd):
        assert failures == []


def test_a_preview_that_knows_only_part_of_the_schedule_still_judges_that_part(provider):
    news = props_for()
    news["scheduleInfo"] = {"expiration": {"type": "noExpiration", "duration": Unknown()}}
    assert [f.property for f in provider.check({}, news).failures] == ["scheduleInfo"]
    news["scheduleInfo"] = {"expiration": {"type": Unknown(), "duration": "P30D"}}
    assert provider.check({}, news).failures == []


def test_create_without_a_schedule_is_one_line_before_any_call(graph, provider):
    news = props_for()
    del news["scheduleInfo"]
    with pytest.raises(ProviderError, match=r"^PRIV-ELIG-.*: input 'scheduleInfo' is missing or not known yet$"):
        provider.create(news)
    assert graph.requests == []

"""The three dynamic providers inside the Pulumi SDK's own provider host, driven over gRPC.

The engine runs dynamic providers in a separate process, ``<venv python> -u -m pulumi.dynamic
<engine-address>`` with the project as working directory; the process prints its port and serves
the ResourceProvider service. These tests start that process the same way, connect with grpc and
send what the engine sends: Structs holding the inputs exactly as the program registered them
(``__provider`` included, values not known yet as the UNKNOWN string the host turns into
``pulumi.output.Unknown``), then the host's own answers back as olds. Create/Read/Update/Delete reach
the local Graph double over HTTP, so nothing here calls a provider method in-process.

The inputs come from running the real ``__main__.py`` under Pulumi's mocks with a monitor that keeps
each RegisterResource request: once as the first preview of a new stack (the groups the stack
creates have no object ID yet), once as a ``pulumi up`` (object IDs known).
"""

from __future__ import annotations

import base64
import pickletools
from typing import Any, Iterator

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from tests.conftest import BaselineMocks, object_id_for
from tests.doubles.graph import TOKEN, graph, graph_server  # noqa: F401 (fixtures)
from tests.doubles.host import (  # noqa: F401 (engine, host: fixtures)
    NONE, SOME, FreshStackMocks, check, create, delete, diff, edited, engine, host, one, plain, read, register,
    update, urn, with_unknown,
)
from ztb.providers import UNKNOWN
from ztb.providers.compliance import DeviceCompliancePolicyProvider
from ztb.providers.eligibility import RoleEligibilityProvider
from ztb.providers.pim import RoleManagementPolicyProvider

PIM = "pulumi-python:dynamic/ztb:RoleManagementPolicy"
ELIGIBILITY = "pulumi-python:dynamic/ztb:RoleEligibility"
COMPLIANCE = "pulumi-python:dynamic/ztb:DeviceCompliancePolicy"
PROVIDERS = {PIM: RoleManagementPolicyProvider, ELIGIBILITY: RoleEligibilityProvider, COMPLIANCE: DeviceCompliancePolicyProvider}
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PIM_NAME = "baseline-pim-priv-pim-62e90394"
COMPLIANCE_NAME = "baseline-compliance-priv-dev-01"
POLICIES = "/deviceManagement/deviceCompliancePolicies"


# --------------------------------------------------------------------------- the program's registration


@pytest.fixture(scope="module")
def fresh_preview() -> dict[str, tuple[str, struct_pb2.Struct]]:
    """Each dynamic resource's inputs on the first preview of a new stack."""
    return register(FreshStackMocks(), preview=True, types=PROVIDERS)


@pytest.fixture(scope="module")
def deployed() -> dict[str, tuple[str, struct_pb2.Struct]]:
    """Each dynamic resource's inputs in a `pulumi up` (the groups' object IDs are known)."""
    return register(BaselineMocks(), preview=False, types=PROVIDERS)




# --------------------------------------------------------------------------- the serialised provider


@pytest.mark.parametrize("typ", sorted(PROVIDERS))
def test_the_registered_provider_is_its_permanent_class_by_reference(deployed, typ):
    _, news = one(deployed, typ)
    registered = news.fields["__provider"].string_value
    assert registered == serialize_provider(PROVIDERS[typ]())  # what dynamic.Resource.__init__ makes
    names = [arg for op, arg, _ in pickletools.genops(base64.b64decode(registered)) if isinstance(arg, str)]
    assert names == [PROVIDERS[typ].__module__, PROVIDERS[typ].__name__]
    assert PROVIDERS[typ].__module__.startswith("ztb.providers.")


# --------------------------------------------------------------------------- the first preview of a new stack


def test_a_fresh_stack_registers_the_compliance_policy_known_and_its_assignments_unknown(fresh_preview):
    _, news = one(fresh_preview, COMPLIANCE, COMPLIANCE_NAME)
    assert news.fields["assignments"].string_value == UNKNOWN
    policy = plain(news)["policy"]
    assert policy["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert UNKNOWN not in str(policy)


def test_a_fresh_stack_preview_checks_every_dynamic_resource_without_failures(host, fresh_preview):
    assert {t for t, _ in fresh_preview.values()} == set(PROVIDERS)
    for name, (typ, news) in fresh_preview.items():
        answer = check(host, typ, name, news)
        assert list(answer.failures) == [], name
        assert answer.inputs.fields["__provider"] == news.fields["__provider"], name


def test_check_hands_unknown_values_back_as_they_came(host, fresh_preview):
    _, news = one(fresh_preview, COMPLIANCE, COMPLIANCE_NAME)
    answer = check(host, COMPLIANCE, COMPLIANCE_NAME, news)
    assert answer.inputs.fields["assignments"].string_value == UNKNOWN
    assert plain(answer.inputs)["policy"] == plain(news)["policy"]


@pytest.mark.parametrize("typ,path", [
    (PIM, ("rules", 0, "id")),
    (PIM, ("rules",)),
    (PIM, ("roleDefinitionId",)),
    (ELIGIBILITY, ("principalId",)),
    (ELIGIBILITY, ("scheduleInfo", "expiration", "duration")),
    (ELIGIBILITY, ("scheduleInfo",)),
    (COMPLIANCE, ("policy", "@odata.type")),
    (COMPLIANCE, ("policy", "scheduledActionsForRule")),
    (COMPLIANCE, ("policy",)),
    (COMPLIANCE, ("assignments", 0, "target", "groupId")),
])
def test_check_passes_a_value_not_known_yet_at_any_depth(host, deployed, typ, path):
    name, news = one(deployed, typ)
    answer = check(host, typ, name, with_unknown(news, *path))
    assert list(answer.failures) == []


def test_check_still_refuses_what_is_known_to_be_wrong_beside_an_unknown(host, deployed):
    name, news = one(deployed, COMPLIANCE, COMPLIANCE_NAME)
    bad = edited(with_unknown(news, "assignments"), lambda d: d["policy"].update(scheduledActionsForRule=[]))
    assert [f.property for f in check(host, COMPLIANCE, name, bad).failures] == ["policy"]
    name, news = one(deployed, PIM)
    bad = edited(with_unknown(news, "rules", 0), lambda d: d["rules"][1].pop("@odata.type"))
    assert [f.property for f in check(host, PIM, name, bad).failures] == ["rules"]
    name, news = one(deployed, ELIGIBILITY)
    bad = edited(with_unknown(news, "principalId"), lambda d: d["scheduleInfo"]["expiration"].update(type="noExpiration"))
    assert [f.property for f in check(host, ELIGIBILITY, name, bad).failures] == ["scheduleInfo"]


# --------------------------------------------------------------------------- a stack that exists: diff with unknowns


@pytest.fixture
def created(host, graph, deployed):
    """Create one resource of each provider through the host; their ids and output Structs."""
    graph.add_role_policy(GLOBAL_ADMIN)
    pim_name, pim_news = one(deployed, PIM, PIM_NAME)
    elig_name, elig_news = one(deployed, ELIGIBILITY)
    dc_name, dc_news = one(deployed, COMPLIANCE, COMPLIANCE_NAME)
    role = plain(elig_news)["roleDefinitionId"]
    if role != GLOBAL_ADMIN:
        graph.add_role_policy(role)
    out = {}
    for typ, name, news in ((PIM, pim_name, pim_news), (ELIGIBILITY, elig_name, elig_news), (COMPLIANCE, dc_name, dc_news)):
        answer = create(host, typ, name, news)
        out[typ] = (name, news, answer.id, answer.properties)
    return out


@pytest.mark.parametrize("typ,path,replaces", [
    (PIM, ("rules", 0, "maximumDuration"), []),
    (PIM, ("rules",), []),
    (PIM, ("roleDefinitionId",), ["roleDefinitionId"]),
    (PIM, ("scopeId",), ["scopeId"]),
    (ELIGIBILITY, ("scheduleInfo", "expiration", "duration"), []),
    (ELIGIBILITY, ("principalId",), ["principalId"]),
    (ELIGIBILITY, ("directoryScopeId",), ["directoryScopeId"]),
    (COMPLIANCE, ("assignments",), []),
    (COMPLIANCE, ("assignments", 0, "target", "groupId"), []),
    (COMPLIANCE, ("policy", "osMinimumVersion"), []),
    (COMPLIANCE, ("policy", "@odata.type"), ["policy"]),
])
def test_an_unknown_input_is_a_change_and_a_replacement_only_for_identity(host, created, typ, path, replaces):
    name, news, id_, outs = created[typ]
    answer = diff(host, typ, name, id_, outs, with_unknown(news, *path))
    assert answer.changes == SOME
    assert list(answer.replaces) == replaces


def test_a_preview_after_the_privileged_group_is_replaced_changes_the_assignments_in_place(host, created, fresh_preview):
    name, _, id_, outs = created[COMPLIANCE]
    _, preview = one(fresh_preview, COMPLIANCE, COMPLIANCE_NAME)
    answer = diff(host, COMPLIANCE, name, id_, outs, check(host, COMPLIANCE, name, preview, outs).inputs)
    assert (answer.changes, list(answer.replaces)) == (SOME, [])


@pytest.mark.parametrize("typ", sorted(PROVIDERS))
def test_right_after_create_the_program_s_inputs_diff_as_no_change(host, created, typ):
    name, news, id_, outs = created[typ]
    answer = diff(host, typ, name, id_, outs, check(host, typ, name, news, outs).inputs)
    assert (answer.changes, list(answer.replaces)) == (NONE, [])


# --------------------------------------------------------------------------- create, read, update, delete on the double


def test_pim_settings_through_the_host(host, graph, created):
    name, news, policy_id, outs = created[PIM]
    assert policy_id.startswith("DirectoryRole_")
    assert graph.rule(policy_id, "Expiration_Admin_Eligibility")["isExpirationRequired"] is True
    refreshed = read(host, PIM, name, policy_id, properties=outs)
    assert refreshed.id == policy_id and not refreshed.HasField("inputs")  # a refresh keeps the program's inputs
    assert [r["id"] for r in plain(refreshed.properties)["rules"]] == [r["id"] for r in plain(news)["rules"]]
    # Graph respells durations (PT60M -> PT1H): the refreshed state is still no change.
    assert diff(host, PIM, name, policy_id, refreshed.properties, news).changes == NONE

    def shorter(d):
        rule = next(r for r in d["rules"] if r["id"] == "Expiration_EndUser_Assignment")
        rule["maximumDuration"] = "PT2H"

    graph.requests.clear()
    changed = edited(news, shorter)
    assert diff(host, PIM, name, policy_id, outs, changed).changes == SOME
    answer = update(host, PIM, name, policy_id, outs, changed)
    assert [r.path.rsplit("/", 1)[-1] for r in graph.sent("PATCH")] == ["Expiration_EndUser_Assignment"]
    assert graph.rule(policy_id, "Expiration_EndUser_Assignment")["maximumDuration"] == "PT2H"
    graph.requests.clear()
    delete(host, PIM, name, policy_id, answer.properties)
    assert graph.requests == []  # the tenant's PIM settings are left as they are


def test_an_eligibility_through_the_host(host, graph, created):
    name, news, schedule_id, outs = created[ELIGIBILITY]
    request = graph.sent("POST", r"roleEligibilityScheduleRequests$")[0]
    assert request.body["action"] == "adminAssign"
    assert request.body["scheduleInfo"]["expiration"]["type"] == "afterDuration"
    assert plain(read(host, ELIGIBILITY, name, schedule_id, properties=outs).properties)["scheduleId"] == schedule_id

    graph.requests.clear()
    shorter = edited(news, lambda d: d["scheduleInfo"]["expiration"].update(duration="P30D"))
    assert diff(host, ELIGIBILITY, name, schedule_id, outs, shorter).changes == SOME
    answer = update(host, ELIGIBILITY, name, schedule_id, outs, shorter)
    assert [r.body["action"] for r in graph.sent("POST")] == ["adminUpdate"]
    delete(host, ELIGIBILITY, name, schedule_id, answer.properties)
    assert [r.body["action"] for r in graph.sent("POST")] == ["adminUpdate", "adminRemove"]
    assert graph.schedules == []


def test_a_compliance_policy_through_the_host(host, graph, created):
    name, news, policy_id, outs = created[COMPLIANCE]
    included = [object_id_for(f"baseline-groups-priv-grp-{n}") for n in ("01", "11", "12", "13")]  # privileged group, rings
    assert sorted(a["target"]["groupId"] for a in graph.compliance_assignments[policy_id]) == sorted(included)
    refreshed = read(host, COMPLIANCE, name, policy_id, properties=outs)
    assert plain(refreshed.properties)["policy"]["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"

    graph.requests.clear()
    newer = edited(news, lambda d: d["policy"].update(osMinimumVersion="10.0.22631"))
    assert diff(host, COMPLIANCE, name, policy_id, outs, newer).changes == SOME
    answer = update(host, COMPLIANCE, name, policy_id, outs, newer)
    (patch,) = graph.sent("PATCH")
    assert patch.body == {"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "osMinimumVersion": "10.0.22631"}
    delete(host, COMPLIANCE, name, policy_id, answer.properties)
    assert graph.compliance == {}


def numbers(obj: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from numbers(v, f"{path}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, obj


def test_numbers_arrive_as_floats_and_reach_graph_as_integers(host, graph, created):
    # The Struct holds doubles; Graph's Int32 fields (gracePeriodHours, approvalStageTimeOutInDays) reject 0.0.
    sent = [r.body for r in graph.sent("POST", rf"^{POLICIES}$") + graph.sent("PATCH", r"/rules/")]
    found = [(path, value) for body in sent for path, value in numbers(body)]
    assert {p.rsplit(".", 1)[-1] for p, _ in found} >= {"gracePeriodHours", "approvalStageTimeOutInDays"}
    assert [(p, v) for p, v in found if type(v) is not int] == []


# --------------------------------------------------------------------------- adoption and errors, as the user sees them


def test_an_import_option_in_the_program_reads_the_live_object_with_the_program_s_inputs(host, graph, deployed):
    name, news = one(deployed, COMPLIANCE, COMPLIANCE_NAME)
    existing = graph.add_compliance_policy()
    answer = read(host, COMPLIANCE, name, existing, inputs=news)  # ResourceOptions(import_=...): inputs, no state
    assert answer.id == existing
    assert plain(answer.inputs)["policy"]["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert answer.inputs.fields["__provider"] == news.fields["__provider"]


def test_pulumi_import_of_a_dynamic_resource_fails_in_the_host(host, graph):
    existing = graph.add_compliance_policy()
    with pytest.raises(grpc.RpcError) as info:
        read(host, COMPLIANCE, COMPLIANCE_NAME, existing)  # `pulumi import`: neither inputs nor state (pulumi/pulumi#16175)
    assert info.value.code() == grpc.StatusCode.UNKNOWN
    assert info.value.details().rstrip().splitlines()[-1] == "KeyError: '__provider'"
    assert graph.requests == []


def test_a_provider_error_reaches_the_engine_as_a_traceback_ending_in_its_one_line(host, graph, engine, deployed):
    name, news = one(deployed, COMPLIANCE, COMPLIANCE_NAME)
    message = "Compliance policy must have one and only one block scheduled action"
    graph.fail("POST", rf"^{POLICIES}$", 400, {"error": {"code": "BadRequest", "message": message}})
    with pytest.raises(grpc.RpcError) as info:
        create(host, COMPLIANCE, name, news)
    details = info.value.details()
    assert info.value.code() == grpc.StatusCode.UNKNOWN
    assert details.startswith("Traceback (most recent call last):")
    assert details.rstrip().splitlines()[-1] == (
        f"ztb.providers.ProviderError: PRIV-DEV-01: POST /beta{POLICIES}: HTTP 400 BadRequest: {message}"
    )
    assert TOKEN not in details
    assert all(TOKEN not in m for m in engine[1].messages)


def test_a_create_without_a_required_input_is_one_line_not_a_key_error(host, graph, deployed):
    name, news = one(deployed, ELIGIBILITY)
    missing = edited(news, lambda d: d.pop("scheduleInfo"))
    with pytest.raises(grpc.RpcError) as info:
        host.Create(provider_pb2.CreateRequest(urn=urn(ELIGIBILITY, name), type=ELIGIBILITY, name=name, properties=missing))
    last = info.value.details().rstrip().splitlines()[-1]
    assert last.startswith("ztb.providers.ProviderError: PRIV-ELIG-") and last.endswith("input 'scheduleInfo' is missing or not known yet")
    assert graph.requests == []


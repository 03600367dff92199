"""A field of another type in the evidence or role schedules readiness and standing access read: one line, exit 1, no traceback.

Through the real msgraph-sdk stack against the Graph double: each documented item (the double's
seeded sign-in, registration details, managed device, schedule instance and activation request)
is answered with one field read by the checks set to each wrong JSON type.
"""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner

from tests.doubles.graph import graph, graph_server  # noqa: F401  (fixtures)
from tests.readiness.tenant import report_only_stack, sample_tenant
from ztb.cli.readiness import command
from ztb.graph.errors import GraphError
from ztb.tenant import shapes

WRONG = {str: [5, True, ["x"], {"a": "b"}], bool: ["yes", 1, [], {}], "[str]": ["fido2SecurityKey", {"a": "b"}, [5], [None], [["x"]]],
         "objects": [["x"], [5], {"id": "x"}, "x", [{"id": 5}], [{"result": ["x"]}], [{"displayName": {}}]]}


def kind(shape) -> object:
    return "objects" if isinstance(shape, shapes.Objects) else "[str]" if isinstance(shape, list) else shape


#: source -> (path pattern, the double's list of that item, the fields read)
SOURCES = {
    "sign-in": (r"/auditLogs/signIns", "sign_ins", shapes.SIGN_IN, "sign-in logs could not be read"),
    "registration": (r"userRegistrationDetails", "registration", shapes.REGISTRATION, "registration details could not be read"),
    "device": (r"/managedDevices", "devices", shapes.DEVICE, "Intune managed devices could not be read"),
    "assignment": (r"roleAssignmentScheduleInstances", "assignments", shapes.SCHEDULE_INSTANCE, "reading the tenant failed"),
    "eligibility": (r"roleEligibilityScheduleInstances", "eligibilities", shapes.SCHEDULE_INSTANCE, "reading the tenant failed"),
    "activation": (r"roleAssignmentScheduleRequests", "activations", shapes.ACTIVATION_REQUEST, "reading the tenant failed"),
}
CASES = [(source, key, value) for source, (_, _, fields, _) in SOURCES.items() for key, shape in fields.items() for value in WRONG[kind(shape)]]


@pytest.mark.parametrize("source,key,value", CASES, ids=[f"{s}-{k}-{type(v).__name__}{n}" for n, (s, k, v) in enumerate(CASES)])
def test_a_field_of_another_type_is_one_line_naming_it(graph, tmp_path, source, key, value):
    config = report_only_stack(tmp_path)
    t = sample_tenant(graph, config)
    pattern, name, _, words = SOURCES[source]
    items = getattr(t, name)
    good = copy.deepcopy(next(iter(items.values())) if isinstance(items, dict) else items[0])
    graph.fail("GET", pattern, 200, {"value": [dict(good, **{key: value})]}, times=100)
    result = CliRunner().invoke(command, ["--config", str(config), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    assert words in lines[0] and "InvalidResponse" in lines[0] and key in lines[0], lines[0]


def test_null_and_absent_fields_are_graphs_not_set_and_pass():
    item = {"id": "s1", "appliedConditionalAccessPolicies": [{"id": None, "result": None}], "riskLevelDuringSignIn": None}
    assert shapes.checked([item], "/auditLogs/signIns", "sign-in", shapes.SIGN_IN) == [item]
    assert shapes.checked([{"id": "r1", "methodsRegistered": []}], "/r", "registration", shapes.REGISTRATION)


def test_the_message_names_the_item_and_the_path_to_the_field():
    with pytest.raises(GraphError, match=r"sign-in 's1': appliedConditionalAccessPolicies\[1\]\.result is a number, not text"):
        shapes.checked([{"id": "s1", "appliedConditionalAccessPolicies": [{"result": "success"}, {"result": 5}]}],
                       "/auditLogs/signIns", "sign-in", shapes.SIGN_IN)

"""Hostile and broken snapshots and --previous files, as classes: each gets one line and exit 1.

Wrong JSON types anywhere drift reads, duplicate object IDs in any collection, nesting, size and
item limits, non-text, another tenant's --previous. Validation happens in the snapshot schema, so
drift and the classifier never see a wrong type (a "4" where Graph has 4 would otherwise reach
the classifier's `new > old`).
"""

from __future__ import annotations

import copy
import json
import os

import pytest
from click.testing import CliRunner

from tests.conftest import GRAPH_SAMPLES, SAMPLE_STACK
from tests.drift.test_detect import IDEAL, SAMPLE, ca
from ztb.cli import cli
from ztb.drift.detect import DriftError, detect
from ztb.tenant.snapshot import COLLECTIONS, MAX_BYTES, MAX_DEPTH, MAX_ITEMS, SnapshotError, load, validate


NAMED_LOCATIONS = json.loads((GRAPH_SAMPLES / "namedlocations-list-ex1-all.response.json").read_text())["value"]


_IDEAL_TEXT = json.dumps({**IDEAL, "namedLocations": NAMED_LOCATIONS})


def ideal() -> dict:
    """The ideal snapshot plus Microsoft's documented named locations (so no collection is empty);
    a fresh copy each time, from its JSON text (four times faster than a deep copy: it is all JSON)."""
    return json.loads(_IDEAL_TEXT)


def refused(doc, tmp_path, name: str = "snap.json") -> str:
    """The one-line message of `load` and the one `Error:` line with exit 1 of the CLI."""
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    with pytest.raises(SnapshotError) as e:
        load(str(path))
    message = str(e.value)
    assert "\n" not in message and message.startswith(f"snapshot {path}:"), message
    result = CliRunner().invoke(cli, ["drift", "--config", str(SAMPLE_STACK), "--snapshot", str(path)], catch_exceptions=False)
    assert result.exit_code == 1 and result.stdout == "", (result.exit_code, result.stdout)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    return message


def at(doc: dict, path: str):
    """(parent, key) of a dotted path with [n] indexes, e.g. conditionalAccessPolicies[5].state."""
    cur = doc
    parts = path.replace("]", "").replace("[", ".").split(".")
    for p in parts[:-1]:
        cur = cur[int(p)] if p.isdigit() else cur[p]
    return cur, (int(parts[-1]) if parts[-1].isdigit() else parts[-1])


CA06 = next(i for i, p in enumerate(IDEAL["conditionalAccessPolicies"]) if " PRIV-CA-06 " in p["displayName"])
CA01 = next(i for i, p in enumerate(IDEAL["conditionalAccessPolicies"]) if " PRIV-CA-01 " in p["displayName"])
SIF = f"conditionalAccessPolicies[{CA06}].sessionControls.signInFrequency"
APPROVAL = next(f"roleManagementPolicies[0].rules[{i}]" for i, r in enumerate(IDEAL["roleManagementPolicies"][0]["rules"])
                if r["id"] == "Approval_EndUser_Assignment")

#: path -> a value of the wrong JSON type where drift or the classifier reads (Graph's type in the comment).
WRONG_TYPES = {
    f"{SIF}.value": ["4", 4.5, True, -1],                                   # integer
    f"{SIF}.isEnabled": ["true", 1],                                         # boolean
    f"{SIF}.type": [4, ["hours"]],                                           # string
    f"conditionalAccessPolicies[{CA06}].sessionControls.persistentBrowser": ["never", ["never"]],   # object
    f"conditionalAccessPolicies[{CA06}].sessionControls.disableResilienceDefaults": ["false", 0],   # boolean
    f"conditionalAccessPolicies[{CA06}].sessionControls": ["none", []],      # object or null
    f"conditionalAccessPolicies[{CA01}].state": [1, None, ["enabled"]],      # string
    f"conditionalAccessPolicies[{CA01}].displayName": [7, None],             # string
    f"conditionalAccessPolicies[{CA01}].conditions.users": [None, "All", []],  # object
    f"conditionalAccessPolicies[{CA01}].conditions.users.includeUsers": ["All", [1], [{"id": "All"}], [None]],  # [string]
    f"conditionalAccessPolicies[{CA01}].conditions.users.excludeGroups": [{"0": "x"}, "6d8235cd"],
    f"conditionalAccessPolicies[{CA01}].conditions.clientAppTypes": ["all", [True]],
    f"conditionalAccessPolicies[{CA01}].conditions.platforms": ["all", ["all"]],
    f"conditionalAccessPolicies[{CA01}].grantControls.builtInControls": ["mfa", [["mfa"]]],
    f"conditionalAccessPolicies[{CA01}].grantControls.operator": [["OR"], 1],
    f"conditionalAccessPolicies[{CA01}].grantControls.authenticationStrength": ["00000000-0000-0000-0000-000000000004", []],
    f"conditionalAccessPolicies[{CA01}].grantControls.authenticationStrength.id": [4, None, ""],
    f"conditionalAccessPolicies[{CA01}].conditions": [None, []],
    f"{APPROVAL}.setting.isApprovalRequired": ["false", 0],
    f"{APPROVAL}.setting.approvalStages": [{}, "x"],
    f"{APPROVAL}.setting.approvalStages[0].primaryApprovers": [{"groupId": "x"}, ["x"]],
    f"{APPROVAL}.setting.approvalStages[0].approvalStageTimeOutInDays": ["1", 1.5],
    "roleManagementPolicies[0].rules[0]": ["Expiration", None],
    "roleManagementPolicies[0].rules": [{}, "rules"],
    "deviceCompliancePolicies[0].activeFirewallRequired": ["false", 1, None.__class__.__name__],
    "deviceCompliancePolicies[0].osMinimumVersion": [10, ["10.0"]],
    "deviceCompliancePolicies[0].assignments[0].target": ["group", None],
    "deviceCompliancePolicies[0].assignments[0].target.groupId": [5, ["x"]],
    "deviceCompliancePolicies[0].assignments": [{}, None],
    "groups[1].members": [{}, "0b5e0a11", [["0b5e0a11"]], ["0b5e0a11-0000-4000-8000-000000000001"]],
    "groups[1].members[0].id": [5, None],
    "groups[1].owners": ["x", [1]],
    "groups[0].displayName": [5, ["ZTB Privileged Users"]],
    "groups[0].isAssignableToRole": ["true"],
    "roleDefinitions[0].isPrivileged": ["true", 1, None],
    "roleDefinitions[0].templateId": [5],
    "roleManagementPolicyAssignments[0].roleDefinitionId": [5, None],
    "tenantId": [5, None, ["x"]],
    "exportedAt": [5, None],
}
WRONG_TYPE_CASES = [(path, value) for path, values in WRONG_TYPES.items() for value in values]


@pytest.mark.parametrize("path,value", WRONG_TYPE_CASES, ids=[f"{p}={v!r}" for p, v in WRONG_TYPE_CASES])
def test_a_wrong_json_type_where_drift_reads_is_one_line_naming_the_field(path, value, tmp_path):
    doc = ideal()
    parent, key = at(doc, path)
    parent[key] = value
    message = refused(doc, tmp_path)
    field = path.rsplit(".", 1)[-1].split("[")[0]
    assert field in message, message
    assert "ztb export" in message


def test_a_string_where_graph_has_a_number_names_both_types(tmp_path):
    doc = ideal()
    at(doc, f"{SIF}.value")[0]["value"] = "4"
    message = refused(doc, tmp_path)
    assert f"'{SIF}.value' should be a valid integer, not a string" in message


@pytest.mark.parametrize("bad_id", ["", " ", "a\nb", "x|y", "`id`", "<b>", "id with space", "é" * 3, "-leading", "x" * 257])
@pytest.mark.parametrize("where", ["conditionalAccessPolicies[0].id", "groups[1].members[0].id", "groups[1].owners[0].id",
                                   "roleManagementPolicies[0].rules[0].id", "roleDefinitions[0].id"])
def test_an_object_id_that_is_not_a_graph_id_is_refused(where, bad_id, tmp_path):
    doc = ideal()
    parent, key = at(doc, where)
    parent[key] = bad_id
    message = refused(doc, tmp_path)
    assert "is not a Graph object ID" in message or "is empty" in message or "at most 256" in message, message


@pytest.mark.parametrize("tenant", ["", "   ", "not-a-guid", "00000000-0000-0000-0000-00000000c0de\n"])
def test_an_empty_or_malformed_tenant_id_is_an_error(tenant, tmp_path):
    doc = ideal()
    doc["tenantId"] = tenant
    message = refused(doc, tmp_path)
    assert "tenantId" in message and ("empty" in message or "not a tenant ID" in message)


def test_drift_refuses_an_unvalidated_snapshot_without_a_tenant():
    doc = ideal()
    doc["tenantId"] = ""
    with pytest.raises(DriftError, match="names no tenant"):
        detect(SAMPLE, doc)


@pytest.mark.parametrize("collection", [c for c in COLLECTIONS if c != "deviceManagementSettings"])  # a singleton, no id
def test_a_repeated_object_id_in_any_collection_is_an_error_not_first_one_wins(collection, tmp_path):
    doc = ideal()
    if not doc[collection]:
        doc[collection] = [{"id": "ra-1", "principalId": "ad000000-0000-4000-8000-000000000011",
                            "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/"}]
    twin = copy.deepcopy(doc[collection][0])
    twin["id"] = twin["id"].upper() if collection != "roleManagementPolicies" else twin["id"]
    doc[collection].append(twin)
    message = refused(doc, tmp_path)
    assert f"'{collection}' holds the object" in message and "twice" in message


def test_two_device_management_settings_objects_are_refused(tmp_path):
    doc = ideal()
    doc["deviceManagementSettings"].append(copy.deepcopy(doc["deviceManagementSettings"][0]))
    assert "deviceManagementSettings" in refused(doc, tmp_path)


@pytest.mark.parametrize("where", ["groups[1].members", "groups[1].owners", "roleManagementPolicies[0].rules",
                                   "deviceCompliancePolicies[0].assignments"])
def test_a_repeated_id_inside_an_object_list_is_an_error(where, tmp_path):
    doc = ideal()
    parent, key = at(doc, where)
    parent[key].append(copy.deepcopy(parent[key][0]))
    assert "twice" in refused(doc, tmp_path)


def nest(levels: int):
    value: object = "deep"
    for i in range(levels):
        value = {"x": value} if i % 2 else [value]
    return value


@pytest.mark.parametrize("levels", [MAX_DEPTH, 200, 5000, 100000])
def test_nesting_inside_a_policy_past_the_depth_limit_is_refused(levels, tmp_path):
    doc = ideal()
    ca(doc, "PRIV-CA-01")["conditions"]["devices"] = {"deviceFilter": nest(levels)} if levels < 5000 else None
    text = json.dumps(doc)
    if levels >= 5000:  # too deep for json.dumps itself: built as text
        text = text.replace('"devices": null', '"devices": {"f": ' + "[" * levels + "]" * levels + "}", 1)
    message = refused(text, tmp_path)
    assert "nested too deeply" in message and str(MAX_DEPTH) in message


def test_nesting_within_the_limit_is_accepted():
    doc = ideal()
    ca(doc, "PRIV-CA-01")["conditions"]["devices"] = {"deviceFilter": nest(MAX_DEPTH - 6)}  # 6 levels down to 'devices'
    validate(doc)


def test_drift_on_an_unvalidated_deep_snapshot_is_a_drift_error_not_a_recursion_error():
    doc = ideal()
    ca(doc, "PRIV-CA-01")["conditions"]["devices"] = {"deviceFilter": nest(20000)}
    with pytest.raises(DriftError, match="nests too deeply"):
        detect(SAMPLE, doc)


@pytest.mark.parametrize("text,words", [
    ('{"schemaVersion": 2, "schemaVersion": 2}', "appears twice"),
    (json.dumps(IDEAL).replace('"state": "enabled"', '"state": "enabled", "state": "disabled"', 1), "appears twice"),
    (json.dumps(IDEAL).replace('"value": 4', '"value": NaN', 1), "NaN"),
    (json.dumps(IDEAL).replace('"value": 4', '"value": Infinity', 1), "Infinity"),
    (json.dumps(IDEAL)[:-1], "truncated"),
])
def test_json_that_python_would_accept_but_graph_never_writes_is_refused(text, words, tmp_path):
    assert words in refused(text, tmp_path)


def test_a_lone_surrogate_is_not_text(tmp_path):
    doc = json.dumps(IDEAL).replace('"ZTB PRIV-CA-01', '"\\ud800ZTB PRIV-CA-01', 1)
    assert "lone UTF-16 surrogate" in refused(doc, tmp_path)


def test_bytes_that_are_not_utf8_are_refused(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(IDEAL).replace("ZTB PRIV-CA-01", "ZTB PRIV-CA-01 \u00e9").encode("latin-1"))
    with pytest.raises(SnapshotError, match="not UTF-8"):
        load(str(path))


@pytest.mark.parametrize("source", ["/dev/zero", "huge"])
@pytest.mark.parametrize("option", ["--snapshot", "--previous"])
def test_dev_zero_or_a_huge_file_is_refused_at_the_size_limit(option, source, tmp_path):
    if source == "huge":
        path = tmp_path / "huge.json"
        with open(path, "wb") as f:  # sparse: no disk, 4 GiB
            f.truncate(4 * 1024 ** 3)
        source = str(path)
    snap = tmp_path / "ideal.json"
    snap.write_text(json.dumps(IDEAL))
    args = ["--snapshot", source] if option == "--snapshot" else ["--snapshot", str(snap), "--previous", source]
    result = CliRunner().invoke(cli, ["drift", "--config", str(SAMPLE_STACK), *args], catch_exceptions=False)
    assert result.exit_code == 1, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "MiB limit" in line and line.startswith("Error: ")


def test_the_size_limit_is_exact(tmp_path):
    path = tmp_path / "padded.json"
    text = json.dumps(IDEAL)
    path.write_text(text + " " * (MAX_BYTES - len(text.encode())))
    assert os.path.getsize(path) == MAX_BYTES
    load(str(path))
    with open(path, "a") as f:
        f.write(" ")
    with pytest.raises(SnapshotError, match="larger than the 32 MiB limit"):
        load(str(path))


@pytest.mark.parametrize("collection,inner", [("conditionalAccessPolicies", None), ("namedLocations", None),
                                              ("authenticationStrengthPolicies", None), ("groups", "owners"),
                                              ("roleManagementPolicies", "rules")])
def test_more_items_than_any_tenant_holds_is_refused_naming_the_limit(collection, inner, tmp_path):
    doc = ideal()
    if inner is None:
        template = doc[collection][0]
        doc[collection] = [dict(copy.deepcopy(template), id=f"{i:08x}-0000-4000-8000-000000000000") for i in range(MAX_ITEMS[collection] + 1)]
        name = collection
    else:
        template = doc[collection][1][inner][0]
        doc[collection][1][inner] = [dict(template, id=f"{i:08x}-0000-4000-8000-00000000000{i % 10}") for i in range(MAX_ITEMS[inner] + 1)]
        name = inner
    message = refused(doc, tmp_path)
    assert f"more than the {MAX_ITEMS[name]:,} ztb reads" in message


# --- --previous ---------------------------------------------------------------------------

def previous_run(tmp_path, previous) -> object:
    snap = tmp_path / "ideal.json"
    snap.write_text(json.dumps(IDEAL))
    prev = tmp_path / "prev.json"
    prev.write_text(previous if isinstance(previous, str) else json.dumps(previous))
    return CliRunner().invoke(cli, ["drift", "--config", str(SAMPLE_STACK), "--snapshot", str(snap), "--previous", str(prev),
                                    "--format", "json"], catch_exceptions=False)


FINDING = {"controlId": "PRIV-CA-01", "kind": "conditionalAccessPolicy", "displayName": "x", "status": "changed",
           "impact": "weakens", "reason": "r", "changes": [], "objectId": None}


def test_a_previous_result_of_another_tenant_is_an_error_not_fixed_findings(tmp_path):
    result = previous_run(tmp_path, {"tenantId": "99999999-0000-4000-8000-000000000009", "findings": [FINDING]})
    assert result.exit_code == 1 and "previous result is of tenant 99999999" in result.stderr
    same = previous_run(tmp_path, {"tenantId": IDEAL["tenantId"].upper(), "findings": [FINDING]})
    assert same.exit_code == 0 and [f["trend"] for f in json.loads(same.stdout)["findings"]] == ["fixed"]


@pytest.mark.parametrize("previous,words", [
    ({"findings": [FINDING]}, "no tenantId"),
    ({"tenantId": "", "findings": [FINDING]}, "no tenantId"),
    ({"tenantId": IDEAL["tenantId"], "findings": [dict(FINDING, impact={"x": 1})]}, "findings[0].impact"),
    ({"tenantId": IDEAL["tenantId"], "findings": [dict(FINDING, impact="catastrophic")]}, "findings[0].impact"),
    ({"tenantId": IDEAL["tenantId"], "findings": [dict(FINDING, displayName=["x"])]}, "findings[0].displayName"),
    ({"tenantId": IDEAL["tenantId"], "findings": [dict(FINDING, controlId=5)]}, "controlId"),
    ({"tenantId": IDEAL["tenantId"], "findings": ["PRIV-CA-01"]}, "controlId"),
    ('{"tenantId": "x", "findings": [], "findings": []}', "appears twice"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_a_malformed_previous_result_is_one_line(previous, words, tmp_path):
    result = previous_run(tmp_path, previous)
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert words in line and line.startswith("Error: previous result")


# --- skipped collections --------------------------------------------------------------------

def test_a_collection_export_skipped_is_accepted_only_empty_and_only_if_no_control_needs_it(tmp_path):
    doc = ideal()
    doc["skipped"] = {"deviceCompliancePolicies": "no compliance control in the stack"}
    assert "listed as skipped but holds objects" in refused(doc, tmp_path)
    doc["deviceCompliancePolicies"] = []
    validate(doc)
    with pytest.raises(DriftError, match="skipped deviceCompliancePolicies"):
        detect(SAMPLE, doc)  # the sample stack has compliance controls: this is no tenant without drift
    doc["skipped"] = {"policies": "x"}
    assert "'skipped' has the key 'policies', which is not one of" in refused(doc, tmp_path)
    doc["skipped"] = {"deviceCompliancePolicies": 5}
    assert "'skipped.deviceCompliancePolicies'" in refused(doc, tmp_path)

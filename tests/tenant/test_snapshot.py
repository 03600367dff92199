"""The snapshot format: what `ztb plan --format snapshot` writes and what every reader refuses."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from tests.conftest import GRAPH_SAMPLES, SAMPLE_STACK
from ztb.cli.plan import command as plan_command
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.tenant.ideal import ideal_snapshot, render_snapshot
from ztb.tenant.snapshot import COLLECTIONS, SnapshotError, load, validate

SAMPLE = build(load_stack_file(SAMPLE_STACK))
IDEAL = ideal_snapshot(SAMPLE)
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def documented(name: str):
    return json.loads((GRAPH_SAMPLES / name).read_text())


def ideal() -> dict:
    return copy.deepcopy(IDEAL)


def test_plan_format_snapshot_writes_the_ideal_snapshot_and_it_validates():
    result = CliRunner().invoke(plan_command, ["--config", str(SAMPLE_STACK), "--format", "snapshot"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert validate(doc) == doc
    assert doc == json.loads(render_snapshot(SAMPLE))
    assert list(doc)[:4] == ["schemaVersion", "tenantId", "exportedAt", "toolVersion"]
    assert set(COLLECTIONS) <= set(doc)


def test_ideal_snapshot_is_deterministic_and_created_groups_get_stable_ids():
    again = ideal_snapshot(build(load_stack_file(SAMPLE_STACK)))
    assert again == IDEAL
    names = {g["displayName"]: g["id"] for g in IDEAL["groups"]}
    emergency = names["ZTB Emergency Access Exclusion"]
    for policy in IDEAL["conditionalAccessPolicies"]:
        assert emergency in policy["conditions"]["users"]["excludeGroups"], policy["displayName"]
        assert "${group:" not in json.dumps(policy)


def test_ideal_ca_policies_carry_the_fields_graph_sets():
    for policy in IDEAL["conditionalAccessPolicies"]:
        assert policy["id"] and policy["createdDateTime"] and policy["templateId"] is None and policy["modifiedDateTime"] is None
        users = policy["conditions"]["users"]
        assert "includeGuestsOrExternalUsers" in users and users["includeGuestsOrExternalUsers"] is None
        assert policy["conditions"]["devices"] is None and policy["conditions"]["clientApplications"] is None
    ca01 = next(p for p in IDEAL["conditionalAccessPolicies"] if "PRIV-CA-01" in p["displayName"])
    strength = ca01["grantControls"]["authenticationStrength"]
    # Expanded as Graph returns it: the whole built-in strength, as documented.
    listed = {p["id"]: p for p in documented("authenticationstrength-list-policies.response.json")["value"]}
    doc = listed["00000000-0000-0000-0000-000000000004"]
    for key in ("displayName", "description", "policyType", "requirementsSatisfied", "allowedCombinations"):
        assert strength[key] == doc[key], key
    assert "authenticationStrength@odata.context" in ca01["grantControls"]


def test_ideal_pim_policies_hold_all_17_rules_graph_returns():
    rule_ids = {r["id"] for r in documented("pim-policy-list-rules-ex1-directoryrole.response.json")["value"]}
    assert len(rule_ids) == 17
    assert len(IDEAL["roleManagementPolicies"]) == len(SAMPLE.scope)
    for policy in IDEAL["roleManagementPolicies"]:
        assert {r["id"] for r in policy["rules"]} == rule_ids
        assert all(r["target"]["operations"] == ["all"] for r in policy["rules"])
    by_role = {a["roleDefinitionId"]: a["policyId"] for a in IDEAL["roleManagementPolicyAssignments"]}
    ga = next(p for p in IDEAL["roleManagementPolicies"] if p["id"] == by_role[GLOBAL_ADMIN])
    expiration = next(r for r in ga["rules"] if r["id"] == "Expiration_EndUser_Assignment")
    assert expiration["maximumDuration"] == "PT1H"  # approval roles' activation maximum in the sample stack


def test_ideal_compliance_policy_has_no_block_action_and_expanded_assignments():
    policies = IDEAL["deviceCompliancePolicies"]
    assert len(policies) == 5  # one per platform policy of the sample stack's four platforms
    policy = next(p for p in policies if "PRIV-DEV-01" in p["displayName"])
    assert all("scheduledActionsForRule" not in p for p in policies)
    privileged = next(g["id"] for g in IDEAL["groups"] if g["displayName"] == "ZTB Privileged Users")
    assert [a["target"]["groupId"] for a in policy["assignments"]][0] == privileged
    assert all(a["id"] for a in policy["assignments"])


def test_ideal_role_definitions_flag_microsoft_privileged_roles():
    roles = {r["templateId"]: r for r in IDEAL["roleDefinitions"]}
    assert roles[GLOBAL_ADMIN]["isPrivileged"] is True
    assert roles["b0f54661-2d74-4c50-afa3-1ec803f12efe"]["isPrivileged"] is False  # Billing Administrator
    assert all(r["isBuiltIn"] is True for r in roles.values())


def test_ideal_ca_policies_parse_into_msgraph_models_without_unknown_fields():
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.conditional_access_policy import ConditionalAccessPolicy

    for raw in IDEAL["conditionalAccessPolicies"]:
        node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(raw).encode())
        model = node.get_object_value(ConditionalAccessPolicy)
        assert model.state is not None, raw["displayName"]  # an unknown enum member would parse as None
        assert set(model.additional_data) == set(), raw["displayName"]
        assert set(model.conditions.users.additional_data) == set()
        if model.grant_controls:
            assert set(model.grant_controls.additional_data) <= {"authenticationStrength@odata.context"}


# --- what readers refuse ------------------------------------------------------------------

def one_line_error(doc_or_text, tmp_path) -> str:
    path = tmp_path / "snap.json"
    path.write_text(doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text))
    with pytest.raises(SnapshotError) as e:
        load(str(path))
    message = str(e.value)
    assert "\n" not in message and message.startswith(f"snapshot {path}:")
    return message


def test_truncated_file_is_refused_with_the_fix(tmp_path):
    text = json.dumps(IDEAL)
    message = one_line_error(text[: len(text) // 2], tmp_path)
    assert "not valid JSON" in message and "truncated" in message and "ztb export --out" in message


@pytest.mark.parametrize("mutate,expected", [
    (lambda d: d.pop("roleManagementPolicies"), "'roleManagementPolicies' is missing"),
    (lambda d: d["roleManagementPolicies"][3].pop("rules"), "'roleManagementPolicies[3].rules' is missing; PIM policies must be read with $expand=rules"),
    (lambda d: d["deviceCompliancePolicies"][0].pop("assignments"), "$expand=assignments"),
    (lambda d: d["roleDefinitions"][0].__setitem__("isPrivileged", "true"), "'roleDefinitions[0].isPrivileged'"),
    (lambda d: d["roleDefinitions"][1].pop("isPrivileged"), "Graph beta"),
    (lambda d: d.__setitem__("schemaVersion", 3), "schemaVersion 3 is not 2"),
    (lambda d: d.__setitem__("schemaVersion", 1), "schemaVersion 1 predates group members and owners"),
    (lambda d: d.__setitem__("conditionalAccessPolicies", {"value": []}), "'conditionalAccessPolicies'"),
    (lambda d: d["conditionalAccessPolicies"][0].pop("state"), "'conditionalAccessPolicies[0].state' is missing"),
    (lambda d: d["roleManagementPolicies"][0]["rules"][2].pop("@odata.type"), "rules[2].@odata.type' is missing"),
    (lambda d: d.__setitem__("policies", []), "unknown top-level key 'policies'"),
])
def test_malformed_snapshot_is_one_line_naming_the_problem_and_the_fix(tmp_path, mutate, expected):
    doc = ideal()
    mutate(doc)
    message = one_line_error(doc, tmp_path)
    assert expected in message and "re-export it with `ztb export --out FILE`" in message


def test_non_object_and_missing_file_are_refused(tmp_path):
    assert "top level is list" in one_line_error([], tmp_path)
    with pytest.raises(SnapshotError, match="no such file"):
        load(str(tmp_path / "absent.json"))

"""`ztb review` as a reviewer and a pipeline use it: goldens, verdicts, exit codes, bad input.

Fixtures in tests/fixtures/preview/ are `pulumi preview --json` documents written by
make_fixtures.py from the real program under mocks; each renders to the golden markdown beside
it (rewrite with ZTB_UPDATE_GOLDEN=1, then read the diff by eye).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK, object_id_for
from ztb import review as rv
from ztb import review_render
from ztb.classify import Context, classify, field_words, unverifiable
from ztb.commands.review import command
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.normalize import compare
from ztb.preview import UNKNOWN

FIXTURES = Path(__file__).parent / "fixtures" / "preview"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))
#: The fixtures holding at least one change that weakens security, by their scenario.
WEAKENING = {"update-detailed-diff", "update-no-detailed-diff", "replace-with-unknowns", "delete", "secrets"}
EMERGENCY_GROUP = object_id_for("baseline-groups-priv-grp-02")
CA_EXCLUSION = "0ca0e8c1-0000-4000-8000-000000000003"
BREAK_GLASS = "0b5e0a11-0000-4000-8000-000000000001"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(command, list(args), input=stdin, catch_exceptions=False)


def reviewed(doc: dict) -> rv.Review:
    baseline, note = rv.baseline_from_preview(doc)
    return rv.review(doc, baseline, note)


def ca_step(doc: dict, control: str) -> dict:
    return next(s for s in doc["steps"] if s["urn"].endswith(f"-{control.lower()}"))


def change_of(r: rv.Review, control: str) -> rv.ResourceChange:
    return next(c for c in r.changes if c.control_id == control)


def one_update(doc: dict, control: str) -> dict:
    """The fixture with only the root step and one control's step (an update to mutate)."""
    doc = copy.deepcopy(doc)
    doc["steps"] = [doc["steps"][0], copy.deepcopy(ca_step(doc, control))]
    return doc


# -- the fixtures ----------------------------------------------------------------------------------

def test_every_scenario_has_a_fixture_and_a_golden():
    assert set(NAMES) == {"create", "update-detailed-diff", "update-no-detailed-diff", "replace-with-unknowns", "delete",
                          "secrets", "diagnostic-error", "no-changes"}
    assert {p.stem for p in FIXTURES.glob("*.md")} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_renders_to_its_golden_markdown(name):
    result = run(str(FIXTURES / f"{name}.json"))
    assert result.exit_code == 0
    golden = FIXTURES / f"{name}.md"
    if os.environ.get("ZTB_UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_fail_on_weakens_exits_3_exactly_when_a_change_weakens(name):
    result = run(str(FIXTURES / f"{name}.json"), "--fail-on", "weakens")
    assert result.exit_code == (3 if name in WEAKENING else 0), result.stdout
    assert run(str(FIXTURES / f"{name}.json")).exit_code == 0, "without --fail-on the review always exits 0"


@pytest.mark.parametrize("name", NAMES)
def test_json_format_carries_the_same_changes_as_the_markdown(name):
    doc = json.loads(run(str(FIXTURES / f"{name}.json"), "--format", "json").stdout)
    md = run(str(FIXTURES / f"{name}.json")).stdout
    assert doc["summary"]["weakens"] == sum(c["impact"] == "weakens" for c in doc["changes"])
    assert (doc["summary"]["weakens"] > 0) == (name in WEAKENING)
    for c in doc["changes"]:
        assert f"`{c['name']}`" in md and f"**{c['impact']}**" in md
        if c["controlId"]:
            assert c["controlId"] in md
        for f in c["fields"]:
            assert {"path", "old", "new", "impact", "reason", "forcesReplacement"} <= set(f)
    assert [d["severity"] for d in doc["diagnostics"]] == [l.split("**")[1] for l in md.splitlines() if l.startswith("- **error**") or l.startswith("- **warning**")]


def test_stdin_is_read_with_a_dash():
    text = (FIXTURES / "update-detailed-diff.json").read_text()
    result = run("-", "--fail-on", "weakens", stdin=text)
    assert result.exit_code == 3
    assert result.stdout == (FIXTURES / "update-detailed-diff.md").read_text()


# -- what the review says --------------------------------------------------------------------------

def test_fields_are_in_graph_terms_with_the_model_title():
    r = reviewed(load("update-detailed-diff"))
    ca03 = change_of(r, "PRIV-CA-03")
    assert ca03.title == "Require a compliant device"
    assert [(f.path, f.verdict.impact) for f in ca03.fields] == [("conditions.users.excludeGroups", "weakens")]
    assert ca03.fields[0].verdict.reason.startswith("excluded groups: + c0417ac7-0000-4000-8000-0000000000c7")
    ca05 = change_of(r, "PRIV-CA-05")
    state = next(f for f in ca05.fields if f.path == "state")
    assert state.verdict.reason == "state: enabled → report-only" and state.verdict.impact == "weakens"


def test_weakening_changes_come_first_and_deletions_of_controls_are_called_most_serious():
    r = reviewed(load("delete"))
    impacts = [c.verdict.impact for c in r.changes]
    assert impacts == sorted(impacts, key=lambda i: {"weakens": 0, "neutral": 1, "strengthens": 2}[i])
    assert [c.control_id for c in r.changes if c.serious] == ["PRIV-DEV-01", "PRIV-PIM-f2ef992c"]
    assert r.changes[0].serious and r.changes[1].serious
    md = review_render.to_markdown(r)
    assert md.index("**Most serious:**") < md.index("### ")


def test_deleted_pim_settings_of_a_role_removed_from_scope_keep_their_title():
    r = reviewed(load("delete"))
    assert change_of(r, "PRIV-PIM-f2ef992c").title == "PIM settings: Global Reader (no longer in the stack config)"


@pytest.mark.parametrize("form", ["present", "null", "absent"])
def test_detailed_diff_present_null_or_absent_gives_the_same_fields(form):
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-05")
    step = doc["steps"][1]
    if form == "null":
        step["detailedDiff"] = None
    elif form == "absent":
        del step["detailedDiff"]
    fields = {(f.path, f.verdict.impact, f.verdict.reason) for f in change_of(reviewed(doc), "PRIV-CA-05").fields}
    assert fields == {
        ("state", "weakens", "state: enabled → report-only"),
        ("grantControls.authenticationStrength", "weakens", "authentication strength 00000000-0000-0000-0000-000000000004 removed"),
        ("grantControls.builtInControls", "strengthens", "grant controls: mfa added"),
    }


def test_dynamic_provider_update_without_detailed_diff_is_read_from_its_inputs():
    r = reviewed(load("update-no-detailed-diff"))
    ga = change_of(r, "PRIV-PIM-62e90394")
    assert [(f.path, f.old, f.new, f.verdict.reason) for f in ga.fields] == [
        ("rules[Expiration_EndUser_Assignment].maximumDuration", "PT1H", "PT4H", "activation maximum: PT1H → PT4H")]


def test_removing_the_emergency_group_exclusion_weakens_and_says_why():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    users = doc["steps"][1]["newState"]["inputs"]["conditions"]["users"]
    users["excludedGroups"] = [CA_EXCLUSION]  # the emergency group and the contractors are gone
    field = change_of(reviewed(doc), "PRIV-CA-03").fields[0]
    assert field.verdict.impact == "weakens"
    assert "emergency-access exclusion is gone" in field.verdict.reason and EMERGENCY_GROUP in field.verdict.reason


def test_removing_another_exclusion_strengthens_when_the_emergency_group_is_known():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    old_users = doc["steps"][1]["oldState"]["inputs"]["conditions"]["users"]
    new_users = doc["steps"][1]["newState"]["inputs"]["conditions"]["users"]
    new_users["excludedGroups"] = [g for g in old_users["excludedGroups"] if g != CA_EXCLUSION]
    field = change_of(reviewed(doc), "PRIV-CA-03").fields[0]
    assert (field.verdict.impact, field.verdict.reason) == ("strengthens", f"excluded groups: - {CA_EXCLUSION} (fewer exceptions)")


def test_without_the_emergency_group_id_every_removed_exclusion_weakens():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    doc["steps"][0]["oldState"]["outputs"] = {}  # e.g. `pulumi preview --suppress-outputs`
    old_users = doc["steps"][1]["oldState"]["inputs"]["conditions"]["users"]
    doc["steps"][1]["newState"]["inputs"]["conditions"]["users"]["excludedGroups"] = [
        g for g in old_users["excludedGroups"] if g != CA_EXCLUSION]
    r = reviewed(doc)
    assert change_of(r, "PRIV-CA-03").fields[0].verdict.impact == "weakens"
    assert any("emergency-access group's object ID" in n for n in r.notes)


def test_members_added_to_the_emergency_group_weaken():
    doc = load("no-changes")
    name = "baseline-groups-priv-grp-02"
    inputs = {"displayName": "ZTB Emergency Access Exclusion", "assignableToRole": True, "securityEnabled": True,
              "mailEnabled": False, "members": [BREAK_GLASS]}
    urn = f"urn:pulumi:dev::ztb::ztb:index:PrivilegedGroups$azuread:index/group:Group::{name}"
    state = lambda i: {"urn": urn, "type": "azuread:index/group:Group", "inputs": i, "outputs": {}}  # noqa: E731
    added = {**inputs, "members": [BREAK_GLASS, "ad000000-0000-4000-8000-0000000000ff"]}
    doc["steps"].append({"op": "update", "urn": urn, "oldState": state(inputs), "newState": state(added),
                         "detailedDiff": None, "diffReasons": ["members"]})
    field = change_of(reviewed(doc), "PRIV-GRP-02").fields[0]
    assert field.verdict.impact == "weakens" and "excluded from every privileged policy" in field.verdict.reason
    doc["steps"][-1]["newState"] = state({**inputs, "members": []})
    field = change_of(reviewed(doc), "PRIV-GRP-02").fields[0]
    assert field.verdict.impact == "weakens" and "break-glass account leaves" in field.verdict.reason


def test_unknown_values_are_shown_as_unknown_and_never_guessed():
    r = reviewed(load("replace-with-unknowns"))
    field = change_of(r, "PRIV-CA-01").fields[0]
    assert field.path == "conditions.users.includeGroups"
    assert UNKNOWN in field.new
    assert field.verdict.impact == "weakens"
    assert "1 value unknown until apply" in field.verdict.reason and "cannot be checked" in field.verdict.reason
    # The old ring group's ID is reported as removed, its unknown replacement never named.
    assert f"- {object_id_for('baseline-groups-priv-grp-13')}" in field.verdict.reason
    assert UNKNOWN not in review_render.to_markdown(r)


def test_a_wholly_unknown_list_is_reported_not_compared():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    doc["steps"][1]["newState"]["inputs"]["conditions"]["users"]["excludedGroups"] = UNKNOWN
    fields = change_of(reviewed(doc), "PRIV-CA-03").fields
    assert [(f.path, f.verdict.impact) for f in fields] == [("conditions.users.excludeGroups", "weakens")]
    assert "[unknown until apply]" in fields[0].verdict.reason


SECRET_PATHS = {
    "rules[Notification_Admin_Admin_Eligibility].notificationRecipients",
    "rules[Notification_Admin_Admin_Assignment].notificationRecipients",
    "rules[Notification_Admin_EndUser_Assignment].notificationRecipients",
}


def test_secrets_under_a_changed_key_are_reported_as_unverifiable_never_guessed():
    pim = change_of(reviewed(load("secrets")), "PRIV-PIM-62e90394")
    assert {f.path for f in pim.fields} == SECRET_PATHS | {"rules[Expiration_Admin_Eligibility].maximumDuration"}
    hidden = [f for f in pim.fields if f.path in SECRET_PATHS]
    assert all(f.old == f.new == ["[secret]"] and f.verdict.impact == "weakens" for f in hidden)
    assert all("[secret] → [secret]: hidden in the preview" in f.verdict.reason for f in hidden)


def test_secrets_the_preview_does_not_report_as_changed_are_left_out():
    doc = load("secrets")
    step = next(s for s in doc["steps"] if s["urn"].endswith("priv-pim-62e90394"))
    step["diffReasons"] = []  # nothing changed at all ...
    step["newState"]["inputs"] = copy.deepcopy(step["oldState"]["inputs"])
    assert change_of(reviewed(doc), "PRIV-PIM-62e90394").fields == ()
    step["detailedDiff"] = {"rules[9].notificationRecipients[0]": {"kind": "update", "inputDiff": True}}  # ... or only this
    assert [f.path for f in change_of(reviewed(doc), "PRIV-PIM-62e90394").fields] == ["rules[Notification_Admin_EndUser_Assignment].notificationRecipients"]


def test_a_reorder_the_provider_reports_is_a_note_not_a_change():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    step = doc["steps"][1]
    old_users = step["oldState"]["inputs"]["conditions"]["users"]
    step["newState"]["inputs"]["conditions"]["users"]["excludedGroups"] = list(reversed(old_users["excludedGroups"]))
    step["detailedDiff"] = {"conditions.users.excludedGroups[0]": {"kind": "update", "inputDiff": True}}
    change = change_of(reviewed(doc), "PRIV-CA-03")
    assert change.fields == () and change.verdict.impact == "neutral"
    assert change.notes == ("excluded groups: the provider reports a difference that is equal after normalisation (order, case or format only)",)


def test_replacement_steps_count_once_and_name_the_field_that_forces_it():
    doc = load("replace-with-unknowns")
    step = doc["steps"][1]
    doc["steps"][2:2] = [dict(step, op="create-replacement"), dict(step, op="delete-replaced")]  # --show-replacement-steps
    r = reviewed(doc)
    assert r.counts == {"create": 0, "update": 2, "replace": 1, "delete": 0}
    ring = change_of(r, "PRIV-GRP-13")
    assert ring.serious and ring.operation.impact == "weakens" and "replaced" in ring.operation.reason
    assert [(f.path, f.old, f.new, f.forces_replacement) for f in ring.fields] == [("isAssignableToRole", False, True, True)]


def test_components_and_the_stack_are_not_listed_and_other_resources_are_neutral():
    doc = load("create")
    provider = "urn:pulumi:dev::ztb::pulumi:providers:azuread::default_6_12_0"
    doc["steps"].append({"op": "create", "urn": provider, "newState": {"urn": provider, "type": "pulumi:providers:azuread", "inputs": {"version": "6.12.0"}}})
    r = reviewed(doc)
    assert not any(c.type.startswith("ztb:index:") or c.type == "pulumi:pulumi:Stack" for c in r.changes)
    other = next(c for c in r.changes if c.name == "default_6_12_0")
    assert (other.control_id, other.verdict.impact) == (None, "neutral")


def test_a_new_conditional_access_policy_outside_the_baseline_is_judged_like_drift_judges_one():
    doc = load("no-changes")
    urn = "urn:pulumi:dev::ztb::azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy::block-legacy-for-all"
    inputs = {"displayName": "Block legacy for all", "state": "enabled",
              "conditions": {"users": {"includedUsers": ["All"]}, "applications": {"includedApplications": ["All"]}, "clientAppTypes": ["other"]},
              "grantControls": {"operator": "OR", "builtInControls": ["block"]}}
    doc["steps"].append({"op": "create", "urn": urn, "newState": {"urn": urn, "type": "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy", "inputs": inputs}})
    change = reviewed(doc).changes[0]
    assert change.control_id is None and change.verdict.impact == "weakens"
    assert "does not exclude the emergency-access accounts" in change.verdict.reason


def test_diagnostics_keep_errors_and_warnings_only():
    doc = load("diagnostic-error")
    doc["diagnostics"].append({"message": "Previewing update (dev)\n", "severity": "info"})
    doc["diagnostics"].append({"urn": doc["steps"][0]["urn"], "message": "warning: slow Graph\n", "severity": "warning"})
    r = reviewed(doc)
    assert [d.severity for d in r.diagnostics] == ["error", "error", "warning"]
    assert r.diagnostics[2].message == "slow Graph"
    assert "failed with 2 errors" in review_render.to_markdown(r)


def test_changes_from_a_failed_preview_are_flagged_incomplete():
    doc = load("update-detailed-diff")
    doc["diagnostics"] = [{"urn": doc["steps"][1]["urn"], "severity": "error", "message": "error: 403 Forbidden\n"}]
    md = review_render.to_markdown(reviewed(doc))
    assert "**The preview failed with 1 error** (see Diagnostics): the list of changes may be incomplete." in md
    assert "- **error** on `baseline-ca-priv-ca-01`: 403 Forbidden" in md


def test_no_change_preview_is_one_line():
    out = run(str(FIXTURES / "no-changes.json")).stdout
    assert out == "**ztb review:** no changes: the preview of stack `dev` leaves the tenant as it is.\n"


# -- config --------------------------------------------------------------------------------------

def test_titles_come_from_config_file_when_the_preview_has_no_config(tmp_path):
    doc = load("update-detailed-diff")
    del doc["config"]
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    without = run(str(path)).stdout
    assert "### 🔴 PRIV-CA-03 · ZTB PRIV-CA-03 Privileged: Require a compliant device" in without  # its display name
    assert "no --config was given" in without
    with_config = run(str(path), "--config", str(SAMPLE_STACK)).stdout
    assert "### 🔴 PRIV-CA-03 · Require a compliant device" in with_config


def test_secret_ztb_config_in_the_preview_asks_for_config():
    doc = load("update-detailed-diff")
    doc["config"]["ztb:pim"] = "[secret]"
    baseline, note = rv.baseline_from_preview(doc)
    assert baseline is None and "ztb:pim" in note and "--config" in note


def test_a_bad_config_file_is_one_error_line(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  ztb:phase: sideways\n")
    result = run(str(FIXTURES / "create.json"), "--config", str(bad))
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


# -- bad input -------------------------------------------------------------------------------------

BAD = {
    "not JSON": ("{\"steps\": [", "not valid JSON (line 1"),
    "empty": ("   \n", "empty"),
    "a JSON list": ("[]", "not a `pulumi preview --json` document"),
    "ztb plan output": (json.dumps({"phase": "full", "controls": []}), "not a `pulumi preview --json` document"),
    "a stack export": (json.dumps({"version": 3, "deployment": {}}), "not a `pulumi preview --json` document"),
    "a step without op": (json.dumps({"steps": [{"urn": "urn:pulumi:dev::ztb::x::y"}]}), "step 1 has no 'op' and 'urn'"),
    "steps not a list": (json.dumps({"steps": {}}), "must be lists"),
    "a state that is not an object": (json.dumps({"steps": [{"op": "update", "urn": "u", "newState": []}]}), "'newState' must be an object"),
}


@pytest.mark.parametrize("case", BAD)
def test_malformed_or_non_preview_input_is_exit_1_with_one_line(case, tmp_path):
    text, words = BAD[case]
    path = tmp_path / "preview.json"
    path.write_text(text)
    result = run(str(path), "--fail-on", "weakens")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], result.stderr


def test_a_missing_file_is_exit_1_with_one_line(tmp_path):
    result = run(str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: {tmp_path / 'nope.json'}: no such file; write it with `pulumi preview --json > {tmp_path / 'nope.json'}`"]


def test_review_is_registered_in_the_cli():
    from ztb.cli import cli

    assert cli.commands.get("review") is command, "ztb/cli.py must add: cli.add_command(review.command, \"review\")"


# -- what review needed from the shared modules ----------------------------------------------------

def test_compare_can_include_write_only_fields_for_previews():
    old, new = {"displayName": "g", "members": ["A"]}, {"displayName": "g", "members": ["a", "b"]}
    assert compare("group", old, new) == []  # drift: Graph never returns members
    assert [(c.path, c.desired, c.actual) for c in compare("group", old, new, include_write_only=True)] == [("members", ["A"], ["a", "b"])]
    assert compare("group", old, {**new, "members": ["a"]}, include_write_only=True) == []  # case-folded like every ID


def test_context_with_unknown_emergency_ids_treats_a_removed_exclusion_as_weakening():
    path = "conditions.users.excludeGroups"
    assert classify("conditionalAccessPolicy", path, ["x", "y"], ["x"], Context()).impact == "strengthens"
    verdict = classify("conditionalAccessPolicy", path, ["x", "y"], ["x"], Context(emergency_unknown=True))
    assert verdict.impact == "weakens" and "may be the break-glass exclusion" in verdict.reason


def test_exclusion_group_membership_reads_the_other_way_round():
    ctx = Context.of([BREAK_GLASS])
    assert classify("group", "members", ["a"], ["a", "b"], ctx).impact == "strengthens"
    excl = Context(ctx.emergency_ids, exclusion_group=True)
    assert classify("group", "members", ["a"], ["a", "b"], excl).impact == "weakens"
    assert classify("group", "members", ["a", "b"], ["a"], excl).impact == "strengthens"
    assert classify("group", "members", [BREAK_GLASS], [], excl).impact == "weakens"
    assert classify("group", "members", ["a", "b"], ["a"], Context(exclusion_group=True, emergency_unknown=True)).impact == "weakens"


def test_field_words_and_unverifiable():
    assert field_words("conditions.users.excludeGroups") == "excluded groups"
    assert field_words("grantControls.builtInControls") == "built in controls"
    v = unverifiable("rules[Notification_Admin_Admin_Eligibility].notificationRecipients", "hidden")
    assert v.impact == "weakens"
    assert v.reason == "notification admin admin eligibility: notification recipients: hidden (treated as weakening until a reviewer confirms)"


def test_group_inputs_read_back_as_the_models_graph_json(pulumi_mocks):
    """The azuread Group inputs the component sends, through azuread.group_to_graph, equal the model."""
    from tests.conftest import run_program
    from ztb.azuread import group_graph_path, group_to_graph

    run_program(pulumi_mocks)
    sample = build(load_stack_file(SAMPLE_STACK))
    sent = dict(pulumi_mocks.of_type("azuread:index/group:Group"))
    managed = [c for c in sample.of_kind("group") if c.managed]
    assert len(managed) == 5
    for c in managed:
        as_graph = group_to_graph(sent[f"baseline-groups-{c.id.lower()}"])
        assert compare("group", c.desired, as_graph) == [], c.id
        assert as_graph["isAssignableToRole"] == c.desired["isAssignableToRole"]
    assert group_graph_path("assignableToRole") == "isAssignableToRole" and group_graph_path("members[3]") == "members"


NAMED_TYPES = {
    "baseline-pim-": "pulumi-python:dynamic/ztb:RoleManagementPolicy",
    "baseline-compliance-": "pulumi-python:dynamic/ztb:DeviceCompliancePolicy",
    "baseline-eligibility-": "pulumi-python:dynamic/ztb:RoleEligibility",
}


@pytest.mark.parametrize("name", ["create", "delete", "secrets", "update-no-detailed-diff"])
def test_named_dynamic_types_the_components_register_review_the_same(name, tmp_path):
    """The components register `pulumi-python:dynamic/ztb:<Name>`; review reads them like the generic type."""
    text = (FIXTURES / f"{name}.json").read_text()
    doc = json.loads(text)
    for step in doc.get("steps", []):
        for prefix, named in NAMED_TYPES.items():
            if prefix in step["urn"]:
                old = "pulumi-python:dynamic:Resource"
                step["urn"] = step["urn"].replace(old, named)
                for state in (step.get("oldState"), step.get("newState")):
                    if state:
                        state["type"] = named
                        state["urn"] = state.get("urn", "").replace(old, named)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    assert "pulumi-python:dynamic/ztb:" in path.read_text()
    assert run(str(path)).stdout == (FIXTURES / f"{name}.md").read_text(encoding="utf-8")

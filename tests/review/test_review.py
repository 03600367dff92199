"""`ztb review` as a reviewer and a pipeline use it, on previews in the shapes the real CLI prints.

Fixtures in tests/fixtures/preview/ are written by hand from the format facts of `pulumi preview
--json` (tests/fixtures/preview/README.md names the fact each one models); no code of ztb wrote
them. The .md beside a fixture is the comment it must render to, read and checked by hand; tests
compare, nothing here rewrites them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK, one_error_line
from ztb.review import judge as rv
from ztb.review import render as review_render
from ztb.cli.review import command
from ztb.compare.normalize import compare
from ztb.review.preview import CA_TYPE, GROUP_TYPE, is_dynamic, load_preview, parse_urn
from ztb.review.result import ResourceChange, Review
from ztb.review.stack import read_config
from ztb.review.steps import read_steps
from ztb.sentinels import SECRET, UNKNOWN

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "preview"
#: Every digest fixture and the exit code of `ztb review --fail-on weakens` on it.
EXIT = {
    "create": 0, "no-changes": 0,
    "update-detailed-diff": 3, "update-no-detailed-diff": 3, "replace-with-unknowns": 3, "delete": 3, "secrets": 3,
    "refresh-drift": 3, "refresh-drift-kept": 3, "replacement-steps": 3, "protect-removed": 3, "output-all": 3,
    "diagnostic-error": 1, "another-project": 1,
}
NAMES = sorted(EXIT)
EMERGENCY_GROUP = "e58d11cd-f060-55f5-99bb-82679d22f917"
CA_EXCLUSION = "0ca0e8c1-0000-4000-8000-000000000003"
BREAK_GLASS = "0b5e0a11-0000-4000-8000-000000000001"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(command, list(args), input=stdin, catch_exceptions=False)


def run_doc(doc: dict, tmp_path: Path, *args: str):
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    return run(str(path), *args)


def reviewed(doc: dict) -> Review:
    read = read_config(doc)
    return rv.review(doc, read.baseline, read.note, read.unusable)


def step_of(doc: dict, control: str, op: str | None = None) -> dict:
    return next(s for s in doc["steps"] if s["urn"].endswith(f"-{control.lower()}") and (op is None or s["op"] == op))


def change_of(r: Review, control: str) -> ResourceChange:
    return next(c for c in r.changes if c.control_id == control)


def one_update(doc: dict, control: str) -> dict:
    """The fixture with only the root step and one control's step (an update to mutate)."""
    doc = copy.deepcopy(doc)
    doc["steps"] = [doc["steps"][0], copy.deepcopy(step_of(doc, control))]
    doc["changeSummary"] = {"update": 1, "same": 59}
    return doc



# -- the fixtures are in the real CLI's shapes ---------------------------------------------------

def test_every_fixture_has_its_expected_comment_and_a_readme_entry():
    digests = {p.stem for p in FIXTURES.glob("*.json")} - {"summary-output"}
    assert digests == set(NAMES)
    assert {p.stem for p in FIXTURES.glob("*.md")} - {"README"} == set(NAMES)
    readme = (FIXTURES / "README.md").read_text()
    for p in FIXTURES.iterdir():
        if p.name != "README.md" and not p.name.endswith(".md"):
            assert f"`{p.name}`" in readme, f"tests/fixtures/preview/README.md does not describe {p.name}"
    assert not (FIXTURES / "make_fixtures.py").exists(), "fixtures are written from the format, not generated"


def _objects(v):
    if isinstance(v, dict):
        yield v
        for x in v.values():
            yield from _objects(x)
    elif isinstance(v, list):
        for x in v:
            yield from _objects(x)


def _states(doc):
    for s in doc.get("steps", []):
        for key in ("oldState", "newState"):
            if s.get(key):
                yield s, s[key]


@pytest.mark.parametrize("name", NAMES)
def test_fixtures_hold_the_facts_of_the_real_format(name):
    """pulumi-azuread is bridged: a detailed diff with inputDiff false and __defaults at every object level
    of its inputs; ztb's dynamic types are named, with detailedDiff null and no diffReasons; new states of
    program steps have no id or outputs yet; detailedDiff is always present (no omitempty)."""
    doc = load(name)
    for step in doc.get("steps", []):
        assert "detailedDiff" in step
        type_ = parse_urn(step["urn"])[1]
        if type_ in (CA_TYPE, GROUP_TYPE) and step["op"] not in ("same", "refresh", "create", "delete", "delete-replaced"):
            assert step["detailedDiff"] and all(d["inputDiff"] is False for d in step["detailedDiff"].values()), step["urn"]
        if is_dynamic(type_):
            assert type_.startswith("pulumi-python:dynamic/ztb:"), step["urn"]
            assert step["detailedDiff"] is None and "diffReasons" not in step, step["urn"]
    refreshed = {id(e.step) for e in read_steps(doc.get("steps", [])).drift}
    for step, state in _states(doc):
        if state["type"] in (CA_TYPE, GROUP_TYPE):
            assert all("__defaults" in o for o in _objects(state["inputs"])), step["urn"]
        if state is step.get("newState") and step["op"] in ("create", "update", "replace", "create-replacement") and id(step) not in refreshed:
            assert "id" not in state and "outputs" not in state, step["urn"]  # only a refreshed state has them
        assert state.get("outputs") != {} and state.get("inputs") != {}, "empty maps are omitted (omitempty)"
    assert all(isinstance(v, str) for v in doc.get("config", {}).values())


@pytest.mark.parametrize("name", NAMES)
def test_fixture_renders_to_its_reviewed_comment(name):
    result = run(str(FIXTURES / f"{name}.json"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (FIXTURES / f"{name}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_fail_on_weakens_exits_3_on_a_weakening_change_and_1_when_it_cannot_vouch(name):
    result = run(str(FIXTURES / f"{name}.json"), "--fail-on", "weakens")
    assert result.exit_code == EXIT[name], result.stdout + result.stderr
    assert result.stdout == (FIXTURES / f"{name}.md").read_text(encoding="utf-8"), "the comment is the same with the gate"
    if EXIT[name] == 1:
        assert one_error_line(result).startswith("Error: cannot vouch for this preview: ")
    else:
        assert result.stderr == ""
    assert run(str(FIXTURES / f"{name}.json")).exit_code == 0, "without --fail-on the review always exits 0"


@pytest.mark.parametrize("name", NAMES)
def test_json_format_carries_the_same_changes_as_the_markdown(name):
    doc = json.loads(run(str(FIXTURES / f"{name}.json"), "--format", "json").stdout)
    md = run(str(FIXTURES / f"{name}.json")).stdout
    assert doc["summary"]["weakens"] == sum(c["impact"] == "weakens" for c in doc["changes"])
    assert (doc["summary"]["weakens"] > 0) == (EXIT[name] == 3)
    assert bool(doc["cannotVouch"]) == (EXIT[name] == 1)
    for c in doc["changes"] + doc["drift"]:
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


# -- what the review says about an update ---------------------------------------------------------

def test_fields_are_in_graph_terms_with_the_model_title():
    r = reviewed(load("update-detailed-diff"))
    ca03 = change_of(r, "PRIV-CA-03")
    assert ca03.title == "Require a compliant device"
    assert [(f.path, f.verdict.impact) for f in ca03.fields] == [("conditions.users.excludeGroups", "weakens")]
    assert ca03.fields[0].verdict.reason.startswith("excluded groups: + c0417ac7-0000-4000-8000-0000000000c7")
    state = next(f for f in change_of(r, "PRIV-CA-05").fields if f.path == "state")
    assert state.verdict.reason == "state: enabled → report-only" and state.verdict.impact == "weakens"


def test_bridged_defaults_at_every_level_are_never_a_field():
    r = reviewed(load("update-detailed-diff"))
    assert not any("__defaults" in f.path for c in r.changes for f in c.fields)
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    step = doc["steps"][1]
    step["newState"]["inputs"]["conditions"]["users"]["__defaults"] = ["excludedGroups"]  # the bridge names defaulted fields
    assert [f.path for f in change_of(reviewed(doc), "PRIV-CA-03").fields] == ["conditions.users.excludeGroups"]


def test_weakening_changes_come_first_and_deletions_of_controls_are_called_most_serious():
    r = reviewed(load("delete"))
    impacts = [c.verdict.impact for c in r.changes]
    assert impacts == sorted(impacts, key=lambda i: {"weakens": 0, "neutral": 1, "strengthens": 2}[i])
    assert [c.control_id for c in r.changes if c.serious] == ["PRIV-DEV-01", "PRIV-PIM-f2ef992c"]
    md = review_render.to_markdown(r)
    assert md.index("**Most serious:**") < md.index("### ")


def test_deleted_pim_settings_of_a_role_removed_from_scope_keep_their_title():
    r = reviewed(load("delete"))
    assert change_of(r, "PRIV-PIM-f2ef992c").title == "PIM settings: Global Reader (no longer in the stack config)"


@pytest.mark.parametrize("form", ["present", "null"])
def test_a_bridged_update_gives_the_same_fields_with_or_without_its_detailed_diff(form):
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-05")
    if form == "null":
        doc["steps"][1]["detailedDiff"] = None
    fields = {(f.path, f.verdict.impact, f.verdict.reason) for f in change_of(reviewed(doc), "PRIV-CA-05").fields}
    assert fields == {
        ("state", "weakens", "state: enabled → report-only"),
        ("grantControls.authenticationStrength", "weakens", "authentication strength 00000000-0000-0000-0000-000000000004 removed"),
        ("grantControls.builtInControls", "strengthens", "grant controls: mfa added"),
    }


def test_a_dynamic_provider_update_without_detailed_diff_or_diff_reasons_is_read_from_its_inputs():
    doc = load("update-no-detailed-diff")
    step = step_of(doc, "PRIV-PIM-62e90394")
    assert parse_urn(step["urn"])[1] == "pulumi-python:dynamic/ztb:RoleManagementPolicy"
    assert step["detailedDiff"] is None and "diffReasons" not in step
    ga = change_of(reviewed(doc), "PRIV-PIM-62e90394")
    assert [(f.path, f.old, f.new, f.verdict.reason) for f in ga.fields] == [
        ("rules[Expiration_EndUser_Assignment].maximumDuration", "PT1H", "PT4H", "activation maximum: PT1H → PT4H")]


def test_removing_the_emergency_group_exclusion_weakens_and_says_why():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    users = doc["steps"][1]["newState"]["inputs"]["conditions"]["users"]
    users["excludedGroups"] = [CA_EXCLUSION]
    field = change_of(reviewed(doc), "PRIV-CA-03").fields[0]
    assert field.verdict.impact == "weakens"
    assert "emergency-access exclusion is gone" in field.verdict.reason and EMERGENCY_GROUP in field.verdict.reason


@pytest.mark.parametrize("lost", ["users emptied", "users gone", "exclusions emptied"])
def test_a_lost_users_block_or_exclusion_list_weakens_in_review_as_in_drift(lost):
    """Issue 11 §14: one classifier, one answer, whatever shape the loss takes in the inputs."""
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    cond = doc["steps"][1]["newState"]["inputs"]["conditions"]
    if lost == "users emptied":
        cond["users"] = {"__defaults": []}
    elif lost == "users gone":
        del cond["users"]
    else:
        cond["users"]["excludedGroups"], cond["users"]["excludedUsers"] = [], []
    change = change_of(reviewed(doc), "PRIV-CA-03")
    assert change.verdict.impact == "weakens"
    assert "emergency-access exclusion is gone" in change.verdict.reason


def test_removing_another_exclusion_strengthens_when_the_emergency_group_is_known():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    old_users = doc["steps"][1]["oldState"]["inputs"]["conditions"]["users"]
    new_users = doc["steps"][1]["newState"]["inputs"]["conditions"]["users"]
    new_users["excludedGroups"] = [g for g in old_users["excludedGroups"] if g != CA_EXCLUSION]
    field = change_of(reviewed(doc), "PRIV-CA-03").fields[0]
    assert (field.verdict.impact, field.verdict.reason) == ("strengthens", f"excluded groups: - {CA_EXCLUSION} (fewer exceptions)")


def test_without_the_emergency_group_id_every_removed_exclusion_weakens():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    del doc["steps"][0]["oldState"]["outputs"]  # e.g. `pulumi preview --suppress-outputs`
    old_users = doc["steps"][1]["oldState"]["inputs"]["conditions"]["users"]
    doc["steps"][1]["newState"]["inputs"]["conditions"]["users"]["excludedGroups"] = [g for g in old_users["excludedGroups"] if g != CA_EXCLUSION]
    r = reviewed(doc)
    assert change_of(r, "PRIV-CA-03").fields[0].verdict.impact == "weakens"
    assert any("emergency-access group's object ID" in n for n in r.notes)


def test_members_added_to_the_emergency_group_weaken_and_a_break_glass_account_leaving_weakens():
    doc = load("protect-removed")
    step = doc["steps"][1]
    step["op"], step["newState"]["protect"] = "update", True
    step["newState"]["inputs"]["members"] = [BREAK_GLASS, "0b5e0a11-0000-4000-8000-000000000002", "ad000000-0000-4000-8000-0000000000ff"]
    step["detailedDiff"], step["diffReasons"] = {"members[2]": {"kind": "add", "inputDiff": False}}, ["members"]
    field = change_of(reviewed(doc), "PRIV-GRP-02").fields[0]
    assert field.verdict.impact == "weakens" and "excluded from every privileged policy" in field.verdict.reason
    step["newState"]["inputs"]["members"] = ["0b5e0a11-0000-4000-8000-000000000002"]
    field = change_of(reviewed(doc), "PRIV-GRP-02").fields[0]
    assert field.verdict.impact == "weakens" and "break-glass account leaves" in field.verdict.reason


def test_a_reorder_the_provider_reports_is_a_note_not_a_change():
    doc = one_update(load("update-detailed-diff"), "PRIV-CA-03")
    step = doc["steps"][1]
    old_users = step["oldState"]["inputs"]["conditions"]["users"]
    step["newState"]["inputs"]["conditions"]["users"]["excludedGroups"] = list(reversed(old_users["excludedGroups"]))
    step["detailedDiff"] = {"conditions.users.excludedGroups[0]": {"kind": "update", "inputDiff": False},
                            "conditions.users.excludedGroups[1]": {"kind": "update", "inputDiff": False}}
    change = change_of(reviewed(doc), "PRIV-CA-03")
    assert change.fields == () and change.verdict.impact == "neutral"
    assert change.notes == ("excluded groups: the provider reports a difference from the deployed state that the inputs "
                            "do not show (order, case or format, or a value the provider computes)",)


# -- values the preview hides ---------------------------------------------------------------------

def test_a_list_built_by_output_all_arrives_as_one_unknown_or_secret_and_is_never_guessed():
    doc = load("output-all")
    users = step_of(doc, "PRIV-CA-03")["newState"]["inputs"]["conditions"]["users"]
    assert users["excludedGroups"] == UNKNOWN and users["includedGroups"] == SECRET  # one value, not a list
    r = reviewed(doc)
    fields = {f.path: f for f in change_of(r, "PRIV-CA-03").fields}
    assert set(fields) == {"conditions.users.excludeGroups", "conditions.users.includeGroups"}
    assert all(f.verdict.impact == "weakens" for f in fields.values())
    assert "cannot be checked before it is deployed" in fields["conditions.users.excludeGroups"].verdict.reason
    assert "hidden in the preview" in fields["conditions.users.includeGroups"].verdict.reason
    md = review_render.to_markdown(r)
    assert UNKNOWN not in md and "[unknown until apply]" in md


def test_a_secret_list_the_bridged_diff_does_not_name_is_left_out():
    doc = load("output-all")
    step = step_of(doc, "PRIV-CA-03")
    del step["detailedDiff"]["conditions.users.includedGroups[1]"]
    assert [f.path for f in change_of(reviewed(doc), "PRIV-CA-03").fields] == ["conditions.users.excludeGroups"]


def test_a_list_holding_one_unknown_element_names_what_is_known():
    doc = load("replace-with-unknowns")
    step = step_of(doc, "PRIV-CA-01")
    old = step["oldState"]["inputs"]["conditions"]["users"]["includedGroups"]
    step["newState"]["inputs"]["conditions"]["users"]["includedGroups"] = old[:-1] + [UNKNOWN]
    field = change_of(reviewed(doc), "PRIV-CA-01").fields[0]
    assert field.verdict.impact == "weakens" and f"- {old[-1]}" in field.verdict.reason
    assert "1 value unknown until apply" in field.verdict.reason


SECRET_PATHS = {
    "rules[Notification_Admin_Admin_Eligibility].notificationRecipients",
    "rules[Notification_Admin_Admin_Assignment].notificationRecipients",
    "rules[Notification_Admin_EndUser_Assignment].notificationRecipients",
}


def test_secrets_of_a_dynamic_provider_which_names_no_changed_input_are_all_unverifiable():
    pim = change_of(reviewed(load("secrets")), "PRIV-PIM-62e90394")
    assert {f.path for f in pim.fields} == SECRET_PATHS | {"rules[Expiration_Admin_Eligibility].maximumDuration"}
    hidden = [f for f in pim.fields if f.path in SECRET_PATHS]
    assert all(f.old == f.new == ["[secret]"] and f.verdict.impact == "weakens" for f in hidden)
    assert all("the provider does not say which inputs changed" in f.verdict.reason for f in hidden)


def test_secrets_a_detailed_diff_does_not_name_are_left_out():
    doc = load("secrets")
    step = step_of(doc, "PRIV-PIM-62e90394")
    step["newState"]["inputs"] = copy.deepcopy(step["oldState"]["inputs"])
    step["detailedDiff"] = {"rules[9].notificationRecipients[0]": {"kind": "update", "inputDiff": True}}  # DIFF_UNKNOWN: the engine's own
    assert [f.path for f in change_of(reviewed(doc), "PRIV-PIM-62e90394").fields] == ["rules[Notification_Admin_EndUser_Assignment].notificationRecipients"]


# -- `pulumi preview --refresh`: drift apart, the pull request judged on its own steps ------------

def test_refresh_drift_is_reported_apart_and_the_pull_request_is_judged_from_the_deployed_state():
    r = reviewed(load("refresh-drift"))
    # the drift: a break-glass account removed from an exclusion, a policy deleted, one turned off
    drift = {c.control_id: c for c in r.drift}
    assert set(drift) == {"PRIV-CA-01", "PRIV-CA-02", "PRIV-CA-05"}
    assert all(c.verdict.impact == "weakens" for c in drift.values())
    assert "emergency-access exclusion is gone" in drift["PRIV-CA-01"].verdict.reason
    assert drift["PRIV-CA-02"].op == "delete"
    # the pull request: CA-05 from enabled (deployed) to report-only weakens, though from the tenant's
    # `disabled` it would look like a repair; CA-01 only reverts the drift; CA-02 is created again
    ca05 = change_of(r, "PRIV-CA-05")
    assert [(f.path, f.old, f.new, f.verdict.impact) for f in ca05.fields] == [("state", "enabled", "enabledForReportingButNotEnforced", "weakens")]
    assert (change_of(r, "PRIV-CA-01").verdict.impact, change_of(r, "PRIV-CA-01").fields) == ("neutral", ())
    assert change_of(r, "PRIV-CA-02").op == "create" and change_of(r, "PRIV-CA-02").fields == ()
    assert r.counts == {"create": 1, "update": 2, "replace": 0, "delete": 0}
    assert [c.control_id for c in r.weakening] == ["PRIV-CA-05"]


def test_weakening_drift_the_pull_request_reverts_does_not_fail_the_gate(tmp_path):
    doc = load("refresh-drift")
    program = next(s for s in doc["steps"] if s["urn"].endswith("priv-ca-05") and s["oldState"]["inputs"]["state"] == "disabled")
    program["newState"]["inputs"]["state"] = "enabled"  # the pull request keeps CA-05 enforced
    result = run_doc(doc, tmp_path, "--fail-on", "weakens")
    assert result.exit_code == 0, result.stdout
    assert "3 of them weakening" in result.stdout and "### Drift found in the tenant" in result.stdout


def test_drift_no_step_reverts_is_kept_by_the_pull_request_and_judged_as_its_change():
    r = reviewed(load("refresh-drift-kept"))
    kept = change_of(r, "PRIV-CA-03")
    assert kept.verdict.impact == "weakens" and kept.notes[0].startswith("keeps drift found in the tenant")
    assert [c.control_id for c in r.drift] == ["PRIV-CA-03"]


def test_refresh_steps_without_drift_are_not_changes():
    r = reviewed(load("refresh-drift"))
    assert "PRIV-CA-06" not in {c.control_id for c in r.changes + r.drift}


def test_without_refresh_a_lone_update_is_the_pull_requests_change():
    """Fail closed: only a preview that shows refresh steps, or a resource shown twice, has drift."""
    doc = load("refresh-drift-kept")
    doc["steps"] = [s for s in doc["steps"] if s["op"] != "refresh"]
    r = reviewed(doc)
    assert r.drift == () and change_of(r, "PRIV-CA-03").verdict.impact == "weakens"


# -- replacements ---------------------------------------------------------------------------------

def test_replacement_steps_count_once_and_read_the_step_that_holds_both_states():
    r = reviewed(load("replacement-steps"))
    assert r.counts == {"create": 0, "update": 2, "replace": 2, "delete": 0}
    ring = change_of(r, "PRIV-GRP-13")
    assert ring.serious and "replaced" in ring.operation.reason
    assert [(f.path, f.old, f.new, f.forces_replacement) for f in ring.fields] == [("isAssignableToRole", False, True, True)]
    assert ring.preview_op == "create-replacement, replace, delete-replaced"


def test_an_eligibility_replacement_names_who_gains_and_who_loses_the_role():
    r = reviewed(load("replacement-steps"))
    elig = next(c for c in r.changes if c.kind == "roleEligibility")
    assert elig.preview_op == "delete-replaced, replace, create-replacement"
    assert [(a.change, a.principal, a.role) for a in elig.access] == [
        ("gains", "ad000000-0000-4000-8000-000000000011", "62e90394-69f5-4237-9190-012177145e10"),
        ("loses", "ad000000-0000-4000-8000-000000000014", "62e90394-69f5-4237-9190-012177145e10")]
    assert any("delete-before-replace" in n for n in elig.notes)
    md = review_render.to_markdown(r)
    assert "`ad000000-0000-4000-8000-000000000011` (eligible admin) **gains** eligibility for " \
           "`62e90394-69f5-4237-9190-012177145e10` (Global Administrator)" in md
    assert "`ad000000-0000-4000-8000-000000000014` **loses** eligibility for" in md


@pytest.mark.parametrize("keep", [
    ("replace",), ("delete-replaced", "create-replacement"), ("create-replacement", "delete-replaced"), ("delete-replaced", "replace"),
])
def test_whichever_replacement_steps_are_shown_the_verdict_is_the_same(keep):
    full = reviewed(load("replacement-steps"))
    doc = load("replacement-steps")
    elig = [s for s in doc["steps"] if "eligibility" in s["urn"]]
    ordered = [next(s for s in elig if s["op"] == op) for op in keep]
    doc["steps"] = [s for s in doc["steps"] if "eligibility" not in s["urn"]] + ordered
    change = next(c for c in reviewed(doc).changes if c.kind == "roleEligibility")
    expected = next(c for c in full.changes if c.kind == "roleEligibility")
    assert (change.verdict, change.access, [f.path for f in change.fields]) == (expected.verdict, expected.access, [f.path for f in expected.fields])
    assert any("delete-before-replace" in n for n in change.notes) == (keep[0] == "delete-replaced")


# -- protect ---------------------------------------------------------------------------------------

def test_removing_protect_from_the_emergency_group_weakens_and_adding_it_strengthens():
    doc = load("protect-removed")
    step = doc["steps"][1]
    assert step["op"] == "same" and step["oldState"]["protect"] is True and "protect" not in step["newState"]
    change = change_of(reviewed(doc), "PRIV-GRP-02")
    assert (change.op, change.verdict.impact) == ("protect", "weakens")
    assert "protection removed" in change.verdict.reason
    step["oldState"], step["newState"] = step["newState"], {**step["oldState"], "protect": True}
    assert change_of(reviewed(doc), "PRIV-GRP-02").verdict.impact == "strengthens"


def test_protect_on_another_resource_is_neutral_and_a_same_step_without_a_protect_change_is_not_listed():
    doc = load("protect-removed")
    step = doc["steps"][1]
    for s in (step, step["oldState"], step["newState"]):
        s["urn"] = s["urn"].replace("priv-grp-02", "priv-grp-11")
    assert change_of(reviewed(doc), "PRIV-GRP-11").verdict.impact == "neutral"
    step["newState"]["protect"] = True  # --show-sames: a same step with nothing changed
    assert reviewed(doc).changes == ()


def test_a_protect_change_beside_an_update_is_judged_too():
    doc = load("protect-removed")
    step = doc["steps"][1]
    step["op"], step["detailedDiff"] = "update", {"description": {"kind": "update", "inputDiff": False}}
    step["newState"]["inputs"]["description"] = "changed"
    change = change_of(reviewed(doc), "PRIV-GRP-02")
    assert change.verdict.impact == "weakens" and any("protection removed" in n for n in change.notes)


# -- what a gate cannot vouch for (issue 11 §6) ---------------------------------------------------

def test_a_failed_preview_exits_1_even_beside_a_weakening_change(tmp_path):
    doc = load("update-detailed-diff")
    doc["diagnostics"] = [{"urn": doc["steps"][1]["urn"], "severity": "error", "message": "error: 403 Forbidden\n"}]
    result = run_doc(doc, tmp_path, "--fail-on", "weakens")
    assert "the preview failed with 1 error" in one_error_line(result)
    assert "**The preview failed with 1 error** (see Diagnostics): the list of changes may be incomplete." in result.stdout
    assert "- **error** on `baseline-ca-priv-ca-01`: 403 Forbidden" in result.stdout


@pytest.mark.parametrize("summary", [{"update": 5, "same": 55}, {"update": 3, "delete": 1, "same": 56}, {"update": 3, "import": 1}])
def test_a_change_summary_counting_changes_the_steps_do_not_show_exits_1(summary, tmp_path):
    doc = load("update-detailed-diff")
    doc["changeSummary"] = summary
    line = one_error_line(run_doc(doc, tmp_path, "--fail-on", "weakens"))
    assert "changeSummary counts" in line and "steps are missing" in line


def test_a_change_summary_is_checked_against_the_programs_logical_steps_only(tmp_path):
    """Replacement steps other than `replace` and rewritten refresh steps are not counted by the engine."""
    for name in ("replacement-steps", "refresh-drift"):
        assert reviewed(load(name)).cannot_vouch == (), name
    doc = load("refresh-drift")
    doc["changeSummary"]["update"] = 3  # the rewritten refresh updates must not make up for a missing one
    assert "changeSummary counts 3 update (the steps show 2)" in reviewed(doc).cannot_vouch[0]


def test_a_preview_of_another_project_exits_1_and_names_it(tmp_path):
    line = one_error_line(run(str(FIXTURES / "another-project.json"), "--fail-on", "weakens"))
    assert "project 'website' holds no resource and no `ztb:` config of the baseline" in line


def test_a_baseline_preview_without_changes_or_config_is_still_the_baseline():
    doc = load("no-changes")
    del doc["config"]
    assert reviewed(doc).cannot_vouch == ()  # its root stack exports the controls


@pytest.mark.parametrize("change", [
    {"ztb:phase": "sideways"}, {"ztb:pim": "[secret]"}, {"ztb:eligibility": "{\"not-a-guid\": [\"Global Administrator\"]}"},
    {"ztb:pim": "{\"a\": 1, \"a\": 2}"},
])
def test_an_unusable_config_block_in_the_preview_is_loud_and_the_gate_cannot_vouch(change, tmp_path):
    doc = load("update-detailed-diff")
    doc["config"].update(change)
    result = run_doc(doc, tmp_path, "--fail-on", "weakens")
    assert "stack config" in one_error_line(result) and "--config" in one_error_line(result)
    head = result.stdout.split("### ", 1)[0]
    assert "**⛔ ztb review cannot vouch for this preview**" in head, "said at the top of the comment"
    assert run_doc(doc, tmp_path, "--fail-on", "weakens", "--config", str(SAMPLE_STACK)).exit_code == 3


def test_titles_come_from_config_file_when_the_preview_has_no_config(tmp_path):
    doc = load("update-detailed-diff")
    del doc["config"]
    without = run_doc(doc, tmp_path).stdout
    assert "### 🔴 PRIV-CA-03 · ZTB PRIV-CA-03 Privileged: Require a compliant device" in without  # its display name
    assert "no --config was given" in without
    with_config = run_doc(doc, tmp_path, "--config", str(SAMPLE_STACK)).stdout
    assert "### 🔴 PRIV-CA-03 · Require a compliant device" in with_config


def test_a_bad_config_file_is_one_error_line(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  ztb:phase: sideways\n")
    result = run(str(FIXTURES / "create.json"), "--config", str(bad))
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


# -- what the CLI prints that is not a digest ------------------------------------------------------

def test_streamed_engine_events_are_refused_naming_the_variable():
    text = (FIXTURES / "engine-events.ndjson").read_text()
    for sample in (text, text.splitlines()[0]):
        line = one_error_line(run("-", "--fail-on", "weakens", stdin=sample))
        assert "PULUMI_ENABLE_STREAMING_JSON_PREVIEW" in line and "engine events" in line


def test_the_output_json_summary_is_refused_naming_the_flag():
    line = one_error_line(run(str(FIXTURES / "summary-output.json"), "--fail-on", "weakens"))
    assert "`pulumi preview --output json`" in line and "run `pulumi preview --json`" in line


BAD = {
    "not JSON": ("{\"steps\": [", "not valid JSON (line 1"),
    "empty": ("   \n", "empty"),
    "a JSON list": ("[]", "not a `pulumi preview --json` document"),
    "ztb plan output": (json.dumps({"phase": "full", "controls": []}), "not a `pulumi preview --json` document"),
    "a stack export": (json.dumps({"version": 3, "deployment": {}}), "not a `pulumi preview --json` document"),
    "a step without op": (json.dumps({"steps": [{"urn": "urn:pulumi:dev::ztb::x::y"}]}), "step 1 has no 'op' and 'urn'"),
    "steps not a list": (json.dumps({"steps": {}}), "must be lists"),
    "a state that is not an object": (json.dumps({"steps": [{"op": "update", "urn": "u", "newState": []}]}), "'newState' must be an object"),
    "a duplicate key": ("{\"steps\": [], \"steps\": []}", "appears twice"),
    "NaN": ("{\"steps\": [], \"duration\": NaN}", "NaN is not JSON"),
    "a config value that is not a string": (json.dumps({"steps": [], "config": {"ztb:level": 3}}), "'config'"),
    "a change summary that is not counts": (json.dumps({"steps": [], "changeSummary": {"update": "2"}}), "'changeSummary'"),
    "a detailed diff entry without kind": (json.dumps({"steps": [{"op": "update", "urn": "u", "detailedDiff": {"a": 1}}]}), "detailedDiff['a']"),
    "diff reasons that are not names": (json.dumps({"steps": [{"op": "update", "urn": "u", "diffReasons": [1]}]}), "'diffReasons'"),
    "truncated": ((FIXTURES / "create.json").read_text()[:5000], "truncated?"),
}


@pytest.mark.parametrize("case", BAD)
def test_malformed_or_non_preview_input_is_exit_1_with_one_line(case, tmp_path):
    text, words = BAD[case]
    path = tmp_path / "preview.json"
    path.write_text(text)
    result = run(str(path), "--fail-on", "weakens")
    assert result.stdout == ""
    assert words in one_error_line(result), result.stderr


def test_a_missing_file_is_exit_1_with_one_line(tmp_path):
    result = run(str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: {tmp_path / 'nope.json'}: no such file; write it with `pulumi preview --json > {tmp_path / 'nope.json'}`"]


def test_review_is_registered_in_the_cli():
    from ztb.cli import cli

    assert cli.commands.get("review") is command, "ztb/cli.py must add: cli.add_command(review.command, \"review\")"


# -- components, other resources, diagnostics, names ----------------------------------------------

def test_components_and_the_stack_are_not_listed_and_other_resources_are_neutral():
    doc = load("create")
    provider = "urn:pulumi:dev::ztb::pulumi:providers:azuread::default_6_12_0"
    doc["steps"].append({"op": "create", "urn": provider, "newState": {"urn": provider, "custom": True, "type": "pulumi:providers:azuread",
                                                                       "inputs": {"version": "6.12.0"}}, "detailedDiff": None})
    doc["changeSummary"]["create"] += 1
    r = reviewed(doc)
    assert not any(c.type.startswith("ztb:index:") or c.type == "pulumi:pulumi:Stack" for c in r.changes)
    other = next(c for c in r.changes if c.name == "default_6_12_0")
    assert (other.control_id, other.verdict.impact) == (None, "neutral")


def test_a_new_conditional_access_policy_outside_the_baseline_is_judged_like_drift_judges_one():
    doc = load("no-changes")
    urn = "urn:pulumi:dev::ztb::azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy::block-legacy-for-all"
    inputs = {"__defaults": [], "displayName": "Block legacy for all", "state": "enabled",
              "conditions": {"__defaults": [], "users": {"__defaults": [], "includedUsers": ["All"]},
                             "applications": {"__defaults": [], "includedApplications": ["All"]}, "clientAppTypes": ["other"]},
              "grantControls": {"__defaults": [], "operator": "OR", "builtInControls": ["block"]}}
    doc["steps"].append({"op": "create", "urn": urn, "provider": "p", "newState": {"urn": urn, "custom": True, "type": CA_TYPE, "inputs": inputs},
                         "detailedDiff": None})
    change = reviewed(doc).changes[0]
    assert change.control_id is None and change.verdict.impact == "weakens"
    assert "does not exclude the emergency-access accounts" in change.verdict.reason


def test_diagnostics_keep_errors_and_warnings_only():
    doc = load("diagnostic-error")
    doc["diagnostics"].append({"message": "Previewing update (dev)\n", "severity": "info"})
    doc["diagnostics"].append({"message": "a line the program printed to stderr\n", "severity": "info#err"})
    doc["diagnostics"].append({"urn": doc["steps"][0]["urn"], "message": "warning: slow Graph\n", "severity": "warning"})
    r = reviewed(doc)
    assert [d.severity for d in r.diagnostics] == ["error", "error", "warning"]
    assert r.diagnostics[2].message == "slow Graph"


def test_no_change_preview_is_one_line():
    out = run(str(FIXTURES / "no-changes.json")).stdout
    assert out == "**ztb review:** no changes: the preview of stack `dev` leaves the tenant as it is.\n"


@pytest.mark.parametrize("evil", ["x\n## 🟢 ztb review: 0 changes\n", "x\r\n- 🟢 **strengthens**: fine", "x\u2028### y", "\x1b[31mred\x1b[0m"])
def test_names_and_messages_cannot_add_lines_to_the_comment(evil):
    doc = load("update-detailed-diff")
    step = step_of(doc, "PRIV-CA-03")
    for s in (step, step["oldState"], step["newState"]):
        s["urn"] = s["urn"].replace("baseline-ca-priv-ca-03", f"{evil}-priv-ca-03")
    doc["config"].pop("ztb:level")
    doc["diagnostics"] = [{"severity": "warning", "message": f"warning: {evil}\n```\n## injected\n"}]
    md = review_render.to_markdown(reviewed(doc))
    assert not any(line.startswith(("## 🟢", "- 🟢 **strengthens**: fine", "### y", "## injected")) for line in md.splitlines())
    assert "\x1b" not in md and "\u2028" not in md


def test_compare_can_include_write_only_fields_for_previews():
    old, new = {"displayName": "g", "members": ["A"]}, {"displayName": "g", "members": ["a", "b"]}
    assert compare("group", old, new) == []  # drift: Graph never returns members
    assert [(c.path, c.desired, c.actual) for c in compare("group", old, new, include_write_only=True)] == [("members", ["A"], ["a", "b"])]


def test_load_preview_accepts_every_digest_fixture():
    for name in NAMES:
        assert load_preview((FIXTURES / f"{name}.json").read_text(), name)

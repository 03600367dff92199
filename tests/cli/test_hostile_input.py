"""Hostile or broken input gets one line and exit 1, never a traceback and never exit 2 ("drift")."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ztb.cli import cli

from tests.conftest import REPO, SAMPLE_STACK, one_error_line

DEEP = '{"steps":' + "[" * 100000 + "]" * 100000 + "}"


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)



def test_an_unknown_preview_op_is_an_error_not_no_changes(tmp_path):
    doc = json.loads((REPO / "tests/fixtures/preview/create.json").read_text())
    next(s for s in doc["steps"] if s["op"] == "create")["op"] = "frobnicate"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    assert "unknown op 'frobnicate'" in one_error_line(run("review", str(path)))


@pytest.mark.parametrize("args", [
    ("review", "-"),
    ("drift", "--config", str(SAMPLE_STACK), "--snapshot", "-"),
])
def test_absurdly_nested_json_is_refused_in_one_line(args):
    assert "nested too deeply" in one_error_line(run(*args, stdin=DEEP))


def test_absurdly_nested_previous_result_is_refused(tmp_path):
    snap = run("plan", "--config", str(SAMPLE_STACK), "--format", "snapshot").stdout
    (tmp_path / "s.json").write_text(snap)
    (tmp_path / "prev.json").write_text(DEEP)
    one_error_line(run("drift", "--config", str(SAMPLE_STACK), "--snapshot", str(tmp_path / "s.json"), "--previous", str(tmp_path / "prev.json")))


def test_a_config_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    assert "not UTF-8" in one_error_line(run("plan", "--config", str(path)))


@pytest.mark.parametrize("args", [
    ("plan", "--config", "."),
    ("plan", "--format", "yaml"),
    ("drift", "--snapshot", "x.json", "--previous", "."),
    ("review",),
    ("nonsense",),
])
def test_usage_errors_exit_1_because_2_means_drift(args):
    line = one_error_line(run(*args))
    assert "--help" in line or "No such command" in line


def test_help_and_version_still_exit_0():
    assert run("--help").exit_code == 0
    assert run("--version").exit_code == 0


def test_a_snapshot_of_another_tenant_is_refused(tmp_path):
    snap = json.loads(run("plan", "--config", str(SAMPLE_STACK), "--format", "snapshot").stdout)
    snap["tenantId"] = "99999999-0000-4000-8000-000000000009"
    path = tmp_path / "other.json"
    path.write_text(json.dumps(snap))
    assert "tenant 99999999" in one_error_line(run("drift", "--config", str(SAMPLE_STACK), "--snapshot", str(path)))


# -- ztb review: the preview as a hostile or broken input (issue 11 §9) ----------------------------

PREVIEWS = REPO / "tests" / "fixtures" / "preview"


def _preview(name: str = "update-detailed-diff") -> dict:
    return json.loads((PREVIEWS / f"{name}.json").read_text())


def _review_file(tmp_path, doc_or_bytes, *extra: str):
    path = tmp_path / "preview.json"
    if isinstance(doc_or_bytes, bytes):
        path.write_bytes(doc_or_bytes)
    else:
        path.write_text(json.dumps(doc_or_bytes))
    return run("review", str(path), "--fail-on", "weakens", *extra)


def _nest(depth: int, leaf=None):
    v = leaf
    for i in range(depth):
        v = [v] if i % 2 else {"k": v}
    return v


def test_a_preview_past_the_size_limit_is_refused_by_name_and_one_at_the_limit_is_read(tmp_path):
    from ztb.review.preview import MAX_PREVIEW_BYTES

    doc = json.dumps(_preview("no-changes")).encode()
    at_limit = doc + b" " * (MAX_PREVIEW_BYTES - len(doc))
    assert _review_file(tmp_path, at_limit).exit_code == 0
    line = one_error_line(_review_file(tmp_path, at_limit + b" "))
    assert "larger than the 32 MiB limit" in line


def test_dev_zero_and_an_endless_stdin_are_refused_after_the_limit():
    assert "larger than the 32 MiB limit" in one_error_line(run("review", "/dev/zero"))
    assert "larger than the 32 MiB limit" in one_error_line(run("review", "-", stdin="[" + " " * (33 * 2**20)))


@pytest.mark.parametrize("data, words", [
    (b"\xff\xfe{\x00}\x00", "UTF-16"),
    (b"\xfe\xff\x00{\x00}", "UTF-16"),
    (b'{"steps": [], "config": {"ztb:level": "sp\xe9cialis\xe9"}}', "not UTF-8"),
    (b'{"steps": [], "x": "\xc0\xaf"}', "not UTF-8"),  # overlong
    (b'{"steps": [], "x": "\xed\xa0\x80"}', "not UTF-8"),  # a surrogate, CESU-8 style
    (b'{"steps": [], "x": "\\ud800"}', "not Unicode"),  # a lone surrogate as an escape
    (b"\x00" * 4096, "not valid JSON"),
])
def test_a_preview_that_is_not_utf8_text_is_refused_in_one_line(tmp_path, data, words):
    assert words in one_error_line(_review_file(tmp_path, data))


def test_a_utf8_bom_is_accepted(tmp_path):
    assert _review_file(tmp_path, b"\xef\xbb\xbf" + json.dumps(_preview("no-changes")).encode()).exit_code == 0


def _at(doc: dict, where: str):
    """The object inside the fixture where a hostile value is put."""
    step = doc["steps"][2]  # PRIV-CA-03
    return {
        "inputs": step["newState"]["inputs"]["conditions"]["users"],
        "outputs": step["oldState"]["outputs"],
        "step": step,
        "diagnostic": doc.setdefault("diagnostics", [{"severity": "warning", "message": "m"}])[0],
        "document": doc,
    }[where]


@pytest.mark.parametrize("where", ["inputs", "outputs", "step", "diagnostic", "document"])
@pytest.mark.parametrize("depth", [40, 100, 1000, 100_000])
def test_deep_nesting_anywhere_in_a_preview_is_one_line(tmp_path, where, depth):
    doc = _preview()
    _at(doc, where)["zz"] = "NESTED"
    text = json.dumps(doc).replace('"NESTED"', "[" * depth + "]" * depth)
    result = run("review", "-", "--fail-on", "weakens", stdin=text)
    if depth == 40:
        assert result.exit_code == 3, result.stderr  # nested, but within the limit: read and judged
        return
    line = one_error_line(result)
    assert "nested deeper than 64 levels" in line or "nested too deeply" in line


def test_deep_nesting_inside_a_dynamic_resources_graph_body_within_the_limit_is_judged(tmp_path):
    doc = _preview("update-no-detailed-diff")
    rule = doc["steps"][1]["newState"]["inputs"]["rules"][0]
    rule["target"]["deep"] = _nest(50, "x")
    result = _review_file(tmp_path, doc)
    assert result.exit_code == 3 and "Traceback" not in result.stderr


WRONG_TYPES = [
    # (fixture, step index, path inside newState.inputs, value)
    ("update-detailed-diff", 2, "conditions", ["users"]),
    ("update-detailed-diff", 2, "conditions.users", "x"),
    ("update-detailed-diff", 2, "conditions.users.excludedGroups", {"0": "e58d11cd-f060-55f5-99bb-82679d22f917"}),
    ("update-detailed-diff", 2, "conditions.users.excludedGroups", "e58d11cd-f060-55f5-99bb-82679d22f917"),
    ("update-detailed-diff", 2, "conditions.users.excludedGroups", [1, 2]),
    ("update-detailed-diff", 2, "conditions.users.excludedGroups", [["e58d11cd-f060-55f5-99bb-82679d22f917"]]),
    ("update-detailed-diff", 2, "state", 2),
    ("update-detailed-diff", 2, "state", None if False else True),
    ("update-detailed-diff", 2, "grantControls", "mfa"),
    ("update-detailed-diff", 2, "grantControls.builtInControls", "mfa"),
    ("update-detailed-diff", 2, "displayName", {"text": "x"}),
    ("update-no-detailed-diff", 3, "sessionControls.signInFrequency", "4"),
    ("update-no-detailed-diff", 3, "sessionControls.signInFrequency", True),
    ("update-no-detailed-diff", 1, "rules", {"id": "Expiration_EndUser_Assignment"}),
    ("update-no-detailed-diff", 1, "rules", ["Expiration_EndUser_Assignment"]),
    ("update-no-detailed-diff", 1, "rules.0.id", 7),
    ("secrets", 2, "scheduleInfo", ["P365D"]),
    ("secrets", 2, "scheduleInfo.expiration.duration", 365),
    ("secrets", 2, "principalId", ["ad000000-0000-4000-8000-000000000011"]),
    ("create", 2, "policy", [{"@odata.type": "#microsoft.graph.windows10CompliancePolicy"}]),
    ("create", 2, "assignments", {"target": {}}),
    ("create", 5, "members", "ad000000-0000-4000-8000-000000000013"),
    ("create", 5, "assignableToRole", "true"),
]


def _set(obj, path, value) -> None:
    keys = path.split(".") if isinstance(path, str) else list(path)
    for k in keys[:-1]:
        obj = obj[int(k)] if isinstance(obj, list) else obj[k]
    obj[int(keys[-1]) if isinstance(obj, list) else keys[-1]] = value


@pytest.mark.parametrize("fixture, index, path, value", WRONG_TYPES, ids=[f"{f}:{p}={v!r}"[:80] for f, _, p, v in WRONG_TYPES])
def test_a_wrong_json_type_in_a_resources_inputs_is_one_line_naming_it(tmp_path, fixture, index, path, value):
    doc = _preview(fixture)
    _set(doc["steps"][index]["newState"]["inputs"], path, value)
    line = one_error_line(_review_file(tmp_path, doc))
    assert f"step {index + 1} " in line and "'inputs." in line and "must be" in line


@pytest.mark.parametrize("value", ["[secret]", "04da6b54-80e4-46f7-96ec-b56ff0331ba9"])
@pytest.mark.parametrize("path", ["conditions", "conditions.users", "conditions.users.excludedGroups", "grantControls", "state"])
def test_a_hidden_value_may_stand_for_any_input(tmp_path, value, path):
    doc = _preview()
    _set(doc["steps"][2]["newState"]["inputs"], path, value)
    result = _review_file(tmp_path, doc)
    assert result.exit_code == 3, result.stderr  # judged: unverifiable, so weakening
    assert "cannot be checked" in result.stdout


HOSTILE_VALUES = ["4", 4, True, None, {}, {"id": 1}, [], [1], [{}], [[1]], "[secret]", "x" * 5000]


def _paths(v, prefix=()):
    """Every place in a resource's inputs (as key tuples), the first item of each list."""
    if isinstance(v, dict):
        for k, x in v.items():
            if not k.startswith("__"):
                yield (*prefix, k)
                yield from _paths(x, (*prefix, k))
    elif isinstance(v, list) and v:
        yield (*prefix, "0")
        yield from _paths(v[0], (*prefix, "0"))


@pytest.mark.parametrize("fixture, index", [("update-detailed-diff", 2), ("update-no-detailed-diff", 1), ("secrets", 2),
                                            ("create", 2), ("create", 5), ("replacement-steps", 2)])
def test_any_json_value_anywhere_in_inputs_gives_a_comment_or_one_line_never_a_traceback(fixture, index):
    """The class, not examples: every input path of a CA policy, a group and the three dynamic types,
    with every JSON type in it, through the whole review (document checks, judging, both renderings)."""
    from ztb.review import judge as rv
    from ztb.review import render as review_render
    from ztb.cli.review import exit_code as review_exit_code
    from ztb.review.preview import PreviewError, load_preview
    from ztb.review.stack import read_config

    base = _preview(fixture)
    base["steps"], base["changeSummary"] = [base["steps"][0], base["steps"][index]], {}  # the root and the step under test
    index = 1
    read = read_config(base)
    paths = list(_paths(base["steps"][index]["newState"]["inputs"]))
    assert len(paths) >= 5
    outcomes = set()
    step = base["steps"][index]
    for i, path in enumerate(paths[:30]):
        side = "oldState" if i % 2 and step.get("oldState") else "newState"  # both directions of a change
        original = step[side]["inputs"]
        try:
            for k in path:
                original = original[int(k)] if isinstance(original, list) else original[k]
        except (KeyError, IndexError):
            continue
        for value in HOSTILE_VALUES:
            doc = json.loads(json.dumps(base))
            _set(doc["steps"][index][side]["inputs"], path, value)
            try:
                checked = load_preview(json.dumps(doc), "p")
                r = rv.review(checked, read.baseline, read.note, read.unusable)
            except PreviewError as e:
                assert "\n" not in str(e) and str(e).startswith("p: ")
                outcomes.add("refused")
                continue
            review_render.to_markdown(r), review_render.to_json(r)
            code = review_exit_code(r, "weakens")
            outcomes.add(code)
            # None, {} and [] read as "not set" to the shared normaliser (ztb/normalize.py), the
            # secret placeholder as hidden; any other value of another type than the original's is wrong.
            wrong_type = value not in (None, {}, [], "[secret]") and type(value) is not type(original)
            if wrong_type and step["op"] != "create":  # a value of an unexpected shape in a change weakens
                assert code == 3, (side, path, value)
    assert outcomes <= {"refused", 0, 3}, outcomes
    assert "refused" in outcomes


@pytest.mark.parametrize("where", ["step", "state", "inputs", "config"])
def test_duplicate_keys_at_any_level_are_refused(tmp_path, where):
    text = json.dumps(_preview())
    marker = {"step": '"op": "update", ', "state": '"custom": true, ', "inputs": '"displayName": ', "config": '"ztb:level": '}[where]
    assert marker in text
    dup = {"step": '"op": "same", "op": "update", ', "state": '"custom": false, "custom": true, ',
           "inputs": '"displayName": "x", "displayName": ', "config": '"ztb:level": "baseline", "ztb:level": '}[where]
    line = one_error_line(_review_file(tmp_path, text.replace(marker, dup, 1).encode()))
    assert "appears twice" in line


def test_a_step_repeated_in_the_document_is_never_read_as_the_later_one_only(tmp_path):
    """A resource shown twice without --refresh is read as drift then change, and the change is judged
    from the earliest old state: repeating a step cannot hide a weakening."""
    doc = _preview()
    step = doc["steps"][2]
    doc["steps"].insert(2, json.loads(json.dumps(step)))
    doc["steps"][3]["oldState"] = json.loads(json.dumps(step["newState"]))  # the second claims it starts weakened
    result = _review_file(tmp_path, doc)
    assert result.exit_code == 3 and "excluded groups: + `c0417ac7" in result.stdout.split("### Drift")[0]

"""`ztb drift` as a pipeline runs it: exit codes 0/2/1, one-line errors, every output format."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from tests.conftest import REPO, SAMPLE_STACK
from tests.drift.test_detect import IDEAL, MUTATIONS, SAMPLE, ca
from ztb.cli.drift import command as drift_command


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), *args], input=stdin, catch_exceptions=False)


def write(tmp_path, doc, name="snapshot.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def mutated(name: str) -> dict:
    snap = copy.deepcopy(IDEAL)
    MUTATIONS[name][0](snap)
    return snap


def assert_one_error_line(result, *words: str) -> None:
    assert result.exit_code == 1, result.stdout
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for w in words:
        assert w in lines[0]


def test_ideal_snapshot_exits_0_in_sync(tmp_path):
    result = run("--snapshot", write(tmp_path, IDEAL), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["inSync"] is True and doc["findings"] == []
    # PRIV-MAN-04 is judged from the snapshot's role schedules; PRIV-MAN-01 stays a manual check.
    assert "PRIV-MAN-01" in {n["controlId"] for n in doc["notChecked"]} and "PRIV-MAN-04" not in {n["controlId"] for n in doc["notChecked"]}
    text = run("--snapshot", write(tmp_path, IDEAL))
    assert text.exit_code == 0 and text.stdout.startswith("In sync")


@pytest.mark.parametrize("name", MUTATIONS)
def test_each_mutation_exits_2_with_its_control_and_weakens(tmp_path, name):
    _, control_id, status, _ = MUTATIONS[name]
    result = run("--snapshot", write(tmp_path, mutated(name)), "--format", "json")
    assert result.exit_code == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["inSync"] is False
    assert [(f["controlId"], f["status"], f["impact"]) for f in doc["findings"]] == [(control_id, status, "weakens")]


def test_unmanaged_and_uncovered_exit_2(tmp_path):
    snap = copy.deepcopy(IDEAL)
    extra = copy.deepcopy(ca(snap, "PRIV-CA-01"))
    extra.update(id="e47a0000-0000-4000-8000-000000000001", displayName="Admins: legacy MFA", state="enabled")
    extra["conditions"]["users"].update(includeGroups=[], includeRoles=["62e90394-69f5-4237-9190-012177145e10"])
    snap["conditionalAccessPolicies"].append(extra)
    snap["roleDefinitions"].append({"id": "0526716b-113d-4c15-b2c8-68e3c22b9f80", "displayName": "Authentication Policy Administrator",
                                    "templateId": "0526716b-113d-4c15-b2c8-68e3c22b9f80", "isBuiltIn": True, "isPrivileged": True})
    result = run("--snapshot", write(tmp_path, snap), "--format", "json")
    assert result.exit_code == 2
    kinds = {f["controlId"]: f["status"] for f in json.loads(result.stdout)["findings"]}
    assert kinds == {"UNMANAGED-CA-e47a0000": "unmanaged", "UNCOVERED-ROLE-0526716b": "uncovered"}


def test_truncated_snapshot_exits_1_with_one_line(tmp_path):
    text = json.dumps(IDEAL)
    assert_one_error_line(run("--snapshot", write(tmp_path, text[:5000])), "truncated", "ztb export --out")


def test_snapshot_missing_a_collection_exits_1(tmp_path):
    snap = copy.deepcopy(IDEAL)
    del snap["deviceCompliancePolicies"]
    assert_one_error_line(run("--snapshot", write(tmp_path, snap)), "'deviceCompliancePolicies' is missing")


def test_unresolvable_group_reference_exits_1_never_an_empty_list(tmp_path):
    snap = copy.deepcopy(IDEAL)
    snap["groups"] = [g for g in snap["groups"] if g["displayName"] != "ZTB Emergency Access Exclusion"]
    assert_one_error_line(run("--snapshot", write(tmp_path, snap)), "PRIV-GRP-02", "not in the snapshot")


def test_bad_config_exits_1(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  ztb:phase: sideways\n  ztb:pim: {notificationMailbox: a@b.c}\n  ztb:emergencyAccessUserIds: []\n")
    result = CliRunner().invoke(drift_command, ["--config", str(bad), "--snapshot", write(tmp_path, IDEAL)])
    assert result.exit_code == 1 and "ztb:phase" in result.stderr and "Traceback" not in result.stderr


def test_snapshot_from_stdin(tmp_path):
    result = run("--snapshot", "-", "--format", "json", stdin=json.dumps(mutated("state to disabled")))
    assert result.exit_code == 2 and json.loads(result.stdout)["findings"][0]["controlId"] == "PRIV-CA-07"


def test_previous_marks_trends_and_out_writes_the_report(tmp_path):
    first = tmp_path / "first.json"
    r1 = run("--snapshot", write(tmp_path, mutated("PIM activation duration raised")), "--format", "json", "--out", str(first))
    assert r1.exit_code == 2 and r1.stdout == "" and "Drift: 1 finding" in r1.stderr
    both = mutated("PIM activation duration raised")
    MUTATIONS["compliance assignment removed"][0](both)
    r2 = run("--snapshot", write(tmp_path, both), "--format", "json", "--previous", str(first))
    trends = {f["controlId"]: f["trend"] for f in json.loads(r2.stdout)["findings"]}
    assert r2.exit_code == 2 and trends == {"PRIV-PIM-62e90394": "persisting", "PRIV-DEV-01": "new"}
    r3 = run("--snapshot", write(tmp_path, IDEAL), "--format", "json", "--previous", str(first))
    doc = json.loads(r3.stdout)
    assert r3.exit_code == 0 and doc["inSync"] and [f["trend"] for f in doc["findings"]] == ["fixed"]


def test_malformed_previous_exits_1(tmp_path):
    previous = write(tmp_path, {"findings": [{"status": "changed"}]}, "prev.json")
    assert_one_error_line(run("--snapshot", write(tmp_path, IDEAL), "--previous", previous), "controlId")


def test_junit_has_one_testcase_per_control_and_failures_for_findings(tmp_path):
    snap = mutated("state to report-only")
    MUTATIONS["PIM approval turned off"][0](snap)
    result = run("--snapshot", write(tmp_path, snap), "--format", "junit")
    assert result.exit_code == 2
    suite = ET.fromstring(result.stdout).find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(SAMPLE.controls) == int(suite.get("tests"))
    failed = {c.get("name").split()[0] for c in cases if c.find("failure") is not None}
    assert failed == {"PRIV-CA-01", "PRIV-PIM-62e90394"} and suite.get("failures") == "2"
    skipped = {c.get("name").split()[0] for c in cases if c.find("skipped") is not None}
    assert "PRIV-MAN-01" in skipped and "PRIV-CA-02" not in skipped


def test_sarif_has_one_result_per_finding_with_the_control_as_rule(tmp_path):
    snap = mutated("break-glass group exclusion removed")
    MUTATIONS["compliance assignment removed"][0](snap)
    result = run("--snapshot", write(tmp_path, snap), "--format", "sarif")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0"
    (run_,) = doc["runs"]
    assert [r["ruleId"] for r in run_["results"]] == ["PRIV-CA-03", "PRIV-DEV-01"]
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == {"PRIV-CA-03", "PRIV-DEV-01"}
    for r in run_["results"]:
        assert r["level"] == "error" and run_["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(SAMPLE_STACK)
    assert "emergency-access" in run_["results"][0]["message"]["text"]


def test_markdown_and_text_name_the_findings(tmp_path):
    path = write(tmp_path, mutated("PIM activation duration raised"))
    md = run("--snapshot", path, "--format", "markdown")
    assert md.exit_code == 2 and md.stdout.startswith("## ztb drift: drift found") and "| `PRIV-PIM-62e90394` |" in md.stdout
    text = run("--snapshot", path)
    assert "rules[Expiration_EndUser_Assignment].maximumDuration" in text.stdout and "PT1H" in text.stdout


def test_snapshot_mode_never_imports_msgraph(tmp_path):
    path = write(tmp_path, mutated("state to disabled"))
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from ztb.cli.drift import command\n"
        f"r = CliRunner().invoke(command, ['--config', {str(SAMPLE_STACK)!r}, '--snapshot', {path!r}])\n"
        "assert r.exit_code == 2, (r.exit_code, r.output)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('msgraph', 'msgraph_core', 'kiota_http', 'azure')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

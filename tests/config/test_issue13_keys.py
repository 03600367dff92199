"""The config keys of issue 13, and the class of bad input each must refuse in one line.

`galleryApps`, `cloudAppSecurity`, `userRiskRemediation` and `replaceRingGroups`: wrong types,
sizes, duplicates (in any letter case), unknown values and unknown item keys are refused with the
key and a fix, by `ztb plan` on the stack file (exit 1, nothing on stdout) and by the program on
the strings Pulumi hands it, alike.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK, one_error_line
from ztb.cli import cli
from ztb.config import ConfigError, split_namespace, validate

DOC = yaml.safe_load(SAMPLE_STACK.read_text())
TANIUM = {"name": "Tanium SSO", "templateId": "7a410000-0000-4000-8000-00000000a001"}


def plan_file(tmp_path: Path, key: str, value: Any):
    doc = copy.deepcopy(DOC)
    doc["config"][f"ztb:{key}"] = value
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return CliRunner().invoke(cli, ["plan", "--config", str(path), "--format", "json"], catch_exceptions=False)


def program_problems(key: str, value: Any) -> list[str]:
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in DOC["config"].items()}
    raw[f"ztb:{key}"] = value if isinstance(value, str) else json.dumps(value)
    with pytest.raises(ConfigError) as info:
        validate(split_namespace(raw, "stack config"))
    return info.value.problems


BAD = {
    "galleryApps": [
        ("not a list", {"name": "Tanium SSO"}, "galleryApps"),
        ("an item that is not an object", ["Tanium SSO"], "galleryApps[0]"),
        ("no templateId", [{"name": "Tanium SSO"}], "templateId"),
        ("no name", [{"templateId": TANIUM["templateId"]}], "name"),
        ("templateId not a GUID", [{"name": "Tanium SSO", "templateId": "tanium"}], "not an object ID"),
        ("templateId a number", [{"name": "Tanium SSO", "templateId": 7}], "templateId"),
        ("empty name", [{"name": "", "templateId": TANIUM["templateId"]}], "name"),
        ("blank name", [{"name": "   ", "templateId": TANIUM["templateId"]}], "not a display name"),
        ("name on two lines", [{"name": "Tanium\nSSO", "templateId": TANIUM["templateId"]}], "not a display name"),
        ("name too long", [{"name": "T" * 121, "templateId": TANIUM["templateId"]}], "120"),
        ("unknown item key", [{**TANIUM, "appId": TANIUM["templateId"]}], "appId"),
        ("the same template twice, in two letter cases", [TANIUM, {"name": "Tanium 2", "templateId": TANIUM["templateId"].upper()}], "twice"),
    ],
    "cloudAppSecurity": [
        ("unknown value", "blockEverything", "cloudAppSecurity"),
        ("Graph's sentinel", "unknownFutureValue", "cloudAppSecurity"),
        ("a switch", True, "cloudAppSecurity"),
        ("a list", ["monitorOnly"], "cloudAppSecurity"),
        ("wrong letter case", "MonitorOnly", "cloudAppSecurity"),
    ],
    "userRiskRemediation": [
        ("unknown value", "block", "userRiskRemediation"),
        ("a switch", True, "userRiskRemediation"),
        ("both", ["riskRemediation", "passwordChange"], "userRiskRemediation"),
        ("wrong letter case", "RiskRemediation", "userRiskRemediation"),
    ],
    "replaceRingGroups": [
        ("YAML 1.1 yes", "yes", "replaceRingGroups"),
        ("a number", 1, "replaceRingGroups"),
        ("on", "on", "replaceRingGroups"),
        ("a list", [True], "replaceRingGroups"),
    ],
}
CASES = [(key, *case) for key, cases in BAD.items() for case in cases]


@pytest.mark.parametrize("key,label,value,word", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_bad_input_is_one_line_naming_the_key_in_the_file_and_nothing_is_printed(tmp_path, key, label, value, word):
    result = plan_file(tmp_path, key, value)
    line = one_error_line(result)
    assert result.stdout == ""
    assert key in line and word in line, line


@pytest.mark.parametrize("key,label,value,word", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_the_program_refuses_the_same_input_in_pulumi_s_strings(key, label, value, word):
    problems = program_problems(key, value)
    assert any(key in p and word in p for p in problems), problems


@pytest.mark.parametrize("key,value", [
    ("galleryApps", []), ("galleryApps", [TANIUM]), ("cloudAppSecurity", "monitorOnly"), ("cloudAppSecurity", "blockDownloads"),
    ("cloudAppSecurity", "mcasConfigured"), ("userRiskRemediation", "passwordChange"), ("userRiskRemediation", "riskRemediation"),
    ("replaceRingGroups", "true"), ("replaceRingGroups", False), ("replaceRingGroups", "false"),
])
def test_good_values_plan(tmp_path, key, value):
    result = plan_file(tmp_path, key, value)
    assert result.exit_code == 0, result.stderr


def test_no_application_at_all_is_refused_naming_both_keys(tmp_path):
    doc = copy.deepcopy(DOC)
    doc["config"]["ztb:securityApps"] = []
    doc["config"]["ztb:galleryApps"] = []
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    line = one_error_line(CliRunner().invoke(cli, ["plan", "--config", str(path)], catch_exceptions=False))
    assert "PRIV-CA-08" in line and "ztb:securityApps" in line and "ztb:galleryApps" in line

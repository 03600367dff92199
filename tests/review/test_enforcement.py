"""`enforcesMore` in `ztb review --format json`: the deploy workflow's cue to run `ztb readiness` before `pulumi up`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.conftest import REPO, SAMPLE_STACK
from ztb.cli.review import command

PREVIEWS = REPO / "tests" / "fixtures" / "preview"


def review(path) -> dict:
    result = CliRunner().invoke(command, [str(path), "--config", str(SAMPLE_STACK), "--format", "json"], catch_exceptions=False)
    return json.loads(result.stdout)


def test_report_only_to_enabled_enforces_more(tmp_path):
    text = (PREVIEWS / "update-detailed-diff.json").read_text()
    swapped = (text.replace('"enabledForReportingButNotEnforced"', '"@@RO@@"').replace('"enabled"', '"enabledForReportingButNotEnforced"')
               .replace('"@@RO@@"', '"enabled"'))
    assert swapped != text
    path = tmp_path / "enforce.json"
    path.write_text(swapped)
    lines = review(path)["enforcesMore"]
    assert any(line.startswith("PRIV-CA-05: state: ") for line in lines), lines


def test_weakening_and_neutral_changes_do_not_enforce_more():
    doc = review(PREVIEWS / "update-detailed-diff.json")
    assert not [line for line in doc["enforcesMore"] if ": state: " in line or "excludeGroups" in line]
    assert review(PREVIEWS / "no-changes.json")["enforcesMore"] == []


def test_a_stricter_grant_enforces_more():
    lines = review(PREVIEWS / "update-detailed-diff.json")["enforcesMore"]
    assert "PRIV-CA-01: grantControls.builtInControls: grant controls: mfa added" in lines

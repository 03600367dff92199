"""Bad input to `ztb readiness`: the class of each flag's mistakes, one line, exit 1, nothing read or written."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.conftest import REPO, SAMPLE_STACK
from tests.readiness import browser
from ztb.cli.readiness import command
from ztb.readiness.window import parse_since


def run(*args: str):
    return CliRunner().invoke(command, ["--config", str(SAMPLE_STACK), "--graph-url", "http://127.0.0.1:9", *args], catch_exceptions=False)


def error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("value", [
    "", " ", "14", "d", "14 d", " 14d", "14d ", "14D", "14w", "2m", "1.5d", "-1d", "+1d", "0d", "0h", "014d",
    "1e3d", "14dd", "١٤d", "14\u200bd", "0x10d", "99999999999999999999999d", "14d;rm", "None",
])
def test_since_that_is_not_a_window_is_refused(value):
    line = error_line(run("--since", value))
    assert "--since" in line and "14d or 36h" in line


@pytest.mark.parametrize("value", ["31d", "721h", "9999d", "9999h"])
def test_since_past_the_sign_in_retention_is_refused(value):
    line = error_line(run("--since", value))
    assert "30 days Entra keeps sign-in logs" in line


@pytest.mark.parametrize("value, hours", [("1h", 1), ("36h", 36), ("14d", 336), ("30d", 720), ("720h", 720)])
def test_since_within_the_window(value, hours):
    assert parse_since(value).total_seconds() == hours * 3600


def test_a_long_since_is_cut_in_the_message():
    line = error_line(run("--since", "x" * 5000))
    assert len(line) < 300


@pytest.mark.parametrize("value", ["", "Full", "FULL", "production", "evaluate,pilot", "1", "full "])
def test_unknown_phase_is_refused_with_the_choices(value):
    line = error_line(run("--phase", value))
    assert "evaluate" in line and "pilot" in line and "full" in line


@pytest.mark.parametrize("value", ["pdf", "HTML", "", "sarif"])
def test_unknown_format_is_refused(value):
    error_line(run("--format", value))


def test_bad_config_exits_1_before_any_read(tmp_path):
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  ztb:phase: later\n")
    result = CliRunner().invoke(command, ["--config", str(bad), "--graph-url", "http://127.0.0.1:9"], catch_exceptions=False)
    assert result.exit_code == 1 and "phase" in result.stderr and "Traceback" not in result.stderr


GRAPH_CODE = ("msgraph", "kiota", "azure", "ztb.readiness", "ztb.tenant.role_access", "ztb.tenant.evidence", "ztb.tenant.people",
              "ztb.drift.standing", "ztb.graph.client")


def imported_by(*argv: str) -> list[str]:
    code = ("import sys\nfrom ztb.cli import cli\ntry:\n    cli(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted(sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *argv], cwd=REPO, capture_output=True, text=True, timeout=120)
    return eval(out.stderr.strip().splitlines()[-1])


def test_readiness_help_loads_no_graph_code_and_no_pydantic():
    mods = imported_by("readiness", "--help")
    assert "ztb.cli.readiness" in mods
    assert not [m for m in mods if m.startswith(GRAPH_CODE + ("pydantic", "yaml"))]


def test_other_commands_do_not_import_readiness_or_its_graph_code():
    mods = imported_by("plan", "--config", str(SAMPLE_STACK))
    assert "ztb.model.baseline" in mods
    assert not [m for m in mods if m.startswith(GRAPH_CODE)]


def test_missing_browser_fails_on_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(browser, "_find", lambda *names: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browser.require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium chromium-driver"):
        browser.require_browser()

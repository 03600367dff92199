"""Hostile or broken input gets one line and exit 1, never a traceback and never exit 2 ("drift")."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ztb.cli import cli

from .conftest import REPO, SAMPLE_STACK

DEEP = '{"steps":' + "[" * 100000 + "]" * 100000 + "}"


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


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

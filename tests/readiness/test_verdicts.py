"""Readiness verdicts: why the outcome is "could not tell", named in the one error line (real msgraph-sdk stack, Graph double)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.doubles.graph import graph, graph_server  # noqa: F401  (fixtures)
from tests.readiness.tenant import BREAK_GLASS, READY, report_only_stack, sample_tenant
from ztb.cli.readiness import command


def run(config, *args: str):
    return CliRunner().invoke(command, ["--config", str(config), *args], catch_exceptions=False)


@pytest.fixture
def config(tmp_path):
    return report_only_stack(tmp_path)


def test_a_user_without_a_registration_entry_is_named_with_the_reason(graph, config):
    t = sample_tenant(graph, config)
    del t.registration[READY]
    result = run(config, "--format", "json")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("Error: ready@contoso.com: phishing-resistant method could not be told: "
                                                       "the registration report has no entry for this user")
    assert "no break-glass account is known" not in result.stderr
    assert json.loads(result.stdout)["outcome"] == "unknown"


def test_why_unknown_names_the_phase_people_first_then_the_break_glass_accounts():
    from ztb.readiness.verdicts import Check, CheckName, Person, Readiness, Status

    def person(upn, status):
        return Person(upn, upn, "", [], [Check(CheckName.UNUSED, status, f"{upn} reason", "the fix")])

    bg = person("bg@contoso.onmicrosoft.com", Status.UNKNOWN)
    report = Readiness("full", "7d", "", {"full": ["a@contoso.com"]}, {"a@contoso.com": person("a@contoso.com", Status.READY)}, [bg], [])
    assert report.why_unknown() == ["break-glass account bg@contoso.onmicrosoft.com: not used in the window could not be told: "
                                    "bg@contoso.onmicrosoft.com reason; the fix"]
    report.people["a@contoso.com"] = person("a@contoso.com", Status.UNKNOWN)
    assert report.why_unknown()[0].startswith("a@contoso.com: not used in the window could not be told")
    report.could_not_read = ["sign-in logs could not be read: HTTP 403"]
    assert report.why_unknown() == report.could_not_read
    report.could_not_read, report.break_glass = [], []
    assert "no break-glass account is known" in report.why_unknown()[0] and report.outcome == Status.UNKNOWN

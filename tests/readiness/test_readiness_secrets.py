"""No token in anything `ztb readiness` prints or writes, whatever Graph echoes back."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.doubles.graph import access_token, graph, graph_server  # noqa: F401  (fixtures)
from tests.readiness.tenant import report_only_stack, sample_tenant
from ztb.cli.readiness import command
from ztb.graph.redact import MIN_SHARED

STACK_TENANT = "00000000-0000-0000-0000-00000000c0de"


def leaked(text: str, secret: str) -> bool:
    return any(secret[i:i + MIN_SHARED] in text for i in range(len(secret) - MIN_SHARED + 1))


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
@pytest.mark.parametrize("where, status", [(r"/auditLogs/signIns", 401), (r"userRegistrationDetails", 403),
                                           (r"roleAssignmentScheduleInstances", 401)])
def test_an_error_echoing_the_authorization_header_never_reaches_the_output(graph, tmp_path, monkeypatch, fmt, where, status):
    config = report_only_stack(tmp_path)
    sample_tenant(graph, config)
    token = access_token(STACK_TENANT)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", token)
    graph.echo_authorization(where, status, times=100)
    out = tmp_path / "report"
    result = CliRunner().invoke(command, ["--config", str(config), "--format", fmt, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    written = out.read_text() if out.exists() else ""
    for text in (result.stdout, result.stderr, written):
        assert not leaked(text, token)
    assert "<redacted>" in result.stderr or "<redacted>" in written

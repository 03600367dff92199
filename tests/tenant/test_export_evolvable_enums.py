"""`ztb export` reads Conditional Access policies with Graph's evolvable enum members.

PRIV-CA-04's ``riskRemediation`` comes after ``unknownFutureValue`` in Graph's enum: a read without
``Prefer: include-unknown-enum-members`` gets the sentinel instead (the Graph double answers so),
and drift could not tell the tenant's policy from a broken one.
"""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from tests.doubles.graph import graph, graph_server  # noqa: F401 (fixtures)
from tests.doubles.tenant import serve
from ztb.cli.drift import command as drift_command
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.tenant import export
from ztb.tenant.ideal import ideal_snapshot

IDEAL = ideal_snapshot(build(load_stack_file(SAMPLE_STACK)))
POLICIES = "/identity/conditionalAccess/policies"


def drift():
    return CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--format", "json"], catch_exceptions=False)


def test_live_drift_reads_risk_remediation_and_the_tenant_is_in_sync(graph):
    serve(graph, copy.deepcopy(IDEAL))
    result = drift()
    assert result.exit_code == 0, result.stdout
    (read,) = graph.sent("GET", f"{POLICIES}$")
    assert "include-unknown-enum-members" in {k.lower(): v for k, v in read.headers.items()}.get("prefer", "")


def test_without_the_header_the_same_tenant_would_look_weakened(graph, monkeypatch):
    monkeypatch.setattr(export, "HEADERS", {})
    serve(graph, copy.deepcopy(IDEAL))
    result = drift()
    assert result.exit_code == 2
    found = {f["controlId"]: f for f in json.loads(result.stdout)["findings"]}
    assert set(found) == {"PRIV-CA-04"} and found["PRIV-CA-04"]["impact"] == "weakens"

"""The example tenant snapshot is reproducible and shows exactly the drift its script describes."""

from __future__ import annotations

import importlib.util
import json

from click.testing import CliRunner

from tests.conftest import REPO, SAMPLE_STACK
from ztb.cli.drift import command as drift_command
from ztb.tenant.snapshot import dumps, load

_spec = importlib.util.spec_from_file_location("make_tenant_snapshot", REPO / "examples" / "make_tenant_snapshot.py")
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)
SNAPSHOT = REPO / "examples" / "tenant-snapshot.json"


def test_example_snapshot_is_what_its_script_generates():
    assert SNAPSHOT.read_text(encoding="utf-8") == dumps(example.drifted()) + "\n"
    load(str(SNAPSHOT))  # and it is a valid snapshot


def test_example_snapshot_shows_the_described_drift_and_none_of_the_noise():
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--snapshot", str(SNAPSHOT), "--format", "json"])
    assert result.exit_code == 2, result.stderr
    found = {f["controlId"]: (f["status"], f["impact"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {cid: (status, impact) for cid, (status, impact, _) in example.EXPECTED.items()}


def test_nightly_workflow_signs_in_with_oidc_and_opens_an_issue_on_exit_2():
    import yaml

    doc = yaml.safe_load((REPO / "examples" / "workflows" / "drift-nightly.yml").read_text())
    triggers = doc[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"]
    assert doc["permissions"]["id-token"] == "write" and doc["permissions"]["issues"] == "write"
    steps = doc["jobs"]["drift"]["steps"]
    login = next(s for s in steps if s.get("uses", "").startswith("azure/login@"))
    assert "client-secret" not in login["with"] and "creds" not in login["with"]
    scripts = "\n".join(s.get("run", "") for s in steps)
    assert "ztb export" in scripts and "ztb drift" in scripts and "gh issue create" in scripts
    issue = next(s for s in steps if "gh issue" in s.get("run", ""))
    assert issue["if"] == "steps.drift.outputs.exit == '2'"
    assert any(s.get("if") == "steps.drift.outputs.exit == '2'" and "exit 2" in s.get("run", "") for s in steps)

"""Every documented command prints what it printed before the architecture move (issue 12).

tests/fixtures/golden/ holds the stdout, stderr and exit code of `ztb plan`, `roles`, `drift` and
`review` on the shipped sample stack, example tenant snapshot and preview fixtures, recorded from
the code before the move. A refactor that changes any of them is not a refactor: if a change of
output is intended, it belongs in a commit of its own that says so and re-records the files with
`ZTB_RECORD_GOLDEN=1 venv/bin/python -m pytest -q tests/test_outputs_unchanged.py` (then read the
diff: it is the change of output the commit claims, and nothing else).
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from tests.conftest import REPO
from ztb.cli import cli

GOLDEN = REPO / "tests" / "fixtures" / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_the_command_prints_what_it_printed_before(name, monkeypatch):
    monkeypatch.chdir(REPO)
    case = MANIFEST[name]
    result = CliRunner().invoke(cli, case["args"], catch_exceptions=False)
    if os.environ.get("ZTB_RECORD_GOLDEN") == "1":
        (GOLDEN / name).write_text(result.stdout, encoding="utf-8")
        case["exit"], case["stderr"] = result.exit_code, result.stderr
        (GOLDEN / "manifest.json").write_text(json.dumps(MANIFEST, indent=2) + "\n", encoding="utf-8")
    assert result.exit_code == case["exit"], (case["args"], result.stderr)
    assert result.stdout == (GOLDEN / name).read_text(encoding="utf-8"), case["args"]
    assert result.stderr == case["stderr"], case["args"]

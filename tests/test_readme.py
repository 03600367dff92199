"""The README tells the truth: its commands, controls and CI command match the code."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tests.model.test_model import SAMPLE

README = (REPO / "README.md").read_text()


def test_readme_documents_every_control_of_the_sample_stack():
    documented = set(re.findall(r"\| (PRIV-[A-Z]+-[0-9A-Za-z.&;-]+)", README))
    patterns = {
        "group": lambda i: i in documented or (i.startswith("PRIV-GRP-1") and "PRIV-GRP-11..13" in documented),
        "roleManagementPolicy": lambda i: "PRIV-PIM-&lt;role&gt;" in documented,
        "roleEligibility": lambda i: "PRIV-ELIG-&lt;principal&gt;-&lt;role&gt;" in documented,
        "accessReviewScheduleDefinition": lambda i: i in documented or "PRIV-REV-&lt;role&gt;" in documented,
        "groupRoleManagementPolicy": lambda i: "PRIV-PIMG-&lt;group&gt;-MEMBER" in documented,
        "roleManagementAlertConfiguration": lambda i: "PRIV-ALERT-GA" in documented and i.split("-")[-1] in README,
    }
    for c in SAMPLE.controls:
        check = patterns.get(c.kind, lambda i: i in documented)
        assert check(c.id), c.id


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in ci
    block = README.split("<!-- test-command -->", 1)[1].split("```")[1]
    assert "pytest" in block and "pip install" in block


def test_every_package_is_listed_for_installation():
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(REPO).parent.parts) for p in (REPO / "ztb").rglob("__init__.py")}
    assert found - {"ztb.stacks"} <= listed

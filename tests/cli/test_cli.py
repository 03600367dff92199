"""`ztb plan` and `ztb roles` as users run them: output contracts, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ztb.catalogue import roles as rc
from ztb.cli import cli

from tests.conftest import REPO, SAMPLE_STACK

EMERGENCY = {"0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_stack(tmp_path: Path, change) -> str:
    doc = yaml.safe_load(SAMPLE_STACK.read_text())
    change(doc["config"])
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_plan_json_lists_every_control_with_id_kind_name_and_desired_json():
    result = run("plan", "--config", str(SAMPLE_STACK), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    kinds = {c["kind"] for c in doc["controls"]}
    assert {"group", "conditionalAccessPolicy", "roleManagementPolicy", "deviceCompliancePolicy", "manualCheck"} <= kinds
    for c in doc["controls"]:
        assert {"id", "kind", "displayName", "desired", "crosswalk"} <= set(c)
    policies = [c for c in doc["controls"] if c["kind"] == "conditionalAccessPolicy"]
    assert len(policies) == 13  # PRIV-CA-01..13 (PRIV-CA-13 on the sample's authentication context)
    for p in policies:
        assert "${group:emergencyAccess}" in p["desired"]["conditions"]["users"]["excludeGroups"]
        assert EMERGENCY <= set(p["desired"]["conditions"]["users"]["excludeUsers"])


def test_plan_json_phishing_resistant_policy_includes_all_37_template_ids():
    doc = json.loads(run("plan", "--config", str(SAMPLE_STACK), "--format", "json").stdout)
    ca01 = next(c for c in doc["controls"] if c["id"] == "PRIV-CA-01")
    assert set(ca01["desired"]["conditions"]["users"]["includeRoles"]) == {r.template_id for r in rc.default_scope()}
    assert len(ca01["desired"]["conditions"]["users"]["includeRoles"]) == 37
    assert "MS.AAD.3.6v1" in ca01["crosswalk"]


def test_plan_table_and_markdown_show_the_crosswalk():
    table = run("plan", "--config", str(SAMPLE_STACK)).stdout
    assert "PRIV-CA-01" in table and "MS.AAD.3.6v1" in table
    md = run("plan", "--config", str(SAMPLE_STACK), "--format", "markdown").stdout
    assert md.startswith("## Privileged-access baseline") and "| PRIV-CA-01 |" in md and "### Manual checks" in md


def test_missing_break_glass_is_one_line_exit_1_and_no_output(tmp_path):
    path = write_stack(tmp_path, lambda c: c.pop("ztb:emergencyAccessUserIds"))
    result = run("plan", "--config", path, "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "emergency-access" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("change,expected", [
    (lambda c: c.__setitem__("ztb:emergencyAccessUserIds", ["not-a-guid"]), "is not an object ID"),
    (lambda c: c.__setitem__("ztb:phaze", "full"), "config key 'ztb:phaze' is not known; did you mean 'phase'?"),
    (lambda c: c["ztb:pim"].__setitem__("mailbox", "x@y.z"), "valid keys here: activationMaxDuration"),
    (lambda c: c.__setitem__("ztb:roles", {"add": ["Global Admnistrator"]}), "did you mean 'Global Administrator'?"),
    (lambda c: c.__setitem__("ztb:phase", "rollout"), "ztb:phase"),
    (lambda c: c["ztb:pim"].__setitem__("activationMaxDuration", "PT48H"), "between PT30M and PT24H"),
    (lambda c: c["ztb:pim"].pop("approverGroupId"), "approverGroupId"),
    (lambda c: c.pop("ztb:pim"), "config key 'ztb:pim' is required"),
    (lambda c: (c.__setitem__("ztb:securityApps", []), c.__setitem__("ztb:galleryApps", [])), "PRIV-CA-08"),
    (lambda c: c.__setitem__("ztb:reportOnlyControls", ["PRIV-CA-7"]), "did you mean 'PRIV-CA-07'?"),
    (lambda c: c.__setitem__("ztb:signInFrequencyHours", True), "is not a whole number"),
    (lambda c: c["ztb:eligibility"].__setitem__("0B5E0A11-0000-4000-8000-000000000001", ["Global Reader"]), "break-glass account"),
    (lambda c: c.__setitem__("ztb:groupOwners", ["0ca0e8c1-0000-4000-8000-000000000003"]), "owners are users or service principals"),
])
def test_bad_config_gives_one_clear_line_per_problem(tmp_path, change, expected):
    path = write_stack(tmp_path, change)
    result = run("plan", "--config", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert expected in result.stderr
    assert all(line.startswith("Error: ") for line in result.stderr.strip().splitlines())
    assert "Traceback" not in result.stderr


def test_every_problem_is_reported_in_one_round_trip(tmp_path):
    def change(c):
        c.pop("ztb:emergencyAccessUserIds")
        c["ztb:roles"] = {"add": ["Global Admnistrator"]}
    result = run("plan", "--config", write_stack(tmp_path, change))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 2


@pytest.mark.parametrize("content,expected", [
    ("config: [\n", "not valid YAML"),
    ("name: x\n", "no 'config:' mapping"),
    ("config:\n  phase: full\n", "has no namespace"),
])
def test_unreadable_stack_files_fail_in_one_line(tmp_path, content, expected):
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(content)
    result = run("plan", "--config", str(path))
    assert result.exit_code == 1 and expected in result.stderr and "Traceback" not in result.stderr


def test_removing_hybrid_identity_administrator_warns_and_still_plans(tmp_path):
    path = write_stack(tmp_path, lambda c: c.__setitem__("ztb:roles", {"remove": ["Hybrid Identity Administrator"]}))
    result = run("plan", "--config", path, "--format", "json")
    assert result.exit_code == 0
    assert "Warning: role 'Hybrid Identity Administrator' is removed from scope" in result.stderr
    assert "CISA SCuBA" in result.stderr
    assert len(json.loads(result.stdout)["scope"]) == 36


def test_roles_lists_the_37_with_flags_and_coverage():
    doc = json.loads(run("roles", "--config", str(SAMPLE_STACK), "--format", "json").stdout)
    assert len(doc["roles"]) == 37
    assert all(r["covered"] for r in doc["roles"])
    hybrid = next(r for r in doc["roles"] if r["name"] == "Hybrid Identity Administrator")
    assert hybrid == {"name": "Hybrid Identity Administrator", "templateId": "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
                      "privileged": True, "msAdmin14": False, "cisaHigh": True, "secops": False,
                      "msPhishResistantAdmins": False, "msAdminRolesInclude": False, "covered": True}
    assert "37 of 37 roles covered" in run("roles", "--config", str(SAMPLE_STACK)).stdout


SDKS = ("msgraph", "kiota", "azure", "pulumi")  # prefixes: msgraph_core, kiota_http, pulumi_azuread ...


def loaded_after(*commands: list[str]) -> set[str]:
    """Top-level packages in sys.modules after running each `ztb` command in one fresh process."""
    code = (
        "import sys; from click.testing import CliRunner; from ztb.cli import cli\n"
        f"for args in {list(commands)!r}:\n"
        "    r = CliRunner().invoke(cli, args); assert r.exit_code in (0, 2), (args, r.output)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    return set(out.split())


def test_offline_commands_never_import_msgraph():
    """plan, roles, review and drift of a snapshot run without the Graph SDK, Azure identity or Pulumi
    (each costs start-up time)."""
    loaded = loaded_after(
        ["plan", "--config", str(SAMPLE_STACK), "--format", "json"],
        ["roles", "--config", str(SAMPLE_STACK)],
        ["review", str(REPO / "tests/fixtures/preview/update-detailed-diff.json"), "--config", str(SAMPLE_STACK)],
        ["review", str(REPO / "tests/fixtures/preview/update-detailed-diff.json")],
        ["drift", "--config", str(SAMPLE_STACK), "--snapshot", str(REPO / "examples/tenant-snapshot.json")],
    )
    assert "ztb" in loaded
    assert sorted(m for m in loaded if m.startswith(SDKS)) == []


def test_help_loads_neither_the_model_nor_the_config_reader():
    """`ztb --help` and `ztb <command> --help` import click and ztb.cli only: commands load the library when they run."""
    loaded = loaded_after(["--help"], ["plan", "--help"], ["drift", "--help"], ["review", "--help"])
    assert not loaded & {"pydantic", "yaml"}
    assert sorted(m for m in loaded if m.startswith(SDKS)) == []


def test_every_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for name, command in cli.commands.items():
        assert command.help, name
        assert f"ztb {name}" in readme, name


def test_the_library_raises_ztb_errors_and_leaves_click_and_exit_codes_to_the_cli():
    """One base error: the CLI prints any of them as `Error:` lines; no module outside ztb/cli/ knows click or exit codes."""
    import importlib
    import re

    from ztb.errors import ZtbError

    user_errors = {
        "ztb.config": "ConfigError", "ztb.tenant.snapshot": "SnapshotError", "ztb.tenant.export": "ExportError",
        "ztb.drift.report": "DriftError", "ztb.review.preview": "PreviewError", "ztb.graph.errors": "GraphError",
        "ztb.graph.token": "MalformedToken", "ztb.providers": "ProviderError", "ztb.model.controls": "UnresolvedReferenceError",
        "ztb.model.conditional_access": "MissingExclusionError", "ztb.deploy.azuread": "UnsupportedByAzureadError",
        "ztb.catalogue.roles": "UnknownRoleError",
    }
    for module, name in user_errors.items():
        assert issubclass(getattr(importlib.import_module(module), name), ZtbError), (module, name)
    library = [p for p in (REPO / "ztb").rglob("*.py") if "cli" not in p.relative_to(REPO / "ztb").parts]
    assert library
    for path in library:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import click|from click)", text, re.M), path
        assert not re.search(r"\bEXIT_(OK|ERROR|CHANGES|WEAKENS)\b", text), path

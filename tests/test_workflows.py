"""The example GitHub workflows: valid YAML, OIDC sign-in, and only commands and flags that exist.

`ztb` commands are parsed by ztb's own click objects. Pulumi cannot be installed here, so its
flags are checked against the ones `pulumi preview` and `pulumi up` register in
pulumi/pulumi pkg/cmd/pulumi/operations/{preview,up}.go (plus the root command's persistent flags).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = REPO / "examples" / "workflows"
FILES = ["pr-review.yml", "deploy.yml"]

_SHARED = {
    "--stack", "-s", "--config-file", "--config", "-c", "--config-path", "--debug", "-d", "--diff",
    "--expect-no-changes", "--message", "-m", "--target", "-t", "--exclude", "-x", "--replace", "--target-replace",
    "--target-dependents", "--exclude-dependents", "--policy-pack", "--policy-pack-config", "--json", "-j",
    "--parallel", "-p", "--refresh", "-r", "--show-config", "--show-policy-remediations", "--show-replacement-steps",
    "--show-sames", "--show-reads", "--show-secrets", "--suppress-outputs", "--suppress-progress", "--suppress-permalink",
    "--attach-debugger",
}
_GLOBAL = {"--non-interactive", "--color", "--cwd", "-C", "--emoji", "-e", "--verbose", "-v", "--logtostderr",
           "--logflow", "--disable-integrity-checking", "--fully-qualify-stack-names", "-Q", "--tracing", "--profiling"}
PULUMI_FLAGS = {
    "preview": _SHARED | _GLOBAL | {"--import-file", "--save-plan"},
    "up": _SHARED | _GLOBAL | {"--yes", "-y", "--skip-preview", "-f", "--run-program", "--show-full-output",
                               "--continue-on-error", "--plan", "--strict", "--neo"},
}
#: Flags that take a value (the next word, unless written --flag=value).
PULUMI_VALUED = {"--stack", "-s", "--config-file", "--config", "-c", "--message", "-m", "--target", "-t", "--exclude",
                 "-x", "--replace", "--target-replace", "--policy-pack", "--policy-pack-config", "--parallel", "-p",
                 "--color", "--cwd", "-C", "--verbose", "-v", "--import-file", "--save-plan", "--plan", "--tracing",
                 "--profiling"}


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(doc: dict) -> dict:
    return doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


def commands(doc: dict) -> list[list[str]]:
    """Every simple command the workflow's `run:` scripts execute, with ${{ }} and $VARS expanded
    from the workflow's env, cut at redirections and pipes."""
    env = {k: str(v) for k, v in (doc.get("env") or {}).items()}
    out = []
    for s in steps(doc):
        script = s.get("run")
        if not script:
            continue
        script = re.sub(r"\$\{\{[^}]*\}\}", "EXPR", script.replace("\\\n", " "))
        for line in script.splitlines():
            for part in re.split(r"&&|\|\||;", line):
                words = shlex.split(part, comments=True)
                cut = next((i for i, w in enumerate(words) if w in (">", ">>", "|", "2>") or w.startswith(">")), len(words))
                words = [re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), m.group(0)), w) for w in words[:cut]]
                if words:
                    out.append(words)
    return out


def redirect_target(doc: dict, program: str) -> list[str]:
    """Files the commands of `program` write with `>`."""
    env = {k: str(v) for k, v in (doc.get("env") or {}).items()}
    targets = []
    for s in steps(doc):
        for m in re.finditer(rf"{program}[^\n]*?(?:\\\n[^\n]*?)*>\s*(\S+)", s.get("run") or ""):
            targets.append(re.sub(r"\$(\w+)", lambda x: env.get(x.group(1), x.group(0)), m.group(1)))
    return targets


@pytest.mark.parametrize("name", FILES)
def test_workflow_is_yaml_with_jobs_and_steps(name):
    doc = workflow(name)
    assert doc["name"] and triggers(doc) and doc["jobs"]
    for job in doc["jobs"].values():
        assert job["runs-on"] and all("uses" in s or "run" in s for s in job["steps"])


def test_pr_review_runs_on_pull_requests_and_deploy_on_merge():
    assert "pull_request" in triggers(workflow("pr-review.yml"))
    assert triggers(workflow("deploy.yml"))["push"]["branches"] == ["main"]


@pytest.mark.parametrize("name", FILES)
def test_sign_in_is_oidc_with_no_stored_azure_secret(name):
    doc = workflow(name)
    text = (WORKFLOWS / name).read_text()
    assert doc["permissions"]["id-token"] == "write"
    assert doc["env"]["ARM_USE_OIDC"] == "true"
    assert {"ARM_CLIENT_ID", "ARM_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"} <= set(doc["env"])
    assert set(re.findall(r"secrets\.(\w+)", text)) == {"PULUMI_ACCESS_TOKEN"}
    login = next(s for s in steps(doc) if str(s.get("uses", "")).startswith("azure/login@"))
    assert {"client-id", "tenant-id"} <= set(login["with"]) and not {"creds", "client-secret"} & set(login["with"])
    assert "ARM_CLIENT_SECRET" not in text and "AZURE_CLIENT_SECRET" not in text


def _ztb_group() -> click.Group:
    from ztb.cli import cli

    return cli


def ztb_problems(words: list[str]) -> list[str]:
    """Why ztb would refuse this command line (unknown command, flag or choice), or a file it names that is missing."""
    cli = _ztb_group()
    name, args = (words[1] if len(words) > 1 else ""), words[2:]
    if name not in cli.commands:
        return [f"`ztb {name}` is not a ztb command (ztb/cli.py registers {sorted(cli.commands)})"]
    try:
        ctx = cli.commands[name].make_context(name, list(args))
    except click.UsageError as e:
        return [f"`{' '.join(words)}`: {e.format_message()}"]
    config = ctx.params.get("config_path")
    return [f"{config} is not in the repository"] if config and not (REPO / config).is_file() else []


def pulumi_problems(words: list[str]) -> list[str]:
    sub, flags = words[1], [w.split("=", 1)[0] for w in words[2:] if w.startswith("-")]
    if sub not in PULUMI_FLAGS:
        return [f"`pulumi {sub}` is not checked here"]
    problems = [f"`pulumi {sub}` has no flag {f}" for f in flags if f not in PULUMI_FLAGS[sub]]
    packs, configs = _values(words, "--policy-pack"), _values(words, "--policy-pack-config")
    if configs and len(configs) != len(packs):  # pulumi's validatePolicyPackConfig: one config per pack
        problems.append("the number of --policy-pack-config flags must match the number of --policy-pack flags")
    problems += [f"--policy-pack {p} is not a policy pack" for p in packs if not (REPO / p / "PulumiPolicy.yaml").is_file()]
    problems += [f"--policy-pack-config {c} is not in the repository" for c in configs if not (REPO / c).is_file()]
    return problems


@pytest.mark.parametrize("name", FILES + ["drift-nightly.yml"])
def test_every_ztb_command_exists_with_those_flags(name):
    runs = [c for c in commands(workflow(name)) if Path(c[0]).name == "ztb"]
    assert runs
    assert [p for c in runs for p in ztb_problems(c)] == [], name


@pytest.mark.parametrize("name", FILES)
def test_every_pulumi_command_uses_real_flags(name):
    runs = [c for c in commands(workflow(name)) if c[0] == "pulumi"]
    assert runs
    assert [p for c in runs for p in pulumi_problems(c)] == [], name


def test_the_checks_refuse_what_does_not_exist():
    assert ztb_problems(["ztb", "reveiw", "preview.json"])
    assert ztb_problems(["ztb", "plan", "--colour"])
    assert ztb_problems(["ztb", "plan", "--config", "Pulumi.nope.yaml"])
    assert pulumi_problems(["pulumi", "preview", "--jsonn"])
    assert pulumi_problems(["pulumi", "up", "--yes", "--policy-pack", "policy", "--policy-pack-config", "a.json", "--policy-pack-config", "b.json"])
    assert pulumi_problems(["pulumi", "up", "--policy-pack", "examples"])
    assert pulumi_problems(["pulumi", "preview", "--approve"])


def test_pr_review_gates_on_weakening_and_reviews_the_preview_it_wrote():
    doc = workflow("pr-review.yml")
    runs = commands(doc)
    reviews = [c for c in runs if Path(c[0]).name == "ztb" and c[1] == "review"]
    gate = [c for c in reviews if "--fail-on" in c]
    assert len(gate) == 1 and gate[0][gate[0].index("--fail-on") + 1] == "weakens"
    assert redirect_target(doc, "pulumi preview") == ["preview.json"]
    assert all(c[2] == "preview.json" for c in reviews)
    comment = next(s for s in steps(doc) if "sticky-pull-request-comment" in str(s.get("uses", "")))
    assert comment["with"]["path"] in redirect_target(doc, "ztb review")


def _values(words: list[str], flag: str) -> list[str]:
    out = []
    for i, w in enumerate(words):
        if w == flag:
            out.append(words[i + 1])
        elif w.startswith(flag + "="):
            out.append(w.split("=", 1)[1])
    return out


def test_preview_is_json_with_the_policy_pack_and_up_is_unattended_with_it():
    previews = [c for n in FILES for c in commands(workflow(n)) if c[:2] == ["pulumi", "preview"]]
    ups = [c for c in commands(workflow("deploy.yml")) if c[:2] == ["pulumi", "up"]]
    assert previews and all("--json" in c and "policy" in _values(c, "--policy-pack") for c in previews)
    assert len(ups) == 1 and "--yes" in ups[0] and _values(ups[0], "--policy-pack") == ["policy"]
    assert not any(c[:2] == ["pulumi", "up"] for c in commands(workflow("pr-review.yml"))), "a pull request never deploys"


def test_deploy_gates_enforcement_on_readiness_before_pulumi_up():
    doc = workflow("deploy.yml")
    runs = commands(doc)
    names = [" ".join(c[:2]) for c in runs]
    review_json = next(i for i, c in enumerate(runs) if c[:2] == ["venv/bin/ztb", "review"] and "json" in c)
    readiness = next(i for i, c in enumerate(runs) if c[:2] == ["venv/bin/ztb", "readiness"])
    up = next(i for i, c in enumerate(runs) if c[:2] == ["pulumi", "up"])
    assert review_json < readiness < up, names
    gate = next(s["run"] for s in steps(doc) if "ztb readiness" in (s.get("run") or ""))
    assert ".enforcesMore | length > 0" in gate and "exit $status" in gate and "|| status=$?" in gate


def test_the_nightly_first_run_hands_drift_no_previous_result():
    # `--previous` refuses a file that is not an earlier `ztb drift --format json` result of this
    # tenant (fail closed), so the first run, with nothing restored from the cache, passes none.
    runs = [c for c in commands(workflow("drift-nightly.yml")) if c[:2] == ["ztb", "drift"] and "json" in c]
    assert len(runs) == 2
    with_history, first = runs
    assert "--previous" in with_history and "--audit" in with_history
    assert "--previous" not in first and "--audit" not in first
    assert "echo '{\"inSync\": true" not in (WORKFLOWS / "drift-nightly.yml").read_text()


def test_the_nightly_drift_judges_standing_access_from_its_snapshot_alone():
    # `ztb export` writes the role schedules into the snapshot: every drift run compares that one
    # read (PRIV-MAN-04 included), none reads Graph a second time with --standing-access.
    runs = [c for c in commands(workflow("drift-nightly.yml")) if c[:2] == ["ztb", "drift"]]
    assert len(runs) == 4 and all("--snapshot" in c and "--standing-access" not in c for c in runs)
    assert any(c[:2] == ["ztb", "export"] for c in commands(workflow("drift-nightly.yml")))

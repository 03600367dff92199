"""Benchmark: how long a whole `ztb` process takes, start to exit, for the offline commands.

    python bench/startup_bench.py [--runs 7] [--repo DIR] [--cold] [--against DIR]

Each command runs as its own process (``python -c "from ztb.cli import main; main()" ...``, what
the ``ztb`` script does), ``--runs`` times after one warm-up run, from the repository root with
that repository's ``ztb`` first on the path; the table gives the median, the fastest and the
slowest wall time, and the median CPU time (user + system: what the process itself costs, which a
busy machine inflates less than the wall time). ``ztb plan`` and ``ztb review`` on the sample are held to
:data:`TARGET_SECONDS` (issue 12); the exit status is 1 when either median is over it.

Bytecode is cached as for an installed package: the runs get their own ``PYTHONPYCACHEPREFIX``
(a temporary directory, so the tree stays clean) even when the environment sets
``PYTHONDONTWRITEBYTECODE``, and the warm-up run fills it. ``--cold`` keeps the environment as it
is, which with ``PYTHONDONTWRITEBYTECODE`` compiles every module of ztb on every run.

The floor rows are what any `ztb` command pays before ztb's own code runs: the interpreter, then
click and PyYAML (every command reads a YAML stack config), then pydantic (the config's schema),
whose first model class also loads its schema machinery.
``--repo`` measures another checkout with the same interpreter; ``--against DIR`` runs plan and
review alternately in DIR and the measured checkout, the before/after comparison that holds on a
machine whose load changes while it runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.3
MAIN = "import sys; from ztb.cli import main; sys.argv[0] = 'ztb'; main()"

#: (label, python -c code, ztb arguments, held to the target)
ROWS: list[tuple[str, str, list[str], bool]] = [
    ("python -c pass (floor)", "pass", [], False),
    ("import click, yaml (floor)", "import click, yaml", [], False),
    ("import click, yaml, pydantic.BaseModel (floor)", "import click, yaml; from pydantic import BaseModel", [], False),
    # The first model class pays for pydantic's schema machinery (imported lazily): what a
    # pydantic-validated config costs before its own keys are looked at.
    ("... and one pydantic model class (floor)",
     "import click, yaml\nfrom pydantic import BaseModel\nclass M(BaseModel):\n    x: int = 0", [], False),
    ("ztb --help", MAIN, ["--help"], False),
    ("ztb plan --config Pulumi.dev.yaml", MAIN, ["plan", "--config", "Pulumi.dev.yaml"], True),
    ("ztb review tests/fixtures/preview/update-detailed-diff.json", MAIN,
     ["review", "tests/fixtures/preview/update-detailed-diff.json"], True),
    ("ztb drift --snapshot examples/tenant-snapshot.json", MAIN,
     ["drift", "--config", "Pulumi.dev.yaml", "--snapshot", "examples/tenant-snapshot.json"], False),
]


def child_env(repo: Path, cache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo), *filter(None, [env.get("PYTHONPATH")])])
    if cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


def run_once(code: str, args: list[str], repo: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one process; CPU time varies less on a busy machine."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=repo, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def measure(code: str, args: list[str], runs: int, repo: Path, env: dict[str, str]) -> tuple[list[float], list[float], int]:
    run_once(code, args, repo, env)  # warm-up: the bytecode cache, the page cache
    results = [run_once(code, args, repo, env) for _ in range(runs)]
    return [r[0] for r in results], [r[1] for r in results], results[-1][2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout to measure (default: this one)")
    parser.add_argument("--cold", action="store_true", help="keep the environment's bytecode settings")
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout: the target commands run alternately in both, a before/after on a busy machine")
    args = parser.parse_args()
    repo = args.repo.resolve()
    if args.against is not None:
        return against(repo, args.against.resolve(), args.runs)
    over = []
    with tempfile.TemporaryDirectory(prefix="ztb-pyc-") as cache:
        env = child_env(repo, None if args.cold else cache)
        print(f"{repo}, {sys.executable} (Python {sys.version.split()[0]}), {args.runs} runs each, "
              f"bytecode {'as the environment has it' if args.cold else 'cached'}\n")
        print("| command | median s | min s | max s | CPU s | exit | target |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for label, code, ztb_args, held in ROWS:
            walls, cpus, code_ = measure(code, ztb_args, args.runs, repo, env)
            median = statistics.median(walls)
            verdict = ""
            if held:
                verdict = f"<= {TARGET_SECONDS}" if median <= TARGET_SECONDS else f"OVER {TARGET_SECONDS}"
                if median > TARGET_SECONDS:
                    over.append(label)
            print(f"| {label} | {median:.3f} | {min(walls):.3f} | {max(walls):.3f} | {statistics.median(cpus):.3f} | {code_} | {verdict} |")
    if over:
        print(f"\nover the {TARGET_SECONDS} s target: {', '.join(over)}")
    return 1 if over else 0


def against(repo: Path, other: Path, runs: int) -> int:
    """The target commands, each run alternately in ``other`` and ``repo``: load that comes and goes
    on a shared machine then falls on both alike, so a few milliseconds' difference shows."""
    with tempfile.TemporaryDirectory(prefix="ztb-pyc-") as a, tempfile.TemporaryDirectory(prefix="ztb-pyc-") as b:
        trees = [(other, child_env(other, a)), (repo, child_env(repo, b))]
        print(f"{other} (before) against {repo} (after), {runs} alternating runs each, bytecode cached\n")
        print("| command | before median s | before CPU s | after median s | after CPU s |")
        print("|---|---:|---:|---:|---:|")
        for label, code, ztb_args, held in ROWS:
            if not held:
                continue
            for tree, env in trees:
                run_once(code, ztb_args, tree, env)  # warm-up
            results: list[list[tuple[float, float, int]]] = [[], []]
            for _ in range(runs):
                for i, (tree, env) in enumerate(trees):
                    results[i].append(run_once(code, ztb_args, tree, env))
            cells = [f"{statistics.median(r[0] for r in rs):.3f} | {statistics.median(r[1] for r in rs):.3f}" for rs in results]
            print(f"| {label} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

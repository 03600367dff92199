"""The drift benchmark still runs and still shows paged reads beating per-object reads."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO


def test_drift_bench_small_tenant_agrees_and_needs_fewer_requests():
    out = subprocess.run(
        [sys.executable, "bench/drift_bench.py", "--ca", "60", "--roles", "40", "--groups", "200", "--referenced", "30", "--page-size", "20"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "both readers agree: True" in out.stdout and "2 findings" in out.stdout
    ztb = int(re.search(r"\| ztb \(paged lists\) \| (\d+) \|", out.stdout).group(1))
    naive = int(re.search(r"\| naive \(one object at a time\) \| (\d+) \|", out.stdout).group(1))
    # 3 CA pages, 2 each for PIM policies, their assignments and role definitions (40 roles), one
    # page each for named locations, strengths and compliance, the stack's groups by name, and
    # ceil(32 / 15) requests for the 30 referenced groups plus the two the config names,
    # /organization (the tenant check), and one $batch for the members and owners of the 6
    # baseline groups (12 sub-requests); then the device objects: app protection (iOS and Android
    # lists), Intune's settings and the active role assignments, one request each; and the sample's
    # 38 access reviews (2 pages of 20), its authentication context, its PIM alert configurations and
    # its one PIM-for-Groups group's policies; and standing access: one $batch of the role schedule
    # instances and activations, one $batch of the users they name, one /groups list of the PIM group
    # and one $batch of its transitive members.
    assert ztb == 3 + 2 + 2 + 2 + 3 + 1 + 3 + 1 + 1 + 2 + 1 + 1 + 2 + 1 + 1 + 1 + 3 + 1
    assert naive > 5 * ztb

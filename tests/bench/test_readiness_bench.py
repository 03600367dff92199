"""The readiness benchmark still runs, both readers agree, and ztb's requests grow with pages, not people."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO


def test_readiness_bench_small_tenant_agrees_and_needs_fewer_requests():
    out = subprocess.run([sys.executable, "bench/readiness_bench.py", "--admins", "45", "--devices", "300", "--sign-ins", "2000",
                          "--page-size", "20", "--runs", "1"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "both readers agree: True" in out.stdout
    ztb = int(re.search(r"\| ztb \(filtered by 15 IDs, \$batch\) \| (\d+) \|", out.stdout).group(1))
    per_user = int(re.search(r"\| per-user \(one list per user and source\) \| (\d+) \|", out.stdout).group(1))
    assert per_user > 2 * ztb

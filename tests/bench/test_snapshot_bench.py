"""The snapshot benchmark still builds a snapshot within the limits and measures the three cases."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO


def test_snapshot_bench_runs_on_a_small_fraction_with_the_expected_exit_codes():
    # 0.1: the sample's ideal snapshot (access reviews, PIM for Groups, alerts: about 0.5 MiB) is a fixed part that
    # does not scale with the fraction, and below about 0.08 it alone leaves no room for the scaled items.
    out = subprocess.run([sys.executable, "bench/snapshot_bench.py", "--runs", "1", "--fraction", "0.1"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = dict(re.findall(r"^\| ([^|]+?) \| [^|]+ \| (\d) \|", out.stdout, re.M))
    assert rows == {"sample stack, ideal snapshot": "0", "largest allowed snapshot": "2", "660 MB file (refused at the limit)": "1"}
    assert "100 conditionalAccessPolicies" in out.stdout and "limit 32 MiB" in out.stdout

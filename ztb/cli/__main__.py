"""`python -m ztb.cli`: the same as the `ztb` script."""

from __future__ import annotations

from ztb.cli import main

main()

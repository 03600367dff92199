"""Protection levels and rollout phases, read from the YAML data in ``stacks/``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

import ztb.stacks
from ztb.data import read_text


@lru_cache(maxsize=None)
def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load(read_text(name, ztb.stacks))


def level(name: str) -> dict[str, Any]:
    return _load("levels.yaml")["levels"][name]


def phase(name: str) -> dict[str, Any]:
    return _load("phases.yaml")["phases"][name]


def rings() -> dict[str, Any]:
    return _load("phases.yaml")["rings"]

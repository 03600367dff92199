"""The stack config as the Pulumi program sees it, through the same validation as `ztb plan`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.runtime import config as runtime_config

from ztb.config import ConfigError, split_namespace, validated

if TYPE_CHECKING:
    from ztb.model.baseline import Baseline


def raw_stack_config() -> dict[str, Any]:
    # The engine hands config to the program as PULUMI_CONFIG; tests and the Automation API set it
    # in-process. pulumi.Config offers no listing, and unknown keys must be found, so read both.
    return {**(runtime_config.get_config_env() or {}), **runtime_config.CONFIG.get()}


def load_baseline() -> Baseline:
    """The baseline of the validated config (built once, by the checks `ztb plan` runs too), or a
    clean failure: each problem logged as one line, nothing declared."""
    try:
        return validated(split_namespace(raw_stack_config(), "stack config"))
    except ConfigError as e:
        for problem in e.problems:
            pulumi.log.error(problem)
        raise pulumi.RunError(f"stack config has {len(e.problems)} problem(s); nothing was declared") from None

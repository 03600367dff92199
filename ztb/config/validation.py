"""One validation for both paths (the program's config and a stack file): schema, then the checks across keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ztb.config.problems import MAX_DEPTH, ConfigError, messages
from ztb.config.schema import BaselineConfig

if TYPE_CHECKING:
    from ztb.model.baseline import Baseline


def validate(values: dict[str, Any]) -> BaselineConfig:
    """Validate the ``ztb:`` keys (namespace already stripped); raise ConfigError listing every problem."""
    return validated(values).config


def validated(values: dict[str, Any]) -> Baseline:
    """The baseline of the validated ``ztb:`` keys; ConfigError listing every problem.

    After the schema come the checks across keys and, last, those of the baseline built from the
    config, as pulumi-azuread and the engine would make them (:mod:`ztb.model.checks`), so
    `ztb plan` refuses what `pulumi preview` would. The baseline those checks built is returned,
    so a command does not build it a second time.
    """
    try:
        cfg = BaselineConfig.model_validate(values)
    except ValidationError as e:
        raise ConfigError(messages(e, BaselineConfig)) from None
    except RecursionError:
        raise ConfigError([f"config is nested too deeply (more than {MAX_DEPTH} levels); a stack config needs at most 4"]) from None
    from ztb.model import checks  # deferred: the model imports this module

    return checks.checked(cfg)

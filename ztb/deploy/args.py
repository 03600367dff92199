"""What a component is given: the controls of its kind and the group IDs their inputs may name.

Components take these typed arguments rather than the whole ``Baseline``: a component deploys
what it is handed and never goes back to the config, so plan, drift and review see everything a
component decides in the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Optional, Sequence, TypeVar

import pulumi

from ztb.model.baseline import Baseline
from ztb.model.controls import Control, Kind
from ztb.providers import resolve_inputs

_Args = TypeVar("_Args", bound="ControlsArgs")


@dataclass(frozen=True)
class ControlsArgs:
    """The controls of one kind (``KIND``) and group key -> object ID for ``${group:...}`` inputs."""

    KIND: ClassVar[Kind]

    controls: Sequence[Control]
    group_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    @classmethod
    def of(cls: type[_Args], baseline: Baseline, group_ids: Optional[Mapping[str, pulumi.Input[str]]] = None) -> _Args:
        return cls(controls=baseline.of_kind(cls.KIND), group_ids=group_ids or {})


def dynamic_props(
    control: Control, inputs: dict[str, Any], keys: Sequence[str], group_ids: Mapping[str, pulumi.Input[str]],
    graph_url: Optional[pulumi.Input[str]],
) -> dict[str, Any]:
    """Inputs of a ztb dynamic resource: the control's inputs with groups resolved, its ID, the Graph URL."""
    props = resolve_inputs(inputs, dict(group_ids), tuple(keys))
    props["controlId"] = control.id
    if graph_url is not None:
        props["graphUrl"] = graph_url
    return props

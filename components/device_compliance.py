"""DeviceCompliance: Intune compliance for privileged devices (Graph beta), assigned to the privileged group."""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi

from ztb.model.baseline import Baseline
from ztb.providers import resolve_inputs
from ztb.providers.compliance import DeviceCompliancePolicy, inputs_from_desired


class DeviceCompliance(pulumi.ComponentResource):
    """The baseline's Windows compliance policy, and assignments of existing policies by ID.

    A policy the stack creates is deleted with the stack; for an existing policy the stack only
    adds (and on destroy removes) its own assignment, keeping every other assignment.
    """

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        baseline: Baseline,
        group_ids: Mapping[str, pulumi.Input[str]],
        graph_url: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__("ztb:index:DeviceCompliance", name, {}, opts)
        self.policy_ids = {}
        for control in baseline.of_kind("deviceCompliancePolicy"):
            inputs = inputs_from_desired(control.desired, assign_only=bool(control.meta.get("assignOnly")))
            props = resolve_inputs(inputs, dict(group_ids), tuple(inputs))
            props["controlId"] = control.id
            if graph_url is not None:
                props["graphUrl"] = graph_url
            policy = DeviceCompliancePolicy(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self))
            self.policy_ids[control.id] = policy.id
        self.register_outputs({"policyIds": self.policy_ids})

"""DeviceCompliance: Intune compliance for privileged devices, one policy per allowed platform, assigned to
the groups PRIV-CA-03 includes (each through the Graph version its control names)."""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi

from ztb.deploy.args import ControlsArgs, dynamic_props
from ztb.model.controls import Kind
from ztb.providers import import_options
from ztb.providers.compliance import DeviceCompliancePolicy, inputs_from_desired


class DeviceComplianceArgs(ControlsArgs):
    """The ``deviceCompliancePolicy`` controls, and the group IDs their assignments name."""

    KIND = Kind.DEVICE_COMPLIANCE_POLICY


class DeviceCompliance(pulumi.ComponentResource):
    """The baseline's compliance policies (one per allowed platform), and assignments of existing policies by ID.

    A policy the stack creates is deleted with the stack; for an existing policy the stack only
    adds (and on destroy removes) its own assignment, keeping every other assignment.

    ``import_ids`` (control ID -> Intune policy ID) adopts an existing policy as the managed one
    through ``ResourceOptions(import_=...)``: ``pulumi import`` cannot adopt a dynamic resource
    (pulumi/pulumi#16175). The engine refuses the import unless the live policy already matches the
    declared one; adopt first with matching settings, then change them in a later ``pulumi up``.
    Inputs that name a group the stack creates are resolved key by key, so the policy body stays
    known on the first preview while its assignments wait for the group's object ID.
    """

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: DeviceComplianceArgs,
        graph_url: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
        import_ids: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__("ztb:index:DeviceCompliance", name, {}, opts)
        self.policy_ids = {}
        controls = args.controls
        # Assign-only controls adopt their existing policy on create; only a managed one is imported.
        imports = import_options(import_ids, [c.id for c in controls if not c.meta.assign_only], "DeviceCompliance")
        for control in controls:
            inputs = inputs_from_desired(control.desired, assign_only=control.meta.assign_only,
                                         graph_version=control.meta.graph_version)
            props = dynamic_props(control, inputs, tuple(inputs), args.group_ids, graph_url)
            policy = DeviceCompliancePolicy(
                f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self, import_=imports.get(control.id))
            )
            self.policy_ids[control.id] = policy.id
        self.register_outputs({"policyIds": self.policy_ids})

"""AppProtection: Intune app protection Level 3 on the allowed phone platforms, assigned like compliance."""

from __future__ import annotations

from typing import Optional

import pulumi

from ztb.deploy.args import ControlsArgs, dynamic_props
from ztb.model.controls import Kind
from ztb.providers.app_protection import AppProtectionPolicy, inputs_from_desired


class AppProtectionArgs(ControlsArgs):
    """The ``managedAppProtection`` controls, and the group IDs their assignments name."""

    KIND = Kind.APP_PROTECTION_POLICY


class AppProtection(pulumi.ComponentResource):
    """PRIV-MAM-01 (iOS/iPadOS) and PRIV-MAM-02 (Android): what PRIV-CA-12's protected-app grant relies on.

    Each policy is created, assigned to the groups PRIV-CA-03 includes and deleted with the stack;
    the body stays known on the first preview while the assignments wait for the groups' object IDs.
    """

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AppProtectionArgs, graph_url: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:AppProtection", name, {}, opts)
        self.policy_ids = {}
        for control in args.controls:
            inputs = inputs_from_desired(control.desired, control.meta.graph_version)
            props = dynamic_props(control, inputs, tuple(inputs), args.group_ids, graph_url)
            policy = AppProtectionPolicy(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self))
            self.policy_ids[control.id] = policy.id
        self.register_outputs({"policyIds": self.policy_ids})

"""PimRoleSettings: PIM settings (the managed policy rules) of every privileged directory role."""

from __future__ import annotations

from typing import Optional

import pulumi

from ztb.deploy.args import ControlsArgs, dynamic_props
from ztb.model.controls import Kind
from ztb.providers.pim import RoleManagementPolicy

INPUT_KEYS = ("roleDefinitionId", "scopeId", "scopeType", "rules")


class PimRoleSettingsArgs(ControlsArgs):
    """The ``roleManagementPolicy`` controls, and the group IDs their rules may name (approvers)."""

    KIND = Kind.ROLE_MANAGEMENT_POLICY


class PimRoleSettings(pulumi.ComponentResource):
    """One ``RoleManagementPolicy`` per ``roleManagementPolicy`` control of the baseline.

    Graph cannot create or delete a role's PIM policy: each child adopts the role's existing
    policy and PATCHes only the managed rules that differ; destroying leaves the tenant's
    settings as they are (see ``ztb.providers.pim``).
    """

    policy_ids: dict[str, pulumi.Output[str]]
    #: Role template ID -> its policy resource, so eligibility can wait for the role's rules.
    policies_by_role: dict[str, RoleManagementPolicy]

    def __init__(
        self,
        name: str,
        args: PimRoleSettingsArgs,
        graph_url: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__("ztb:index:PimRoleSettings", name, {}, opts)
        self.policy_ids = {}
        self.policies_by_role = {}
        for control in args.controls:
            props = dynamic_props(control, control.desired, INPUT_KEYS, args.group_ids, graph_url)
            policy = RoleManagementPolicy(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self))
            self.policy_ids[control.id] = policy.id
            self.policies_by_role[control.meta.template_id] = policy
        self.register_outputs({"policyIds": self.policy_ids})

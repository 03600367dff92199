"""RoleEligibility: time-bound eligible (never standing) role assignments for the mapped admins."""

from __future__ import annotations

from typing import Optional

import pulumi

from ztb.deploy.args import ControlsArgs, dynamic_props
from ztb.deploy.pim_role_settings import PimRoleSettings
from ztb.model.controls import Kind
from ztb.providers.eligibility import RoleEligibility as EligibilityResource

INPUT_KEYS = ("action", "principalId", "roleDefinitionId", "directoryScopeId", "justification", "scheduleInfo")


class RoleEligibilityArgs(ControlsArgs):
    """The ``roleEligibility`` controls, and the group IDs their inputs may name."""

    KIND = Kind.ROLE_ELIGIBILITY


class RoleEligibility(pulumi.ComponentResource):
    """One expiring eligibility per ``roleEligibility`` control (``ztb:eligibility`` in the config).

    Given the stack's ``PimRoleSettings``, each eligibility waits for its role's PIM rules, so a
    new role's ``Expiration_Admin_Eligibility`` is in place before the request is checked against it.
    """

    schedule_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: RoleEligibilityArgs,
        pim: Optional[PimRoleSettings] = None,
        graph_url: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__("ztb:index:RoleEligibility", name, {}, opts)
        self.schedule_ids = {}
        for control in args.controls:
            meta = control.meta
            props = dynamic_props(control, control.desired, INPUT_KEYS, args.group_ids, graph_url)
            depends_on = []
            if pim is not None and meta.template_id in pim.policies_by_role:
                depends_on.append(pim.policies_by_role[meta.template_id])
            # Earlier versions named the resource after the principal's first GUID segment, which
            # two principals can share; the alias keeps existing stacks' eligibilities in place.
            aliases = [pulumi.Alias(name=f"{name}-{legacy.lower()}") for legacy in meta.legacy_ids]
            resource = EligibilityResource(
                f"{name}-{control.id.lower()}", props,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, aliases=aliases),
            )
            self.schedule_ids[control.id] = resource.id
        self.register_outputs({"scheduleIds": self.schedule_ids})

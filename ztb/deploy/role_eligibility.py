"""RoleEligibility: time-bound eligible (never standing) role assignments for the mapped admins."""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi

from ztb.model.baseline import Baseline
from ztb.providers import resolve_inputs
from ztb.providers.eligibility import RoleEligibility as EligibilityResource

from ztb.deploy.pim_role_settings import PimRoleSettings

INPUT_KEYS = ("action", "principalId", "roleDefinitionId", "directoryScopeId", "justification", "scheduleInfo")


class RoleEligibility(pulumi.ComponentResource):
    """One expiring eligibility per ``roleEligibility`` control (``ztb:eligibility`` in the config).

    Given the stack's ``PimRoleSettings``, each eligibility waits for its role's PIM rules, so a
    new role's ``Expiration_Admin_Eligibility`` is in place before the request is checked against it.
    """

    schedule_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        baseline: Baseline,
        group_ids: Optional[Mapping[str, pulumi.Input[str]]] = None,
        pim: Optional[PimRoleSettings] = None,
        graph_url: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__("ztb:index:RoleEligibility", name, {}, opts)
        self.schedule_ids = {}
        for control in baseline.of_kind("roleEligibility"):
            props = resolve_inputs(control.desired, dict(group_ids or {}), INPUT_KEYS)
            props["controlId"] = control.id
            if graph_url is not None:
                props["graphUrl"] = graph_url
            depends_on = []
            if pim is not None and control.meta["templateId"] in pim.policies_by_role:
                depends_on.append(pim.policies_by_role[control.meta["templateId"]])
            # Earlier versions named the resource after the principal's first GUID segment, which
            # two principals can share; the alias keeps existing stacks' eligibilities in place.
            aliases = [pulumi.Alias(name=f"{name}-{legacy.lower()}") for legacy in control.meta.get("legacyIds", [])]
            resource = EligibilityResource(
                f"{name}-{control.id.lower()}", props,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, aliases=aliases),
            )
            self.schedule_ids[control.id] = resource.id
        self.register_outputs({"scheduleIds": self.schedule_ids})

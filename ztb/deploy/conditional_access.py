"""PrivilegedConditionalAccess: the dedicated CA policy set for admin and SecOps accounts."""

from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
import pulumi_azuread as azuread

from ztb.deploy.azuread import to_args, to_azuread
from ztb.model import groups as g
from ztb.model.baseline import Baseline
from ztb.model.conditional_access import MissingExclusionError
from ztb.model.controls import group_ref, resolve_refs


def _require_ids(values: list[Any], policy: str) -> list[Any]:
    missing = [v for v in values if not v]
    if missing:
        raise MissingExclusionError(f"{policy}: an excluded or included group resolved to no object ID; refusing to deploy")
    return values


class PrivilegedConditionalAccess(pulumi.ComponentResource):
    """Every privileged CA policy of the model, deployed through pulumi-azuread.

    Construction fails unless each policy excludes the emergency-access group; the check runs
    again on the resolved object IDs, because the lockout to prevent is an exclusion list that is
    empty at apply time.
    """

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        baseline: Baseline,
        group_ids: Mapping[str, pulumi.Input[str]],
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        super().__init__("ztb:index:PrivilegedConditionalAccess", name, {}, opts)
        if g.EMERGENCY not in group_ids:
            raise MissingExclusionError("PrivilegedConditionalAccess needs the emergency-access group's ID; none was given")
        emergency = baseline.config.emergencyAccessGroupId or group_ref(g.EMERGENCY)
        # Groups the config names by ID appear in the model as literal IDs; tie them to the
        # component's lookups so a group that is not in the tenant fails before any policy exists.
        looked_up = {
            c.meta["objectId"]: group_ids[c.meta["groupKey"]]
            for c in baseline.of_kind("group")
            if "objectId" in c.meta and c.meta["groupKey"] in group_ids
        }
        self.policy_ids = {}
        for control in baseline.of_kind("conditionalAccessPolicy"):
            excluded = control.desired["conditions"]["users"]["excludeGroups"]
            if emergency not in excluded:
                raise MissingExclusionError(f"{control.id}: policy does not exclude the emergency-access group")
            resolved = resolve_refs(control.desired, dict(group_ids))
            wire = to_azuread(resolved)
            users = wire["conditions"]["users"]
            for field in ("excludedGroups", "includedGroups"):
                if field in users:
                    values = [looked_up.get(v, v) if isinstance(v, str) else v for v in users[field]]
                    users[field] = pulumi.Output.all(*values).apply(lambda v, c=control.id: _require_ids(list(v), c))
            policy = azuread.ConditionalAccessPolicy(
                f"{name}-{control.id.lower()}",
                **to_args(wire),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.policy_ids[control.id] = policy.id
        self.register_outputs({"policyIds": self.policy_ids})

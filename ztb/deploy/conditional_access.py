"""PrivilegedConditionalAccess: the dedicated CA policy set for admin and SecOps accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_azuread as azuread

from ztb.deploy.azuread import to_args, to_azuread
from ztb.model import groups as g
from ztb.model.baseline import Baseline
from ztb.model.conditional_access import MissingExclusionError, require_exclusion
from ztb.model.controls import Control, Kind, resolve_refs
from ztb.model.groups import EmergencyAccess


@dataclass(frozen=True)
class ConditionalAccessArgs:
    """What the component deploys: the policies, the groups' IDs and the exclusion they must carry.

    Built and checked once: every policy excludes the emergency-access group and its ID is among
    ``group_ids``, so the component cannot be given a policy set that could lock the tenant out.
    """

    policies: Sequence[Control]
    #: Group key -> object ID (the ``PrivilegedGroups`` outputs).
    group_ids: Mapping[str, pulumi.Input[str]]
    emergency: EmergencyAccess
    #: Group key -> object ID the config names: the model writes these IDs literally into the
    #: policies, the component ties them to its lookups.
    referenced: Mapping[str, str]

    def __post_init__(self) -> None:
        if self.emergency.GROUP_KEY not in self.group_ids:
            raise MissingExclusionError("PrivilegedConditionalAccess needs the emergency-access group's ID; none was given")
        for control in self.policies:
            require_exclusion(control, self.emergency)

    @classmethod
    def of(cls, baseline: Baseline, group_ids: Mapping[str, pulumi.Input[str]]) -> ConditionalAccessArgs:
        from ztb.model.auth_context import is_context_policy

        return cls(
            # A policy on an authentication context is deployed by ztb.deploy.auth_context (pulumi-azuread cannot target one).
            policies=[c for c in baseline.of_kind(Kind.CONDITIONAL_ACCESS_POLICY) if not is_context_policy(c)], group_ids=group_ids,
            emergency=baseline.emergency, referenced=g.known_ids(baseline.of_kind(Kind.GROUP)),
        )


def _require_ids(values: list[Any], policy: str) -> list[Any]:
    missing = [v for v in values if not v]
    if missing:
        raise MissingExclusionError(f"{policy}: an excluded or included group resolved to no object ID; refusing to deploy")
    return values


class PrivilegedConditionalAccess(pulumi.ComponentResource):
    """Every privileged CA policy of the model, deployed through pulumi-azuread.

    The arguments guarantee each policy excludes the emergency-access group; at apply time the
    component checks that every group it names resolved to an object ID, because the lockout to
    prevent is an exclusion list that is empty when it reaches the tenant.
    """

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ConditionalAccessArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:PrivilegedConditionalAccess", name, {}, opts)
        # Groups the config names by ID appear in the model as literal IDs; tie them to the
        # component's lookups so a group that is not in the tenant fails before any policy exists.
        looked_up = {oid: args.group_ids[key] for key, oid in args.referenced.items() if key in args.group_ids}
        self.policy_ids = {}
        for control in args.policies:
            wire = to_azuread(resolve_refs(control.desired, dict(args.group_ids)))
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

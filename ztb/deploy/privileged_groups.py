"""PrivilegedGroups: who the privileged policies include, and who they must never lock out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_azuread as azuread

from ztb.model.baseline import Baseline
from ztb.model.controls import Control, Kind
from ztb.model.groups import EmergencyAccess


@dataclass(frozen=True)
class PrivilegedGroupsArgs:
    """The group controls to deploy, as the model built them (members and owners decided there)."""

    groups: Sequence[Control]

    @classmethod
    def of(cls, baseline: Baseline) -> PrivilegedGroupsArgs:
        return cls(groups=baseline.of_kind(Kind.GROUP))


class PrivilegedGroups(pulumi.ComponentResource):
    """The privileged-users group, the emergency-access exclusion group and the rollout rings.

    Groups the config names by object ID are looked up, not created: a lookup of a group that is
    not there fails the preview, so a typo never becomes an empty exclusion list.

    Created groups get the model's owners and declared members. Owners are always passed: without
    them pulumi-azuread makes the deploying principal the sole owner, and an owner of a
    role-assignable group can change its membership. ``mailNickname`` is ForceNew in the provider,
    so later changes to it are ignored (a rename of ``ztb:namePrefix`` updates display names in
    place instead of replacing the protected emergency-access group).
    """

    #: Group key -> object ID (exported as the stack output ``groupIds``).
    ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: PrivilegedGroupsArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:PrivilegedGroups", name, {}, opts)
        self.ids = {}
        for control in args.groups:
            meta = control.meta
            if not control.managed:
                found = azuread.get_group_output(object_id=meta.object_id, opts=pulumi.InvokeOptions(parent=self))
                self.ids[meta.group_key] = found.object_id
                continue
            d = control.desired
            # Members only where the model declares them (break-glass accounts, eligible admins); an
            # empty or absent list leaves membership to the tenant (rings).
            members = [m["id"] for m in d.get("members") or []]
            group = azuread.Group(
                f"{name}-{control.id.lower()}",
                display_name=d["displayName"],
                description=d["description"],
                security_enabled=d["securityEnabled"],
                mail_enabled=d["mailEnabled"],
                mail_nickname=d["mailNickname"],
                assignable_to_role=d["isAssignableToRole"],
                prevent_duplicate_names=True,
                owners=[o["id"] for o in d["owners"]],
                members=members or None,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=meta.group_key == EmergencyAccess.GROUP_KEY,
                    ignore_changes=list(meta.create_only),
                ),
            )
            self.ids[meta.group_key] = group.object_id
        self.register_outputs({"ids": self.ids})

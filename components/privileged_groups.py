"""PrivilegedGroups: who the privileged policies include, and who they must never lock out."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_azuread as azuread

from ztb.model.baseline import Baseline


class PrivilegedGroups(pulumi.ComponentResource):
    """The privileged-users group, the emergency-access exclusion group and the rollout rings.

    Groups the config names by object ID are looked up, not created: a lookup of a group that is
    not there fails the preview, so a typo never becomes an empty exclusion list.
    """

    ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, baseline: Baseline, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:PrivilegedGroups", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.ids = {}
        members_of_privileged = sorted(baseline.config.eligibility)
        for control in baseline.of_kind("group"):
            key = control.meta["groupKey"]
            if not control.managed:
                found = azuread.get_group_output(object_id=control.meta["objectId"], opts=pulumi.InvokeOptions(parent=self))
                self.ids[key] = found.object_id
                continue
            d = control.desired
            members = [m["id"] for m in d.get("members", [])]
            if key == "privilegedUsers":
                members = members_of_privileged
            group = azuread.Group(
                f"{name}-{control.id.lower()}",
                display_name=d["displayName"],
                description=d["description"],
                security_enabled=d["securityEnabled"],
                mail_enabled=d["mailEnabled"],
                mail_nickname=d["mailNickname"],
                assignable_to_role=d["isAssignableToRole"],
                prevent_duplicate_names=True,
                members=members or None,
                opts=pulumi.ResourceOptions(parent=self, protect=key == "emergencyAccess"),
            )
            self.ids[key] = group.object_id
        self.register_outputs({"ids": self.ids})

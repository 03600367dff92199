"""PimAlerts: PIM's configurable alerts kept enabled (``ztb.providers.pim_alerts``, Graph beta)."""

from __future__ import annotations

from typing import Optional

import pulumi

from ztb.deploy.args import ControlsArgs, dynamic_props
from ztb.model.controls import Kind
from ztb.providers.pim_alerts import RoleManagementAlert


class PimAlertsArgs(ControlsArgs):
    """The PRIV-ALERT-* controls."""

    KIND = Kind.ROLE_MANAGEMENT_ALERT


class PimAlerts(pulumi.ComponentResource):
    """One ``RoleManagementAlert`` per alert control; destroying leaves the alerts as they are."""

    alert_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: PimAlertsArgs, graph_url: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:PimAlerts", name, {}, opts)
        self.alert_ids = {}
        for control in args.controls:
            props = dynamic_props(control, control.desired, ("@odata.type", "scopeId", "scopeType", "isEnabled"), {}, graph_url)
            props["alert"] = control.meta.alert
            alert = RoleManagementAlert(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self))
            self.alert_ids[control.id] = alert.id
        self.register_outputs({"alertIds": self.alert_ids})

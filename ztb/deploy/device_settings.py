"""IntuneComplianceSettings: the tenant-wide secureByDefault setting (PRIV-DEV-20), only when opted in."""

from __future__ import annotations

from typing import Optional

import pulumi

from ztb.deploy.args import ControlsArgs, dynamic_props
from ztb.model.controls import Kind
from ztb.providers.device_settings import DeviceManagementSettings


class IntuneComplianceSettingsArgs(ControlsArgs):
    """The ``deviceManagementSettings`` control the stack manages (none unless opted in)."""

    KIND = Kind.DEVICE_MANAGEMENT_SETTINGS


class IntuneComplianceSettings(pulumi.ComponentResource):
    """Marks devices with no compliance policy assigned as not compliant, for the whole tenant.

    Declared only for a managed control (``ztb:deviceCompliance.secureByDefault: true``): the setting
    reaches every user's devices, not just the admins', so the stack never writes it unasked; drift
    reports it off either way. Destroying the stack restores the value found at creation.
    """

    def __init__(self, name: str, args: IntuneComplianceSettingsArgs, graph_url: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:IntuneComplianceSettings", name, {}, opts)
        self.settings_ids: dict[str, pulumi.Output[str]] = {}
        for control in args.controls:
            if not control.managed:
                continue
            props = dynamic_props(control, dict(control.desired), tuple(control.desired), {}, graph_url)
            resource = DeviceManagementSettings(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self))
            self.settings_ids[control.id] = resource.id
        self.register_outputs({"settingsIds": self.settings_ids})

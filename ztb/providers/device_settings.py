"""Intune's tenant-wide compliance setting ``secureByDefault`` (PRIV-DEV-20), through Graph v1.0.

``deviceManagement.settings`` is one complex value of the tenant's ``deviceManagement`` singleton:
``PATCH /deviceManagement`` replaces it whole, so every write reads the live settings first and
changes only the one the stack manages (the check-in threshold and the scheduled-actions switch
stay as the tenant has them). Create remembers the value it found and delete puts that value back:
destroying the stack does not leave a tenant stricter (or laxer) than it was. The ID is the
constant ``deviceManagementSettings``: a tenant has one.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.providers import OBSERVED, ProviderError, carry_pass_through, failing_as, graph_for, is_unknown, label

SINGLETON = "/deviceManagement"
ID = "deviceManagementSettings"
V1 = "v1.0"
MANAGED = ("secureByDefault",)


class DeviceManagementSettingsProvider(ResourceProvider):
    """The tenant's Intune compliance setting ``secureByDefault``."""

    serialize_as_secret_always = False

    @staticmethod
    def _live(g) -> dict[str, Any]:
        body = g.get_json(SINGLETON, {"$select": "settings"}, version=V1)
        settings = body.get("settings") if isinstance(body, dict) else None
        if not isinstance(settings, dict):
            raise ProviderError("GET /deviceManagement answered without its settings; check DeviceManagementServiceConfig permissions")
        return settings

    @staticmethod
    def _write(g, live: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
        settings = {k: v for k, v in live.items() if not k.startswith("@odata.")} | wanted
        g.patch_json(SINGLETON, {"@odata.type": "#microsoft.graph.deviceManagement", "settings": settings}, version=V1)
        return settings

    @staticmethod
    def _ours(settings: dict[str, Any]) -> dict[str, Any]:
        return {k: settings.get(k) for k in MANAGED}

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        value = news.get("secureByDefault")
        failures = [] if is_unknown(value) or isinstance(value, bool) else [
            CheckFailure("secureByDefault", f"{value!r} is not true or false")]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(is_unknown(news.get(k)) or olds.get(k) != news.get(k) for k in MANAGED)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with failing_as(label(props, "Intune compliance settings")), graph_for(props) as g:
            live = self._live(g)
            written = self._write(g, live, {k: props[k] for k in MANAGED if k in props})
            outs = {**self._ours(written), "previous": self._ours(live), OBSERVED: True}
            return CreateResult(ID, carry_pass_through(props, outs))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with failing_as(label(news, "Intune compliance settings")), graph_for(news) as g:
            written = self._write(g, self._live(g), {k: news[k] for k in MANAGED if k in news})
            outs = {**self._ours(written), "previous": olds.get("previous") or {}, OBSERVED: True}
            return UpdateResult(carry_pass_through(news, outs))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with failing_as(label(props, "Intune compliance settings")), graph_for(props) as g:
            live = self._ours(self._live(g))
        outs = carry_pass_through(props, {**live, "previous": props.get("previous") or {}, OBSERVED: True})
        inputs = None if props.get(OBSERVED) else carry_pass_through(props, dict(live))
        return ReadResult(ID, outs, inputs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        previous = {k: v for k, v in (props.get("previous") or {}).items() if k in MANAGED and isinstance(v, bool)}
        if not previous:
            return  # nothing known to restore: the tenant keeps the setting as it is
        with failing_as(label(props, "Intune compliance settings")), graph_for(props) as g:
            live = self._live(g)
            if self._ours(live) != {**self._ours(live), **previous}:
                self._write(g, live, previous)


class DeviceManagementSettings(pulumi.dynamic.Resource, module="ztb", name="DeviceManagementSettings"):
    """Intune's tenant-wide compliance setting secureByDefault (ID: deviceManagementSettings)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DeviceManagementSettingsProvider(), name, props, opts)

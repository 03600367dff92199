"""PIM alert configurations (Graph **beta** ``roleManagementAlerts/alertConfigurations``): kept enabled.

Every tenant has exactly one configuration per alert; Graph has no create or delete. Like the PIM
role settings, this provider *adopts* the alert's configuration and converges what the stack
manages (``isEnabled``), leaving thresholds as the tenant has them.

* create / update: ``GET /beta/identityGovernance/roleManagementAlerts/alertConfigurations?$filter=
  scopeId eq '/' and scopeType eq 'DirectoryRole'``, find the one whose ID ends in ``_<alert>``,
  and ``PATCH .../alertConfigurations/{id}`` with its ``@odata.type`` and ``isEnabled`` when it differs.
* read: the live configuration. delete: **leaves the alert as it is**, sends nothing (switching it
  off on ``pulumi destroy`` would be a silent weakening).

Resource ID: the configuration ID. Inputs: ``alert`` (e.g. ``StaleSignInAlert``), ``@odata.type``,
``scopeId``, ``scopeType``, ``isEnabled``, optional ``controlId``, ``graphUrl``.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.providers import OBSERVED, ProviderError, any_unknown_input, carry_pass_through, failing_as, graph_for, is_unknown, known_str, label, require

CONFIGS = "/identityGovernance/roleManagementAlerts/alertConfigurations"
BETA = "beta"
DIRECTORY = {"$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'"}
INPUTS = ("alert", "@odata.type", "scopeId", "scopeType", "isEnabled")


class RoleManagementAlertProvider(ResourceProvider):
    """Keeps one PIM alert's configuration enabled; see the module docstring."""

    serialize_as_secret_always = False

    @staticmethod
    def _find(g, alert: str) -> dict:
        found = [c for c in g.list_all(CONFIGS, DIRECTORY, BETA) if str(c.get("id", "")).rsplit("_", 1)[-1].lower() == alert.lower()]
        if len(found) != 1:
            raise ProviderError(f"{len(found)} PIM alert configurations named {alert} at scope '/'; expected one (is PIM licensed in this tenant?)")
        return found[0]

    @staticmethod
    def _outs(props: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        outs = {"alert": props.get("alert"), "@odata.type": live.get("@odata.type") or props.get("@odata.type"),
                "scopeId": live.get("scopeId", "/"), "scopeType": live.get("scopeType", "DirectoryRole"),
                "isEnabled": live.get("isEnabled"), "configurationId": live.get("id"), OBSERVED: True}
        return carry_pass_through(props, outs)

    def _converge(self, g, props: dict[str, Any]) -> dict[str, Any]:
        live = self._find(g, require(props, "alert"))
        want = props.get("isEnabled") is not False
        if live.get("isEnabled") is not want:
            g.patch_json(f"{CONFIGS}/{quote(live['id'])}", {"@odata.type": live.get("@odata.type") or props.get("@odata.type"), "isEnabled": want}, BETA)
            live = {**live, "isEnabled": want}
        return live

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        alert = news.get("alert")
        failures = [] if is_unknown(alert) or known_str(alert) else [CheckFailure("alert", "name the PIM alert, e.g. StaleSignInAlert")]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [] if str(news.get("alert", "")).lower() == str(olds.get("alert", "")).lower() and not is_unknown(news.get("alert")) else ["alert"]
        changes = any_unknown_input(news) or bool(replaces) or (news.get("isEnabled") is not False) is not (olds.get("isEnabled") is True)
        return DiffResult(changes=changes, replaces=replaces, stables=["configurationId"], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with failing_as(label(props, f"PIM alert {props.get('alert')}")), graph_for(props) as g:
            live = self._converge(g, props)
            return CreateResult(live["id"], self._outs(props, live))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with failing_as(label(news, f"PIM alert {news.get('alert')}")), graph_for(news) as g:
            return UpdateResult(self._outs(news, self._converge(g, news)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        alert = known_str(props.get("alert")) or str(id_).rsplit("_", 1)[-1]
        with failing_as(label(props, f"PIM alert {alert}")), graph_for(props) as g:
            live = self._find(g, alert)
        outs = self._outs({**props, "alert": alert}, live)
        inputs = {k: outs[k] for k in INPUTS} if importing else None
        return ReadResult(live["id"], outs, inputs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the alert as it is (see the module docstring): nothing is sent."""
        return None


class RoleManagementAlert(pulumi.dynamic.Resource, module="ztb", name="RoleManagementAlert"):
    """One PIM alert's configuration (ID: the configuration ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(RoleManagementAlertProvider(), name, props, opts)

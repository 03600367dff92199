"""PIM's own alerts, kept enabled: Graph beta ``roleManagementAlerts/alertConfigurations``.

PIM raises alerts for what its settings cannot prevent: too many Global Administrators, eligible
admins who never activate, accounts that stopped signing in, activations renewed over and over.
Graph lets a tenant switch the *configurable* ones off (``isConfigurable`` in the documented
alert definitions); the baseline declares each of those enabled (PRIV-ALERT-*), and drift reports
one turned off. The other three (invalid licence, no MFA on activation, roles assigned outside
PIM) cannot be configured, so there is nothing to declare. Thresholds stay the tenant's: the
Global Administrator count itself is judged elsewhere. Beta only: no v1.0 API exists.
"""

from __future__ import annotations

from ztb.config import BaselineConfig
from ztb.model.controls import Control, Kind
from ztb.model.meta import AlertMeta

SOURCE = "ENTRA pim-how-to-configure-security-alerts.md; GRAPH beta rolemanagementalert-list-alertdefinitions.md (isConfigurable)"
#: Control ID -> (alert name, Graph type, title): the configurable alerts of the documented definitions.
ALERTS = {
    "PRIV-ALERT-GA": ("TooManyGlobalAdminsAssignedToTenantAlert", "tooManyGlobalAdminsAssignedToTenantAlertConfiguration",
                      "There are too many global administrators"),
    "PRIV-ALERT-UNUSED": ("RedundantAssignmentAlert", "redundantAssignmentAlertConfiguration",
                          "Eligible administrators aren't activating their privileged role"),
    "PRIV-ALERT-RENEWALS": ("SequentialActivationRenewalsAlert", "sequentialActivationRenewalsAlertConfiguration",
                            "Roles are being activated too frequently"),
    "PRIV-ALERT-STALE": ("StaleSignInAlert", "staleSignInAlertConfiguration", "Potential stale accounts in a privileged role"),
}


def build(cfg: BaselineConfig) -> list[Control]:
    if not cfg.pim.alerts:
        return []
    return [
        Control(
            id=cid, kind=Kind.ROLE_MANAGEMENT_ALERT, title=f"PIM alert enabled: {title}", display_name=f"PIM alert {name}",
            step=2, principle="Assume breach", level="specialized",
            rationale="PIM's alerts catch what its settings cannot prevent; an alert switched off is a blind spot nobody notices.",
            source=SOURCE,
            desired={"@odata.type": f"#microsoft.graph.{typ}", "scopeId": "/", "scopeType": "DirectoryRole", "isEnabled": True},
            meta=AlertMeta(alert=name),
        )
        for cid, (name, typ, title) in ALERTS.items()
    ]


def alert_name(config_id: str) -> str:
    """The alert a configuration ID names (``DirectoryRole_<tenant>_StaleSignInAlert`` -> ``StaleSignInAlert``)."""
    return str(config_id).rsplit("_", 1)[-1]

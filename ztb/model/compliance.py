"""Intune device compliance for privileged devices (guidance steps 1 and 3).

The Zero Trust settings for privileged devices (firewall, antivirus, TPM, Defender for Endpoint
risk) exist only in Graph beta's windows10CompliancePolicy, so the desired state is in beta's
shape and the policy is read and written through ``/beta``.
"""

from __future__ import annotations

from ztb.config import BaselineConfig
from ztb.model import groups as g
from ztb.model import stacks
from ztb.model.controls import Control, Kind
from ztb.model.meta import ComplianceMeta

SOURCE = "SEC zero-trust-identity-device-access-policies-common.md; Azure/securedworkstation (Specialized profile); GRAPH intune-deviceconfig-windows10compliancepolicy-create.md"


def _assignment(group_id: str) -> dict:
    return {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id}}


def build(cfg: BaselineConfig, refs: dict[str, str]) -> list[Control]:
    dc = cfg.deviceCompliance
    out: list[Control] = []
    assignments = [_assignment(refs[g.PRIVILEGED])]
    if dc.enabled:
        display = f"{cfg.namePrefix} PRIV-DEV-01 Privileged Windows devices"
        out.append(
            Control(
                id="PRIV-DEV-01",
                kind=Kind.DEVICE_COMPLIANCE_POLICY,
                title="Windows compliance for privileged devices",
                display_name=display,
                step=3,
                principle="Verify explicitly",
                level="specialized",
                rationale="Privileged sessions need devices with BitLocker, Secure Boot, code integrity, TPM, firewall, "
                "antimalware and a Defender for Endpoint risk at or under the configured level.",
                source=SOURCE,
                desired={
                    "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
                    "displayName": display,
                    "description": "Zero Trust Specialized security compliance for admin and SecOps devices. Managed by ztb.",
                    "bitLockerEnabled": True,
                    "secureBootEnabled": True,
                    "codeIntegrityEnabled": True,
                    "tpmRequired": True,
                    "osMinimumVersion": dc.osMinimumVersion,
                    "activeFirewallRequired": True,
                    "antivirusRequired": True,
                    "antiSpywareRequired": True,
                    "defenderEnabled": True,
                    "rtpEnabled": True,
                    "signatureOutOfDate": True,
                    "deviceThreatProtectionEnabled": True,
                    "deviceThreatProtectionRequiredSecurityLevel": dc.deviceThreatLevel or stacks.level(cfg.level)["deviceThreatLevel"],
                    "scheduledActionsForRule": [
                        {
                            "ruleName": "PasswordRequired",
                            "scheduledActionConfigurations": [
                                {"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": "", "notificationMessageCCList": []}
                            ],
                        }
                    ],
                    "assignments": assignments,
                },
                meta=ComplianceMeta(),
            )
        )
    for i, pid in enumerate(dc.assignExistingPolicyIds, start=11):
        out.append(
            Control(
                id=f"PRIV-DEV-{i:02d}",
                kind=Kind.DEVICE_COMPLIANCE_POLICY,
                title="Existing compliance policy assigned to privileged users",
                display_name=f"compliance policy {pid}",
                step=3,
                principle="Verify explicitly",
                level="enterprise",
                rationale="An organisation's existing compliance policy also applies to the privileged group.",
                source=SOURCE,
                desired={"id": pid, "assignments": assignments},
                managed=False,
                meta=ComplianceMeta(assign_only=True, policy_id=pid),
            )
        )
    return out

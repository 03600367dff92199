"""Intune device compliance for privileged devices (guidance steps 1 and 3), one policy per allowed platform.

PRIV-CA-03 requires a compliant device on every platform PRIV-CA-07 lets through, so each allowed
platform (``ztb:devicePlatforms``) gets its policy here, at the Specialized values of
:mod:`ztb.model.device_settings`, and every policy is assigned to exactly the groups PRIV-CA-03
includes in the stack's phase (:func:`ztb.model.conditional_access.included_groups`): a ring
member in the evaluate phase is judged by the same policies an admin is in phase full.

Beside the policies: the tenant setting that marks a device with no compliance policy as not
compliant (PRIV-DEV-20, ``secureByDefault``), which the stack writes only when
``ztb:deviceCompliance.secureByDefault`` is true (it is tenant-wide) but drift always checks, and
Intune app protection Level 3 on the phone platforms (PRIV-MAM-01 iOS, PRIV-MAM-02 Android).
"""

from __future__ import annotations

from ztb.config import BaselineConfig
from ztb.model import device_settings as ds
from ztb.model.conditional_access import included_groups
from ztb.model.controls import Control, Kind
from ztb.model.meta import ComplianceMeta

SOURCE = "SEC zero-trust-identity-device-access-policies-common.md; Azure/securedworkstation (Specialized profile); GRAPH intune-deviceconfig-windows10compliancepolicy-create.md"
SECURE_BY_DEFAULT_ID = "PRIV-DEV-20"
#: The one block action Graph requires on create (write-only: a GET does not return it).
BLOCK_ACTION = [{
    "ruleName": "PasswordRequired",
    "scheduledActionConfigurations": [
        {"actionType": "block", "gracePeriodHours": 0, "notificationTemplateId": "", "notificationMessageCCList": []}
    ],
}]


def _assignment(group_id: str) -> dict:
    return {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id}}


def assignments(cfg: BaselineConfig, refs: dict[str, str]) -> list[dict]:
    """The assignments every device policy carries: the groups PRIV-CA-03 includes in this phase."""
    return [_assignment(x) for x in included_groups(cfg, refs)]


def policies_for(platforms: list[str]) -> list[ds.PolicySpec]:
    """The compliance policies the allowed platforms need (Android: work profile and fully managed)."""
    return [p for p in ds.COMPLIANCE_POLICIES if p.platform in platforms]


def _policy(cfg: BaselineConfig, spec: ds.PolicySpec, assigned: list[dict], kind: Kind) -> Control:
    if kind == Kind.DEVICE_COMPLIANCE_POLICY:
        # PRIV-DEV-01's name and description are those of earlier versions: drift matches by name.
        display = f"{cfg.namePrefix} {spec.id} Privileged {spec.title.split(' compliance')[0]} devices"
        description = "Zero Trust Specialized security compliance for admin and SecOps devices. Managed by ztb."
    else:
        display = f"{cfg.namePrefix} {spec.id} Privileged {spec.title.split(' (')[0]}"
        description = "Zero Trust Specialized app protection (Level 3) for admin and SecOps staff. Managed by ztb."
    desired = {**spec.body(cfg), "displayName": display, "description": description}
    if kind == Kind.DEVICE_COMPLIANCE_POLICY:
        desired["scheduledActionsForRule"] = BLOCK_ACTION
    desired["assignments"] = assigned
    return Control(
        id=spec.id, kind=kind, title=spec.title, display_name=display, step=3, principle="Verify explicitly",
        level="specialized", source=spec.source, desired=desired, meta=ComplianceMeta(graph_version=spec.version),
        rationale=f"PRIV-CA-03 lets a privileged user in from {spec.platform} only on a device this policy finds compliant: "
        + "; ".join(dict.fromkeys(s.protects for s in spec.settings[:4])) + ".",
    )


def build(cfg: BaselineConfig, refs: dict[str, str]) -> list[Control]:
    dc = cfg.deviceCompliance
    out: list[Control] = []
    assigned = assignments(cfg, refs)
    if dc.enabled:
        out += [_policy(cfg, spec, assigned, Kind.DEVICE_COMPLIANCE_POLICY)
                for spec in policies_for(cfg.devicePlatforms)]
        out.append(Control(
            id=SECURE_BY_DEFAULT_ID, kind=Kind.DEVICE_MANAGEMENT_SETTINGS,
            title="Devices with no compliance policy are not compliant",
            display_name="Intune compliance policy settings (tenant-wide)", step=3, principle="Verify explicitly",
            level="specialized", source=ds.SRC_SECURE_BY_DEFAULT, desired={"secureByDefault": True},
            rationale="Where Intune marks a device without a compliance policy compliant, an admin's device on a platform "
            "or in a group no policy reaches passes PRIV-CA-03. Tenant-wide: the stack writes it only when "
            "ztb:deviceCompliance.secureByDefault is true; drift checks it either way.",
            managed=dc.secureByDefault,
        ))
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
                desired={"id": pid, "assignments": assigned},
                managed=False,
                meta=ComplianceMeta(assign_only=True, policy_id=pid),
            )
        )
    if cfg.appProtection.enabled:
        out += [_policy(cfg, spec, assigned, Kind.APP_PROTECTION_POLICY)
                for spec in ds.APP_PROTECTION_POLICIES if spec.platform in cfg.devicePlatforms]
    return out

"""PIM settings of privileged directory roles, as the rules of a unifiedRoleManagementPolicy.

Only the rules the baseline manages appear here; the others keep whatever the tenant has. Rule
shapes follow Graph's documented payloads (reference/graph-samples/pim-*.json).
"""

from __future__ import annotations

from typing import Any

from ztb.config import BaselineConfig
from ztb.catalogue.roles import GLOBAL_ADMINISTRATOR, Role, resolve
from ztb.model.controls import Control, Kind
from ztb.model.meta import EligibilityMeta, PimMeta

RULE_TYPE = "#microsoft.graph.unifiedRoleManagementPolicy{}Rule"
SOURCE = "ENTRA pim-deployment-plan.md; GRAPH how-to-pim-update-rules.md; CISA SCuBA MS.AAD.7.x"

#: Rule ID -> (type suffix, caller, level). The rule ID fixes its target; Graph rejects others.
MANAGED_RULES = {
    "Expiration_EndUser_Assignment": ("Expiration", "EndUser", "Assignment"),
    "Enablement_EndUser_Assignment": ("Enablement", "EndUser", "Assignment"),
    "AuthenticationContext_EndUser_Assignment": ("AuthenticationContext", "EndUser", "Assignment"),
    "Approval_EndUser_Assignment": ("Approval", "EndUser", "Assignment"),
    "Expiration_Admin_Eligibility": ("Expiration", "Admin", "Eligibility"),
    "Expiration_Admin_Assignment": ("Expiration", "Admin", "Assignment"),
    "Enablement_Admin_Assignment": ("Enablement", "Admin", "Assignment"),
    "Notification_Admin_Admin_Eligibility": ("Notification", "Admin", "Eligibility"),
    "Notification_Admin_Admin_Assignment": ("Notification", "Admin", "Assignment"),
    "Notification_Admin_EndUser_Assignment": ("Notification", "EndUser", "Assignment"),
}


def _rule(rule_id: str, **body: Any) -> dict[str, Any]:
    suffix, caller, level = MANAGED_RULES[rule_id]
    return {
        "@odata.type": RULE_TYPE.format(suffix),
        "id": rule_id,
        **body,
        "target": {
            "caller": caller,
            "operations": ["All"],
            "level": level,
            "inheritableSettings": [],
            "enforcedSettings": [],
        },
    }


def _notification(rule_id: str, mailbox: str, also: str | None = None) -> dict[str, Any]:
    return _rule(
        rule_id,
        notificationType="Email",
        recipientType="Admin",
        notificationLevel="All",
        isDefaultRecipientsEnabled=True,
        notificationRecipients=[mailbox] + ([also] if also else []),
    )


def rules_for(role: Role, cfg: BaselineConfig) -> list[dict[str, Any]]:
    approval_ids = {resolve(n).template_id for n in cfg.pim.approvalRoles}
    return rules(cfg, role.template_id in approval_ids, role.template_id == GLOBAL_ADMINISTRATOR)


def rules(cfg: BaselineConfig, needs_approval: bool, global_admin: bool = False) -> list[dict[str, Any]]:
    """The managed rules of a PIM policy: a directory role's, or a PIM-for-Groups group's holding such roles.

    MFA on activation stays until the authentication context is backed by an enforced policy
    (:func:`ztb.model.auth_context.activation_gap`); the two are exclusive in PIM (and in
    pulumi-azuread's group policy), so exactly one of them is required. Global Administrator
    activations also reach ``pim.globalAdminNotificationMailbox`` (ScubaGear MS.AAD.7.9).
    """
    from ztb.model.auth_context import activation_gap

    pim = cfg.pim
    context = pim.authenticationContext if activation_gap(cfg) is None else None
    on_activation = ["Justification"]
    if not context:
        on_activation.insert(0, "MultiFactorAuthentication")
    if pim.requireTicket:
        on_activation.append("Ticketing")
    approvers = [{"@odata.type": "#microsoft.graph.groupMembers", "groupId": pim.approverGroupId}] if needs_approval else []
    return [
        _rule(
            "Expiration_EndUser_Assignment",
            isExpirationRequired=True,
            maximumDuration=pim.approvalRolesActivationMaxDuration if needs_approval else pim.activationMaxDuration,
        ),
        _rule("Enablement_EndUser_Assignment", enabledRules=on_activation),
        _rule(
            "AuthenticationContext_EndUser_Assignment",
            isEnabled=bool(context),
            claimValue=context,
        ),
        _rule(
            "Approval_EndUser_Assignment",
            setting={
                "isApprovalRequired": needs_approval,
                "isApprovalRequiredForExtension": False,
                "isRequestorJustificationRequired": True,
                "approvalMode": "SingleStage",
                "approvalStages": [
                    {
                        "approvalStageTimeOutInDays": 1,
                        "isApproverJustificationRequired": True,
                        "escalationTimeInMinutes": 0,
                        "isEscalationEnabled": False,
                        "primaryApprovers": approvers,
                        "escalationApprovers": [],
                    }
                ],
            },
        ),
        _rule("Expiration_Admin_Eligibility", isExpirationRequired=True, maximumDuration=pim.eligibleAssignmentMaxDuration),
        _rule("Expiration_Admin_Assignment", isExpirationRequired=True, maximumDuration=pim.activeAssignmentMaxDuration),
        _rule("Enablement_Admin_Assignment", enabledRules=["MultiFactorAuthentication", "Justification"]),
        _notification("Notification_Admin_Admin_Eligibility", pim.notificationMailbox),
        _notification("Notification_Admin_Admin_Assignment", pim.notificationMailbox),
        _notification("Notification_Admin_EndUser_Assignment", pim.notificationMailbox,
                      pim.globalAdminNotificationMailbox if global_admin else None),
    ]


def _step_two(**fields: Any) -> Control:
    """A control of guidance step 2 (least privilege), at the Specialized level: PIM settings and eligibility."""
    return Control(step=2, principle="Use least privilege access", level="specialized", **fields)


def control_id(role: Role) -> str:
    return f"PRIV-PIM-{role.short_id}"


def build(cfg: BaselineConfig, scope: list[Role]) -> list[Control]:
    approval_ids = {resolve(n).template_id for n in cfg.pim.approvalRoles}
    out = []
    for role in scope:
        approval = role.template_id in approval_ids
        out.append(
            _step_two(
                id=control_id(role),
                kind=Kind.ROLE_MANAGEMENT_POLICY,
                title=f"PIM settings: {role.name}",
                display_name=f"PIM policy for {role.name}",
                rationale=(
                    "Time-bound activation with MFA and justification, no permanent assignments, "
                    + ("approval by a separate approver group, " if approval else "")
                    + "and every assignment and activation reported to the security mailbox."
                ),
                source=SOURCE,
                desired={
                    "scopeId": "/",
                    "scopeType": "DirectoryRole",
                    "roleDefinitionId": role.template_id,
                    "rules": rules_for(role, cfg),
                },
                meta=PimMeta(role_name=role.name, template_id=role.template_id, approval=approval),
            )
        )
    return out


def eligibility_id(principal: str, role: Role) -> str:
    """``PRIV-ELIG-<principal object ID>-<role>``: the whole object ID, so no two principals share one.

    Earlier versions used only the first block of the object ID, which two principals can share
    (the control ID and the Pulumi resource name then collided). The full ID is unique by
    construction and never changes when another principal is added.
    """
    return f"PRIV-ELIG-{principal}-{role.short_id}"


def legacy_eligibility_id(principal: str, role: Role) -> str:
    """The ID earlier versions gave (first block of the object ID): the alias an existing stack needs."""
    return f"PRIV-ELIG-{principal.split('-')[0]}-{role.short_id}"


def eligibility_controls(cfg: BaselineConfig) -> list[Control]:
    """Eligible, not standing, access: each mapped principal becomes eligible, time-bound.

    ``meta.legacy_ids`` holds the ID an earlier version gave the same assignment, so the
    component can declare it as an alias and an existing stack keeps its resources instead of
    replacing them. Where two principals shared that old ID it is left out: the engine refuses two
    resources aliased to one name, and at most one of them can exist in a stack anyway.
    """
    pairs = [(principal, resolve(name)) for principal, names in sorted(cfg.eligibility.items()) for name in names]
    legacy_uses: dict[str, int] = {}
    for principal, role in pairs:
        legacy = legacy_eligibility_id(principal, role)
        legacy_uses[legacy] = legacy_uses.get(legacy, 0) + 1
    out = []
    for principal, role in pairs:
        legacy = legacy_eligibility_id(principal, role)
        out.append(
            _step_two(
                id=eligibility_id(principal, role),
                kind=Kind.ROLE_ELIGIBILITY,
                title=f"Eligible assignment: {role.name}",
                display_name=f"{principal} eligible for {role.name}",
                rationale="Admins hold eligible, time-bound assignments and activate through PIM instead of holding standing access.",
                source="ENTRA pim-deployment-plan.md; CISA SCuBA MS.AAD.7.4v1",
                desired={
                    "action": "adminAssign",
                    "principalId": principal,
                    "roleDefinitionId": role.template_id,
                    "directoryScopeId": "/",
                    "justification": "Privileged baseline: eligible assignment managed by ztb",
                    "scheduleInfo": {
                        "expiration": {"type": "afterDuration", "duration": cfg.pim.eligibleAssignmentMaxDuration}
                    },
                },
                meta=EligibilityMeta(
                    role_name=role.name, template_id=role.template_id, principal_id=principal,
                    legacy_ids=(legacy,) if legacy_uses[legacy] == 1 else (),
                ),
            )
        )
    return out

"""PimGroupSettings: PIM for Groups member and owner settings, through pulumi-azuread's GroupRoleManagementPolicy.

The model writes a group's settings as the Graph rules of a directory role's policy (one notion of
"the role's settings"); :func:`to_azuread` maps them onto the provider's blocks, which is where
its schema differs: activation requires MFA *or* an authentication context (the two conflict in
its schema, as in PIM; the model never asks for both).
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
import pulumi_azuread as azuread

from ztb.deploy.args import ControlsArgs
from ztb.model.controls import Kind


def _by_id(rules: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rules}


def _admins(rule: dict[str, Any]) -> dict[str, Any]:
    return {"admin_notifications": {
        "default_recipients": bool(rule["isDefaultRecipientsEnabled"]), "notification_level": rule["notificationLevel"],
        "additional_recipients": list(rule["notificationRecipients"]),
    }}


def to_azuread(desired: dict[str, Any]) -> dict[str, Any]:
    """GroupRoleManagementPolicy arguments from a ``groupRoleManagementPolicy`` control's desired JSON."""
    r = _by_id(desired["rules"])
    on_activation = set(r["Enablement_EndUser_Assignment"]["enabledRules"])
    context = r["AuthenticationContext_EndUser_Assignment"]
    approval = r["Approval_EndUser_Assignment"]["setting"]
    activation: dict[str, Any] = {
        "maximum_duration": r["Expiration_EndUser_Assignment"]["maximumDuration"],
        "require_justification": "Justification" in on_activation,
        "require_ticket_info": "Ticketing" in on_activation,
        "require_approval": bool(approval["isApprovalRequired"]),
    }
    if context["isEnabled"]:
        activation["required_conditional_access_authentication_context"] = context["claimValue"]
    else:
        activation["require_multifactor_authentication"] = "MultiFactorAuthentication" in on_activation
    if approval["isApprovalRequired"]:
        approvers = approval["approvalStages"][0]["primaryApprovers"]
        activation["approval_stage"] = {"primary_approvers": [{"object_id": a["groupId"], "type": "Group"} for a in approvers]}
    admin_active = set(r["Enablement_Admin_Assignment"]["enabledRules"])
    return {
        "group_id": desired["scopeId"],
        "role_id": desired["roleDefinitionId"],
        "activation_rules": activation,
        "eligible_assignment_rules": {
            "expiration_required": r["Expiration_Admin_Eligibility"]["isExpirationRequired"],
            "expire_after": r["Expiration_Admin_Eligibility"]["maximumDuration"],
        },
        "active_assignment_rules": {
            "expiration_required": r["Expiration_Admin_Assignment"]["isExpirationRequired"],
            "expire_after": r["Expiration_Admin_Assignment"]["maximumDuration"],
            "require_multifactor_authentication": "MultiFactorAuthentication" in admin_active,
            "require_justification": "Justification" in admin_active,
        },
        "notification_rules": {
            "eligible_assignments": _admins(r["Notification_Admin_Admin_Eligibility"]),
            "active_assignments": _admins(r["Notification_Admin_Admin_Assignment"]),
            "eligible_activations": _admins(r["Notification_Admin_EndUser_Assignment"]),
        },
    }


class PimGroupSettingsArgs(ControlsArgs):
    """The PIM-for-Groups controls (PRIV-PIMG-<group>-MEMBER / -OWNER)."""

    KIND = Kind.GROUP_ROLE_MANAGEMENT_POLICY


class PimGroupSettings(pulumi.ComponentResource):
    """One ``GroupRoleManagementPolicy`` per group and access level the baseline names."""

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: PimGroupSettingsArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:PimGroupSettings", name, {}, opts)
        self.policy_ids = {}
        for control in args.controls:
            policy = azuread.GroupRoleManagementPolicy(f"{name}-{control.id.lower()}", **to_azuread(control.desired),
                                                       opts=pulumi.ResourceOptions(parent=self))
            self.policy_ids[control.id] = policy.id
        self.register_outputs({"policyIds": self.policy_ids})

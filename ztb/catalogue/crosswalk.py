"""Which external baseline items a control satisfies, proven on its desired JSON.

A claim is shown only when the item's published criteria hold for the control *as configured*:
removing a CISA role from scope or rolling out report-only drops the claim instead of leaving a
false one in front of an auditor.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Optional

from ztb.catalogue import roles as rc
from ztb.catalogue import strengths

if TYPE_CHECKING:  # the model applies the crosswalk; the crosswalk needs only a control's fields
    from ztb.model.controls import Control

TEMPLATE_REQUIRE_MFA_ADMINS = "ca-template:c7503427-338e-4c5e-902d-abe252abfb43"
TEMPLATE_BLOCK_LEGACY_AUTH = "ca-template:0b2282f9-2862-4178-88b5-d79340b36cb8"
#: "Require phishing-resistant multifactor authentication for admins": 19 roles, phishing-resistant strength.
TEMPLATE_PHISH_RESISTANT_ADMINS = "ca-template:76c03f19-ea37-4656-a772-a183b4ddb81d"
#: "Require password change for high-risk users": mfa AND passwordChange, user risk high, every time.
TEMPLATE_PASSWORD_CHANGE_HIGH_RISK = "ca-template:634b6de7-c38d-4357-a2c7-3842706eedd7"


def _users(p: dict) -> dict:
    return (p.get("conditions") or {}).get("users") or {}


def _apps(p: dict) -> list:
    return ((p.get("conditions") or {}).get("applications") or {}).get("includeApplications") or []


def _strength_combos(p: dict) -> Optional[frozenset[str]]:
    strength = (p.get("grantControls") or {}).get("authenticationStrength") or {}
    return strengths.combinations(strength.get("id", ""))


def _role_ids(flag: str) -> set[str]:
    return {r.template_id for r in rc.catalogue() if r.flags[flag]}


def ms_aad_3_6(p: dict, _c: Control | None = None) -> bool:
    combos = _strength_combos(p)
    return (
        p.get("state") == "enabled"
        and _role_ids("cisaHigh") <= set(_users(p).get("includeRoles") or [])
        and "All" in _apps(p)
        and not (_users(p).get("excludeRoles") or [])
        and combos is not None
        and combos <= strengths.PHISHING_RESISTANT_METHODS
    )


def template_require_mfa_admins(p: dict, _c: Control | None = None) -> bool:
    grant = p.get("grantControls") or {}
    return (
        _role_ids("msAdmin14") <= set(_users(p).get("includeRoles") or [])
        and "All" in _apps(p)
        and ("mfa" in (grant.get("builtInControls") or []) or _strength_combos(p) is not None)
    )


def template_require_mfa_admins_plain(p: dict, c: Control | None = None) -> bool:
    """c7503427 is the *plain* MFA template: claimed only where the policy asks plain MFA, so a
    phishing-resistant PRIV-CA-01 cites the phishing-resistant template instead of this one."""
    combos = _strength_combos(p)
    return template_require_mfa_admins(p, c) and not (combos is not None and combos <= strengths.PHISHING_RESISTANT_METHODS)


def template_phish_resistant_admins(p: dict, _c: Control | None = None) -> bool:
    combos = _strength_combos(p)
    return (
        _role_ids("msPhishResistantAdmins") <= set(_users(p).get("includeRoles") or [])
        and "All" in _apps(p)
        and combos is not None
        and combos <= strengths.PHISHING_RESISTANT_METHODS
    )


def template_password_change_high_risk(p: dict, _c: Control | None = None) -> bool:
    """The template's grant exactly: a risk-remediation PRIV-CA-04 does more and cites no template."""
    cond = p.get("conditions") or {}
    grant = p.get("grantControls") or {}
    freq = (p.get("sessionControls") or {}).get("signInFrequency") or {}
    return (
        "high" in (cond.get("userRiskLevels") or [])
        and "All" in _apps(p)
        and grant.get("operator") == "AND"
        and {"mfa", "passwordChange"} <= set(grant.get("builtInControls") or [])
        and freq.get("frequencyInterval") == "everyTime"
    )


def template_block_legacy(p: dict, _c: Control | None = None) -> bool:
    cond = p.get("conditions") or {}
    return (
        {"exchangeActiveSync", "other"} <= set(cond.get("clientAppTypes") or [])
        and "All" in _apps(p)
        and (p.get("grantControls") or {}).get("builtInControls") == ["block"]
        and bool(_users(p).get("includeRoles"))
    )


def _rule(p: dict, rule_id: str) -> dict:
    return next((r for r in p.get("rules") or [] if r.get("id") == rule_id), {})


def _alerts(p: dict, rule_id: str) -> bool:
    r = _rule(p, rule_id)
    return bool(r.get("notificationRecipients")) and r.get("notificationLevel") in ("All", "Critical")


def ms_aad_7_6(p: dict, _c: Control | None = None) -> bool:
    setting = _rule(p, "Approval_EndUser_Assignment").get("setting") or {}
    stages = setting.get("approvalStages") or []
    return (
        p.get("roleDefinitionId") == rc.GLOBAL_ADMINISTRATOR
        and setting.get("isApprovalRequired") is True
        and bool(stages)
        and all(s.get("primaryApprovers") for s in stages)
    )


def ms_aad_7_7(p: dict, _c: Control | None = None) -> bool:
    return (
        p.get("roleDefinitionId") in _role_ids("cisaHigh")
        and _alerts(p, "Notification_Admin_Admin_Eligibility")
        and _alerts(p, "Notification_Admin_Admin_Assignment")
    )


def ms_aad_7_8(p: dict, _c: Control | None = None) -> bool:
    return p.get("roleDefinitionId") == rc.GLOBAL_ADMINISTRATOR and _alerts(p, "Notification_Admin_EndUser_Assignment")


def ms_aad_7_9(p: dict, _c: Control | None = None) -> bool:
    rid = p.get("roleDefinitionId")
    return rid in _role_ids("cisaHigh") and rid != rc.GLOBAL_ADMINISTRATOR and _alerts(p, "Notification_Admin_EndUser_Assignment")


#: Item -> its criteria, evaluated on a control's desired (or live) Graph JSON.
CRITERIA: dict[str, Callable[[dict, Control | None], bool]] = {
    "MS.AAD.3.6v1": ms_aad_3_6,
    "MS.AAD.7.6v1": ms_aad_7_6,
    "MS.AAD.7.7v1": ms_aad_7_7,
    "MS.AAD.7.8v1": ms_aad_7_8,
    "MS.AAD.7.9v1": ms_aad_7_9,
    TEMPLATE_REQUIRE_MFA_ADMINS: template_require_mfa_admins_plain,
    TEMPLATE_PHISH_RESISTANT_ADMINS: template_phish_resistant_admins,
    TEMPLATE_BLOCK_LEGACY_AUTH: template_block_legacy,
    TEMPLATE_PASSWORD_CHANGE_HIGH_RISK: template_password_change_high_risk,
}


def candidates(control: Control) -> list[str]:
    """What a control is designed to satisfy; :func:`apply` keeps only what holds."""
    if control.id == "PRIV-CA-01":
        return ["MS.AAD.3.6v1", TEMPLATE_PHISH_RESISTANT_ADMINS, TEMPLATE_REQUIRE_MFA_ADMINS]
    if control.id == "PRIV-CA-02":
        return [TEMPLATE_BLOCK_LEGACY_AUTH]
    if control.id == "PRIV-CA-04":
        return [TEMPLATE_PASSWORD_CHANGE_HIGH_RISK]
    if control.kind == "roleManagementPolicy":
        return ["MS.AAD.7.6v1", "MS.AAD.7.7v1", "MS.AAD.7.8v1", "MS.AAD.7.9v1"]
    return []


def holds(item: str, desired: dict[str, Any], control: Control | None = None) -> bool:
    return CRITERIA[item](desired, control)


def apply(controls: list[Control]) -> list[Control]:
    return [replace(c, crosswalk=tuple(i for i in candidates(c) if holds(i, c.desired, c))) for c in controls]

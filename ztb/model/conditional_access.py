"""The dedicated Conditional Access policy set for privileged users, in Graph's JSON shape.

Every policy targets the privileged group *and* the privileged directory roles (in the full
phase; earlier phases target only the rings they have reached) and excludes the emergency-access
group. The exclusion is not optional: :func:`build` refuses to produce a policy without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ztb.errors import ZtbError
from ztb.config import BaselineConfig
from ztb.catalogue import strengths
from ztb.catalogue.roles import Role
from ztb.model import groups as g
from ztb.model import stacks
from ztb.model.controls import Control, Kind
from ztb.model.groups import EmergencyAccess
from ztb.model.meta import PolicyMeta

#: Grant controls only ztb's Graph provider can deploy (pulumi-azuread's schema lacks them).
GRAPH_ONLY_GRANTS = frozenset({"riskRemediation"})

REPORT_ONLY = "enabledForReportingButNotEnforced"

SRC_COMMON = "SEC zero-trust-identity-device-access-policies-common.md"
SRC_ADMIN = "ENTRA concept-conditional-access-policy-common.md (admin templates)"
SRC_COPILOT = (
    "SEC zero-trust-microsoft-copilot-for-security.md; ENTRA policy-all-users-copilot-ai-security.md; "
    "ENTRA policy-all-users-security-copilot.md (the four Security Copilot applications)"
)
SRC_RISK_USER = "ENTRA policy-risk-based-user.md; ENTRA id-protection howto-identity-protection-configure-risk-policies.md (Require risk remediation)"
SRC_SECURITY_INFO = "ENTRA policy-all-users-security-info-registration.md (Temporary Access Pass); CA template b8bda7f8"
SRC_DEVICE_REGISTRATION = "ENTRA policy-all-users-device-registration.md"
SRC_AUTH_FLOWS = "ENTRA policy-block-authentication-flows.md; ENTRA concept-authentication-flows.md"
#: The user actions Graph's conditionalAccessApplications.includeUserActions supports.
REGISTER_SECURITY_INFO = "urn:user:registersecurityinfo"
REGISTER_DEVICE = "urn:user:registerdevice"
#: Graph's conditionalAccessTransferMethods flags, as one comma-separated value.
BLOCKED_TRANSFER_METHODS = "deviceCodeFlow,authenticationTransfer"


class MissingExclusionError(ZtbError, ValueError):
    """A policy without the emergency-access exclusion: the known way to lock a tenant out."""


def require_exclusion(control: Control, emergency: EmergencyAccess) -> None:
    """The one check that a policy excludes the emergency-access group (by ID or by reference).

    The model runs it on every policy it builds and the component on every policy it is given, so
    no code path declares a policy without the exclusion; the component checks again at apply time
    that the reference resolved to an object ID.
    """
    excluded = ((control.desired.get("conditions") or {}).get("users") or {}).get("excludeGroups") or []
    if emergency.ref not in excluded:
        raise MissingExclusionError(f"{control.id}: policy does not exclude the emergency-access group")


def _every_time() -> dict[str, Any]:
    return {
        "signInFrequency": {
            "value": None,
            "type": None,
            "authenticationType": "primaryAndSecondaryAuthentication",
            "frequencyInterval": "everyTime",
            "isEnabled": True,
        }
    }


def _grant(operator: str = "OR", builtin: list[str] | None = None, strength: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operator": operator,
        "builtInControls": builtin or [],
        "customAuthenticationFactors": [],
        "termsOfUse": [],
    }
    if strength:
        out["authenticationStrength"] = {"id": strength}
    return out


def _mfa_grant(level: str, extra_builtin: list[str] | None = None, operator: str = "OR") -> dict[str, Any]:
    spec = stacks.level(level)["mfaGrant"]
    builtin = list(spec.get("builtInControls", [])) + list(extra_builtin or [])
    strength = spec.get("authenticationStrength")
    return _grant(operator, builtin, strengths.id_named(strength) if strength else None)


def included_groups(cfg: BaselineConfig, refs: dict[str, str]) -> list[str]:
    """The groups the privileged policies include in the stack's phase: the rings it has reached,
    and the privileged group from phase full. Device compliance and app protection are assigned to
    exactly these, so nobody a policy checks for a compliant device is judged by no policy."""
    phase = stacks.phase(cfg.phase)
    out = [refs[g.PRIVILEGED]] if phase["includePrivilegedScope"] else []
    return out + [refs[g.RING_KEYS[ring]] for ring in phase["rings"]]


def users_scope(cfg: BaselineConfig, scope: list[Role], refs: dict[str, str]) -> dict[str, Any]:
    phase = stacks.phase(cfg.phase)
    include_roles = [r.template_id for r in scope] if phase["includePrivilegedScope"] else []
    include_groups = included_groups(cfg, refs)
    exclude_groups = [refs[EmergencyAccess.GROUP_KEY]]
    if g.CA_EXCLUSION in refs:
        exclude_groups.append(refs[g.CA_EXCLUSION])
    return {
        "includeUsers": [],
        # Belt and braces: break-glass users the stack knows are excluded by ID as well, so a
        # membership change to the exclusion group alone cannot lock them out.
        "excludeUsers": list(EmergencyAccess.of(cfg).user_ids),
        "includeGroups": include_groups,
        "excludeGroups": exclude_groups,
        "includeRoles": include_roles,
        "excludeRoles": [],
    }


def _apps(include: list[str]) -> dict[str, Any]:
    return {"includeApplications": include, "excludeApplications": [], "includeUserActions": []}


def _user_action(action: str) -> dict[str, Any]:
    return {"includeApplications": [], "excludeApplications": [], "includeUserActions": [action]}


def _risk_remediation(cfg: BaselineConfig) -> tuple[Optional[dict[str, Any]], str, str]:
    """PRIV-CA-04's grant, title and rationale for the configured remediation.

    ``riskRemediation`` is Microsoft's current control (policy-risk-based-user): it covers
    passwordless admins, who have no password to change and would stay blocked under
    ``passwordChange``; the portal adds an authentication strength to it (the level's) and sign-in
    frequency every time. pulumi-azuread cannot express it, so that policy goes through ztb's
    Graph provider. ``passwordChange`` (mfa AND passwordChange) stays selectable for tenants whose
    admins still have passwords.
    """
    if cfg.userRiskRemediation == "passwordChange":
        return (_grant("AND", ["mfa", "passwordChange"]), "High-risk users must change password",
                "A leaked credential is remediated by a secure password change after MFA (mfa AND passwordChange); "
                "passwordless admins have no password to change, so prefer riskRemediation once admins are passwordless.")
    strength = strengths.PHISHING_RESISTANT if cfg.level == "specialized" else strengths.MFA
    return (_grant("AND", ["riskRemediation"], strength), "High-risk users must remediate risk",
            "Require risk remediation covers password and passwordless admins alike (a secure password change, or session "
            "revocation and a fresh strong sign-in), so a high-risk admin is not left blocked until someone dismisses the risk.")


def _app_refs(cfg: BaselineConfig) -> list[str]:
    from ztb.model.apps import app_ref

    return [app_ref(a.templateId) for a in cfg.galleryApps]


def _security_tools_session(cfg: BaselineConfig) -> Optional[dict[str, Any]]:
    if not cfg.cloudAppSecurity:
        return None
    return {"cloudAppSecurity": {"cloudAppSecurityType": cfg.cloudAppSecurity, "isEnabled": True}}


@dataclass(frozen=True)
class Spec:
    """One policy of the set: its provenance and what it asks, before users and state are added."""

    id: str
    step: int
    principle: str
    level: str
    source: str
    title: str
    rationale: str
    #: Graph ``conditions`` other than ``users`` (the same for every policy, from :func:`users_scope`).
    conditions: dict[str, Any]
    grant: Optional[dict[str, Any]]
    session: Optional[dict[str, Any]]


def _specs(cfg: BaselineConfig) -> list[Spec]:
    lvl = stacks.level(cfg.level)
    specialized = cfg.level == "specialized"
    security_apps = [a.appId for a in cfg.securityApps] + _app_refs(cfg)
    risk_grant, risk_title, risk_rationale = _risk_remediation(cfg)
    return [
        Spec(
            id="PRIV-CA-01", step=1, principle="Verify explicitly", level=cfg.level, source=SRC_ADMIN,
            title="Always require phishing-resistant MFA" if specialized else "Always require MFA",
            rationale="Stolen passwords and phishable second factors are how admin accounts fall; the Specialized level requires phishing-resistant methods for every sign-in.",
            conditions=dict(applications=_apps(["All"]), clientAppTypes=["all"]),
            grant=_mfa_grant(cfg.level), session=None,
        ),
        Spec(
            id="PRIV-CA-02", step=1, principle="Verify explicitly", level="starting point", source=SRC_ADMIN,
            title="Block legacy authentication",
            rationale="Clients that cannot do modern authentication cannot do MFA, so they bypass every other control.",
            conditions=dict(applications=_apps(["All"]), clientAppTypes=["exchangeActiveSync", "other"]),
            grant=_grant("OR", ["block"]), session=None,
        ),
        Spec(
            id="PRIV-CA-03", step=1, principle="Verify explicitly", level="enterprise", source=SRC_COMMON,
            title="Require a compliant device",
            rationale="Privileged sessions only from devices Intune reports compliant with the privileged device policy.",
            conditions=dict(applications=_apps(["All"]), clientAppTypes=["all"]),
            grant=_grant("OR", ["compliantDevice"]), session=None,
        ),
        Spec(
            id="PRIV-CA-04", step=1, principle="Assume breach", level="starting point", source=f"{SRC_COMMON}; {SRC_RISK_USER}",
            title=risk_title, rationale=risk_rationale,
            conditions=dict(applications=_apps(["All"]), clientAppTypes=["all"], userRiskLevels=["high"]),
            grant=risk_grant, session=_every_time(),
        ),
        Spec(
            id="PRIV-CA-05", step=1, principle="Assume breach", level=cfg.level, source=SRC_COMMON,
            title="Risky sign-ins require MFA",
            rationale="A risky sign-in to a privileged account must prove itself again, every time.",
            conditions=dict(applications=_apps(["All"]), clientAppTypes=["all"], signInRiskLevels=list(lvl["signInRiskLevels"])),
            grant=_mfa_grant(cfg.level), session=_every_time(),
        ),
        Spec(
            id="PRIV-CA-06", step=1, principle="Assume breach", level="specialized", source=SRC_ADMIN,
            title="Sign-in frequency and no persistent browser session",
            rationale="Short admin sessions and no persistent browser cookies shrink what a stolen session token is worth.",
            conditions=dict(applications=_apps(["All"]), clientAppTypes=["all"]),
            grant=None,
            session={
                "signInFrequency": {
                    "value": cfg.signInFrequencyHours, "type": "hours",
                    "authenticationType": "primaryAndSecondaryAuthentication",
                    "frequencyInterval": "timeBased", "isEnabled": True,
                },
                "persistentBrowser": {"mode": "never", "isEnabled": True},
            },
        ),
        Spec(
            id="PRIV-CA-07", step=3, principle="Verify explicitly", level="specialized", source=SRC_ADMIN,
            title="Block unknown or unsupported device platforms",
            rationale="Device compliance cannot be evaluated on platforms Intune does not manage, so they are blocked outright.",
            conditions=dict(
                applications=_apps(["All"]), clientAppTypes=["all"],
                platforms={"includePlatforms": ["all"], "excludePlatforms": list(cfg.devicePlatforms)},
            ),
            grant=_grant("OR", ["block"]), session=None,
        ),
        Spec(
            id="PRIV-CA-08", step=5, principle="Verify explicitly", level="specialized", source=SRC_COPILOT,
            title="Security tools require phishing-resistant MFA and a compliant device",
            rationale="Security Copilot and the security products it reaches (Microsoft and third-party, e.g. Tanium SSO) hold the most sensitive data, so they get a stricter policy than productivity apps.",
            conditions=dict(applications=_apps(security_apps), clientAppTypes=["all"]),
            grant=_grant("AND", ["compliantDevice"], strengths.PHISHING_RESISTANT), session=_security_tools_session(cfg),
        ),
        Spec(
            id="PRIV-CA-09", step=1, principle="Verify explicitly", level="specialized", source=SRC_SECURITY_INFO,
            title="Registering security information requires MFA or a Temporary Access Pass",
            rationale="Whoever registers a method owns the account: registration needs the MFA strength, which a Temporary "
                      "Access Pass satisfies, so a new admin's first passkey is registered with a TAP issued to them (no "
                      "trusted-location exemption: privileged users register under the same rule everywhere).",
            conditions=dict(applications=_user_action(REGISTER_SECURITY_INFO), clientAppTypes=["all"]),
            grant=_grant("OR", [], strengths.MFA), session=None,
        ),
        Spec(
            id="PRIV-CA-10", step=3, principle="Verify explicitly", level="specialized", source=SRC_DEVICE_REGISTRATION,
            title="Registering or joining devices requires MFA",
            rationale="A device registered to an admin becomes a compliant-device candidate for every privileged policy; "
                      "registration needs the MFA strength (a Temporary Access Pass satisfies it). The tenant's device "
                      "setting 'Require MFA to register or join devices' must be No, or this policy is not enforced.",
            conditions=dict(applications=_user_action(REGISTER_DEVICE), clientAppTypes=["all"]),
            grant=_grant("OR", [], strengths.MFA), session=None,
        ),
        Spec(
            id="PRIV-CA-11", step=1, principle="Assume breach", level="specialized", source=SRC_AUTH_FLOWS,
            title="Block device code flow and authentication transfer",
            rationale="Device code phishing hands an attacker a token for a session the admin approved elsewhere, and "
                      "authentication transfer moves a session to another device: privileged users need neither.",
            conditions=dict(applications=_apps(["All"]), clientAppTypes=["all"],
                            authenticationFlows={"transferMethods": BLOCKED_TRANSFER_METHODS}),
            grant=_grant("OR", ["block"]), session=None,
        ),
    ] + _protected_apps(cfg)


#: Cloud apps PRIV-CA-12 covers, per ``ztb:appProtection.conditionalAccess``.
PROTECTED_APP_TARGETS = {"adminPortals": ["MicrosoftAdminPortals"], "allApps": ["All"]}


def _protected_apps(cfg: BaselineConfig) -> list[Spec]:
    """PRIV-CA-12: phones reach the admin portals (or every app) only through an app protected by
    Intune app protection. The guidance leaves open which apps it covers; the stack decides
    (``ztb:appProtection.conditionalAccess``), and it exists only for the phone platforms allowed."""
    phones = [p for p in ("iOS", "android") if p in cfg.devicePlatforms]
    ap = cfg.appProtection
    if not (ap.enabled and phones and ap.conditionalAccess in PROTECTED_APP_TARGETS):
        return []
    return [Spec(
        id="PRIV-CA-12", step=3, principle="Verify explicitly", level="specialized", source=SRC_COMMON,
        title="Phones use protected apps only",
        rationale="On iOS and Android the Specialized level asks for Intune app protection as well as a compliant device: "
        "org data stays inside apps that encrypt it, need a PIN and refuse to share it with personal apps.",
        conditions=dict(
            applications=_apps(list(PROTECTED_APP_TARGETS[ap.conditionalAccess])), clientAppTypes=["all"],
            platforms={"includePlatforms": phones, "excludePlatforms": []},
        ),
        grant=_grant("OR", ["compliantApplication"]), session=None,
    )]


def build(cfg: BaselineConfig, scope: list[Role], refs: dict[str, str]) -> list[Control]:
    emergency = EmergencyAccess.of(cfg)
    if not refs.get(EmergencyAccess.GROUP_KEY):
        raise MissingExclusionError(
            f"no emergency-access exclusion group: set '{EmergencyAccess.GROUP_ID_KEY}' or '{EmergencyAccess.USER_IDS_KEY}'"
        )
    users = users_scope(cfg, scope, refs)
    out = []
    for spec in _specs(cfg):
        cid = spec.id
        state = REPORT_ONLY if (cfg.reportOnly or cid in cfg.reportOnlyControls) else "enabled"
        display = f"{cfg.namePrefix} {cid} Privileged: {spec.title}"
        conditions = {"users": dict(users), **spec.conditions}
        for key in ("signInRiskLevels", "userRiskLevels"):
            conditions.setdefault(key, [])
        conditions.setdefault("platforms", None)
        conditions.setdefault("locations", None)
        desired = {
            "displayName": display,
            "state": state,
            "conditions": conditions,
            "grantControls": spec.grant,
            "sessionControls": spec.session,
        }
        control = Control(
            id=cid, kind=Kind.CONDITIONAL_ACCESS_POLICY, title=spec.title, display_name=display,
            step=spec.step, principle=spec.principle, level=spec.level,
            rationale=spec.rationale, source=spec.source, desired=desired,
            meta=PolicyMeta(via_graph=bool(GRAPH_ONLY_GRANTS & set((spec.grant or {}).get("builtInControls") or []))),
        )
        require_exclusion(control, emergency)
        out.append(control)
    return out


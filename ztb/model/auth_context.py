"""Authentication context end to end: the context PIM activation requires, and the policy behind it.

``ztb:pim.authenticationContext`` (``c1``..``c99``) makes PIM ask for a Conditional Access
authentication context on activation instead of plain MFA. The context alone protects nothing:
Microsoft's MFA backstop does not apply when the Conditional Access policy on the context is off,
report-only or excludes the user. So the baseline declares both, the context (PRIV-CTX-01) and an
enforced policy requiring phishing-resistant strength on it (PRIV-CA-13), scoped to the
privileged group and not to roles (role-targeted policies miss eligible users until they
activate, which is exactly when this one must apply), and excluding emergency access.

PIM keeps MFA on activation until PRIV-CA-13 is enforced on admins the stack declares
(:func:`activation_gap`), and a config whose enforced policy would reach only some of them is
refused (:func:`neither_problem`): activation is never left with neither.
"""

from __future__ import annotations

from typing import Any, Optional

from ztb.config import NAMESPACE, BaselineConfig
from ztb.catalogue import strengths
from ztb.model import stacks
from ztb.model.conditional_access import REPORT_ONLY, _every_time, _grant, require_exclusion, users_scope
from ztb.model.controls import Control, Kind
from ztb.model.groups import EmergencyAccess
from ztb.model.meta import AuthContextMeta, PolicyMeta

CONTEXT_ID = "PRIV-CTX-01"
POLICY_ID = "PRIV-CA-13"
SOURCE = ("ENTRA pim-how-to-change-default-settings.md (on activation, require Conditional Access authentication context); "
          "ENTRA concept-conditional-access-cloud-apps.md (authentication context); GRAPH authenticationcontextclassreference.md")


def _state(cfg: BaselineConfig) -> str:
    return REPORT_ONLY if (cfg.reportOnly or POLICY_ID in cfg.reportOnlyControls) else "enabled"


def activation_gap(cfg: BaselineConfig) -> Optional[str]:
    """Why PIM must keep MFA on activation although a context is configured; None when it need not.

    The context may replace MFA only when PRIV-CA-13 is enforced and reaches every admin the
    stack makes eligible: through the privileged group the stack creates, whose members it declares.
    """
    claim = cfg.pim.authenticationContext
    if not claim:
        return "no authentication context is configured"
    if _state(cfg) != "enabled":
        why = "ztb:reportOnly is true" if cfg.reportOnly else f"{NAMESPACE}:reportOnlyControls lists {POLICY_ID}"
        return f"{POLICY_ID} is report-only ({why})"
    if not stacks.phase(cfg.phase)["includePrivilegedScope"]:
        return f"phase '{cfg.phase}' targets only its rings"
    if cfg.privilegedGroupId:
        return f"{POLICY_ID} targets the existing group {cfg.privilegedGroupId}, whose members the stack does not declare"
    return None


def neither_problem(cfg: BaselineConfig) -> Optional[str]:
    """A config that would leave activation with neither MFA nor an enforced context: one line, else None.

    Enforcing PRIV-CA-13 in a phase that reaches only the rings would drop MFA for every other
    admin while the policy misses them; the fix is to keep it report-only until phase full.
    """
    claim = cfg.pim.authenticationContext
    if claim and _state(cfg) == "enabled" and not stacks.phase(cfg.phase)["includePrivilegedScope"]:
        return (
            f"config '{NAMESPACE}:pim.authenticationContext' {claim}: {POLICY_ID} would enforce in phase '{cfg.phase}', which "
            "reaches only the rollout rings, so admins outside them would activate with neither MFA nor the context; add "
            f"{POLICY_ID} to {NAMESPACE}:reportOnlyControls (MFA then stays on activation) or move to phase full"
        )
    return None


def warning(cfg: BaselineConfig) -> Optional[str]:
    """What `ztb plan` says when a configured context does not (yet) replace MFA on activation."""
    gap = activation_gap(cfg)
    if cfg.pim.authenticationContext and gap:
        return (f"authentication context {cfg.pim.authenticationContext}: {gap}, so PIM activation keeps requiring MFA "
                f"until {POLICY_ID} is enforced on the privileged group")
    return None


def build(cfg: BaselineConfig, refs: dict[str, str]) -> list[Control]:
    """The context and its policy, when ``pim.authenticationContext`` is set; else nothing."""
    claim = cfg.pim.authenticationContext
    if not claim:
        return []
    context = Control(
        id=CONTEXT_ID, kind=Kind.AUTHENTICATION_CONTEXT, title=f"Authentication context {claim}: privileged role activation",
        display_name=f"{cfg.namePrefix} Privileged role activation", step=2, principle="Verify explicitly", level="specialized",
        rationale="PIM activation requires this context, so the Conditional Access policy on it decides how strongly an admin proves "
                  "themselves at the moment they gain privilege.",
        source=SOURCE,
        desired={
            "id": claim, "displayName": f"{cfg.namePrefix} Privileged role activation",
            "description": "Required by PIM on activation of privileged roles. Managed by ztb.", "isAvailable": True,
        },
        meta=AuthContextMeta(claim=claim),
    )
    display = f"{cfg.namePrefix} {POLICY_ID} Privileged: Phishing-resistant MFA on role activation"
    users = users_scope(cfg, [], refs)  # the privileged group, never roles (Microsoft's advice for this policy)
    apps: dict[str, Any] = {"includeApplications": [], "excludeApplications": [], "includeUserActions": [],
                            "includeAuthenticationContextClassReferences": [claim]}
    policy = Control(
        id=POLICY_ID, kind=Kind.CONDITIONAL_ACCESS_POLICY, title="Phishing-resistant MFA on role activation (authentication context)",
        display_name=display, step=2, principle="Verify explicitly", level="specialized",
        rationale="Activating a privileged role asks for the authentication context; this policy makes that a fresh, phishing-resistant "
                  "sign-in. It targets the privileged group, not roles: a role-targeted policy misses eligible users until they activate.",
        source=SOURCE,
        desired={
            "displayName": display, "state": _state(cfg),
            "conditions": {"users": users, "applications": apps, "clientAppTypes": ["all"], "signInRiskLevels": [],
                           "userRiskLevels": [], "platforms": None, "locations": None},
            "grantControls": _grant("OR", [], strengths.PHISHING_RESISTANT),
            "sessionControls": _every_time(),
        },
        # pulumi-azuread's policy cannot target a context: ztb's Graph provider deploys it, after the context.
        meta=PolicyMeta(via_graph=True, context=claim),
    )
    require_exclusion(policy, EmergencyAccess.of(cfg))
    return [context, policy]


def is_context_policy(control: Control) -> bool:
    """A Conditional Access policy on an authentication context (its target is a claim, not applications)."""
    return control.kind == Kind.CONDITIONAL_ACCESS_POLICY and bool(getattr(control.meta, "context", None))

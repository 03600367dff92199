"""What ztb's Graph Conditional Access provider, and Graph behind it, accept in a policy.

pulumi-azuread cannot deploy ``riskRemediation`` nor a policy on an authentication context
(``includeAuthenticationContextClassReferences``), so those policies go to Graph directly through
``ztb.providers.conditional_access``. Graph refuses a malformed policy only at ``pulumi up`` (and
the provider's check refuses it at ``pulumi preview``); found here, on the desired JSON, it is a
config error before anything is declared, exactly as :func:`ztb.deploy.azuread.deployability_problems`
is for the pulumi-azuread path. The provider's ``check`` calls this same function.

No pulumi and no msgraph import: `ztb plan` runs it.
"""

from __future__ import annotations

from typing import Any

#: Grant controls Graph v1.0 accepts in ``builtInControls`` (``conditionalAccessGrantControl``
#: without the ``unknownFutureValue`` sentinel; ``riskRemediation`` is an evolvable member sent
#: with ``Prefer: include-unknown-enum-members``).
GRAPH_BUILT_IN_CONTROLS = frozenset({
    "block", "mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication",
    "passwordChange", "riskRemediation",
})
STATES = frozenset({"enabled", "disabled", "enabledForReportingButNotEnforced"})
#: Graph needs this header to read or write evolvable enum members such as ``riskRemediation``;
#: without it a read answers ``unknownFutureValue`` in their place.
PREFER_EVOLVABLE = {"Prefer": "include-unknown-enum-members"}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def deployability_problems(policy: dict[str, Any]) -> list[str]:
    """Facts about ``policy`` (Graph JSON) that Graph or the provider would refuse; empty when deployable."""
    return [fact for _about, fact in deployability_facts(policy)]


def deployability_facts(policy: Any) -> list[tuple[tuple[str, ...], str]]:
    """Each refusal with the Graph paths it is about, so a check can leave facts about unknown parts for later."""
    out: list[tuple[tuple[str, ...], str]] = []

    def fact(about: tuple[str, ...], text: str) -> None:
        out.append((about, text))

    if not isinstance(policy, dict):
        return [((), "the policy is not a JSON object")]
    if not policy.get("displayName"):
        fact(("displayName",), "displayName is empty")
    if policy.get("state") not in STATES:
        fact(("state",), f"state {policy.get('state')!r} is not one of {', '.join(sorted(STATES))}")
    cond = policy.get("conditions") if isinstance(policy.get("conditions"), dict) else {}
    users = cond.get("users") if isinstance(cond.get("users"), dict) else {}
    apps = cond.get("applications") if isinstance(cond.get("applications"), dict) else {}
    USERS, APPS = "conditions.users", "conditions.applications"
    if not any(_list(users.get(k)) for k in ("includeUsers", "includeGroups", "includeRoles")):
        fact((USERS,), "conditions.users includes nobody (no users, groups or roles)")
    if not _list(users.get("excludeGroups")):
        fact((USERS,), "conditions.users.excludeGroups is empty: the emergency-access exclusion is missing")
    targets = [k for k in ("includeApplications", "includeUserActions", "includeAuthenticationContextClassReferences") if _list(apps.get(k))]
    if len(targets) != 1:
        fact((APPS,), "conditions.applications needs exactly one of includeApplications, includeUserActions and "
                      "includeAuthenticationContextClassReferences")
    grant = policy.get("grantControls") if isinstance(policy.get("grantControls"), dict) else None
    session = policy.get("sessionControls") if isinstance(policy.get("sessionControls"), dict) else {}
    if grant is None and not session:
        fact(("grantControls", "sessionControls"), "the policy has neither grant nor session controls")
    if grant is None:
        return out
    builtin = _list(grant.get("builtInControls"))
    bad = [str(c) for c in builtin if c not in GRAPH_BUILT_IN_CONTROLS]
    if bad:
        fact(("grantControls",), f"grantControls.builtInControls {', '.join(bad)} is not one of {', '.join(sorted(GRAPH_BUILT_IN_CONTROLS))}")
    if grant.get("operator") not in ("AND", "OR"):
        fact(("grantControls",), f"grantControls.operator {grant.get('operator')!r} is not AND or OR")
    if "riskRemediation" in builtin:
        strength = grant.get("authenticationStrength")
        strength = strength.get("id") if isinstance(strength, dict) else None
        freq = session.get("signInFrequency") if isinstance(session.get("signInFrequency"), dict) else {}
        if builtin != ["riskRemediation"]:
            fact(("grantControls",), "riskRemediation is combined with other grant controls; Microsoft's policy pairs it only with an authentication strength")
        if not strength:
            fact(("grantControls",), "riskRemediation needs an authentication strength (the portal selects one with it)")
        if freq.get("frequencyInterval") != "everyTime" or freq.get("isEnabled") is False:
            fact(("sessionControls",), "riskRemediation needs sign-in frequency every time (mandatory with it)")
        if not _list(cond.get("userRiskLevels")):
            fact(("conditions.userRiskLevels",), "riskRemediation applies to user risk: conditions.userRiskLevels is empty")
        if _list(apps.get("includeApplications")) != ["All"]:
            fact((APPS,), "riskRemediation must target all resources (includeApplications ['All'])")
    return out

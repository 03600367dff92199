"""Graph's Conditional Access JSON <-> pulumi-azuread's ConditionalAccessPolicy inputs.

The model speaks Graph (what drift reads back); pulumi-azuread renames fields
(``includeRoles`` -> ``includedRoles``), flattens session controls and writes the authentication
strength as a path. Both directions live here so that the component's inputs, `ztb plan`'s JSON
and `ztb review`'s reading of a preview are one mapping, checked by a round-trip test.

Wire form = the camelCase input names Pulumi shows in mocks and in ``pulumi preview --json``.
"""

from __future__ import annotations

import re
from typing import Any

from ztb.errors import ZtbError

STRENGTH_PATH = "/policies/authenticationStrengthPolicies/"
#: Grant controls pulumi-azuread 6.11 (terraform-provider-azuread v3.9.0) accepts: its schema's
#: list, which has neither ``riskRemediation`` nor Graph's ``unknownFutureValue`` sentinel.
AZUREAD_BUILT_IN_CONTROLS = {
    "block", "mfa", "approvedApplication", "compliantApplication", "compliantDevice",
    "domainJoinedDevice", "passwordChange",
}

#: Values the provider's schema accepts, field by field (wire names). Graph's enum sentinel
#: ``unknownFutureValue`` is in none of them: it names no setting and cannot be deployed.
ALLOWED = {
    "state": {"enabled", "disabled", "enabledForReportingButNotEnforced"},
    "clientAppTypes": {"all", "browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "easSupported", "other"},
    "platforms": {"all", "android", "iOS", "linux", "macOS", "windows", "windowsPhone"},
    "riskLevels": {"low", "medium", "high", "hidden", "none"},
    "insiderRiskLevels": {"minor", "moderate", "elevated"},
    "operator": {"AND", "OR"},
    "signInFrequencyPeriod": {"days", "hours"},
    "signInFrequencyInterval": {"timeBased", "everyTime"},
    "signInFrequencyAuthenticationType": {"primaryAndSecondaryAuthentication", "secondaryAuthentication"},
    "persistentBrowserMode": {"always", "never"},
    "transferMethods": {"authenticationTransfer", "deviceCodeFlow"},
    "cloudAppSecurityPolicy": {"blockDownloads", "mcasConfigured", "monitorOnly"},
}

#: Graph sub-object -> {graph field: azuread field}
USERS = {
    "includeUsers": "includedUsers", "excludeUsers": "excludedUsers",
    "includeGroups": "includedGroups", "excludeGroups": "excludedGroups",
    "includeRoles": "includedRoles", "excludeRoles": "excludedRoles",
}
APPLICATIONS = {
    "includeApplications": "includedApplications", "excludeApplications": "excludedApplications",
    "includeUserActions": "includedUserActions",
}
PLATFORMS = {"includePlatforms": "includedPlatforms", "excludePlatforms": "excludedPlatforms"}
LOCATIONS = {"includeLocations": "includedLocations", "excludeLocations": "excludedLocations"}
PLAIN_CONDITIONS = ("clientAppTypes", "signInRiskLevels", "userRiskLevels", "servicePrincipalRiskLevels")
#: Graph ``conditions.authenticationFlows.transferMethods`` (one flags string) <-> the provider's
#: ``conditions.authenticationFlowTransferMethods`` (a list).
TRANSFER_METHODS = "authenticationFlowTransferMethods"
#: One string in both shapes: Graph's flags enum (``"minor,moderate"``), the provider's single value.
INSIDER = "insiderRiskLevels"

#: azuread wire path prefix -> Graph path prefix, for reading a preview's detailedDiff keys.
PATHS = {
    **{f"conditions.users.{a}": f"conditions.users.{g}" for g, a in USERS.items()},
    **{f"conditions.applications.{a}": f"conditions.applications.{g}" for g, a in APPLICATIONS.items()},
    **{f"conditions.platforms.{a}": f"conditions.platforms.{g}" for g, a in PLATFORMS.items()},
    **{f"conditions.locations.{a}": f"conditions.locations.{g}" for g, a in LOCATIONS.items()},
    "grantControls.authenticationStrengthPolicyId": "grantControls.authenticationStrength",
    "sessionControls.signInFrequency": "sessionControls.signInFrequency.value",
    "sessionControls.signInFrequencyPeriod": "sessionControls.signInFrequency.type",
    "sessionControls.signInFrequencyInterval": "sessionControls.signInFrequency.frequencyInterval",
    "sessionControls.signInFrequencyAuthenticationType": "sessionControls.signInFrequency.authenticationType",
    "sessionControls.persistentBrowserMode": "sessionControls.persistentBrowser.mode",
    "sessionControls.cloudAppSecurityPolicy": "sessionControls.cloudAppSecurity.cloudAppSecurityType",
    f"conditions.{TRANSFER_METHODS}": "conditions.authenticationFlows.transferMethods",
}


class UnsupportedByAzureadError(ZtbError, ValueError):
    """The desired state uses something pulumi-azuread cannot deploy."""


def _rename(obj: dict | None, mapping: dict[str, str]) -> dict:
    obj = obj or {}
    return {mapping[k]: list(v) for k, v in obj.items() if k in mapping and v}


def _insider(policy: dict[str, Any], value: Any) -> str:
    """Graph's insider risk flags as the provider's one value; more than one cannot be deployed."""
    levels = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v) for v in value]
    levels = [v for v in levels if v]
    if len(levels) != 1:
        raise UnsupportedByAzureadError(
            f"{policy.get('displayName')}: insider risk levels {', '.join(levels)}: pulumi-azuread takes exactly one level"
        )
    return levels[0]


def to_azuread(policy: dict[str, Any]) -> dict[str, Any]:
    """Graph CA policy JSON -> pulumi-azuread inputs in wire (camelCase) form."""
    cond = policy.get("conditions") or {}
    conditions: dict[str, Any] = {
        "users": _rename(cond.get("users"), USERS),
        "applications": _rename(cond.get("applications"), APPLICATIONS),
    }
    for key in PLAIN_CONDITIONS:
        if cond.get(key):
            conditions[key] = list(cond[key])
    if cond.get(INSIDER):
        conditions[INSIDER] = _insider(policy, cond[INSIDER])
    if cond.get("platforms"):
        conditions["platforms"] = _rename(cond["platforms"], PLATFORMS)
    if cond.get("locations"):
        conditions["locations"] = _rename(cond["locations"], LOCATIONS)
    flows = (cond.get("authenticationFlows") or {}).get("transferMethods")
    if flows:
        conditions[TRANSFER_METHODS] = [v.strip() for v in str(flows).split(",") if v.strip()]
    contexts = (cond.get("applications") or {}).get("includeAuthenticationContextClassReferences")
    if contexts:  # not in the provider's schema: dropping it would retarget the policy at no application
        raise UnsupportedByAzureadError(f"{policy.get('displayName')}: an authentication context ({', '.join(contexts)}) as the "
                                        "target cannot be deployed through pulumi-azuread")
    for unsupported in ("devices", "times", "clientApplications"):
        if cond.get(unsupported):
            raise UnsupportedByAzureadError(f"{policy.get('displayName')}: condition '{unsupported}' is not mapped to pulumi-azuread")
    out: dict[str, Any] = {"displayName": policy["displayName"], "state": policy["state"], "conditions": conditions}
    grant = policy.get("grantControls")
    if grant:
        builtin = list(grant.get("builtInControls") or [])
        bad = [c for c in builtin if c not in AZUREAD_BUILT_IN_CONTROLS]
        if bad:
            raise UnsupportedByAzureadError(
                f"{policy.get('displayName')}: grant control(s) {', '.join(bad)} cannot be deployed through pulumi-azuread"
            )
        g: dict[str, Any] = {"operator": grant.get("operator", "OR")}
        if builtin:
            g["builtInControls"] = builtin
        strength = (grant.get("authenticationStrength") or {}).get("id")
        if strength:
            g["authenticationStrengthPolicyId"] = STRENGTH_PATH + strength
        out["grantControls"] = g
    session = policy.get("sessionControls") or {}
    s: dict[str, Any] = {}
    freq = session.get("signInFrequency")
    if freq and freq.get("isEnabled", True):
        if freq.get("value") is not None:
            s["signInFrequency"] = freq["value"]
        if freq.get("type"):
            s["signInFrequencyPeriod"] = freq["type"]
        if freq.get("frequencyInterval"):
            s["signInFrequencyInterval"] = freq["frequencyInterval"]
        if freq.get("authenticationType"):
            s["signInFrequencyAuthenticationType"] = freq["authenticationType"]
    browser = session.get("persistentBrowser")
    if browser and browser.get("isEnabled", True) and browser.get("mode"):
        s["persistentBrowserMode"] = browser["mode"]
    if session.get("disableResilienceDefaults"):
        s["disableResilienceDefaults"] = True
    mcas = session.get("cloudAppSecurity")
    if mcas and mcas.get("isEnabled", True) and mcas.get("cloudAppSecurityType"):
        s["cloudAppSecurityPolicy"] = mcas["cloudAppSecurityType"]
    if s:
        out["sessionControls"] = s
    return out


def _unrename(obj: dict | None, mapping: dict[str, str]) -> dict:
    obj = obj or {}
    back = {a: g for g, a in mapping.items()}
    return {back[k]: list(v or []) for k, v in obj.items() if k in back}


def to_graph(args: dict[str, Any]) -> dict[str, Any]:
    """pulumi-azuread inputs (wire form) -> Graph CA policy JSON (for review and round trips)."""
    cond = args.get("conditions") or {}
    conditions: dict[str, Any] = {
        "users": _unrename(cond.get("users"), USERS),
        "applications": _unrename(cond.get("applications"), APPLICATIONS),
    }
    for key in (*PLAIN_CONDITIONS, INSIDER):
        if key in cond:
            conditions[key] = cond[key]
    if cond.get("platforms"):
        conditions["platforms"] = _unrename(cond["platforms"], PLATFORMS)
    if cond.get("locations"):
        conditions["locations"] = _unrename(cond["locations"], LOCATIONS)
    if cond.get(TRANSFER_METHODS):
        methods = cond[TRANSFER_METHODS]
        conditions["authenticationFlows"] = {"transferMethods": ",".join(methods) if isinstance(methods, list) else methods}
    out: dict[str, Any] = {"displayName": args.get("displayName"), "state": args.get("state"), "conditions": conditions}
    grant = args.get("grantControls")
    if grant:
        g: dict[str, Any] = {"operator": grant.get("operator"), "builtInControls": list(grant.get("builtInControls") or [])}
        sid = grant.get("authenticationStrengthPolicyId")
        if sid:
            g["authenticationStrength"] = {"id": sid[len(STRENGTH_PATH):] if str(sid).startswith(STRENGTH_PATH) else sid}
        out["grantControls"] = g
    else:
        out["grantControls"] = None
    s = args.get("sessionControls") or {}
    session: dict[str, Any] = {}
    if any(k in s for k in ("signInFrequency", "signInFrequencyPeriod", "signInFrequencyInterval")):
        session["signInFrequency"] = {
            "value": s.get("signInFrequency"),
            "type": s.get("signInFrequencyPeriod"),
            "authenticationType": s.get("signInFrequencyAuthenticationType"),
            "frequencyInterval": s.get("signInFrequencyInterval"),
            "isEnabled": True,
        }
    if s.get("persistentBrowserMode"):
        session["persistentBrowser"] = {"mode": s["persistentBrowserMode"], "isEnabled": True}
    if s.get("disableResilienceDefaults"):
        session["disableResilienceDefaults"] = True
    if s.get("cloudAppSecurityPolicy"):
        session["cloudAppSecurity"] = {"cloudAppSecurityType": s["cloudAppSecurityPolicy"], "isEnabled": True}
    out["sessionControls"] = session or None
    return out


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def deployability_problems(wire: dict[str, Any]) -> list[str]:
    """What the provider's schema (terraform-provider-azuread v3.9.0) would refuse in these inputs.

    Each entry is a fact about the inputs, so callers can say which config key leads to it. The
    provider refuses all of these only in ``pulumi preview`` (a CheckFailure of the whole stack);
    found here, they are config errors before anything is declared.
    """
    out: list[str] = []

    def enum(field: str, values: list[Any], allowed_key: str) -> None:
        bad = [str(v) for v in values if v not in ALLOWED[allowed_key]]
        if bad:
            out.append(f"{field} {', '.join(bad)} is not one of {', '.join(sorted(ALLOWED[allowed_key]))}")

    def not_empty(field: str, values: list[Any]) -> None:
        if any(not isinstance(v, str) or not v for v in values):
            out.append(f"{field} holds an empty value; every entry must be an ID or keyword")

    if not wire.get("displayName"):
        out.append("displayName is empty")
    enum("state", [wire.get("state")], "state")
    cond = wire.get("conditions") or {}
    apps = cond.get("applications") or {}
    if bool(_listed(apps.get("includedApplications"))) == bool(_listed(apps.get("includedUserActions"))):
        which = "both are set" if apps.get("includedApplications") else "both are empty"
        out.append(f"conditions.applications needs exactly one of includedApplications and includedUserActions ({which})")
    users = cond.get("users") or {}
    if not any(_listed(users.get(k)) for k in ("includedUsers", "includedGroups", "includedRoles")):
        out.append("conditions.users includes nobody (no users, groups or roles)")
    for sub, fields in (("users", USERS.values()), ("applications", APPLICATIONS.values())):
        for f in fields:
            not_empty(f"conditions.{sub}.{f}", _listed((cond.get(sub) or {}).get(f)))
    client = _listed(cond.get("clientAppTypes")) or ["all"]
    enum("conditions.clientAppTypes", client, "clientAppTypes")
    if cond.get("platforms"):
        platforms = cond["platforms"]
        if not _listed(platforms.get("includedPlatforms")):
            out.append("conditions.platforms needs includedPlatforms")
        enum("conditions.platforms", _listed(platforms.get("includedPlatforms")) + _listed(platforms.get("excludedPlatforms")), "platforms")
    if cond.get("locations") and not _listed(cond["locations"].get("includedLocations")):
        out.append("conditions.locations needs includedLocations")
    for key in ("signInRiskLevels", "userRiskLevels", "servicePrincipalRiskLevels"):
        enum(f"conditions.{key}", _listed(cond.get(key)), "riskLevels")
    if cond.get(TRANSFER_METHODS) is not None:
        enum(f"conditions.{TRANSFER_METHODS}", _listed(cond[TRANSFER_METHODS]), "transferMethods")
    if cond.get(INSIDER) is not None:
        if not isinstance(cond[INSIDER], str):
            out.append(f"conditions.{INSIDER} must be one string (pulumi-azuread takes a single level)")
        else:
            enum(f"conditions.{INSIDER}", [cond[INSIDER]], "insiderRiskLevels")
    grant = wire.get("grantControls")
    session = wire.get("sessionControls")
    if grant:
        enum("grantControls.operator", [grant.get("operator")], "operator")
        builtin = _listed(grant.get("builtInControls"))
        bad = [str(c) for c in builtin if c not in AZUREAD_BUILT_IN_CONTROLS]
        if bad:
            out.append(f"grantControls.builtInControls {', '.join(bad)} is not one of {', '.join(sorted(AZUREAD_BUILT_IN_CONTROLS))}")
        if not (builtin or grant.get("authenticationStrengthPolicyId") or _listed(grant.get("termsOfUse"))):
            out.append("grantControls needs builtInControls, an authentication strength or terms of use")
    if session:
        for key in ("signInFrequencyPeriod", "signInFrequencyInterval", "signInFrequencyAuthenticationType", "persistentBrowserMode",
                    "cloudAppSecurityPolicy"):
            if session.get(key) is not None:
                enum(f"sessionControls.{key}", [session[key]], key)
        freq, period = session.get("signInFrequency"), session.get("signInFrequencyPeriod")
        if (freq is None) != (period is None):
            out.append("sessionControls.signInFrequency and signInFrequencyPeriod must be set together")
        if freq is not None and (isinstance(freq, bool) or not isinstance(freq, int) or freq < 0):
            out.append(f"sessionControls.signInFrequency {freq!r} is not a whole number of at least 0")
        if session.get("signInFrequencyInterval") == "everyTime" and (freq is not None or period is not None):
            out.append("sessionControls with signInFrequencyInterval everyTime cannot set signInFrequency or its period")
    effective_session = bool(session) and bool(
        session.get("applicationEnforcedRestrictionsEnabled") or session.get("cloudAppSecurityPolicy")
        or session.get("disableResilienceDefaults") or session.get("persistentBrowserMode")
        or (isinstance(session.get("signInFrequency"), int) and session["signInFrequency"] > 0)
        or session.get("signInFrequencyInterval") == "everyTime"
        or session.get("signInFrequencyAuthenticationType") == "secondaryAuthentication"
    )
    if not grant and not effective_session:
        out.append("the policy has neither grant controls nor an effective session control")
    return out


def graph_path(wire_path: str) -> str:
    """Translate a preview diff key (``conditions.users.excludedGroups[1]``) to a Graph path."""
    base = re.sub(r"\[\d+\]$", "", wire_path)
    for prefix in sorted(PATHS, key=len, reverse=True):
        if base == prefix or base.startswith(prefix + "."):
            return PATHS[prefix] + base[len(prefix):]
    return base


#: pulumi-azuread Group input -> Graph group property, where the names differ.
GROUP_FIELDS = {"assignableToRole": "isAssignableToRole"}
#: Inputs that are object IDs on the azuread side and directory objects (``{"id": ...}``) in Graph
#: and in the model: a reviewer compares like with like.
GROUP_REFERENCES = ("members", "owners")
#: Group inputs that steer the provider and have no Graph property.
GROUP_PROVIDER_ONLY = {"preventDuplicateNames"}


def group_to_graph(args: dict[str, Any]) -> dict[str, Any]:
    """pulumi-azuread Group inputs (wire form) -> Graph group JSON (for review).

    Members and owners become ``{"id": ...}`` objects, the shape the model declares and Graph
    returns; a value that is not a list of IDs (unknown during preview, a secret) is kept as is.
    """
    out = {GROUP_FIELDS.get(k, k): v for k, v in args.items() if k not in GROUP_PROVIDER_ONLY and not k.startswith("__")}
    for key in GROUP_REFERENCES:
        value = out.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = [{"id": v} for v in value]
    return out


def group_graph_path(wire_path: str) -> str:
    """A Group preview diff key (``members[2]``, ``assignableToRole``) as a Graph path."""
    base = re.sub(r"\[\d+\]$", "", wire_path)
    head, dot, rest = base.partition(".")
    return GROUP_FIELDS.get(head, head) + dot + rest


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def to_args(wire: dict[str, Any]) -> dict[str, Any]:
    """Wire-form inputs -> keyword arguments for ``pulumi_azuread.ConditionalAccessPolicy``."""
    import pulumi_azuread as azuread  # deferred: the offline CLI never needs the provider SDK

    cond = wire["conditions"]
    conditions = azuread.ConditionalAccessPolicyConditionsArgs(
        client_app_types=cond.get("clientAppTypes", ["all"]),
        users=azuread.ConditionalAccessPolicyConditionsUsersArgs(**{_snake(k): v for k, v in cond["users"].items()}),
        applications=azuread.ConditionalAccessPolicyConditionsApplicationsArgs(**{_snake(k): v for k, v in cond["applications"].items()}),
        platforms=azuread.ConditionalAccessPolicyConditionsPlatformsArgs(**{_snake(k): v for k, v in cond["platforms"].items()}) if cond.get("platforms") else None,
        locations=azuread.ConditionalAccessPolicyConditionsLocationsArgs(**{_snake(k): v for k, v in cond["locations"].items()}) if cond.get("locations") else None,
        sign_in_risk_levels=cond.get("signInRiskLevels"),
        user_risk_levels=cond.get("userRiskLevels"),
        service_principal_risk_levels=cond.get("servicePrincipalRiskLevels"),
        insider_risk_levels=cond.get(INSIDER),
        authentication_flow_transfer_methods=cond.get(TRANSFER_METHODS),
    )
    kwargs: dict[str, Any] = {"display_name": wire["displayName"], "state": wire["state"], "conditions": conditions}
    if wire.get("grantControls"):
        kwargs["grant_controls"] = azuread.ConditionalAccessPolicyGrantControlsArgs(**{_snake(k): v for k, v in wire["grantControls"].items()})
    if wire.get("sessionControls"):
        kwargs["session_controls"] = azuread.ConditionalAccessPolicySessionControlsArgs(**{_snake(k): v for k, v in wire["sessionControls"].items()})
    return kwargs

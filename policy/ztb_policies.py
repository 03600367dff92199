"""The rules of the ztb policy pack, as plain functions over what Pulumi hands a policy.

A policy pack runs beside `pulumi preview` and `pulumi up` and sees the inputs each resource
would be created with, so it stops a plan that would lock the tenant out before any request
reaches Graph, whoever wrote the program. The pack depends on pulumi-policy only (it is
published and run on its own), so it reads pulumi-azuread's input names and the dynamic
providers' Graph JSON directly instead of importing ztb.

Each rule is ``rule(args, report_violation)``: ``args`` exposes ``resource_type``, ``props``,
``name``, ``urn`` and ``get_config()`` (pulumi-policy's ``ResourceValidationArgs``), or
``resources`` and ``get_config()`` for the stack rule. During a preview ``props`` raises
``UnknownValueError`` on a value known only after apply; pulumi-policy then reports that the
rule could not run yet, and ``pulumi up`` runs it again on the resolved values.

Enforcement: *mandatory* rules guard against lockout and against the baseline silently not
applying; *advisory* rules flag what a reviewer should look at. Each level can be changed per
rule in the pack's config (``{"<rule>": {"enforcementLevel": "advisory"}}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

CA_TYPE = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
#: PRIV-CA-04 with risk remediation: ztb's Graph provider, inputs ``{"policy": <Graph JSON>}``.
GRAPH_CA_TYPE = "pulumi-python:dynamic/ztb:ConditionalAccessPolicy"
#: Graph user-condition names -> pulumi-azuread's, for reading a Graph-provider policy like the others.
_GRAPH_USERS = {"includeUsers": "includedUsers", "excludeUsers": "excludedUsers", "includeGroups": "includedGroups",
                "excludeGroups": "excludedGroups", "includeRoles": "includedRoles", "excludeRoles": "excludedRoles"}
GROUP_TYPE = "azuread:index/group:Group"
DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
#: The components register their dynamic providers under named types; older or third-party
#: programs use the generic one. Both are read.
PIM_DYNAMIC_TYPES = {DYNAMIC_TYPE, "pulumi-python:dynamic/ztb:RoleManagementPolicy"}


def is_pim_dynamic(resource_type: str) -> bool:
    return resource_type in PIM_DYNAMIC_TYPES
GROUP_PIM_TYPE = "azuread:index/groupRoleManagementPolicy:GroupRoleManagementPolicy"
#: The Conditional Access policy on the PIM authentication context (Graph JSON: excludeGroups, not excludedGroups).
ACCESS_REVIEW_TYPE = "pulumi-python:dynamic/ztb:AccessReview"
#: Child names end in the lowercased control ID (ztb/deploy/*.py): these are permanent.
PRIVILEGED_CA_NAME = re.compile(r"(?:^|-)priv-ca-\d+$")
EMERGENCY_GROUP_NAME = re.compile(r"(?:^|-)priv-grp-02$")
REPORT_ONLY = "enabledforreportingbutnotenforced"
GUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#: ISO 8601 durations as PIM writes them (P365D, PT8H, PT30M, P1DT12H).
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.IGNORECASE)
DEFAULT_MAX_ACTIVATION = "PT2H"

Report = Callable[..., None]


def duration_seconds(value: Any) -> Optional[int]:
    """Seconds of a PIM duration, or None when it is not one this pack can read (then it fails)."""
    if not isinstance(value, str) or value.upper() in ("P", "PT"):
        return None
    m = DURATION.match(value)
    if not m:
        return None
    d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


# -- reading props -------------------------------------------------------------------------------

def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _strings(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return []
    return [v.lower() for v in value if isinstance(v, str)]


def excluded(props: Mapping) -> set[str]:
    """Excluded groups and users, under pulumi-azuread's names or Graph's (the context policy's dynamic provider)."""
    users = _get(props, "conditions", "users")
    names = ("excludedGroups", "excludedUsers", "excludeGroups", "excludeUsers")
    return {v for n in names for v in _strings(_get(users, n))}


def is_ca(resource_type: str) -> bool:
    return resource_type in (CA_TYPE, GRAPH_CA_TYPE)


def ca_props(resource_type: str, props: Mapping) -> Mapping:
    """A Conditional Access policy's inputs in pulumi-azuread's names, whichever provider deploys it."""
    if resource_type != GRAPH_CA_TYPE:
        return props
    policy = _get(props, "policy")
    if not isinstance(policy, Mapping):
        return {}
    users = _get(policy, "conditions", "users")
    users = users if isinstance(users, Mapping) else {}
    apps = _get(policy, "conditions", "applications")
    contexts = _get(apps, "includeAuthenticationContextClassReferences") if isinstance(apps, Mapping) else None
    return {
        "displayName": policy.get("displayName"), "state": policy.get("state"),
        "conditions": {"users": {_GRAPH_USERS[k]: v for k, v in users.items() if k in _GRAPH_USERS},
                       # pulumi-azuread has no name for it: a context is the target only ztb's Graph provider deploys.
                       "applications": {"includeAuthenticationContextClassReferences": contexts}},
        "grantControls": policy.get("grantControls"),
    }


class _CaArgs:
    """``args`` with ``props`` read through :func:`ca_props` (the rules stay written in one shape)."""

    def __init__(self, args: Any) -> None:
        self._args = args
        self.resource_type = CA_TYPE
        self.props = ca_props(args.resource_type, args.props)
        self.name = args.name

    def get_config(self) -> Mapping:
        return self._args.get_config()


def _as_ca(args: Any) -> Optional[Any]:
    return _CaArgs(args) if args.resource_type == GRAPH_CA_TYPE else (args if args.resource_type == CA_TYPE else None)


def _label(args: Any) -> str:
    name = _get(args.props, "displayName")
    return f"'{name}'" if isinstance(name, str) else f"'{args.name}'"


def emergency_ids(config: Mapping) -> set[str]:
    return set(_strings(_get(config, "emergencyAccessObjectIds")))


def is_privileged_ca(args: Any) -> bool:
    name = _get(args.props, "displayName")
    return bool(PRIVILEGED_CA_NAME.search(str(args.name).lower())) or (isinstance(name, str) and "PRIV-CA-" in name)


def phase_of(config: Mapping, props: Mapping) -> str:
    """The rollout phase from the pack's config, else from the policy: only the full phase
    includes the privileged directory roles (ztb/stacks/phases.yaml)."""
    configured = _get(config, "phase")
    if isinstance(configured, str):
        return configured
    return "full" if _strings(_get(props, "conditions", "users", "includedRoles")) else "rollout"


def pim_rules(props: Mapping) -> list[Mapping]:
    """The PIM rules in a dynamic provider's inputs (``rules``, at the top or one key down)."""
    if not isinstance(props, Mapping):
        return []
    rules = props.get("rules")
    if rules is None:  # one key down: read only mappings, so an unrelated unknown input does not stop the rule
        nested = [props.get(k) for k in props if not k.startswith("__")]
        rules = next((n.get("rules") for n in nested if isinstance(n, Mapping) and "rules" in n), None)
    if isinstance(rules, Sequence) and not isinstance(rules, str):
        return [r for r in rules if isinstance(r, Mapping)]
    return []


def _rule(rules: list[Mapping], rule_id: str) -> Optional[Mapping]:
    return next((r for r in rules if str(r.get("id", "")).lower() == rule_id.lower()), None)


# -- resource rules ------------------------------------------------------------------------------

def ca_excludes_emergency_access(args: Any, report: Report) -> None:
    """Every Conditional Access policy excludes every configured emergency-access object."""
    args = _as_ca(args)
    if args is None:
        return
    ids = emergency_ids(args.get_config())
    if not ids:
        report("no emergency-access object IDs are configured: set emergencyAccessObjectIds in the policy pack config "
               "(the break-glass accounts and the emergency-access group)")
        return
    missing = sorted(ids - excluded(args.props))
    if missing:
        report(f"Conditional Access policy {_label(args)} does not exclude the emergency-access object(s) "
               f"{', '.join(missing)}: one misconfiguration could lock every administrator out of the tenant")


def ca_no_block_all_without_exclusion(args: Any, report: Report) -> None:
    """A policy that blocks all users must exclude the break-glass accounts (or, unconfigured, someone)."""
    args = _as_ca(args)
    if args is None:
        return
    grant = _strings(_get(args.props, "grantControls", "builtInControls"))
    users = _strings(_get(args.props, "conditions", "users", "includedUsers"))
    if "block" not in grant or "all" not in users:
        return
    ids, out = emergency_ids(args.get_config()), excluded(args.props)
    if ids and not ids <= out:
        report(f"Conditional Access policy {_label(args)} blocks all users but does not exclude the emergency-access "
               f"object(s) {', '.join(sorted(ids - out))}")
    elif not ids and not out:
        report(f"Conditional Access policy {_label(args)} blocks all users and excludes no one: it would lock out the tenant")


def privileged_ca_not_disabled_in_full_phase(args: Any, report: Report) -> None:
    """In the full phase every privileged policy is on (enabled, or report-only while it is evaluated)."""
    args = _as_ca(args)
    if args is None or not is_privileged_ca(args):
        return
    if str(_get(args.props, "state")).lower() != "disabled":
        return
    if _strings(_get(args.props, "conditions", "applications", "includeAuthenticationContextClassReferences")):
        # PIM may ask for the context instead of MFA on activation: the policy on it is never off,
        # in any phase (it targets the privileged group, not roles, so phase_of cannot tell).
        report(f"privileged Conditional Access policy {_label(args)} is disabled: it is the policy on the authentication "
               "context PIM activation requires, so activation would be protected by nothing; keep it report-only or enabled")
    elif phase_of(args.get_config(), args.props) == "full":
        report(f"privileged Conditional Access policy {_label(args)} is disabled in the full phase")


def privileged_ca_enforced_in_full_phase(args: Any, report: Report) -> None:
    """Advisory: in the full phase a report-only privileged policy protects no one yet."""
    args = _as_ca(args)
    if args is None or not is_privileged_ca(args):
        return
    if phase_of(args.get_config(), args.props) == "full" and str(_get(args.props, "state")).lower() == REPORT_ONLY:
        report(f"privileged Conditional Access policy {_label(args)} is report-only in the full phase: "
               "it logs what it would do and enforces nothing")


def _max_activation(config: Mapping) -> tuple[str, Optional[int]]:
    limit = _get(config, "maximumActivationDuration") or DEFAULT_MAX_ACTIVATION
    return str(limit), duration_seconds(limit)


def pim_activation_maximum(args: Any, report: Report) -> None:
    """PIM activation is time-bound and at most the configured maximum (directory roles and groups)."""
    limit, limit_s = _max_activation(args.get_config())
    if limit_s is None:
        report(f"maximumActivationDuration {limit!r} is not an ISO 8601 duration such as PT2H")
        return
    if is_pim_dynamic(args.resource_type):
        rule = _rule(pim_rules(args.props), "Expiration_EndUser_Assignment")
        if rule is None:
            return
        required, duration = rule.get("isExpirationRequired"), rule.get("maximumDuration")
    elif args.resource_type == GROUP_PIM_TYPE:
        activation = _get(args.props, "activationRules")
        if not isinstance(activation, Mapping):
            return
        required, duration = True, activation.get("maximumDuration")
    else:
        return
    seconds = duration_seconds(duration)
    if required is False or seconds is None:
        report(f"{args.name}: PIM activation is not time-bound (maximumDuration {duration!r}); the limit is {limit}")
    elif seconds > limit_s:
        report(f"{args.name}: PIM activation lasts up to {duration}, longer than the configured maximum {limit}")


def pim_activation_requires_mfa_and_justification(args: Any, report: Report) -> None:
    """Advisory: activating a role asks for MFA (or an authentication context) and a justification."""
    if not is_pim_dynamic(args.resource_type):
        return
    rules = pim_rules(args.props)
    enablement = _rule(rules, "Enablement_EndUser_Assignment")
    if enablement is None:
        return
    enabled = set(_strings(enablement.get("enabledRules")))
    context = _rule(rules, "AuthenticationContext_EndUser_Assignment")
    missing = []
    if "multifactorauthentication" not in enabled and not (context and context.get("isEnabled") is True):
        missing.append("MFA or an authentication context")
    if "justification" not in enabled:
        missing.append("a justification")
    if missing:
        report(f"{args.name}: activation does not require {' and '.join(missing)}")


# -- device compliance and app protection -------------------------------------------------------

#: The dynamic types of Intune policies whose assignments decide whose devices are judged.
DEVICE_POLICY_TYPES = {"pulumi-python:dynamic/ztb:DeviceCompliancePolicy", "pulumi-python:dynamic/ztb:AppProtectionPolicy"}
DEVICE_SETTINGS_TYPE = "pulumi-python:dynamic/ztb:DeviceManagementSettings"
PLATFORM_BLOCK_NAME = re.compile(r"(?:^|-)priv-ca-07$")
#: Compliance @odata.type -> the Conditional Access platform it judges.
PLATFORM_OF_TYPE = {"windows10compliancepolicy": "windows", "macoscompliancepolicy": "macos", "ioscompliancepolicy": "ios",
                    "androidworkprofilecompliancepolicy": "android", "androiddeviceownercompliancepolicy": "android"}


def device_policy_assigned(args: Any, report: Report) -> None:
    """A compliance or app protection policy is assigned, and to groups only (no exclusion, no all-users
    target): an unassigned policy judges no one, so PRIV-CA-03 lets devices through that nothing checked."""
    if args.resource_type not in DEVICE_POLICY_TYPES:
        return
    assignments = args.props.get("assignments")
    targets = [_get(a, "target", "@odata.type") for a in assignments] if isinstance(assignments, Sequence) and not isinstance(assignments, str) else []
    if not targets:
        report(f"{_label(args)} has no assignments, so it judges no privileged user's device")
    elif any(not isinstance(t, str) or "exclusion" in t.lower() for t in targets):
        report(f"{_label(args)} has an exclusion or unreadable assignment target; assign it to the groups PRIV-CA-03 includes")


def secure_by_default_on(args: Any, report: Report) -> None:
    """The tenant setting, where the stack manages it, is never turned off."""
    if args.resource_type == DEVICE_SETTINGS_TYPE and args.props.get("secureByDefault") is not True:
        report(f"{_label(args)} turns off 'mark devices with no compliance policy assigned as not compliant'")


def allowed_platforms_have_policies(args: Any, report: Report) -> None:
    """Every platform PRIV-CA-07 lets through has a compliance policy in the stack (none is judged by nothing)."""
    block = [r for r in args.resources if r.resource_type == CA_TYPE and PLATFORM_BLOCK_NAME.search(str(r.name).lower())]
    policies = [r for r in args.resources if r.resource_type == "pulumi-python:dynamic/ztb:DeviceCompliancePolicy"]
    if not block or not policies:
        return
    covered = {PLATFORM_OF_TYPE.get(str(_get(r.props, "policy", "@odata.type") or "").lstrip("#").lower().removeprefix("microsoft.graph."))
               for r in policies}
    allowed = set(_strings(_get(block[0].props, "conditions", "platforms", "excludedPlatforms")))
    for platform in sorted(allowed - covered - {None}):
        report(f"PRIV-CA-07 lets {platform} devices through but no compliance policy of the stack judges them", block[0].urn)


def group_pim_activation_requires_mfa_or_context(args: Any, report: Report) -> None:
    """Advisory: activating a PIM-for-Groups membership or ownership asks for MFA or an authentication context."""
    if args.resource_type != GROUP_PIM_TYPE:
        return
    activation = _get(args.props, "activationRules")
    if not isinstance(activation, Mapping):
        report(f"{args.name}: the group's PIM policy declares no activation rules: it stays at PIM's defaults (no MFA)")
        return
    if activation.get("requireMultifactorAuthentication") is not True and not activation.get("requiredConditionalAccessAuthenticationContext"):
        report(f"{args.name}: activating the group requires neither MFA nor an authentication context")


def access_review_keeps_access_in_check(args: Any, report: Report) -> None:
    """An access review names its reviewers, recurs, and never approves everyone when reviewers stay silent."""
    if args.resource_type != ACCESS_REVIEW_TYPE:
        return
    reviewers = args.props.get("reviewers")
    if isinstance(reviewers, Sequence) and not isinstance(reviewers, str) and not reviewers:
        report(f"{args.name}: the review names no reviewers, which makes it a self-review: admins would confirm their own access")
    if not isinstance(_get(args.props, "settings", "recurrence", "pattern"), Mapping):
        report(f"{args.name}: the review does not recur; a one-off review does not keep privileged access in check")
    decision = _get(args.props, "settings", "defaultDecision")
    if _get(args.props, "settings", "defaultDecisionEnabled") is True and str(decision).lower() == "approve":
        report(f"{args.name}: reviewers' silence approves everyone (defaultDecision Approve): the review would rubber-stamp all access")


# -- stack rule ----------------------------------------------------------------------------------

def emergency_group_excluded_everywhere(args: Any, report: Report) -> None:
    """The emergency-access group this stack creates is excluded by every Conditional Access policy.

    Its object ID exists only once the group does, so no config can name it on a first deployment;
    the stack's own group resource (``...-priv-grp-02``) supplies it.
    """
    groups = [r for r in args.resources if r.resource_type == GROUP_TYPE and EMERGENCY_GROUP_NAME.search(str(r.name).lower())]
    ids = {str(_get(r.props, "objectId") or _get(r.props, "id") or "").lower() for r in groups} - {""}
    if not ids:
        return
    for r in args.resources:
        if is_ca(r.resource_type) and not ids <= excluded(ca_props(r.resource_type, r.props)):
            report(f"Conditional Access policy '{_get(ca_props(r.resource_type, r.props), 'displayName') or r.name}' does not "
                   "exclude the stack's emergency-access group", r.urn)


# -- the pack ------------------------------------------------------------------------------------

EMERGENCY_SCHEMA = {
    "emergencyAccessObjectIds": {
        "type": "array", "minItems": 1, "items": {"type": "string", "pattern": GUID},
        "description": "Object IDs of the break-glass accounts and of an existing emergency-access group.",
    }
}
PHASE_SCHEMA = {"phase": {"type": "string", "enum": ["evaluate", "pilot", "full"],
                          "description": "The stack's rollout phase (default: full when a policy includes directory roles)."}}

POLICIES = [
    ResourceValidationPolicy(
        name="ca-excludes-emergency-access",
        description="Every Conditional Access policy excludes the emergency-access (break-glass) accounts and group.",
        validate=ca_excludes_emergency_access, enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(EMERGENCY_SCHEMA, required=["emergencyAccessObjectIds"]),
    ),
    ResourceValidationPolicy(
        name="ca-no-block-all-without-exclusion",
        description="No Conditional Access policy blocks all users without excluding the emergency-access accounts.",
        validate=ca_no_block_all_without_exclusion, enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(EMERGENCY_SCHEMA),
    ),
    ResourceValidationPolicy(
        name="privileged-ca-not-disabled-in-full-phase",
        description="No privileged Conditional Access policy is disabled in the full rollout phase.",
        validate=privileged_ca_not_disabled_in_full_phase, enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(PHASE_SCHEMA),
    ),
    ResourceValidationPolicy(
        name="pim-activation-maximum",
        description="PIM activation of a privileged role is time-bound and at most the configured maximum.",
        validate=pim_activation_maximum, enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"maximumActivationDuration": {
            "type": "string", "pattern": DURATION.pattern, "default": DEFAULT_MAX_ACTIVATION,
            "description": "Longest activation allowed, ISO 8601 (PT1H..PT24H).",
        }}),
    ),
    StackValidationPolicy(
        name="emergency-group-excluded-everywhere",
        description="The emergency-access group the stack creates is excluded by every Conditional Access policy.",
        validate=emergency_group_excluded_everywhere, enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="privileged-ca-enforced-in-full-phase",
        description="Privileged Conditional Access policies are enforced, not report-only, in the full phase.",
        validate=privileged_ca_enforced_in_full_phase, enforcement_level=EnforcementLevel.ADVISORY,
        config_schema=PolicyConfigSchema(PHASE_SCHEMA),
    ),
    ResourceValidationPolicy(
        name="device-policy-assigned",
        description="Every compliance and app protection policy is assigned to groups (none judges no one).",
        validate=device_policy_assigned, enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="allowed-platforms-have-policies",
        description="Every device platform PRIV-CA-07 lets through has a compliance policy in the stack.",
        validate=allowed_platforms_have_policies, enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="secure-by-default-on",
        description="Intune's 'devices with no compliance policy are not compliant' is not turned off by the stack.",
        validate=secure_by_default_on, enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="access-review-keeps-access-in-check",
        description="Access reviews name reviewers, recur, and never approve everyone when reviewers do not respond.",
        validate=access_review_keeps_access_in_check, enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="group-pim-activation-requires-mfa-or-context",
        description="Activating a PIM-for-Groups membership or ownership requires MFA or an authentication context.",
        validate=group_pim_activation_requires_mfa_or_context, enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="pim-activation-requires-mfa-and-justification",
        description="Activating a privileged role requires MFA (or an authentication context) and a justification.",
        validate=pim_activation_requires_mfa_and_justification, enforcement_level=EnforcementLevel.ADVISORY,
    ),
]

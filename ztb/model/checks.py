"""Checks across config keys and of the baseline built from them, after the schema.

:func:`ztb.config.validate` runs these last. First the config against itself: one object in two
places that must differ (a break-glass account made eligible, the privileged group equal to the
emergency-access group), the same role or ID twice, no owners for the groups. Then the built
baseline, as the engine and pulumi-azuread would check it later: a ``reportOnlyControls`` entry
that names no policy (the policy would enforce), a policy the provider cannot deploy, two
resources with one name. Each is refused by `ztb plan` and by the program before anything is
declared.
"""

from __future__ import annotations

import difflib

from ztb.deploy import azuread
from ztb.catalogue import roles as rc
from ztb.config import NAMESPACE, BaselineConfig, ConfigError
from ztb.model.baseline import Baseline, build
from ztb.model.controls import Control, Kind

#: Where a provider refusal comes from in the config, per control: the key and its fix.
FIXES = {
    ("PRIV-CA-08", "conditions.applications"): (
        "list at least one application in 'ztb:securityApps' or 'ztb:galleryApps' (the Security Copilot Portal is "
        "bb5ffd56-39eb-458c-a53a-775ba21277da)"
    ),
}
DEFECT = "the model built this from a valid config, so this is a ztb defect: report it with the config"


def checked(cfg: BaselineConfig) -> Baseline:
    """The baseline built from ``cfg``, or ConfigError naming every problem, one line each.

    The baseline is built only from a config that agrees with itself; the one these checks built
    is the one the caller gets, so a command builds its model once.
    """
    found = _semantic_problems(cfg)
    if found:
        raise ConfigError(found)
    baseline = build(cfg)
    found = _report_only(cfg, baseline) + _deployable(baseline) + _unique(baseline)
    if found:
        raise ConfigError(found)
    return baseline


def _group_slots(cfg: BaselineConfig) -> dict[str, str]:
    """Config key -> group object ID, for every group the config names (each must be another group)."""
    slots = {
        "emergencyAccessGroupId": cfg.emergencyAccessGroupId,
        "conditionalAccessExclusionGroupId": cfg.conditionalAccessExclusionGroupId,
        "privilegedGroupId": cfg.privilegedGroupId,
        "ringGroupIds.evaluate": cfg.ringGroupIds.evaluate,
        "ringGroupIds.pilot": cfg.ringGroupIds.pilot,
        "ringGroupIds.full": cfg.ringGroupIds.full,
        "pim.approverGroupId": cfg.pim.approverGroupId,
        **{f"pim.groups.{gid}": gid for gid in cfg.pim.groups},
    }
    return {k: v for k, v in slots.items() if v}


def _identity_problems(cfg: BaselineConfig) -> list[str]:
    """One object in two places that must differ: the config contradicts itself or defeats a control."""
    problems: list[str] = []
    groups = _group_slots(cfg)
    by_id: dict[str, list[str]] = {}
    for key, oid in groups.items():
        by_id.setdefault(oid, []).append(key)
    for oid, keys in by_id.items():
        if len(keys) > 1:
            problems.append(
                f"config {' and '.join(f'{NAMESPACE}:{k}' for k in keys)} name the same group {oid}; each must be its own group "
                "(one group in two roles defeats one of them: an emergency-access group that is also the privileged group excludes "
                "every admin from every policy)"
            )
    principals = set(cfg.eligibility)
    breakglass = set(cfg.emergencyAccessUserIds)
    excluded = set(cfg.conditionalAccessExclusionMemberIds)
    owners = set(cfg.owner_ids)
    for oid in sorted(principals & breakglass):
        problems.append(
            f"config '{NAMESPACE}:eligibility' makes break-glass account {oid} eligible for a role; emergency-access accounts are "
            "excluded from every privileged policy, so remove it from ztb:eligibility (or from ztb:emergencyAccessUserIds)"
        )
    for oid in sorted(principals & excluded):
        problems.append(
            f"config '{NAMESPACE}:eligibility' makes {oid} eligible for a role although it is in "
            "ztb:conditionalAccessExclusionMemberIds, which every privileged policy excludes; remove it from one of them"
        )
    for oid in sorted(principals & set(groups.values())):
        where = " and ".join(f"{NAMESPACE}:{k}" for k in by_id[oid])
        problems.append(
            f"config '{NAMESPACE}:eligibility' makes group {oid} ({where}) eligible for a role; the baseline's own groups "
            "must not hold roles: make the admins eligible instead"
        )
    for oid in sorted(owners & set(groups.values())):
        problems.append(
            f"config '{NAMESPACE}:groupOwners' lists {oid}, which is the group {', '.join(f'{NAMESPACE}:{k}' for k in by_id[oid])}; owners are users or "
            "service principals (pulumi-azuread would drop a group and make the deploying principal owner instead)"
        )
    owners_key = f"{NAMESPACE}:groupOwners" if cfg.groupOwners is not None else f"{NAMESPACE}:groupOwners (default: the break-glass accounts)"
    for oid in sorted(owners & principals - breakglass):
        problems.append(
            f"config '{owners_key}' lists {oid}, who is also in ztb:eligibility; an owner can change the membership "
            "of the emergency-access and privileged groups (and so exclude themselves), so owners must not be the admins the "
            "baseline covers"
        )
    for slot, ids in (("emergencyAccessUserIds", breakglass), ("conditionalAccessExclusionMemberIds", excluded)):
        for oid in sorted(ids & set(groups.values())):
            problems.append(
                f"config '{NAMESPACE}:{slot}' lists {oid}, which is the group {', '.join(f'{NAMESPACE}:{k}' for k in by_id[oid])}; "
                "list user object IDs there"
            )
    return problems


def _duplicate_problems(cfg: BaselineConfig) -> list[str]:
    problems: list[str] = []

    def dupes(key: str, values: list[str], fold=str.lower) -> None:
        seen: dict[str, str] = {}
        for v in values:
            f = fold(v)
            if f in seen:
                problems.append(f"config '{NAMESPACE}:{key}' lists {v!r} twice; list it once")
            seen.setdefault(f, v)

    dupes("securityApps", [a.appId for a in cfg.securityApps])
    dupes("galleryApps", [a.templateId for a in cfg.galleryApps])
    dupes("acceptedUnmanagedPolicies", [p.id for p in cfg.acceptedUnmanagedPolicies])
    dupes("reportOnlyControls", list(cfg.reportOnlyControls), fold=str.upper)
    return problems


def _role_problems(cfg: BaselineConfig) -> list[str]:
    problems: list[str] = []
    resolved: dict[str, list[tuple[str, rc.Role]]] = {}

    def role_list(where: str, names: list[str]) -> set[str]:
        seen: dict[str, str] = {}
        for i, name in enumerate(names):
            try:
                role = rc.resolve(name)
            except rc.UnknownRoleError as e:
                problems.append(f"config '{NAMESPACE}:{where}[{i}]': {e}")
                continue
            if role.template_id in seen:
                problems.append(
                    f"config '{NAMESPACE}:{where}[{i}]': {name!r} is role '{role.name}', already listed as "
                    f"{seen[role.template_id]!r}; list it once"
                )
            seen.setdefault(role.template_id, name)
            resolved.setdefault(role.short_id, []).append((f"{where}[{i}]", role))
        return set(seen)

    added = role_list("roles.add", cfg.roles.add)
    removed = role_list("roles.remove", cfg.roles.remove)
    role_list("pim.approvalRoles", cfg.pim.approvalRoles)
    for principal, names in cfg.eligibility.items():
        role_list(f"eligibility.{principal}", names)
    for gid, names in cfg.pim.groups.items():
        role_list(f"pim.groups.{gid}", names)
    for tid in sorted(added & removed):
        problems.append(f"config '{NAMESPACE}:roles' both adds and removes role {rc.resolve(tid).name}; keep one")
    # Control IDs name a role by the first block of its template ID (PRIV-PIM-62e90394): refuse a
    # custom role whose ID starts like another's rather than give two controls one ID.
    for role in rc.catalogue():
        resolved.setdefault(role.short_id, []).append(("the role catalogue", role))
    for short, uses in sorted(resolved.items()):
        distinct = {r.template_id: where for where, r in uses}
        if len(distinct) > 1:
            listed = ", ".join(f"{tid} ({where})" for tid, where in sorted(distinct.items()))
            problems.append(
                f"config names roles whose template IDs share the first block {short}: {listed}; control IDs would "
                "collide, so leave one of them out"
            )
    return problems


def _semantic_problems(cfg: BaselineConfig) -> list[str]:
    problems = []
    if not cfg.emergencyAccessGroupId and not cfg.emergencyAccessUserIds:
        problems.append(
            "config has no emergency-access (break-glass) accounts: set 'ztb:emergencyAccessGroupId' to the "
            "exclusion group's object ID, or 'ztb:emergencyAccessUserIds' to the break-glass user IDs; "
            "no policy is planned without this exclusion"
        )
    elif not cfg.owner_ids:
        problems.append(
            "config has no group owners: set 'ztb:groupOwners' to the users or service principals that may own the baseline's "
            "groups (it defaults to ztb:emergencyAccessUserIds, which is not set); without owners pulumi-azuread makes the "
            "deploying principal owner, and an owner can change who every privileged policy excludes"
        )
    problems += _role_problems(cfg)
    problems += _identity_problems(cfg)
    problems += _duplicate_problems(cfg)
    problems += _platform_problems(cfg)
    problems += _governance_problems(cfg)
    if cfg.pim.approvalRoles and not cfg.pim.approverGroupId:
        problems.append(
            "config 'ztb:pim.approverGroupId' is required while 'ztb:pim.approvalRoles' is not empty; "
            "name the group whose members approve activations (not the requesters themselves)"
        )
    return problems


def _platform_problems(cfg: BaselineConfig) -> list[str]:
    """A platform PRIV-CA-07 lets through must have a compliance policy PRIV-CA-03 can judge it by."""
    from ztb.model.device_settings import SUPPORTED_PLATFORMS

    out = []
    for p in cfg.devicePlatforms:
        if p not in SUPPORTED_PLATFORMS:
            out.append(
                f"config '{NAMESPACE}:devicePlatforms' allows {p}, but ztb has no compliance policy for {p} (Intune's Linux "
                "compliance is a settings-catalog policy ztb does not deploy), so PRIV-CA-03 would judge those devices by "
                f"none; remove {p} from ztb:devicePlatforms (PRIV-CA-07 then blocks it)"
            )
    return out


def _governance_problems(cfg: BaselineConfig) -> list[str]:
    """Access reviews without reviewers, a GA mailbox that is not separate, activation left with neither MFA nor context."""
    from ztb.model import auth_context

    problems = []
    if cfg.accessReviews.enabled and not (cfg.accessReviews.reviewerGroupId or cfg.pim.approverGroupId):
        problems.append(
            f"config '{NAMESPACE}:accessReviews' has no reviewers: set '{NAMESPACE}:accessReviews.reviewerGroupId' (or "
            f"'{NAMESPACE}:pim.approverGroupId', the default) to the group whose members review, or set accessReviews.enabled false"
        )
    reviewer = cfg.accessReviews.reviewerGroupId
    reviewed = {k: v for k, v in _group_slots(cfg).items() if k in ("emergencyAccessGroupId", "conditionalAccessExclusionGroupId",
                                                                   "privilegedGroupId") or k.startswith("pim.groups.")}
    for key, oid in reviewed.items():
        if reviewer and reviewer == oid:
            problems.append(
                f"config '{NAMESPACE}:accessReviews.reviewerGroupId' is {NAMESPACE}:{key}; its members would review their own access "
                "(a self-review); name a separate reviewer group, such as ztb:pim.approverGroupId"
            )
    ga_box = cfg.pim.globalAdminNotificationMailbox
    if ga_box and ga_box.casefold() == cfg.pim.notificationMailbox.casefold():
        problems.append(
            f"config '{NAMESPACE}:pim.globalAdminNotificationMailbox' is the same mailbox as ztb:pim.notificationMailbox; name a "
            "separate mailbox for Global Administrator activations (ScubaGear MS.AAD.7.9), or remove the key"
        )
    neither = auth_context.neither_problem(cfg)
    if neither:
        problems.append(neither)
    return problems


def _report_only(cfg: BaselineConfig, baseline: Baseline) -> list[str]:
    """Each entry names a policy the baseline builds; a typo would leave the policy enforcing."""
    policies = [c.id for c in baseline.of_kind(Kind.CONDITIONAL_ACCESS_POLICY)]
    kinds = {c.id: c.kind for c in baseline.controls}
    out = []
    for i, entry in enumerate(cfg.reportOnlyControls):
        if entry in policies:
            continue
        where = f"config '{NAMESPACE}:reportOnlyControls[{i}]'"
        if entry in kinds:
            out.append(f"{where}: {entry} is a {kinds[entry]}, not a Conditional Access policy; only policies can be report-only")
            continue
        close = difflib.get_close_matches(str(entry).upper(), policies, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        out.append(
            f"{where}: {str(entry)!r} names no policy of this baseline, so the policy meant to stay report-only would enforce; "
            f"{hint}policies: {', '.join(policies)}"
        )
    return out


def _deployable(baseline: Baseline) -> list[str]:
    from ztb.deploy import graph_ca

    out = []
    for c in baseline.of_kind(Kind.CONDITIONAL_ACCESS_POLICY):
        if getattr(c.meta, "via_graph", False):
            for fact in graph_ca.deployability_problems(c.desired):
                out.append(f"config makes {c.id} ({c.title}) undeployable through ztb's Graph provider: {fact}; {_fix(c, fact)}")
            continue
        try:
            facts = azuread.deployability_problems(azuread.to_azuread(c.desired))
        except azuread.UnsupportedByAzureadError as e:
            facts = [str(e)]
        for fact in facts:
            out.append(f"config makes {c.id} ({c.title}) undeployable through pulumi-azuread: {fact}; {_fix(c, fact)}")
    return out


def _fix(c: Control, fact: str) -> str:
    for (cid, prefix), fix in FIXES.items():
        if c.id == cid and fact.startswith(prefix):
            return fix
    return DEFECT


def _unique(baseline: Baseline) -> list[str]:
    """Control IDs, and the resource names made from them (lowercased), are each used once."""
    seen: dict[str, str] = {}
    out = []
    for c in baseline.controls:
        key = c.id.lower()
        if key in seen:
            out.append(f"controls {seen[key]} and {c.id} would get the same ID or resource name; {DEFECT}")
        seen.setdefault(key, c.id)
    return out

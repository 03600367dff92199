"""The break-glass checklist: excluded from EVERY enabled Conditional Access policy in the tenant
(not only the baseline's: one tenant-wide MFA policy without the exclusion locks the way back in)
and from the baseline's policies in whatever state (they are what enforcement switches on),
cloud-only, holding a phishing-resistant method, and not used in the window."""

from __future__ import annotations

from typing import Any

from ztb.readiness.checks import method_combinations, phishing_resistant
from ztb.readiness.verdicts import Check, CheckName, Person, Status


def catches(policy: dict[str, Any], user: str, groups: set[str], roles: set[str]) -> bool:
    """Does ``policy`` apply to ``user`` (member of ``groups``, holding ``roles``), exclusions considered?"""
    users = (policy.get("conditions") or {}).get("users") or {}
    low = lambda key: {str(x).lower() for x in users.get(key) or []}  # noqa: E731
    included = bool({"all", user} & low("includeUsers") or groups & low("includeGroups") or roles & low("includeRoles"))
    excluded = bool(user in low("excludeUsers") or groups & low("excludeGroups") or roles & low("excludeRoles"))
    return included and not excluded


def break_glass(uid: str, t: Any, ours: dict[str, tuple[str, str]], since: str) -> Person:
    """One break-glass account's checklist (``t`` is :class:`ztb.readiness.read.Tenant`)."""
    user = t.users.get(uid)
    person = Person(uid, str((user or {}).get("userPrincipalName") or uid), str((user or {}).get("displayName") or ""),
                    ["break-glass account (ztb:emergencyAccessUserIds or the emergency-access group)"], break_glass=True)
    if user is None:
        person.checks.append(Check(CheckName.CLOUD_ONLY, Status.BLOCKED, "no such user in the tenant",
                                   "create the break-glass account or correct ztb:emergencyAccessUserIds", ["PRIV-GRP-02"]))
        return person
    person.synced = bool(user.get("onPremisesSyncEnabled"))
    # Excluded from every enabled policy.
    if t.member_of is None:
        person.checks.append(Check(CheckName.EXCLUDED, Status.UNKNOWN, t.missing.get("member_of", "group memberships were not read")))
    else:
        groups = t.member_of.get(uid, set())
        roles = {h.role_id for h in t.access.of(uid) if not h.eligible}
        # Every enabled policy, and the baseline's policies whatever their state: enforcing is what is being gated.
        judged = [p for p in t.policies if str(p.get("state") or "") == "enabled" or str(p["id"]).lower() in ours]
        caught = [p for p in judged if catches(p, uid, groups, roles)]
        if caught:
            names = "; ".join(f"'{p.get('displayName', '')}' ({p['id']}, {ours[str(p['id']).lower()][0] if str(p['id']).lower() in ours else 'not in the baseline'})"
                              for p in caught)
            person.checks.append(Check(CheckName.EXCLUDED, Status.BLOCKED, f"caught by {len(caught)} enabled policy(ies): {names}",
                                       "exclude the emergency-access group from each of these policies (or accept the policy in "
                                       "ztb:acceptedUnmanagedPolicies only once it excludes it)",
                                       [ours[str(p['id']).lower()][0] if str(p['id']).lower() in ours else str(p["id"]) for p in caught]))
        else:
            person.checks.append(Check(CheckName.EXCLUDED, Status.READY,
                                       f"excluded from all {len(judged)} policies that are or will be enforced (enabled, or the baseline's)"))
    person.checks.append(
        Check(CheckName.CLOUD_ONLY, Status.BLOCKED, "synced from on-premises: an on-premises outage or compromise takes the way back in with it",
              "use a cloud-only account (*.onmicrosoft.com) as break-glass", ["PRIV-GRP-02"])
        if person.synced else Check(CheckName.CLOUD_ONLY, Status.READY, "cloud-only"))
    # A phishing-resistant method: Microsoft's mandatory MFA for admin portals applies to break-glass accounts too.
    if t.registration is None:
        person.checks.append(Check(CheckName.METHOD, Status.UNKNOWN, t.missing.get("registration", "registration details were not read")))
    else:
        methods = [str(m) for m in (t.registration.get(uid) or {}).get("methodsRegistered") or []]
        ok = phishing_resistant(method_combinations(methods))
        person.checks.append(Check(CheckName.METHOD, Status.READY, f"registered: {', '.join(methods)}") if ok else
                             Check(CheckName.METHOD, Status.BLOCKED, f"no phishing-resistant method (registered: {', '.join(methods) or 'none'}); "
                                   "Microsoft's mandatory MFA for admin portals applies to break-glass accounts too",
                                   "register two FIDO2 security keys (or a certificate) for the account and store them apart",
                                   ["PRIV-GRP-02"]))
    if t.sign_ins is None:
        person.checks.append(Check(CheckName.UNUSED, Status.UNKNOWN, t.missing.get("sign_ins", "sign-in logs were not read")))
    else:
        used = t.sign_ins.get(uid, [])
        person.checks.append(Check(CheckName.UNUSED, Status.READY,
                                   f"signed in {len(used)} time(s) since {since}, last {used[0].get('createdDateTime')}: investigate unless "
                                   "it was an emergency or a drill" if used else f"not used since {since}"))
    return person


__all__ = ["break_glass", "catches"]

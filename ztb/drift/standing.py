"""Standing access: who holds a role in scope without asking for it, judged from the role schedules.

Read by the one reader of role assignment and eligibility schedules,
:mod:`ztb.tenant.role_access` (shared with `ztb readiness`). `ztb export` writes what it read into
the snapshot (:data:`~ztb.tenant.snapshot.STANDING_COLLECTIONS`), so drift judges a snapshot with
no Graph call, the window ending at the snapshot's ``exportedAt``; a snapshot without them (an
older export) leaves these checks and PRIV-MAN-04 not checked, never in sync, unless
``--standing-access`` reads them live. Each finding has a verdict from the same words drift uses
(``weakens`` / ``neutral``):

- ``STANDING-<principal>-<role>``: a permanent active assignment to a role in scope (break-glass
  accounts are excepted: they are listed as accepted, with the reason);
- ``OUTSIDE-PIM-<principal>-<role>``: an active assignment with no schedule start, made directly
  rather than through PIM (CISA MS.AAD.7.5; Maester's test reads it the same way);
- ``PRIV-MAN-04``: the number of Global Administrators (eligible or active, break-glass excepted)
  outside 2..4. Microsoft: fewer than five (Entra best practices); CISA MS.AAD.7.1v1: at least two
  and at most eight. ztb defaults to Microsoft's range, which lies inside CISA's
  (``ztb:globalAdministratorRange: cisa`` accepts up to eight);
- ``SYNCED-<principal>``: a privileged account synced from on-premises (an on-premises compromise
  becomes a cloud one);
- ``UNUSED-ELIG-<principal>-<role>``: a user's eligibility not activated in the window read;
- ``PIM-GROUP-<group>``: a role-assignable group holding a role in scope (eligible or active) that
  ``ztb:pim.groups`` does not declare: who may become its member or owner, for how long and with
  what approval is PIM for Groups' default, not the role's settings (issue #376 of CISA ScubaGear).
"""

from __future__ import annotations

from typing import Any, Iterable

from ztb.drift.report import MISSING, Finding
from ztb.model.baseline import Baseline

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
#: (fewest, most) Global Administrators: Microsoft's "fewer than five" with two for resilience; CISA's 2..8.
MICROSOFT_RANGE = (2, 4)
CISA_RANGE = (2, 8)
#: ``ztb:globalAdministratorRange`` -> the range it names.
RANGES = {"microsoft": MICROSOFT_RANGE, "cisa": CISA_RANGE}
STANDING = "standingAccess"
#: The control the Global Administrator count answers (a manual check until standing access is read).
GLOBAL_ADMIN_CHECK = "PRIV-MAN-04"
KIND = "roleAssignment"


def _short(i: str) -> str:
    return i[:8]


def standing_findings(b: Baseline, access: Any, break_glass: Iterable[str]) -> list[Finding]:
    """Every standing-access finding over ``access`` (:class:`~ztb.tenant.role_access.RoleAccess`)."""
    bg = {x.lower() for x in break_glass}
    limits = RANGES[b.config.globalAdministratorRange]
    names = {r.template_id: r.name for r in b.scope}
    out: list[Finding] = []
    groups = getattr(access, "groups", {}) or {}
    for h in access.holdings:
        if h.role_id not in names or h.principal_id in bg:
            continue
        who = str((access.users.get(h.principal_id) or {}).get("userPrincipalName") or h.principal_id)
        role = names[h.role_id]
        if h.standing:
            out.append(Finding(f"STANDING-{_short(h.principal_id)}-{_short(h.role_id)}", KIND, f"{who}: {role}", STANDING, "weakens",
                               f"permanent active assignment to {role}: the privilege is there without activation, approval or "
                               "MFA; make it eligible in PIM (time-bound)", [], h.principal_id))
        if h.outside_pim:
            out.append(Finding(f"OUTSIDE-PIM-{_short(h.principal_id)}-{_short(h.role_id)}", KIND, f"{who}: {role}", STANDING, "weakens",
                               f"active assignment to {role} made outside PIM (no schedule start; CISA MS.AAD.7.5); remove it and "
                               "grant the role through PIM", [], h.principal_id))
        # A group's members activate its eligibility as themselves: the group is judged by PIM-GROUP below.
        if h.eligible and access.since is not None and h.principal_id not in groups and (h.principal_id, h.role_id) not in access.activated:
            out.append(Finding(f"UNUSED-ELIG-{_short(h.principal_id)}-{_short(h.role_id)}", KIND, f"{who}: {role}", STANDING, "weakens",
                               f"eligible for {role} and not activated since {access.since.strftime('%Y-%m-%d')}: a role nobody uses "
                               "is attack surface; remove the eligibility (access review)", [], h.principal_id))
    synced = sorted({h.principal_id for h in access.holdings if h.role_id in names and h.principal_id not in bg
                     and (access.users.get(h.principal_id) or {}).get("onPremisesSyncEnabled") is True})
    for pid in synced:
        who = str(access.users[pid].get("userPrincipalName") or pid)
        out.append(Finding(f"SYNCED-{_short(pid)}", KIND, who, STANDING, "weakens",
                           "privileged account synced from on-premises: an on-premises compromise becomes a cloud one; use a "
                           "cloud-only account for privileged roles", [], pid))
    out += _undeclared_groups(b, access, groups, names)
    if GLOBAL_ADMINISTRATOR in names:
        holders = {h.principal_id for h in access.holdings if h.role_id == GLOBAL_ADMINISTRATOR}
        uncounted = sorted(gid for gid in holders & set(groups) if not isinstance(groups[gid].get("members"), list))
        if uncounted:
            # A group holding the role gives it to every member: without them the count is not known.
            out.append(Finding(GLOBAL_ADMIN_CHECK, KIND, "Global Administrator count", STANDING, "weakens",
                               f"group(s) {', '.join(uncounted)} hold Global Administrator but their members were not read, so "
                               "the count cannot be told; re-export with this version of ztb (`ztb export --config ... --out FILE`)",
                               [], None))
            return out
        # Each member of a group holding the role is a Global Administrator too; each person counts once.
        gas = ({p for p in holders if p not in groups}
               | {str(m).lower() for gid in holders & set(groups) for m in groups[gid]["members"]}) - bg
        low, high = limits
        if not low <= len(gas) <= high:
            out.append(Finding(GLOBAL_ADMIN_CHECK, KIND, "Global Administrator count", STANDING, "weakens",
                               f"{len(gas)} Global Administrators (eligible or active, break-glass excepted), outside {low}..{high} "
                               f"(ztb:globalAdministratorRange {b.config.globalAdministratorRange}): "
                               f"Microsoft recommends fewer than five, CISA MS.AAD.7.1v1 two to eight; "
                               + ("remove assignments" if len(gas) > high else "assign a second administrator"), [], None))
    return out


def _undeclared_groups(b: Baseline, access: Any, groups: dict[str, dict[str, Any]], names: dict[str, str]) -> list[Finding]:
    """Role-holding groups outside ``ztb:pim.groups``: their PIM for Groups settings are nobody's."""
    declared = {gid.lower() for gid in b.config.pim.groups}
    out = []
    for gid in sorted(set(groups) - declared):
        held = sorted({names[h.role_id] for h in access.of(gid) if h.role_id in names})
        if not held:
            continue
        name = str(groups[gid].get("displayName") or gid)
        out.append(Finding(f"PIM-GROUP-{_short(gid)}", "groupRoleManagementPolicy", f"{name}: {', '.join(held)}", STANDING, "weakens",
                           f"the role-assignable group holds {', '.join(held)} but ztb:pim.groups does not declare it, so who may "
                           "join or own it, for how long and with what approval are PIM for Groups' defaults, not the role's "
                           f"settings; add it to ztb:pim.groups ({gid}: [{', '.join(held)}]) or remove its role", [], gid))
    return out


def accepted_standing(b: Baseline, access: Any, break_glass: Iterable[str]) -> list[dict[str, Any]]:
    """Break-glass accounts' permanent assignments: excepted on purpose, listed so nobody wonders."""
    bg = {x.lower() for x in break_glass}
    names = {r.template_id: r.name for r in b.scope}
    return [{"id": h.principal_id, "displayName": f"{names[h.role_id]} (break-glass)",
             "reason": "break-glass account: a permanent assignment is the point of it"}
            for h in access.holdings if h.principal_id in bg and h.role_id in names and h.standing]


NOT_CHECKED = ("standing access (permanent, outside PIM, synced, unused eligibilities, undeclared role-holding groups) and "
               "PRIV-MAN-04 are judged from the role schedules, which this snapshot does not hold (exported by an older ztb): "
               "re-export it with `ztb export`, or add `--standing-access` to read them live")


def in_snapshot(snap: dict[str, Any]) -> bool:
    """Whether the snapshot carries standing access's evidence (all of STANDING_COLLECTIONS: validate refuses some)."""
    from ztb.tenant.snapshot import STANDING_COLLECTIONS

    return all(snap.get(k) is not None for k in STANDING_COLLECTIONS)


def from_snapshot(snap: dict[str, Any]) -> Any:
    """The snapshot's role access, the activation window ending when it was exported (None without an export time)."""
    from datetime import timedelta

    from ztb.tenant.role_access import REVIEW_WINDOW_DAYS, parse_time, role_access_of

    exported = parse_time(snap.get("exportedAt"))
    return role_access_of(snap, exported - timedelta(days=REVIEW_WINDOW_DAYS) if exported else None)


def break_glass_of(b: Baseline, snap: dict[str, Any]) -> set[str]:
    """The break-glass accounts: configured by ID, and the members of the emergency-access group in the snapshot."""
    from ztb.model import groups as g
    from ztb.tenant.groups import group_ids, match_groups

    out = {u.lower() for u in b.emergency.user_ids}
    gid = group_ids(match_groups(b, snap["groups"])).get(g.EMERGENCY, "").lower()
    for grp in snap["groups"]:
        if str(grp["id"]).lower() == gid:
            out |= {str(m["id"]).lower() for m in grp.get("members") or []}
    return out


def apply(report: Any, b: Baseline, access: Any, snap: dict[str, Any]) -> None:
    """Add the standing-access findings (and the break-glass exceptions) to a drift report, in place."""
    bg = break_glass_of(b, snap)
    report.findings.extend(standing_findings(b, access, bg))
    report.accepted.extend(accepted_standing(b, access, bg))
    report.not_checked.pop(GLOBAL_ADMIN_CHECK, None)
    from ztb.compare import classify as cl

    eligible = {(h.principal_id, h.role_id) for h in access.holdings if h.eligible}
    for c in b.of_kind("roleEligibility"):  # the eligibilities the stack declares: now read, so checked
        report.not_checked.pop(c.id, None)
        if (c.meta.principal_id.lower(), c.meta.template_id.lower()) not in eligible:
            v = cl.classify_operation("delete", c.kind)
            report.findings.append(Finding(c.id, c.kind, c.display_name, MISSING, v.impact,
                                           f"{c.meta.principal_id} is not eligible for {c.meta.role_name}: {v.reason}"))


def read_live(b: Baseline, tenant: str, graph_url: Any = None) -> Any:
    """The role schedules of the roles in scope, read live (read-only), for the snapshot's ``tenant``."""
    import logging
    from datetime import datetime, timedelta, timezone

    from ztb.errors import ZtbError
    from ztb.graph.client import GraphClient
    from ztb.graph.errors import GraphError
    from ztb.graph.permissions import fix_for
    from ztb.graph.redact import redact, redacted_logs
    from ztb.tenant.export import ExportError
    from ztb.tenant.role_access import REVIEW_WINDOW_DAYS, read_role_access
    from ztb.tenant.verified import verify_answering_tenant

    logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
    since = datetime.now(timezone.utc) - timedelta(days=REVIEW_WINDOW_DAYS)
    with redacted_logs():
        try:
            with GraphClient(graph_url) as client:
                access = client.run(lambda g: read_role_access(g, [r.template_id for r in b.scope], since))
                verify_answering_tenant(client, b, tenant, "the role schedules")
        except GraphError as e:
            fix = fix_for(e)
            raise ZtbError(redact(f"reading the role schedules failed, nothing was compared: {e}" + (f"; {fix}" if fix else ""))) from None
        except (ValueError, ExportError) as e:
            raise ZtbError(redact(str(e))) from None
    return access

"""Who holds the roles in scope, and how: the one reader of role assignment and eligibility schedules.

`ztb readiness` (who is in scope, standing versus eligible) and drift's standing-access checks
(:mod:`ztb.drift.standing`) read the same Graph v1.0 collections through this module, so they
cannot disagree on who holds a role:

- ``roleAssignmentScheduleInstances``: active assignments, ``assignmentType`` ``Assigned``
  (permanent when ``endDateTime`` is null; made outside PIM when ``startDateTime`` is null, the
  test Maester uses for CISA MS.AAD.7.5) or ``Activated`` (an eligibility in use);
- ``roleEligibilityScheduleInstances``: eligible assignments;
- ``roleAssignmentScheduleRequests`` with ``action eq 'selfActivate'``: who activated what, and when.

Both instance collections are filtered server-side by ``roleDefinitionId in (...)`` (15 roles a
filter, Graph's limit) with ``$select`` of the fields used; all reads go through ``$batch``.

:func:`read_role_schedules` returns what was read as Graph's JSON, the four collections of
:data:`~ztb.tenant.snapshot.STANDING_COLLECTIONS` (`ztb export` writes them into the snapshot);
:func:`role_access_of` makes a :class:`RoleAccess` of them, live or from a snapshot, so drift on a
snapshot and drift on the live tenant judge the same evidence the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from ztb.graph.client import V1, AsyncGraph
from ztb.tenant import shapes
from ztb.tenant.people import GROUP_TYPE, USER_TYPE, in_filter, read_principals, transitive_user_members
from ztb.tenant.snapshot import STANDING_COLLECTIONS

ASSIGNMENTS = "/roleManagement/directory/roleAssignmentScheduleInstances"
ELIGIBILITIES = "/roleManagement/directory/roleEligibilityScheduleInstances"
ACTIVATION_REQUESTS = "/roleManagement/directory/roleAssignmentScheduleRequests"
ASSIGNMENT_SELECT = ("id", "principalId", "roleDefinitionId", "directoryScopeId", "assignmentType", "memberType",
                     "startDateTime", "endDateTime")
ELIGIBILITY_SELECT = ("id", "principalId", "roleDefinitionId", "directoryScopeId", "memberType", "startDateTime", "endDateTime")
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?(Z|z|[+-]\d{2}:\d{2})?", re.ASCII)
ACTIVATION_SELECT = ("id", "principalId", "roleDefinitionId", "action", "createdDateTime")
#: The window in which an eligibility must have been activated (a quarter: access reviews' usual cadence).
REVIEW_WINDOW_DAYS = 90
ASSIGNMENT_INSTANCES, ELIGIBILITY_INSTANCES, ACTIVATIONS, PRINCIPALS = STANDING_COLLECTIONS


@dataclass(frozen=True)
class Holding:
    """One principal's hold on one role: eligible, or active (assigned or activated)."""

    principal_id: str
    role_id: str
    eligible: bool
    assignment_type: str = ""  # "Assigned" or "Activated" for active holdings
    start: Optional[str] = None
    end: Optional[str] = None
    member_type: str = "Direct"

    @property
    def permanent(self) -> bool:
        return self.end is None

    @property
    def activated(self) -> bool:
        return self.assignment_type.strip().lower() == "activated"

    @property
    def assigned(self) -> bool:
        """Active and not an activation: ``Assigned``, and (fail closed) any other or missing
        ``assignmentType``, so an oddly written answer cannot hide a standing assignment."""
        return not self.eligible and not self.activated

    @property
    def standing(self) -> bool:
        """Permanently active: the privilege is there without anyone asking for it."""
        return self.assigned and self.permanent

    @property
    def outside_pim(self) -> bool:
        """An active assignment with no schedule start: made directly, not through PIM (MS.AAD.7.5)."""
        return self.assigned and self.start is None

    def words(self) -> str:
        """``eligible until 2027-05-01``, ``permanently active``, ``activated until ...``: for reports."""
        until = f" until {str(self.end)[:10]}" if self.end else ""
        if self.eligible:
            return "eligible" + (until or " (no end)")
        if self.activated:
            return f"activated{until}"
        return "permanently active" if self.permanent else f"active{until}"


@dataclass
class RoleAccess:
    """Every holding of the roles read, the users and groups among the principals, and activations since ``since``."""

    holdings: list[Holding]
    users: dict[str, dict[str, Any]]
    #: (principal, role) pairs activated since ``since`` (lower-case IDs).
    activated: set[tuple[str, str]] = field(default_factory=set)
    since: Optional[datetime] = None
    #: Groups holding a role (role-assignable groups), lower-case ID -> group.
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, principal_id: str) -> list[Holding]:
        return [h for h in self.holdings if h.principal_id == principal_id.lower()]

    def principals(self, role_ids: Optional[Iterable[str]] = None) -> set[str]:
        roles = {r.lower() for r in role_ids} if role_ids is not None else None
        return {h.principal_id for h in self.holdings if roles is None or h.role_id in roles}


def _holding(x: dict[str, Any], eligible: bool) -> Holding:
    return Holding(str(x.get("principalId") or "").lower(), str(x.get("roleDefinitionId") or "").lower(), eligible,
                   "" if eligible else str(x.get("assignmentType") or ""), x.get("startDateTime"), x.get("endDateTime"),
                   str(x.get("memberType") or "Direct"))


def parse_time(text: Any) -> Optional[datetime]:
    """Graph's ISO 8601 timestamps (``Z`` or an offset, up to 7 fractional digits) in UTC, or None."""
    if not isinstance(text, str):
        return None
    m = _TIME.fullmatch(text.strip())
    if not m:
        return None
    zone = "+00:00" if m.group(3) in (None, "Z", "z") else m.group(3)
    try:
        when = datetime.fromisoformat(f"{m.group(1)}.{(m.group(2) or '0')[:6].ljust(6, '0')}{zone}")
    except ValueError:
        return None
    return when.astimezone(timezone.utc)


async def read_role_schedules(g: AsyncGraph, role_ids: Iterable[str], since: Optional[datetime] = None) -> dict[str, list[dict[str, Any]]]:
    """The schedule instances of ``role_ids`` at the tenant scope ``/``, the activations since ``since``
    (none without it) and the principals named, as the snapshot's :data:`~ztb.tenant.snapshot.STANDING_COLLECTIONS`."""
    roles = sorted({r.lower() for r in role_ids})
    assign = [(ASSIGNMENTS, {"$filter": c, "$select": ",".join(ASSIGNMENT_SELECT)}) for c in in_filter("roleDefinitionId", roles)]
    elig = [(ELIGIBILITIES, {"$filter": c, "$select": ",".join(ELIGIBILITY_SELECT)}) for c in in_filter("roleDefinitionId", roles)]
    acts = [(ACTIVATION_REQUESTS, {"$filter": "action eq 'selfActivate'", "$select": ",".join(ACTIVATION_SELECT)})] if since else []
    lists = await g.list_many(assign + elig + acts, V1) if roles else []
    # Fail closed on a wrong shape before anything is read from it (one line naming the item and field).
    for n, items in enumerate(lists[:len(assign) + len(elig)]):
        shapes.checked(items, ELIGIBILITIES if n >= len(assign) else ASSIGNMENTS, "role schedule instance", shapes.SCHEDULE_INSTANCE)
    if acts and lists:
        shapes.checked(lists[-1], ACTIVATION_REQUESTS, "role activation request", shapes.ACTIVATION_REQUEST)
    at_root = lambda items: [x for page in items for x in page if (x.get("directoryScopeId") or "/") == "/"]  # noqa: E731
    assignments, eligibilities = at_root(lists[:len(assign)]), at_root(lists[len(assign):len(assign) + len(elig)])
    activations = [x for x in (lists[-1] if acts and lists else []) if str(x.get("roleDefinitionId") or "").lower() in roles
                   and _within(x.get("createdDateTime"), since)]
    named = {str(x.get("principalId") or "") for x in assignments + eligibilities}
    principals = await read_principals(g, named) if named else []
    # A group holding a role gives it to each member: the Global Administrator count needs them.
    holding_groups = [str(p["id"]).lower() for p in principals if p.get("@odata.type") == GROUP_TYPE]
    members = await transitive_user_members(g, holding_groups) if holding_groups else {}
    for p in principals:
        if p.get("@odata.type") == GROUP_TYPE:
            p["members"] = sorted(members.get(str(p["id"]).lower(), set()))
    return {ASSIGNMENT_INSTANCES: assignments, ELIGIBILITY_INSTANCES: eligibilities, ACTIVATIONS: activations, PRINCIPALS: principals}


def _within(text: Any, since: Optional[datetime]) -> bool:
    when = parse_time(text)
    return since is not None and when is not None and when >= since


def role_access_of(collections: dict[str, Any], since: Optional[datetime]) -> RoleAccess:
    """The holdings, principals and activations (since ``since``) of :func:`read_role_schedules`' collections or a snapshot's."""
    holdings = [_holding(x, False) for x in collections[ASSIGNMENT_INSTANCES] if (x.get("directoryScopeId") or "/") == "/"]
    holdings += [_holding(x, True) for x in collections[ELIGIBILITY_INSTANCES] if (x.get("directoryScopeId") or "/") == "/"]
    activated = {(str(x.get("principalId") or "").lower(), str(x.get("roleDefinitionId") or "").lower())
                 for x in collections[ACTIVATIONS] if _within(x.get("createdDateTime"), since)}
    # Activated instances are current activations: they count as activated in the window too.
    activated |= {(h.principal_id, h.role_id) for h in holdings if h.activated}
    of_type = lambda t: {str(p["id"]).lower(): p for p in collections[PRINCIPALS] if p.get("@odata.type") == t}  # noqa: E731
    return RoleAccess(holdings, of_type(USER_TYPE), activated, since, of_type(GROUP_TYPE))


async def read_role_access(g: AsyncGraph, role_ids: Iterable[str], since: Optional[datetime] = None) -> RoleAccess:
    """Holdings of ``role_ids`` at the tenant scope ``/``, their users and groups, and activations since ``since``."""
    return role_access_of(await read_role_schedules(g, role_ids, since), since)


__all__ = ["REVIEW_WINDOW_DAYS", "Holding", "RoleAccess", "parse_time", "read_role_access", "read_role_schedules", "role_access_of"]

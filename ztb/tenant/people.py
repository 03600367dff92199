"""The people behind object IDs: users, group members, group memberships (read-only Graph).

Shared by `ztb readiness` and drift's standing-access checks, so both read a principal the same
way. Requests grow with pages, not with people: users are read by ``id in (...)`` filters of
:data:`~ztb.tenant.export.IN_FILTER_MAX` IDs, members and memberships as one collection per group
or user, and all of them go through :meth:`~ztb.graph.client.AsyncGraph.list_many` (first pages
20 per ``$batch``, next links followed, a throttled part read again). A failure on any page raises
:class:`~ztb.graph.errors.GraphError`: nothing partial is returned.
"""

from __future__ import annotations

from typing import Any, Iterable

from ztb.catalogue.roles import GUID_RE
from ztb.graph.client import V1, AsyncGraph
from ztb.graph.errors import GraphError
from ztb.graph.odata import literal
from ztb.tenant.export import IN_FILTER_MAX, _chunks, _groups

USERS = "/users"
#: What readiness and drift read of a user; nothing else is selected.
USER_SELECT = ("id", "displayName", "userPrincipalName", "onPremisesSyncEnabled", "accountEnabled")
USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
#: Members are read with IDs and types only, 999 a page (Graph's maximum).
MEMBER_QUERY = {"$select": "id", "$top": "999"}


def in_filter(field: str, values: Iterable[str], size: int = IN_FILTER_MAX) -> list[str]:
    """``field in ('a','b',...)`` clauses, ``size`` values each (Graph's limit), values quoted."""
    return [f"{field} in ({','.join(literal(v) for v in chunk)})" for chunk in _chunks(values, size)]


def _guid(value: Any, what: str, resource: str) -> str:
    text = str(value)
    if not GUID_RE.match(text):  # it becomes a URL path or a filter literal: only an object ID may
        raise GraphError("GET", resource, None, "InvalidResponse", f"{what} {text[:40]!r} is not a GUID; nothing was used")
    return text.lower()


async def read_users(g: AsyncGraph, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The users among ``ids`` (lower-case ID -> user with :data:`USER_SELECT`); other IDs are absent."""
    ids = {_guid(i, "principal id", USERS) for i in ids}
    reads = [(USERS, {"$filter": clause, "$select": ",".join(USER_SELECT)}) for clause in in_filter("id", ids)]
    pages = await g.list_many(reads, V1) if reads else []
    out: dict[str, dict[str, Any]] = {}
    for user in (u for page in pages for u in page):
        key = str(user["id"]).lower()
        if key not in ids:
            raise GraphError("GET", USERS, None, "InvalidResponse", f"user {key[:40]} was not asked for; nothing was used")
        out[key] = user
    return out


async def read_principals(g: AsyncGraph, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The users and groups among ``ids``, each with its ``@odata.type`` (the snapshot's ``rolePrincipals``).

    Users first (:func:`read_users`), then the rest as groups by ``id in (...)`` (the export's group
    reader): a role-assignable group holding a role is a principal too. Other IDs (service
    principals) are absent.
    """
    users = await read_users(g, ids)
    rest = {_guid(i, "principal id", USERS) for i in ids} - set(users)
    groups = await _groups(g, "id", rest) if rest else []
    for grp in groups:
        if str(grp.get("id", "")).lower() not in rest:
            raise GraphError("GET", "/groups", None, "InvalidResponse",
                             f"group {str(grp.get('id'))[:40]} was not asked for; nothing was used")
    return ([{"@odata.type": USER_TYPE, **u} for _, u in sorted(users.items())]
            + [{"@odata.type": GROUP_TYPE, **grp} for grp in sorted(groups, key=lambda x: str(x["id"]).lower())])


async def transitive_user_members(g: AsyncGraph, group_ids: Iterable[str]) -> dict[str, set[str]]:
    """Group ID -> the IDs of the users among its transitive members (nested groups expanded by Graph)."""
    ids = sorted({_guid(i, "group id", "/groups") for i in group_ids})
    lists = await g.list_many([(f"/groups/{gid}/transitiveMembers", MEMBER_QUERY) for gid in ids], V1) if ids else []
    return {gid: {str(x["id"]).lower() for x in items if x.get("@odata.type", USER_TYPE) == USER_TYPE}
            for gid, items in zip(ids, lists)}


async def transitive_groups(g: AsyncGraph, user_ids: Iterable[str]) -> dict[str, set[str]]:
    """User ID -> the IDs of every group it is a member of, directly or through nested groups."""
    ids = sorted({_guid(i, "user id", USERS) for i in user_ids})
    lists = await g.list_many([(f"/users/{uid}/transitiveMemberOf", {"$select": "id"}) for uid in ids], V1) if ids else []
    return {uid: {str(x["id"]).lower() for x in items} for uid, items in zip(ids, lists)}

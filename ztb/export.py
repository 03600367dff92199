"""`ztb export`: read the tenant (read-only Graph) into a snapshot.

Requests grow with pages, not with roles or policies: one paged list per collection, PIM policies
of every directory role in one filtered, rule-expanded list (Graph requires the scope filter), and
only the groups the baseline and the tenant's CA policies reference, 15 per filtered request
(Graph's limit for ``in``). Paging is followed to the end by :class:`~ztb.graph.client.GraphClient`;
a failure on any page of any collection raises :class:`~ztb.graph.errors.GraphError` and nothing is
returned, so a partial read can never become a snapshot (or a "no drift").
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from . import __version__
from .graph.client import BETA, V1, AsyncGraph, GraphClient
from .model.baseline import Baseline
from .snapshot import COLLECTIONS, GROUP_SELECT, ROLE_DEFINITION_SELECT, SCHEMA_VERSION

#: Graph's default limit on the values of one ``in`` filter (Graph known issues, query parameters).
IN_FILTER_MAX = 15
DIRECTORY_ROLES = "scopeId eq '/' and scopeType eq 'DirectoryRole'"
_PIM_POLICY_ID = re.compile(r"^DirectoryRole_([0-9a-fA-F-]{36})_")

#: Collection -> (path, query, version): one paged list each.
LISTS: dict[str, tuple[str, dict[str, str], str]] = {
    "conditionalAccessPolicies": ("/identity/conditionalAccess/policies", {}, V1),
    "namedLocations": ("/identity/conditionalAccess/namedLocations", {}, V1),
    "authenticationStrengthPolicies": ("/policies/authenticationStrengthPolicies", {}, V1),
    "roleManagementPolicies": ("/policies/roleManagementPolicies", {"$filter": DIRECTORY_ROLES, "$expand": "rules"}, V1),
    "roleManagementPolicyAssignments": ("/policies/roleManagementPolicyAssignments", {"$filter": DIRECTORY_ROLES}, V1),
    "deviceCompliancePolicies": ("/deviceManagement/deviceCompliancePolicies", {"$expand": "assignments"}, BETA),
    "roleDefinitions": ("/roleManagement/directory/roleDefinitions", {"$select": ",".join(ROLE_DEFINITION_SELECT)}, BETA),
}
#: What each command needs, least privilege first (application permissions; see README).
PERMISSIONS = (
    "Policy.Read.All", "RoleManagement.Read.Directory", "DeviceManagementConfiguration.Read.All", "GroupMember.Read.All",
)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _chunks(values: Iterable[str], size: int = IN_FILTER_MAX) -> list[list[str]]:
    items = sorted(set(values))
    return [items[i:i + size] for i in range(0, len(items), size)]


def stack_group_names(b: Baseline) -> set[str]:
    return {c.desired["displayName"] for c in b.of_kind("group") if c.managed}


def config_group_ids(b: Baseline) -> set[str]:
    ids = {c.meta["objectId"] for c in b.of_kind("group") if not c.managed}
    if b.config.pim.approverGroupId:
        ids.add(b.config.pim.approverGroupId)
    return {i.lower() for i in ids}


def policy_group_ids(policies: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for p in policies:
        users = (p.get("conditions") or {}).get("users") or {}
        out |= {str(i).lower() for i in (users.get("includeGroups") or []) + (users.get("excludeGroups") or [])}
    return out


async def _gather(calls: list) -> list:
    """Run every call; if any fails, raise the first failure (never return part of the reads)."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


async def _groups(g: AsyncGraph, field: str, values: Iterable[str]) -> list[dict[str, Any]]:
    query = lambda chunk: {"$filter": f"{field} in ({','.join(_quote(v) for v in chunk)})", "$select": ",".join(GROUP_SELECT)}  # noqa: E731
    pages = await _gather([g.list_all("/groups", query(chunk), V1) for chunk in _chunks(values)])
    return [x for page in pages for x in page]


async def read_tenant(g: AsyncGraph, b: Baseline) -> dict[str, Any]:
    """Every collection of the snapshot, read concurrently; groups once the CA policies name theirs."""
    names = list(LISTS)
    lists = await _gather([g.list_all(path, query or None, version) for path, query, version in LISTS.values()]
                          + [_groups(g, "displayName", stack_group_names(b))])
    out = dict(zip(names, lists[:-1]))
    by_name = lists[-1]
    known = {str(x["id"]).lower() for x in by_name}
    wanted = (config_group_ids(b) | policy_group_ids(out["conditionalAccessPolicies"])) - known
    by_id = await _groups(g, "id", wanted) if wanted else []
    seen: dict[str, dict[str, Any]] = {}
    for grp in by_name + by_id:
        seen.setdefault(str(grp["id"]).lower(), grp)
    out["groups"] = list(seen.values())
    return out


def _tenant_id(b: Baseline, collections: dict[str, Any]) -> str:
    if b.config.tenantId:
        return b.config.tenantId
    # A directory-role PIM policy's ID is DirectoryRole_<tenant ID>_<policy>: no extra request needed.
    for p in collections.get("roleManagementPolicies") or []:
        m = _PIM_POLICY_ID.match(str(p.get("id", "")))
        if m:
            return m.group(1).lower()
    return "unknown"


def export_snapshot(b: Baseline, graph_url: Optional[str] = None, credential: Any = None,
                    client: Optional[GraphClient] = None) -> dict[str, Any]:
    """Read the tenant into a snapshot dict; raises GraphError (one line) on any failed request."""
    own = client is None
    client = client or GraphClient(graph_url, credential)
    try:
        collections = client.run(lambda g: read_tenant(g, b))
    finally:
        if own:
            client.close()
    doc = {
        "schemaVersion": SCHEMA_VERSION,
        "tenantId": _tenant_id(b, collections),
        "exportedAt": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "toolVersion": f"ztb {__version__}",
    }
    doc.update({k: collections[k] for k in COLLECTIONS})
    return doc

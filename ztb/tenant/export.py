"""`ztb export`: read the tenant (read-only Graph) into a snapshot.

Requests grow with pages, not with roles or policies: one paged list per collection, PIM policies
of every directory role in one filtered, rule-expanded list (Graph requires the scope filter),
only the groups the baseline and the tenant's CA policies reference, 15 per filtered request
(Graph's limit for ``in``), and the members and owners of the baseline's groups through
``$batch`` (two sub-requests per group, 20 per batch). Paging is followed to the end by
:class:`~ztb.graph.client.GraphClient`; a failure on any page of any collection raises
:class:`~ztb.graph.errors.GraphError` and nothing is returned, so a partial read can never become
a snapshot (or a "no drift").

Standing access is part of the snapshot (:data:`~ztb.tenant.snapshot.STANDING_COLLECTIONS`): the
role schedule instances of the roles in scope, their principals and the activations of the last
:data:`~ztb.tenant.role_access.REVIEW_WINDOW_DAYS` days, read through ``$batch`` by
:mod:`ztb.tenant.role_access`, so `ztb drift --snapshot` judges it without reading Graph again.

Only what the stack declares is read: without a compliance control, the Intune collection is
skipped (a tenant without Intune answers it with an error), and the snapshot says so under
``skipped`` (collection -> reason).

The tenant is what the token and Graph say it is, never the configured value taken on trust:
the token's ``tid`` claim, the tenant inside directory-role PIM policy IDs
(``DirectoryRole_<tenant>_<id>``) and ``/organization`` where readable. They must agree with
each other and with ``ztb:tenantId``, and at least one must answer (:func:`verify_tenant`).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from ztb import __version__
from ztb.errors import ZtbError
from ztb.catalogue.roles import GUID_RE
from ztb.graph.client import BETA, V1, AsyncGraph, GraphClient
from ztb.graph.errors import GraphError
from ztb.graph.odata import literal
from ztb.graph.transport import gather
from ztb.model import stacks
from ztb.model.baseline import Baseline
from ztb.tenant.groups import match_groups
from ztb.tenant.snapshot import COLLECTIONS, GROUP_SELECT, OPTIONAL_COLLECTIONS, ROLE_DEFINITION_SELECT, SCHEMA_VERSION

#: Graph's default limit on the values of one ``in`` filter (Graph known issues, query parameters).
IN_FILTER_MAX = 15
DIRECTORY_ROLES = "scopeId eq '/' and scopeType eq 'DirectoryRole'"
_PIM_POLICY_ID = re.compile(r"^DirectoryRole_([0-9a-fA-F-]{36})_", re.ASCII)
COMPLIANCE = "deviceCompliancePolicies"
APP_PROTECTION = "managedAppPolicies"
SETTINGS = "deviceManagementSettings"
ROLE_ASSIGNMENTS = "roleAssignments"
ORGANIZATION = "/organization"
#: Members and owners: IDs and types only; 999 members per page (Graph's maximum), owners unpaged.
MEMBER_QUERY = {"$select": "id", "$top": "999"}
OWNER_QUERY = {"$select": "id"}

#: Collection -> (path, query, version): one paged list each.
LISTS: dict[str, tuple[str, dict[str, str], str]] = {
    "conditionalAccessPolicies": ("/identity/conditionalAccess/policies", {}, V1),
    "namedLocations": ("/identity/conditionalAccess/namedLocations", {}, V1),
    "authenticationStrengthPolicies": ("/policies/authenticationStrengthPolicies", {}, V1),
    "roleManagementPolicies": ("/policies/roleManagementPolicies", {"$filter": DIRECTORY_ROLES, "$expand": "rules"}, V1),
    "roleManagementPolicyAssignments": ("/policies/roleManagementPolicyAssignments", {"$filter": DIRECTORY_ROLES}, V1),
    COMPLIANCE: ("/deviceManagement/deviceCompliancePolicies", {"$expand": "assignments"}, BETA),
    "roleDefinitions": ("/roleManagement/directory/roleDefinitions", {"$select": ",".join(ROLE_DEFINITION_SELECT)}, BETA),
    # Active role assignments, to check that the role holders CA targets by role are in the privileged group.
    ROLE_ASSIGNMENTS: ("/roleManagement/directory/roleAssignments",
                       {"$select": "id,principalId,roleDefinitionId,directoryScopeId", "$expand": "principal($select=id)"}, V1),
}
#: App protection lives in one collection per platform (beta: appGroupType): both are read into one.
APP_PROTECTION_LISTS = {
    "#microsoft.graph.iosManagedAppProtection": "/deviceAppManagement/iosManagedAppProtections",
    "#microsoft.graph.androidManagedAppProtection": "/deviceAppManagement/androidManagedAppProtections",
}


#: Headers per collection: Conditional Access policies are read with evolvable enum members, or
#: Graph answers ``unknownFutureValue`` for ``riskRemediation`` (PRIV-CA-04) and drift could not tell.
HEADERS: dict[str, dict[str, str]] = {"conditionalAccessPolicies": {"Prefer": "include-unknown-enum-members"}}


#: Optional collection -> (path, query, the control kind that makes the stack read it).
GOVERNANCE: dict[str, tuple[str, dict[str, str], str]] = {
    "accessReviewDefinitions": ("/identityGovernance/accessReviews/definitions", {}, "accessReviewScheduleDefinition"),
    "authenticationContextClassReferences": ("/identity/conditionalAccess/authenticationContextClassReferences", {},
                                             "authenticationContextClassReference"),
}
#: Beta only: PIM alert configurations (the list requires the scope filter).
ALERTS = ("roleManagementAlertConfigurations", "/identityGovernance/roleManagementAlerts/alertConfigurations",
          {"$filter": DIRECTORY_ROLES}, "roleManagementAlertConfiguration")
GROUP_PIM = "groupRoleManagementPolicyAssignments"
#: Reading PIM for Groups policies needs its own permission; the path is the directory roles' one.
GROUP_PIM_PERMISSION = "RoleManagementPolicy.Read.AzureADGroup"


class ExportError(ZtbError):
    """The tenant cannot be vouched for (which tenant, or what the stack reads): one line."""


def _chunks(values: Iterable[str], size: int = IN_FILTER_MAX) -> list[list[str]]:
    items = sorted(set(values))
    return [items[i:i + size] for i in range(0, len(items), size)]


def stack_group_names(b: Baseline) -> set[str]:
    return {c.desired["displayName"] for c in b.of_kind("group") if c.managed}


def watched_group_ids(b: Baseline) -> set[str]:
    """Existing groups a baseline group control names by ID (their members and owners are read)."""
    return {c.meta.object_id.lower() for c in b.of_kind("group") if not c.managed}


def config_group_ids(b: Baseline) -> set[str]:
    """Every group the config names by ID: the watched ones and the PIM approver group."""
    ids = watched_group_ids(b)
    if b.config.pim.approverGroupId:
        ids.add(b.config.pim.approverGroupId.lower())
    return ids


def policy_group_ids(policies: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for p in policies:
        users = (p.get("conditions") or {}).get("users") or {}
        out |= {str(i).lower() for i in (users.get("includeGroups") or []) + (users.get("excludeGroups") or [])}
    return out


def skipped_collections(b: Baseline) -> dict[str, str]:
    """Collections the stack gives no reason to read, with the reason (the snapshot's ``skipped``)."""
    out: dict[str, str] = {}
    if not b.of_kind("deviceCompliancePolicy"):
        out[COMPLIANCE] = "no compliance control in the stack (ztb:deviceCompliance.enabled is false)"
    if not b.of_kind("managedAppProtection"):
        out[APP_PROTECTION] = "no app protection control in the stack (ztb:appProtection.enabled is false, or no phone platform)"
    if not b.of_kind("deviceManagementSettings"):
        out[SETTINGS] = "no Intune settings control in the stack (ztb:deviceCompliance.enabled is false)"
    if not (b.of_kind("deviceCompliancePolicy") and stacks.phase(b.config.phase)["includePrivilegedScope"]):
        out[ROLE_ASSIGNMENTS] = "no policy targets roles in this phase, so role holders need no privileged-group membership"
    return out


async def _app_protection(g: AsyncGraph) -> list[dict[str, Any]]:
    """Both platforms' app protection policies, each with its type (a typed collection may omit it)."""
    pages = await gather([g.list_all(path, {"$expand": "assignments"}, BETA) for path in APP_PROTECTION_LISTS.values()])
    return [{"@odata.type": typ, **p} for typ, page in zip(APP_PROTECTION_LISTS, pages) for p in page]


async def _settings(g: AsyncGraph) -> list[dict[str, Any]]:
    body = await g.get_json("/deviceManagement", {"$select": "settings"}, V1)
    settings = body.get("settings") if isinstance(body, dict) else None
    if not isinstance(settings, dict):
        raise GraphError("GET", "/deviceManagement", None, "InvalidResponse", "deviceManagement answered without its settings")
    return [settings]


async def _groups(g: AsyncGraph, field: str, values: Iterable[str]) -> list[dict[str, Any]]:
    query = lambda chunk: {"$filter": f"{field} in ({','.join(literal(v) for v in chunk)})", "$select": ",".join(GROUP_SELECT)}  # noqa: E731
    pages = await gather([g.list_all("/groups", query(chunk), V1) for chunk in _chunks(values)])
    return [x for page in pages for x in page]


async def _organization(g: AsyncGraph) -> tuple[list[str], str]:
    """Tenant IDs ``/organization`` names, or ([], why not) when the identity may not read it."""
    try:
        items = await g.list_all(ORGANIZATION, {"$select": "id"}, V1)
    except GraphError as e:
        if e.status == 403:  # Organization.Read.All is optional: the other sources can answer
            return [], "refused (HTTP 403, no Organization.Read.All)"
        raise
    ids = [str(x["id"]).lower() for x in items]
    for i in ids:
        if not GUID_RE.match(i):
            raise GraphError("GET", ORGANIZATION, None, "InvalidResponse", f"the organization's id {i[:40]!r} is not a GUID")
    return ids, "" if ids else "answered no organization"


def _member_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: x[k] for k in ("@odata.type", "id") if k in x} for x in items]


async def _memberships(g: AsyncGraph, groups: list[dict[str, Any]]) -> None:
    """Put ``members`` and ``owners`` (id and @odata.type, all pages) on each group, in place."""
    ids = []
    for grp in groups:
        gid = str(grp["id"])
        if not GUID_RE.match(gid):  # it becomes a URL path: only an object ID may
            raise GraphError("GET", "/groups", None, "InvalidResponse", f"group id {gid[:40]!r} is not a GUID; nothing was used")
        ids.append(gid)
    reads = [r for gid in ids for r in ((f"/groups/{gid}/members", MEMBER_QUERY), (f"/groups/{gid}/owners", OWNER_QUERY))]
    lists = await g.list_many(reads, V1) if reads else []
    for n, grp in enumerate(groups):
        grp["members"] = _member_items(lists[2 * n])
        grp["owners"] = _member_items(lists[2 * n + 1])


def _merge_groups(*lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for grp in (x for lst in lists for x in lst):
        key = str(grp["id"]).lower()
        if key in seen:
            raise GraphError("GET", "/groups", None, "RepeatedObject",
                             f"group {key[:40]} came back from two queries: Graph answered a filter it was not asked; nothing was used")
        seen[key] = grp
    return list(seen.values())


async def _group_pim(g: AsyncGraph, group_ids: list[str]) -> list[dict[str, Any]]:
    """The member and owner policy assignments of each PIM-for-Groups group, policy and rules expanded."""
    def query(gid: str) -> dict[str, str]:
        return {"$filter": f"scopeId eq {literal(gid)} and scopeType eq 'Group'", "$expand": "policy($expand=rules)"}

    try:
        pages = await gather([g.list_all("/policies/roleManagementPolicyAssignments", query(gid), V1) for gid in group_ids])
    except GraphError as e:
        if e.status == 403:
            raise ExportError(f"reading the PIM for Groups policies of ztb:pim.groups was refused (HTTP 403): grant the application "
                              f"permission {GROUP_PIM_PERMISSION} to the identity ztb signs in as, with admin consent; nothing was "
                              "compared or written") from None
        raise
    return [x for page in pages for x in page]


async def _governance(g: AsyncGraph, b: Baseline) -> dict[str, list[dict[str, Any]]]:
    """The optional collections this stack's controls are compared with (none when it declares none)."""
    wanted = {name: spec for name, spec in GOVERNANCE.items() if b.of_kind(spec[2])}
    groups = sorted({c.meta.group_id for c in b.of_kind("groupRoleManagementPolicy")})
    reads = [g.list_all(path, query or None, V1) for path, query, _ in wanted.values()]
    names = list(wanted)
    if b.of_kind(ALERTS[3]):
        reads.append(g.list_all(ALERTS[1], ALERTS[2], BETA))
        names.append(ALERTS[0])
    if groups:
        reads.append(_group_pim(g, groups))
        names.append(GROUP_PIM)
    return dict(zip(names, await gather(reads)))


async def _standing(g: AsyncGraph, b: Baseline) -> dict[str, list[dict[str, Any]]]:
    """Standing access's evidence (:data:`~ztb.tenant.snapshot.STANDING_COLLECTIONS`), read by the one
    reader of role schedules (:mod:`ztb.tenant.role_access`, shared with readiness and live drift)."""
    from datetime import timedelta

    from ztb.tenant.role_access import REVIEW_WINDOW_DAYS, read_role_schedules

    since = datetime.now(timezone.utc) - timedelta(days=REVIEW_WINDOW_DAYS)
    return await read_role_schedules(g, [r.template_id for r in b.scope], since)


async def read_tenant(g: AsyncGraph, b: Baseline) -> dict[str, Any]:
    """Every collection the stack needs, read concurrently; then groups and their members.

    Returns the collections plus ``_organization`` (tenant IDs) and ``_organization_note`` for
    :func:`verify_tenant`, and ``skipped``.
    """
    skipped = skipped_collections(b)
    lists = {k: v for k, v in LISTS.items() if k not in skipped}
    names = list(lists)
    extra = {k: f for k, f in ((APP_PROTECTION, _app_protection), (SETTINGS, _settings)) if k not in skipped}
    names += list(extra)
    results = await gather([g.list_all(path, query or None, version, HEADERS.get(name)) for name, (path, query, version) in lists.items()]
                            + [f(g) for f in extra.values()]
                            + [_groups(g, "displayName", stack_group_names(b)), _organization(g), _governance(g, b), _standing(g, b)])
    out: dict[str, Any] = dict(zip(names, results[:len(names)]))
    by_name, (org_ids, org_note) = results[len(names)], results[len(names) + 1]
    out["_governance"] = {**results[len(names) + 2], **results[len(names) + 3]}
    for key in skipped:
        out[key] = []
    known = {str(x["id"]).lower() for x in by_name}
    wanted = (config_group_ids(b) | policy_group_ids(out["conditionalAccessPolicies"])) - known
    by_id = await _groups(g, "id", wanted) if wanted else []
    groups = _merge_groups(by_name, by_id)
    # The groups a baseline group control matches (ztb.tenant.groups, as drift matches them).
    watched = {str(x["id"]).lower() for _, found in match_groups(b, groups) for x in found}
    await _memberships(g, [x for x in groups if str(x["id"]).lower() in watched])
    out["groups"] = groups
    out["skipped"] = skipped
    out["_organization"], out["_organization_note"] = org_ids, org_note
    return out


def verify_tenant(b: Baseline, token_tenants: Iterable[str], pim_policies: list[dict[str, Any]],
                  organization: list[str], organization_note: str = "") -> str:
    """The tenant every source names, checked against ``ztb:tenantId``; else ExportError.

    Sources: the tokens' ``tid`` claims, the tenant in directory-role PIM policy IDs, and
    ``/organization``. Any two that differ, a mismatch with the config, or no source at all is
    an error: stamping the configured tenant without evidence is how another tenant's data
    became "in sync".
    """
    said: dict[str, set[str]] = {}
    for t in token_tenants:
        said.setdefault(t.lower(), set()).add("the access token's tid claim")
    for p in pim_policies:
        m = _PIM_POLICY_ID.match(str(p.get("id", "")))
        if m:
            said.setdefault(m.group(1).lower(), set()).add("the directory-role PIM policy IDs")
    for t in organization:
        said.setdefault(t.lower(), set()).add("/organization")
    fix = "sign in to the tenant the stack names (ztb:tenantId) or pass the right --config; nothing was compared or written"
    if not said:
        org = f"/organization {organization_note}" if organization_note else "/organization named none"
        raise ExportError(
            "cannot verify which tenant Graph answered for: the access token carries no tid claim, no directory-role "
            f"PIM policy ID names a tenant, and {org}; grant Organization.Read.All or sign in with an Entra access token "
            "(a JWT), so ztb never stamps a tenant it cannot vouch for; nothing was compared or written")
    if len(said) > 1:
        parts = "; ".join(f"{t} by {' and '.join(sorted(src))}" for t, src in sorted(said.items()))
        raise ExportError(f"the sources of the tenant disagree (named {parts}), so the data cannot be vouched for; {fix}")
    tenant, sources = next(iter(said.items()))
    configured = (b.config.tenantId or "").lower()
    if configured and configured != tenant:
        raise ExportError(f"Graph answered for tenant {tenant} ({' and '.join(sorted(sources))}) but the stack config names "
                          f"tenant {configured} (ztb:tenantId); {fix}")
    return tenant


def export_snapshot(b: Baseline, graph_url: Optional[str] = None, credential: Any = None,
                    client: Optional[GraphClient] = None) -> dict[str, Any]:
    """Read the tenant into a snapshot dict; GraphError / ExportError (one line) on any failure."""
    own = client is None
    client = client or GraphClient(graph_url, credential)
    try:
        collections = client.run(lambda g: read_tenant(g, b))
        tenants = client.token_tenants()
    finally:
        if own:
            client.close()
    tenant = verify_tenant(b, tenants, collections["roleManagementPolicies"],
                           collections["_organization"], collections["_organization_note"])
    doc: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "tenantId": tenant,
        "exportedAt": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "toolVersion": f"ztb {__version__}",
    }
    if collections["skipped"]:
        doc["skipped"] = dict(collections["skipped"])
    doc.update({k: collections[k] for k in COLLECTIONS})
    doc.update({k: v for k, v in collections["_governance"].items() if k in OPTIONAL_COLLECTIONS})
    return doc

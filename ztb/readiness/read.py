"""Everything readiness reads from the tenant, read-only, in four rounds whose size grows with pages.

1. the baseline's groups (by display name, 15 to a filter, and the groups the config names by ID),
   every Conditional Access policy in the tenant (break-glass accounts are checked against all of
   them, not only the baseline's) and the role assignment and eligibility schedules of the roles
   in scope (:mod:`ztb.tenant.role_access`, shared with drift);
2. the groups among the role holders, and the transitive user members of every group that matters;
3. the users not yet read (one ``id in (...)`` filter per 15);
4. the evidence per person (:mod:`ztb.tenant.evidence`) and the group memberships of the
   break-glass accounts, concurrently.

Rounds 1-3 decide who is in scope: a failure there raises :class:`ReadinessError` (nothing can be
told). A failure in round 4 is recorded per source as a line naming the permission or licence,
and every check that needed the source says it cannot tell: the command exits 1, never 0.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from ztb.errors import ZtbError
from ztb.model.baseline import Baseline


class ReadinessError(ZtbError):
    """Readiness cannot be told at all (who is in scope is unknown): one line with the fix."""


@dataclass
class Tenant:
    group_ids: dict[str, str]
    group_names: dict[str, str]
    #: Group ID -> transitive user members.
    members: dict[str, set[str]]
    access: Any  # ztb.tenant.role_access.RoleAccess
    users: dict[str, dict[str, Any]]
    policies: list[dict[str, Any]]
    registration: Optional[dict[str, dict[str, Any]]] = None
    devices: Optional[dict[str, list[dict[str, Any]]]] = None
    sign_ins: Optional[dict[str, list[dict[str, Any]]]] = None
    #: Break-glass user -> every group it is in (transitively).
    member_of: Optional[dict[str, set[str]]] = None
    #: Source -> why it could not be read (permission or licence named).
    missing: dict[str, str] = field(default_factory=dict)
    #: What /organization said (tenant IDs, or why none): evidence of the tenant beside the token.
    organization: tuple[list[str], str] = ([], "")


def _why(err: Any) -> str:
    from ztb.graph.permissions import fix_for
    from ztb.tenant.evidence import licence_needed

    licence = licence_needed(err)
    if licence:
        return f"{err}; the tenant needs {licence}"
    fix = fix_for(err)
    return f"{err}" + (f"; {fix}" if fix else "")


async def _scope_reads(g: Any, b: Baseline, since: datetime) -> Tenant:
    from ztb.graph.client import V1
    from ztb.graph.transport import gather
    from ztb.tenant.export import _groups, _organization, stack_group_names, watched_group_ids
    from ztb.tenant.groups import group_ids, match_groups
    from ztb.tenant.people import read_users, transitive_user_members
    from ztb.tenant.role_access import read_role_access

    by_name, by_id, policies, access, organization = await gather([
        _groups(g, "displayName", stack_group_names(b)), _groups(g, "id", watched_group_ids(b)) if watched_group_ids(b) else _none(),
        g.list_all("/identity/conditionalAccess/policies", None, V1), read_role_access(g, [r.template_id for r in b.scope], since),
        _organization(g)])
    groups = {str(x["id"]).lower(): x for x in list(by_name) + list(by_id)}
    ids = group_ids(match_groups(b, groups.values()))
    for c in b.of_kind("group"):
        key = c.meta.group_key
        if key not in ids or ids[key].lower() not in groups:
            raise ReadinessError(f"{c.id}: the group '{c.desired.get('displayName', key)}' is not in the tenant (or its name is taken "
                                 "twice), so who the phase enforces on cannot be told; deploy the stack (`pulumi up`) or fix the group")
    role_principals = {h.principal_id for h in access.holdings} - set(access.users)
    role_groups = await _groups(g, "id", role_principals) if role_principals else []
    for x in role_groups:
        groups[str(x["id"]).lower()] = x
    wanted = {i.lower() for i in ids.values()} | {str(x["id"]).lower() for x in role_groups}
    members = await transitive_user_members(g, wanted)
    known = dict(access.users)
    unread = ({u for m in members.values() for u in m} | {u.lower() for u in b.emergency.user_ids}) - set(known)
    if unread:
        known.update(await read_users(g, unread))
    names = {k: str(v.get("displayName") or k) for k, v in groups.items()}
    return Tenant(ids, names, members, access, known, policies, organization=organization)


async def _none() -> list:
    return []


async def _evidence(g: Any, t: Tenant, people: set[str], break_glass: set[str], since: datetime) -> None:
    from ztb.graph.errors import GraphError
    from ztb.tenant import evidence
    from ztb.tenant.people import transitive_groups

    everyone = people | break_glass
    reads = {
        "registration": (evidence.registration_details(g, everyone), "authentication-method registration details"),
        "devices": (evidence.managed_devices(g, people), "Intune managed devices"),
        "sign_ins": (evidence.sign_ins(g, everyone, since), "sign-in logs"),
        "member_of": (transitive_groups(g, break_glass), "the break-glass accounts' group memberships"),
    }
    results = await asyncio.gather(*(call for call, _ in reads.values()), return_exceptions=True)
    for (name, (_, what)), result in zip(reads.items(), results):
        if isinstance(result, GraphError):
            t.missing[name] = f"{what} could not be read: {_why(result)}"
        elif isinstance(result, BaseException):
            raise result
        else:
            setattr(t, name, result)


def read(b: Baseline, since: datetime, graph_url: Optional[str] = None, client: Any = None) -> tuple[Tenant, str]:
    """The tenant as readiness needs it, and the tenant ID the token names ("" when it names none)."""
    import logging

    from ztb.graph.client import GraphClient
    from ztb.graph.errors import GraphError
    from ztb.graph.redact import redact, redacted_logs
    from ztb.readiness.scope import PHASES, break_glass_ids, phase_scope

    logging.getLogger("azure.identity").setLevel(logging.CRITICAL)
    own = client is None
    with redacted_logs():
        try:
            client = client or GraphClient(graph_url)
            try:
                t = client.run(lambda g: _scope_reads(g, b, since))
                people = {u for p in PHASES for u in phase_scope(b, p, t)}
                client.run(lambda g: _evidence(g, t, people, break_glass_ids(b, t), since))
                tenants = client.token_tenants()
            finally:
                if own:
                    client.close()
        except GraphError as e:
            raise ReadinessError(redact(f"reading the tenant failed, nothing was judged: {_why(e)}")) from None
        except ValueError as e:  # a malformed --graph-url, ZTB_ACCESS_TOKEN or ZTB_GRAPH_* limit
            raise ReadinessError(redact(str(e))) from None
    from ztb.tenant.export import verify_tenant

    # The tenant is what the token and /organization say, checked against ztb:tenantId, as export checks it.
    return t, verify_tenant(b, tenants, [], *t.organization)

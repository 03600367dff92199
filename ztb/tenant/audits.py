"""Who changed roles, PIM and Conditional Access since the previous run: Graph v1.0 ``directoryAudits``.

`ztb drift --previous` (live) adds these events to its report, so the nightly job answers "who did
this" next to "what changed". The read is:

    GET /auditLogs/directoryAudits?$filter=activityDateTime ge {since} and (category eq 'RoleManagement'
        or category eq 'Policy' or loggedByService eq 'PIM')&$orderby=activityDateTime

filtered server-side (the API supports ``eq``, ``ge``, ``le`` and ``startswith``): role assignments
and PIM are logged under ``RoleManagement`` (PIM's own events also by ``loggedByService`` PIM),
Conditional Access under ``Policy``. Read-only, every page followed; a refused read (403: no
``AuditLog.Read.All``) or an event Graph answers in another shape fails the run in one line, never
an empty "nobody changed anything"; so does a read Graph answered for a tenant other than the
report's (checked as ``ztb export`` checks it, with ``--snapshot`` too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Optional

from ztb.errors import ZtbError
from ztb.graph.errors import GraphError

if TYPE_CHECKING:
    from ztb.model.baseline import Baseline

AUDITS = "/auditLogs/directoryAudits"
PERMISSION = "AuditLog.Read.All"
#: An ISO 8601 UTC time as Graph writes and filters it (``2026-01-05T02:00:00Z``).
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z")
#: How far the previous run's time may lie ahead of this machine's clock (clock skew between runners).
CLOCK_SKEW = timedelta(minutes=5)
#: The most events one report lists: a night of changes is far fewer; more means a flood to look at in the portal.
MAX_EVENTS = 5000


class AuditError(ZtbError):
    """The audit events cannot be read or trusted: one line naming the fix."""


@dataclass(frozen=True)
class AuditEvent:
    """One change: when, who (a user or an app), what, to which objects, and whether it succeeded."""

    when: str
    who: str
    what: str
    targets: tuple[str, ...]
    category: str
    service: str
    result: str
    id: str

    def as_dict(self) -> dict[str, Any]:
        return {"when": self.when, "who": self.who, "what": self.what, "targets": list(self.targets),
                "category": self.category, "service": self.service, "result": self.result, "id": self.id}


def audit_query(since: str, now: Optional[datetime] = None) -> dict[str, str]:
    """The server-side filter from ``since``, a time in the past: a future window would answer "nobody changed anything"."""
    if not _TIME.fullmatch(since):
        raise AuditError(f"the previous run's time {since[:40]!r} is not an ISO 8601 UTC time; pass the JSON of an earlier "
                         "`ztb drift --format json` run")
    try:
        when = datetime.strptime(since[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise AuditError(f"the previous run's time {since!r} is not a calendar time; pass the JSON of an earlier "
                         "`ztb drift --format json` run") from None
    if when > (now or datetime.now(timezone.utc)) + CLOCK_SKEW:
        raise AuditError(f"the previous run's time {since} is in the future, so its audit window would hold no event; pass the "
                         "JSON of an earlier `ztb drift --format json` run (or check this machine's clock)")
    return {
        "$filter": f"activityDateTime ge {since} and (category eq 'RoleManagement' or category eq 'Policy' or loggedByService eq 'PIM')",
        "$orderby": "activityDateTime",
    }


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AuditError(f"Graph answered a directory-audit event whose {where} is not text; nothing was reported, run again")
    return value


def _who(initiated: Any) -> str:
    if not isinstance(initiated, dict):
        return "unknown"
    user, app = initiated.get("user"), initiated.get("app")
    if isinstance(user, dict) and (user.get("userPrincipalName") or user.get("displayName") or user.get("id")):
        return _text(user.get("userPrincipalName") or user.get("displayName") or user.get("id"), "initiatedBy.user")
    if isinstance(app, dict) and (app.get("displayName") or app.get("servicePrincipalId") or app.get("appId")):
        return "app " + _text(app.get("displayName") or app.get("servicePrincipalId") or app.get("appId"), "initiatedBy.app")
    return "unknown"


def event(raw: Any) -> AuditEvent:
    """One documented ``directoryAudit`` object as an event; AuditError for another shape."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("activityDateTime"), str):
        raise AuditError("Graph answered a directory-audit event without its id or activityDateTime; nothing was reported, run again")
    targets = raw.get("targetResources") or []
    if not isinstance(targets, list):
        raise AuditError("Graph answered a directory-audit event whose targetResources is not a list; nothing was reported, run again")
    names = tuple(_text(t.get("displayName") or t.get("userPrincipalName") or t.get("id"), "targetResources")
                  for t in targets if isinstance(t, dict))
    return AuditEvent(
        when=raw["activityDateTime"], who=_who(raw.get("initiatedBy")), what=_text(raw.get("activityDisplayName"), "activityDisplayName"),
        targets=names, category=_text(raw.get("category"), "category"), service=_text(raw.get("loggedByService"), "loggedByService"),
        result=_text(raw.get("result"), "result"), id=raw["id"],
    )


async def read_events(g: Any, since: str) -> list[AuditEvent]:
    """Every role, PIM and Conditional Access event since ``since``, oldest first; AuditError in one line otherwise."""
    try:
        items = await g.list_all(AUDITS, audit_query(since), "v1.0")
    except GraphError as e:
        if e.status == 403:
            raise AuditError(f"reading the directory-audit events was refused (HTTP 403): grant the application permission {PERMISSION} "
                             "to the identity ztb signs in as, with admin consent, or run `ztb drift` without --previous; "
                             "nothing was compared or written") from None
        raise
    if len(items) > MAX_EVENTS:
        raise AuditError(f"{len(items):,} directory-audit events since {since}, more than the {MAX_EVENTS:,} a report lists; "
                         "read them in the Entra audit log (filter by category RoleManagement and Policy)")
    return [event(x) for x in items]


def read_since(since: str, b: "Baseline", tenant: str, graph_url: Optional[str] = None, client: Any = None) -> list[AuditEvent]:
    """:func:`read_events` through a fresh GraphClient (the msgraph-sdk stack), errors as one redacted line.

    The events are of ``tenant`` (the report's) only if Graph answered for it: checked after the
    read by :func:`~ztb.tenant.verified.verify_answering_tenant`, so another tenant's events (or its
    "nobody changed anything") never reach the report, with ``--snapshot`` as well as live.
    """
    from ztb.graph.client import GraphClient
    from ztb.graph.permissions import fix_for
    from ztb.graph.redact import redact, redacted_logs
    from ztb.tenant.export import ExportError
    from ztb.tenant.verified import verify_answering_tenant

    own = client is None
    client = client or GraphClient(graph_url)
    with redacted_logs():
        try:
            events = client.run(lambda g: read_events(g, since))
            verify_answering_tenant(client, b, tenant, "the directory-audit events")
            return events
        except GraphError as e:
            fix = fix_for(e)
            message = f"reading the directory-audit events failed, nothing was compared or written: {e}" + (f"; {fix}" if fix else "")
        except ValueError as e:
            message = str(e)
        except (AuditError, ExportError) as e:
            message = str(e)
        finally:
            if own:
                client.close()
    raise AuditError(redact(message)) from None

"""Per-person evidence for `ztb readiness`: methods registered, managed devices, sign-ins (read-only).

Each read is filtered server-side by the in-scope user IDs, :data:`~ztb.tenant.export.IN_FILTER_MAX`
to a filter, and batched (:meth:`~ztb.graph.client.AsyncGraph.list_many`), so requests grow with
pages, not with people. ``$select`` is sent where Graph documents it: managed devices take it; the
registration report and the sign-in log document only ``$filter`` (and ``$top``/``$orderby``), so
they get none. The fields the checks read are checked for their documented types as they are
handed over (:mod:`ztb.tenant.shapes`): another shape is an InvalidResponse, never a traceback. Sign-ins are read for the window only (``createdDateTime ge``), 1,000 a page
(Graph's maximum for sign-ins).

Licences: the registration report and the sign-in log need Microsoft Entra ID P1 (Graph answers
403 ``Authentication_RequestFromNonPremiumTenantOrB2CTenant`` without it); a sign-in's risk level
reads ``hidden`` without Entra ID P2. :func:`licence_needed` names the licence for a refused read.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from ztb.graph.client import V1, AsyncGraph
from ztb.graph.errors import GraphError
from ztb.tenant import shapes
from ztb.tenant.people import in_filter

REGISTRATION = "/reports/authenticationMethods/userRegistrationDetails"
DEVICES = "/deviceManagement/managedDevices"
SIGN_INS = "/auditLogs/signIns"
DEVICE_SELECT = ("id", "userId", "deviceName", "operatingSystem", "complianceState", "managementAgent", "lastSyncDateTime")
SIGN_IN_PAGE = "1000"
#: What each evidence read needs beyond its permission, when Graph refuses for want of it.
LICENCES = {
    REGISTRATION: "Microsoft Entra ID P1 (the authentication-methods registration report)",
    SIGN_INS: "Microsoft Entra ID P1 (sign-in logs)",
    DEVICES: "Microsoft Intune (managed devices)",
}
RISK_LICENCE = "Microsoft Entra ID P2 (sign-in risk levels read 'hidden' without it)"


def licence_needed(err: GraphError) -> str:
    """The licence a refused read needs, or "" when the refusal is not about a licence."""
    text = f"{err.code} {err.graph_message}".lower()
    if err.status == 403 and ("nonpremium" in text or "licen" in text or "premium" in text):
        for path, licence in LICENCES.items():
            if err.resource.endswith(path):
                return licence
    return ""


def graph_time(when: datetime) -> str:
    """A ``$filter`` timestamp literal: UTC, seconds, ``Z`` (DateTimeOffset literals take no quotes)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _by_user(items: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for x in items:
        out.setdefault(str(x.get(key) or "").lower(), []).append(x)
    return out


async def registration_details(g: AsyncGraph, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """User ID -> its ``userRegistrationDetails`` (``methodsRegistered``, ``isMfaRegistered``)."""
    reads = [(REGISTRATION, {"$filter": c}) for c in in_filter("id", user_ids)]
    pages = await g.list_many(reads, V1) if reads else []
    items = shapes.checked((x for page in pages for x in page), REGISTRATION, "registration details of user", shapes.REGISTRATION)
    return {str(x["id"]).lower(): x for x in items}


async def managed_devices(g: AsyncGraph, user_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """User ID -> the Intune managed devices whose primary user it is (compliance state, platform)."""
    reads = [(DEVICES, {"$filter": c, "$select": ",".join(DEVICE_SELECT)}) for c in in_filter("userId", user_ids)]
    pages = await g.list_many(reads, V1) if reads else []
    return _by_user(shapes.checked((x for page in pages for x in page), DEVICES, "managed device", shapes.DEVICE), "userId")


async def sign_ins(g: AsyncGraph, user_ids: Iterable[str], since: datetime) -> dict[str, list[dict[str, Any]]]:
    """User ID -> its sign-ins since ``since`` (with ``appliedConditionalAccessPolicies``), newest first."""
    window = f"createdDateTime ge {graph_time(since)}"
    reads = [(SIGN_INS, {"$filter": f"{window} and {c}", "$top": SIGN_IN_PAGE}) for c in in_filter("userId", user_ids)]
    pages = await g.list_many(reads, V1) if reads else []
    return _by_user(shapes.checked((x for page in pages for x in page), SIGN_INS, "sign-in", shapes.SIGN_IN), "userId")

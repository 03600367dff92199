"""Drift of what keeps privilege in check after it is granted: access reviews, the authentication
context PIM activation requires, and PIM for Groups.

Each reads one of the snapshot's optional collections (:data:`ztb.tenant.snapshot.OPTIONAL_COLLECTIONS`);
a stack that declares such controls and a snapshot without the collection is refused (the snapshot
predates them, or was exported with another stack's config), never read as "nothing there".

* Access reviews are matched by display name; a series Graph reports stopped or completed runs no
  more reviews and is *not enforced*, whatever its settings say.
* The context is matched by its claim (``c1``); one that is not available protects nothing.
* A PIM alert is found by its name (the end of its configuration ID); one switched off is not enforced.
* A PIM-for-Groups policy is found through its assignment (group and ``member``/``owner``); a
  group left at PIM's defaults shows as every managed rule weakened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ztb.compare import classify as cl
from ztb.compare.classify import WEAKENS
from ztb.drift.report import NOT_ENFORCED, DriftError, Finding
from ztb.model.reviews import without_start
from ztb.tenant.groups import by_display_name

if TYPE_CHECKING:
    from ztb.drift.detect import _Drift

#: Control kind -> the snapshot collection it is compared with.
COLLECTION_OF = {
    "accessReviewScheduleDefinition": "accessReviewDefinitions",
    "authenticationContextClassReference": "authenticationContextClassReferences",
    "groupRoleManagementPolicy": "groupRoleManagementPolicyAssignments",
    "roleManagementAlertConfiguration": "roleManagementAlertConfigurations",
}


def _collection(d: "_Drift", kind: str) -> list[dict[str, Any]]:
    name = COLLECTION_OF[kind]
    items = d.snap.get(name)
    if items is None:
        raise DriftError(f"the snapshot holds no '{name}', which this stack's {cl.KIND_WORDS[kind]} controls are compared "
                         "against (it predates them or was exported with another config); re-export it with this stack's config "
                         "(`ztb export --config ... --out FILE`)")
    return items


def access_reviews(d: "_Drift") -> None:
    controls = d.b.of_kind("accessReviewScheduleDefinition")
    if not controls:
        return
    by_name = by_display_name(_collection(d, "accessReviewScheduleDefinition"))
    for c in controls:
        found = by_name.get(c.display_name.casefold(), [])
        if not found:
            d._missing(c, f"no access review named '{c.display_name}'")
            continue
        if len(found) > 1:
            # A stopped twin listed second would otherwise pass for the running one.
            raise DriftError(f"{c.id}: {len(found)} access reviews are named '{c.display_name}' "
                             f"({', '.join(str(x.get('id')) for x in found)}), so drift cannot tell which one the stack "
                             "manages; delete or rename the extra review")
        live = found[0]
        status = str(live.get("status") or "").strip()
        if not status:
            d.findings.append(Finding(c.id, c.kind, c.display_name, NOT_ENFORCED, WEAKENS,
                                      "the review series has no status, so it cannot be told that reviews run", [], live.get("id")))
            continue
        if status.lower() in cl.access_review.NOT_RUNNING:
            v = cl.classify(c.kind, "status", "InProgress", status, d.ctx)
            d.findings.append(Finding(c.id, c.kind, c.display_name, NOT_ENFORCED, v.impact,
                                      f"the review series is {status}: no further reviews run", [], live.get("id")))
            continue
        d._compare(c, without_start(d._resolve(c)), without_start(live))


def auth_contexts(d: "_Drift") -> None:
    controls = d.b.of_kind("authenticationContextClassReference")
    if not controls:
        return
    by_id = {str(x.get("id", "")).lower(): x for x in _collection(d, "authenticationContextClassReference")}
    for c in controls:
        live = by_id.get(c.desired["id"].lower())
        if live is None:
            d._missing(c, f"no authentication context {c.desired['id']}")
            continue
        if live.get("isAvailable") is not True:
            d.findings.append(Finding(c.id, c.kind, c.display_name, NOT_ENFORCED, cl.WEAKENS,
                                      f"authentication context {c.desired['id']} is not available, so nothing can require it",
                                      [{"path": "isAvailable", "desired": True, "actual": live.get("isAvailable"),
                                        "impact": cl.WEAKENS, "reason": "context not available"}], live.get("id")))
            continue
        d._compare(c, {k: v for k, v in c.desired.items() if k != "id"}, live)


def group_pim(d: "_Drift") -> None:
    controls = d.b.of_kind("groupRoleManagementPolicy")
    if not controls:
        return
    assigned = {(str(a.get("scopeId", "")).lower(), str(a.get("roleDefinitionId", "")).lower()): a
                for a in _collection(d, "groupRoleManagementPolicy") if str(a.get("scopeType", "")).lower() == "group"}
    for c in controls:
        key = (c.meta.group_id.lower(), c.meta.access)
        found = assigned.get(key)
        if found is None:
            d._missing(c, f"no PIM for Groups {c.meta.access} policy for group {c.meta.group_id} (the group is not onboarded, or it is gone)")
            continue
        policy = found.get("policy") or {}
        actual = {"scopeId": found.get("scopeId"), "scopeType": found.get("scopeType"), "roleDefinitionId": found.get("roleDefinitionId"),
                  "rules": policy.get("rules") or [], "id": policy.get("id")}
        d._compare(c, d._resolve(c), actual)


def pim_alerts(d: "_Drift") -> None:
    """Each configurable PIM alert is there and enabled; one switched off is a blind spot (not enforced)."""
    controls = d.b.of_kind("roleManagementAlertConfiguration")
    if not controls:
        return
    by_name = {str(x.get("id", "")).rsplit("_", 1)[-1].lower(): x for x in _collection(d, "roleManagementAlertConfiguration")}
    for c in controls:
        live = by_name.get(c.meta.alert.lower())
        if live is None:
            d._missing(c, f"no PIM alert configuration {c.meta.alert} (is PIM licensed in this tenant?)")
            continue
        if live.get("isEnabled") is not True:
            v = cl.classify(c.kind, "isEnabled", True, live.get("isEnabled"), d.ctx)
            d.findings.append(Finding(c.id, c.kind, c.display_name, NOT_ENFORCED, v.impact, f"PIM alert {c.meta.alert} is switched off: {v.reason}",
                                      [{"path": "isEnabled", "desired": True, "actual": live.get("isEnabled"), "impact": v.impact,
                                        "reason": v.reason}], live.get("id")))

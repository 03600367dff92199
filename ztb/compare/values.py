"""Small facts about JSON values from Graph and Pulumi, each decided once for every reader.

- Numbers: Pulumi hands every number over as a float, so ``4.0`` must read, compare and be sent as
  ``4`` (Graph's Int32 fields reject ``1.0``): :func:`integral`.
- Identities: two IDs are the same case-insensitively, and an item of a list (an approver, a
  member, an Intune assignment) is identified by its target, never by the server-set id around
  it: :func:`id_text`, :func:`item_key`, :func:`assignment_key`.

No import beyond the standard library: the providers, the preview reader and the classifier all
use it, and the providers load in every Pulumi operation.
"""

from __future__ import annotations

from typing import Any


def integral(value: Any) -> Any:
    """A float with no fraction as the int it stands for; any other value as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def id_text(value: Any) -> str:
    """An identifier as comparable text: strings lowercased, absent as "" (never raises)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _target(item: dict) -> dict:
    target = item.get("target")
    return target if isinstance(target, dict) else item


def item_key(item: Any) -> str:
    """A list item's identity for set comparison: ``type:id`` of an object (its target's, for an
    assignment or approver), the value itself otherwise; in full (two long IDs must never
    abbreviate to one) and case-insensitive."""
    if isinstance(item, dict):
        target = _target(item)
        kind = str(target.get("@odata.type", "")).lstrip("#").lower()
        ident = target.get("groupId") or target.get("userId") or target.get("id") or ""
        return f"{kind}:{_exact(ident).lower()}"
    return _exact(item).lower()


def _exact(v: Any) -> str:
    return v if isinstance(v, str) else repr(v)


def assignment_key(assignment: Any) -> tuple[str, str, str, str]:
    """What an Intune assignment *is*, as the compliance provider merges them: its target type,
    group (or collection) and assignment filter (never raises)."""
    target = assignment.get("target") if isinstance(assignment, dict) else None
    target = target if isinstance(target, dict) else {}
    kind = id_text(target.get("@odata.type")).lstrip("#").removeprefix("microsoft.graph.")
    return (
        kind,
        id_text(target.get("groupId") or target.get("collectionId")),
        id_text(target.get("deviceAndAppManagementAssignmentFilterId")),
        id_text(target.get("deviceAndAppManagementAssignmentFilterType") or "none"),
    )

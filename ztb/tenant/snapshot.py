"""The tenant snapshot: what `ztb export` writes, `ztb drift` reads and `ztb plan` can fake.

A snapshot is one JSON document: a few header keys and, per collection, the objects exactly as
Graph returned them (raw JSON, no models), so a snapshot taken today can be compared by a newer
ztb whose normalisation has learnt more of Graph's noise. It is versioned (``schemaVersion``);
a reader refuses a version it does not know rather than guess. Version 2 adds the members and
owners of every group the baseline watches (version 1 had neither: re-export).

Validation is strict wherever drift reads, so drift never sees a wrong type: every collection must
be present (an interrupted or hand-cut file is not a tenant with no policies), PIM policies must
carry their rules and compliance policies their assignments (both come from ``$expand``; without
them every policy would look emptied), every field drift or the classifier reads has Graph's JSON
type (``signInFrequency.value`` is a number, not ``"4"``), object IDs are Graph IDs and appear once
per collection (a repeated page is not "the first one wins"). The first problem is reported as one
line naming the fix.

Inputs are bounded (:data:`LIMITS`), far above what a real tenant reaches, so a hostile or broken
file (``/dev/zero``, a 1 GB dump, 100,000 nested arrays) gets one line instead of a hang, a
MemoryError or a RecursionError:

- file size :data:`MAX_BYTES` (32 MiB; the largest snapshot a tenant can produce within the item
  limits below, with realistic objects, is under 10 MiB);
- nesting depth :data:`MAX_DEPTH` (32 levels, counting the document itself; a snapshot's deepest
  path, a PIM approval stage's approvers, is 11 levels deep);
- items per collection (:data:`MAX_ITEMS`): Conditional Access policies 1,000 (Entra caps a tenant
  at 195), named locations 1,000 (195), authentication strengths 100 (15 custom + 3 built-in),
  groups 10,000, PIM policies, PIM policy assignments and role definitions 2,000 each (about 130
  built-in roles + at most 100 custom roles), compliance policies 2,000, rules per PIM policy 64
  (17 today), members per group 50,000, owners per group 1,000 (Entra allows 100 users); role
  schedule instances 20,000 per kind (the role assignments' bound), role activation requests in
  the window 50,000, role principals 40,000 (one per principal of the instances).

:mod:`ztb.tenant.schema` holds the Graph JSON types the format requires (imported on first
validation: `ztb plan --format snapshot` writes a snapshot without loading pydantic);
:mod:`ztb.tenant.ideal` writes what a tenant matching the baseline exactly would export.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ztb import __version__
from ztb.errors import ZtbError
from ztb.inputfile import InputError, Wording, check_tree, load_json
from ztb.render.plan import truncate

SCHEMA_VERSION = 2
COLLECTIONS = (
    "conditionalAccessPolicies",
    "namedLocations",
    "authenticationStrengthPolicies",
    "groups",
    "roleManagementPolicies",
    "roleManagementPolicyAssignments",
    "deviceCompliancePolicies",
    "roleDefinitions",
    # Newer collections: optional in a snapshot (older exports lack them); drift refuses a snapshot
    # without one that the stack's controls are compared against.
    "managedAppPolicies",
    "deviceManagementSettings",
    "roleAssignments",
)
#: Standing access (:mod:`ztb.drift.standing`), written by :mod:`ztb.tenant.role_access`, all four or
#: none: the active and eligible schedule instances of the roles in scope at the tenant scope ``/``,
#: the self-activations of those roles in the review window before ``exportedAt``, and the principals
#: the instances name (users: ``userPrincipalName``, ``onPremisesSyncEnabled``; groups:
#: ``isAssignableToRole``; each with its ``@odata.type``). A snapshot without them (an older export)
#: leaves standing access and PRIV-MAN-04 not checked.
STANDING_COLLECTIONS = (
    "roleAssignmentScheduleInstances",
    "roleEligibilityScheduleInstances",
    "roleActivationRequests",
    "rolePrincipals",
)
#: Collections a snapshot may leave out: those written by versions before the device controls, and
#: those it holds when the stack declares what they are compared with (access reviews, an
#: authentication context, PIM for Groups). Optional, so a snapshot of a stack without them, or one
#: exported before ztb read them, stays valid; drift refuses a snapshot that lacks one it needs.
OPTIONAL_COLLECTIONS = (
    "managedAppPolicies",
    "deviceManagementSettings",
    "roleAssignments",
    "accessReviewDefinitions",
    "authenticationContextClassReferences",
    "groupRoleManagementPolicyAssignments",
    "roleManagementAlertConfigurations",
    *STANDING_COLLECTIONS,
)
#: Group properties export selects and the ideal snapshot fills (members and owners are read
#: from their own collections, ``/groups/{id}/members`` and ``/owners``, for watched groups).
GROUP_SELECT = (
    "id", "displayName", "description", "mailEnabled", "mailNickname", "securityEnabled",
    "groupTypes", "isAssignableToRole", "createdDateTime",
)
ROLE_DEFINITION_SELECT = ("id", "displayName", "templateId", "isBuiltIn", "isPrivileged")

MAX_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = {
    "conditionalAccessPolicies": 1000,
    "namedLocations": 1000,
    "authenticationStrengthPolicies": 100,
    "groups": 10000,
    "roleManagementPolicies": 2000,
    "roleManagementPolicyAssignments": 2000,
    "deviceCompliancePolicies": 2000,
    "roleDefinitions": 2000,
    "managedAppPolicies": 2000,
    "deviceManagementSettings": 1,
    "roleAssignments": 20000,
    "accessReviewDefinitions": 2000,
    "authenticationContextClassReferences": 99,
    "groupRoleManagementPolicyAssignments": 2000,
    "roleManagementAlertConfigurations": 100,
    "roleAssignmentScheduleInstances": 20000,
    "roleEligibilityScheduleInstances": 20000,
    "roleActivationRequests": 50000,
    "rolePrincipals": 40000,
    "rules": 64,
    "members": 50000,
    "owners": 1000,
}
#: Why each item limit is where it is (quoted in the error).
_ITEM_WHY = {
    "conditionalAccessPolicies": "a tenant holds at most 195",
    "namedLocations": "a tenant holds at most 195",
    "authenticationStrengthPolicies": "a tenant holds at most 15 custom and 3 built-in",
    "roleManagementPolicies": "one per directory role: about 130 built-in and at most 100 custom roles",
    "roleManagementPolicyAssignments": "one per directory role",
    "roleDefinitions": "about 130 built-in and at most 100 custom roles",
    "authenticationContextClassReferences": "Entra offers c1 to c99",
    "rules": "a directory-role PIM policy has 17 rules",
    "owners": "Entra allows 100 user owners per group",
    "deviceManagementSettings": "a tenant has one deviceManagement.settings",
    "rolePrincipals": "one per principal of the two schedule-instance collections",
}
LIMITS = {"bytes": MAX_BYTES, "depth": MAX_DEPTH, **MAX_ITEMS}
#: Why a snapshot may nest as deep as it does (quoted when one nests deeper).
DEPTH_NOTE = "a snapshot nests 11"


class SnapshotError(ZtbError, ValueError):
    """A snapshot that cannot be used: one line naming the problem and the fix."""


_HINTS = {
    "rules": "PIM policies must be read with $expand=rules",
    "assignments": "compliance policies must be read with $expand=assignments",
    "isPrivileged": "role definitions must come from Graph beta, the only version with isPrivileged",
    "members": "the members of every group the baseline watches are part of a version 2 snapshot",
    "owners": "the owners of every group the baseline watches are part of a version 2 snapshot",
}
_JSON_TYPES = {str: "a string", int: "a number", float: "a number", bool: "true/false", type(None): "null", list: "an array", dict: "an object"}
_FIX = "re-export it with `ztb export --out FILE` (an interrupted or hand-edited snapshot cannot be compared)"


def _where(loc: tuple) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return truncate(out.replace("odata_type", "@odata.type"), 160)


def _message(source: str, err: Any) -> str:
    e = err.errors()[0]
    where, field = _where(e["loc"]), str(e["loc"][-1]) if e["loc"] else ""
    found = _JSON_TYPES.get(type(e.get("input")), "")
    if e["type"] == "missing":
        problem = f"'{where}' is missing"
    elif e["type"] == "extra_forbidden":
        problem = f"unknown top-level key '{where}' (a snapshot holds: schemaVersion, tenantId, exportedAt, toolVersion, skipped, {', '.join(COLLECTIONS)})"
    elif "[key]" in e["loc"]:
        owner = _where(tuple(p for p in e["loc"] if p != "[key]")[:-1] if e["loc"][-1] == "[key]" else e["loc"][:-2])
        problem = f"'{owner}' has the key {truncate(repr(e.get('input')), 60)}, which is not one of: {', '.join(COLLECTIONS)}"
    elif e["type"] == "too_long":
        name = field if field in MAX_ITEMS else ""
        why = f" ({_ITEM_WHY[name]})" if name in _ITEM_WHY else ""
        problem = f"'{where}' holds {len(e['input'])} items, more than the {e['ctx']['max_length']:,} ztb reads{why}"
    elif e["type"] == "string_pattern_mismatch" and field == "tenantId":
        problem = f"'tenantId' {truncate(repr(e.get('input')), 60)} is not a tenant ID (a GUID)" if e.get("input") else "'tenantId' is empty: the snapshot does not say which tenant it is"
    elif e["type"] == "string_pattern_mismatch":
        problem = f"'{where}' {truncate(repr(e.get('input')), 60)} is not a Graph object ID (letters, digits, _ . : - only)"
    elif e["type"] == "string_too_short":
        problem = f"'{where}' is empty"
    else:
        msg = e["msg"][0].lower() + e["msg"][1:]
        problem = f"'{where}' {msg.removeprefix('input ')}" + (f", not {found}" if found and e["type"] not in ("greater_than_equal", "string_too_long") else "")
    hint = _HINTS.get(field.replace("odata_type", ""), "") if e["type"] == "missing" else ""
    fix = f"{hint}; " if hint else ""
    return f"snapshot {source}: {problem}; {fix}{_FIX}"


def _duplicate(items: list[Any], key: str = "id") -> Optional[str]:
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or item.get(key) is None:
            continue
        ident = str(item[key]).lower()
        if ident in seen:
            return str(item[key])
        seen.add(ident)
    return None


def _duplicates(doc: dict[str, Any]) -> Optional[str]:
    """Where an object ID appears twice: a repeated page, or a hand-merged file."""
    for name in COLLECTIONS + OPTIONAL_COLLECTIONS:
        if name not in doc:
            continue
        dup = _duplicate(doc[name])
        if dup:
            return f"'{name}' holds the object {dup} twice"
        for i, obj in enumerate(doc.get(name) or []):
            for inner in ("members", "owners", "rules", "assignments"):
                dup = _duplicate(obj.get(inner) or [])
                if dup:
                    return f"'{name}[{i}].{inner}' holds {dup} twice"
    return None


def validate(doc: Any, source: str = "<snapshot>") -> dict[str, Any]:
    """Return ``doc`` unchanged when it is a usable snapshot, else raise SnapshotError (one line)."""
    source = truncate(source, 200)
    if not isinstance(doc, dict):
        raise SnapshotError(f"snapshot {source}: top level is {type(doc).__name__}, not an object; write it with `ztb export --out FILE`")
    version = doc.get("schemaVersion")
    if version != SCHEMA_VERSION:
        if version == 1:
            raise SnapshotError(f"snapshot {source}: schemaVersion 1 predates group members and owners, which drift now compares; "
                                f"re-export it with `ztb export --out FILE` (this ztb, {__version__}, reads version {SCHEMA_VERSION})")
        raise SnapshotError(f"snapshot {source}: schemaVersion {truncate(repr(version), 40)} is not {SCHEMA_VERSION}, the only version "
                            f"this ztb ({__version__}) reads; {_FIX}")
    try:
        check_tree(doc, MAX_DEPTH, DEPTH_NOTE)
    except InputError as e:
        raise SnapshotError(f"snapshot {source}: {e}; {_FIX}") from None
    from pydantic import ValidationError

    from ztb.tenant.schema import Snapshot

    try:
        Snapshot.model_validate(doc)
    except ValidationError as e:
        raise SnapshotError(_message(source, e)) from None
    unread = [k for k in doc.get("skipped") or {} if doc[k]]
    if unread:
        raise SnapshotError(f"snapshot {source}: '{unread[0]}' is listed as skipped but holds objects; {_FIX}")
    standing = [k for k in STANDING_COLLECTIONS if doc.get(k) is not None]
    if standing and len(standing) < len(STANDING_COLLECTIONS):
        lacking = next(k for k in STANDING_COLLECTIONS if doc.get(k) is None)
        raise SnapshotError(f"snapshot {source}: '{standing[0]}' is there but '{lacking}' is not (standing access is exported "
                            f"as all of {', '.join(STANDING_COLLECTIONS)} or none); {_FIX}")
    dup = _duplicates(doc)
    if dup:
        raise SnapshotError(f"snapshot {source}: {dup} (Graph repeated a page, or files were merged: "
                            f"the first one would win silently); {_FIX}")
    return doc


def load(path: str) -> dict[str, Any]:
    """Read and validate a snapshot file (``-`` reads stdin), within :data:`LIMITS`."""
    source = truncate("<stdin>" if path == "-" else path, 200)
    words = Wording(f"snapshot {source}", f"write one with `ztb export --out {source}` or pass the right --snapshot path",
                    "pass a readable JSON file", f"pass a snapshot written by `ztb export --out {'FILE' if path == '-' else source}`")
    # The tree is walked by validate, whose fix names the format rather than the file.
    doc = load_json(path, words, SnapshotError, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH, depth_note=DEPTH_NOTE, walk=False)
    return validate(doc, source)



def dumps(doc: dict[str, Any]) -> str:
    """The snapshot as written: indented, non-ASCII kept as text."""
    return json.dumps(doc, indent=2, ensure_ascii=False)


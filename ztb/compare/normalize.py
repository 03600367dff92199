"""What "equal" means for Graph objects: the one place drift, review and the providers' diff ask.

False drift is the most common complaint about drift tools and perpetual diffs about CA and PIM
providers, and nearly all of it is Graph's own noise: server-set fields, list order, ``null``
versus ``[]`` versus absent, enum casing (``All`` vs ``all``), ISO durations spelled differently
(``PT1H`` vs ``PT60M``), expanded references (an authentication strength comes back as a whole
object), integers that arrive as floats through Pulumi. Each of those is decided here, once.

A session control that is switched off is the same as no session control, in every form Graph or
the provider writes it: absent, ``null``, ``{}``, ``{"isEnabled": false}`` or ``{"isEnabled":
false, ...}`` with its other settings left behind, and ``disableResilienceDefaults: false``.
terraform-provider-azuread sends ``applicationEnforcedRestrictions: {isEnabled: false}`` and
``disableResilienceDefaults: false`` with every policy whose sign-in frequency is not
``everyTime``, so without this rule a tenant the provider has just written would be drift. The
rule holds for every control under ``sessionControls`` that has an ``isEnabled`` switch
(application-enforced restrictions, Defender for Cloud Apps, persistent browser, sign-in
frequency, secure sign-in session, and any Graph adds). ``continuousAccessEvaluation`` has no
switch: its ``mode`` (``disabled`` included: that turns continuous access evaluation *off* for the
users, a setting in its own right) is compared as it is.

Public API::

    canonical(kind, obj)                -> comparable form of a Graph object
    compare(kind, desired, actual, both_ways=False) -> [Change(path, desired, actual)]

Paths are dotted Graph paths; lists of objects with an ``id`` are keyed by it
(``rules[Expiration_EndUser_Assignment].maximumDuration``); other lists are compared as sets and
reported whole. For kinds other than Conditional Access only what the desired state names is
compared (Graph returns dozens of tenant defaults for a compliance policy or a group, and the
baseline manages 10 of the 17 rules of a PIM policy); a CA policy is compared both ways, because a
condition someone adds in the portal (a location, a device filter) changes who the policy covers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from ztb import durations
from ztb.compare.values import integral

_DURATION_RE = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$", re.I)
_DURATION_STARTS = frozenset("-Pp")
#: What no value canonicalises to (a dict lookup's default).
_ABSENT = object()

#: Fields Graph sets on its own, never part of a desired state.
SERVER_SET = {
    "id", "createdDateTime", "modifiedDateTime", "lastModifiedDateTime", "deletedDateTime", "templateId",
    "version", "renewedDateTime", "securityIdentifier", "onPremisesSyncEnabled", "lastModifiedBy",
    "partialEnablementStrategy", "isOrganizationDefault",
}
#: Properties the API accepts but never returns (write-only), so they cannot drift.
WRITE_ONLY = {"deviceCompliancePolicy": {"scheduledActionsForRule"}, "group": {"members"}}
#: Intune assignment lists: their items' server-set fields are the same for every policy kind.
INTUNE_KINDS = ("deviceCompliancePolicy", "managedAppProtection")
#: Keys whose text is human prose: compared exactly, not case-folded.
PROSE = {"displayName", "description", "justification"}
#: Values Graph reports when a setting is off; equal to the setting being absent.
DEFAULT_OFF = {
    "sessionControls.disableResilienceDefaults": False,
    # A policy created without clientAppTypes comes back with ["all"] (documented POST ex4).
    "conditions.clientAppTypes": ["all"],
    # Intune reports "no assignment filter" as filter type none.
    "assignments.target.deviceAndAppManagementAssignmentFilterType": "none",
}
#: Fields Graph sets on the items of a list: an Intune assignment's id is `<policyId>_<groupId>`,
#: its type is always deviceCompliancePolicyAssignment and source/sourceId say how it was made;
#: the target is the part a baseline manages.
ITEM_SERVER_SET = {(kind, "assignments"): {"id", "@odata.type", "source", "sourceId"} for kind in INTUNE_KINDS}
# Graph answers each reviewer with queryRoot "decisions" (accessreviewset-post-definitions, example 1).
ITEM_SERVER_SET[("accessReviewScheduleDefinition", "reviewers")] = {"queryRoot"}
#: Kinds whose objects are PIM policies (a directory role's, or a PIM-for-Groups group's): one normalisation.
PIM_KINDS = {"roleManagementPolicy", "groupRoleManagementPolicy"}
#: Kinds whose objects are compared both ways (keys the desired state omits count when set).
SYMMETRIC_KINDS = {"conditionalAccessPolicy"}
#: Where an expanded reference is reduced to its id.
REFERENCE_PATHS = {"grantControls.authenticationStrength"}


@dataclass(frozen=True)
class Change:
    path: str
    desired: Any
    actual: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "desired": self.desired, "actual": self.actual}


def duration_seconds(value: str) -> float | None:
    # The first-character test is the pattern's own start (-?P), asked of every string compared.
    if not isinstance(value, str) or value[:1] not in _DURATION_STARTS or not _DURATION_RE.match(value):
        return None
    try:
        return durations.parse(value.upper()).total_seconds()
    except ValueError:
        return None


#: Graph flags enums written as one comma-separated string: the order of the flags is not a change.
FLAG_KEYS = {"transferMethods", "insiderRiskLevels"}


def _scalar(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return integral(value)
    if key in PROSE:
        return value
    if key in FLAG_KEYS and "," in value:
        return ",".join(sorted(v.strip().lower() for v in value.split(",") if v.strip()))
    seconds = duration_seconds(value)
    if seconds is not None:
        return f"duration:{integral(seconds)}"
    if key == "@odata.type":
        return value.lstrip("#").lower()
    return value.lower()


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def session_control_off(path: str, value: Any) -> bool:
    """True for a session control switched off (``{"isEnabled": false, ...}``): equal to absent."""
    return (isinstance(value, dict) and value.get("isEnabled") is False
            and path.startswith("sessionControls.") and path.count(".") == 1)


#: Keys of an object at ``path`` that are not part of what a baseline manages, one row per reason:
#: OData annotations (``@odata.context``, ``authenticationStrength@odata.context``) but the type;
#: a type annotation Graph's GET omits; server-set fields (an ``id`` inside an object is its
#: identity, not server-set); server-set fields of list items; write-only properties.
_DROPPED: tuple[Callable[[str, str, str], bool], ...] = (
    lambda kind, path, k: "@odata." in k and k != "@odata.type",
    lambda kind, path, k: k == "@odata.type" and _drop_type(kind, path),
    lambda kind, path, k: k in SERVER_SET and not (k == "id" and bool(path)),
    lambda kind, path, k: k in ITEM_SERVER_SET.get((kind, path), ()),
    lambda kind, path, k: k in WRITE_ONLY.get(kind, ()) and not path,
)


@lru_cache(maxsize=4096)
def _dropped(kind: str, path: str, k: str) -> bool:
    """Whether key ``k`` of an object at ``path`` is left out (:data:`_DROPPED`); asked for every
    key of every object compared, of a few hundred distinct (kind, path, key), so remembered."""
    return any(dropped(kind, path, k) for dropped in _DROPPED)


def _canon(kind: str, value: Any, path: str, key: str) -> Any:
    if kind == "conditionalAccessPolicy" and session_control_off(path, value):
        return None
    if path in REFERENCE_PATHS and isinstance(value, dict):
        return {"id": _scalar("id", value.get("id"))} if value.get("id") else None
    if isinstance(value, dict):
        return _canon_object(kind, value, path)
    if isinstance(value, list):
        return _canon_list(kind, value, path, key)
    return _scalar(key, value)


def _canon_object(kind: str, value: dict, path: str) -> dict | None:
    """Managed keys only, each canonical; a key whose value is empty or Graph's "off" is absent."""
    out = {}
    for k, v in value.items():
        if _dropped(kind, path, k):
            continue
        child = f"{path}.{k}" if path else k
        c = _canon(kind, v, child, k)
        if not (_empty(c) or DEFAULT_OFF.get(child, _ABSENT) == c):
            out[k] = c
    return out or None


def _canon_list(kind: str, value: list, path: str, key: str) -> Any:
    """Objects with an id keyed by it as Graph spells it, so paths read
    ``rules[Expiration_EndUser_Assignment]``; any other list as a sorted set."""
    pairs = [(v, c) for v in value if not _empty(c := _canon(kind, v, path, key))]
    if pairs and _keyed(value) and "id" not in ITEM_SERVER_SET.get((kind, path), ()):
        return {"[%s]" % v["id"]: c for v, c in pairs}
    unique = {_sort_key(c): c for _, c in pairs}
    return [unique[k] for k in sorted(unique)] or None


def _keyed(raw: list) -> bool:
    return all(isinstance(v, dict) and v.get("id") for v in raw)


def _drop_type(kind: str, path: str) -> bool:
    # Graph's GET omits the type annotations of rule targets and approval settings that the
    # documented PATCH bodies carry; whole rules keep theirs (it selects the rule's class).
    if kind == "conditionalAccessPolicy":
        return True
    return kind in PIM_KINDS and (".target" in path or ".setting" in path)


def canonical(kind: str, obj: Any) -> Any:
    """The comparable form of ``obj``: two objects are equal for the baseline iff these are equal."""
    return _canon(kind, obj, "", "")


def _walk(kind: str, d: Any, a: Any, path: str, symmetric: bool, out: list[tuple[str, Any, Any]]) -> None:
    if isinstance(d, dict) and isinstance(a, dict):
        keys = list(d)
        if symmetric:
            keys += [k for k in a if k not in d]
        for k in keys:
            child = (f"{path}{k}" if k.startswith("[") else f"{path}.{k}") if path else k
            _walk(kind, d.get(k), a.get(k), child, symmetric and not k.startswith("["), out)
        return
    if d != a:
        out.append((path, d, a))


def compare(kind: str, desired: dict[str, Any], actual: dict[str, Any] | None, *, include_write_only: bool = False,
            both_ways: bool = False) -> list[Change]:
    """Field-level differences between a desired state and an actual (or new) object.

    ``include_write_only`` also compares the properties Graph never returns (a group's members):
    right when both sides are what was sent, as the old and new inputs of a preview are.
    ``both_ways`` also reports what only ``actual`` names, for every kind: right when neither side
    is a desired state with tenant defaults around it, as in review's old and new inputs, where a
    field the new inputs add (a rule, a setting) is a change like any other.
    """
    paths = _changed(kind, desired, actual, include_write_only)
    if both_ways:
        seen = set(paths)
        paths += [p for p in _changed(kind, actual, desired, include_write_only) if p not in seen]
    return [Change(path, _shown(kind, desired, path), _shown(kind, actual, path)) for path in paths]


def _changed(kind: str, desired: Any, actual: Any, include_write_only: bool) -> list[str]:
    """The paths that differ, looking at what ``desired`` names (and, for symmetric kinds, ``actual``)."""
    cd = canonical(kind, desired) or {}
    ca = canonical(kind, actual) if actual is not None else {}
    ca = ca or {}
    if kind in PIM_KINDS:
        cd = {"rules": cd.get("rules") or {}}
        rules = (ca.get("rules") or {}) if isinstance(ca.get("rules"), dict) else {}
        ca = {"rules": {k: v for k, v in rules.items() if k in cd["rules"]}}
    raw: list[tuple[str, Any, Any]] = []
    _walk(kind, cd, ca, "", kind in SYMMETRIC_KINDS, raw)
    paths = [path for path, _, _ in raw]
    if include_write_only:
        for k in sorted(WRITE_ONLY.get(kind, ())):
            if _canon(kind, (desired or {}).get(k), k, k) != _canon(kind, (actual or {}).get(k), k, k):
                paths.append(k)
    return paths


def _shown(kind: str, obj: Any, path: str) -> Any:
    """The raw value a change reports: None where the value means "not set" (a session control
    that is off), so a classifier reading it sees a removal, not a truthy object."""
    raw = get_path(obj, path)
    if isinstance(raw, dict) and path and not path.startswith("[") and _empty(_canon(kind, raw, path, path.rsplit(".", 1)[-1])):
        return None
    return raw


_SEGMENT = re.compile(r"(@odata\.type|[^.\[]+)|\[([^\]]+)\]")


def get_path(obj: Any, path: str) -> Any:
    """Raw value at a normalised path (``rules[X].setting.isApprovalRequired``), or None."""
    cur = obj
    for name, key in _SEGMENT.findall(path):
        if cur is None:
            return None
        if name:
            cur = cur.get(name) if isinstance(cur, dict) else None
        else:
            cur = next((v for v in cur if isinstance(v, dict) and str(v.get("id", "")).lower() == key.lower()), None) if isinstance(cur, list) else None
    if path in REFERENCE_PATHS and isinstance(cur, dict):
        return {"id": cur.get("id")}
    return cur

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
  (17 today), members per group 50,000, owners per group 1,000 (Entra allows 100 users).

:func:`ideal_snapshot` writes what a tenant matching the baseline exactly would export, with
the fields Graph fills in itself, so `ztb drift` on it must report nothing: the test that keeps
the normalisation honest about Graph's noise.
"""

from __future__ import annotations

import json
import sys
import uuid
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ztb import __version__
from ztb.catalogue import roles as rc
from ztb.model.baseline import Baseline
from ztb.model.controls import resolve_refs
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
    "rules": "a directory-role PIM policy has 17 rules",
    "owners": "Entra allows 100 user owners per group",
}
LIMITS = {"bytes": MAX_BYTES, "depth": MAX_DEPTH, **MAX_ITEMS}


class SnapshotError(ValueError):
    """A snapshot that cannot be used: one line naming the problem and the fix."""


class InputError(ValueError):
    """A JSON input file that cannot be read within the limits (the caller adds which file)."""


# --- bounded JSON input -------------------------------------------------------------------

def _no_constant(name: str) -> Any:
    raise InputError(f"'{name}' is not JSON (Graph never writes NaN or Infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise InputError(f"the key '{truncate(dup, 80)}' appears twice in one object (the last would silently win)")
    return out


def read_json(path: str, *, max_bytes: int = MAX_BYTES) -> Any:
    """Parse a JSON file (``-``: stdin) of at most ``max_bytes``; raise InputError or OSError.

    Reads at most one byte more than the limit, so ``/dev/zero`` or a 10 GB file costs the limit,
    not the file. Refuses duplicate keys and NaN/Infinity; depth is checked by :func:`check_tree`.
    """
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(max_bytes + 1) if stream is not None else sys.stdin.read(max_bytes + 1).encode("utf-8", "surrogatepass")
    else:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"larger than the {max_bytes // (1024 * 1024)} MiB limit (no real tenant's export comes near it)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 (byte {e.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        cut = " (the file ends early: truncated)" if e.pos >= len(text.rstrip()) else ""
        raise InputError(f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}{cut}") from None
    except RecursionError:
        raise InputError(f"JSON nested too deeply (more than the {MAX_DEPTH} levels ztb reads; a snapshot nests 11)") from None


def check_tree(doc: Any, max_depth: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than ``max_depth`` and strings that are not Unicode text (lone
    surrogates, which no output format can write), without recursion."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise InputError(f"nested too deeply (more than the {max_depth} levels ztb reads; a snapshot nests 11)")
        if isinstance(node, dict):
            for k, v in node.items():
                if not k.isascii():
                    _text(k)
                if isinstance(v, (dict, list)):
                    stack.append((v, depth + 1))
                elif isinstance(v, str) and not v.isascii():
                    _text(v)
        elif isinstance(node, list):
            for v in node:
                if isinstance(v, (dict, list)):
                    stack.append((v, depth + 1))
                elif isinstance(v, str) and not v.isascii():
                    _text(v)
        elif isinstance(node, str) and not node.isascii():
            _text(node)


def _text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"the string '{truncate(value, 80)}' holds a lone UTF-16 surrogate, which is not text") from None


# --- format -------------------------------------------------------------------------------

#: A Graph object ID: a GUID, or Graph's composite IDs (``DirectoryRole_<tenant>_<id>``,
#: ``<policy>_<group>``, rule IDs such as ``Expiration_EndUser_Assignment``). Never blank, never
#: markup or control characters, so an ID is safe in every report format.
Id = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=256, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Guid = Annotated[str, StringConstraints(strict=True, pattern=rc.GUID_RE.pattern)]
Name = Annotated[str, StringConstraints(strict=True, max_length=1024)]
Text = Annotated[str, StringConstraints(strict=True)]
Strs = Optional[list[Text]]


class _Obj(BaseModel):
    """Graph's objects grow new properties: unknown keys pass, known ones must have Graph's type."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, strict=True)


class _Users(_Obj):
    includeUsers: Strs = None
    excludeUsers: Strs = None
    includeGroups: Strs = None
    excludeGroups: Strs = None
    includeRoles: Strs = None
    excludeRoles: Strs = None
    includeGuestsOrExternalUsers: Optional[dict[str, Any]] = None
    excludeGuestsOrExternalUsers: Optional[dict[str, Any]] = None


class _Applications(_Obj):
    includeApplications: Strs = None
    excludeApplications: Strs = None
    includeUserActions: Strs = None
    includeAuthenticationContextClassReferences: Strs = None
    applicationFilter: Optional[dict[str, Any]] = None


class _Platforms(_Obj):
    includePlatforms: Strs = None
    excludePlatforms: Strs = None


class _Locations(_Obj):
    includeLocations: Strs = None
    excludeLocations: Strs = None


class _Conditions(_Obj):
    users: _Users
    applications: _Applications
    clientAppTypes: Strs = None
    signInRiskLevels: Strs = None
    userRiskLevels: Strs = None
    servicePrincipalRiskLevels: Strs = None
    insiderRiskLevels: Optional[Text] = None  # a flags enum: one comma-separated string
    platforms: Optional[_Platforms] = None
    locations: Optional[_Locations] = None
    devices: Optional[dict[str, Any]] = None
    clientApplications: Optional[dict[str, Any]] = None
    authenticationFlows: Optional[dict[str, Any]] = None


class _StrengthRef(_Obj):
    id: Id


class _Grant(_Obj):
    operator: Optional[Text] = None
    builtInControls: Strs = None
    customAuthenticationFactors: Strs = None
    termsOfUse: Strs = None
    authenticationStrength: Optional[_StrengthRef] = None


class _Switch(_Obj):
    isEnabled: Optional[bool] = None


class _CloudAppSecurity(_Switch):
    cloudAppSecurityType: Optional[Text] = None


class _PersistentBrowser(_Switch):
    mode: Optional[Text] = None


class _SignInFrequency(_Switch):
    value: Optional[Annotated[int, Field(ge=0)]] = None
    type: Optional[Text] = None
    authenticationType: Optional[Text] = None
    frequencyInterval: Optional[Text] = None


class _ContinuousAccessEvaluation(_Obj):
    mode: Optional[Text] = None


class _Session(_Obj):
    applicationEnforcedRestrictions: Optional[_Switch] = None
    cloudAppSecurity: Optional[_CloudAppSecurity] = None
    persistentBrowser: Optional[_PersistentBrowser] = None
    signInFrequency: Optional[_SignInFrequency] = None
    continuousAccessEvaluation: Optional[_ContinuousAccessEvaluation] = None
    secureSignInSession: Optional[_Switch] = None
    disableResilienceDefaults: Optional[bool] = None


class _CAPolicy(_Obj):
    id: Id
    displayName: Name
    state: Text
    conditions: _Conditions
    grantControls: Optional[_Grant] = None
    sessionControls: Optional[_Session] = None


class _Named(_Obj):
    id: Id
    displayName: Optional[Name] = None


class _Member(_Obj):
    id: Id
    odata_type: Optional[Text] = Field(default=None, alias="@odata.type")


class _Group(_Named):
    description: Optional[Text] = None
    mailEnabled: Optional[bool] = None
    mailNickname: Optional[Text] = None
    securityEnabled: Optional[bool] = None
    groupTypes: Strs = None
    isAssignableToRole: Optional[bool] = None
    members: Optional[list[_Member]] = Field(default=None, max_length=MAX_ITEMS["members"])
    owners: Optional[list[_Member]] = Field(default=None, max_length=MAX_ITEMS["owners"])


class _SubjectSet(_Obj):
    odata_type: Optional[Text] = Field(default=None, alias="@odata.type")
    id: Optional[Text] = None
    groupId: Optional[Text] = None
    userId: Optional[Text] = None
    description: Optional[Text] = None


class _Stage(_Obj):
    approvalStageTimeOutInDays: Optional[int] = None
    isApproverJustificationRequired: Optional[bool] = None
    escalationTimeInMinutes: Optional[int] = None
    isEscalationEnabled: Optional[bool] = None
    primaryApprovers: Optional[list[_SubjectSet]] = None
    escalationApprovers: Optional[list[_SubjectSet]] = None


class _ApprovalSetting(_Obj):
    isApprovalRequired: Optional[bool] = None
    isApprovalRequiredForExtension: Optional[bool] = None
    isRequestorJustificationRequired: Optional[bool] = None
    approvalMode: Optional[Text] = None
    approvalStages: Optional[list[_Stage]] = None


class _RuleTarget(_Obj):
    caller: Optional[Text] = None
    level: Optional[Text] = None
    operations: Strs = None
    inheritableSettings: Strs = None
    enforcedSettings: Strs = None


class _Rule(_Obj):
    id: Id
    odata_type: Text = Field(alias="@odata.type")
    isExpirationRequired: Optional[bool] = None
    maximumDuration: Optional[Text] = None
    enabledRules: Strs = None
    notificationType: Optional[Text] = None
    recipientType: Optional[Text] = None
    notificationLevel: Optional[Text] = None
    isDefaultRecipientsEnabled: Optional[bool] = None
    notificationRecipients: Strs = None
    isEnabled: Optional[bool] = None
    claimValue: Optional[Text] = None
    setting: Optional[_ApprovalSetting] = None
    target: Optional[_RuleTarget] = None


class _PimPolicy(_Obj):
    id: Id
    scopeId: Text
    scopeType: Text
    rules: list[_Rule] = Field(max_length=MAX_ITEMS["rules"])


class _PimAssignment(_Obj):
    id: Id
    policyId: Id
    roleDefinitionId: Id
    scopeId: Text
    scopeType: Text


class _AssignmentTarget(_Obj):
    odata_type: Text = Field(alias="@odata.type")
    groupId: Optional[Text] = None
    deviceAndAppManagementAssignmentFilterId: Optional[Text] = None
    deviceAndAppManagementAssignmentFilterType: Optional[Text] = None


class _Assignment(_Obj):
    id: Optional[Id] = None
    target: _AssignmentTarget


class _Compliance(_Obj):
    id: Id
    odata_type: Text = Field(alias="@odata.type")
    displayName: Name
    assignments: list[_Assignment]
    description: Optional[Text] = None
    osMinimumVersion: Optional[Text] = None
    osMaximumVersion: Optional[Text] = None
    deviceThreatProtectionRequiredSecurityLevel: Optional[Text] = None
    # The windows10CompliancePolicy switches the baseline sets (and those Graph defaults).
    bitLockerEnabled: Optional[bool] = None
    secureBootEnabled: Optional[bool] = None
    codeIntegrityEnabled: Optional[bool] = None
    tpmRequired: Optional[bool] = None
    activeFirewallRequired: Optional[bool] = None
    antivirusRequired: Optional[bool] = None
    antiSpywareRequired: Optional[bool] = None
    defenderEnabled: Optional[bool] = None
    rtpEnabled: Optional[bool] = None
    signatureOutOfDate: Optional[bool] = None
    deviceThreatProtectionEnabled: Optional[bool] = None
    passwordRequired: Optional[bool] = None
    requireHealthyDeviceReport: Optional[bool] = None
    storageRequireEncryption: Optional[bool] = None
    earlyLaunchAntiMalwareDriverEnabled: Optional[bool] = None


class _RoleDefinition(_Obj):
    id: Id
    displayName: Name
    templateId: Optional[Id] = None
    isBuiltIn: bool
    isPrivileged: bool


def _items(name: str) -> Any:
    return Field(max_length=MAX_ITEMS[name])


class _Snapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    schemaVersion: Literal[2]
    tenantId: Guid
    exportedAt: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64)]
    toolVersion: Annotated[str, StringConstraints(strict=True, max_length=256)]
    #: Collections export did not read because the stack gives no reason to (collection -> why).
    skipped: Optional[dict[Literal[COLLECTIONS], Annotated[str, StringConstraints(strict=True, max_length=1024)]]] = None  # type: ignore[valid-type]
    conditionalAccessPolicies: list[_CAPolicy] = _items("conditionalAccessPolicies")
    namedLocations: list[_Named] = _items("namedLocations")
    authenticationStrengthPolicies: list[_Named] = _items("authenticationStrengthPolicies")
    groups: list[_Group] = _items("groups")
    roleManagementPolicies: list[_PimPolicy] = _items("roleManagementPolicies")
    roleManagementPolicyAssignments: list[_PimAssignment] = _items("roleManagementPolicyAssignments")
    deviceCompliancePolicies: list[_Compliance] = _items("deviceCompliancePolicies")
    roleDefinitions: list[_RoleDefinition] = _items("roleDefinitions")


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


def _message(source: str, err: ValidationError) -> str:
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
    for name in COLLECTIONS:
        dup = _duplicate(doc[name])
        if dup:
            return f"'{name}' holds the object {dup} twice"
        for i, obj in enumerate(doc[name]):
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
        check_tree(doc)
    except InputError as e:
        raise SnapshotError(f"snapshot {source}: {e}; {_FIX}") from None
    try:
        _Snapshot.model_validate(doc)
    except ValidationError as e:
        raise SnapshotError(_message(source, e)) from None
    unread = [k for k in doc.get("skipped") or {} if doc[k]]
    if unread:
        raise SnapshotError(f"snapshot {source}: '{unread[0]}' is listed as skipped but holds objects; {_FIX}")
    dup = _duplicates(doc)
    if dup:
        raise SnapshotError(f"snapshot {source}: {dup} (Graph repeated a page, or files were merged: "
                            f"the first one would win silently); {_FIX}")
    return doc


def load(path: str) -> dict[str, Any]:
    """Read and validate a snapshot file (``-`` reads stdin), within :data:`LIMITS`."""
    source = truncate("<stdin>" if path == "-" else path, 200)
    try:
        doc = read_json(path)
    except FileNotFoundError:
        raise SnapshotError(f"snapshot {source}: no such file; write one with `ztb export --out {source}` or pass the right --snapshot path") from None
    except OSError as e:
        raise SnapshotError(f"snapshot {source}: cannot be read ({e.strerror or e}); pass a readable JSON file") from None
    except InputError as e:
        raise SnapshotError(f"snapshot {source}: {e}; pass a snapshot written by `ztb export --out {'FILE' if path == '-' else source}`") from None
    return validate(doc, source)


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


# --- the ideal snapshot -------------------------------------------------------------------

#: Fixed timestamps keep the ideal snapshot byte-for-byte reproducible.
IDEAL_TIME = "2025-01-01T00:00:00Z"
BUILT_IN_TIME = "2021-12-01T08:00:00Z"
NO_TENANT = "00000000-0000-0000-0000-000000000000"
_NS = uuid.UUID("6f1c3a52-8d0e-4f4b-9a57-7a2b5e0c2d11")
GRAPH_V1 = "https://graph.microsoft.com/v1.0/$metadata#"
#: Descriptions of the built-in strengths as Graph returns them (authenticationstrength-list-policies).
STRENGTH_DESCRIPTIONS = {
    "00000000-0000-0000-0000-000000000002": "Combinations of methods that satisfy strong authentication, such as a password + SMS",
    "00000000-0000-0000-0000-000000000003": "Passwordless methods that satisfy strong authentication, such as Passwordless sign-in with the Microsoft Authenticator",
    "00000000-0000-0000-0000-000000000004": "Phishing resistant, Passwordless methods for the strongest authentication, such as a FIDO2 security key",
}
#: The 7 rules of a directory-role PIM policy the baseline leaves alone, with the tenant defaults
#: Graph returns (pim-list-rolemanagementpolicies-ex2-directory-expand-rules.response.json).
_UNMANAGED_RULES = [
    ("Enablement_Admin_Eligibility", "Enablement", "Admin", "Eligibility", {"enabledRules": []}),
    *[
        (f"Notification_{who}_{scope}", "Notification", caller, level,
         {"notificationType": "Email", "recipientType": who, "notificationLevel": "All",
          "isDefaultRecipientsEnabled": True, "notificationRecipients": []})
        for scope, caller, level in (("Admin_Eligibility", "Admin", "Eligibility"), ("Admin_Assignment", "Admin", "Assignment"),
                                     ("EndUser_Assignment", "EndUser", "Assignment"))
        for who in ("Requestor", "Approver")
    ],
]


def ideal_id(tenant: str, *parts: str) -> str:
    """Deterministic object ID for an object the ideal tenant holds."""
    return str(uuid.uuid5(_NS, "/".join((tenant, *parts))))


@lru_cache(maxsize=1)
def _built_in_strengths() -> dict[str, Any]:
    """The built-in strengths in Graph's own order (crosswalk keeps them as sets)."""
    text = resources.files("ztb.data").joinpath("authentication-strengths.json").read_text(encoding="utf-8")
    return json.loads(text)["builtInStrengths"]


def strength_object(strength_id: str, policy_id: str | None = None) -> dict[str, Any]:
    """A built-in authentication strength as Graph returns it, standalone or expanded in a policy."""
    ctx = f"policies/conditionalAccessPolicies('{policy_id}')/grantControls/authenticationStrength" if policy_id else f"policies/authenticationStrengthPolicies('{strength_id}')"
    built_in = _built_in_strengths()[strength_id]
    return {
        "id": strength_id,
        "createdDateTime": BUILT_IN_TIME,
        "modifiedDateTime": BUILT_IN_TIME,
        "displayName": built_in["displayName"],
        "description": STRENGTH_DESCRIPTIONS.get(strength_id),
        "policyType": "builtIn",
        "requirementsSatisfied": "mfa",
        "allowedCombinations": list(built_in["allowedCombinations"]),
        "combinationConfigurations@odata.context": f"{GRAPH_V1}{ctx}/combinationConfigurations",
        "combinationConfigurations": [],
    }


def _principals(items: Any) -> list[dict[str, str]]:
    """Members or owners as Graph lists them: directory objects with their type."""
    return [{"@odata.type": i.get("@odata.type") or "#microsoft.graph.user", "id": i["id"]} for i in items or []]


def _watched(group: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """A watched group carries its members and owners: the declared ones, exactly."""
    return {**group, "members": _principals(desired.get("members")), "owners": _principals(desired.get("owners"))}


def _ideal_groups(b: Baseline, tenant: str) -> tuple[list[dict], dict[str, str]]:
    out, ids = [], {}
    for c in b.of_kind("group"):
        key = c.meta["groupKey"]
        if not c.managed:
            ids[key] = c.meta["objectId"]
            out.append(_watched(_existing_group(ids[key]), c.desired))
            continue
        ids[key] = ideal_id(tenant, "group", key)
        d = c.desired
        out.append(_watched({
            "id": ids[key], "displayName": d["displayName"], "description": d["description"],
            "mailEnabled": d["mailEnabled"], "mailNickname": d["mailNickname"], "securityEnabled": d["securityEnabled"],
            "groupTypes": list(d["groupTypes"]), "isAssignableToRole": d["isAssignableToRole"], "createdDateTime": IDEAL_TIME,
        }, d))
    approver = b.config.pim.approverGroupId
    if approver and approver not in ids.values():
        out.append(_existing_group(approver))  # referenced by PIM rules only: not watched, no members
    return out, ids


def _existing_group(oid: str) -> dict[str, Any]:
    return {"id": oid, "displayName": f"Existing group {oid[:8]}", "description": None, "mailEnabled": False,
            "mailNickname": f"existing-{oid[:8]}", "securityEnabled": True, "groupTypes": [],
            "isAssignableToRole": None, "createdDateTime": IDEAL_TIME}


def _ideal_ca(desired: dict[str, Any], pid: str) -> dict[str, Any]:
    cond = desired["conditions"]
    users, apps = cond["users"], cond["applications"]
    grant = desired["grantControls"]
    if grant is not None:
        strength = (grant.get("authenticationStrength") or {}).get("id")
        grant = {
            "operator": grant["operator"], "builtInControls": grant["builtInControls"],
            "customAuthenticationFactors": grant["customAuthenticationFactors"], "termsOfUse": grant["termsOfUse"],
            "authenticationStrength@odata.context": f"{GRAPH_V1}policies/conditionalAccessPolicies('{pid}')/grantControls/authenticationStrength/$entity",
            "authenticationStrength": strength_object(strength, pid) if strength else None,
        }
    session = desired["sessionControls"]
    if session is not None:
        session = {"disableResilienceDefaults": None, "applicationEnforcedRestrictions": None, "cloudAppSecurity": None,
                   "persistentBrowser": None, "signInFrequency": None, **session}
    return {
        "id": pid, "templateId": None, "displayName": desired["displayName"],
        "createdDateTime": IDEAL_TIME, "modifiedDateTime": None, "state": desired["state"],
        "sessionControls": session,
        "conditions": {
            "userRiskLevels": cond["userRiskLevels"], "signInRiskLevels": cond["signInRiskLevels"],
            "clientAppTypes": cond["clientAppTypes"], "servicePrincipalRiskLevels": [], "insiderRiskLevels": None,
            "platforms": cond["platforms"], "locations": cond["locations"], "devices": None, "clientApplications": None,
            "applications": {**apps, "includeAuthenticationContextClassReferences": [], "applicationFilter": None},
            "users": {**users, "includeGuestsOrExternalUsers": None, "excludeGuestsOrExternalUsers": None},
        },
        "grantControls": grant,
    }


def _graph_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as GET returns it: operations lower-cased, no type annotations inside."""
    out = {k: v for k, v in rule.items() if k != "target"}
    out["target"] = {**rule["target"], "operations": [o.lower() for o in rule["target"]["operations"]]}
    return out


def _default_rule(rule_id: str, suffix: str, caller: str, level: str, body: dict) -> dict[str, Any]:
    return {"@odata.type": f"#microsoft.graph.unifiedRoleManagementPolicy{suffix}Rule", "id": rule_id, **body,
            "target": {"caller": caller, "operations": ["all"], "level": level, "inheritableSettings": [], "enforcedSettings": []}}


def _ideal_compliance(c, desired: dict[str, Any], tenant: str) -> dict[str, Any]:
    pid = desired.get("id") or ideal_id(tenant, "compliance", c.id)
    body = {k: v for k, v in desired.items() if k not in ("scheduledActionsForRule", "assignments", "id")}
    body.setdefault("@odata.type", "#microsoft.graph.windows10CompliancePolicy")
    body.setdefault("displayName", f"Existing compliance policy {pid[:8]}")
    assignments = [
        {"@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment", "id": f"{pid}_{a['target']['groupId']}",
         "source": "direct", "sourceId": pid,
         "target": {**a["target"], "deviceAndAppManagementAssignmentFilterId": None, "deviceAndAppManagementAssignmentFilterType": "none"}}
        for a in desired["assignments"]
    ]
    return {"id": pid, "createdDateTime": IDEAL_TIME, "lastModifiedDateTime": IDEAL_TIME, "version": 1,
            "roleScopeTagIds": ["0"], **body, "passwordRequired": False, "requireHealthyDeviceReport": False,
            "storageRequireEncryption": False, "earlyLaunchAntiMalwareDriverEnabled": False,
            "assignments@odata.context": f"https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceCompliancePolicies('{pid}')/assignments",
            "assignments": assignments}


def ideal_snapshot(b: Baseline) -> dict[str, Any]:
    """The snapshot a tenant matching the baseline exactly would export (deterministic)."""
    tenant = b.config.tenantId or NO_TENANT
    groups, ids = _ideal_groups(b, tenant)
    policies = []
    for c in b.of_kind("conditionalAccessPolicy"):
        policies.append(_ideal_ca(resolve_refs(c.desired, ids), ideal_id(tenant, "ca", c.id)))
    pim_policies, pim_assignments = [], []
    for c in b.of_kind("roleManagementPolicy"):
        role = c.desired["roleDefinitionId"]
        pid = f"DirectoryRole_{tenant}_{ideal_id(tenant, 'pim', role)}"
        rules = [_graph_rule(r) for r in resolve_refs(c.desired["rules"], ids)] + [_default_rule(*r) for r in _UNMANAGED_RULES]
        pim_policies.append({"id": pid, "displayName": "DirectoryRole", "description": "DirectoryRole", "isOrganizationDefault": False,
                             "scopeId": "/", "scopeType": "DirectoryRole", "lastModifiedDateTime": None,
                             "lastModifiedBy": {"displayName": None, "id": None}, "rules": rules})
        pim_assignments.append({"id": f"{pid}_{role}", "policyId": pid, "scopeId": "/", "scopeType": "DirectoryRole", "roleDefinitionId": role})
    compliance = [_ideal_compliance(c, resolve_refs(c.desired, ids), tenant) for c in b.of_kind("deviceCompliancePolicy")]
    scope = {r.template_id: r for r in b.scope}
    roles = {r.template_id: r for r in rc.catalogue()} | scope
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tenantId": tenant,
        "exportedAt": IDEAL_TIME,
        "toolVersion": f"ztb {__version__} (ideal snapshot from `ztb plan --format snapshot`)",
        "conditionalAccessPolicies": policies,
        "namedLocations": [],
        "authenticationStrengthPolicies": [strength_object(s) for s in _built_in_strengths()],
        "groups": groups,
        "roleManagementPolicies": pim_policies,
        "roleManagementPolicyAssignments": pim_assignments,
        "deviceCompliancePolicies": compliance,
        "roleDefinitions": [
            {"id": tid, "displayName": r.name, "templateId": tid, "isBuiltIn": True, "isPrivileged": r.privileged}
            for tid, r in roles.items()
        ],
    }


def render_snapshot(b: Baseline) -> str:
    """`ztb plan --format snapshot`: the ideal snapshot as JSON text."""
    return dumps(ideal_snapshot(b))

"""What a `pulumi preview --json` document holds, and whether this one is one.

A digest of steps (``op``, ``urn``, ``oldState``/``newState`` with camelCase ``inputs``,
``detailedDiff`` or ``null``), ``diagnostics`` and the ``config`` the preview ran with
(pulumi/pulumi pkg/display/json.go ``PreviewDigest``; the facts ztb relies on, with their source,
are listed in tests/fixtures/preview/README.md). Here: reading and checking it (size, depth,
types, the inputs ztb reads, the outputs of `pulumi preview` that are not a digest) and naming
resources from their URNs, so that everything downstream may trust the shape it reads.
:mod:`ztb.review.inputs` turns a resource's inputs into Graph's terms, :mod:`ztb.review.steps`
reads the steps of one resource together, :mod:`ztb.review.judge` judges them.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ztb.model.controls import Kind
from ztb.errors import ZtbError
from ztb.review.ops import KNOWN_OPS
from ztb.sentinels import SECRET, UNKNOWN

STACK_TYPE = "pulumi:pulumi:Stack"
CA_TYPE = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP_TYPE = "azuread:index/group:Group"
DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"

COMPONENT_PREFIX = "ztb:index:"

KIND_BY_TYPE = {CA_TYPE: Kind.CONDITIONAL_ACCESS_POLICY, GROUP_TYPE: Kind.GROUP}
KIND_BY_ID_PREFIX = {
    "PRIV-CA": Kind.CONDITIONAL_ACCESS_POLICY, "PRIV-GRP": Kind.GROUP, "PRIV-PIM": Kind.ROLE_MANAGEMENT_POLICY,
    "PRIV-ELIG": Kind.ROLE_ELIGIBILITY, "PRIV-DEV": Kind.DEVICE_COMPLIANCE_POLICY, "PRIV-MAM": Kind.APP_PROTECTION_POLICY,
    "PRIV-REV": Kind.ACCESS_REVIEW, "PRIV-CTX": Kind.AUTHENTICATION_CONTEXT, "PRIV-ALERT": Kind.ROLE_MANAGEMENT_ALERT,
}


def is_dynamic(type_: str) -> bool:
    """The generic dynamic type, or the named ones the components register (pulumi-python:dynamic/ztb:...)."""
    return type_ == DYNAMIC_TYPE or type_.startswith("pulumi-python:dynamic/")

#: The largest preview read. A preview of this baseline with every option (`--show-sames`,
#: `--show-replacement-steps`, `--refresh`) holds two states per resource, a few MB for the
#: largest tenant's stack; a file past this is not one, and /dev/zero is refused after it.
MAX_PREVIEW_BYTES = 32 * 1024 * 1024
#: The deepest nesting read: a preview nests 12 levels (document, steps, state, inputs, a PIM rule's
#: approval stage and its approvers); past this a value is not one of this baseline's.
MAX_DEPTH = 64

FIX = "pass the stdout of `pulumi preview --json`"


class PreviewError(ZtbError, ValueError):
    """The input is not a `pulumi preview --json` document: one line naming the problem and the fix."""


def decode_preview(data: bytes, source: str) -> str:
    """The preview's text: UTF-8 (a BOM is allowed), at most MAX_PREVIEW_BYTES (checked by the reader)."""
    if len(data) > MAX_PREVIEW_BYTES:
        raise PreviewError(f"{source}: larger than the {MAX_PREVIEW_BYTES // 2**20} MiB limit, more than a preview of this "
                           f"baseline can hold; {FIX} of the baseline stack")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise PreviewError(f"{source}: UTF-16 text, as PowerShell's `>` writes it; write the preview as UTF-8 "
                           "(`pulumi preview --json | Out-File -Encoding utf8 preview.json`)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PreviewError(f"{source}: not UTF-8 text (byte {e.start}); {FIX}") from None


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            # Go's encoder never repeats a key; a repeated one means the file was edited, and
            # "the last one wins" would let an edit hide a change from the reader.
            raise PreviewError(f"the key {k[:60]!r} appears twice in one object")
        out[k] = v
    return out


def _constant(name: str) -> Any:
    raise PreviewError(f"{name} is not JSON (Go's encoder never writes it)")


def _parse(text: str, source: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique, parse_constant=_constant)
    except PreviewError as e:
        raise PreviewError(f"{source}: {e}; {FIX}") from None
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":
            _refuse_streams(text, source)
        # The digest is one object: text that stops before its closing brace was cut off.
        cut = " (the file ends early: truncated?)" if not text.rstrip().endswith("}") else ""
        raise PreviewError(f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}){cut}; {FIX}") from None
    except RecursionError:
        raise PreviewError(f"{source}: JSON nested too deeply to be a preview (more than {MAX_DEPTH} levels); {FIX}") from None


def _is_engine_event(v: Any) -> bool:
    return isinstance(v, dict) and "sequence" in v and "timestamp" in v


def _refuse_streams(text: str, source: str) -> None:
    """Outputs of `pulumi preview` that are JSON but not the digest, refused with the flag that made them."""
    first = text.lstrip().split("\n", 1)[0]
    try:
        head = json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        return
    if _is_engine_event(head):
        raise PreviewError(f"{source}: engine events, one per line, as `pulumi preview --json` streams them when "
                           "PULUMI_ENABLE_STREAMING_JSON_PREVIEW is set; unset it and run `pulumi preview --json` again")


def load_preview(text: str, source: str) -> dict[str, Any]:
    """The preview document, or a PreviewError saying in one line why this is not one."""
    if not text.strip():
        raise PreviewError(f"{source}: empty; {FIX}")
    doc = _parse(text, source)
    if _is_engine_event(doc):
        _refuse_streams(text, source)
    if isinstance(doc, dict) and "result" in doc and ({"summary", "resources"} & set(doc) or "steps" not in doc):
        raise PreviewError(f"{source}: the one-line summary `pulumi preview --output json` prints, not the preview's "
                           "steps; run `pulumi preview --json` instead")
    if not isinstance(doc, dict) or not ({"steps", "changeSummary", "diagnostics"} & set(doc)):
        raise PreviewError(f"{source}: not a `pulumi preview --json` document (no steps, changeSummary or diagnostics); {FIX}")
    _check_tree(doc, source)
    _check_document(doc, source)
    return doc


def _check_tree(doc: Any, source: str) -> None:
    """Refuse nesting past MAX_DEPTH, without recursion, so nothing downstream can recurse too deep;
    and text that is not Unicode (a lone surrogate written as ``\\ud800``), which no output can print."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PreviewError(f"{source}: nested deeper than {MAX_DEPTH} levels, deeper than any preview of this baseline; {FIX}")
        texts = [*node, *node.values()] if isinstance(node, dict) else node
        for t in texts:
            if isinstance(t, str) and not t.isascii():
                try:
                    t.encode("utf-8")
                except UnicodeEncodeError:
                    raise PreviewError(f"{source}: holds text that is not Unicode (a lone surrogate escape such as \\ud800); {FIX}") from None
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def _fail(source: str, where: str, problem: str) -> PreviewError:
    return PreviewError(f"{source}: {where}: {problem}; {FIX}")


def _check_document(doc: dict[str, Any], source: str) -> None:
    """The digest's own fields have the types Pulumi's PreviewDigest gives them (pkg/display/json.go)."""
    config = doc.get("config")
    if config is not None and (not isinstance(config, dict) or not all(isinstance(v, str) for v in config.values())):
        raise _fail(source, "'config'", "must map each key to a string, as the CLI writes it")
    summary = doc.get("changeSummary")
    if summary is not None and (not isinstance(summary, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in summary.values())):
        raise _fail(source, "'changeSummary'", "must map each operation to a count")
    if not isinstance(doc.get("maybeCorrupt", False), bool):
        raise _fail(source, "'maybeCorrupt'", "must be true or false")
    steps, diagnostics = doc.get("steps", []), doc.get("diagnostics", [])
    if not isinstance(steps, (list, type(None))) or not isinstance(diagnostics, (list, type(None))):
        raise PreviewError(f"{source}: 'steps' and 'diagnostics' must be lists; {FIX}")
    for i, step in enumerate(steps or []):
        _check_step(step, i, source)
    for i, d in enumerate(diagnostics or []):
        if not isinstance(d, dict):
            raise PreviewError(f"{source}: diagnostic {i + 1} is not an object; {FIX}")
        for key in ("urn", "prefix", "message", "severity"):
            if d.get(key) is not None and not isinstance(d[key], str):
                raise _fail(source, f"diagnostic {i + 1}", f"'{key}' must be a string")


def _check_step(step: Any, i: int, source: str) -> None:
    if not isinstance(step, dict) or not isinstance(step.get("op"), str) or not isinstance(step.get("urn"), str):
        raise PreviewError(f"{source}: step {i + 1} has no 'op' and 'urn'; {FIX}")
    if step["op"] not in KNOWN_OPS:
        # An operation this reader does not know must never be read as "no change".
        raise PreviewError(f"{source}: step {i + 1} has unknown op {step['op'][:40]!r}; {FIX} from a supported Pulumi version")
    where = f"step {i + 1} ({step['urn'][:200]})"
    for key in ("oldState", "newState", "detailedDiff"):
        if step.get(key) is not None and not isinstance(step[key], dict):
            raise PreviewError(f"{source}: {where}: '{key}' must be an object; {FIX}")
    for key in ("diffReasons", "replaceReasons"):
        if step.get(key) is not None and not (isinstance(step[key], list) and all(isinstance(k, str) for k in step[key])):
            raise _fail(source, where, f"'{key}' must be a list of property names")
    for k, d in (step.get("detailedDiff") or {}).items():
        if not isinstance(d, dict) or not isinstance(d.get("kind"), str) or not isinstance(d.get("inputDiff", False), bool):
            raise _fail(source, where, f"detailedDiff[{k[:80]!r}] must be an object with a 'kind'")
    for key in ("oldState", "newState"):
        state = step.get(key)
        if state is None:
            continue
        for field, types in (("type", str), ("id", str), ("inputs", dict), ("outputs", dict), ("protect", bool)):
            if state.get(field) is not None and not isinstance(state[field], types):
                raise _fail(source, f"{where} {key}", f"'{field}' must be {'an object' if types is dict else 'a ' + types.__name__}")
        type_ = state.get("type") or parse_urn(step["urn"])[1]
        schema = INPUT_SCHEMAS.get(type_)
        if schema and isinstance(state.get("inputs"), dict):
            problem = _schema_problem(state["inputs"], schema, "inputs")
            if problem:
                raise _fail(source, f"{where} {key}", problem)


# -- the bridged providers' inputs, by type --------------------------------------------------------
# Only the fields ztb reads are typed; others (a newer provider's) pass. A hidden value ([secret],
# the unknown placeholder) may stand for any value, a whole list or object included, and bridged
# inputs carry `__defaults` at every object level (pulumi-terraform-bridge schema.go applyDefaults).

_STRS, _NUMBER = [str], (int, float)
CA_INPUTS: dict[str, Any] = {
    "displayName": str, "state": str,
    "conditions": {
        "users": {k: _STRS for k in ("includedUsers", "excludedUsers", "includedGroups", "excludedGroups", "includedRoles", "excludedRoles")},
        "applications": {k: _STRS for k in ("includedApplications", "excludedApplications", "includedUserActions")},
        "platforms": {"includedPlatforms": _STRS, "excludedPlatforms": _STRS},
        "locations": {"includedLocations": _STRS, "excludedLocations": _STRS},
        "clientAppTypes": _STRS, "signInRiskLevels": _STRS, "userRiskLevels": _STRS, "servicePrincipalRiskLevels": _STRS,
        "insiderRiskLevels": str, "devices": {}, "clientApplications": {}, "authenticationFlowTransferMethods": _STRS,
    },
    "grantControls": {"operator": str, "builtInControls": _STRS, "authenticationStrengthPolicyId": str,
                      "customAuthenticationFactors": _STRS, "termsOfUses": _STRS},
    "sessionControls": {"signInFrequency": _NUMBER, "signInFrequencyPeriod": str, "signInFrequencyInterval": str,
                        "signInFrequencyAuthenticationType": str, "persistentBrowserMode": str,
                        "disableResilienceDefaults": bool, "applicationEnforcedRestrictionsEnabled": bool,
                        "cloudAppSecurityPolicy": str},
}
GROUP_INPUTS: dict[str, Any] = {
    "displayName": str, "description": str, "mailNickname": str, "securityEnabled": bool, "mailEnabled": bool,
    "assignableToRole": bool, "preventDuplicateNames": bool, "members": _STRS, "owners": _STRS, "types": _STRS,
}
#: The dynamic providers' inputs (ztb/providers/): the Graph body they send, typed where ztb reads it.
PIM_INPUTS: dict[str, Any] = {"controlId": str, "scopeId": str, "scopeType": str, "roleDefinitionId": str, "rules": [{"id": str}]}
ELIGIBILITY_INPUTS: dict[str, Any] = {
    "controlId": str, "action": str, "principalId": str, "roleDefinitionId": str, "directoryScopeId": str, "justification": str,
    "scheduleInfo": {"startDateTime": str, "expiration": {"type": str, "duration": str, "endDateTime": str}},
}
COMPLIANCE_INPUTS: dict[str, Any] = {
    "controlId": str, "graphVersion": str, "policy": {"@odata.type": str, "displayName": str, "osMinimumVersion": str, "deviceThreatProtectionRequiredSecurityLevel": str},
    "assignments": [{"target": {"@odata.type": str, "groupId": str}}],
}
APP_PROTECTION_INPUTS: dict[str, Any] = {
    "controlId": str, "collection": str, "graphVersion": str,
    "policy": {"@odata.type": str, "displayName": str, "minimumPinLength": _NUMBER, "pinRequired": bool},
    "assignments": [{"target": {"@odata.type": str, "groupId": str}}],
}
GRAPH_CA_INPUTS: dict[str, Any] = {
    "controlId": str, "emergencyGroupId": str,
    "policy": {"displayName": str, "state": str, "conditions": {"users": {"excludeGroups": _STRS, "excludeUsers": _STRS}},
               "grantControls": {"operator": str, "builtInControls": _STRS}},
}
REVIEW_INPUTS: dict[str, Any] = {
    "controlId": str, "displayName": str, "scope": {"query": str, "queryType": str}, "reviewers": [{"query": str}],
    "settings": {"defaultDecision": str, "defaultDecisionEnabled": bool, "autoApplyDecisionsEnabled": bool,
                 "reminderNotificationsEnabled": bool, "mailNotificationsEnabled": bool, "instanceDurationInDays": _NUMBER,
                 "recurrence": {"pattern": {"type": str, "interval": _NUMBER}, "range": {"type": str, "startDate": str}}},
}
CONTEXT_INPUTS: dict[str, Any] = {"controlId": str, "claim": str, "displayName": str, "description": str, "isAvailable": bool}
INPUT_SCHEMAS = {
    CA_TYPE: CA_INPUTS, GROUP_TYPE: GROUP_INPUTS,
    "pulumi-python:dynamic/ztb:RoleManagementPolicy": PIM_INPUTS,
    "pulumi-python:dynamic/ztb:RoleEligibility": ELIGIBILITY_INPUTS,
    "pulumi-python:dynamic/ztb:DeviceCompliancePolicy": COMPLIANCE_INPUTS,
    "pulumi-python:dynamic/ztb:ConditionalAccessPolicy": GRAPH_CA_INPUTS,
    "pulumi-python:dynamic/ztb:AppProtectionPolicy": APP_PROTECTION_INPUTS,
    "pulumi-python:dynamic/ztb:DeviceManagementSettings": {"controlId": str, "secureByDefault": bool},
    "pulumi-python:dynamic/ztb:AccessReview": REVIEW_INPUTS,
    "pulumi-python:dynamic/ztb:AuthenticationContext": CONTEXT_INPUTS,
    "pulumi-python:dynamic/ztb:RoleManagementAlert": {"controlId": str, "alert": str, "isEnabled": bool},
}
_TYPE_WORDS = {str: "a string", bool: "true or false", _NUMBER: "a number"}


def _schema_problem(value: Any, schema: Any, path: str) -> Optional[str]:
    """Where ``value`` does not have the schema's type, in words; None when it does."""
    if value in (SECRET, UNKNOWN) or value is None:
        return None
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return f"'{path}' must be an object"
        for k, sub in schema.items():
            problem = _schema_problem(value.get(k), sub, f"{path}.{k}")
            if problem:
                return problem
        return None
    if isinstance(schema, list):
        if not isinstance(value, list):
            return f"'{path}' must be a list"
        return next((p for p in (_schema_problem(item, schema[0], f"{path}[{i}]") for i, item in enumerate(value)) if p), None)
    ok = isinstance(value, schema) and (schema is bool or not isinstance(value, bool))
    return None if ok else f"'{path}' must be {_TYPE_WORDS[schema]}"


def parse_urn(urn: str) -> tuple[str, str, str]:
    """(stack, type, name) of ``urn:pulumi:<stack>::<project>::<parent$type>::<name>``."""
    parts = urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        return "", "", urn
    return parts[0][len("urn:pulumi:"):], parts[2].rsplit("$", 1)[-1], "::".join(parts[3:])


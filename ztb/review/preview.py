"""What a `pulumi preview --json` document holds, in Graph's terms.

A digest of steps (``op``, ``urn``, ``oldState``/``newState`` with camelCase ``inputs``,
``detailedDiff`` or ``null``), ``diagnostics`` and the ``config`` the preview ran with
(pulumi/pulumi pkg/display/json.go ``PreviewDigest``; the facts ztb relies on, with their source,
are listed in tests/fixtures/preview/README.md). Here: reading and checking it (size, depth,
types, the outputs of `pulumi preview` that are not a digest), naming resources from their URNs,
keeping values the preview hides (``[secret]``, the unknown placeholder) out of any comparison,
reading the steps of one resource together (a refresh, a replacement shown as three steps), and
turning each resource's inputs and diff keys into the Graph JSON and paths the rest of ztb speaks
(:mod:`ztb.deploy.azuread` for pulumi-azuread's names, the dynamic providers' inputs as they are).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Optional

from ztb.deploy import azuread

SECRET = "[secret]"
#: The one placeholder `pulumi preview --json` writes for every value unknown until apply.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

STACK_TYPE = "pulumi:pulumi:Stack"
CA_TYPE = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP_TYPE = "azuread:index/group:Group"
DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"

COMPONENT_PREFIX = "ztb:index:"

KIND_BY_TYPE = {CA_TYPE: "conditionalAccessPolicy", GROUP_TYPE: "group"}
KIND_BY_ID_PREFIX = {
    "PRIV-CA": "conditionalAccessPolicy", "PRIV-GRP": "group", "PRIV-PIM": "roleManagementPolicy",
    "PRIV-ELIG": "roleEligibility", "PRIV-DEV": "deviceCompliancePolicy",
}
#: Keys that mark the Graph JSON among a dynamic provider's inputs (top level or one key down).
PAYLOAD_MARKERS = {
    "roleManagementPolicy": ("rules",),
    "deviceCompliancePolicy": ("@odata.type",),
    "roleEligibility": ("principalId", "scheduleInfo"),
}
#: Inputs beside the Graph object that belong to it (the compliance provider keeps assignments apart).
PAYLOAD_SIBLINGS = ("assignments",)
#: Preview operations -> the four a reviewer counts. The rest (same, read, refresh, ...) change nothing.
OPERATIONS = {
    "create": "create", "import": "create",
    "update": "update",
    "replace": "replace", "create-replacement": "replace", "delete-replaced": "replace",
    "import-replacement": "replace", "discard-replaced": "replace",
    "delete": "delete", "discard": "delete",
}


#: Every step op `pulumi preview --json` emits (pulumi/pulumi sdk/go/common/display StepOp).
KNOWN_OPS = set(OPERATIONS) | {"same", "read", "read-replacement", "refresh", "remove-pending-replace"}
#: Steps of one replacement (`--show-replacement-steps` shows all three; without it only ``replace``).
REPLACEMENT_OPS = {"replace", "create-replacement", "delete-replaced", "import-replacement", "discard-replaced"}
#: Replacement steps the engine does not count into changeSummary (not logical).
UNCOUNTED_OPS = REPLACEMENT_OPS - {"replace"}


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


class PreviewError(ValueError):
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
        "insiderRiskLevels": str, "devices": {}, "clientApplications": {},
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
    "controlId": str, "policy": {"@odata.type": str, "displayName": str, "osMinimumVersion": str, "deviceThreatProtectionRequiredSecurityLevel": str},
    "assignments": [{"target": {"@odata.type": str, "groupId": str}}],
}
INPUT_SCHEMAS = {
    CA_TYPE: CA_INPUTS, GROUP_TYPE: GROUP_INPUTS,
    "pulumi-python:dynamic/ztb:RoleManagementPolicy": PIM_INPUTS,
    "pulumi-python:dynamic/ztb:RoleEligibility": ELIGIBILITY_INPUTS,
    "pulumi-python:dynamic/ztb:DeviceCompliancePolicy": COMPLIANCE_INPUTS,
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


# -- values the preview hides --------------------------------------------------------------------

def is_special(v: Any) -> bool:
    """A value the preview cannot show: a secret, unknown until apply, or a list holding one."""
    if isinstance(v, list):
        return any(is_special(i) for i in v)
    return v in (SECRET, UNKNOWN)


def split_special(old: Any, new: Any, path: str = "") -> tuple[Any, Any, list[tuple[str, Any, Any]]]:
    """Old and new with every secret or unknown value neutralised (both sides set alike), and the
    wire paths of those values, so the comparison sees only what can be seen."""
    if is_special(old) or is_special(new):
        same = old if not is_special(old) else (new if not is_special(new) else None)
        return same, same, [(path, old, new)]
    if (_object_list(old) or _object_list(new)) and all(isinstance(v, (list, type(None))) for v in (old, new)):
        return _split_list(old, new, path)  # (a list against a scalar is compared as it is)
    both = (old, new)
    if not any(isinstance(v, dict) for v in both) or not all(isinstance(v, dict) or v is None for v in both):
        return old, new, []
    o, n = old or {}, new or {}
    out_o, out_n, found = {}, {}, []
    for k in dict.fromkeys([*o, *n]):
        co, cn, f = split_special(o.get(k), n.get(k), f"{path}.{k}" if path else k)
        if k in o:
            out_o[k] = co
        if k in n:
            out_n[k] = cn
        found += f
    return (out_o if old is not None else None), (out_n if new is not None else None), found


def _object_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, dict) for i in v)


def _split_list(old: Any, new: Any, path: str) -> tuple[Any, Any, list[tuple[str, Any, Any]]]:
    """Lists of objects (PIM rules) pair up by ``id`` where every item has one, else by position."""
    o = old if isinstance(old, list) else []
    n = new if isinstance(new, list) else []
    if not all(isinstance(i, dict) for i in o + n):
        return old, new, []
    keyed = all(i.get("id") for i in o + n)
    key = (lambda i, x: str(x.get("id")).lower()) if keyed else (lambda i, x: i)
    new_by = {key(i, x): (i, x) for i, x in enumerate(n)}
    out_o, out_n, found = [], list(n), []
    for i, item in enumerate(o):
        j, other = new_by.get(key(i, item), (None, None))
        co, cn, f = split_special(item, other, f"{path}[{i}]")
        out_o.append(co)
        if j is not None:
            out_n[j] = cn
            del new_by[key(i, item)]
        found += f
    for j, item in new_by.values():  # items only the new side has
        _, out_n[j], f = split_special(None, item, f"{path}[{j}]")
        found += f
    return (out_o if old is not None else None), (out_n if new is not None else None), found


# -- Graph shape ---------------------------------------------------------------------------------

def inputs_of(state: Optional[dict[str, Any]]) -> dict[str, Any]:
    """A state's inputs without the engine's own keys: ``__provider`` at the top, and the
    ``__defaults`` a bridged provider writes into every object level."""
    inputs = (state or {}).get("inputs") or {}
    return _plain(inputs) if isinstance(inputs, dict) else {}


def _plain(v: Any) -> Any:
    """Engine keys dropped, and numbers as a reader writes them: Pulumi carries every number as a
    float, and 4.0 hours reads better, and compares the same, as 4. (Depth is bounded by load_preview.)"""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if not k.startswith("__")}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def payload_key(kind: Optional[str], inputs: dict[str, Any]) -> str:
    """Where a dynamic provider's inputs hold the Graph JSON: '' (the inputs themselves) or a key."""
    markers = PAYLOAD_MARKERS.get(kind or "", ())
    if any(m in inputs for m in markers):
        return ""
    for k, v in inputs.items():
        if isinstance(v, dict) and any(m in v for m in markers):
            return k
    return ""


def to_graph(type_: str, inputs: dict[str, Any], key: str) -> dict[str, Any]:
    """A resource's inputs as the Graph JSON of its object (``key``: see :func:`payload_key`)."""
    if type_ == CA_TYPE:
        return azuread.to_graph(inputs)
    if type_ == GROUP_TYPE:
        return azuread.group_to_graph(inputs)
    if not key:
        return inputs
    body = inputs.get(key)
    return {**body, **{k: inputs[k] for k in PAYLOAD_SIBLINGS if k in inputs}} if isinstance(body, dict) else {}


def graph_path(type_: str, wire_path: str, key: str, graph_obj: dict[str, Any]) -> str:
    """A preview path (``conditions.users.excludedGroups[1]``, ``desired.rules[0].maximumDuration``)
    in Graph's terms (``conditions.users.excludeGroups``, ``rules[Expiration_EndUser_Assignment].maximumDuration``)."""
    if type_ == CA_TYPE:
        return azuread.graph_path(wire_path)
    if type_ == GROUP_TYPE:
        return azuread.group_graph_path(wire_path)
    if key:
        if wire_path == key:
            return ""
        if wire_path.startswith(key + "."):
            wire_path = wire_path[len(key) + 1:]
    out, cur = "", graph_obj
    for name, index in re.findall(r"([^.\[]+)|\[(\d+)\]", wire_path):
        if name:
            out = f"{out}.{name}" if out else name
            cur = cur.get(name) if isinstance(cur, dict) else None
        else:
            item = cur[int(index)] if isinstance(cur, list) and int(index) < len(cur) else None
            if isinstance(item, dict) and item.get("id"):
                out += f"[{item['id']}]"
                cur = item
            else:
                return out  # a plain list is compared whole
    return out


def related(a: str, b: str) -> bool:
    """One path is the other, or lies inside it (``rules[X].a`` and ``rules``)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".") or a.startswith(b + "[") or b.startswith(a + "[")


def show(v: Any) -> str:
    """A value as a reviewer reads it; hidden values say what they are."""
    if v == UNKNOWN:
        return "[unknown until apply]"
    if isinstance(v, list):
        return ", ".join(show(i) for i in v) if v else "(none)"
    if v is None:
        return "(none)"
    return str(v)


# -- which steps belong together --------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One thing a reviewer judges: a step, or the steps of one resource read together."""

    #: The step to judge: as shown, the steps of a replacement merged, or (after a refresh found
    #: drift) the program's step with the deployed state as its old state.
    step: dict[str, Any]
    #: create | update | replace | delete | protect (a `same` step shown because `protect` changed)
    op: str
    #: The preview ops this entry was read from, in order.
    shown_as: tuple[str, ...]
    #: Found in the tenant by `--refresh`: not the pull request's change.
    drift: bool = False
    #: The program's step for a resource whose refresh found drift: judged from the deployed state.
    after_drift: bool = False
    #: Drift no step of the program reverts: the program now declares what the tenant holds.
    keeps_drift: bool = False


@dataclass(frozen=True)
class Steps:
    changes: tuple[Entry, ...]
    drift: tuple[Entry, ...]
    #: Logical operations of the program's own steps (stack and components included), as the
    #: engine counts them into changeSummary (pkg/engine/update.go previewActions.OnResourceStepPost).
    program_ops: Counter
    #: The preview ran with `--refresh` (it shows `refresh` steps).
    refreshed: bool


def _refresh_step(group: list[dict[str, Any]], refreshed: bool) -> bool:
    """Whether a resource's first step is its refresh. `--refresh` gives every resource in the state
    a refresh step before the program's (deployment_executor.go, step_generator.go
    continueStepsFromRefresh); one whose Read found drift is rewritten in place as `update` (or
    `delete`, gone from the tenant), so it is known by coming first, not by its op (json.go)."""
    op = group[0]["op"]
    return op == "refresh" or (op in ("update", "delete") and (refreshed or len(group) > 1))


def _hints(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """What the steps say changed, together: diffReasons, replaceReasons, detailedDiff (None when none has one)."""
    detailed = [s["detailedDiff"] for s in steps if s.get("detailedDiff") is not None]
    out: dict[str, Any] = {"detailedDiff": {k: v for d in detailed for k, v in d.items()} if detailed else None}
    for key in ("diffReasons", "replaceReasons"):
        values = list(dict.fromkeys(k for s in steps for k in s.get(key) or []))
        if values:
            out[key] = values
    return out


def _replacement(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """One step for a replacement shown as up to three (`--show-replacement-steps`): the states from
    the step that holds both (``replace``, else ``create-replacement``); ``delete-replaced`` holds
    only the old one and comes first when the old object is deleted before the new one exists."""
    both = [s for s in steps if s.get("oldState") and s.get("newState")]
    best = next((s for s in both if s["op"] == "replace"), both[0] if both else None)
    old = best["oldState"] if best else next((s["oldState"] for s in steps if s.get("oldState")), None)
    new = best["newState"] if best else next((s["newState"] for s in steps if s.get("newState")), None)
    merged = {"op": "replace", "urn": steps[0]["urn"], "provider": (best or steps[0]).get("provider"),
              "oldState": old, "newState": new, **_hints(steps)}
    ops = [s["op"] for s in steps]
    merged["deleteBeforeReplace"] = "delete-replaced" in ops and ops.index("delete-replaced") < max(
        (ops.index(o) for o in ("replace", "create-replacement") if o in ops), default=-1)
    return {k: v for k, v in merged.items() if v is not None or k == "detailedDiff"}


def _program_entries(group: list[dict[str, Any]]) -> list[Entry]:
    out: list[Entry] = []
    replacement = [s for s in group if s["op"] in REPLACEMENT_OPS]
    for s in group:
        if s["op"] in REPLACEMENT_OPS:
            if s is replacement[0]:
                out.append(Entry(_replacement(replacement), "replace", tuple(r["op"] for r in replacement)))
            continue
        op = OPERATIONS.get(s["op"])
        if op is None and s["op"] == "same" and bool((s.get("oldState") or {}).get("protect")) != bool((s.get("newState") or {}).get("protect")):
            op = "protect"  # `same` is shown only with --show-sames or when protect changed (display.go shouldShow)
        if op is not None and s["op"] not in REPLACEMENT_OPS:
            out.append(Entry(s, op, (s["op"],)))
    return out


def _from_deployed(entry: Entry, refresh: dict[str, Any]) -> Entry:
    """The program's step after a refresh compares the refreshed state with the program; the pull
    request's own change is from the deployed state (the refresh's old state) to the program."""
    step = {**entry.step, "oldState": refresh.get("oldState"), **_hints([entry.step, refresh])}
    return replace(entry, step=step, after_drift=True)


def read_steps(steps: list[dict[str, Any]]) -> Steps:
    """The preview's steps as a reviewer reads them: the pull request's changes, drift found by
    `--refresh` apart, each replacement once."""
    refreshed = any(s["op"] == "refresh" for s in steps)
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in steps:
        groups.setdefault(s["urn"], []).append(s)
    changes: list[Entry] = []
    drift: list[Entry] = []
    ops: Counter = Counter()
    for urn, group in groups.items():
        refresh = group[0] if _refresh_step(group, refreshed) else None
        program = group[1:] if refresh is not None else group
        # A rewritten refresh step is not logical; a plain one is counted only by `pulumi refresh`,
        # which is no preview, but counting it here can only avoid a false alarm.
        counted = program + ([refresh] if refresh is not None and refresh["op"] == "refresh" else [])
        ops.update(s["op"] for s in counted if s["op"] not in UNCOUNTED_OPS)
        type_ = parse_urn(urn)[1]
        if type_ == STACK_TYPE or type_.startswith(COMPONENT_PREFIX):
            continue
        entries = _program_entries(program)
        if refresh is None or refresh["op"] == "refresh":
            changes += entries
            continue
        found = Entry(refresh, OPERATIONS[refresh["op"]], (refresh["op"],), drift=True)
        drift.append(found)
        if not any(e.op != "protect" for e in entries):
            changes.append(replace(found, drift=False, keeps_drift=True))
        changes += [_from_deployed(e, refresh) if e.op != "protect" else e for e in entries]
    return Steps(tuple(changes), tuple(drift), ops, refreshed)

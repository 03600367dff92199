"""What a `pulumi preview --json` document holds, in Graph's terms (docs: shared/reference/pulumi-preview-json.md).

A digest of steps (``op``, ``urn``, ``oldState``/``newState`` with camelCase ``inputs``,
``detailedDiff`` or ``null``), ``diagnostics`` and the ``config`` the preview ran with. Here:
reading and checking it, naming resources from their URNs, keeping values the preview hides
(``[secret]``, the unknown placeholder) out of any comparison, and turning each resource's inputs
and diff keys into the Graph JSON and paths the rest of ztb speaks (:mod:`ztb.azuread` for
pulumi-azuread's names, the dynamic providers' inputs as they are).
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from . import azuread

SECRET = "[secret]"
#: The one placeholder `pulumi preview --json` writes for every value unknown until apply.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

STACK_TYPE = "pulumi:pulumi:Stack"
CA_TYPE = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
GROUP_TYPE = "azuread:index/group:Group"
DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"


def is_dynamic(type_: str) -> bool:
    """The generic dynamic type, or the named ones the components register (pulumi-python:dynamic/ztb:...)."""
    return type_ == DYNAMIC_TYPE or type_.startswith("pulumi-python:dynamic/")
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


class PreviewError(ValueError):
    """The input is not a `pulumi preview --json` document: one line naming the problem and the fix."""


def load_preview(text: str, source: str) -> dict[str, Any]:
    """The preview document, or a PreviewError saying in one line why this is not one."""
    fix = "pass the stdout of `pulumi preview --json`"
    if not text.strip():
        raise PreviewError(f"{source}: empty; {fix}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise PreviewError(f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); {fix}") from None
    except RecursionError:
        raise PreviewError(f"{source}: JSON nested too deeply to be a preview; {fix}") from None
    if not isinstance(doc, dict) or not ({"steps", "changeSummary", "diagnostics"} & set(doc)):
        raise PreviewError(f"{source}: not a `pulumi preview --json` document (no steps, changeSummary or diagnostics); {fix}")
    steps, diagnostics = doc.get("steps", []), doc.get("diagnostics", [])
    if not isinstance(steps, (list, type(None))) or not isinstance(diagnostics, (list, type(None))):
        raise PreviewError(f"{source}: 'steps' and 'diagnostics' must be lists; {fix}")
    for i, step in enumerate(steps or []):
        if not isinstance(step, dict) or not isinstance(step.get("op"), str) or not isinstance(step.get("urn"), str):
            raise PreviewError(f"{source}: step {i + 1} has no 'op' and 'urn'; {fix}")
        if step["op"] not in KNOWN_OPS:
            # An operation this reader does not know must never be read as "no change".
            raise PreviewError(f"{source}: step {i + 1} has unknown op {step['op'][:40]!r}; {fix} from a supported Pulumi version")
        for key in ("oldState", "newState", "detailedDiff"):
            if step.get(key) is not None and not isinstance(step[key], dict):
                raise PreviewError(f"{source}: step {i + 1} ({step['urn']}): '{key}' must be an object; {fix}")
    for i, d in enumerate(diagnostics or []):
        if not isinstance(d, dict):
            raise PreviewError(f"{source}: diagnostic {i + 1} is not an object; {fix}")
    return doc


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
    if _object_list(old) or _object_list(new):
        return _split_list(old, new, path)
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
    """A state's inputs without the engine's own keys (``__provider``, ``__defaults``)."""
    inputs = (state or {}).get("inputs") or {}
    return {k: _number(v) for k, v in inputs.items() if not k.startswith("__")} if isinstance(inputs, dict) else {}


def _number(v: Any) -> Any:
    """Pulumi carries every number as a float; 4.0 hours reads better, and compares the same, as 4."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _number(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_number(x) for x in v]
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

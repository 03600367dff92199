"""A resource's inputs in Graph's terms, with the values the preview hides kept out of any comparison.

The preview writes pulumi-azuread's names for a Conditional Access policy or a group
(:mod:`ztb.deploy.azuread` maps them) and the dynamic providers' inputs as they are (the Graph body,
at the top or one key down); ztb compares and classifies Graph JSON at Graph paths, as `ztb drift`
does. A value the preview cannot show (``[secret]``, the unknown placeholder) may stand for any
value, so it is set aside on both sides and reported as unverifiable, never guessed.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from ztb.compare.values import integral
from ztb.deploy import azuread
from ztb.model.controls import Kind
from ztb.review.preview import CA_TYPE, GROUP_TYPE
from ztb.sentinels import SECRET, UNKNOWN

#: Keys that mark the Graph JSON among a dynamic provider's inputs (top level or one key down).
PAYLOAD_MARKERS = {
    Kind.ROLE_MANAGEMENT_POLICY: ("rules",),
    Kind.DEVICE_COMPLIANCE_POLICY: ("@odata.type",),
    Kind.APP_PROTECTION_POLICY: ("@odata.type",),
    Kind.DEVICE_MANAGEMENT_SETTINGS: ("secureByDefault",),
    Kind.ROLE_ELIGIBILITY: ("principalId", "scheduleInfo"),
    # ztb's Graph Conditional Access provider: {"policy": <Graph JSON>, "emergencyGroupId": ...}.
    Kind.CONDITIONAL_ACCESS_POLICY: ("conditions",),
}
#: Inputs beside the Graph object that belong to it (the compliance provider keeps assignments apart).
PAYLOAD_SIBLINGS = ("assignments",)


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
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if not k.startswith("__")}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return integral(v)


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


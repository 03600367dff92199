"""Pulumi dynamic providers for what pulumi-azuread cannot manage: PIM settings of directory roles,
time-bound role eligibility, and Intune device compliance (Graph beta).

Dynamic providers are pickled (dill) into the Pulumi state and run in a separate provider
process. So every provider here lives in the installed ``ztb`` package (pickled by reference,
not by value), holds no state, and builds its Graph client and credential inside each method
(:func:`graph_for`): the credential comes from that process's environment (``ZTB_ACCESS_TOKEN``
or ``DefaultAzureCredential``), the Graph root from the resource's ``graphUrl`` input or
``ZTB_GRAPH_URL``.

Conventions shared by the three providers:

* ``diff`` asks :func:`ztb.normalize.compare` what differs, so a read-back that Graph reorders,
  recases or respells (PT60M/PT1H) is never a change; identity fields force a replacement.
* ``update`` re-reads the live object and writes only what differs from it.
* ``read`` serves ``pulumi refresh`` (props are the last outputs, which carry ``observed``)
  and imports (props are the program's inputs, or empty): then it also returns inputs, shaped
  like the program's, built from the live object.
* Failures are a :class:`ProviderError` whose one-line message names the control and the Graph
  call (``PRIV-PIM-62e90394: PATCH /policies/...: HTTP 400 BadRequest: ...``).
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Iterable, Iterator, Mapping, Optional

from ztb.graph.errors import GraphError
from ztb.roles import GUID_RE  # noqa: F401  (re-exported for the providers)

#: Pulumi's placeholder for a value not known during preview (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
#: Marks outputs written by a provider; its absence in ``read`` props means an import.
OBSERVED = "observed"


class ProviderError(Exception):
    """A provider operation that cannot proceed, as one line naming the control."""


#: Inputs that steer the provider rather than describe the Graph object; outputs keep them so a
#: refresh or import does not show them as changes.
PASS_THROUGH = ("controlId", "graphUrl")


def carry_pass_through(props: dict[str, Any], outs: dict[str, Any]) -> dict[str, Any]:
    for key in PASS_THROUGH:
        if props.get(key) is not None:
            outs[key] = props[key]
    return outs


def graph_for(props: dict[str, Any]):
    """A fresh Graph client for one provider call (never cached: providers are pickled)."""
    from ztb.graph.client import GraphClient

    url = props.get("graphUrl")
    return GraphClient(url if isinstance(url, str) and url and url != UNKNOWN else None)


def label(props: dict[str, Any], fallback: str) -> str:
    return str(props.get("controlId") or fallback)


@contextlib.contextmanager
def failing_as(what: str) -> Iterator[None]:
    """Re-raise Graph and validation errors as one ProviderError line prefixed with ``what``."""
    try:
        yield
    except ProviderError as e:
        if str(e).startswith(what):
            raise
        raise ProviderError(f"{what}: {e}") from None
    except (GraphError, ValueError) as e:  # ValueError: a Graph URL or setting the client refused
        raise ProviderError(f"{what}: {e}") from None


def wire(value: Any) -> Any:
    """JSON for Graph: Pulumi hands every number over as a float; Graph's Int32 fields reject 1.0."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items() if k != "__provider"}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return value


def has_unknowns(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_unknowns(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_unknowns(v) for v in value)
    return value == UNKNOWN


def odata_literal(value: str) -> str:
    """A string literal for $filter: quotes doubled, as OData escapes them."""
    return "'" + str(value).replace("'", "''") + "'"


def same_id(a: Optional[str], b: Optional[str]) -> bool:
    return (a or "").lower() == (b or "").lower()


def resolve_inputs(desired: dict[str, Any], group_ids: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Provider inputs from a control's desired JSON, ``${group:...}`` refs resolved with Pulumi outputs.

    Each input key maps to a plain value when the desired JSON names no group the stack creates
    (so previews show it), else to an Output resolved from the group IDs. A reference to a group
    not in ``group_ids`` fails here, at declaration, never as an empty list at apply time.
    """
    import pulumi

    from ztb.model.controls import UnresolvedReferenceError, iter_refs, resolve_refs

    refs = sorted(set(iter_refs(desired)))
    missing = [k for k in refs if k not in group_ids]
    if missing:
        raise UnresolvedReferenceError(f"group '{missing[0]}' has no object ID among the stack's groups; it must exist before any policy references it")
    if not refs:
        return {k: copy.deepcopy(desired.get(k)) for k in keys}
    resolved = pulumi.Output.all(**{k: group_ids[k] for k in refs}).apply(lambda ids: resolve_refs(desired, ids))
    return {k: resolved.apply(lambda d, k=k: d.get(k)) for k in keys}


__all__ = [
    "OBSERVED", "ProviderError", "failing_as", "graph_for", "has_unknowns", "label", "odata_literal", "resolve_inputs", "same_id", "wire",
]

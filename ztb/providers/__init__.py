"""Pulumi dynamic providers for what pulumi-azuread cannot manage: PIM settings of directory roles,
time-bound role eligibility, Intune device compliance (Graph beta), and Conditional Access policies
its schema cannot express (``riskRemediation``).

Dynamic providers are pickled (dill) into the Pulumi state and run in a separate provider
process. So every provider here lives in the installed ``ztb`` package (pickled by reference,
not by value), holds no state, and builds its Graph client and credential inside each method
(:func:`graph_for`): the credential comes from that process's environment (``ZTB_ACCESS_TOKEN``
or ``DefaultAzureCredential``), the Graph root from the resource's ``graphUrl`` input or
``ZTB_GRAPH_URL``. The pickle names the module and the class (``ztb.providers.pim`` /
``RoleManagementPolicyProvider`` and so on): those names are permanent, because a stack that holds
them can no longer read or delete its resources once they move.

Conventions shared by the providers:

* ``diff`` asks :func:`ztb.compare.normalize.compare` what differs, so a read-back that Graph reorders,
  recases or respells (PT60M/PT1H) is never a change; identity fields force a replacement.
* ``update`` re-reads the live object and writes only what differs from it.
* ``read`` serves ``pulumi refresh`` (props are the last outputs, which carry ``observed``)
  and adoption through ``ResourceOptions(import_=...)`` (props are the program's inputs): then it
  also returns inputs, shaped like the program's, built from the live object. ``pulumi import``
  never reaches it: the engine sends neither inputs nor state and the host fails looking for
  ``__provider`` (pulumi/pulumi#16175).
* Failures are a :class:`ProviderError` whose one-line message names the control and the Graph
  call (``PRIV-PIM-62e90394: PATCH /policies/...: HTTP 400 BadRequest: ...``). The host sends the
  engine the whole traceback (gRPC UNKNOWN); its last line is that message, which is what the CLI
  shows the user.
* Values not known yet. During ``pulumi preview`` the host hands ``check`` and ``diff`` a
  :class:`pulumi.output.Unknown` for every value that depends on an object not created yet (a
  group's object ID on the first preview of a stack); JSON written by the engine spells the same
  thing as the :data:`UNKNOWN` string. :func:`is_unknown` / :func:`has_unknowns` recognise both,
  at any depth, and every helper here accepts them (and ``None``, floats, dicts) without raising.
  ``check`` validates what is known and passes unknowns through untouched (a CheckFailure would fail
  the whole preview); ``diff`` reports an unknown input as a change, and a replacement only when an
  identity field is unknown or differs.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, TypeVar

from pulumi.output import Unknown

from ztb.errors import ZtbError
from ztb.graph.errors import GraphError
from ztb.graph.odata import literal as odata_literal  # noqa: F401  (re-exported for the providers)
from ztb.catalogue.roles import GUID_RE  # noqa: F401  (re-exported for the providers)
from ztb.compare.values import id_text, integral
#: Pulumi's placeholder for a value not known during preview: one spelling with the review's.
from ztb.sentinels import UNKNOWN

#: Marks outputs written by a provider; its absence in ``read`` props means an import.
OBSERVED = "observed"


class ProviderError(ZtbError):
    """A provider operation that cannot proceed, as one line naming the control."""


#: Inputs that steer the provider rather than describe the Graph object; outputs keep them so a
#: refresh or import does not show them as changes.
PASS_THROUGH = ("controlId", "graphUrl")


# --------------------------------------------------------------------------- values not known yet


def is_unknown(value: Any) -> bool:
    """Whether ``value`` itself is a value Pulumi does not know yet (either spelling)."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def has_unknowns(value: Any) -> bool:
    """Whether ``value`` is, or holds at any depth, a value not known yet."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(has_unknowns(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_unknowns(v) for v in value)
    return False


def dig(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...``: the first unknown met on the way, or None where a step is not a dict."""
    for key in path:
        if is_unknown(value):
            return value
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


_T = TypeVar("_T")


def unless_gone(call: Callable[[], _T]) -> Optional[_T]:
    """Graph's answer, or None where the object is not there (404): a read that finds nothing, a
    delete already done. Any other failure is raised: only "gone" is an answer."""
    try:
        return call()
    except GraphError as e:
        if e.not_found:
            return None
        raise


def known_str(value: Any) -> Optional[str]:
    """``value`` when it is a known, non-empty string, else None (never raises)."""
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def same_id(a: Any, b: Any) -> bool:
    """Two identifiers are the same (case-insensitive, None == ""); an unknown is never the same."""
    if has_unknowns(a) or has_unknowns(b):
        return False
    return id_text(a) == id_text(b)


def any_unknown_input(news: Mapping[str, Any]) -> bool:
    """Whether any input (other than the host's ``__provider``) holds a value not known yet: a change, whatever it is."""
    return any(has_unknowns(v) for k, v in news.items() if k != "__provider")


def identity_replaces(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str],
                      defaults: Optional[Mapping[str, Any]] = None) -> list[str]:
    """The identity fields that force a replacement: unknown in ``news``, or another value than in ``olds``."""
    defaults = defaults or {}

    def value(props: Mapping[str, Any], key: str) -> Any:
        v = props.get(key)
        return defaults.get(key) if v is None or v == "" else v

    return [k for k in keys if not same_id(value(olds, k), value(news, k))]


# --------------------------------------------------------------------------- shared helpers


def carry_pass_through(props: dict[str, Any], outs: dict[str, Any]) -> dict[str, Any]:
    for key in PASS_THROUGH:
        if props.get(key) is not None and not is_unknown(props[key]):
            outs[key] = props[key]
    return outs


def graph_for(props: dict[str, Any]):
    """A fresh Graph client for one provider call (never cached: providers are pickled)."""
    from ztb.graph.client import GraphClient

    return GraphClient(known_str(props.get("graphUrl")))


def label(props: dict[str, Any], fallback: str) -> str:
    return known_str(props.get("controlId")) or fallback


def require(props: Mapping[str, Any], key: str) -> Any:
    """An input an operation cannot do without, or a one-line ProviderError (never a KeyError traceback)."""
    value = props.get(key)
    if value is None or value == "" or has_unknowns(value):
        raise ProviderError(f"input '{key}' is missing or not known yet")
    return value


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
    """JSON for Graph: Pulumi hands every number over as a float; Graph's Int32 fields reject 1.0.

    A value not known yet is never sent: it raises (fail closed) rather than writing a placeholder.
    """
    if is_unknown(value):
        raise ProviderError("a value is not known yet; run `pulumi up` once the resources it depends on exist")
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items() if k != "__provider"}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return integral(value)


# --------------------------------------------------------------------------- declaration side


def _resolved_now(ids: Mapping[str, Any]) -> bool:
    return all(isinstance(v, str) and v for v in ids.values())


def resolve_inputs(desired: dict[str, Any], group_ids: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Provider inputs from a control's desired JSON, ``${group:...}`` refs resolved with Pulumi outputs.

    Resolved key by key: a key whose value names no group stays a plain value (so previews show it,
    and it is never unknown because another key waits for a group's object ID, as the compliance
    ``policy`` body once was beside its ``assignments``); a key that names groups becomes an Output of
    just those groups' IDs (a plain value when they are all plain strings). A reference to a group
    not in ``group_ids`` fails here, at declaration, never as an empty list at apply time.
    """
    import pulumi

    from ztb.model.controls import UnresolvedReferenceError, iter_refs, resolve_refs

    refs = sorted(set(iter_refs(desired)))
    missing = [k for k in refs if k not in group_ids]
    if missing:
        raise UnresolvedReferenceError(f"group '{missing[0]}' has no object ID among the stack's groups; it must exist before any policy references it")
    out: dict[str, Any] = {}
    for key in keys:
        value = copy.deepcopy(desired.get(key))
        key_refs = sorted(set(iter_refs(value)))
        if not key_refs:
            out[key] = value
            continue
        ids = {r: group_ids[r] for r in key_refs}
        if _resolved_now(ids):
            out[key] = resolve_refs(value, dict(ids))
        else:
            out[key] = pulumi.Output.all(**ids).apply(lambda resolved, value=value: resolve_refs(value, resolved))
    return out


def import_options(import_ids: Optional[Mapping[str, str]], control_ids: Iterable[str], component: str) -> dict[str, Optional[str]]:
    """``import_`` per control ID for a component, refusing IDs for controls it does not declare.

    ``pulumi import`` cannot adopt a dynamic resource (the engine calls Read with neither inputs nor
    state, pulumi/pulumi#16175); ``ResourceOptions(import_=...)`` in the program can, because the
    engine then hands Read the program's inputs. A typo in a control ID must not be ignored.
    """
    import pulumi

    wanted = dict(import_ids or {})
    known = list(control_ids)
    stray = sorted(set(wanted) - set(known))
    if stray:
        raise pulumi.RunError(
            f"{component}: import_ids names {', '.join(stray)}, which is not a resource it can adopt; use the control IDs of `ztb plan` ({', '.join(known) or 'none'})"
        )
    bad = sorted(k for k, v in wanted.items() if not (isinstance(v, str) and v.strip()))
    if bad:
        raise pulumi.RunError(f"{component}: import_ids gives no object ID for {', '.join(bad)}; give the Graph ID to adopt")
    return {c: wanted.get(c) for c in known}


__all__ = [
    "OBSERVED", "UNKNOWN", "ProviderError", "any_unknown_input", "dig", "failing_as", "graph_for", "has_unknowns", "id_text", "identity_replaces",
    "import_options", "is_unknown", "known_str", "label", "odata_literal", "require", "resolve_inputs", "same_id", "wire",
]

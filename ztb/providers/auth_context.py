"""The authentication context PIM activation requires.

pulumi-azuread has no resource for an ``authenticationContextClassReference`` and its
ConditionalAccessPolicy cannot target one (``includeAuthenticationContextClassReferences`` is not
in its schema), so the context goes through Graph v1.0 here, and the policy on it (PRIV-CA-13)
through ztb's Graph Conditional Access provider (``ztb.providers.conditional_access``).

``AuthenticationContextProvider`` (ID and input ``claim``: ``c1``..``c99``; Pulumi reserves ``id``)

* create: ``GET /identity/conditionalAccess/authenticationContextClassReferences/{id}``; a context
  that exists is adopted and PATCHed, else it is created with ``POST`` on the collection.
* update: ``PATCH .../{id}`` with displayName, description, isAvailable. read: ``GET .../{id}``.
* delete: **leaves the context as it is** and sends nothing: PIM rules and policies may still name
  it, and a context that vanished would leave activation asking for a claim nothing can satisfy.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.compare.normalize import compare
from ztb.providers import (
    OBSERVED, any_unknown_input, carry_pass_through, failing_as, graph_for, is_unknown, known_str, label, require,
    unless_gone, wire,
)

CONTEXTS = "/identity/conditionalAccess/authenticationContextClassReferences"
CONTEXT_BODY = ("displayName", "description", "isAvailable")


def _get(g, path: str) -> Optional[dict]:
    return unless_gone(lambda: g.get_json(path))


def _pick(props: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: props[k] for k in keys if k in props}


def _outs(props: dict[str, Any], live: dict[str, Any], keys: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    outs = {k: live.get(k) for k in keys}
    outs.update(extra)
    outs[OBSERVED] = True
    return carry_pass_through(props, outs)


class AuthenticationContextProvider(ResourceProvider):
    """One authentication context (``c1``..``c99``); see the module docstring."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        claim = news.get("claim")
        if not is_unknown(claim) and not (isinstance(claim, str) and claim[:1] == "c" and claim[1:].isdigit() and 1 <= int(claim[1:]) <= 99):
            failures.append(CheckFailure("claim", f"{claim!r} is not an authentication context ID; use c1 to c99"))
        if not is_unknown(news.get("displayName")) and not known_str(news.get("displayName")):
            failures.append(CheckFailure("displayName", "give the context a display name"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [] if known_str(news.get("claim")) == known_str(olds.get("claim")) and not is_unknown(news.get("claim")) else ["claim"]
        if any_unknown_input(news):
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=True)
        changes = compare("authenticationContextClassReference", _pick(news, CONTEXT_BODY), _pick(olds, CONTEXT_BODY))
        return DiffResult(changes=bool(changes or replaces), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        claim = props.get("claim")
        with failing_as(label(props, f"authentication context {claim}")), graph_for(props) as g:
            claim = require(props, "claim")
            body = wire(_pick(props, CONTEXT_BODY))
            if _get(g, f"{CONTEXTS}/{quote(claim)}") is None:
                answer = g.post_json(CONTEXTS, {"id": claim, **body})
            else:
                answer = g.patch_json(f"{CONTEXTS}/{quote(claim)}", body)
            live = answer if isinstance(answer, dict) and answer.get("id") else {"id": claim, **body}
            return CreateResult(claim, _outs(props, live, CONTEXT_BODY, claim=claim))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with failing_as(label(news, f"authentication context {id_}")), graph_for(news) as g:
            body = wire(_pick(news, CONTEXT_BODY))
            answer = g.patch_json(f"{CONTEXTS}/{quote(id_)}", body)
            live = answer if isinstance(answer, dict) and answer.get("id") else {"id": id_, **body}
            return UpdateResult(_outs(news, live, CONTEXT_BODY, claim=id_))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        with failing_as(label(props, f"authentication context {id_}")), graph_for(props) as g:
            live = _get(g, f"{CONTEXTS}/{quote(id_)}")
        if live is None:
            return ReadResult(None, {})
        outs = _outs(props, live, CONTEXT_BODY, claim=id_)
        inputs = carry_pass_through(props, {"claim": id_, **_pick(outs, CONTEXT_BODY)}) if importing else None
        return ReadResult(id_, outs, inputs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the context as it is (see the module docstring): nothing is sent."""
        return None


class AuthenticationContext(pulumi.dynamic.Resource, module="ztb", name="AuthenticationContext"):
    """One authentication context (ID: the claim)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(AuthenticationContextProvider(), name, props, opts)

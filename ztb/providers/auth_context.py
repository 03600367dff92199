"""The authentication context PIM activation requires, and the Conditional Access policy on it.

pulumi-azuread has no resource for an ``authenticationContextClassReference`` and its
ConditionalAccessPolicy cannot target one (``includeAuthenticationContextClassReferences`` is not
in its schema), so both go through Graph v1.0 here.

``AuthenticationContextProvider`` (ID and input ``claim``: ``c1``..``c99``; Pulumi reserves ``id``)

* create: ``GET /identity/conditionalAccess/authenticationContextClassReferences/{id}``; a context
  that exists is adopted and PATCHed, else it is created with ``POST`` on the collection.
* update: ``PATCH .../{id}`` with displayName, description, isAvailable. read: ``GET .../{id}``.
* delete: **leaves the context as it is** and sends nothing: PIM rules and policies may still name
  it, and a context that vanished would leave activation asking for a claim nothing can satisfy.

``ContextPolicyProvider`` (ID: the policy ID): a Conditional Access policy in Graph's JSON.

* create ``POST /identity/conditionalAccess/policies``; update ``PATCH .../{id}`` with what
  differs; read ``GET .../{id}``; delete ``DELETE .../{id}`` (404 is not an error).
* check refuses a policy whose known ``excludeGroups`` is empty: no policy without the
  emergency-access exclusion reaches Graph, whatever the program sent.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.compare.normalize import compare
from ztb.graph.errors import GraphError
from ztb.providers import (
    OBSERVED, ProviderError, any_unknown_input, carry_pass_through, dig, failing_as, graph_for, has_unknowns, is_unknown,
    known_str, label, require, wire,
)

CONTEXTS = "/identity/conditionalAccess/authenticationContextClassReferences"
POLICIES = "/identity/conditionalAccess/policies"
CONTEXT_BODY = ("displayName", "description", "isAvailable")
POLICY_BODY = ("displayName", "state", "conditions", "grantControls", "sessionControls")
CA_KIND = "conditionalAccessPolicy"


def _get(g, path: str) -> Optional[dict]:
    try:
        return g.get_json(path)
    except GraphError as e:
        if e.not_found:
            return None
        raise


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
        inputs = {"claim": id_, **_pick(outs, CONTEXT_BODY), **{k: props[k] for k in ("controlId", "graphUrl") if props.get(k)}} if importing else None
        return ReadResult(id_, outs, inputs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the context as it is (see the module docstring): nothing is sent."""
        return None


class ContextPolicyProvider(ResourceProvider):
    """A Conditional Access policy on an authentication context, in Graph's JSON; see the module docstring."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        excluded = dig(news, "conditions", "users", "excludeGroups")
        if not has_unknowns(excluded) and not (isinstance(excluded, list) and excluded):
            failures.append(CheckFailure("conditions", "the policy excludes no group: every policy must exclude the emergency-access group"))
        contexts = dig(news, "conditions", "applications", "includeAuthenticationContextClassReferences")
        if not has_unknowns(contexts) and not (isinstance(contexts, list) and contexts):
            failures.append(CheckFailure("conditions", "the policy targets no authentication context"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if any_unknown_input(news):
            return DiffResult(changes=True, replaces=[], stables=["policyId"], delete_before_replace=False)
        changes = compare(CA_KIND, _pick(news, POLICY_BODY), _pick(olds, POLICY_BODY))
        return DiffResult(changes=bool(changes), replaces=[], stables=["policyId"], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with failing_as(label(props, "Conditional Access policy")), graph_for(props) as g:
            for key in ("displayName", "state", "conditions"):
                require(props, key)
            answer = g.post_json(POLICIES, wire(_pick(props, POLICY_BODY)))
            if not isinstance(answer, dict) or not known_str(answer.get("id")):
                raise ProviderError(f"POST {POLICIES} answered no policy id; check the tenant for a policy named {props['displayName']!r}")
            return CreateResult(answer["id"], _outs(props, answer, POLICY_BODY, policyId=answer["id"]))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with failing_as(label(news, f"Conditional Access policy {id_}")), graph_for(news) as g:
            live = _get(g, f"{POLICIES}/{quote(id_)}")
            if live is None:
                raise ProviderError(f"Conditional Access policy {id_} is not in the tenant any more; run `pulumi refresh`")
            desired = _pick(news, POLICY_BODY)
            todo = {c.path.split(".")[0] for c in compare(CA_KIND, desired, live)}
            if todo:
                g.patch_json(f"{POLICIES}/{quote(id_)}", wire({k: desired[k] for k in POLICY_BODY if k in todo and k in desired}))
            after = _get(g, f"{POLICIES}/{quote(id_)}") or {**live, **desired}
            return UpdateResult(_outs(news, after, POLICY_BODY, policyId=id_))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        with failing_as(label(props, f"Conditional Access policy {id_}")), graph_for(props) as g:
            live = _get(g, f"{POLICIES}/{quote(id_)}")
        if live is None:
            return ReadResult(None, {})
        outs = _outs(props, live, POLICY_BODY, policyId=id_)
        inputs = {**_pick(outs, POLICY_BODY), **{k: props[k] for k in ("controlId", "graphUrl") if props.get(k)}} if importing else None
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with failing_as(label(props, f"Conditional Access policy {id_}")), graph_for(props) as g:
            try:
                g.delete(f"{POLICIES}/{quote(id_)}")
            except GraphError as e:
                if not e.not_found:
                    raise


class AuthenticationContext(pulumi.dynamic.Resource, module="ztb", name="AuthenticationContext"):
    """One authentication context (ID: the claim)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(AuthenticationContextProvider(), name, props, opts)


class ContextPolicy(pulumi.dynamic.Resource, module="ztb", name="ContextPolicy"):
    """A Conditional Access policy on an authentication context (ID: the policy ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(ContextPolicyProvider(), name, props, opts)

"""Conditional Access policies pulumi-azuread cannot express, written to Graph directly.

PRIV-CA-04 with Microsoft's current ``riskRemediation`` grant (policy-risk-based-user) is such a
policy: terraform-provider-azuread v3.9.0's schema has no ``riskRemediation``. This provider
deploys it through ``/identity/conditionalAccess/policies`` with the same guards as every other
privileged policy:

* **emergency exclusion on resolved IDs**: the input ``emergencyGroupId`` is the emergency-access
  group's object ID as the engine resolved it; create and update refuse a policy whose
  ``excludeGroups`` lacks it, and check refuses it as soon as both are known;
* **report-only rollout**: the state comes from the model (``reportOnly``/``reportOnlyControls``);
* **check / diff with unknowns**: on the first preview of a new stack the group IDs are unknown;
  check passes them through (validating only what is known), diff reports a change, never a
  replacement (a policy's every field can be PATCHed);
* **evolvable enums**: ``riskRemediation`` comes after Graph's ``unknownFutureValue`` sentinel, so
  every call sends ``Prefer: include-unknown-enum-members``; without it a read answers
  ``unknownFutureValue`` and drift could not tell.

Module path and class names are permanent (pickled into state by reference):
``ztb.providers.conditional_access.ConditionalAccessPolicyProvider``.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.compare.normalize import compare
from ztb.deploy.graph_ca import PREFER_EVOLVABLE, deployability_facts, deployability_problems
from ztb.providers import (
    OBSERVED, any_unknown_input, carry_pass_through, dig, failing_as, graph_for, has_unknowns, id_text, is_unknown,
    label, ProviderError, require, unless_gone, wire,
)

KIND = "conditionalAccessPolicy"
POLICIES = "/identity/conditionalAccess/policies"
#: Keys Graph sets on a policy; never sent back.
SERVER_SET = ("id", "createdDateTime", "modifiedDateTime", "templateId", "deletedDateTime")


def _body(policy: dict[str, Any]) -> dict[str, Any]:
    return wire({k: v for k, v in policy.items() if k not in SERVER_SET and not k.startswith("@odata.")})


def _live_view(live: dict[str, Any]) -> dict[str, Any]:
    """The live policy as outputs keep it (annotations dropped; the id is the resource ID)."""
    return {k: v for k, v in live.items() if not k.startswith("@odata.") and "@odata." not in k}


def excluded_groups(policy: Any) -> list[Any]:
    value = dig(policy, "conditions", "users", "excludeGroups")
    return list(value) if isinstance(value, (list, tuple)) else []


def missing_exclusion(policy: Any, emergency: Any) -> Optional[str]:
    """Why ``policy`` fails the emergency-access guard, or None (unknowns are not judged)."""
    if has_unknowns(emergency) or has_unknowns(dig(policy, "conditions", "users", "excludeGroups")):
        return None
    if not isinstance(emergency, str) or not emergency:
        return "emergencyGroupId resolved to no object ID; refusing to deploy a policy without the emergency-access exclusion"
    if id_text(emergency) not in {id_text(v) for v in excluded_groups(policy)}:
        return f"the policy does not exclude the emergency-access group {emergency}; refusing to deploy it"
    return None


class ConditionalAccessPolicyProvider(ResourceProvider):
    """One Conditional Access policy (ID: the policy's Graph ID), inputs ``policy`` and ``emergencyGroupId``."""

    serialize_as_secret_always = False

    @staticmethod
    def _get(g, policy_id: str) -> Optional[dict]:
        return unless_gone(lambda: g.get_json(f"{POLICIES}/{quote(policy_id)}", headers=PREFER_EVOLVABLE))

    @staticmethod
    def _guard(props: dict[str, Any]) -> dict[str, Any]:
        policy = require(props, "policy")
        if not isinstance(policy, dict):
            raise ProviderError("input 'policy' is not a Graph conditionalAccessPolicy object")
        why = missing_exclusion(policy, require(props, "emergencyGroupId"))
        if why:
            raise ProviderError(why)
        problems = deployability_problems(policy)
        if problems:
            raise ProviderError("; ".join(problems))
        return policy

    @staticmethod
    def _outs(props: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        outs = {"policyId": live.get("id"), "policy": _live_view(live), "emergencyGroupId": props.get("emergencyGroupId"), OBSERVED: True}
        return carry_pass_through(props, outs)

    # -- ResourceProvider

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Refuse what is known to be wrong; a value not known yet (first preview) passes through."""
        failures = []
        policy = news.get("policy")
        if is_unknown(policy):
            return CheckResult(news, failures)
        if not isinstance(policy, dict):
            return CheckResult(news, [CheckFailure("policy", "give the policy as a Graph conditionalAccessPolicy object")])
        for about, fact in deployability_facts(policy):
            # A fact about a part still unknown (group or app IDs on a first preview) is not judged yet.
            if not any(has_unknowns(dig(policy, *path.split("."))) for path in about):
                failures.append(CheckFailure("policy", fact))
        why = missing_exclusion(policy, news.get("emergencyGroupId"))
        if why:
            failures.append(CheckFailure("emergencyGroupId", why))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if any_unknown_input(news):
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        changed = bool(compare(KIND, news.get("policy") or {}, olds.get("policy") or {}))
        changed = changed or id_text(news.get("emergencyGroupId")) != id_text(olds.get("emergencyGroupId"))
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with failing_as(label(props, "conditional access policy")), graph_for(props) as g:
            policy = self._guard(props)
            created = g.post_json(POLICIES, _body(policy), headers=PREFER_EVOLVABLE)
            if not isinstance(created, dict) or not created.get("id"):
                raise ProviderError("Graph answered without the new policy's id")
            return CreateResult(created["id"], self._outs(props, created))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        with failing_as(label(props, f"conditional access policy {id_}")), graph_for(props) as g:
            live = self._get(g, id_)
        if live is None:
            return ReadResult(None, {})
        outs = self._outs(props, live)
        inputs = None
        if importing:
            inputs = carry_pass_through(props, {"policy": {k: v for k, v in outs["policy"].items() if k not in SERVER_SET},
                                                "emergencyGroupId": props.get("emergencyGroupId")})
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with failing_as(label(news, f"conditional access policy {id_}")), graph_for(news) as g:
            policy = self._guard(news)
            live = self._get(g, id_)
            if live is None:
                raise ProviderError(f"policy {id_} no longer exists; run `pulumi refresh` so it is created again")
            if compare(KIND, policy, live):
                g.patch_json(f"{POLICIES}/{quote(id_)}", _body(policy), headers=PREFER_EVOLVABLE)
                live = self._get(g, id_) or {**live, **policy}
            return UpdateResult(self._outs(news, live))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with failing_as(label(props, f"conditional access policy {id_}")), graph_for(props) as g:
            unless_gone(lambda: g.delete(f"{POLICIES}/{quote(id_)}"))


class ConditionalAccessPolicy(pulumi.dynamic.Resource, module="ztb", name="ConditionalAccessPolicy"):
    """A Conditional Access policy written through Graph (ID: the policy's object ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(ConditionalAccessPolicyProvider(), name, props, opts)

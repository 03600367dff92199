"""PIM settings of a directory role: the managed rules of its unifiedRoleManagementPolicy.

Graph has no create or delete for these policies: every directory role already has exactly one,
found through its policy assignment. So this provider *adopts* the role's policy and converges
the rules the baseline manages, leaving the others as the tenant has them.

* create / update: find the policy (``GET /policies/roleManagementPolicyAssignments?$filter=scopeId
  eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{id}'&$expand=policy($expand=rules)``),
  compare each managed rule with the live one (:func:`ztb.compare.normalize.compare`) and
  ``PATCH /policies/roleManagementPolicies/{policyId}/rules/{ruleId}`` only the rules that differ,
  each with its ``@odata.type``, id, target and settings (Graph answers 204, or 200 on beta).
* read (refresh, import): the live managed rules. Import ID: the policy ID
  (``DirectoryRole_<tenant>_<guid>``) or the role definition (template) ID.
* delete: **deliberately leaves the tenant's PIM settings as they are** and sends nothing.
  Graph cannot delete the policy, and "restoring defaults" would be a silent weakening on
  ``pulumi destroy`` (permanent assignments allowed again, no MFA on activation, no
  notifications) of exactly the roles this baseline protects. Removing a role from the stack
  therefore stops managing it; an operator who wants the old settings back sets them in PIM.

Resource ID: the policy ID. Inputs: ``roleDefinitionId``, ``scopeId`` ("/"), ``scopeType``
("DirectoryRole"), ``rules`` (Graph rule objects), optional ``controlId``, ``graphUrl``.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.compare.normalize import compare

from ztb.providers import (
    GUID_RE, OBSERVED, any_unknown_input, carry_pass_through, failing_as, graph_for, has_unknowns, identity_replaces,
    is_unknown, known_str, label, odata_literal, ProviderError, require, same_id, unless_gone, wire,
)

KIND = "roleManagementPolicy"
ASSIGNMENTS = "/policies/roleManagementPolicyAssignments"
POLICIES = "/policies/roleManagementPolicies"
IDENTITY = ("roleDefinitionId", "scopeId", "scopeType")
DEFAULTS = {"scopeId": "/", "scopeType": "DirectoryRole"}
_RULE_IN_PATH = re.compile(r"^rules\[([^\]]+)\]")


def rule_ids_that_differ(desired_rules: list[dict], live_rules: list[dict]) -> list[str]:
    """IDs of desired rules whose live counterpart differs, in the desired order."""
    changes = compare(KIND, {"rules": desired_rules}, {"rules": live_rules})
    differing = {m.group(1).lower() for c in changes if (m := _RULE_IN_PATH.match(c.path))}
    return [r["id"] for r in desired_rules if str(r["id"]).lower() in differing]


def project(live_rules: list[dict], desired_rules: Optional[list[dict]]) -> list[dict]:
    """The live rules the stack manages, in its order and with its keys (so previews line up)."""
    by_id = {str(r.get("id", "")).lower(): r for r in live_rules if isinstance(r, dict)}
    if desired_rules is None:
        from ztb.model.pim import MANAGED_RULES

        return [by_id[i.lower()] for i in MANAGED_RULES if i.lower() in by_id]
    out = []
    for d in desired_rules:
        if not isinstance(d, dict):
            continue
        live = by_id.get(str(d.get("id", "")).lower())
        if live is not None:
            out.append({k: live[k] for k in d if k in live})
    return out


class RoleManagementPolicyProvider(ResourceProvider):
    """Converges the managed rules of one directory role's PIM policy; see the module docstring."""

    serialize_as_secret_always = False

    # -- Graph access

    @staticmethod
    def _find(g, role_definition_id: str, scope_id: str = "/", scope_type: str = "DirectoryRole") -> Optional[dict]:
        """The role's policy assignment with its policy and rules expanded, or None."""
        flt = f"scopeId eq {odata_literal(scope_id)} and scopeType eq {odata_literal(scope_type)} and roleDefinitionId eq {odata_literal(role_definition_id)}"
        found = g.list_all(ASSIGNMENTS, {"$filter": flt, "$expand": "policy($expand=rules)"})
        if not found:
            return None
        if len(found) > 1:
            ids = ", ".join(sorted(a.get("policyId", "?") for a in found))
            raise ProviderError(f"role {role_definition_id} has {len(found)} PIM policies at scope '{scope_id}' ({ids}); expected one")
        assignment = found[0]
        policy = assignment.get("policy") or {}
        if "rules" not in policy:
            policy = {**policy, "rules": g.list_all(f"{POLICIES}/{quote(assignment['policyId'])}/rules")}
            assignment = {**assignment, "policy": policy}
        return assignment

    @staticmethod
    def _policy(g, policy_id: str) -> Optional[dict]:
        return unless_gone(lambda: g.get_json(f"{POLICIES}/{quote(policy_id)}", {"$expand": "rules"}))

    def _converge(self, g, policy_id: str, desired: list[dict], live: list[dict]) -> list[dict]:
        """PATCH the rules that differ; the rules as they now are."""
        live_by_id = {str(r.get("id", "")).lower(): r for r in live if isinstance(r, dict)}
        todo = rule_ids_that_differ(desired, live)
        missing = [i for i in todo if i.lower() not in live_by_id]
        if missing:
            raise ProviderError(f"policy {policy_id} has no rule {', '.join(missing)}; Graph cannot add rules to a PIM policy")
        for rule in desired:
            if rule["id"] in todo:
                answer = g.patch_json(f"{POLICIES}/{quote(policy_id)}/rules/{quote(rule['id'])}", wire(rule))
                live_by_id[str(rule["id"]).lower()] = answer if isinstance(answer, dict) and answer.get("id") else wire(rule)
        return list(live_by_id.values())

    @staticmethod
    def _outs(props: dict[str, Any], assignment: dict, rules: list[dict], desired: Optional[list[dict]]) -> dict[str, Any]:
        outs = {
            "policyId": assignment["policyId"],
            "roleDefinitionId": assignment.get("roleDefinitionId", props.get("roleDefinitionId")),
            "scopeId": assignment.get("scopeId", "/"),
            "scopeType": props.get("scopeType") or assignment.get("scopeType") or "DirectoryRole",
            "rules": project(rules, desired),
            OBSERVED: True,
        }
        return carry_pass_through(props, outs)

    # -- ResourceProvider

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate what is known; a value not known yet (preview) passes through untouched."""
        failures = []
        rid = news.get("roleDefinitionId")
        if not is_unknown(rid) and not (isinstance(rid, str) and GUID_RE.match(rid)):
            failures.append(CheckFailure("roleDefinitionId", f"{rid!r} is not a role definition (template) ID"))
        rules = news.get("rules")
        if not is_unknown(rules):
            if not isinstance(rules, list) or not rules:
                failures.append(CheckFailure("rules", "give the managed rules as a non-empty list of Graph rule objects"))
            else:
                failures += self._check_rules([r for r in rules if not is_unknown(r)])
        return CheckResult(news, failures)

    @staticmethod
    def _check_rules(rules: list[Any]) -> list[CheckFailure]:
        def present(rule: dict, key: str) -> bool:
            return is_unknown(rule.get(key)) or bool(known_str(rule.get(key)))

        if any(not isinstance(r, dict) or not present(r, "id") or not present(r, "@odata.type") for r in rules):
            return [CheckFailure("rules", "every rule needs an id and an @odata.type (Graph requires the type in a rule PATCH)")]
        ids = [r["id"].lower() for r in rules if known_str(r.get("id"))]
        if len(set(ids)) != len(ids):
            return [CheckFailure("rules", "a rule ID appears twice")]
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A change where the rules differ or are not known yet; a replacement only for another (or unknown) role or scope."""
        replaces = identity_replaces(olds, news, IDENTITY, DEFAULTS)
        rules = news.get("rules")
        if any_unknown_input(news) or has_unknowns(olds.get("rules")):
            return DiffResult(changes=True, replaces=replaces, stables=["policyId"], delete_before_replace=False)
        rules = [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []
        old_rules = [r for r in olds.get("rules") or [] if isinstance(r, dict)] if isinstance(olds.get("rules"), list) else []
        changes = compare(KIND, {"rules": rules}, {"rules": old_rules})
        return DiffResult(changes=bool(changes or replaces), replaces=replaces, stables=["policyId"], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        policy_id, outs = self._apply(props, "at scope '/'; is it a directory role template ID?")
        return CreateResult(policy_id, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._apply(news, "any more; run `pulumi refresh`")[1])

    def _apply(self, props: dict[str, Any], missing: str) -> tuple[str, dict[str, Any]]:
        """Create and update are one act: converge the policy assigned to the role to ``props``' rules.

        Returns (policy ID, outputs); ``missing`` ends the message when the role has no assigned policy.
        """
        rid = props.get("roleDefinitionId")
        with failing_as(label(props, f"PIM policy of role {rid}")), graph_for(props) as g:
            rid, rules = require(props, "roleDefinitionId"), require(props, "rules")
            assignment = self._find(g, rid, props.get("scopeId") or "/", props.get("scopeType") or "DirectoryRole")
            if assignment is None:
                raise ProviderError(f"no PIM policy is assigned to role {rid} {missing}")
            live = self._converge(g, assignment["policyId"], rules, assignment["policy"]["rules"])
            return assignment["policyId"], self._outs(props, assignment, live, rules)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        rid = known_str(props.get("roleDefinitionId"))
        with failing_as(label(props, f"PIM policy {id_}")), graph_for(props) as g:
            if GUID_RE.match(id_ or ""):
                rid = id_
            if rid and GUID_RE.match(rid):
                assignment = self._find(g, rid, known_str(props.get("scopeId")) or "/", known_str(props.get("scopeType")) or "DirectoryRole")
            else:
                assignment = self._import_by_policy_id(g, id_)
            if assignment is None:
                return ReadResult(None, {})
            desired = props.get("rules") if isinstance(props.get("rules"), list) else None
            outs = self._outs(props, assignment, assignment["policy"]["rules"], desired)
        inputs = None
        if importing:
            inputs = carry_pass_through(props, {k: outs[k] for k in ("roleDefinitionId", "scopeId", "scopeType", "rules")})
        return ReadResult(outs["policyId"], outs, inputs)

    def _import_by_policy_id(self, g, policy_id: str) -> Optional[dict]:
        policy = self._policy(g, policy_id)
        if policy is None:
            return None
        flt = "scopeId eq '/' and scopeType eq 'DirectoryRole'"
        found = [a for a in g.list_all(ASSIGNMENTS, {"$filter": flt}) if same_id(a.get("policyId"), policy_id)]
        if not found:
            raise ProviderError(f"policy {policy_id} is not assigned to a directory role at scope '/'; import a DirectoryRole policy")
        return {**found[0], "policy": policy}

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the role's PIM settings as they are (see the module docstring): nothing is sent."""
        return None


class RoleManagementPolicy(pulumi.dynamic.Resource, module="ztb", name="RoleManagementPolicy"):
    """The managed PIM rules of one directory role (ID: the policy ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(RoleManagementPolicyProvider(), name, props, opts)

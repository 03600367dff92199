"""Intune device compliance policies and their assignments, one implementation for every platform.

Each policy is read and written through the Graph version its control names (input
``graphVersion``: ``v1.0`` where the type and every setting exist there, ``beta`` where not:
Windows' firewall, antivirus, TPM and Defender settings, Android fully managed). A resource without
the input (state written by earlier versions, PRIV-DEV-01 only) is beta, as it always was. The
same class, with another collection and no block action, serves Intune app protection
(:mod:`ztb.providers.app_protection`): create, diff, read, update, delete and assign are written once.

Two shapes of resource, one provider:

* **managed** (PRIV-DEV-01), inputs ``policy`` (the Graph object, with its one block action in
  ``scheduledActionsForRule``) and ``assignments``:
  create POSTs the policy, then ``POST .../{id}/assign`` (if assigning fails the new policy is
  deleted again, so no orphan is left that Pulumi does not know about); update PATCHes only the
  changed settings (with ``@odata.type``, which Graph requires) and re-assigns when the
  assignment targets differ from the live ones; delete deletes the policy; read/import by policy ID.
  The policy's assignments are the stack's: ones added in the portal are drift and are replaced.
* **assign-only** (PRIV-DEV-1x, ``assignOnly: true``), inputs ``policyId`` and ``assignments``:
  an existing policy is assigned to the stack's groups. The assign action replaces the whole
  set, so every write reads the live assignments first and keeps those that are not the
  stack's; delete removes only the assignments the stack added (not ones that were already
  there when it adopted the policy). The policy itself is never changed or deleted.

``scheduledActionsForRule`` is write-only (a GET does not return it); Graph offers no PATCH
for it, so a change to it after creation is not applied (replace the resource to apply one).
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.graph.errors import GraphError
from ztb.compare.normalize import Change, compare
from ztb.compare.values import assignment_key as target_key  # identities of list items live in ztb.compare.values

from ztb.providers import (
    GUID_RE, OBSERVED, any_unknown_input, carry_pass_through, dig, failing_as, graph_for, has_unknowns, id_text,
    is_unknown, known_str, label, ProviderError, require, same_id, unless_gone, wire,
)

KIND = "deviceCompliancePolicy"
POLICIES = "/deviceManagement/deviceCompliancePolicies"
BETA, V1 = "beta", "v1.0"
VERSIONS = (V1, BETA)
WRITE_ONLY = ("scheduledActionsForRule", "assignments")


# --------------------------------------------------------------------------- assignments


def _listed(assignments: Any) -> list[dict]:
    return [a for a in assignments if isinstance(a, dict)] if isinstance(assignments, (list, tuple)) else []


def _dict_at(props: dict[str, Any], key: str) -> dict:
    value = props.get(key)
    return value if isinstance(value, dict) else {}


def keys(assignments: Any) -> set[tuple]:
    return {target_key(a) for a in _listed(assignments)}


def only_targets(assignments: Any) -> list[dict]:
    """Assignments as the stack writes them: the target alone (ids and types are Graph's)."""
    return [{"target": a.get("target") or {}} for a in _listed(assignments)]


def merged(live: list[dict], remove: set[tuple], add: list[dict]) -> list[dict]:
    """The set to post to ``assign``: live minus ``remove``, plus ``add`` (no duplicates)."""
    kept = [a for a in live if target_key(a) not in remove]
    present = keys(kept)
    return kept + [a for a in add if target_key(a) not in present]


def assignment_changes(desired: list[dict], actual: list[dict], assign_only: bool) -> list[Change]:
    want, have = keys(desired), keys(actual)
    missing = want - have if assign_only else want ^ have
    return [Change("assignments", desired, actual)] if missing else []


def inputs_from_desired(desired: dict, assign_only: bool, graph_version: str = BETA) -> dict:
    """Provider inputs from a control's desired JSON (``ztb.model.compliance``), refs already resolved."""
    assignments = list(desired.get("assignments") or [])
    if assign_only:
        return {"policyId": desired["id"], "assignments": assignments, "assignOnly": True}
    policy = {k: v for k, v in desired.items() if k != "assignments"}
    return {"policy": policy, "assignments": assignments, "graphVersion": graph_version}


def block_actions(policy: Any) -> int:
    """How many block actions ``scheduledActionsForRule`` holds (malformed parts count as none)."""
    return sum(
        1
        for rule in _listed(dig(policy, "scheduledActionsForRule"))
        for c in _listed(rule.get("scheduledActionConfigurations"))
        if id_text(c.get("actionType")) == "block"
    )


# --------------------------------------------------------------------------- provider


class DeviceCompliancePolicyProvider(ResourceProvider):
    """A device compliance policy of any platform (managed) or assignments to an existing one (assign-only)."""

    serialize_as_secret_always = False
    #: What the object is called in messages, and the kind its settings are compared as.
    WHAT = "device compliance policy"
    KIND = KIND
    #: Graph rejects a compliance policy without exactly one block action; app protection has none.
    BLOCK_ACTION_REQUIRED = True

    # -- where the object lives

    def collection(self, props: dict[str, Any]) -> str:
        return POLICIES

    @staticmethod
    def version(props: dict[str, Any]) -> str:
        v = props.get("graphVersion")
        return v if v in VERSIONS else BETA

    def _at(self, props: dict[str, Any], policy_id: str, tail: str = "") -> str:
        return f"{self.collection(props)}/{quote(policy_id)}{tail}"

    # -- Graph access

    def _get(self, g, props: dict[str, Any], policy_id: str) -> Optional[dict]:
        return unless_gone(lambda: g.get_json(self._at(props, policy_id), version=self.version(props)))

    def _assignments(self, g, props: dict[str, Any], policy_id: str) -> list[dict]:
        return g.list_all(self._at(props, policy_id, "/assignments"), version=self.version(props))

    def _assign(self, g, props: dict[str, Any], policy_id: str, assignments: list[dict]) -> None:
        g.post_json(self._at(props, policy_id, "/assign"), {"assignments": wire(assignments)}, version=self.version(props))

    @staticmethod
    def _project(live: dict, desired: Optional[dict]) -> dict:
        """The live policy with the keys the stack states (write-only ones carried from the inputs)."""
        if desired is None:
            return {k: v for k, v in live.items() if not k.startswith("@odata.") or k == "@odata.type"}
        out = {k: live[k] for k in desired if k in live}
        for k in WRITE_ONLY:
            if k in desired:
                out[k] = desired[k]
        return out

    @staticmethod
    def _identity(props: dict[str, Any]) -> dict[str, Any]:
        """Inputs that say where the object lives (kept in the outputs, so a later call finds it)."""
        return {k: props[k] for k in ("graphVersion", "collection") if isinstance(props.get(k), str)}

    def _outs(self, props: dict[str, Any], policy_id: str, **values: Any) -> dict[str, Any]:
        outs: dict[str, Any] = {"policyId": policy_id, **values, **self._identity(props), OBSERVED: True}
        if props.get("assignOnly") is not None:
            outs["assignOnly"] = props["assignOnly"]
        return carry_pass_through(props, outs)

    # -- ResourceProvider

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate what is known; a value not known yet (preview) passes through untouched."""
        failures = []
        assign_only = news.get("assignOnly")
        if is_unknown(assign_only):
            pass  # the shape depends on it: only the assignments can be judged
        elif assign_only:
            pid = news.get("policyId")
            if not is_unknown(pid) and not (isinstance(pid, str) and GUID_RE.match(pid)):
                failures.append(CheckFailure("policyId", f"{pid!r} is not a compliance policy ID"))
        else:
            policy = news.get("policy")
            typed = isinstance(policy, dict) and (is_unknown(policy.get("@odata.type")) or bool(known_str(policy.get("@odata.type"))))
            if is_unknown(policy):
                pass
            elif not typed:
                failures.append(CheckFailure("policy", "give the policy as a Graph object with its @odata.type"))
            elif (self.BLOCK_ACTION_REQUIRED and not has_unknowns(policy.get("scheduledActionsForRule"))
                  and block_actions(policy) != 1):
                failures.append(CheckFailure("policy", "scheduledActionsForRule must hold exactly one block action (Graph rejects the policy otherwise)"))
        assignments = news.get("assignments")
        version = news.get("graphVersion")
        if version is not None and not is_unknown(version) and version not in VERSIONS:
            failures.append(CheckFailure("graphVersion", f"{version!r} is not a Graph version; use v1.0 or beta"))
        if not is_unknown(assignments) and (
            not isinstance(assignments, list) or any(not is_unknown(a) and (not isinstance(a, dict) or "target" not in a) for a in assignments)
        ):
            failures.append(CheckFailure("assignments", "give a list of {target: {...}} assignments"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A change where policy or assignments differ or are not known yet; a replacement for another
        (or unknown) platform type, existing policy ID or shape (assign-only)."""
        replaces = []
        assign_only = news.get("assignOnly")
        if is_unknown(assign_only) or bool(olds.get("assignOnly")) != bool(assign_only):
            replaces.append("assignOnly")
        if assign_only and not is_unknown(assign_only):
            if not same_id(olds.get("policyId"), news.get("policyId")):
                replaces.append("policyId")
        elif not is_unknown(assign_only):
            new_type = dig(news, "policy", "@odata.type")
            if not same_id(dig(olds, "policy", "@odata.type"), new_type):
                replaces.append("policy")  # Graph cannot change a policy's platform type
        if replaces or any_unknown_input(news):
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        return DiffResult(changes=bool(self.changes(olds, news)), replaces=replaces, delete_before_replace=False)

    def changes(self, olds: dict[str, Any], news: dict[str, Any]) -> list[Change]:
        """Field-level differences between a desired state and an observed one."""
        assign_only = bool(news.get("assignOnly"))
        out: list[Change] = []
        if not assign_only:
            out += compare(self.KIND, _dict_at(news, "policy"), _dict_at(olds, "policy"))
        out += assignment_changes(_listed(news.get("assignments")), _listed(olds.get("assignments")), assign_only)
        return out

    def create(self, props: dict[str, Any]) -> CreateResult:
        what = label(props, self.WHAT)
        with failing_as(what), graph_for(props) as g:
            if props.get("assignOnly"):
                return self._create_assign_only(g, props)
            policy = require(props, "policy")
            if not isinstance(policy, dict) or (self.BLOCK_ACTION_REQUIRED and block_actions(policy) != 1):
                raise ProviderError("scheduledActionsForRule must hold exactly one block action; Graph rejects the policy otherwise")
            body = wire({k: v for k, v in policy.items() if k != "assignments"})
            created = g.post_json(self.collection(props), body, version=self.version(props))
            if not isinstance(created, dict) or not created.get("id"):
                raise ProviderError(f"POST /{self.version(props)}{self.collection(props)} answered without the new policy's id")
            policy_id = created["id"]
            try:
                self._assign(g, props, policy_id, props.get("assignments") or [])
            except GraphError as e:
                raise ProviderError(self._rolled_back(g, props, policy_id, e)) from None
            return CreateResult(policy_id, self._outs(
                props, policy_id, policy=self._project(created, policy), assignments=only_targets(props.get("assignments")),
            ))

    def _rolled_back(self, g, props: dict[str, Any], policy_id: str, cause: GraphError) -> str:
        try:
            g.delete(self._at(props, policy_id), version=self.version(props))
            return f"created policy {policy_id} but could not assign it ({cause}); the policy was deleted again"
        except GraphError as e:
            return f"created policy {policy_id} but could not assign it ({cause}), nor delete it ({e}); delete it in Intune by hand"

    def _create_assign_only(self, g, props: dict[str, Any]) -> CreateResult:
        policy_id = require(props, "policyId")
        if self._get(g, props, policy_id) is None:
            raise ProviderError(f"existing compliance policy {policy_id} was not found in Intune; check ztb:deviceCompliance.assignExistingPolicyIds")
        live = self._assignments(g, props, policy_id)
        ours = props.get("assignments") or []
        preexisting = sorted(keys(ours) & keys(live))
        wanted = merged(live, set(), only_targets(ours))
        if keys(wanted) != keys(live):
            self._assign(g, props, policy_id, wanted)
        return CreateResult(policy_id, self._outs(
            props, policy_id, assignments=only_targets(ours), preexisting=[list(k) for k in preexisting],
        ))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with failing_as(label(news, f"{self.WHAT} {id_}")), graph_for(news) as g:
            live_policy = self._get(g, news, id_)
            if live_policy is None:
                raise ProviderError(f"policy {id_} no longer exists in Intune; run `pulumi refresh` so it is created again")
            live = self._assignments(g, news, id_)
            ours = only_targets(news.get("assignments"))
            if news.get("assignOnly"):
                preexisting = {tuple(k) for k in olds.get("preexisting") or []}
                stale = keys(olds.get("assignments") or []) - preexisting - keys(ours)
                wanted = merged(live, stale, ours)
                if keys(wanted) != keys(live):
                    self._assign(g, news, id_, wanted)
                return UpdateResult(self._outs(news, id_, assignments=ours, preexisting=[list(k) for k in sorted(preexisting)]))
            desired = require(news, "policy")
            changed = sorted({c.path.split(".")[0].split("[")[0] for c in compare(self.KIND, desired, live_policy)})
            changed = [k for k in changed if k in desired and k not in WRITE_ONLY]
            if changed:
                body = {"@odata.type": desired["@odata.type"], **{k: desired[k] for k in changed}}
                g.patch_json(self._at(news, id_), wire(body), version=self.version(news))
                live_policy = {**live_policy, **{k: desired[k] for k in changed}}
            if keys(live) != keys(ours):
                self._assign(g, news, id_, ours)
            return UpdateResult(self._outs(news, id_, policy=self._project(live_policy, desired), assignments=ours))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        with failing_as(label(props, f"{self.WHAT} {id_}")), graph_for(props) as g:
            live_policy = self._get(g, props, id_)
            if live_policy is None:
                return ReadResult(None, {})
            live = only_targets(self._assignments(g, props, id_))
        if props.get("assignOnly"):
            ours = keys(props.get("assignments") or [])
            present = [a for a in live if target_key(a) in ours]
            outs = self._outs(props, id_, assignments=present, preexisting=props.get("preexisting") or [])
            inputs = {"policyId": id_, "assignOnly": True, "assignments": present} if importing else None
        else:
            desired = props.get("policy") if isinstance(props.get("policy"), dict) else None
            outs = self._outs(props, id_, policy=self._project(live_policy, desired), assignments=live)
            inputs = {"policy": outs["policy"], "assignments": live, **self._identity(props)} if importing else None
        if inputs is not None:
            carry_pass_through(props, inputs)
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with failing_as(label(props, f"{self.WHAT} {id_}")), graph_for(props) as g:
            if props.get("assignOnly"):
                try:
                    live = self._assignments(g, props, id_)
                except GraphError as e:
                    if e.not_found:
                        return  # the policy itself is gone: nothing of ours is left
                    raise
                preexisting = {tuple(k) for k in props.get("preexisting") or []}
                ours = keys(props.get("assignments") or []) - preexisting
                remaining = [a for a in live if target_key(a) not in ours]
                if len(remaining) != len(live):
                    self._assign(g, props, id_, remaining)
                return
            unless_gone(lambda: g.delete(self._at(props, id_), version=self.version(props)))


class DeviceCompliancePolicy(pulumi.dynamic.Resource, module="ztb", name="DeviceCompliancePolicy"):
    """A managed beta compliance policy, or the stack's assignments to an existing one (ID: the policy ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(DeviceCompliancePolicyProvider(), name, props, opts)

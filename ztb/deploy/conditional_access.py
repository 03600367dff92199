"""PrivilegedConditionalAccess: the dedicated CA policy set for admin and SecOps accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_azuread as azuread

from ztb.deploy.azuread import to_args, to_azuread
from ztb.model import apps
from ztb.model import groups as g
from ztb.model.baseline import Baseline
from ztb.model.conditional_access import MissingExclusionError, require_exclusion
from ztb.model.controls import Control, Kind, iter_refs, resolve_refs
from ztb.model.groups import EmergencyAccess


@dataclass(frozen=True)
class ConditionalAccessArgs:
    """What the component deploys: the policies, the groups' IDs and the exclusion they must carry.

    Built and checked once: every policy excludes the emergency-access group and its ID is among
    ``group_ids``, so the component cannot be given a policy set that could lock the tenant out.
    """

    policies: Sequence[Control]
    #: Group key -> object ID (the ``PrivilegedGroups`` outputs).
    group_ids: Mapping[str, pulumi.Input[str]]
    emergency: EmergencyAccess
    #: Group key -> object ID the config names: the model writes these IDs literally into the
    #: policies, the component ties them to its lookups.
    referenced: Mapping[str, str]
    #: Gallery template ID -> the client ID of the app the stack instantiated (``SecurityApps``).
    app_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    #: Authentication context claim -> the resource declaring it (``AuthenticationContexts``): a
    #: policy on a context is created after it.
    contexts: Mapping[str, pulumi.Resource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.emergency.GROUP_KEY not in self.group_ids:
            raise MissingExclusionError("PrivilegedConditionalAccess needs the emergency-access group's ID; none was given")
        for control in self.policies:
            require_exclusion(control, self.emergency)

    @classmethod
    def of(cls, baseline: Baseline, group_ids: Mapping[str, pulumi.Input[str]],
           app_ids: Optional[Mapping[str, pulumi.Input[str]]] = None,
           contexts: Optional[Mapping[str, pulumi.Resource]] = None) -> ConditionalAccessArgs:
        return cls(
            policies=baseline.of_kind(Kind.CONDITIONAL_ACCESS_POLICY), group_ids=group_ids,
            emergency=baseline.emergency, referenced=g.known_ids(baseline.of_kind(Kind.GROUP)),
            app_ids=dict(app_ids or {}), contexts=dict(contexts or {}),
        )


def _require_ids(values: list[Any], policy: str) -> list[Any]:
    missing = [v for v in values if not v]
    if missing:
        raise MissingExclusionError(f"{policy}: an excluded or included group resolved to no object ID; refusing to deploy")
    return values


def _client_id(app_ids: Mapping[str, Any], template: str, policy: str) -> Any:
    """A gallery app's client ID; one that resolves to nothing fails instead of shrinking the app list."""
    if template not in app_ids:
        raise MissingExclusionError(f"{policy}: gallery app {template} was not instantiated by SecurityApps; refusing to deploy")

    def known(value: Any) -> Any:
        if not value:
            raise MissingExclusionError(f"{policy}: gallery app {template} resolved to no client ID; refusing to deploy")
        return value

    return pulumi.Output.from_input(app_ids[template]).apply(known)


class PrivilegedConditionalAccess(pulumi.ComponentResource):
    """Every privileged CA policy of the model, deployed through pulumi-azuread, or through ztb's
    Graph provider where pulumi-azuread cannot express the policy (PRIV-CA-04 with ``riskRemediation``,
    PRIV-CA-13 on an authentication context).

    The arguments guarantee each policy excludes the emergency-access group; at apply time the
    component checks that every group it names resolved to an object ID, because the lockout to
    prevent is an exclusion list that is empty when it reaches the tenant.

    Both kinds of policy resource get the same name (``<name>-priv-ca-04``) but have different
    types, so a stack that held PRIV-CA-04 as a pulumi-azuread policy sees a *create* of the Graph
    provider's policy and a *delete* of the old one. The engine runs creates first and deletes of
    removed resources last, so the tenant holds both for the length of the update and never
    neither (no alias: an alias across providers would hand the old state to the wrong provider).
    """

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ConditionalAccessArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:PrivilegedConditionalAccess", name, {}, opts)
        # Groups the config names by ID appear in the model as literal IDs; tie them to the
        # component's lookups so a group that is not in the tenant fails before any policy exists.
        looked_up = {oid: args.group_ids[key] for key, oid in args.referenced.items() if key in args.group_ids}
        self.policy_ids = {}
        for control in args.policies:
            if getattr(control.meta, "via_graph", False):
                self.policy_ids[control.id] = self._graph_policy(name, control, args, looked_up).id
                continue
            desired = apps.resolve(control.desired, lambda template: _client_id(args.app_ids, template, control.id))
            wire = to_azuread(resolve_refs(desired, dict(args.group_ids)))
            users = wire["conditions"]["users"]
            for key in ("excludedGroups", "includedGroups"):
                if key in users:
                    values = [looked_up.get(v, v) if isinstance(v, str) else v for v in users[key]]
                    users[key] = pulumi.Output.all(*values).apply(lambda v, c=control.id: _require_ids(list(v), c))
            policy = azuread.ConditionalAccessPolicy(
                f"{name}-{control.id.lower()}",
                **to_args(wire),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.policy_ids[control.id] = policy.id
        self.register_outputs({"policyIds": self.policy_ids})

    def _graph_policy(self, name: str, control: Control, args: ConditionalAccessArgs, looked_up: dict[str, Any]) -> Any:
        """The policy through ztb's Graph provider: refs resolved, literal group IDs tied to their lookups.

        Only ``conditions.users`` names groups, so only it waits for their object IDs: on the first
        preview of a new stack the rest of the policy (grant, session, state) is known and checked.
        """
        from ztb.providers.conditional_access import ConditionalAccessPolicy

        desired_users = control.desired["conditions"]["users"]
        refs = {k: args.group_ids[k] for k in sorted(set(iter_refs(desired_users)))}

        def resolved(values: dict[str, Any]) -> dict[str, Any]:
            users = resolve_refs(desired_users, values["refs"])
            for f in ("excludeGroups", "includeGroups"):
                users[f] = _require_ids([values["lookups"].get(v, v) for v in users.get(f) or []], control.id)
            return users

        users = pulumi.Output.all(refs=pulumi.Output.all(**refs), lookups=pulumi.Output.all(**looked_up)).apply(resolved)
        policy = {**control.desired, "conditions": {**control.desired["conditions"], "users": users}}
        props = {"policy": policy, "emergencyGroupId": args.group_ids[args.emergency.GROUP_KEY], "controlId": control.id}
        context = getattr(control.meta, "context", None)
        if context and context not in args.contexts:
            raise MissingExclusionError(f"{control.id}: authentication context {context} is not declared by the stack; refusing to "
                                        "deploy a policy on a context that does not exist")
        after = [args.contexts[context]] if context else []
        return ConditionalAccessPolicy(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self, depends_on=after))

"""AuthenticationContextPolicy: the context PIM activation requires and the Conditional Access policy on it.

pulumi-azuread can declare neither (``ztb.providers.auth_context`` says why), so both are dynamic
resources; the policy waits for the context, and carries the emergency-access exclusion like
every other policy (checked here at declaration, and by the provider's check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi

from ztb.deploy.args import dynamic_props
from ztb.model.auth_context import is_context_policy
from ztb.model.baseline import Baseline
from ztb.model.conditional_access import require_exclusion
from ztb.model.controls import Control, Kind
from ztb.model.groups import EmergencyAccess
from ztb.providers.auth_context import CONTEXT_BODY, POLICY_BODY, AuthenticationContext, ContextPolicy


@dataclass(frozen=True)
class AuthContextArgs:
    contexts: Sequence[Control]
    policies: Sequence[Control]
    group_ids: Mapping[str, pulumi.Input[str]]
    emergency: EmergencyAccess

    def __post_init__(self) -> None:
        for control in self.policies:
            require_exclusion(control, self.emergency)

    @classmethod
    def of(cls, baseline: Baseline, group_ids: Mapping[str, pulumi.Input[str]]) -> AuthContextArgs:
        return cls(contexts=baseline.of_kind(Kind.AUTHENTICATION_CONTEXT),
                   policies=[c for c in baseline.of_kind(Kind.CONDITIONAL_ACCESS_POLICY) if is_context_policy(c)],
                   group_ids=group_ids, emergency=baseline.emergency)


class AuthenticationContextPolicy(pulumi.ComponentResource):
    """The authentication context (PRIV-CTX-01) and the policy on it (PRIV-CA-13), when configured."""

    policy_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AuthContextArgs, graph_url: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:AuthenticationContextPolicy", name, {}, opts)
        contexts = []
        for control in args.contexts:
            props = dynamic_props(control, control.desired, CONTEXT_BODY, {}, graph_url)
            props["claim"] = control.desired["id"]
            contexts.append(AuthenticationContext(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self)))
        self.policy_ids = {}
        for control in args.policies:
            props = dynamic_props(control, control.desired, POLICY_BODY, args.group_ids, graph_url)
            policy = ContextPolicy(f"{name}-{control.id.lower()}", props,
                                   opts=pulumi.ResourceOptions(parent=self, depends_on=contexts))
            self.policy_ids[control.id] = policy.id
        self.register_outputs({"policyIds": self.policy_ids})

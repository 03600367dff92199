"""AuthenticationContexts: the authentication context PIM activation requires (PRIV-CTX-01).

pulumi-azuread has no resource for an ``authenticationContextClassReference`` (``ztb.providers.auth_context``
says why), so the context is a dynamic resource. The Conditional Access policy on it (PRIV-CA-13)
is one of the privileged policies: ``PrivilegedConditionalAccess`` deploys it through ztb's Graph
provider, with the emergency-access guard every policy has, and after the context it targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from ztb.deploy.args import dynamic_props
from ztb.model.baseline import Baseline
from ztb.model.controls import Control, Kind
from ztb.providers.auth_context import CONTEXT_BODY, AuthenticationContext


@dataclass(frozen=True)
class AuthContextArgs:
    contexts: Sequence[Control]

    @classmethod
    def of(cls, baseline: Baseline) -> AuthContextArgs:
        return cls(contexts=baseline.of_kind(Kind.AUTHENTICATION_CONTEXT))


class AuthenticationContexts(pulumi.ComponentResource):
    """The authentication contexts the baseline declares, by claim (``c1``..``c99``)."""

    by_claim: dict[str, AuthenticationContext]

    def __init__(self, name: str, args: AuthContextArgs, graph_url: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:AuthenticationContexts", name, {}, opts)
        self.by_claim = {}
        for control in args.contexts:
            props = dynamic_props(control, control.desired, CONTEXT_BODY, {}, graph_url)
            props["claim"] = control.desired["id"]
            self.by_claim[props["claim"]] = AuthenticationContext(f"{name}-{control.id.lower()}", props,
                                                                  opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"contextIds": {claim: c.id for claim, c in self.by_claim.items()}})

"""Intune app protection policies (iOS, Android) and their assignments: the compliance provider's one
implementation, pointed at another collection.

App protection differs from a compliance policy in two facts only, so only those are written here:
it lives in ``/deviceAppManagement/{iosManagedAppProtections|androidManagedAppProtections}``
(input ``collection``; Graph cannot move a policy between them, so a different one replaces the
resource), and it carries no scheduled block action. Create, diff, read, update, delete, assign,
the rollback of a policy that could not be assigned, unknown values on preview and adoption by
``import_`` are :class:`~ztb.providers.compliance.DeviceCompliancePolicyProvider`'s.

The policies are written through Graph beta: ``appGroupType`` (which apps the policy protects)
exists only there.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult

from ztb.providers import ProviderError, is_unknown, same_id
from ztb.providers.compliance import DeviceCompliancePolicyProvider

KIND = "managedAppProtection"
APPS = "/deviceAppManagement"
#: The policy's @odata.type -> its collection (the platform's app protections).
COLLECTIONS = {
    "#microsoft.graph.iosManagedAppProtection": "iosManagedAppProtections",
    "#microsoft.graph.androidManagedAppProtection": "androidManagedAppProtections",
}


def collection_of(policy: dict) -> str:
    return COLLECTIONS[policy["@odata.type"]]


def inputs_from_desired(desired: dict, graph_version: str) -> dict:
    """Provider inputs from a PRIV-MAM control's desired JSON, refs already resolved."""
    policy = {k: v for k, v in desired.items() if k != "assignments"}
    return {"policy": policy, "assignments": list(desired.get("assignments") or []),
            "collection": collection_of(policy), "graphVersion": graph_version}


class AppProtectionPolicyProvider(DeviceCompliancePolicyProvider):
    """An iOS or Android app protection policy, assigned to the stack's groups."""

    WHAT = "app protection policy"
    KIND = KIND
    BLOCK_ACTION_REQUIRED = False

    def collection(self, props: dict[str, Any]) -> str:
        name = props.get("collection")
        if name not in COLLECTIONS.values():
            raise ProviderError(f"collection {name!r} is not an app protection collection ({', '.join(COLLECTIONS.values())})")
        return f"{APPS}/{name}"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        name = news.get("collection")
        if not is_unknown(name) and name not in COLLECTIONS.values():
            result.failures.append(CheckFailure("collection", f"{name!r} is not one of {', '.join(COLLECTIONS.values())}"))
        return result

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        if is_unknown(news.get("collection")) or not same_id(olds.get("collection"), news.get("collection")):
            return DiffResult(changes=True, replaces=list(dict.fromkeys([*(result.replaces or []), "collection"])),
                              delete_before_replace=False)
        return result


class AppProtectionPolicy(pulumi.dynamic.Resource, module="ztb", name="AppProtectionPolicy"):
    """An Intune app protection policy (ID: the policy ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(AppProtectionPolicyProvider(), name, props, opts)

"""Which Graph permission reads what: the one table (the README's table is this one, rendered).

A 403 names the exact application permission the failing collection needs, and a 401 says to
sign in again, so a pipeline's log tells the operator the fix without a trip to the docs.
Kept free of SDK imports: the CLI's error path formats these lines.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from ztb.graph.errors import GraphError


class Permission(NamedTuple):
    path: str        #: collection path below the API version (a prefix: sub-paths are covered too)
    permission: str  #: least-privileged application permission that reads it
    reads: str       #: what ztb reads there, for the README and the message
    required: bool = True


#: Read-only application permissions of `ztb export` / live `ztb drift`, per collection.
READ_PERMISSIONS: tuple[Permission, ...] = (
    Permission("/identity/conditionalAccess/policies", "Policy.Read.All", "Conditional Access policies"),
    Permission("/identity/conditionalAccess/namedLocations", "Policy.Read.All", "named locations"),
    Permission("/policies/authenticationStrengthPolicies", "Policy.Read.All", "authentication strengths"),
    Permission("/policies/roleManagementPolicies", "RoleManagement.Read.Directory", "directory-role PIM policies"),
    Permission("/policies/roleManagementPolicyAssignments", "RoleManagement.Read.Directory", "directory-role PIM policy assignments"),
    Permission("/roleManagement/directory", "RoleManagement.Read.Directory",
               "role definitions (beta isPrivileged), active role assignments (the holders must be in the privileged group), "
               "role assignment and eligibility schedule instances and self-activations (standing access)"),
    Permission("/deviceManagement/deviceCompliancePolicies", "DeviceManagementConfiguration.Read.All",
               "compliance policies and assignments (beta, each policy also its own version; only when the stack has a compliance control)"),
    Permission("/deviceAppManagement", "DeviceManagementApps.Read.All",
               "app protection policies and assignments (beta; only when the stack has app protection)"),
    Permission("/deviceManagement", "DeviceManagementConfiguration.Read.All",
               "Intune's compliance settings (secureByDefault; only when the stack has a compliance control)"),
    Permission("/groups", "GroupMember.Read.All", "the baseline's groups, their members and owners, the groups holding a role in scope and their transitive members"),
    Permission("/users", "User.Read.All", "the users holding a role in scope: name, cloud-only or synced (standing access; readiness)"),
    # Same path as the directory roles' assignments, so never matched by path: ztb.tenant.export names it on a 403.
    Permission("/policies/roleManagementPolicyAssignments#scopeType=Group", "RoleManagementPolicy.Read.AzureADGroup",
               "PIM for Groups policies (with ztb:pim.groups)"),
    Permission("/identityGovernance/roleManagementAlerts", "RoleManagementAlert.Read.Directory", "PIM alert configurations (beta)"),
    Permission("/identityGovernance/accessReviews", "AccessReview.Read.All", "access review definitions (when the stack declares reviews)"),
    Permission("/identity/conditionalAccess/authenticationContextClassReferences", "Policy.Read.All",
               "authentication contexts (with ztb:pim.authenticationContext)"),
    Permission("/auditLogs/directoryAudits", "AuditLog.Read.All",
               "directory-audit events of role, PIM and Conditional Access changes (live `ztb drift --previous`)", False),
    Permission("/organization", "Organization.Read.All", "the tenant ID (optional: the token and PIM policy IDs also name it)", False),
)

#: Read-only application permissions of `ztb readiness` beyond the export set (least privileged, per Microsoft's
#: permission tables of each list API). ``/roleManagement/directory`` (schedule instances and activation
#: requests), ``/users`` and ``/groups`` (transitive members) are covered by READ_PERMISSIONS.
READINESS_PERMISSIONS: tuple[Permission, ...] = (
    Permission("/reports/authenticationMethods/userRegistrationDetails", "AuditLog.Read.All",
               "authentication-method registration details (readiness; Entra ID P1)"),
    Permission("/deviceManagement/managedDevices", "DeviceManagementManagedDevices.Read.All", "Intune managed devices (readiness)"),
    Permission("/auditLogs/signIns", "AuditLog.Read.All", "sign-in logs with report-only outcomes (readiness; Entra ID P1)"),
    Permission("/users/{id}/transitiveMemberOf", "User.Read.All", "group memberships of the users in scope (readiness)"),
)

SIGN_IN_AGAIN = "sign in again: `az login` on a laptop, azure/login with OIDC in a pipeline, or a fresh ZTB_ACCESS_TOKEN"


def _path(resource: str) -> str:
    for version in ("/beta", "/v1.0"):
        if resource.startswith(version + "/"):
            return resource[len(version):]
    return resource


def permission_for(resource: str) -> Optional[Permission]:
    """The table row whose path is the longest prefix of ``resource`` (``/beta`` ignored)."""
    path = _path(resource)
    rows = [p for p in READ_PERMISSIONS + READINESS_PERMISSIONS if path == p.path or path.startswith(p.path + "/")]
    return max(rows, key=lambda p: len(p.path)) if rows else None


def required_permissions() -> list[str]:
    """Each required permission once, in table order."""
    return list(dict.fromkeys(p.permission for p in READ_PERMISSIONS if p.required))


def fix_for(err: GraphError) -> str:
    """The fix a GraphError's reader needs, or "" when the message already says it."""
    if err.status == 401 or err.code == "AuthenticationFailed":
        return SIGN_IN_AGAIN
    if err.status == 403:
        row = permission_for(err.resource)
        if row is not None:
            return (f"grant the application permission {row.permission} ({row.reads}) to the identity ztb signs in as, "
                    "with admin consent")
        return "grant the identity ztb signs in as the read permission this call needs (see the README's permission table)"
    return ""


def markdown_table(rows: tuple[Permission, ...] = READ_PERMISSIONS) -> str:
    """The README's permission table, from READ_PERMISSIONS (or ``rows``)."""
    lines = ["| permission | for |", "|---|---|"]
    by_permission: dict[str, list[str]] = {}
    for p in rows:
        by_permission.setdefault(p.permission, []).append(p.reads)
    for permission, reads in by_permission.items():
        lines.append(f"| `{permission}` | {', '.join(reads)} |")
    return "\n".join(lines)


__all__ = ["READINESS_PERMISSIONS", "READ_PERMISSIONS", "SIGN_IN_AGAIN", "Permission", "fix_for", "markdown_table", "permission_for", "required_permissions"]

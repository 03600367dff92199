"""What a control carries beyond its desired JSON, one typed record per kind.

Components, drift, review, the ideal tenant and the crosswalk all need a fact or two the desired
JSON does not hold (which group key a group is, the role a PIM policy belongs to, whether a
compliance policy is only assigned). Each kind names its facts here, as attributes, so a typo is
an AttributeError at the reader and not a silent ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class NoMeta:
    """Kinds with nothing beyond their desired JSON (Conditional Access policies, manual checks)."""


@dataclass(frozen=True)
class GroupMeta:
    #: The stable name other controls reference the group by (``${group:<key>}``), e.g. ``emergencyAccess``.
    group_key: str
    #: How drift reads its members: ``exclusion``, ``included`` or ``ring`` (see :mod:`ztb.model.groups`).
    membership: str
    #: The stack declares the members (break-glass accounts, eligible admins); rings leave them to the tenant.
    members_declared: bool
    owners_declared: bool = True
    #: Set when the config names an existing group: looked up, never created.
    object_id: Optional[str] = None
    #: Properties set at creation only (ForceNew in pulumi-azuread); empty for a referenced group.
    create_only: tuple[str, ...] = ()


@dataclass(frozen=True)
class PimMeta:
    role_name: str
    template_id: str
    #: Activation of this role needs approval by the approver group.
    approval: bool


@dataclass(frozen=True)
class EligibilityMeta:
    role_name: str
    template_id: str
    principal_id: str
    #: IDs an earlier version gave the same assignment: the component declares them as aliases.
    legacy_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComplianceMeta:
    #: The Graph version the policy is read and written through: beta where the type or a setting
    #: exists only there (Windows, Android fully managed, app protection), else v1.0.
    graph_version: str = "beta"
    #: An existing policy the stack only assigns to the privileged group (never creates or changes).
    assign_only: bool = False
    policy_id: Optional[str] = None


@dataclass(frozen=True)
class PolicyMeta:
    """A Conditional Access policy's deployment path (no old dict keys: new with issue 13)."""

    #: pulumi-azuread cannot express the policy (``riskRemediation``, or an authentication context
    #: as its target): ztb's Graph provider (``ztb.providers.conditional_access``) deploys it instead.
    via_graph: bool = False
    #: The authentication context (``c1``..``c99``) the policy targets, if any: the policy waits for
    #: the context the stack declares (PRIV-CA-13 on PRIV-CTX-01's context).
    context: Optional[str] = None


@dataclass(frozen=True)
class ReviewMeta:
    #: What is reviewed: a role's name, or the Conditional Access exclusion group.
    subject: str
    #: The role's template ID, None for a group review.
    template_id: Optional[str] = None


@dataclass(frozen=True)
class AuthContextMeta:
    """The authentication context (``c1``..``c99``) PRIV-CTX-01 declares (``ztb.providers.auth_context``)."""

    claim: str


@dataclass(frozen=True)
class GroupPimMeta:
    group_id: str
    #: ``member`` or ``owner``: PIM for Groups has one policy per group and access level.
    access: str
    #: The privileged roles the group holds, by name: its settings are the strictest of theirs.
    role_names: tuple[str, ...] = ()
    approval: bool = False


@dataclass(frozen=True)
class AlertMeta:
    #: The alert's name: the last part of its configuration ID (``DirectoryRole_<tenant>_<name>``).
    alert: str


Meta = (AlertMeta | NoMeta | GroupMeta | PimMeta | EligibilityMeta | ComplianceMeta | PolicyMeta | ReviewMeta | AuthContextMeta
        | GroupPimMeta)

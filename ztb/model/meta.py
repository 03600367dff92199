"""What a control carries beyond its desired JSON, one typed record per kind.

Components, drift, review, the ideal tenant and the crosswalk all need a fact or two the desired
JSON does not hold (which group key a group is, the role a PIM policy belongs to, whether a
compliance policy is only assigned). Each kind names its facts here, as attributes, so a typo is
an AttributeError at the reader and not a silent ``None``.

Transition: until every reader uses the attributes, each record also answers the camelCase keys
the old ``meta`` dict had (``meta["groupKey"]``, ``meta.get("objectId")``, ``"objectId" in meta``);
a key is "in" a record when its value is set (not ``None``), as it was in the dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Optional


class _Keyed:
    """Read-only mapping view of a meta record under the old dict's camelCase keys."""

    #: old dict key -> attribute name
    KEYS: ClassVar[dict[str, str]] = {}

    def _value(self, key: str) -> Any:
        attr = self.KEYS.get(key)
        if attr is None:
            raise KeyError(key)
        value = getattr(self, attr)
        if value is None:
            raise KeyError(key)
        return list(value) if isinstance(value, tuple) else value

    def __getitem__(self, key: str) -> Any:
        return self._value(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._value(key)
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def keys(self) -> Iterator[str]:
        return (k for k in self.KEYS if k in self)


@dataclass(frozen=True)
class NoMeta(_Keyed):
    """Kinds with nothing beyond their desired JSON (Conditional Access policies, manual checks)."""


@dataclass(frozen=True)
class GroupMeta(_Keyed):
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

    KEYS: ClassVar[dict[str, str]] = {
        "groupKey": "group_key", "membership": "membership", "membersDeclared": "members_declared",
        "ownersDeclared": "owners_declared", "objectId": "object_id", "createOnly": "create_only",
    }

    def __contains__(self, key: object) -> bool:
        # The old dict held createOnly only for a group the stack creates.
        if key == "createOnly":
            return bool(self.create_only)
        return super().__contains__(key)


@dataclass(frozen=True)
class PimMeta(_Keyed):
    role_name: str
    template_id: str
    #: Activation of this role needs approval by the approver group.
    approval: bool

    KEYS: ClassVar[dict[str, str]] = {"roleName": "role_name", "templateId": "template_id", "approval": "approval"}


@dataclass(frozen=True)
class EligibilityMeta(_Keyed):
    role_name: str
    template_id: str
    principal_id: str
    #: IDs an earlier version gave the same assignment: the component declares them as aliases.
    legacy_ids: tuple[str, ...] = ()

    KEYS: ClassVar[dict[str, str]] = {
        "roleName": "role_name", "templateId": "template_id", "principalId": "principal_id", "legacyIds": "legacy_ids",
    }


@dataclass(frozen=True)
class ComplianceMeta(_Keyed):
    #: The Graph version the policy is read and written through: beta where the type or a setting
    #: exists only there (Windows, Android fully managed, app protection), else v1.0.
    graph_version: str = "beta"
    #: An existing policy the stack only assigns to the privileged group (never creates or changes).
    assign_only: bool = False
    policy_id: Optional[str] = None

    KEYS: ClassVar[dict[str, str]] = {"graphVersion": "graph_version", "assignOnly": "assign_only", "policyId": "policy_id"}

    def __contains__(self, key: object) -> bool:
        # The old dict held assignOnly only when true.
        if key == "assignOnly":
            return self.assign_only
        return super().__contains__(key)


@dataclass(frozen=True)
class PolicyMeta:
    """A Conditional Access policy's deployment path (no old dict keys: new with issue 13)."""

    #: pulumi-azuread cannot express the policy (``riskRemediation``): ztb's Graph provider
    #: (``ztb.providers.conditional_access``) deploys it instead.
    via_graph: bool = False


@dataclass(frozen=True)
class ReviewMeta(_Keyed):
    #: What is reviewed: a role's name, or the Conditional Access exclusion group.
    subject: str
    #: The role's template ID, None for a group review.
    template_id: Optional[str] = None


@dataclass(frozen=True)
class AuthContextMeta(_Keyed):
    """The authentication context (``c1``..``c99``) a control declares or requires.

    A Conditional Access policy carrying it targets the context, which pulumi-azuread cannot
    express: it is deployed by ``ztb.providers.auth_context`` instead of ``PrivilegedConditionalAccess``.
    """

    claim: str


@dataclass(frozen=True)
class GroupPimMeta(_Keyed):
    group_id: str
    #: ``member`` or ``owner``: PIM for Groups has one policy per group and access level.
    access: str
    #: The privileged roles the group holds, by name: its settings are the strictest of theirs.
    role_names: tuple[str, ...] = ()
    approval: bool = False


@dataclass(frozen=True)
class AlertMeta(_Keyed):
    #: The alert's name: the last part of its configuration ID (``DirectoryRole_<tenant>_<name>``).
    alert: str


Meta = (AlertMeta | NoMeta | GroupMeta | PimMeta | EligibilityMeta | ComplianceMeta | PolicyMeta | ReviewMeta | AuthContextMeta
        | GroupPimMeta)

"""The stack config's schema: every ``ztb:`` key, its type, default and the fix its message names.

Numbers and switches accept exactly the spellings Pulumi writes (``pulumi config set`` stores
``"4"`` and ``"true"``), never YAML 1.1's ``yes`` or a fraction.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Callable, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator

from ztb import durations

from ztb.catalogue import roles as role_catalogue
from ztb.config.problems import echo

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SECURITY_COPILOT_APP_ID = "bb5ffd56-39eb-458c-a53a-775ba21277da"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _check_guid(value: str) -> str:
    if not isinstance(value, str) or not role_catalogue.GUID_RE.match(value):
        raise ValueError(
            f"{echo(value)} is not an object ID; use the GUID shown in the Entra admin center "
            "(form 00000000-0000-0000-0000-000000000000)"
        )
    return value.lower()


def _guid_list(values: list[str]) -> list[str]:
    """Object IDs, lowercased; the same object twice (in any letter case) is a mistake, not a no-op."""
    out = [_check_guid(x) for x in values]
    seen: set[str] = set()
    for x in out:
        if x in seen:
            raise ValueError(f"{x} is listed twice (object IDs are compared case-insensitively); list each object once")
        seen.add(x)
    return out


def _int_text(value: Any) -> Any:
    """A whole number, or the decimal text Pulumi writes for one; never a switch or a fraction."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{echo(value)} is not a whole number; write a number such as 4")
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,6}", value):
            raise ValueError(f"{echo(value)} is not a whole number; write a number such as 4")
        return int(value)
    return value


def _bool_text(value: Any) -> Any:
    """true or false, or the text Pulumi writes for them; never 1, yes or on."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "True", "false", "False"):
        return value.lower() == "true"
    raise ValueError(f"{echo(value)} is not true or false; write true or false")


ConfigInt = Annotated[int, BeforeValidator(_int_text), Strict()]
ConfigBool = Annotated[bool, BeforeValidator(_bool_text), Strict()]


def parse_duration(value: str) -> timedelta:
    """ISO 8601 duration as Graph writes them (PT1H, PT60M, P90D)."""
    try:
        return durations.parse(value)
    except ValueError:
        raise ValueError(f"{echo(value)} is not an ISO 8601 duration such as PT1H or P90D") from None


def _matching(pattern: str, why: str) -> Callable[[Optional[str]], Optional[str]]:
    """A field validator: the value (when set) matches ``pattern``, else ``<value> <why>``."""
    compiled = re.compile(pattern)

    def check(value: Optional[str]) -> Optional[str]:
        if value is not None and not compiled.match(value):
            raise ValueError(f"{echo(value)} {why}")
        return value

    return check


def _duration_within(value: str, shortest: timedelta, longest: timedelta, why: str) -> str:
    """An ISO 8601 duration inside the range PIM allows; ``why`` is the message after the value."""
    if not shortest <= parse_duration(value) <= longest:
        raise ValueError(f"{echo(value)} {why}")
    return value


class RoleScope(_Strict):
    add: list[str] = Field(default_factory=list, description="Roles to cover beyond the default union, by name or template ID.")
    remove: list[str] = Field(default_factory=list, description="Roles to leave out of the default union (warned when an authority counts them privileged).")


class SecurityApp(_Strict):
    name: str
    appId: str

    _guid = field_validator("appId")(_check_guid)


class AcceptedPolicy(_Strict):
    """A Conditional Access policy outside the baseline that reaches privileged users on purpose."""

    id: str
    reason: str = Field(min_length=3)

    _guid = field_validator("id")(_check_guid)


class Pim(_Strict):
    notificationMailbox: str = Field(description="Security mailbox that receives admin notifications of assignments and activations.")
    approverGroupId: Optional[str] = Field(default=None, description="Group whose members approve activation of the approval roles.")
    approvalRoles: list[str] = Field(default_factory=lambda: ["Global Administrator", "Privileged Role Administrator"])
    activationMaxDuration: str = "PT2H"
    approvalRolesActivationMaxDuration: str = "PT1H"
    eligibleAssignmentMaxDuration: str = "P180D"
    activeAssignmentMaxDuration: str = "P30D"
    authenticationContext: Optional[str] = Field(default=None, description="Authentication context claim (c1..c99) required on activation instead of plain MFA.")
    requireTicket: ConfigBool = False

    @field_validator("notificationMailbox")
    @classmethod
    def _mailbox(cls, v: str) -> str:
        if not EMAIL_RE.match(v):
            raise ValueError(f"{echo(v)} is not an email address; name the security team's mailbox, e.g. secops@contoso.com")
        return v

    _approver = field_validator("approverGroupId")(lambda v: v if v is None else _check_guid(v))

    @field_validator("activationMaxDuration", "approvalRolesActivationMaxDuration")
    @classmethod
    def _activation(cls, v: str) -> str:
        return _duration_within(v, timedelta(minutes=30), timedelta(hours=24),
                                "is outside what PIM allows for activation; choose between PT30M and PT24H")

    @field_validator("eligibleAssignmentMaxDuration", "activeAssignmentMaxDuration")
    @classmethod
    def _expiry(cls, v: str) -> str:
        return _duration_within(v, timedelta(days=1), timedelta(days=365),
                                "must be between P1D and P365D: permanent assignments are not allowed")

    _context = field_validator("authenticationContext")(
        _matching(r"^c([1-9]|[1-9][0-9])$", "is not an authentication context ID; use c1 to c99")
    )


class DeviceCompliance(_Strict):
    enabled: ConfigBool = True
    osMinimumVersion: str = "10.0.19045.0"
    deviceThreatLevel: Optional[Literal["secured", "low", "medium"]] = None
    assignExistingPolicyIds: list[str] = Field(default_factory=list)

    _ids = field_validator("assignExistingPolicyIds")(_guid_list)

    _os = field_validator("osMinimumVersion")(
        _matching(r"^\d+\.\d+\.\d+(\.\d+)?$", "is not a Windows version; use the form 10.0.19045.0")
    )


class RingGroupIds(_Strict):
    evaluate: Optional[str] = None
    pilot: Optional[str] = None
    full: Optional[str] = None

    @field_validator("evaluate", "pilot", "full")
    @classmethod
    def _ids(cls, v: Optional[str]) -> Optional[str]:
        return v if v is None else _check_guid(v)


class BaselineConfig(_Strict):
    """The whole stack config under the ``ztb:`` namespace."""

    phase: Literal["evaluate", "pilot", "full"]
    level: Literal["enterprise", "specialized"] = "specialized"
    reportOnly: ConfigBool = Field(default=True, description="Roll the current phase out report-only before enforcing.")
    reportOnlyControls: list[str] = Field(default_factory=list, description="Control IDs that stay report-only while the rest enforce.")
    namePrefix: str = "ZTB"
    tenantId: Optional[str] = None
    emergencyAccessGroupId: Optional[str] = None
    emergencyAccessUserIds: list[str] = Field(default_factory=list)
    conditionalAccessExclusionGroupId: Optional[str] = None
    conditionalAccessExclusionMemberIds: list[str] = Field(
        default_factory=list,
        description="The audited members of the CA exclusion group; drift reports any other member as weakening.",
    )
    privilegedGroupId: Optional[str] = None
    groupOwners: Optional[list[str]] = Field(
        default=None,
        description="Users or service principals that own every baseline group (default: the break-glass accounts).",
    )
    ringGroupIds: RingGroupIds = Field(default_factory=RingGroupIds)
    roles: RoleScope = Field(default_factory=RoleScope)
    securityApps: list[SecurityApp] = Field(
        default_factory=lambda: [SecurityApp(name="Microsoft Security Copilot", appId=SECURITY_COPILOT_APP_ID)]
    )
    signInFrequencyHours: ConfigInt = Field(default=1, ge=1, le=24)
    pim: Pim
    deviceCompliance: DeviceCompliance = Field(default_factory=DeviceCompliance)
    eligibility: dict[str, list[str]] = Field(default_factory=dict, description="Principal object ID -> roles it becomes eligible for.")
    acceptedUnmanagedPolicies: list[AcceptedPolicy] = Field(
        default_factory=list,
        description="Tenant-wide policies drift may see reaching privileged users without reporting them, unless they weaken.",
    )

    @field_validator("tenantId", "emergencyAccessGroupId", "conditionalAccessExclusionGroupId", "privilegedGroupId")
    @classmethod
    def _ids(cls, v: Optional[str]) -> Optional[str]:
        return v if v is None else _check_guid(v)

    _lists = field_validator("emergencyAccessUserIds", "conditionalAccessExclusionMemberIds")(_guid_list)

    @field_validator("groupOwners")
    @classmethod
    def _owners(cls, v: Optional[list[str]]) -> Optional[list[str]]:
        if v is None:
            return None
        if not v:
            raise ValueError(
                "is empty, but a group cannot be left without owners: pulumi-azuread makes the deploying principal the owner; "
                "list the users or service principals that may own the baseline's groups, or remove the key to default to "
                "the break-glass accounts"
            )
        return _guid_list(v)

    @field_validator("eligibility")
    @classmethod
    def _eligibility(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        spelled: dict[str, str] = {}
        for key, names in v.items():
            principal = _check_guid(key)
            if principal in out:
                raise ValueError(
                    f"principal {principal} is listed twice ({spelled[principal]!r} and {key!r}); object IDs are "
                    "case-insensitive, so one role list would be lost: merge them under one key"
                )
            out[principal], spelled[principal] = names, key
        return out

    _prefix = field_validator("namePrefix")(
        _matching(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,19}$", "must be 1-20 letters, digits, spaces, dots, dashes or underscores")
    )

    @property
    def owner_ids(self) -> list[str]:
        """Declared owners of every baseline group (``groupOwners``, else the break-glass accounts)."""
        return list(self.groupOwners if self.groupOwners is not None else self.emergencyAccessUserIds)

"""The stack config's schema: every ``ztb:`` key, its type, default and the fix its message names.

Numbers and switches accept exactly the spellings Pulumi writes (``pulumi config set`` stores
``"4"`` and ``"true"``), never YAML 1.1's ``yes`` or a fraction.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal, Optional

from pydantic import Field, field_validator

from ztb.config.problems import echo
from ztb.config.types import ConfigBool, ConfigInt, _check_guid, _duration_within, _guid_list, _matching, _Strict

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SECURITY_COPILOT_APP_ID = "bb5ffd56-39eb-458c-a53a-775ba21277da"
#: The four Security Copilot applications Microsoft's page "Require phishing-resistant MFA for
#: Microsoft Security Copilot access" (entra-docs policy-all-users-security-copilot.md) names.
SECURITY_COPILOT_APPS = (
    ("Security Copilot Agent Management", "43d7b169-1d9e-4d32-8cd8-06c5974ed90c"),
    ("Security Copilot Portal", SECURITY_COPILOT_APP_ID),
    ("Security Copilot API", "bb3d68c2-d09e-4455-94a0-e323996dbaa3"),
    ("Security Copilot Logic Apps Connector", "b0cf1501-8e0f-4fbb-b70a-52ca5ea7bda6"),
)
#: Defender for Cloud Apps session control types pulumi-azuread accepts (``cloudAppSecurityPolicy``),
#: Graph's ``cloudAppSecurityType`` without ``unknownFutureValue``.
CLOUD_APP_SECURITY_TYPES = ("monitorOnly", "blockDownloads", "mcasConfigured")
#: How PRIV-CA-04 remediates a high-risk user: Microsoft's current ``riskRemediation`` (covers
#: passwordless admins; deployed through ztb's provider), or ``mfa`` AND ``passwordChange``.
USER_RISK_REMEDIATIONS = ("riskRemediation", "passwordChange")


class RoleScope(_Strict):
    add: list[str] = Field(default_factory=list, description="Roles to cover beyond the default union, by name or template ID.")
    remove: list[str] = Field(default_factory=list, description="Roles to leave out of the default union (warned when an authority counts them privileged).")


class SecurityApp(_Strict):
    name: str
    appId: str

    _guid = field_validator("appId")(_check_guid)


class GalleryApp(_Strict):
    """A third-party security product from the Entra application gallery, instantiated by the stack."""

    name: str = Field(min_length=1, max_length=120, description="Display name of the application the stack creates.")
    templateId: str = Field(description="The gallery template ID (applicationTemplate id).")

    _guid = field_validator("templateId")(_check_guid)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip() or any(ch in v for ch in "\r\n\t"):
            raise ValueError(f"{echo(v)} is not a display name; use one line of text such as 'Tanium SSO'")
        return v


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
    authenticationContext: Optional[str] = Field(default=None, description="Authentication context claim (c1..c99) required on activation instead of plain MFA, once PRIV-CA-13 enforces it.")
    globalAdminNotificationMailbox: Optional[str] = Field(
        default=None, description="Separate mailbox that also receives Global Administrator activations (ScubaGear MS.AAD.7.9).",
    )
    requireTicket: ConfigBool = False
    alerts: ConfigBool = Field(default=True, description="Keep PIM's configurable alerts enabled (Graph beta roleManagementAlerts).")
    groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Role-assignable group object ID -> the privileged roles it holds (active or eligible): PIM for Groups settings.",
    )

    @field_validator("notificationMailbox", "globalAdminNotificationMailbox")
    @classmethod
    def _mailbox(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not EMAIL_RE.match(v):
            raise ValueError(f"{echo(v)} is not an email address; name the security team's mailbox, e.g. secops@contoso.com")
        return v

    @field_validator("groups")
    @classmethod
    def _groups(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, names in v.items():
            gid = _check_guid(key)
            if gid in out:
                raise ValueError(f"group {gid} is listed twice (object IDs are case-insensitive); merge its roles under one key")
            if not names:
                raise ValueError(f"group {gid} lists no role; name the privileged roles it holds, or remove it")
            out[gid] = names
        return out

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


#: Device platforms as Conditional Access names them (``conditions.platforms``); ``linux`` is
#: accepted by the schema so that the refusal can say why (no Intune policy ztb can deploy for it).
DevicePlatform = Literal["windows", "macOS", "iOS", "android", "linux"]
DEFAULT_PLATFORMS: tuple[str, ...] = ("windows", "macOS", "iOS", "android")


class MobileMinimumVersions(_Strict):
    """Minimum OS versions of the non-Windows compliance policies (Major.Minor, as Intune asks)."""

    macOS: str = "14.0"
    iOS: str = "17.0"
    android: str = "13.0"

    _versions = field_validator("macOS", "iOS", "android")(
        _matching(r"^\d{1,3}\.\d{1,3}(\.\d{1,3})?$", "is not an OS version; use the form Major.Minor, e.g. 17.0")
    )


class AccessReviews(_Strict):
    """Recurring access reviews of every privileged role and of the CA exclusion group (PRIV-REV-*).

    Defaults: quarterly, open 14 days, mail and reminders on, justification and recommendations on,
    and on no response the reviewers' silence removes access ("Deny", auto-applied), as the
    guidance's "ensure admin and SecOps staff user accounts still need their assigned roles" asks.
    """

    enabled: ConfigBool = True
    reviewerGroupId: Optional[str] = Field(default=None, description="Group whose members review (default: ztb:pim.approverGroupId).")
    recurrence: Literal["monthly", "quarterly", "semiannual", "annual"] = "quarterly"
    durationInDays: ConfigInt = Field(default=14, ge=1, le=180)
    #: Graph also offers "Approve", which makes silence approve everyone: a rubber stamp, so not offered.
    defaultDecision: Literal["Deny", "Recommendation", "None"] = "Deny"
    autoApply: ConfigBool = True
    reminders: ConfigBool = True
    startDate: str = Field(default="2026-01-05", description="First review (YYYY-MM-DD); set at creation only.")

    _reviewer = field_validator("reviewerGroupId")(lambda v: v if v is None else _check_guid(v))
    _start = field_validator("startDate")(_matching(r"^20[2-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "is not a date; write YYYY-MM-DD"))


class DeviceCompliance(_Strict):
    enabled: ConfigBool = True
    osMinimumVersion: str = "10.0.19045.0"
    deviceThreatLevel: Optional[Literal["secured", "low", "medium"]] = None
    assignExistingPolicyIds: list[str] = Field(default_factory=list)
    minimumVersions: MobileMinimumVersions = Field(default_factory=MobileMinimumVersions)
    #: Minimum Microsoft Defender Antimalware version on Windows (Microsoft: at most five behind the newest).
    defenderMinimumVersion: str = "4.18.2401.0"
    secureByDefault: ConfigBool = Field(
        default=False,
        description="Let the stack turn on Intune's tenant-wide 'mark devices with no compliance policy assigned as not compliant'.",
    )

    _ids = field_validator("assignExistingPolicyIds")(_guid_list)

    _os = field_validator("osMinimumVersion")(
        _matching(r"^\d+\.\d+\.\d+(\.\d+)?$", "is not a Windows version; use the form 10.0.19045.0")
    )
    _defender = field_validator("defenderMinimumVersion")(
        _matching(r"^\d+\.\d+\.\d+\.\d+$", "is not a Defender Antimalware version; use the form 4.18.2401.0")
    )


class AppProtection(_Strict):
    """Intune app protection (Level 3) on iOS and Android, and the CA grant PRIV-CA-12."""

    enabled: ConfigBool = True
    #: Which cloud apps PRIV-CA-12 asks protected apps for on phones: Microsoft's admin portals
    #: (the issue's minimum), every app, or no CA grant at all (app protection only).
    conditionalAccess: Literal["adminPortals", "allApps", "off"] = "adminPortals"


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
    globalAdministratorRange: Literal["microsoft", "cisa"] = Field(
        default="microsoft",
        description="How many Global Administrators PRIV-MAN-04 accepts: microsoft 2-4 (fewer than five), cisa 2-8 (MS.AAD.7.1v1).",
    )
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
        default_factory=lambda: [SecurityApp(name=n, appId=a) for n, a in SECURITY_COPILOT_APPS]
    )
    galleryApps: list[GalleryApp] = Field(
        default_factory=list,
        description="Third-party security apps from the Entra gallery: instantiated by the stack, then in PRIV-CA-08.",
    )
    cloudAppSecurity: Optional[Literal["monitorOnly", "blockDownloads", "mcasConfigured"]] = Field(
        default=None, description="Defender for Cloud Apps session control on PRIV-CA-08 (step 5); off by default.",
    )
    userRiskRemediation: Literal["riskRemediation", "passwordChange"] = Field(
        default="riskRemediation", description="PRIV-CA-04's grant: risk remediation (passwordless too) or mfa AND passwordChange.",
    )
    replaceRingGroups: ConfigBool = Field(
        default=False,
        description="Let an existing stack replace its ring groups with role-assignable ones (new object IDs, members lost).",
    )
    signInFrequencyHours: ConfigInt = Field(default=1, ge=1, le=24)
    pim: Pim
    deviceCompliance: DeviceCompliance = Field(default_factory=DeviceCompliance)
    devicePlatforms: list[DevicePlatform] = Field(
        default_factory=lambda: list(DEFAULT_PLATFORMS),
        description="Device platforms privileged users may sign in from: PRIV-CA-07 blocks the rest, each gets a compliance policy.",
    )
    appProtection: AppProtection = Field(default_factory=AppProtection)
    accessReviews: AccessReviews = Field(default_factory=AccessReviews)
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

    @field_validator("devicePlatforms")
    @classmethod
    def _platforms(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError(
                "is empty, which would block every device of every privileged user (PRIV-CA-07 blocks the platforms not "
                "listed); list the platforms your admins use, e.g. [windows, macOS, iOS, android]"
            )
        seen: set[str] = set()
        for p in v:
            if p in seen:
                raise ValueError(f"lists {p} twice; list each platform once")
            seen.add(p)
        return v

    _prefix = field_validator("namePrefix")(
        _matching(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,19}$", "must be 1-20 letters, digits, spaces, dots, dashes or underscores")
    )

    @property
    def owner_ids(self) -> list[str]:
        """Declared owners of every baseline group (``groupOwners``, else the break-glass accounts)."""
        return list(self.groupOwners if self.groupOwners is not None else self.emergencyAccessUserIds)

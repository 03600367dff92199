"""The Graph JSON types a snapshot must have wherever drift or the classifier reads.

Graph's objects grow new properties: unknown keys pass, known ones must have Graph's JSON type
(``signInFrequency.value`` is a number, not ``"4"``), so drift never meets a wrong type. Item
limits come from :data:`ztb.tenant.snapshot.MAX_ITEMS`. Read by :func:`ztb.tenant.snapshot.validate`
only, on first use: pydantic costs start-up time a command that never validates should not pay.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ztb.catalogue import roles as rc
from ztb.tenant.snapshot import COLLECTIONS, MAX_ITEMS, OPTIONAL_COLLECTIONS

#: A Graph object ID: a GUID, or Graph's composite IDs (``DirectoryRole_<tenant>_<id>``,
#: ``<policy>_<group>``, rule IDs such as ``Expiration_EndUser_Assignment``). Never blank, never
#: markup or control characters, so an ID is safe in every report format.
Id = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=256, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Guid = Annotated[str, StringConstraints(strict=True, pattern=rc.GUID_RE.pattern)]
Name = Annotated[str, StringConstraints(strict=True, max_length=1024)]
Text = Annotated[str, StringConstraints(strict=True)]
Strs = Optional[list[Text]]


class _Obj(BaseModel):
    """Graph's objects grow new properties: unknown keys pass, known ones must have Graph's type."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, strict=True)


class _Users(_Obj):
    includeUsers: Strs = None
    excludeUsers: Strs = None
    includeGroups: Strs = None
    excludeGroups: Strs = None
    includeRoles: Strs = None
    excludeRoles: Strs = None
    includeGuestsOrExternalUsers: Optional[dict[str, Any]] = None
    excludeGuestsOrExternalUsers: Optional[dict[str, Any]] = None


class _Applications(_Obj):
    includeApplications: Strs = None
    excludeApplications: Strs = None
    includeUserActions: Strs = None
    includeAuthenticationContextClassReferences: Strs = None
    applicationFilter: Optional[dict[str, Any]] = None


class _Platforms(_Obj):
    includePlatforms: Strs = None
    excludePlatforms: Strs = None


class _Locations(_Obj):
    includeLocations: Strs = None
    excludeLocations: Strs = None


class _Conditions(_Obj):
    users: _Users
    applications: _Applications
    clientAppTypes: Strs = None
    signInRiskLevels: Strs = None
    userRiskLevels: Strs = None
    servicePrincipalRiskLevels: Strs = None
    insiderRiskLevels: Optional[Text] = None  # a flags enum: one comma-separated string
    platforms: Optional[_Platforms] = None
    locations: Optional[_Locations] = None
    devices: Optional[dict[str, Any]] = None
    clientApplications: Optional[dict[str, Any]] = None
    authenticationFlows: Optional[dict[str, Any]] = None


class _StrengthRef(_Obj):
    id: Id


class _Grant(_Obj):
    operator: Optional[Text] = None
    builtInControls: Strs = None
    customAuthenticationFactors: Strs = None
    termsOfUse: Strs = None
    authenticationStrength: Optional[_StrengthRef] = None


class _Switch(_Obj):
    isEnabled: Optional[bool] = None


class _CloudAppSecurity(_Switch):
    cloudAppSecurityType: Optional[Text] = None


class _PersistentBrowser(_Switch):
    mode: Optional[Text] = None


class _SignInFrequency(_Switch):
    value: Optional[Annotated[int, Field(ge=0)]] = None
    type: Optional[Text] = None
    authenticationType: Optional[Text] = None
    frequencyInterval: Optional[Text] = None


class _ContinuousAccessEvaluation(_Obj):
    mode: Optional[Text] = None


class _Session(_Obj):
    applicationEnforcedRestrictions: Optional[_Switch] = None
    cloudAppSecurity: Optional[_CloudAppSecurity] = None
    persistentBrowser: Optional[_PersistentBrowser] = None
    signInFrequency: Optional[_SignInFrequency] = None
    continuousAccessEvaluation: Optional[_ContinuousAccessEvaluation] = None
    secureSignInSession: Optional[_Switch] = None
    disableResilienceDefaults: Optional[bool] = None


class _CAPolicy(_Obj):
    id: Id
    displayName: Name
    state: Text
    conditions: _Conditions
    grantControls: Optional[_Grant] = None
    sessionControls: Optional[_Session] = None


class _Named(_Obj):
    id: Id
    displayName: Optional[Name] = None


class _Member(_Obj):
    id: Id
    odata_type: Optional[Text] = Field(default=None, alias="@odata.type")


class _Group(_Named):
    description: Optional[Text] = None
    mailEnabled: Optional[bool] = None
    mailNickname: Optional[Text] = None
    securityEnabled: Optional[bool] = None
    groupTypes: Strs = None
    isAssignableToRole: Optional[bool] = None
    members: Optional[list[_Member]] = Field(default=None, max_length=MAX_ITEMS["members"])
    owners: Optional[list[_Member]] = Field(default=None, max_length=MAX_ITEMS["owners"])


class _SubjectSet(_Obj):
    odata_type: Optional[Text] = Field(default=None, alias="@odata.type")
    id: Optional[Text] = None
    groupId: Optional[Text] = None
    userId: Optional[Text] = None
    description: Optional[Text] = None


class _Stage(_Obj):
    approvalStageTimeOutInDays: Optional[int] = None
    isApproverJustificationRequired: Optional[bool] = None
    escalationTimeInMinutes: Optional[int] = None
    isEscalationEnabled: Optional[bool] = None
    primaryApprovers: Optional[list[_SubjectSet]] = None
    escalationApprovers: Optional[list[_SubjectSet]] = None


class _ApprovalSetting(_Obj):
    isApprovalRequired: Optional[bool] = None
    isApprovalRequiredForExtension: Optional[bool] = None
    isRequestorJustificationRequired: Optional[bool] = None
    approvalMode: Optional[Text] = None
    approvalStages: Optional[list[_Stage]] = None


class _RuleTarget(_Obj):
    caller: Optional[Text] = None
    level: Optional[Text] = None
    operations: Strs = None
    inheritableSettings: Strs = None
    enforcedSettings: Strs = None


class _Rule(_Obj):
    id: Id
    odata_type: Text = Field(alias="@odata.type")
    isExpirationRequired: Optional[bool] = None
    maximumDuration: Optional[Text] = None
    enabledRules: Strs = None
    notificationType: Optional[Text] = None
    recipientType: Optional[Text] = None
    notificationLevel: Optional[Text] = None
    isDefaultRecipientsEnabled: Optional[bool] = None
    notificationRecipients: Strs = None
    isEnabled: Optional[bool] = None
    claimValue: Optional[Text] = None
    setting: Optional[_ApprovalSetting] = None
    target: Optional[_RuleTarget] = None


class _PimPolicy(_Obj):
    id: Id
    scopeId: Text
    scopeType: Text
    rules: list[_Rule] = Field(max_length=MAX_ITEMS["rules"])


class _PimAssignment(_Obj):
    id: Id
    policyId: Id
    roleDefinitionId: Id
    scopeId: Text
    scopeType: Text


class _AssignmentTarget(_Obj):
    odata_type: Text = Field(alias="@odata.type")
    groupId: Optional[Text] = None
    deviceAndAppManagementAssignmentFilterId: Optional[Text] = None
    deviceAndAppManagementAssignmentFilterType: Optional[Text] = None


class _Assignment(_Obj):
    id: Optional[Id] = None
    target: _AssignmentTarget


class _Compliance(_Obj):
    id: Id
    odata_type: Text = Field(alias="@odata.type")
    displayName: Name
    assignments: list[_Assignment]
    description: Optional[Text] = None
    osMinimumVersion: Optional[Text] = None
    osMaximumVersion: Optional[Text] = None
    deviceThreatProtectionRequiredSecurityLevel: Optional[Text] = None
    # The windows10CompliancePolicy switches the baseline sets (and those Graph defaults).
    bitLockerEnabled: Optional[bool] = None
    secureBootEnabled: Optional[bool] = None
    codeIntegrityEnabled: Optional[bool] = None
    tpmRequired: Optional[bool] = None
    activeFirewallRequired: Optional[bool] = None
    antivirusRequired: Optional[bool] = None
    antiSpywareRequired: Optional[bool] = None
    defenderEnabled: Optional[bool] = None
    rtpEnabled: Optional[bool] = None
    signatureOutOfDate: Optional[bool] = None
    deviceThreatProtectionEnabled: Optional[bool] = None
    passwordRequired: Optional[bool] = None
    requireHealthyDeviceReport: Optional[bool] = None
    storageRequireEncryption: Optional[bool] = None
    earlyLaunchAntiMalwareDriverEnabled: Optional[bool] = None


class _AppProtection(_Obj):
    id: Id
    odata_type: Text = Field(alias="@odata.type")
    displayName: Name
    assignments: list[_Assignment]


class _DeviceManagementSettings(_Obj):
    secureByDefault: Optional[bool] = None


class _RoleAssignment(_Obj):
    id: Id
    principalId: Guid
    roleDefinitionId: Id
    directoryScopeId: Optional[Text] = None
    principal: Optional[dict] = None


class _RoleDefinition(_Obj):
    id: Id
    displayName: Name
    templateId: Optional[Id] = None
    isBuiltIn: bool
    isPrivileged: bool


def _items(name: str) -> Any:
    return Field(max_length=MAX_ITEMS[name])


def _optional_items(name: str) -> Any:
    """A collection of :data:`~ztb.tenant.snapshot.OPTIONAL_COLLECTIONS`: absent (or null) means not exported."""
    return Field(default=None, max_length=MAX_ITEMS[name])


class _ReviewSettings(_Obj):
    mailNotificationsEnabled: Optional[bool] = None
    reminderNotificationsEnabled: Optional[bool] = None
    justificationRequiredOnApproval: Optional[bool] = None
    defaultDecisionEnabled: Optional[bool] = None
    defaultDecision: Optional[Text] = None
    instanceDurationInDays: Optional[int] = None
    autoApplyDecisionsEnabled: Optional[bool] = None
    recommendationsEnabled: Optional[bool] = None
    recurrence: Optional[dict[str, Any]] = None
    applyActions: Optional[list[dict[str, Any]]] = None


class _ReviewScope(_Obj):
    query: Optional[Text] = None
    queryType: Optional[Text] = None


class _AccessReview(_Obj):
    id: Id
    displayName: Name
    status: Optional[Text] = None
    scope: Optional[_ReviewScope] = None
    reviewers: Optional[list[_ReviewScope]] = None
    settings: Optional[_ReviewSettings] = None


class _AuthContext(_Obj):
    id: Id
    displayName: Optional[Name] = None
    description: Optional[Text] = None
    isAvailable: Optional[bool] = None


class _AlertConfiguration(_Obj):
    id: Id
    odata_type: Optional[Text] = Field(default=None, alias="@odata.type")
    scopeId: Optional[Text] = None
    scopeType: Optional[Text] = None
    isEnabled: Optional[bool] = None


class _GroupPimAssignment(_PimAssignment):
    """A PIM-for-Groups policy assignment with its policy and rules expanded (``$expand=policy($expand=rules)``)."""

    roleDefinitionId: Annotated[str, StringConstraints(strict=True, pattern=r"^(member|owner)$")]
    scopeId: Guid
    policy: _PimPolicy


#: Who and which role: a role schedule instance (``rbacapplication-list-role*scheduleinstances``) or activation request.
class _RoleHold(_Obj):
    id: Id
    principalId: Guid
    roleDefinitionId: Id


class _ScheduleInstance(_RoleHold):
    directoryScopeId: Optional[Text] = None
    assignmentType: Optional[Text] = None
    memberType: Optional[Text] = None
    startDateTime: Optional[Name] = None
    endDateTime: Optional[Name] = None


class _ActivationRequest(_RoleHold):
    action: Text
    createdDateTime: Name


class _Principal(_Obj):  # a user or group a schedule instance names, with the fields standing access judges
    id: Guid
    odata_type: Literal["#microsoft.graph.user", "#microsoft.graph.group"] = Field(alias="@odata.type")
    displayName: Optional[Name] = None
    userPrincipalName: Optional[Name] = None
    onPremisesSyncEnabled: Optional[bool] = None
    isAssignableToRole: Optional[bool] = None
    #: A group's transitive user members (each holds the group's roles); absent in older exports.
    members: Optional[list[Guid]] = Field(default=None, max_length=MAX_ITEMS["members"])


class Snapshot(BaseModel):
    """The whole document: the header keys and every collection, nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True)
    schemaVersion: Literal[2]
    tenantId: Guid
    exportedAt: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64)]
    toolVersion: Annotated[str, StringConstraints(strict=True, max_length=256)]
    #: Collections export did not read because the stack gives no reason to (collection -> why).
    skipped: Optional[dict[Literal[COLLECTIONS + OPTIONAL_COLLECTIONS], Annotated[str, StringConstraints(strict=True, max_length=1024)]]] = None  # type: ignore[valid-type]
    conditionalAccessPolicies: list[_CAPolicy] = _items("conditionalAccessPolicies")
    namedLocations: list[_Named] = _items("namedLocations")
    authenticationStrengthPolicies: list[_Named] = _items("authenticationStrengthPolicies")
    groups: list[_Group] = _items("groups")
    roleManagementPolicies: list[_PimPolicy] = _items("roleManagementPolicies")
    roleManagementPolicyAssignments: list[_PimAssignment] = _items("roleManagementPolicyAssignments")
    deviceCompliancePolicies: list[_Compliance] = _items("deviceCompliancePolicies")
    roleDefinitions: list[_RoleDefinition] = _items("roleDefinitions")
    managedAppPolicies: Optional[list[_AppProtection]] = Field(default=None, max_length=MAX_ITEMS["managedAppPolicies"])
    deviceManagementSettings: Optional[list[_DeviceManagementSettings]] = Field(default=None, max_length=MAX_ITEMS["deviceManagementSettings"])
    roleAssignments: Optional[list[_RoleAssignment]] = Field(default=None, max_length=MAX_ITEMS["roleAssignments"])
    accessReviewDefinitions: Optional[list[_AccessReview]] = _optional_items("accessReviewDefinitions")
    authenticationContextClassReferences: Optional[list[_AuthContext]] = _optional_items("authenticationContextClassReferences")
    groupRoleManagementPolicyAssignments: Optional[list[_GroupPimAssignment]] = _optional_items("groupRoleManagementPolicyAssignments")
    roleManagementAlertConfigurations: Optional[list[_AlertConfiguration]] = _optional_items("roleManagementAlertConfigurations")
    roleAssignmentScheduleInstances: Optional[list[_ScheduleInstance]] = _optional_items("roleAssignmentScheduleInstances")
    roleEligibilityScheduleInstances: Optional[list[_ScheduleInstance]] = _optional_items("roleEligibilityScheduleInstances")
    roleActivationRequests: Optional[list[_ActivationRequest]] = _optional_items("roleActivationRequests")
    rolePrincipals: Optional[list[_Principal]] = _optional_items("rolePrincipals")

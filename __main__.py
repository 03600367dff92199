"""The Pulumi program: read the stack config once, build the baseline, compose the components."""

from __future__ import annotations

import pulumi

from ztb.deploy import stack_config
from ztb.deploy.access_reviews import AccessReviews, AccessReviewsArgs
from ztb.deploy.app_protection import AppProtection, AppProtectionArgs
from ztb.deploy.auth_context import AuthContextArgs, AuthenticationContexts
from ztb.deploy.conditional_access import ConditionalAccessArgs, PrivilegedConditionalAccess
from ztb.deploy.device_compliance import DeviceCompliance, DeviceComplianceArgs
from ztb.deploy.device_settings import IntuneComplianceSettings, IntuneComplianceSettingsArgs
from ztb.deploy.pim_alerts import PimAlerts, PimAlertsArgs
from ztb.deploy.pim_group_settings import PimGroupSettings, PimGroupSettingsArgs
from ztb.deploy.pim_role_settings import PimRoleSettings, PimRoleSettingsArgs
from ztb.deploy.privileged_groups import PrivilegedGroups, PrivilegedGroupsArgs
from ztb.deploy.role_eligibility import RoleEligibility, RoleEligibilityArgs
from ztb.deploy.security_apps import SecurityApps, SecurityAppsArgs
from ztb.model.groups import GROUP_IDS_OUTPUT

baseline = stack_config.load_baseline()
for warning in baseline.warnings:
    pulumi.log.warn(warning)

groups = PrivilegedGroups("baseline-groups", PrivilegedGroupsArgs.of(baseline))
apps = SecurityApps("baseline-apps", SecurityAppsArgs.of(baseline))
contexts = AuthenticationContexts("baseline-auth-context", AuthContextArgs.of(baseline))
conditional_access = PrivilegedConditionalAccess(
    "baseline-ca", ConditionalAccessArgs.of(baseline, groups.ids, apps.client_ids, contexts.by_claim))
pim = PimRoleSettings("baseline-pim", PimRoleSettingsArgs.of(baseline, groups.ids))
eligibility = RoleEligibility("baseline-eligibility", RoleEligibilityArgs.of(baseline, groups.ids), pim=pim)
compliance = DeviceCompliance("baseline-compliance", DeviceComplianceArgs.of(baseline, groups.ids))
app_protection = AppProtection("baseline-app-protection", AppProtectionArgs.of(baseline, groups.ids))
intune_settings = IntuneComplianceSettings("baseline-intune-settings", IntuneComplianceSettingsArgs.of(baseline))
pim_groups = PimGroupSettings("baseline-pim-groups", PimGroupSettingsArgs.of(baseline, groups.ids))
reviews = AccessReviews("baseline-reviews", AccessReviewsArgs.of(baseline, groups.ids))
alerts = PimAlerts("baseline-pim-alerts", PimAlertsArgs.of(baseline))

pulumi.export(GROUP_IDS_OUTPUT, groups.ids)
pulumi.export("conditionalAccessPolicyIds", conditional_access.policy_ids)
pulumi.export("galleryAppClientIds", apps.client_ids)
pulumi.export("pimPolicyIds", pim.policy_ids)
pulumi.export("eligibilityScheduleIds", eligibility.schedule_ids)
pulumi.export("compliancePolicyIds", compliance.policy_ids)
pulumi.export("appProtectionPolicyIds", app_protection.policy_ids)
pulumi.export("pimGroupPolicyIds", pim_groups.policy_ids)
pulumi.export("accessReviewIds", reviews.review_ids)
pulumi.export("pimAlertIds", alerts.alert_ids)
pulumi.export("controls", [c.id for c in baseline.controls])

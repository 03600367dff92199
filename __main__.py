"""The Pulumi program: read the stack config once, build the baseline, compose the components."""

import pulumi

from ztb.deploy import stack_config
from ztb.deploy.conditional_access import PrivilegedConditionalAccess
from ztb.deploy.device_compliance import DeviceCompliance
from ztb.deploy.pim_role_settings import PimRoleSettings
from ztb.deploy.privileged_groups import PrivilegedGroups
from ztb.deploy.role_eligibility import RoleEligibility
from ztb.model.baseline import build

baseline = build(stack_config.load())
for warning in baseline.warnings:
    pulumi.log.warn(warning)

groups = PrivilegedGroups("baseline-groups", baseline)
conditional_access = PrivilegedConditionalAccess("baseline-ca", baseline, groups.ids)
pim = PimRoleSettings("baseline-pim", baseline, groups.ids)
eligibility = RoleEligibility("baseline-eligibility", baseline, groups.ids, pim=pim)
compliance = DeviceCompliance("baseline-compliance", baseline, groups.ids)

pulumi.export("groupIds", groups.ids)
pulumi.export("conditionalAccessPolicyIds", conditional_access.policy_ids)
pulumi.export("pimPolicyIds", pim.policy_ids)
pulumi.export("eligibilityScheduleIds", eligibility.schedule_ids)
pulumi.export("compliancePolicyIds", compliance.policy_ids)
pulumi.export("controls", [c.id for c in baseline.controls])

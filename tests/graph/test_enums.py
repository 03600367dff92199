"""Every enum value the baseline sends to Graph is one msgraph-sdk's generated models know.

The lists come from the SDK (generated from Graph's metadata), never typed by hand here, so a
typo such as `exchangeActivesync` or `iOs` fails this test instead of a deployment.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from msgraph.generated.models.conditional_access_client_app import ConditionalAccessClientApp
from msgraph.generated.models.conditional_access_device_platform import ConditionalAccessDevicePlatform
from msgraph.generated.models.conditional_access_grant_control import ConditionalAccessGrantControl
from msgraph.generated.models.conditional_access_policy_state import ConditionalAccessPolicyState
from msgraph.generated.models.device_threat_protection_level import DeviceThreatProtectionLevel
from msgraph.generated.models.persistent_browser_session_mode import PersistentBrowserSessionMode
from msgraph.generated.models.risk_level import RiskLevel
from msgraph.generated.models.sign_in_frequency_authentication_type import SignInFrequencyAuthenticationType
from msgraph.generated.models.sign_in_frequency_interval import SignInFrequencyInterval
from msgraph.generated.models.signin_frequency_type import SigninFrequencyType
from msgraph.generated.models.unified_role_management_policy_rule_target_operations import (
    UnifiedRoleManagementPolicyRuleTargetOperations,
)

from ztb.config import validate
from ztb.model.baseline import build

from tests.model.test_model import SAMPLE, values

ENUM_FIELDS = {
    "state": ConditionalAccessPolicyState,
    "clientAppTypes": ConditionalAccessClientApp,
    "builtInControls": ConditionalAccessGrantControl,
    "signInRiskLevels": RiskLevel,
    "userRiskLevels": RiskLevel,
    "includePlatforms": ConditionalAccessDevicePlatform,
    "excludePlatforms": ConditionalAccessDevicePlatform,
    "mode": PersistentBrowserSessionMode,
    "frequencyInterval": SignInFrequencyInterval,
    "type": SigninFrequencyType,
    "authenticationType": SignInFrequencyAuthenticationType,
    "operations": UnifiedRoleManagementPolicyRuleTargetOperations,
    "deviceThreatProtectionRequiredSecurityLevel": DeviceThreatProtectionLevel,
}


def enum_values(obj: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from enum_values(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from enum_values(v, key)
    elif key in ENUM_FIELDS and obj is not None:
        yield key, obj


def baselines():
    yield "sample", SAMPLE
    yield "enterprise, evaluate, report-only", build(validate(values(level="enterprise", phase="evaluate", reportOnly=True)))
    yield "secured devices", build(validate(values(deviceCompliance={"deviceThreatLevel": "secured"})))


@pytest.mark.parametrize("label,baseline", list(baselines()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_enum_value_sent_to_graph_is_known_to_msgraph_sdk(label, baseline):
    seen = 0
    for control in baseline.controls:
        for key, value in enum_values(control.desired):
            if key == "type" and value not in ("hours", "days"):
                continue  # `type` is also a schedule expiration type (afterDuration); not this enum
            allowed = {m.value.lower() for m in ENUM_FIELDS[key]}
            assert str(value).lower() in allowed, f"{control.id}: {key}={value!r} is not in {ENUM_FIELDS[key].__name__}"
            seen += 1
    assert seen > 50


def test_policy_states_match_the_sdk_exactly():
    # Graph is case-sensitive on writes for CA states: compare exactly, not folded.
    for control in SAMPLE.of_kind("conditionalAccessPolicy"):
        assert control.desired["state"] in {m.value for m in ConditionalAccessPolicyState}

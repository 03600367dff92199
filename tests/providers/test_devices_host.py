"""The device providers inside the Pulumi SDK's own provider host, driven over gRPC, against the Graph double.

The compliance provider now serves every platform through the Graph version its control names (iOS
over v1.0, Android fully managed over beta); app protection is the same implementation on another
collection; secureByDefault is written as Graph requires (the whole settings value) and put back on
delete. The inputs are those the real ``__main__.py`` registers under the mocks, as in
tests/doubles/host.py, whose host, engine and wire helpers this module reuses.
"""

from __future__ import annotations

import base64
import pickletools

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from tests.conftest import BaselineMocks, stack_values
from tests.doubles.graph import graph, graph_server  # noqa: F401 (fixtures)
from tests.doubles.host import (  # noqa: F401 (fixtures)
    NONE, SOME, FreshStackMocks, check, create, delete, diff, edited, engine, host, plain, read, update, with_unknown,
)
from tests.doubles.host import register as register_types
from ztb.providers.app_protection import AppProtectionPolicyProvider
from ztb.providers.compliance import DeviceCompliancePolicyProvider
from ztb.providers.device_settings import DeviceManagementSettingsProvider

COMPLIANCE = "pulumi-python:dynamic/ztb:DeviceCompliancePolicy"
APP_PROTECTION = "pulumi-python:dynamic/ztb:AppProtectionPolicy"
SETTINGS = "pulumi-python:dynamic/ztb:DeviceManagementSettings"
PROVIDERS = {COMPLIANCE: DeviceCompliancePolicyProvider, APP_PROTECTION: AppProtectionPolicyProvider,
             SETTINGS: DeviceManagementSettingsProvider}
IOS = "baseline-compliance-priv-dev-03"
FULLY_MANAGED = "baseline-compliance-priv-dev-05"
MAM_IOS = "baseline-app-protection-priv-mam-01"
SECURE_BY_DEFAULT = "baseline-intune-settings-priv-dev-20"


def register(mocks: BaselineMocks, preview: bool) -> dict:
    values = stack_values()
    values["ztb:deviceCompliance"] = {**values["ztb:deviceCompliance"], "secureByDefault": True}  # opted in: declared
    return {name: s for name, (_, s) in register_types(mocks, preview, PROVIDERS, values).items()}


@pytest.fixture(scope="module")
def deployed() -> dict:
    return register(BaselineMocks(), preview=False)


@pytest.fixture(scope="module")
def fresh_preview() -> dict:
    return register(FreshStackMocks(), preview=True)


def typ_of(name: str) -> str:
    return SETTINGS if "intune-settings" in name else APP_PROTECTION if "app-protection" in name else COMPLIANCE


@pytest.mark.parametrize("typ", sorted(PROVIDERS))
def test_each_device_provider_is_pickled_as_its_permanent_class_by_reference(deployed, typ):
    news = next(s for n, s in deployed.items() if typ_of(n) == typ)
    registered = news.fields["__provider"].string_value
    assert registered == serialize_provider(PROVIDERS[typ]())
    names = [arg for op, arg, _ in pickletools.genops(base64.b64decode(registered)) if isinstance(arg, str)]
    assert names == [PROVIDERS[typ].__module__, PROVIDERS[typ].__name__]


def test_the_program_registers_one_resource_per_device_control(deployed):
    assert sorted(deployed) == sorted([f"baseline-compliance-priv-dev-0{i}" for i in range(1, 6)]
                                      + [MAM_IOS, "baseline-app-protection-priv-mam-02", SECURE_BY_DEFAULT])


def test_a_fresh_preview_checks_every_device_resource_without_failures(host, fresh_preview):
    for name, news in fresh_preview.items():
        answer = check(host, typ_of(name), name, news)
        assert list(answer.failures) == [], name
        assert answer.inputs.fields["assignments" if "settings" not in name else "secureByDefault"] is not None


@pytest.mark.parametrize("name,version", [(IOS, "v1.0"), (FULLY_MANAGED, "beta")])
def test_a_compliance_policy_is_written_through_the_graph_version_its_control_names(host, graph, deployed, name, version):
    news = deployed[name]
    answer = create(host, COMPLIANCE, name, news)
    post, assign = graph.sent("POST")
    assert (post.version, post.path) == (version, "/deviceManagement/deviceCompliancePolicies")
    assert (assign.version, assign.path) == (version, f"/deviceManagement/deviceCompliancePolicies/{answer.id}/assign")
    assert len(graph.compliance_assignments[answer.id]) == 4  # the privileged group and the three rings
    outs = answer.properties
    assert diff(host, COMPLIANCE, name, answer.id, outs, check(host, COMPLIANCE, name, news, outs).inputs).changes == NONE

    refreshed = read(host, COMPLIANCE, name, answer.id, properties=outs)
    assert plain(refreshed.properties)["graphVersion"] == version
    graph.requests.clear()
    key = "passcodeMinimumLength" if name == IOS else "passwordMinimumLength"
    longer = edited(news, lambda d: d["policy"].update({key: 8}))
    assert diff(host, COMPLIANCE, name, answer.id, outs, longer).changes == SOME
    updated = update(host, COMPLIANCE, name, answer.id, outs, longer)
    (patch,) = graph.sent("PATCH")
    assert patch.version == version and patch.body == {"@odata.type": plain(news)["policy"]["@odata.type"], key: 8}
    delete(host, COMPLIANCE, name, answer.id, updated.properties)
    assert graph.compliance == {} and graph.sent("DELETE")[0].version == version


def test_v1_refuses_a_beta_only_type_so_the_version_is_not_cosmetic(host, graph, deployed):
    wrong = edited(deployed[FULLY_MANAGED], lambda d: d.update(graphVersion="v1.0"))
    with pytest.raises(Exception, match="type this version lacks"):
        create(host, COMPLIANCE, FULLY_MANAGED, wrong)


def test_an_app_protection_policy_through_the_host(host, graph, deployed):
    news = deployed[MAM_IOS]
    answer = create(host, APP_PROTECTION, MAM_IOS, news)
    post, assign = graph.sent("POST")
    assert (post.version, post.path) == ("beta", "/deviceAppManagement/iosManagedAppProtections")
    assert "scheduledActionsForRule" not in post.body and post.body["appGroupType"] == "allMicrosoftApps"
    assert assign.path == f"/deviceAppManagement/iosManagedAppProtections/{answer.id}/assign"
    assert len(graph.app_protection_assignments[answer.id]) == 4
    outs = answer.properties
    assert diff(host, APP_PROTECTION, MAM_IOS, answer.id, outs, check(host, APP_PROTECTION, MAM_IOS, news, outs).inputs).changes == NONE
    # Another platform's collection cannot hold the policy: a replacement, also when not known yet.
    for other in (edited(news, lambda d: d.update(collection="androidManagedAppProtections")), with_unknown(news, "collection")):
        answer_diff = diff(host, APP_PROTECTION, MAM_IOS, answer.id, outs, other)
        assert answer_diff.changes == SOME and "collection" in list(answer_diff.replaces)

    graph.requests.clear()
    fewer = edited(news, lambda d: d.update(assignments=d["assignments"][:1]))
    updated = update(host, APP_PROTECTION, MAM_IOS, answer.id, outs, fewer)
    assert [r.path.rsplit("/", 1)[-1] for r in graph.sent("POST")] == ["assign"]
    assert len(graph.app_protection_assignments[answer.id]) == 1
    delete(host, APP_PROTECTION, MAM_IOS, answer.id, updated.properties)
    assert graph.app_protection["iosManagedAppProtections"] == {}


def test_a_collection_that_is_not_app_protection_is_refused_by_check(host, deployed):
    bad = edited(deployed[MAM_IOS], lambda d: d.update(collection="deviceCompliancePolicies"))
    assert [f.property for f in check(host, APP_PROTECTION, MAM_IOS, bad).failures] == ["collection"]


def test_secure_by_default_is_written_whole_and_put_back_on_delete(host, graph, deployed):
    graph.device_settings = {"deviceComplianceCheckinThresholdDays": 4, "isScheduledActionEnabled": True, "secureByDefault": False}
    news = deployed[SECURE_BY_DEFAULT]
    answer = create(host, SETTINGS, SECURE_BY_DEFAULT, news)
    assert answer.id == "deviceManagementSettings"
    (patch,) = graph.sent("PATCH")
    assert (patch.version, patch.path) == ("v1.0", "/deviceManagement")
    # A complex value is replaced whole: the tenant's other settings travel with the one the stack changes.
    assert patch.body["settings"] == {"deviceComplianceCheckinThresholdDays": 4, "isScheduledActionEnabled": True, "secureByDefault": True}
    assert graph.device_settings["secureByDefault"] is True
    assert plain(answer.properties)["previous"] == {"secureByDefault": False}

    graph.device_settings["secureByDefault"] = False  # someone turns it off in the portal
    refreshed = read(host, SETTINGS, SECURE_BY_DEFAULT, answer.id, properties=answer.properties)
    assert diff(host, SETTINGS, SECURE_BY_DEFAULT, answer.id, refreshed.properties, news).changes == SOME
    graph.device_settings["secureByDefault"] = True
    graph.requests.clear()
    delete(host, SETTINGS, SECURE_BY_DEFAULT, answer.id, answer.properties)
    (restore,) = graph.sent("PATCH")
    assert restore.body["settings"]["secureByDefault"] is False and graph.device_settings["secureByDefault"] is False
    assert graph.device_settings["deviceComplianceCheckinThresholdDays"] == 4

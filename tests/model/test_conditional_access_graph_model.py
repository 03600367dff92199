"""Every policy of issue 13, in every form the config can give it, against Microsoft's generated
msgraph-sdk models (the Graph-model check) and the schema of the provider that deploys it.

The ideal tenant's policies (refs resolved as a tenant would hold them) are parsed into
``msgraph.generated.models.ConditionalAccessPolicy``: an unknown property lands in
``additional_data`` and an unknown enum member parses as None, so a typo in the model fails here.
"""

from __future__ import annotations

import json

import pytest
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph.generated.models.conditional_access_policy import ConditionalAccessPolicy

from tests.conftest import SAMPLE_STACK
from ztb.compare.normalize import compare
from ztb.config import load_stack_file, validate
from ztb.deploy import azuread, graph_ca
from ztb.model.baseline import build
from ztb.tenant.ideal import ideal_snapshot

ISSUE_13 = ("PRIV-CA-04", "PRIV-CA-08", "PRIV-CA-09", "PRIV-CA-10", "PRIV-CA-11")


def variant(**changes):
    cfg = load_stack_file(SAMPLE_STACK).model_dump()
    cfg.update(changes)
    return build(validate(cfg))


VARIANTS = {
    "sample": variant(),
    "passwordChange": variant(userRiskRemediation="passwordChange"),
    "enterprise": variant(level="enterprise"),
    "cloudAppSecurity": variant(cloudAppSecurity="blockDownloads"),
    "evaluate, report-only, no gallery app": variant(phase="evaluate", reportOnly=True, galleryApps=[]),
}


def parsed(raw: dict) -> ConditionalAccessPolicy:
    return JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(raw).encode()).get_object_value(ConditionalAccessPolicy)


@pytest.mark.parametrize("label", sorted(VARIANTS))
def test_each_new_policy_parses_into_the_sdk_model_with_known_enums_only(label):
    b = VARIANTS[label]
    policies = {p["displayName"]: p for p in ideal_snapshot(b)["conditionalAccessPolicies"]}
    for c in b.of_kind("conditionalAccessPolicy"):
        if c.id not in ISSUE_13:
            continue
        model = parsed(policies[c.display_name])
        assert set(model.additional_data) == set(), c.id
        assert set(model.conditions.additional_data) == set() and set(model.conditions.applications.additional_data) == set(), c.id
        assert model.state is not None, c.id
        if model.grant_controls:
            assert None not in (model.grant_controls.built_in_controls or []), c.id
        flows = model.conditions.authentication_flows
        if c.id == "PRIV-CA-11":
            assert {m.value for m in flows.transfer_methods} == {"deviceCodeFlow", "authenticationTransfer"}
        mcas = model.session_controls.cloud_app_security if model.session_controls else None
        if c.id == "PRIV-CA-08" and b.config.cloudAppSecurity:
            assert mcas.cloud_app_security_type.value == b.config.cloudAppSecurity and mcas.is_enabled is True
        if c.id in ("PRIV-CA-09", "PRIV-CA-10"):
            assert model.conditions.applications.include_user_actions == [c.desired["conditions"]["applications"]["includeUserActions"][0]]
            assert model.conditions.applications.include_applications == []


def test_the_user_actions_are_the_two_graph_supports():
    # conditionalAccessApplications.includeUserActions: "Supported values are urn:user:registersecurityinfo
    # and urn:user:registerdevice" (Graph v1.0 resource reference).
    b = VARIANTS["sample"].by_id()
    assert b["PRIV-CA-09"].desired["conditions"]["applications"]["includeUserActions"] == ["urn:user:registersecurityinfo"]
    assert b["PRIV-CA-10"].desired["conditions"]["applications"]["includeUserActions"] == ["urn:user:registerdevice"]


@pytest.mark.parametrize("label", sorted(VARIANTS))
def test_each_policy_passes_the_schema_of_the_provider_that_deploys_it_and_round_trips(label):
    for c in VARIANTS[label].of_kind("conditionalAccessPolicy"):
        if c.meta.via_graph:
            assert graph_ca.deployability_problems(c.desired) == [], c.id
            with pytest.raises(azuread.UnsupportedByAzureadError):
                azuread.to_azuread(c.desired)  # the reason it goes through the Graph provider
            continue
        wire = azuread.to_azuread(c.desired)
        assert azuread.deployability_problems(wire) == [], c.id
        assert compare("conditionalAccessPolicy", c.desired, azuread.to_graph(wire)) == [], c.id


def test_risk_remediation_goes_through_graph_and_password_change_through_pulumi_azuread():
    assert VARIANTS["sample"].by_id()["PRIV-CA-04"].meta.via_graph is True
    password = VARIANTS["passwordChange"].by_id()["PRIV-CA-04"]
    assert password.meta.via_graph is False
    assert password.desired["grantControls"]["builtInControls"] == ["mfa", "passwordChange"]
    enterprise = VARIANTS["enterprise"].by_id()["PRIV-CA-04"].desired["grantControls"]
    assert enterprise["builtInControls"] == ["riskRemediation"] and enterprise["authenticationStrength"] == {"id": "00000000-0000-0000-0000-000000000002"}


def test_the_wire_forms_of_the_new_conditions_are_pulumi_azuread_s():
    b = VARIANTS["cloudAppSecurity"].by_id()
    wire = azuread.to_azuread(b["PRIV-CA-11"].desired)
    assert wire["conditions"]["authenticationFlowTransferMethods"] == ["deviceCodeFlow", "authenticationTransfer"]
    assert azuread.to_azuread(b["PRIV-CA-08"].desired)["sessionControls"] == {"cloudAppSecurityPolicy": "blockDownloads"}
    assert azuread.to_azuread(b["PRIV-CA-09"].desired)["conditions"]["applications"] == {"includedUserActions": ["urn:user:registersecurityinfo"]}


@pytest.mark.parametrize("policy_change,fact", [
    (lambda p: p["grantControls"].pop("authenticationStrength"), "authentication strength"),
    (lambda p: p["sessionControls"].clear(), "sign-in frequency every time"),
    (lambda p: p["grantControls"]["builtInControls"].append("mfa"), "combined with other grant controls"),
    (lambda p: p["conditions"].__setitem__("userRiskLevels", []), "userRiskLevels is empty"),
    (lambda p: p["conditions"]["applications"].__setitem__("includeApplications", ["Office365"]), "all resources"),
    (lambda p: p["conditions"]["users"].__setitem__("excludeGroups", []), "emergency-access exclusion is missing"),
    (lambda p: p.__setitem__("state", "on"), "state"),
    (lambda p: p["grantControls"]["builtInControls"].__setitem__(0, "unknownFutureValue"), "is not one of"),
])
def test_the_graph_provider_schema_refuses_what_graph_would(policy_change, fact):
    import copy

    policy = copy.deepcopy(VARIANTS["sample"].by_id()["PRIV-CA-04"].desired)
    policy_change(policy)
    assert any(fact in p for p in graph_ca.deployability_problems(policy)), graph_ca.deployability_problems(policy)

"""The tenant terraform-provider-azuread writes right after `pulumi up` is in sync.

The provider (v3.9.0, bridged by pulumi-azuread 6.11) does not send the session controls the
model declares, but its own expansion of them (internal/services/conditionalaccess/
conditionalaccess.go, expandConditionalAccessSessionControls): when the sign-in frequency
interval is not ``everyTime`` it always adds ``applicationEnforcedRestrictions: {isEnabled:
false}`` and ``disableResilienceDefaults: false``; a policy without a session_controls block is
sent as an empty object. :func:`provider_sends` below is that expansion written from the source,
step by step, fed with the component's real inputs (``ztb.deploy.azuread.to_azuread``), and
:func:`graph_reads_back` is Graph's GET of what was sent (every property present, unset ones
``null``). Neither uses the normaliser under test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.drift.test_detect import IDEAL, SAMPLE, ca, findings
from ztb.deploy.azuread import to_azuread
from ztb.drift.detect import detect

#: conditionalAccessSessionControls properties as Graph's GET lists them.
GRAPH_SESSION_PROPERTIES = ("disableResilienceDefaults", "applicationEnforcedRestrictions", "cloudAppSecurity",
                            "persistentBrowser", "signInFrequency", "continuousAccessEvaluation", "secureSignInSession")
SIGN_IN_FREQUENCY_PROPERTIES = ("value", "type", "authenticationType", "frequencyInterval", "isEnabled")
PRIMARY_AND_SECONDARY = "primaryAndSecondaryAuthentication"


def provider_sends(wire: dict[str, Any] | None) -> dict[str, Any] | None:
    """expandConditionalAccessSessionControls, on the wire-form session_controls inputs."""
    if not wire:
        return {}  # `if len(in) == 0 || in[0] == nil { return &result }`: an empty object
    # Schema defaults of the bools the model never sets (TypeBool, Optional, default false).
    app_enforced = bool(wire.get("applicationEnforcedRestrictionsEnabled", False))
    disable_resilience = bool(wire.get("disableResilienceDefaults", False))
    result: dict[str, Any] = {}
    if wire.get("cloudAppSecurityPolicy"):
        result["cloudAppSecurity"] = {"isEnabled": True, "cloudAppSecurityType": wire["cloudAppSecurityPolicy"]}
    if wire.get("persistentBrowserMode"):
        result["persistentBrowser"] = {"isEnabled": True, "mode": wire["persistentBrowserMode"]}
    frequency: dict[str, Any] = {}
    if (wire.get("signInFrequency") or 0) > 0:
        frequency.update(isEnabled=True, type=wire.get("signInFrequencyPeriod"), value=int(wire["signInFrequency"]),
                         authenticationType=PRIMARY_AND_SECONDARY, frequencyInterval="timeBased")
    if wire.get("signInFrequencyAuthenticationType"):
        frequency["authenticationType"] = wire["signInFrequencyAuthenticationType"]
    if wire.get("signInFrequencyInterval"):
        frequency.update(isEnabled=True, authenticationType=wire.get("signInFrequencyAuthenticationType") or PRIMARY_AND_SECONDARY,
                         frequencyInterval=wire["signInFrequencyInterval"])
    if frequency.get("frequencyInterval") != "everyTime":  # hashicorp/terraform-provider-azuread#1225
        result["applicationEnforcedRestrictions"] = {"isEnabled": app_enforced}
        result["disableResilienceDefaults"] = disable_resilience
    if (frequency.get("isEnabled") or frequency.get("frequencyInterval") not in (None, "timeBased")
            or frequency.get("authenticationType") not in (None, PRIMARY_AND_SECONDARY)):
        result["signInFrequency"] = frequency
    aer = result.get("applicationEnforcedRestrictions")
    if ((aer is None or not aer["isEnabled"]) and "cloudAppSecurity" not in result and not result.get("disableResilienceDefaults")
            and "persistentBrowser" not in result and "signInFrequency" not in result):
        return None  # "API does not accept ineffectual sessionControls object"
    return result


def graph_reads_back(sent: dict[str, Any] | None) -> dict[str, Any] | None:
    """GET after the provider's POST: every property listed, those not sent as null."""
    if sent is None:
        return None
    out = {k: sent.get(k) for k in GRAPH_SESSION_PROPERTIES}
    if out["signInFrequency"] is not None:
        out["signInFrequency"] = {k: out["signInFrequency"].get(k) for k in SIGN_IN_FREQUENCY_PROPERTIES}
    return out


def provider_written_tenant() -> dict:
    snap = copy.deepcopy(IDEAL)
    for c in SAMPLE.of_kind("conditionalAccessPolicy"):
        if c.meta.via_graph:
            continue  # ztb's Graph provider (PRIV-CA-04) writes the model's session controls as they are
        ca(snap, c.id)["sessionControls"] = graph_reads_back(provider_sends(to_azuread(c.desired).get("sessionControls")))
    return snap


def test_the_tenant_the_provider_writes_after_pulumi_up_is_in_sync():
    snap = provider_written_tenant()
    # The provider's defaults are really there: the test would fail without the normaliser's rule.
    assert ca(snap, "PRIV-CA-06")["sessionControls"]["applicationEnforcedRestrictions"] == {"isEnabled": False}
    assert ca(snap, "PRIV-CA-06")["sessionControls"]["disableResilienceDefaults"] is False
    assert ca(snap, "PRIV-CA-04")["sessionControls"]["applicationEnforcedRestrictions"] is None  # everyTime: not sent
    assert ca(snap, "PRIV-CA-01")["sessionControls"] == {k: None for k in GRAPH_SESSION_PROPERTIES}  # `{}` sent
    report = detect(SAMPLE, snap)
    assert report.in_sync, [f.as_dict() for f in report.findings]


def test_a_session_control_the_provider_switches_on_is_still_drift():
    snap = provider_written_tenant()
    ca(snap, "PRIV-CA-06")["sessionControls"]["applicationEnforcedRestrictions"] = {"isEnabled": True}
    found = findings(snap)
    assert list(found) == ["PRIV-CA-06"]
    assert [c["path"] for c in found["PRIV-CA-06"]["changes"]] == ["sessionControls.applicationEnforcedRestrictions"]


OFF_FORMS = {
    "absent": ...,
    "null": None,
    "empty object": {},
    "isEnabled false": {"isEnabled": False},
    "isEnabled false with settings left behind": {"isEnabled": False, "mode": "always", "cloudAppSecurityType": "monitorOnly",
                                                   "value": 1, "type": "days", "frequencyInterval": "timeBased"},
}
SWITCHED_CONTROLS = ("applicationEnforcedRestrictions", "cloudAppSecurity", "persistentBrowser", "signInFrequency",
                     "secureSignInSession", "globalSecureAccessFilteringProfile")


@pytest.mark.parametrize("control", SWITCHED_CONTROLS)
@pytest.mark.parametrize("form", OFF_FORMS)
def test_every_form_of_a_switched_off_session_control_is_no_session_control(control, form):
    snap = copy.deepcopy(IDEAL)
    policy = ca(snap, "PRIV-CA-01")  # declares no session controls
    session = {"disableResilienceDefaults": False}
    if OFF_FORMS[form] is not ...:
        session[control] = copy.deepcopy(OFF_FORMS[form])
    policy["sessionControls"] = session
    assert findings(snap) == {}


@pytest.mark.parametrize("control,on", [
    ("applicationEnforcedRestrictions", {"isEnabled": True}),
    ("cloudAppSecurity", {"isEnabled": True, "cloudAppSecurityType": "monitorOnly"}),
    ("persistentBrowser", {"isEnabled": True, "mode": "always"}),
    ("secureSignInSession", {"isEnabled": True}),
    ("continuousAccessEvaluation", {"mode": "disabled"}),  # no switch: "disabled" turns CAE off, a setting
    ("disableResilienceDefaults", True),
])
def test_a_session_control_that_is_on_where_the_stack_declares_none_is_drift(control, on):
    snap = copy.deepcopy(IDEAL)
    ca(snap, "PRIV-CA-01")["sessionControls"] = {control: on}
    found = findings(snap)
    assert list(found) == ["PRIV-CA-01"], found
    (change,) = found["PRIV-CA-01"]["changes"]
    assert change["path"] == "sessionControls" and change["actual"] == {control: on}


@pytest.mark.parametrize("control", ["signInFrequency", "persistentBrowser"])
def test_switching_off_a_declared_session_control_weakens_even_with_its_settings_left(control):
    snap = copy.deepcopy(IDEAL)
    ca(snap, "PRIV-CA-06")["sessionControls"][control]["isEnabled"] = False
    found = findings(snap)["PRIV-CA-06"]
    assert found["impact"] == "weakens", found
    (change,) = found["changes"]
    assert change["path"] == f"sessionControls.{control}" and change["actual"] is None


def test_an_unmanaged_policy_with_only_switched_off_session_controls_has_no_session_controls():
    snap = copy.deepcopy(IDEAL)
    extra = copy.deepcopy(ca(snap, "PRIV-CA-03"))  # keeps the break-glass exclusions, only adds a grant
    extra.update(id="f00dcafe-0000-4000-8000-0000000000e1", displayName="Terraform-written admin MFA", state="enabled",
                 sessionControls={"applicationEnforcedRestrictions": {"isEnabled": False}, "disableResilienceDefaults": False,
                                  "persistentBrowser": None, "signInFrequency": {"isEnabled": False, "frequencyInterval": "timeBased"}})
    snap["conditionalAccessPolicies"].append(extra)
    found = findings(snap)["UNMANAGED-CA-f00dcafe"]
    assert found["impact"] == "neutral", found  # not "session controls that may conflict"

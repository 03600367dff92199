"""Weakening verdicts of issue 13's policies, on Microsoft's own payloads.

The admin templates as `GET /beta/conditionalAccess/templates` returns them
(`tests/fixtures/graph/conditionalaccess-templates-admin.response.json`) are what a tenant admin
gets when they "fix" a baseline policy from the portal's template gallery: each such change, applied
to the in-sync ideal tenant, must be judged the way the baseline means it (drift and review share
the classifier).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_STACK
from ztb.compare import classify as cl
from ztb.config import load_stack_file, validate
from ztb.drift.detect import detect
from ztb.model.baseline import build
from ztb.tenant.ideal import ideal_snapshot

TEMPLATES = {t["id"]: t["details"] for t in json.loads(
    (Path(__file__).parents[1] / "fixtures" / "graph" / "conditionalaccess-templates-admin.response.json").read_text())["value"]}
PASSWORD_CHANGE = TEMPLATES["634b6de7-c38d-4357-a2c7-3842706eedd7"]
SECURITY_INFO = TEMPLATES["b8bda7f8-6584-4446-bce9-d871480e53fa"]
SAMPLE = build(load_stack_file(SAMPLE_STACK))
IDEAL = ideal_snapshot(SAMPLE)


def ca(snap: dict, control_id: str) -> dict:
    return next(p for p in snap["conditionalAccessPolicies"] if f" {control_id} " in p["displayName"])


def finding(change, baseline=SAMPLE, snapshot=None) -> dict:
    snap = copy.deepcopy(snapshot or IDEAL)
    change(snap)
    found = {f.control_id: f.as_dict() for f in detect(baseline, snap).findings}
    assert len(found) == 1, found
    return next(iter(found.values()))


def test_the_in_sync_tenant_holds_every_new_policy_and_reports_nothing():
    report = detect(SAMPLE, copy.deepcopy(IDEAL))
    assert report.in_sync and report.findings == []
    names = {p["displayName"] for p in IDEAL["conditionalAccessPolicies"]}
    for cid in ("PRIV-CA-04", "PRIV-CA-09", "PRIV-CA-10", "PRIV-CA-11"):
        assert any(f" {cid} " in n for n in names), cid


def test_the_password_change_template_s_grant_on_priv_ca_04_weakens():
    """An admin "restores" Microsoft's template grant: passwordless admins are left blocked again."""
    f = finding(lambda s: ca(s, "PRIV-CA-04").__setitem__("grantControls", copy.deepcopy(PASSWORD_CHANGE["grantControls"])))
    assert f["impact"] == "weakens" and "riskRemediation removed" in f["reason"]


def test_moving_a_password_tenant_to_risk_remediation_strengthens():
    password = build(validate({**load_stack_file(SAMPLE_STACK).model_dump(), "userRiskRemediation": "passwordChange"}))
    verdict = cl.classify("conditionalAccessPolicy", "grantControls.builtInControls",
                          PASSWORD_CHANGE["grantControls"]["builtInControls"], ["riskRemediation"])
    assert verdict.impact == cl.STRENGTHENS and "passwordless" in verdict.reason
    # and the template's own grant is exactly what the password tenant's PRIV-CA-04 asks
    assert password.by_id()["PRIV-CA-04"].desired["grantControls"]["builtInControls"] == PASSWORD_CHANGE["grantControls"]["builtInControls"]


def test_the_security_info_template_s_trusted_location_exemption_on_priv_ca_09_weakens():
    f = finding(lambda s: ca(s, "PRIV-CA-09")["conditions"].__setitem__("locations", copy.deepcopy(SECURITY_INFO["conditions"]["locations"])))
    assert f["impact"] == "weakens" and "locations" in f["reason"]


def test_the_security_info_template_s_global_admin_exclusion_on_priv_ca_09_weakens():
    excluded = SECURITY_INFO["conditions"]["users"]["excludeRoles"]
    f = finding(lambda s: ca(s, "PRIV-CA-09")["conditions"]["users"].__setitem__("excludeRoles", list(excluded)))
    assert f["impact"] == "weakens"


def test_the_security_info_template_s_plain_mfa_grant_keeps_the_tap_path_but_is_a_change():
    # The template asks builtInControls mfa; the baseline asks the MFA *strength* (TAP satisfies both).
    f = finding(lambda s: ca(s, "PRIV-CA-09").__setitem__("grantControls", copy.deepcopy(SECURITY_INFO["grantControls"])))
    assert f["status"] == "changed" and f["impact"] == "weakens"  # the strength is gone: judged by what it held


@pytest.mark.parametrize("methods,impact", [
    ("authenticationTransfer", "weakens"),
    ("deviceCodeFlow", "weakens"),
    ("none", "weakens"),
    ("authenticationTransfer,deviceCodeFlow", None),  # Graph's order: not a change
])
def test_device_code_and_authentication_transfer_block_verdicts(methods, impact):
    snap = copy.deepcopy(IDEAL)
    ca(snap, "PRIV-CA-11")["conditions"]["authenticationFlows"]["transferMethods"] = methods
    found = {f.control_id: f.as_dict() for f in detect(SAMPLE, snap).findings}
    if impact is None:
        assert found == {}
    else:
        assert found["PRIV-CA-11"]["impact"] == impact


def test_the_block_losing_its_authentication_flows_condition_blocks_every_sign_in_and_is_reported():
    f = finding(lambda s: ca(s, "PRIV-CA-11")["conditions"].__setitem__("authenticationFlows", None))
    assert f["status"] == "changed"


def test_registering_devices_without_the_user_action_weakens():
    f = finding(lambda s: ca(s, "PRIV-CA-10")["conditions"]["applications"].__setitem__("includeUserActions", []))
    assert f["impact"] == "weakens" and "urn:user:registerdevice" in f["reason"]


MCAS = build(validate({**load_stack_file(SAMPLE_STACK).model_dump(), "cloudAppSecurity": "blockDownloads"}))
MCAS_IDEAL = ideal_snapshot(MCAS)


@pytest.mark.parametrize("change,impact", [
    (lambda s: ca(s, "PRIV-CA-08")["sessionControls"].__setitem__("cloudAppSecurity", None), "weakens"),
    (lambda s: ca(s, "PRIV-CA-08")["sessionControls"]["cloudAppSecurity"].__setitem__("isEnabled", False), "weakens"),
    (lambda s: ca(s, "PRIV-CA-08")["sessionControls"]["cloudAppSecurity"].__setitem__("cloudAppSecurityType", "monitorOnly"), "weakens"),
])
def test_defender_for_cloud_apps_session_control_verdicts(change, impact):
    f = finding(change, MCAS, MCAS_IDEAL)
    assert f["impact"] == impact, f


def test_a_stronger_defender_session_type_strengthens():
    verdict = cl.classify("conditionalAccessPolicy", "sessionControls.cloudAppSecurity.cloudAppSecurityType", "monitorOnly", "blockDownloads")
    assert verdict.impact == cl.STRENGTHENS


def test_the_in_sync_tenant_with_defender_session_control_is_clean():
    assert detect(MCAS, copy.deepcopy(MCAS_IDEAL)).in_sync


def test_an_existing_stack_s_ring_that_is_not_role_assignable_is_weakening_drift():
    def flip(s):
        next(g for g in s["groups"] if g["displayName"].endswith("Ring 2 - Pilot"))["isAssignableToRole"] = False
    f = finding(flip)
    assert f["controlId"] == "PRIV-GRP-12" and f["impact"] == "weakens" and "assignable" in f["reason"]

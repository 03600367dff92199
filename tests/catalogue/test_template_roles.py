"""The role catalogue against Microsoft's admin templates, as Graph returns them.

`tests/fixtures/graph/conditionalaccess-templates-admin.response.json` holds the templates'
`includeRoles` (see the fixtures README): the catalogue's flags must say exactly which roles each
template names, and PRIV-CA-01's crosswalk must cite the template whose criteria it meets.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from ztb.catalogue import crosswalk
from ztb.catalogue import roles as rc
from ztb.cli import cli
from ztb.config import load_stack_file, validate
from ztb.model.baseline import build

TEMPLATES = {t["id"]: t for t in json.loads(
    (Path(__file__).parents[1] / "fixtures" / "graph" / "conditionalaccess-templates-admin.response.json").read_text())["value"]}
PHISH_RESISTANT = "76c03f19-ea37-4656-a772-a183b4ddb81d"
PLAIN_MFA = "c7503427-338e-4c5e-902d-abe252abfb43"
ADDED = {
    "Compliance Administrator": "17315797-102d-40b4-93e0-432062caca18",
    "Compliance Data Administrator": "e6d1a23a-da11-4be4-9570-befc86d067a7",
    "Dynamics 365 Administrator": "44367163-eba1-44c3-98af-f5787879f96a",
    "Power Platform Administrator": "11648597-926c-4cf3-9c36-bcebb0ba8dcc",
    "Teams Administrator": "69091246-20e8-4a56-aa4d-066075b2a7a8",
}


def template_roles(tid: str) -> set[str]:
    return set(TEMPLATES[tid]["details"]["conditions"]["users"]["includeRoles"])


def flagged(flag: str) -> set[str]:
    return {r.template_id for r in rc.catalogue() if r.flags[flag]}


def test_the_phishing_resistant_template_names_exactly_the_roles_flagged_for_it():
    assert flagged("msPhishResistantAdmins") == template_roles(PHISH_RESISTANT)
    assert len(template_roles(PHISH_RESISTANT)) == 19


def test_the_plain_mfa_template_names_exactly_the_14():
    assert flagged("msAdmin14") == template_roles(PLAIN_MFA)


def test_the_added_roles_carry_their_template_ids_and_say_which_list_names_them():
    for name, tid in ADDED.items():
        role = rc.resolve(name)
        assert role.template_id == tid and role.in_catalogue, name
    teams = rc.resolve("Teams Administrator")
    assert teams.counted_privileged_by == [rc.AUTHORITIES["msAdminRolesInclude"]]
    for name in ("Compliance Administrator", "Dynamics 365 Administrator", "Power Platform Administrator"):
        assert rc.resolve(name).counted_privileged_by == [rc.AUTHORITIES["msPhishResistantAdmins"]], name


def test_every_added_role_is_in_the_default_scope_and_gets_pim_settings():
    b = build(load_stack_file(SAMPLE_STACK))
    scope = {r.template_id for r in b.scope}
    assert set(ADDED.values()) <= scope
    pim = {c.desired["roleDefinitionId"] for c in b.of_kind("roleManagementPolicy")}
    assert set(ADDED.values()) <= pim


def test_ztb_roles_shows_each_source_flag():
    rows = {r["name"]: r for r in json.loads(CliRunner().invoke(
        cli, ["roles", "--config", str(SAMPLE_STACK), "--format", "json"], catch_exceptions=False).stdout)["roles"]}
    assert rows["Teams Administrator"]["msAdminRolesInclude"] is True and rows["Teams Administrator"]["msPhishResistantAdmins"] is False
    assert rows["Intune Administrator"]["msPhishResistantAdmins"] is True and rows["Intune Administrator"]["msAdmin14"] is False
    text = CliRunner().invoke(cli, ["roles", "--config", str(SAMPLE_STACK)], catch_exceptions=False).stdout
    assert "MS 76C03F19" in text and "MS INCLUDE" in text


def test_priv_ca_01_cites_the_phishing_resistant_template_at_specialized_and_the_plain_one_at_enterprise():
    specialized = build(load_stack_file(SAMPLE_STACK)).by_id()["PRIV-CA-01"]
    assert crosswalk.TEMPLATE_PHISH_RESISTANT_ADMINS in specialized.crosswalk
    assert crosswalk.TEMPLATE_REQUIRE_MFA_ADMINS not in specialized.crosswalk
    cfg = load_stack_file(SAMPLE_STACK).model_copy(update={"level": "enterprise"})
    enterprise = build(validate(cfg.model_dump())).by_id()["PRIV-CA-01"]
    assert crosswalk.TEMPLATE_REQUIRE_MFA_ADMINS in enterprise.crosswalk
    assert crosswalk.TEMPLATE_PHISH_RESISTANT_ADMINS not in enterprise.crosswalk


def test_the_claim_is_dropped_when_a_role_the_template_names_leaves_scope():
    cfg = load_stack_file(SAMPLE_STACK).model_dump()
    cfg["roles"] = {"add": [], "remove": ["Power Platform Administrator"]}
    b = build(validate(cfg))
    assert crosswalk.TEMPLATE_PHISH_RESISTANT_ADMINS not in b.by_id()["PRIV-CA-01"].crosswalk
    assert any("Power Platform Administrator" in w and "76c03f19" in w for w in b.warnings)


def test_priv_ca_04_cites_the_password_change_template_only_when_it_asks_what_the_template_asks():
    template = TEMPLATES["634b6de7-c38d-4357-a2c7-3842706eedd7"]["details"]
    assert crosswalk.template_password_change_high_risk(template)  # the criteria hold on Microsoft's own payload
    cfg = load_stack_file(SAMPLE_STACK).model_dump()
    password = build(validate({**cfg, "userRiskRemediation": "passwordChange"})).by_id()["PRIV-CA-04"]
    assert crosswalk.TEMPLATE_PASSWORD_CHANGE_HIGH_RISK in password.crosswalk
    remediation = build(validate(cfg)).by_id()["PRIV-CA-04"]
    assert remediation.crosswalk == ()

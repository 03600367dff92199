"""The policy pack in policy/, run as pulumi-policy runs it, on what the components send.

The sample stack's resources come from the real program under the mocks (tests/conftest.py);
the PIM settings are the model's desired Graph JSON in the shape ztb/providers/pim.py documents
(roleDefinitionId, scopeId, scopeType, rules, controlId), for the roles the program does not yet
declare itself. Props are wrapped in pulumi-policy's unknown-checking proxy, as in a real preview.
"""

from __future__ import annotations

import ast
import copy
import importlib
import json
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from tests.conftest import REPO, SAMPLE_STACK, object_id_for
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.compare.normalize import duration_seconds

POLICY_DIR = REPO / "policy"
sys.path.insert(0, str(POLICY_DIR))
ztb_policies = importlib.import_module("ztb_policies")

CA = ztb_policies.CA_TYPE
GROUP = ztb_policies.GROUP_TYPE
DYNAMIC = ztb_policies.DYNAMIC_TYPE
SAMPLE_CONFIG = json.loads((POLICY_DIR / "config.dev.json").read_text())
BREAK_GLASS = ["0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002"]
POLICIES = {p.name: p for p in ztb_policies.POLICIES}


def urn(typ: str, name: str) -> str:
    return f"urn:pulumi:dev::ztb::{typ}::{name}"


#: The sample keeps PRIV-CA-13 report-only on purpose (a policy new to a stack starts report-only,
#: and PIM keeps MFA on activation meanwhile); the pack advises enforcing it, which
#: test_the_sample_s_report_only_context_policy_is_the_one_advice shows. The other tests start
#: from the stack it converges to, with PRIV-CA-13 enforced.
CONTEXT_POLICY = "baseline-ca-priv-ca-13"


def sample_resources(mocks, converged: bool = True) -> list[tuple[str, str, dict]]:
    """(type, name, props) of everything the sample stack sends (``mocks``: the ``sample_declared``
    fixture, the program run once), PIM settings included; ``converged``: PRIV-CA-13 enforced."""
    out = [(t, n, copy.deepcopy(dict(i))) for t, n, i in mocks.resources]
    for _, n, props in out:
        if converged and n == CONTEXT_POLICY:
            props["policy"]["state"] = "enabled"
    names = {n for _, n, _ in out}
    for c in build(load_stack_file(SAMPLE_STACK)).of_kind("roleManagementPolicy"):
        name = f"baseline-pim-{c.id.lower()}"
        if name not in names:  # only when a program does not declare PIM settings itself
            d = c.desired
            out.append((DYNAMIC, name, {"roleDefinitionId": d["roleDefinitionId"], "scopeId": d["scopeId"],
                                        "scopeType": d["scopeType"], "rules": copy.deepcopy(d["rules"]), "controlId": c.id}))
    return out


def violations(resources: list[tuple[str, str, dict]], config: dict | None = None) -> dict[str, list[str]]:
    """Policy name -> violation messages, running every policy as the analyzer does."""
    config = SAMPLE_CONFIG if config is None else config
    found: dict[str, list[str]] = {}
    for policy in ztb_policies.POLICIES:
        report = lambda msg, _urn=None, p=policy.name: found.setdefault(p, []).append(msg)  # noqa: E731
        if isinstance(policy, ResourceValidationPolicy):
            for typ, name, props in resources:
                args = ResourceValidationArgs(typ, unknown_checking_proxy(props), urn(typ, name), name, None, None,
                                              config.get(policy.name))
                policy.validate(args, report)
        else:
            stack = [PolicyResource(typ, unknown_checking_proxy(_outputs(typ, name, props)), urn(typ, name), name,
                                    None, None, None, [], {}) for typ, name, props in resources]
            policy.validate(StackValidationArgs(stack, config.get(policy.name)), report)
    return found


def _outputs(typ: str, name: str, props: dict) -> dict:
    """What a stack policy sees: the outputs (the mocks echo inputs and give groups an objectId)."""
    return {**props, "objectId": object_id_for(name)} if typ == GROUP else props


def props_of(resources, name: str) -> dict:
    return next(p for _, n, p in resources if n == name)


# -- the sample stack and the lockout it must refuse ---------------------------------------------

def test_the_sample_s_report_only_context_policy_is_the_one_advice(sample_declared):
    found = violations(sample_resources(sample_declared, converged=False))
    assert list(found) == ["privileged-ca-enforced-in-full-phase"]
    (message,) = found["privileged-ca-enforced-in-full-phase"]
    assert "PRIV-CA-13" in message and "report-only" in message


def test_sample_stack_passes_every_policy(sample_declared):
    resources = sample_resources(sample_declared)
    assert sum(t == CA for t, _, _ in resources) == 11 and sum(t == ztb_policies.GRAPH_CA_TYPE for t, _, _ in resources) == 2 and sum(ztb_policies.is_pim_dynamic(t) for t, _, _ in resources) >= 32
    assert violations(resources) == {}


def test_the_sample_s_reviews_context_policy_and_group_pim_are_each_read_by_a_rule(sample_declared):
    resources = sample_resources(sample_declared)
    types = [t for t, _, _ in resources]
    assert types.count(ztb_policies.ACCESS_REVIEW_TYPE) == 38 and types.count(ztb_policies.GRAPH_CA_TYPE) == 2  # PRIV-CA-04, -13
    assert types.count(ztb_policies.GROUP_PIM_TYPE) == 2


@pytest.mark.parametrize("change,expected", [
    (lambda p: p.update(reviewers=[]), "self-review"),
    (lambda p: p["settings"].pop("recurrence"), "does not recur"),
    (lambda p: p["settings"].update(defaultDecision="Approve", defaultDecisionEnabled=True), "rubber-stamp"),
])
def test_a_review_that_cannot_keep_access_in_check_is_refused(sample_declared, change, expected):
    resources = sample_resources(sample_declared)
    change(props_of(resources, "baseline-reviews-priv-rev-excl"))
    found = violations(resources)
    assert list(found) == ["access-review-keeps-access-in-check"] and expected in found["access-review-keeps-access-in-check"][0]


def test_the_context_policy_without_the_break_glass_exclusion_is_rejected(sample_declared):
    resources = sample_resources(sample_declared)
    users = props_of(resources, "baseline-ca-priv-ca-13")["policy"]["conditions"]["users"]
    users["excludeUsers"] = []
    users["excludeGroups"] = [g for g in users["excludeGroups"] if g != object_id_for("baseline-groups-priv-grp-02")]
    assert set(violations(resources)) == {"ca-excludes-emergency-access", "emergency-group-excluded-everywhere"}


def test_a_group_whose_activation_needs_neither_mfa_nor_context_is_flagged(sample_declared):
    resources = sample_resources(sample_declared)
    name = next(n for t, n, _ in resources if t == ztb_policies.GROUP_PIM_TYPE)
    props_of(resources, name)["activationRules"]["requireMultifactorAuthentication"] = False
    assert list(violations(resources)) == ["group-pim-activation-requires-mfa-or-context"]


def test_plan_without_the_break_glass_exclusion_is_rejected(sample_declared):
    resources = sample_resources(sample_declared)
    users = props_of(resources, "baseline-ca-priv-ca-03")["conditions"]["users"]
    users["excludedUsers"] = []
    users["excludedGroups"] = [g for g in users["excludedGroups"] if g != object_id_for("baseline-groups-priv-grp-02")]
    found = violations(resources)
    assert set(found) == {"ca-excludes-emergency-access", "emergency-group-excluded-everywhere"}
    assert "Require a compliant device" in found["ca-excludes-emergency-access"][0]
    assert all(POLICIES[p].enforcement_level == EnforcementLevel.MANDATORY for p in found)


def test_the_graph_provider_policy_without_the_break_glass_exclusion_is_rejected(sample_declared):
    """PRIV-CA-04 (risk remediation) reaches the tenant through ztb's Graph provider: the pack reads its Graph JSON."""
    resources = sample_resources(sample_declared)
    users = props_of(resources, "baseline-ca-priv-ca-04")["policy"]["conditions"]["users"]
    users["excludeUsers"] = []
    users["excludeGroups"] = [g for g in users["excludeGroups"] if g != object_id_for("baseline-groups-priv-grp-02")]
    found = violations(resources)
    assert set(found) == {"ca-excludes-emergency-access", "emergency-group-excluded-everywhere"}
    assert "High-risk users must remediate risk" in found["ca-excludes-emergency-access"][0]


def test_the_graph_provider_policy_disabled_in_the_full_phase_is_rejected(sample_declared):
    resources = sample_resources(sample_declared)
    props_of(resources, "baseline-ca-priv-ca-04")["policy"]["state"] = "disabled"
    found = violations(resources)
    assert list(found) == ["privileged-ca-not-disabled-in-full-phase"]


@pytest.mark.parametrize("config", [None, {}], ids=["sample config", "no phase configured"])
def test_the_context_policy_disabled_is_rejected_in_any_phase(sample_declared, config):
    # PRIV-CA-13 targets the privileged group, not roles, so the phase cannot be read off it; PIM may
    # ask for its context instead of MFA on activation, so off is never acceptable.
    resources = sample_resources(sample_declared)
    props_of(resources, CONTEXT_POLICY)["policy"]["state"] = "disabled"
    found = violations(resources, config)
    # (Without the pack's config the emergency-access rule fails closed too: it has no IDs to check.)
    assert list(found) == (["privileged-ca-not-disabled-in-full-phase"] if config is None else
                           ["ca-excludes-emergency-access", "privileged-ca-not-disabled-in-full-phase"])
    (message,) = found["privileged-ca-not-disabled-in-full-phase"]
    assert "authentication context" in message


def test_the_stack_rule_alone_catches_a_missing_emergency_group(sample_declared):
    resources = sample_resources(sample_declared)
    users = props_of(resources, "baseline-ca-priv-ca-07")["conditions"]["users"]
    users["excludedGroups"] = [g for g in users["excludedGroups"] if g != object_id_for("baseline-groups-priv-grp-02")]
    found = violations(resources)
    assert list(found) == ["emergency-group-excluded-everywhere"]  # the break-glass users are still excluded by ID
    assert "Block unknown or unsupported device platforms" in found["emergency-group-excluded-everywhere"][0]


def test_without_emergency_ids_configured_the_exclusion_rule_fails_closed(sample_declared):
    resources = sample_resources(sample_declared)
    found = violations(resources, {k: v for k, v in SAMPLE_CONFIG.items() if k != "ca-excludes-emergency-access"})
    assert set(found) == {"ca-excludes-emergency-access"}
    assert "no emergency-access object IDs are configured" in found["ca-excludes-emergency-access"][0]
    assert POLICIES["ca-excludes-emergency-access"].config_schema.required == ["emergencyAccessObjectIds"]


def test_an_unknown_exclusion_list_defers_the_rule_instead_of_passing_it():
    props = {"displayName": "x", "conditions": {"users": {"excludedGroups": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                                                          "excludedUsers": BREAK_GLASS}}}
    args = ResourceValidationArgs(CA, unknown_checking_proxy(props), urn(CA, "x"), "x", None, None,
                                  SAMPLE_CONFIG["ca-excludes-emergency-access"])
    with pytest.raises(UnknownValueError):
        POLICIES["ca-excludes-emergency-access"].validate(args, lambda *a: pytest.fail("reported on an unknown value"))


# -- the other rules, one change each --------------------------------------------------------------

def _block_all(excluded_users: list[str]) -> dict:
    return {"displayName": "Block everyone", "state": "enabled",
            "conditions": {"users": {"includedUsers": ["All"], "excludedUsers": excluded_users},
                           "applications": {"includedApplications": ["All"]}, "clientAppTypes": ["all"]},
            "grantControls": {"operator": "OR", "builtInControls": ["block"]}}


def test_a_policy_blocking_all_users_must_exclude_the_break_glass_accounts():
    rule = "ca-no-block-all-without-exclusion"
    assert "excludes no one" in violations([(CA, "block-all", _block_all([]))], {})[rule][0]
    assert rule in violations([(CA, "block-all", _block_all(["someone-else"]))], {rule: {"emergencyAccessObjectIds": BREAK_GLASS}})
    assert rule not in violations([(CA, "block-all", _block_all(BREAK_GLASS))], {rule: {"emergencyAccessObjectIds": BREAK_GLASS}})


def test_a_disabled_privileged_policy_is_refused_in_the_full_phase_only(sample_declared):
    resources = sample_resources(sample_declared)
    props_of(resources, "baseline-ca-priv-ca-05")["state"] = "disabled"
    rule = "privileged-ca-not-disabled-in-full-phase"
    assert "Risky sign-ins require MFA" in violations(resources)[rule][0]
    assert rule not in violations(resources, {**SAMPLE_CONFIG, rule: {"phase": "pilot"}})
    # Unconfigured, the phase is read from the policy: full when it includes the directory roles.
    assert rule in violations(resources, {**SAMPLE_CONFIG, rule: {}})
    del props_of(resources, "baseline-ca-priv-ca-05")["conditions"]["users"]["includedRoles"]
    assert rule not in violations(resources, {**SAMPLE_CONFIG, rule: {}})


def test_report_only_in_the_full_phase_is_advisory(sample_declared):
    resources = sample_resources(sample_declared)
    props_of(resources, "baseline-ca-priv-ca-02")["state"] = "enabledForReportingButNotEnforced"
    found = violations(resources)
    assert list(found) == ["privileged-ca-enforced-in-full-phase"]
    assert POLICIES["privileged-ca-enforced-in-full-phase"].enforcement_level == EnforcementLevel.ADVISORY


def _expiration(resources, name: str) -> dict:
    return next(r for r in props_of(resources, name)["rules"] if r["id"] == "Expiration_EndUser_Assignment")


def test_pim_activation_longer_than_the_maximum_is_refused(sample_declared):
    resources = sample_resources(sample_declared)
    rule = "pim-activation-maximum"
    _expiration(resources, "baseline-pim-priv-pim-29232cdf")["maximumDuration"] = "PT8H"
    found = violations(resources)
    assert list(found) == [rule] and "PT8H" in found[rule][0] and "PT2H" in found[rule][0]
    assert rule not in violations(resources, {**SAMPLE_CONFIG, rule: {"maximumActivationDuration": "PT8H"}})
    _expiration(resources, "baseline-pim-priv-pim-29232cdf").update(maximumDuration="PT2H", isExpirationRequired=False)
    assert "not time-bound" in violations(resources)[rule][0]


def test_pim_activation_limit_applies_to_group_pim_settings_too():
    props = {"groupId": "g", "roleId": "member", "activationRules": {"maximumDuration": "PT12H"}}
    found = violations([(ztb_policies.GROUP_PIM_TYPE, "group-pim", props)])
    assert "PT12H" in found["pim-activation-maximum"][0]


def test_activation_without_mfa_or_justification_is_advisory(sample_declared):
    resources = sample_resources(sample_declared)
    rule = next(r for r in props_of(resources, "baseline-pim-priv-pim-194ae4cb")["rules"] if r["id"] == "Enablement_EndUser_Assignment")
    rule["enabledRules"] = ["Justification"]
    found = violations(resources)
    assert list(found) == ["pim-activation-requires-mfa-and-justification"]
    assert "MFA or an authentication context" in found["pim-activation-requires-mfa-and-justification"][0]
    assert POLICIES["pim-activation-requires-mfa-and-justification"].enforcement_level == EnforcementLevel.ADVISORY


@pytest.mark.parametrize("value", ["PT1H", "PT30M", "PT2H30M", "P1D", "P365D", "P1DT12H", "PT90S", "pt8h"])
def test_the_packs_duration_reader_agrees_with_ztb(value):
    assert ztb_policies.duration_seconds(value) == duration_seconds(value)


@pytest.mark.parametrize("value", ["8 hours", "PT", "P", "", None, "P1Y"])
def test_durations_the_pack_cannot_read_are_none(value):
    assert ztb_policies.duration_seconds(value) is None


# -- the pack's files --------------------------------------------------------------------------------

def test_enforcement_levels_are_mandatory_for_lockout_and_advisory_for_review():
    levels = {p.name: p.enforcement_level for p in ztb_policies.POLICIES}
    assert {n for n, lvl in levels.items() if lvl == EnforcementLevel.MANDATORY} == {
        "ca-excludes-emergency-access", "ca-no-block-all-without-exclusion", "privileged-ca-not-disabled-in-full-phase",
        "pim-activation-maximum", "emergency-group-excluded-everywhere", "device-policy-assigned",
        "allowed-platforms-have-policies", "access-review-keeps-access-in-check"}
    assert {n for n, lvl in levels.items() if lvl == EnforcementLevel.ADVISORY} == {
        "privileged-ca-enforced-in-full-phase", "pim-activation-requires-mfa-and-justification", "secure-by-default-on",
        "group-pim-activation-requires-mfa-or-context"}
    assert any(isinstance(p, StackValidationPolicy) for p in ztb_policies.POLICIES)


def test_pack_files_are_a_python_policy_pack():
    manifest = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python" and manifest["description"]
    assert any(line.startswith("pulumi-policy") for line in (POLICY_DIR / "requirements.txt").read_text().splitlines())
    main = ast.parse((POLICY_DIR / "__main__.py").read_text())
    calls = [n for n in ast.walk(main) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "PolicyPack"]
    assert len(calls) == 1 and {k.arg: getattr(k.value, "id", None) for k in calls[0].keywords}["policies"] == "POLICIES"


def test_sample_policy_config_names_real_policies_and_matches_their_schemas():
    for name, values in SAMPLE_CONFIG.items():
        assert name in POLICIES, name
        schema = POLICIES[name].config_schema
        assert schema is not None, name
        jsonschema.validate(values, {"type": "object", "properties": schema.properties, "required": schema.required or []})
    with pytest.raises(jsonschema.ValidationError):
        schema = POLICIES["ca-excludes-emergency-access"].config_schema
        jsonschema.validate({"emergencyAccessObjectIds": ["not-a-guid"]}, {"type": "object", "properties": schema.properties})
    stack = yaml.safe_load(Path(SAMPLE_STACK).read_text())["config"]
    assert SAMPLE_CONFIG["ca-excludes-emergency-access"]["emergencyAccessObjectIds"] == stack["ztb:emergencyAccessUserIds"]
    assert SAMPLE_CONFIG["pim-activation-maximum"]["maximumActivationDuration"] == stack["ztb:pim"]["activationMaxDuration"]


def test_the_packs_emergency_group_is_the_models():
    """The pack runs without ztb installed, so it keeps its own copy of the control ID: tie the two."""
    from ztb.model.controls import Kind
    from ztb.model.groups import EmergencyAccess

    pattern = ztb_policies.EMERGENCY_GROUP_NAME
    assert pattern.pattern == rf"(?:^|-){EmergencyAccess.CONTROL_ID.lower()}$"
    names = {c.id: f"baseline-groups-{c.id.lower()}" for c in build(load_stack_file(SAMPLE_STACK)).of_kind(Kind.GROUP)}
    assert [cid for cid, name in names.items() if pattern.search(name)] == [EmergencyAccess.CONTROL_ID]


# -- device compliance and app protection ---------------------------------------------------------

def test_the_sample_stack_declares_a_compliance_policy_per_platform_and_app_protection(sample_declared):
    resources = sample_resources(sample_declared)
    names = {n for t, n, _ in resources if t in ztb_policies.DEVICE_POLICY_TYPES}
    assert {f"baseline-compliance-priv-dev-0{i}" for i in range(1, 6)} | {"baseline-app-protection-priv-mam-01",
                                                                             "baseline-app-protection-priv-mam-02"} == names


@pytest.mark.parametrize("name", ["baseline-compliance-priv-dev-03", "baseline-app-protection-priv-mam-02"])
@pytest.mark.parametrize("targets", [[], [{"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "x"}}],
                                     [{"target": {"groupId": "x"}}]])
def test_an_unassigned_or_excluding_device_policy_is_refused(sample_declared, name, targets):
    resources = sample_resources(sample_declared)
    props_of(resources, name)["assignments"] = targets
    found = violations(resources)
    assert list(found) == ["device-policy-assigned"] and len(found["device-policy-assigned"]) == 1


def test_a_platform_let_through_without_its_compliance_policy_is_refused(sample_declared):
    resources = [r for r in sample_resources(sample_declared) if r[1] != "baseline-compliance-priv-dev-03"]
    found = violations(resources)
    assert found == {"allowed-platforms-have-policies": ["PRIV-CA-07 lets ios devices through but no compliance policy of the stack judges them"]}


def test_turning_secure_by_default_off_is_flagged():
    typ = ztb_policies.DEVICE_SETTINGS_TYPE
    assert violations([(typ, "baseline-intune-settings-priv-dev-20", {"secureByDefault": False})]) == {
        "secure-by-default-on": ["'baseline-intune-settings-priv-dev-20' turns off 'mark devices with no compliance policy assigned as not compliant'"]}
    assert violations([(typ, "baseline-intune-settings-priv-dev-20", {"secureByDefault": True})]) == {}

"""The baseline model read like the guidance: what every privileged control must hold."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
import yaml

from ztb.catalogue import roles as rc
from ztb.config import validate
from ztb.model import stacks
from ztb.model.baseline import build
from ztb.model.controls import Control, UnresolvedReferenceError, resolve_refs

from tests.conftest import SAMPLE_STACK

RAW = {k.split(":", 1)[1]: v for k, v in yaml.safe_load(SAMPLE_STACK.read_text())["config"].items() if k.startswith("ztb:")}
SAMPLE = build(validate(RAW))
MAILBOX = RAW["pim"]["notificationMailbox"]
OWNER = "0a0e0000-0000-4000-8000-0000000000f1"


def values(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(RAW)
    out.update(changes)
    return out


def ca_policies(b=SAMPLE) -> list[Control]:
    """The role-and-group-targeted policy set (PRIV-CA-13, on the PIM authentication context, targets only the group)."""
    from ztb.model.auth_context import is_context_policy

    return [c for c in b.of_kind("conditionalAccessPolicy") if not is_context_policy(c)]


def test_control_ids_are_unique_and_stable_in_form():
    ids = [c.id for c in SAMPLE.controls]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("PRIV-") for i in ids)


def test_every_policy_excludes_emergency_access_group_and_accounts():
    for c in ca_policies():
        users = c.desired["conditions"]["users"]
        assert "${group:emergencyAccess}" in users["excludeGroups"], c.id
        assert set(RAW["emergencyAccessUserIds"]) <= set(users["excludeUsers"]), c.id
        assert RAW["conditionalAccessExclusionGroupId"] in users["excludeGroups"], c.id


def test_an_existing_emergency_group_is_excluded_by_its_object_id():
    b = build(validate({**{k: v for k, v in RAW.items() if k != "emergencyAccessUserIds"},
                        "emergencyAccessGroupId": "e0e0e0e0-0000-4000-8000-000000000099", "groupOwners": [OWNER]}))
    for c in ca_policies(b):
        assert "e0e0e0e0-0000-4000-8000-000000000099" in c.desired["conditions"]["users"]["excludeGroups"]


def test_full_phase_targets_privileged_group_and_every_role_in_scope():
    for c in ca_policies():
        users = c.desired["conditions"]["users"]
        assert "${group:privilegedUsers}" in users["includeGroups"]
        assert set(users["includeRoles"]) == {r.template_id for r in rc.default_scope()}
        assert users["excludeRoles"] == []


@pytest.mark.parametrize("phase", ["evaluate", "pilot", "full"])
def test_each_phase_includes_exactly_the_rings_it_has_reached(phase):
    b = build(validate(values(phase=phase)))
    wanted = {"${group:ring%s}" % r.capitalize() for r in stacks.phase(phase)["rings"]}
    for c in ca_policies(b):
        groups = set(c.desired["conditions"]["users"]["includeGroups"])
        assert wanted <= groups
        assert ("${group:privilegedUsers}" in groups) == (phase == "full")


def test_report_only_switch_and_per_control_report_only():
    assert {c.desired["state"] for c in ca_policies(build(validate(values(reportOnly=True))))} == {"enabledForReportingButNotEnforced"}
    b = build(validate(values(reportOnlyControls=["PRIV-CA-07"])))
    states = {c.id: c.desired["state"] for c in ca_policies(b)}
    assert states.pop("PRIV-CA-07") == "enabledForReportingButNotEnforced"
    assert set(states.values()) == {"enabled"}


def test_specialized_requires_phishing_resistant_strength_and_enterprise_plain_mfa():
    spec = SAMPLE.by_id()["PRIV-CA-01"].desired["grantControls"]
    assert spec["authenticationStrength"]["id"] == "00000000-0000-0000-0000-000000000004"
    ent = build(validate(values(level="enterprise"))).by_id()["PRIV-CA-01"].desired["grantControls"]
    assert ent["builtInControls"] == ["mfa"] and "authenticationStrength" not in ent


def test_the_policy_set_covers_every_control_the_guidance_names():
    by_id = SAMPLE.by_id()
    assert by_id["PRIV-CA-02"].desired["conditions"]["clientAppTypes"] == ["exchangeActiveSync", "other"]
    assert by_id["PRIV-CA-02"].desired["grantControls"]["builtInControls"] == ["block"]
    assert by_id["PRIV-CA-03"].desired["grantControls"]["builtInControls"] == ["compliantDevice"]
    assert by_id["PRIV-CA-04"].desired["conditions"]["userRiskLevels"] == ["high"]
    assert by_id["PRIV-CA-04"].desired["grantControls"]["operator"] == "AND"
    assert by_id["PRIV-CA-05"].desired["conditions"]["signInRiskLevels"] == ["low", "medium", "high"]
    session = by_id["PRIV-CA-06"].desired["sessionControls"]
    assert session["persistentBrowser"] == {"mode": "never", "isEnabled": True}
    assert session["signInFrequency"]["value"] == RAW["signInFrequencyHours"]
    assert by_id["PRIV-CA-07"].desired["conditions"]["platforms"]["includePlatforms"] == ["all"]
    assert by_id["PRIV-CA-08"].desired["conditions"]["applications"]["includeApplications"] == (
        [a["appId"] for a in RAW["securityApps"]] + [f"${{app:{a['templateId']}}}" for a in RAW["galleryApps"]])
    assert by_id["PRIV-CA-12"].desired["conditions"]["applications"]["includeApplications"] == ["MicrosoftAdminPortals"]
    user_actions = {"PRIV-CA-09": "urn:user:registersecurityinfo", "PRIV-CA-10": "urn:user:registerdevice"}
    assert {c.desired["conditions"]["applications"]["includeApplications"] == ["All"]
            for c in ca_policies() if c.id not in ("PRIV-CA-08", "PRIV-CA-12", *user_actions)} == {True}
    for cid, action in user_actions.items():
        assert by_id[cid].desired["conditions"]["applications"] == {"includeApplications": [], "excludeApplications": [], "includeUserActions": [action]}
    assert by_id["PRIV-CA-11"].desired["conditions"]["authenticationFlows"] == {"transferMethods": "deviceCodeFlow,authenticationTransfer"}


def test_every_guidance_step_is_accounted_for_including_manual_ones():
    assert {c.step for c in SAMPLE.controls} == {1, 2, 3, 4, 5}
    manual = SAMPLE.of_kind("manualCheck")
    assert {"PRIV-MAN-01", "PRIV-MAN-02"} <= {c.id for c in manual}
    assert all(c.instructions for c in manual)


def test_default_scope_is_the_union_of_the_four_authorities():
    scope = rc.default_scope()
    assert len(scope) == 37
    for flag in ("privileged", "msAdmin14", "cisaHigh", "secops"):
        assert {r.template_id for r in rc.catalogue() if r.flags[flag]} <= {r.template_id for r in scope}


def test_every_role_in_scope_gets_pim_settings_with_the_three_admin_notifications():
    pim = {c.desired["roleDefinitionId"]: c for c in SAMPLE.of_kind("roleManagementPolicy")}
    assert set(pim) == {r.template_id for r in rc.default_scope()}
    for c in pim.values():
        rules = {r["id"]: r for r in c.desired["rules"]}
        for rule_id in ("Notification_Admin_Admin_Eligibility", "Notification_Admin_Admin_Assignment", "Notification_Admin_EndUser_Assignment"):
            ga_activation = rule_id == "Notification_Admin_EndUser_Assignment" and c.meta.template_id == rc.GLOBAL_ADMINISTRATOR
            expected = [MAILBOX, RAW["pim"]["globalAdminNotificationMailbox"]] if ga_activation else [MAILBOX]
            assert rules[rule_id]["notificationRecipients"] == expected, (c.id, rule_id)
        assert rules["Expiration_Admin_Eligibility"]["isExpirationRequired"] is True
        assert rules["Expiration_Admin_Assignment"]["isExpirationRequired"] is True
        assert "MultiFactorAuthentication" in rules["Enablement_EndUser_Assignment"]["enabledRules"]


def test_global_and_privileged_role_administrator_activation_needs_approval_by_the_approver_group():
    pim = {c.desired["roleDefinitionId"]: c for c in SAMPLE.of_kind("roleManagementPolicy")}
    for tid, c in pim.items():
        approval = next(r for r in c.desired["rules"] if r["id"] == "Approval_EndUser_Assignment")["setting"]
        expected = tid in (rc.GLOBAL_ADMINISTRATOR, rc.PRIVILEGED_ROLE_ADMINISTRATOR)
        assert approval["isApprovalRequired"] is expected, c.id
        if expected:
            assert approval["approvalStages"][0]["primaryApprovers"] == [
                {"@odata.type": "#microsoft.graph.groupMembers", "groupId": RAW["pim"]["approverGroupId"]}
            ]


def test_authentication_context_replaces_plain_mfa_on_activation_once_its_policy_enforces():
    b = build(validate(values(pim={**RAW["pim"], "authenticationContext": "c1"}, reportOnlyControls=[])))
    rules = {r["id"]: r for r in b.of_kind("roleManagementPolicy")[0].desired["rules"]}
    assert rules["AuthenticationContext_EndUser_Assignment"]["isEnabled"] is True
    assert rules["AuthenticationContext_EndUser_Assignment"]["claimValue"] == "c1"
    assert "MultiFactorAuthentication" not in rules["Enablement_EndUser_Assignment"]["enabledRules"]


def test_removing_hybrid_identity_administrator_warns_and_still_plans():
    b = build(validate(values(roles={"add": [], "remove": ["Hybrid Identity Administrator"]})))
    assert len(b.scope) == 36
    assert any("Hybrid Identity Administrator" in w and "CISA" in w and "Microsoft" in w for w in b.warnings)


def test_adding_a_role_by_template_id_extends_scope():
    b = build(validate(values(roles={"add": ["d29b2b05-8046-44ba-8758-1e26182fcf32"], "remove": []})))
    assert "d29b2b05-8046-44ba-8758-1e26182fcf32" in {r.template_id for r in b.scope}
    assert "PRIV-PIM-d29b2b05" in b.by_id()


def test_compliance_policy_holds_the_specialized_settings_and_one_block_action():
    d = SAMPLE.by_id()["PRIV-DEV-01"].desired
    for key in ("bitLockerEnabled", "secureBootEnabled", "codeIntegrityEnabled", "tpmRequired", "activeFirewallRequired",
                "antivirusRequired", "antiSpywareRequired", "defenderEnabled", "rtpEnabled", "deviceThreatProtectionEnabled"):
        assert d[key] is True, key
    assert d["deviceThreatProtectionRequiredSecurityLevel"] == RAW["deviceCompliance"]["deviceThreatLevel"]
    blocks = [a for rule in d["scheduledActionsForRule"] for a in rule["scheduledActionConfigurations"] if a["actionType"] == "block"]
    assert len(blocks) == 1
    assert d["assignments"] == [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "${group:%s}" % k}}
                                for k in ("privilegedUsers", "ringEvaluate", "ringPilot", "ringFull")]


def test_eligible_assignments_are_time_bound():
    elig = SAMPLE.of_kind("roleEligibility")
    assert len(elig) == sum(len(v) for v in RAW["eligibility"].values())
    for c in elig:
        assert c.desired["scheduleInfo"]["expiration"] == {"type": "afterDuration", "duration": RAW["pim"]["eligibleAssignmentMaxDuration"]}


def test_an_unresolved_group_reference_raises_instead_of_emptying_a_list():
    policy = SAMPLE.by_id()["PRIV-CA-01"].desired
    with pytest.raises(UnresolvedReferenceError, match="does not resolve"):
        resolve_refs(policy, {"privilegedUsers": "x"})
    with pytest.raises(UnresolvedReferenceError):
        resolve_refs(policy, {"privilegedUsers": "x", "emergencyAccess": ""})


# -- groups: owners, members and names that survive a rename ---------------------------------------

def groups(b=SAMPLE) -> dict[str, Control]:
    return {c.id: c for c in b.of_kind("group")}


def test_every_group_declares_its_owners_default_the_break_glass_accounts():
    for c in groups().values():
        assert c.desired["owners"] == [{"id": u} for u in RAW["emergencyAccessUserIds"]], c.id
        assert c.meta.owners_declared is True
    owned = build(validate(values(groupOwners=[OWNER.upper()])))
    assert {tuple(o["id"] for o in c.desired["owners"]) for c in groups(owned).values()} == {(OWNER,)}


def test_group_membership_kinds_and_declared_members_follow_the_interface():
    g = groups()
    assert {cid: c.meta.membership for cid, c in g.items()} == {
        "PRIV-GRP-01": "included", "PRIV-GRP-02": "exclusion", "PRIV-GRP-03": "exclusion",
        "PRIV-GRP-11": "ring", "PRIV-GRP-12": "ring", "PRIV-GRP-13": "ring",
    }
    # The privileged group's members are the eligible admins: decided here, not in the component.
    assert g["PRIV-GRP-01"].desired["members"] == [{"id": p} for p in sorted(RAW["eligibility"])]
    assert g["PRIV-GRP-02"].desired["members"] == [
        {"@odata.type": "#microsoft.graph.user", "id": u} for u in RAW["emergencyAccessUserIds"]
    ]
    # The audited CA exclusion group: declared (empty by default), so any member is reported.
    assert g["PRIV-GRP-03"].desired == {"id": RAW["conditionalAccessExclusionGroupId"], "members": [],
                                        "owners": g["PRIV-GRP-03"].desired["owners"]}
    assert g["PRIV-GRP-03"].managed is False and g["PRIV-GRP-03"].meta.members_declared is True
    for ring in ("PRIV-GRP-11", "PRIV-GRP-12", "PRIV-GRP-13"):
        assert "members" not in g[ring].desired and g[ring].meta.members_declared is False


def test_an_existing_emergency_group_declares_the_break_glass_members_when_they_are_given():
    both = build(validate(values(emergencyAccessGroupId="e0e0e0e0-0000-4000-8000-000000000099")))
    g = groups(both)["PRIV-GRP-02"]
    assert g.managed is False and g.meta.members_declared is True
    assert [m["id"] for m in g.desired["members"]] == RAW["emergencyAccessUserIds"]
    only_group = build(validate({**{k: v for k, v in RAW.items() if k != "emergencyAccessUserIds"},
                                 "emergencyAccessGroupId": "e0e0e0e0-0000-4000-8000-000000000099", "groupOwners": [OWNER]}))
    g = groups(only_group)["PRIV-GRP-02"]
    assert "members" not in g.desired and g.meta.members_declared is False


def test_ca_exclusion_members_are_declared_lowercased():
    member = "c0c0c0c0-0000-4000-8000-0000000000c1"
    g = groups(build(validate(values(conditionalAccessExclusionMemberIds=[member.upper()]))))["PRIV-GRP-03"]
    assert g.desired["members"] == [{"id": member}]


def test_mail_nicknames_do_not_follow_the_name_prefix():
    """mailNickname is ForceNew: a prefix rename must rename groups in place, never replace them."""
    renamed = groups(build(validate(values(namePrefix="Contoso Tier0"))))
    for cid, c in groups().items():
        if c.managed:
            assert renamed[cid].desired["mailNickname"] == c.desired["mailNickname"], cid
            assert renamed[cid].desired["displayName"] != c.desired["displayName"], cid
            assert c.meta.create_only[0] == "mailNickname"


def test_mail_nicknames_of_default_prefix_stacks_are_what_earlier_versions_created():
    """Stacks deployed with the default prefix keep their groups: the nickname did not change for them."""
    assert {cid: c.desired["mailNickname"] for cid, c in groups().items() if c.managed} == {
        "PRIV-GRP-01": "ztb-privileged-users",
        "PRIV-GRP-02": "ztb-emergency-access-exclusion",
        "PRIV-GRP-11": "ztb-privileged-ring-1---evaluate",
        "PRIV-GRP-12": "ztb-privileged-ring-2---pilot",
        "PRIV-GRP-13": "ztb-privileged-ring-3---full-deployment",
    }


# -- eligibility IDs: unique by construction, stable when principals are added ---------------------

SHARED_A = "5ace0000-0000-4000-8000-00000000000a"
SHARED_B = "5ace0000-1111-4000-8000-00000000000b"


def eligibility_ids(mapping: dict[str, list[str]]) -> dict[tuple[str, str], Control]:
    b = build(validate(values(eligibility=mapping)))
    return {(c.desired["principalId"], c.meta.role_name): c for c in b.of_kind("roleEligibility")}


def test_two_principals_sharing_the_first_block_get_distinct_ids_and_resource_names():
    got = eligibility_ids({SHARED_A: ["Global Reader"], SHARED_B: ["Global Reader"]})
    ids = [c.id for c in got.values()]
    assert len(set(ids)) == 2 and len({i.lower() for i in ids}) == 2
    assert got[(SHARED_A, "Global Reader")].id == f"PRIV-ELIG-{SHARED_A}-f2ef992c"


def test_adding_a_colliding_principal_does_not_change_the_existing_id():
    before = eligibility_ids({SHARED_A: ["Global Reader"]})
    after = eligibility_ids({SHARED_A: ["Global Reader"], SHARED_B: ["Global Reader"]})
    assert after[(SHARED_A, "Global Reader")].id == before[(SHARED_A, "Global Reader")].id


def test_the_earlier_short_id_is_kept_as_an_alias_only_where_it_was_unique():
    alone = eligibility_ids({SHARED_A: ["Global Reader"]})[(SHARED_A, "Global Reader")]
    assert alone.meta.legacy_ids == ("PRIV-ELIG-5ace0000-f2ef992c",)
    shared = eligibility_ids({SHARED_A: ["Global Reader"], SHARED_B: ["Global Reader"]})
    assert all(c.meta.legacy_ids == () for c in shared.values()), "two aliases to one name fail the engine"
    sample = {c.meta.legacy_ids[0] for c in SAMPLE.of_kind("roleEligibility")}
    assert "PRIV-ELIG-ad000000-62e90394" in sample


def test_role_template_ids_of_the_catalogue_have_distinct_first_blocks():
    shorts = [r.short_id for r in rc.catalogue()]
    assert len(shorts) == len(set(shorts))


def test_a_custom_role_whose_id_starts_like_a_builtin_is_refused():
    from ztb.config import ConfigError

    clash = rc.GLOBAL_ADMINISTRATOR[:8] + "-0000-4000-8000-000000000000"
    with pytest.raises(ConfigError, match="share the first block 62e90394"):
        validate(values(roles={"add": [clash], "remove": []}))


def test_meta_is_typed_records_only_a_misspelt_fact_fails_at_the_reader():
    """Every kind's facts are attributes; the old dict's keys are gone, so a reader cannot fall back to a silent None."""
    g = groups()
    created, existing = g["PRIV-GRP-02"].meta, g["PRIV-GRP-03"].meta
    assert created.group_key == "emergencyAccess" and created.create_only == ("mailNickname",) and created.object_id is None
    assert existing.object_id == "0ca0e8c1-0000-4000-8000-000000000003" and existing.create_only == ()
    records = [created, SAMPLE.of_kind("roleManagementPolicy")[0].meta, SAMPLE.of_kind("roleEligibility")[0].meta,
               SAMPLE.of_kind("deviceCompliancePolicy")[0].meta, SAMPLE.of_kind("conditionalAccessPolicy")[0].meta]
    for meta in records:
        with pytest.raises(TypeError):
            meta["groupKey"]
        assert not hasattr(meta, "get") and not hasattr(meta, "keys"), type(meta).__name__
        with pytest.raises(AttributeError):
            meta.groupKey
        with pytest.raises(dataclasses.FrozenInstanceError):  # a reader cannot change a fact the model decided
            meta.policy_id = "x"


def test_the_emergency_access_group_has_one_definition_every_name_comes_from():
    from ztb.model.controls import Kind
    from ztb.model.groups import EmergencyAccess

    emergency = SAMPLE.emergency
    assert emergency.user_ids == tuple(RAW["emergencyAccessUserIds"]) and emergency.group_id is None
    assert emergency.ref == "${group:emergencyAccess}" and emergency.known_ids == set(RAW["emergencyAccessUserIds"])
    control = SAMPLE.by_id()[EmergencyAccess.CONTROL_ID]
    assert control.kind is Kind.GROUP and control.meta.group_key == EmergencyAccess.GROUP_KEY
    for policy in SAMPLE.of_kind(Kind.CONDITIONAL_ACCESS_POLICY):
        assert emergency.ref in policy.desired["conditions"]["users"]["excludeGroups"], policy.id


def test_kinds_are_an_enum_that_still_compares_and_prints_as_the_string():
    from ztb.model.controls import Kind

    kinds = {c.kind for c in SAMPLE.controls}
    assert kinds == set(Kind) and all(isinstance(k, Kind) for k in kinds)
    assert Kind.GROUP == "group" and f"{Kind.ROLE_ELIGIBILITY}" == "roleEligibility"
    assert SAMPLE.of_kind("group") == SAMPLE.of_kind(Kind.GROUP)
    with pytest.raises(ValueError, match="X-1: unknown kind policy"):
        Control(id="X-1", kind="policy", title="t", display_name="t", step=1, principle="Assume breach",
                level="specialized", rationale="r", source="s", desired={})

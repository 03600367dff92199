"""ztb.compare.classify: one verdict per change, whichever caller asks and whatever the value's shape.

Drift asks with (desired, actual) after normalisation, where an emptied block is absent (None);
review asks with (old, new) inputs of a preview, where it is {} or []. The tables below give each
kind's rules in both shapes; the property checks feed every JSON value type to every rule.
"""

from __future__ import annotations

import json
import math

import pytest

from ztb.compare.classify import (
    NEUTRAL, STRENGTHENS, WEAKENS, Context, classify, classify_operation, classify_unmanaged, field_words, unverifiable,
)
from ztb.compare.normalize import compare

BREAK_GLASS = "0b5e0a11-0000-4000-8000-000000000001"
EMERGENCY_GROUP = "e58d11cd-f060-55f5-99bb-82679d22f917"
CA_EXCLUSION = "0ca0e8c1-0000-4000-8000-000000000003"
PRIVILEGED = "ce52739d-60e6-5d14-ac6b-bd27c42affa7"
CTX = Context.of([BREAK_GLASS, EMERGENCY_GROUP])
EXCLUSION_CTX = Context(CTX.emergency_ids, exclusion_group=True)
UNKNOWN_CTX = Context(emergency_unknown=True)

CA, PIM, DEV, GRP, ELIG = "conditionalAccessPolicy", "roleManagementPolicy", "deviceCompliancePolicy", "group", "roleEligibility"

USERS = {"includeRoles": ["62e90394-69f5-4237-9190-012177145e10"], "includeGroups": [PRIVILEGED],
         "excludeGroups": [EMERGENCY_GROUP, CA_EXCLUSION], "excludeUsers": [BREAK_GLASS]}
EXPIRY = "rules[Expiration_EndUser_Assignment]"
APPROVAL = "rules[Approval_EndUser_Assignment]"
STAGE = {"isApproverJustificationRequired": True, "primaryApprovers": [{"@odata.type": "#microsoft.graph.groupMembers", "groupId": "a9940000"}]}


# -- the rules of every kind, in both callers' shapes --------------------------------------------

CASES = [
    # id, kind, path, old, new, context, impact, words in the reason
    # Conditional Access
    ("state enforced -> report-only", CA, "state", "enabled", "enabledForReportingButNotEnforced", CTX, WEAKENS, "enabled → report-only"),
    ("state report-only -> enforced", CA, "state", "enabledForReportingButNotEnforced", "enabled", CTX, STRENGTHENS, "report-only → enabled"),
    ("state to an unknown value", CA, "state", "enabled", "sometimes", CTX, WEAKENS, "unrecognised"),
    ("state from an unknown value", CA, "state", "sometimes", "enabled", CTX, WEAKENS, "unrecognised"),
    ("grant control removed", CA, "grantControls.builtInControls", ["mfa", "compliantDevice"], ["mfa"], CTX, WEAKENS, "compliantDevice removed"),
    ("grant control added", CA, "grantControls.builtInControls", ["mfa"], ["mfa", "compliantDevice"], CTX, STRENGTHENS, "compliantDevice added"),
    ("grant AND -> OR", CA, "grantControls.operator", "AND", "OR", CTX, WEAKENS, "require all → require one"),
    ("grant OR -> AND", CA, "grantControls.operator", "OR", "AND", CTX, STRENGTHENS, "require one → require all"),
    ("grant controls removed (drift)", CA, "grantControls", {"operator": "OR", "builtInControls": ["mfa"]}, None, CTX, WEAKENS, "grant controls removed"),
    ("grant controls emptied (review)", CA, "grantControls", {"operator": "OR", "builtInControls": ["mfa"]}, {}, CTX, WEAKENS, "grant controls removed"),
    ("strength weaker", CA, "grantControls.authenticationStrength", {"id": "00000000-0000-0000-0000-000000000004"},
     {"id": "00000000-0000-0000-0000-000000000002"}, CTX, WEAKENS, "authentication strength"),
    ("strength stronger", CA, "grantControls.authenticationStrength", {"id": "00000000-0000-0000-0000-000000000002"},
     {"id": "00000000-0000-0000-0000-000000000004"}, CTX, STRENGTHENS, "authentication strength"),
    ("strength added", CA, "grantControls.authenticationStrength", None, {"id": "00000000-0000-0000-0000-000000000004"}, CTX, STRENGTHENS, "authentication strength"),
    ("strength removed", CA, "grantControls.authenticationStrength", {"id": "00000000-0000-0000-0000-000000000004"}, None, CTX, WEAKENS, "removed"),
    ("strength custom", CA, "grantControls.authenticationStrength", {"id": "00000000-0000-0000-0000-000000000004"}, {"id": "c0ffee00-0000-4000-8000-000000000000"}, CTX, WEAKENS, "unrecognised"),
    ("sign-in every 4h -> 12h", CA, "sessionControls.signInFrequency.value", 4, 12, CTX, WEAKENS, "sign-in frequency: 4 → 12"),
    ("sign-in every 12h -> 4h", CA, "sessionControls.signInFrequency.value", 12, 4, CTX, STRENGTHENS, "sign-in frequency"),
    ("sign-in unit hours -> days", CA, "sessionControls.signInFrequency.type", "hours", "days", CTX, WEAKENS, "sign-in frequency unit"),
    ("sign-in frequency removed (drift)", CA, "sessionControls.signInFrequency", {"value": 4, "type": "hours", "isEnabled": True}, None, CTX, WEAKENS, "sign-in frequency removed"),
    ("sign-in frequency emptied (review)", CA, "sessionControls.signInFrequency", {"value": 4, "type": "hours", "isEnabled": True}, {}, CTX, WEAKENS, "sign-in frequency removed"),
    ("session controls removed (drift)", CA, "sessionControls", {"signInFrequency": {"value": 4, "type": "hours"}, "persistentBrowser": {"mode": "never"}}, None, CTX, WEAKENS, "sign-in frequency removed"),
    ("session controls emptied (review)", CA, "sessionControls", {"signInFrequency": {"value": 4, "type": "hours"}}, {}, CTX, WEAKENS, "sign-in frequency removed"),
    ("session controls added", CA, "sessionControls", None, {"signInFrequency": {"value": 4, "type": "hours"}}, CTX, STRENGTHENS, "sign-in frequency added"),
    ("persistent browser never -> always", CA, "sessionControls.persistentBrowser.mode", "never", "always", CTX, WEAKENS, "persistent browser"),
    ("included roles lose one", CA, "conditions.users.includeRoles", ["a", "b"], ["a"], CTX, WEAKENS, "fewer sign-ins covered"),
    ("included roles gain one", CA, "conditions.users.includeRoles", ["a"], ["a", "b"], CTX, STRENGTHENS, "more covered"),
    ("an exclusion added", CA, "conditions.users.excludeGroups", [EMERGENCY_GROUP], [EMERGENCY_GROUP, "c0417ac7"], CTX, WEAKENS, "more left outside"),
    ("another exclusion removed", CA, "conditions.users.excludeGroups", [EMERGENCY_GROUP, CA_EXCLUSION], [EMERGENCY_GROUP], CTX, STRENGTHENS, "fewer exceptions"),
    ("exclusion removed, break-glass IDs unknown", CA, "conditions.users.excludeGroups", ["x", "y"], ["x"], UNKNOWN_CTX, WEAKENS, "may be the break-glass exclusion"),
    ("the emergency group's exclusion removed", CA, "conditions.users.excludeGroups", [EMERGENCY_GROUP, CA_EXCLUSION], [CA_EXCLUSION], CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("exclusion list emptied (drift)", CA, "conditions.users.excludeGroups", [EMERGENCY_GROUP], None, CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("exclusion list emptied (review)", CA, "conditions.users.excludeGroups", [EMERGENCY_GROUP], [], CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("break-glass user exclusion emptied, other case", CA, "conditions.users.excludeUsers", [BREAK_GLASS.upper()], [], CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("users block lost (drift)", CA, "conditions.users", USERS, None, CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("users block emptied (review)", CA, "conditions.users", USERS, {}, CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("users block keeps only its includes (review)", CA, "conditions.users", USERS,
     {k: v for k, v in USERS.items() if k.startswith("include")}, CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("users block lost, break-glass IDs unknown", CA, "conditions.users", {"excludeGroups": ["x"]}, None, UNKNOWN_CTX, WEAKENS, "may be the break-glass exclusion"),
    ("conditions lost (drift)", CA, "conditions", {"users": USERS, "applications": {"includeApplications": ["All"]}}, None, CTX, WEAKENS, "emergency-access exclusion is gone"),
    ("applications lost (review)", CA, "conditions.applications", {"includeApplications": ["All"]}, {}, CTX, WEAKENS, "fewer sign-ins covered"),
    ("location condition added", CA, "conditions.locations", None, {"includeLocations": ["AllTrusted"]}, CTX, WEAKENS, "applies to fewer sign-ins"),
    ("location condition removed", CA, "conditions.locations", {"includeLocations": ["AllTrusted"]}, None, CTX, STRENGTHENS, "applies more widely"),
    ("location condition emptied (review)", CA, "conditions.locations", {"includeLocations": ["AllTrusted"]}, {}, CTX, STRENGTHENS, "applies more widely"),
    ("display name", CA, "displayName", "ZTB a", "ZTB b", CTX, NEUTRAL, "renamed"),
    ("an unclassified field", CA, "conditions.devices.deviceFilter.rule", "a", "b", CTX, WEAKENS, "not classified"),
    # PIM
    ("activation longer", PIM, f"{EXPIRY}.maximumDuration", "PT1H", "PT4H", CTX, WEAKENS, "activation maximum: PT1H → PT4H"),
    ("activation shorter", PIM, f"{EXPIRY}.maximumDuration", "PT4H", "PT1H", CTX, STRENGTHENS, "activation maximum"),
    ("activation limit gone", PIM, f"{EXPIRY}.maximumDuration", "PT1H", None, CTX, WEAKENS, "no limit"),
    ("expiration no longer required", PIM, "rules[Expiration_Admin_Eligibility].isExpirationRequired", True, False, CTX, WEAKENS, "expiration required"),
    ("MFA no longer required on activation", PIM, "rules[Enablement_EndUser_Assignment].enabledRules", ["MultiFactorAuthentication", "Justification"], ["Justification"], CTX, WEAKENS, "required on activation"),
    ("approval no longer required", PIM, f"{APPROVAL}.setting.isApprovalRequired", True, False, CTX, WEAKENS, "is approval required"),
    ("approvers replaced", PIM, f"{APPROVAL}.setting.approvalStages[0].primaryApprovers", STAGE["primaryApprovers"], [], CTX, WEAKENS, "who may approve"),
    ("approval stage emptied (review)", PIM, f"{APPROVAL}.setting.approvalStages", [STAGE], [], CTX, WEAKENS, "approvers"),
    ("approval setting lost (drift)", PIM, f"{APPROVAL}.setting", {"isApprovalRequired": True, "approvalStages": [STAGE]}, None, CTX, WEAKENS, "is approval required"),
    ("a rule missing", PIM, EXPIRY, {"id": "Expiration_EndUser_Assignment", "maximumDuration": "PT1H"}, None, CTX, WEAKENS, "missing"),
    ("rules lost (review)", PIM, "rules", [{"id": "Expiration_EndUser_Assignment", "maximumDuration": "PT1H"}], [], CTX, WEAKENS, "missing"),
    ("notification recipient removed", PIM, "rules[Notification_Admin_Admin_Eligibility].notificationRecipients", ["a@x"], [], CTX, WEAKENS, "notification recipients"),
    ("notification level lowered", PIM, "rules[Notification_Admin_Admin_Eligibility].notificationLevel", "All", "Critical", CTX, WEAKENS, "notification level"),
    # device compliance
    ("minimum OS lowered", DEV, "osMinimumVersion", "10.0.19045.0", "10.0.17763.0", CTX, WEAKENS, "minimum OS version"),
    ("minimum OS raised", DEV, "osMinimumVersion", "10.0.17763.0", "10.0.19045.0", CTX, STRENGTHENS, "minimum OS version"),
    ("more device risk allowed", DEV, "deviceThreatProtectionRequiredSecurityLevel", "low", "high", CTX, WEAKENS, "Defender for Endpoint"),
    ("a requirement off", DEV, "bitLockerEnabled", True, False, CTX, WEAKENS, "bit locker enabled"),
    ("assignment removed", DEV, "assignments", [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": PRIVILEGED}}], [], CTX, WEAKENS, "no longer evaluated"),
    ("an exclusion assignment added", DEV, "assignments", [], [{"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g"}}], CTX, WEAKENS, "no longer evaluated"),
    # groups
    ("privileged group loses a member", GRP, "members", ["a", "b"], ["a"], CTX, WEAKENS, "members"),
    ("privileged group gains a member", GRP, "members", ["a"], ["a", "b"], CTX, STRENGTHENS, "members"),
    ("emergency group gains a member", GRP, "members", [BREAK_GLASS], [BREAK_GLASS, "ad0"], EXCLUSION_CTX, WEAKENS, "excluded from every privileged policy"),
    ("emergency group loses a break-glass account", GRP, "members", [BREAK_GLASS], [], EXCLUSION_CTX, WEAKENS, "break-glass account leaves"),
    ("emergency group loses an extra account", GRP, "members", [BREAK_GLASS, "ad0"], [BREAK_GLASS], EXCLUSION_CTX, STRENGTHENS, "fewer accounts excluded"),
    ("emergency group members lost (drift)", GRP, "members", [{"id": BREAK_GLASS}], None, EXCLUSION_CTX, WEAKENS, "break-glass account leaves"),
    ("an owner added", GRP, "owners", [{"id": BREAK_GLASS}], [{"id": BREAK_GLASS}, {"id": "ad0"}], CTX, WEAKENS, "who can change this group's members"),
    ("role-assignable turned off", GRP, "isAssignableToRole", True, False, CTX, WEAKENS, "is assignable to role"),
    # eligibility
    ("eligibility longer", ELIG, "scheduleInfo.expiration.duration", "P180D", "P365D", CTX, WEAKENS, "eligibility expires after"),
    ("eligibility without end", ELIG, "scheduleInfo.expiration.duration", "P180D", None, CTX, WEAKENS, "no limit"),
    ("eligibility moves to another principal", ELIG, "principalId", "ad000000-1", "ad000000-2", CTX, NEUTRAL, "review who becomes eligible"),
    ("eligibility widened to the directory", ELIG, "directoryScopeId", "/administrativeUnits/au1", "/", CTX, WEAKENS, "whole directory"),
    ("eligibility narrowed to a unit", ELIG, "directoryScopeId", "/", "/administrativeUnits/au1", CTX, STRENGTHENS, "scope"),
    ("eligibility expiry type", ELIG, "scheduleInfo.expiration.type", "afterDuration", "noExpiration", CTX, WEAKENS, "not classified"),
    # app protection: Intune stores "PIN reset after number of days: No" as a zero period
    ("PIN never reset", "managedAppProtection", "periodBeforePinReset", "P365D", "PT0S", CTX, WEAKENS, "never reset"),
    ("PIN reset turned on", "managedAppProtection", "periodBeforePinReset", "P0D", "P90D", CTX, STRENGTHENS, "never reset"),
    ("PIN reset sooner", "managedAppProtection", "periodBeforePinReset", "P365D", "P90D", CTX, STRENGTHENS, "period before pin reset"),
    ("PIN reset later", "managedAppProtection", "periodBeforePinReset", "P90D", "P365D", CTX, WEAKENS, "period before pin reset"),
    # a kind this module does not know
    ("unknown kind", "namedLocation", "ipRanges", ["10.0.0.0/8"], [], CTX, WEAKENS, "not classified"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_rule_gives_its_verdict_and_says_why(case):
    _, kind, path, old, new, ctx, impact, words = case
    verdict = classify(kind, path, old, new, ctx)
    assert verdict.impact == impact, verdict.reason
    assert words in verdict.reason


# -- drift and review agree (issue 11 §14) --------------------------------------------------------

POLICY = {"displayName": "ZTB PRIV-CA-01", "state": "enabled",
          "conditions": {"users": USERS, "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
          "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}


def _verdicts(desired: dict, actual: dict) -> list:
    return [classify(CA, c.path, c.desired, c.actual, CTX) for c in compare(CA, desired, actual)]


@pytest.mark.parametrize("lost", [
    {"users": None}, {"users": {}}, {"users": {"includeRoles": USERS["includeRoles"]}},
    {"users": {**USERS, "excludeGroups": [], "excludeUsers": []}}, {"users": {**USERS, "excludeGroups": None, "excludeUsers": None}},
])
def test_drift_and_review_call_a_lost_break_glass_exclusion_weakening(lost):
    """Drift compares the stack's desired policy with the tenant's; review the old inputs with the new.
    Whichever shape the loss takes ({} or absent users, emptied or null lists), both say weakens."""
    changed = {**POLICY, "conditions": {**POLICY["conditions"], **lost}}
    if changed["conditions"]["users"] is None:
        del changed["conditions"]["users"]
    drift, review = _verdicts(POLICY, changed), _verdicts(POLICY, changed)
    # drift's direction (desired -> tenant) and review's (old -> new) are the same pair here; the
    # tenant's policy read back after normalisation is the other shape of the same loss
    assert drift and all(v.impact == WEAKENS for v in drift if "exclu" in v.reason)
    assert [v.impact for v in drift] == [v.impact for v in review]
    assert any("emergency-access exclusion is gone" in v.reason for v in drift)


def test_a_lost_users_block_weakens_whether_absent_or_empty():
    absent, empty = classify(CA, "conditions.users", USERS, None, CTX), classify(CA, "conditions.users", USERS, {}, CTX)
    assert absent == empty
    assert absent.impact == WEAKENS and "emergency-access exclusion is gone" in absent.reason


def test_a_users_block_given_back_strengthens_but_a_new_exclusion_in_it_weakens():
    assert classify(CA, "conditions.users", None, {"includeRoles": ["a"]}, CTX).impact == STRENGTHENS
    assert classify(CA, "conditions.users", {}, {"includeRoles": ["a"], "excludeGroups": ["x"]}, CTX).impact == WEAKENS


# -- whole operations and policies outside the baseline -------------------------------------------

@pytest.mark.parametrize("op, kind, impact", [
    ("delete", CA, WEAKENS), ("delete", GRP, WEAKENS), ("delete", PIM, WEAKENS), ("delete", DEV, WEAKENS), ("delete", ELIG, NEUTRAL),
    ("replace", CA, WEAKENS), ("replace", GRP, WEAKENS), ("replace", ELIG, NEUTRAL), ("create-replacement", CA, WEAKENS),
    ("create", CA, STRENGTHENS), ("create", ELIG, NEUTRAL), ("import", GRP, STRENGTHENS), ("uncovered", PIM, WEAKENS),
])
def test_operations(op, kind, impact):
    assert classify_operation(op, kind).impact == impact


@pytest.mark.parametrize("policy", [
    {}, None, [], "x", {"conditions": "x"}, {"conditions": {"users": []}}, {"conditions": {"users": {"excludeUsers": "x"}}},
    {"conditions": {"users": {"excludeUsers": [1, None, {"id": BREAK_GLASS}]}}},
])
def test_an_unmanaged_policy_of_any_shape_that_does_not_visibly_exclude_break_glass_weakens(policy):
    assert classify_unmanaged(policy, CTX).impact == WEAKENS


def test_field_words_and_unverifiable():
    assert field_words("conditions.users.excludeGroups") == "excluded groups"
    assert field_words("rules[X].setting.approvalStages[0].primaryApprovers") == "primary approvers"
    v = unverifiable("rules[Notification_Admin_Admin_Eligibility].notificationRecipients", "hidden")
    assert v.impact == WEAKENS and v.reason.startswith("notification admin admin eligibility: notification recipients: hidden")


# -- no JSON value makes classify raise; unknown shapes weaken ------------------------------------

def _deep(depth: int, leaf) -> object:
    v = leaf
    for i in range(depth):
        v = {"a": v} if i % 2 else [v]
    return v


#: The class of values a hostile or broken input can hold, every JSON type and a few relatives.
HOSTILE = {
    "str": "4", "empty str": "", "long str": "x" * 100_000, "int": 4, "zero": 0, "negative": -1, "float": 4.5,
    "huge int": 10**400, "nan": math.nan, "inf": math.inf, "true": True, "false": False, "null": None,
    "empty object": {}, "object": {"id": 1, "value": "x"}, "empty list": [], "list of numbers": [1, 2],
    "list of null": [None], "list of lists": [[1], ["a"]], "list of objects": [{"id": "x"}, {}],
    "objects without ids": [{"a": 1}, {"b": 2}], "secret": "[secret]", "unknown": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "nested 50": _deep(50, "x"), "nested 5000": _deep(5000, "x"), "wide object": {str(i): i for i in range(500)},
}

#: A well-formed value of every rule, and the JSON types that value may have.
TYPED = [
    (CA, "state", "enabled", (str,)),
    (CA, "displayName", "ZTB x", (str,)),
    (CA, "grantControls.operator", "OR", (str,)),
    (CA, "grantControls.builtInControls", ["mfa"], (list,)),
    (CA, "grantControls.authenticationStrength", {"id": "00000000-0000-0000-0000-000000000004"}, (dict,)),
    (CA, "conditions.users.includeRoles", ["62e90394-69f5-4237-9190-012177145e10"], (list,)),
    (CA, "conditions.users.excludeGroups", [EMERGENCY_GROUP], (list,)),
    (CA, "conditions.clientAppTypes", ["all"], (list,)),
    (CA, "sessionControls.signInFrequency.value", 4, (int, float)),
    (CA, "sessionControls.signInFrequency.type", "hours", (str,)),
    (CA, "sessionControls.signInFrequency.isEnabled", True, (bool,)),
    (CA, "sessionControls.persistentBrowser.mode", "never", (str,)),
    (PIM, f"{EXPIRY}.maximumDuration", "PT1H", (str,)),
    (PIM, f"{EXPIRY}.isExpirationRequired", True, (bool,)),
    (PIM, "rules[Enablement_EndUser_Assignment].enabledRules", ["MultiFactorAuthentication"], (list,)),
    (PIM, f"{APPROVAL}.setting.isApprovalRequired", True, (bool,)),
    (PIM, f"{APPROVAL}.setting.approvalStages[0].primaryApprovers", STAGE["primaryApprovers"], (list,)),
    (PIM, "rules[Notification_Admin_Admin_Eligibility].notificationRecipients", ["a@contoso.com"], (list,)),
    (PIM, "rules[Notification_Admin_Admin_Eligibility].notificationLevel", "All", (str,)),
    (PIM, "rules[Notification_Admin_Admin_Eligibility].isDefaultRecipientsEnabled", True, (bool,)),
    (DEV, "osMinimumVersion", "10.0.19045.0", (str,)),
    (DEV, "deviceThreatProtectionRequiredSecurityLevel", "low", (str,)),
    (DEV, "assignments", [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g"}}], (list,)),
    (DEV, "bitLockerEnabled", True, (bool,)),
    (GRP, "members", [BREAK_GLASS], (list,)),
    (GRP, "isAssignableToRole", True, (bool,)),
    (ELIG, "scheduleInfo.expiration.duration", "P180D", (str,)),
    (ELIG, "principalId", "ad000000-0000-4000-8000-000000000011", (str,)),
]
#: Values that are of the right JSON type but hold nothing this field can mean.
WRONG_CONTENT = {"members": ["list of numbers", "list of null", "list of lists"], "value": ["nan", "inf"],
                 "excludeGroups": ["list of numbers", "list of null", "list of lists", "list of objects"]}


def _matches(value, types) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


@pytest.mark.parametrize("kind, path, good, types", TYPED, ids=[f"{k}:{p}" for k, p, _, _ in TYPED])
def test_no_value_of_any_json_type_makes_classify_raise_and_a_wrong_type_weakens(kind, path, good, types):
    ctx_all = [CTX, EXCLUSION_CTX, UNKNOWN_CTX]
    for name, hostile in HOSTILE.items():
        for ctx in ctx_all:
            for old, new in ((good, hostile), (hostile, good)):
                verdict = classify(kind, path, old, new, ctx)  # must not raise
                assert verdict.impact in (WEAKENS, NEUTRAL, STRENGTHENS)
                assert isinstance(verdict.reason, str) and len(verdict.reason) < 2_000, (name, len(verdict.reason))
                wrong_type = hostile is not None and not _matches(hostile, types)
                wrong_content = name in WRONG_CONTENT.get(path.rsplit(".", 1)[-1], ())
                if wrong_type or wrong_content:
                    assert verdict.impact == WEAKENS, (name, old if old is not good else new, verdict)


@pytest.mark.parametrize("kind", [CA, PIM, DEV, GRP, ELIG, "somethingElse", None])
def test_any_pair_of_hostile_values_at_any_path_is_judged_without_raising(kind):
    paths = ["", "state", "conditions", "conditions.users", "sessionControls", "rules", EXPIRY, f"{APPROVAL}.setting",
             "assignments", "members", "scheduleInfo", "x.y[0].z"]
    for path in paths:
        for a in HOSTILE.values():
            for b in HOSTILE.values():
                verdict = classify(kind, path, a, b, CTX)
                assert verdict.impact in (WEAKENS, NEUTRAL, STRENGTHENS)
                assert len(verdict.reason) < 2_000


def test_blocks_of_any_json_value_are_judged_by_their_parts():
    """A block whose parts are hostile values: each part is judged, the worst wins, nothing raises."""
    for name, value in HOSTILE.items():
        old = {"users": {**USERS, "includeUsers": value}}
        verdict = classify(CA, "conditions", old, {}, CTX)
        assert verdict.impact == WEAKENS, name
        assert json.dumps(verdict.impact)


def test_a_nested_block_deeper_than_graph_has_weakens_without_raising():
    deep = {"x": {"y": None}}
    for _ in range(40):
        deep = {"x": deep}
    verdict = classify(CA, "conditions", deep, None, CTX)
    assert verdict.impact == WEAKENS and "shape" in verdict.reason


@pytest.mark.parametrize("path, new", [
    ("sessionControls", {"persistentBrowser": {"mode": "always", "isEnabled": True}}),
    ("sessionControls.persistentBrowser", {"mode": "always", "isEnabled": True}),
    ("sessionControls.persistentBrowser", {"mode": "unknownFutureValue"}),
])
def test_a_persistent_browser_control_added_that_keeps_sessions_weakens(path, new):
    assert classify("conditionalAccessPolicy", path, None, new).impact == WEAKENS


def test_a_persistent_browser_control_added_that_never_persists_strengthens():
    new = {"mode": "never", "isEnabled": True}
    assert classify("conditionalAccessPolicy", "sessionControls.persistentBrowser", None, new).impact == STRENGTHENS

"""`ztb readiness` against the Graph double through the real msgraph-sdk stack: verdicts, exit codes 0/2/1."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.doubles.graph import graph, graph_server  # noqa: F401  (fixtures)
from tests.readiness.tenant import (ALL_STAFF, BREAK_GLASS, GA, NO_METHOD, PHONE_ONLY, READY, STANDING, report_only_stack,
                                    sample_tenant)
from ztb.cli.readiness import command


def run(config, *args: str):
    return CliRunner().invoke(command, ["--config", str(config), *args], catch_exceptions=False)


@pytest.fixture
def config(tmp_path):
    return report_only_stack(tmp_path)


def people(result) -> dict[str, dict]:
    return {p["id"]: p for p in json.loads(result.stdout)["people"]}


def test_everyone_ready_exits_0_and_lists_each_person_with_why(graph, config):
    sample_tenant(graph, config)
    result = run(config, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["outcome"] == "ready" and doc["couldNotRead"] == []
    found = people(result)
    assert set(found) == {READY, NO_METHOD, PHONE_ONLY, STANDING}
    assert found[READY]["verdict"] == "ready" and found[READY]["summary"] == "ready"
    assert "member of ZTB Privileged Users" in found[READY]["inScopeBecause"]
    assert any(w.startswith("Global Administrator: eligible until ") for w in found[READY]["inScopeBecause"])
    assert found[STANDING]["access"] == ["Global Administrator: permanently active"]
    assert found[READY]["syncedFromOnPremises"] is False
    assert [b["verdict"] for b in doc["breakGlass"]] == ["ready", "ready"]
    # The report-only policies' outcomes, counted per baseline policy from the documented sign-in shape.
    by_control = {o["controlId"]: o["counts"] for o in doc["reportOnly"]}
    assert by_control["PRIV-CA-01"]["reportOnlySuccess"] == 4
    # Standing access is reported beside the checklist: the documented permanent Global Administrator.
    assert any(f["controlId"].startswith("STANDING-6be4b305") for f in doc["standingAccess"])


def test_locked_out_people_exit_2_listed_first_with_control_reason_and_fix(graph, config):
    t = sample_tenant(graph, config)
    t.registration[NO_METHOD]["methodsRegistered"] = ["microsoftAuthenticatorPush", "softwareOneTimePasscode"]
    t.devices = [d for d in t.devices if d["userId"] != PHONE_ONLY]
    t.device(PHONE_ONLY, "iOS", "noncompliant", "Alex's iPhone")
    result = run(config, "--format", "json")
    assert result.exit_code == 2, result.output
    listed = json.loads(result.stdout)["people"]
    assert [p["verdict"] for p in listed[:2]] == ["blocked", "blocked"] and listed[-1]["verdict"] == "ready"
    found = people(result)
    no_method = found[NO_METHOD]
    assert no_method["summary"].startswith("would be blocked by PRIV-CA-01, PRIV-CA-04, PRIV-CA-05, PRIV-CA-08, PRIV-CA-13 because no phishing-resistant method")
    assert "Temporary Access Pass" in no_method["fixes"][0]
    phone = found[PHONE_ONLY]
    assert "PRIV-CA-03" in phone["summary"] and "only a non-compliant iOS device 'Alex's iPhone'" in phone["summary"]
    assert "enrol a device" in phone["fixes"][0]
    assert found[READY]["verdict"] == "ready"


def test_text_lists_the_blocked_first(graph, config):
    t = sample_tenant(graph, config)
    t.registration[NO_METHOD]["methodsRegistered"] = ["mobilePhone"]
    result = run(config)
    assert result.exit_code == 2
    blocks = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert blocks[0].startswith("[BLOCKED] nomethod@contoso.com")
    assert all(b.startswith("[READY]") for b in blocks[1:])


def test_report_only_failure_blocks_with_the_policy_that_saw_it(graph, config):
    t = sample_tenant(graph, config)
    t.sign_in(READY, [(t.policy_id("PRIV-CA-02"), t.policy_name("PRIV-CA-02"), "reportOnlyFailure")], hours_ago=3)
    result = run(config, "--format", "json")
    assert result.exit_code == 2
    ready = people(result)[READY]
    assert ready["verdict"] == "blocked"
    assert "1 of 2 sign-ins" in ready["summary"] and "PRIV-CA-02" in ready["summary"]


def test_break_glass_caught_by_an_unmanaged_enabled_policy_exits_2(graph, config):
    t = sample_tenant(graph, config)
    t.add_member(ALL_STAFF, BREAK_GLASS[1])
    result = run(config, "--format", "json")
    assert result.exit_code == 2, result.output
    bg = {b["id"]: b for b in json.loads(result.stdout)["breakGlass"]}
    caught = bg[BREAK_GLASS[1]]
    assert caught["verdict"] == "blocked"
    assert "'Access to EXO requires MFA' (7359d0e0-d8a9-4afa-8a93-e23e099d7be8, not in the baseline)" in caught["summary"]
    assert bg[BREAK_GLASS[0]]["verdict"] == "ready"


def test_break_glass_synced_or_used_is_said(graph, config):
    t = sample_tenant(graph, config)
    t.users[BREAK_GLASS[0]]["onPremisesSyncEnabled"] = True
    t.sign_in(BREAK_GLASS[1], [], hours_ago=2)
    result = run(config, "--format", "json")
    assert result.exit_code == 2
    bg = {b["id"]: b for b in json.loads(result.stdout)["breakGlass"]}
    assert "synced from on-premises" in bg[BREAK_GLASS[0]]["summary"]
    unused = next(c for c in bg[BREAK_GLASS[1]]["checks"] if c["check"] == "not used in the window")
    assert "signed in 1 time(s)" in unused["reason"]


def test_403_on_sign_in_logs_exits_1_naming_the_permission(graph, config):
    sample_tenant(graph, config)
    graph.fail("GET", r"/auditLogs/signIns", 403, times=100)
    result = run(config, "--format", "json")
    assert result.exit_code == 1, result.output
    assert "AuditLog.Read.All" in result.stderr and "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert doc["outcome"] == "unknown" and any("sign-in logs could not be read" in x for x in doc["couldNotRead"])
    assert {c["status"] for p in doc["people"] for c in p["checks"] if c["check"] == "report-only outcomes"} == {"unknown"}


def test_no_licence_for_sign_in_logs_names_entra_id_p1(graph, config):
    sample_tenant(graph, config)
    body = {"error": {"code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                      "message": "Neither tenant is B2C or tenant doesn't have premium license", "innerError": {}}}
    graph.fail("GET", r"/auditLogs/signIns", 403, body, times=100)
    result = run(config)
    assert result.exit_code == 1
    assert "Microsoft Entra ID P1 (sign-in logs)" in result.stderr


def test_hidden_risk_needs_p2_and_is_never_ready(graph, config):
    t = sample_tenant(graph, config)
    t.sign_in(READY, [], hours_ago=2, risk="hidden")
    result = run(config, "--format", "json")
    assert result.exit_code == 1
    assert "Entra ID P2" in people(result)[READY]["summary"]


def test_partial_page_exits_1(graph, config):
    sample_tenant(graph, config)
    graph.page_size = 1
    graph.repeat_page(r"userRegistrationDetails")  # page 1 served again in place of page 2
    result = run(config, "--format", "json")
    assert result.exit_code == 1, result.output
    assert "registration details could not be read" in result.stderr and "RepeatedObject" in result.stderr


def test_failed_page_past_retries_exits_1(graph, config):
    sample_tenant(graph, config)
    graph.page_size = 2
    graph.fail("GET", r"managedDevices.*skiptoken", 503, times=100)
    result = run(config, "--format", "json")
    assert result.exit_code == 1
    assert "Intune managed devices could not be read" in result.stderr


def test_scope_unreadable_exits_1_in_one_line(graph, config):
    sample_tenant(graph, config)
    graph.fail("GET", r"roleAssignmentScheduleInstances", 403, times=100)
    result = run(config)
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "RoleManagement.Read.Directory" in lines[0]


def test_requests_grow_with_pages_filters_and_batches(graph, config):
    sample_tenant(graph, config)
    run(config)
    sub = graph.batched
    assert all("$select" not in r.query for r in sub if "userRegistrationDetails" in r.path)
    assert all("createdDateTime ge " in r.query["$filter"] for r in sub if r.path.endswith("/signIns"))
    assert all(r.query.get("$select") for r in sub if r.path.endswith("/managedDevices"))
    assert all(" in (" in r.query["$filter"] for r in sub if r.path.endswith("ScheduleInstances"))
    # Nothing per person outside $batch: the HTTP requests are a handful, whatever the number of people.
    assert len(graph.requests) <= 12, [r.path for r in graph.requests]


def test_phase_evaluate_enforces_on_the_ring_only(graph, config):
    t = sample_tenant(graph, config)
    ring = next(g["id"] for g in t.groups if g["displayName"].endswith("Ring 1 - Evaluate"))
    t.add_member(ring, PHONE_ONLY)
    result = run(config, "--phase", "evaluate", "--format", "json")
    doc = json.loads(result.stdout)
    assert [p["id"] for p in doc["people"]] == [PHONE_ONLY] and doc["phase"] == "evaluate"
    assert "member of ZTB Privileged Ring 1 - Evaluate" in doc["people"][0]["inScopeBecause"]
    assert PHONE_ONLY in doc["phases"]["full"] and READY not in doc["phases"]["evaluate"]


def test_global_admin_role_through_a_group_puts_its_members_in_scope(graph, config):
    t = sample_tenant(graph, config)
    admins = t.group("9a000000-0000-4000-8000-0000000000a1", "Tier 0 admins")
    member = t.user("9a000000-0000-4000-8000-0000000000b1", "nested@contoso.com", methods=["windowsHelloForBusiness"])
    t.device(member, "Windows", "compliant")
    t.add_member(admins, member)
    t.eligibility(admins, GA, activated_hours_ago=1)
    result = run(config, "--format", "json")
    found = people(result)
    assert any("through group Tier 0 admins" in w for w in found[member]["inScopeBecause"])


def test_another_tenant_is_refused_in_one_line(graph, config):
    sample_tenant(graph, config)
    graph.organization_id = "cab01047-8ad9-4792-8e42-569340767f1b"
    result = run(config)
    assert result.exit_code == 1 and result.stdout == ""
    assert "ztb:tenantId" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_unverifiable_tenant_is_refused(graph, config):
    sample_tenant(graph, config)
    graph.organization_id = None  # 403: no Organization.Read.All, and the test token carries no tid claim
    result = run(config)
    assert result.exit_code == 1 and "cannot verify which tenant" in result.stderr


def test_break_glass_missing_from_a_report_only_baseline_policy_is_caught(graph, config):
    t = sample_tenant(graph, config)
    policy = next(p for p in t.policies if " PRIV-CA-03 " in p["displayName"])
    assert policy["state"] == "enabledForReportingButNotEnforced"
    policy["conditions"]["users"]["excludeUsers"] = []
    policy["conditions"]["users"]["excludeGroups"] = []
    privileged = next(g["id"] for g in t.groups if g["displayName"] == "ZTB Privileged Users")
    t.add_member(privileged, BREAK_GLASS[0])
    result = run(config, "--format", "json")
    assert result.exit_code == 2
    bg = {b["id"]: b for b in json.loads(result.stdout)["breakGlass"]}
    assert "PRIV-CA-03" in bg[BREAK_GLASS[0]]["summary"]


def test_a_throttled_batch_part_is_read_again_after_its_retry_after(graph, config):
    sample_tenant(graph, config)
    graph.fail("GET", r"/auditLogs/signIns", 429, headers={"Retry-After": "3"}, times=1)
    result = run(config, "--format", "json")
    assert result.exit_code == 0, result.output
    assert 3.0 in graph.sleeps
    throttled = [r for r in graph.batched if r.path.endswith("/signIns")]
    again = [r for r in graph.requests if r.path.endswith("/signIns")]
    assert throttled and again and again[0].query["$filter"] == throttled[0].query["$filter"]


@pytest.mark.parametrize("pattern, body, words", [
    (r"/auditLogs/signIns", {"value": [{"userId": READY, "createdDateTime": "2026-01-01T00:00:00Z"}]}, "sign-in logs could not be read"),
    (r"userRegistrationDetails", {"value": 5}, "registration details could not be read"),
    (r"userRegistrationDetails", {"value": ["not an object"]}, "registration details could not be read"),
    (r"/managedDevices", {"error": "no value list"}, "Intune managed devices could not be read"),
])
def test_a_malformed_evidence_answer_is_never_ready(graph, config, pattern, body, words):
    sample_tenant(graph, config)
    graph.fail("GET", pattern, 200, body, times=100)
    result = run(config, "--format", "json")
    assert result.exit_code == 1, result.output
    assert words in result.stderr


@pytest.mark.parametrize("member", ["../../users/x", "not-a-guid", "0b5e0a11-0000-4000-8000-00000000000z"])
def test_a_member_that_is_not_an_object_id_stops_the_read_in_one_line(graph, config, member):
    t = sample_tenant(graph, config)
    privileged = next(g["id"] for g in t.groups if g["displayName"] == "ZTB Privileged Users")
    t.add_member(privileged, member)
    result = run(config)
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "is not a GUID" in result.stderr


def test_no_baseline_policy_in_the_tenant_is_could_not_tell_not_ready(graph, config):
    t = sample_tenant(graph, config)
    t.policies = [p for p in t.policies if "PRIV-CA" not in p["displayName"]]
    t.sign_in(READY, [(t.policies[0]["id"], t.policies[0]["displayName"], "reportOnlyFailure")])  # not ours: not evidence
    result = run(config, "--format", "json")
    assert result.exit_code == 1, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("Error: PRIV-CA-01, PRIV-CA-02, ") and "PRIV-CA-13 are not deployed: deploy the stack (report-only) first" in first
    doc = json.loads(result.stdout)
    assert doc["outcome"] == "unknown" and doc["ready"] is False
    assert all(p["verdict"] != "ready" for p in doc["people"])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_one_missing_policy_is_named_for_every_person(graph, config, fmt):
    t = sample_tenant(graph, config)
    t.policies = [p for p in t.policies if " PRIV-CA-03 " not in p["displayName"]]
    result = run(config, "--format", fmt)
    assert result.exit_code == 1
    assert "Error: PRIV-CA-03 is not deployed: deploy the stack (report-only) first" in result.stderr
    if fmt == "json":
        for p in json.loads(result.stdout)["people"]:
            (check,) = [c for c in p["checks"] if c["check"] == "report-only outcomes"]
            assert check["status"] == "unknown" and check["controls"] == ["PRIV-CA-03"]


def test_a_would_be_failure_of_a_deployed_policy_still_blocks(graph, config):
    t = sample_tenant(graph, config)
    t.policies = [p for p in t.policies if " PRIV-CA-03 " not in p["displayName"]]
    t.sign_in(NO_METHOD, [(t.policy_id("PRIV-CA-01"), t.policy_name("PRIV-CA-01"), "reportOnlyFailure")])
    result = run(config, "--format", "json")
    assert result.exit_code == 2
    assert "reportOnlyFailure: 1 by PRIV-CA-01" in {p["id"]: p for p in json.loads(result.stdout)["people"]}[NO_METHOD]["summary"]

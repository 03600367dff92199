"""Issue 11 §1: the tenant is what the token and Graph say it is, never the configured value on trust.

Three sources: the access token's ``tid`` claim, the tenant inside directory-role PIM policy IDs
(``DirectoryRole_<tenant>_<id>``, Graph's documented format), ``/organization``. Any disagreement,
a mismatch with ``ztb:tenantId``, or no evidence at all exits 1 in one line, for export and live
drift alike, and nothing is written.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import SAMPLE_STACK
from tests.doubles.tenant import serve
from tests.doubles.graph import access_token, graph, graph_server  # noqa: F401 (fixtures)
from tests.drift.test_detect import IDEAL, SAMPLE
from tests.cli.test_drift import assert_one_error_line
from ztb.cli.drift import command as drift_command
from ztb.cli.export import command as export_command
from ztb.tenant.export import ExportError, verify_tenant
from ztb.graph.token import tenant_claim
from ztb.tenant.snapshot import load

STACK_TENANT = IDEAL["tenantId"]
OTHER = "f00dcafe-0000-4000-8000-00000000beef"


def tenant(graph, snap=None):
    serve(graph, copy.deepcopy(snap if snap is not None else IDEAL))
    return graph


def with_pim_tenant(tenant_id: str) -> dict:
    """IDEAL with every directory-role PIM policy ID naming ``tenant_id`` (assignments follow)."""
    snap = copy.deepcopy(IDEAL)
    for p in snap["roleManagementPolicies"]:
        p["id"] = p["id"].replace(STACK_TENANT, tenant_id)
    for a in snap["roleManagementPolicyAssignments"]:
        a["id"] = a["id"].replace(STACK_TENANT, tenant_id)
        a["policyId"] = a["policyId"].replace(STACK_TENANT, tenant_id)
    return snap


def run(command, tmp_path, *args, config=SAMPLE_STACK):
    return CliRunner().invoke(command, ["--config", str(config), *args], catch_exceptions=False)


def export(tmp_path, config=SAMPLE_STACK):
    out = tmp_path / "tenant.json"
    return run(export_command, tmp_path, "--out", str(out), config=config), out


def drift(tmp_path, config=SAMPLE_STACK):
    return run(drift_command, tmp_path, "--format", "json", config=config)


def assert_refused(tmp_path, *words, config=SAMPLE_STACK):
    assert_one_error_line(drift(tmp_path, config), *words)
    result, out = export(tmp_path, config)
    assert_one_error_line(result, *words)
    assert not out.exists() and not list(tmp_path.glob(".ztb-*"))


def stack_without_tenant(tmp_path) -> str:
    doc = yaml.safe_load(SAMPLE_STACK.read_text())
    del doc["config"]["ztb:tenantId"]
    path = tmp_path / "Pulumi.notenant.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


# --------------------------------------------------------------------------- the CLI


def test_a_token_of_another_tenant_exits_1_never_in_sync(graph, tmp_path, monkeypatch):
    tenant(graph)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", access_token(OTHER))
    assert_refused(tmp_path, "disagree", f"{OTHER} by the access token's tid claim",
                   f"{STACK_TENANT} by /organization and the directory-role PIM policy IDs")


def test_a_token_and_graph_of_another_tenant_exit_1_naming_the_configured_one(graph, tmp_path, monkeypatch):
    snap = with_pim_tenant(OTHER)
    snap["tenantId"] = OTHER
    tenant(graph, snap)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", access_token(OTHER))
    assert_refused(tmp_path, f"Graph answered for tenant {OTHER}", f"the stack config names tenant {STACK_TENANT} (ztb:tenantId)",
                   "nothing was compared or written")


def test_an_organization_of_another_tenant_exits_1(graph, tmp_path):
    tenant(graph).organization_id = OTHER
    assert_refused(tmp_path, "disagree", f"{OTHER} by /organization")


def test_pim_policy_ids_of_another_tenant_exit_1(graph, tmp_path):
    tenant(graph, with_pim_tenant(OTHER))
    assert_refused(tmp_path, "disagree", f"{OTHER} by the directory-role PIM policy IDs")


def test_pim_policy_ids_naming_two_tenants_exit_1(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    p = snap["roleManagementPolicies"][0]
    p["id"] = p["id"].replace(STACK_TENANT, OTHER)
    tenant(graph, snap)
    assert_one_error_line(drift(tmp_path), "disagree", OTHER, STACK_TENANT)


def test_no_evidence_at_all_exits_1_and_never_stamps_the_configured_tenant(graph, tmp_path):
    snap = copy.deepcopy(IDEAL)
    snap["roleManagementPolicies"], snap["roleManagementPolicyAssignments"] = [], []
    tenant(graph, snap).organization_id = None  # 403, and the double's token is not a JWT
    assert_refused(tmp_path, "cannot verify which tenant", "no tid claim", "HTTP 403", "Organization.Read.All")


def test_an_organization_403_is_not_fatal_when_another_source_answers(graph, tmp_path, monkeypatch):
    tenant(graph).organization_id = None
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert load(str(out))["tenantId"] == STACK_TENANT  # from the PIM policy IDs
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", access_token(STACK_TENANT))
    assert drift(tmp_path).exit_code == 0


def test_an_organization_error_other_than_403_fails_the_read(graph, tmp_path):
    tenant(graph)
    graph.fail("GET", "^/organization", 500)
    assert_one_error_line(drift(tmp_path), "GET /organization: HTTP 500")


def test_export_stamps_the_tenant_every_source_names(graph, tmp_path, monkeypatch):
    tenant(graph)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", access_token(STACK_TENANT.upper()))
    result, out = export(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert load(str(out))["tenantId"] == STACK_TENANT
    assert f"tenant {STACK_TENANT}" in result.stderr


def test_without_ztb_tenant_id_export_stamps_what_graph_says_not_a_guess(graph, tmp_path, monkeypatch):
    snap = with_pim_tenant(OTHER)
    snap["tenantId"] = OTHER
    tenant(graph, snap)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", access_token(OTHER))
    result, out = export(tmp_path, stack_without_tenant(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert load(str(out))["tenantId"] == OTHER


# --------------------------------------------------------------------------- the sources, one by one


def test_verify_tenant_agrees_across_letter_case_and_needs_one_source():
    pim = [{"id": f"DirectoryRole_{STACK_TENANT.upper()}_x"}]
    assert verify_tenant(SAMPLE, {STACK_TENANT}, pim, [STACK_TENANT.upper()]) == STACK_TENANT
    assert verify_tenant(SAMPLE, set(), [], [STACK_TENANT]) == STACK_TENANT
    assert verify_tenant(SAMPLE, {STACK_TENANT}, [], [], "refused (HTTP 403)") == STACK_TENANT
    # IDs of other shapes (group PIM policies, hand-made) are no evidence, for or against.
    assert verify_tenant(SAMPLE, set(), [{"id": "Group_x_y"}, {"id": "DirectoryRole_notaguid_x"}, {}], [STACK_TENANT]) == STACK_TENANT


@pytest.mark.parametrize("tokens, pim, org", [
    ({OTHER}, [], []), (set(), [{"id": f"DirectoryRole_{OTHER}_x"}], []), (set(), [], [OTHER]),
    ({STACK_TENANT, OTHER}, [], []), ({STACK_TENANT}, [], [STACK_TENANT, OTHER]), (set(), [], []),
])
def test_verify_tenant_refuses_other_disagreeing_or_no_evidence(tokens, pim, org):
    with pytest.raises(ExportError) as info:
        verify_tenant(SAMPLE, tokens, pim, org)
    assert "\n" not in str(info.value) and "nothing was compared or written" in str(info.value)


def _jwt(payload) -> str:
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return f"{enc(b'{}')}.{enc(body)}.sig"


@pytest.mark.parametrize("token, claim", [
    (access_token(STACK_TENANT), STACK_TENANT),
    (access_token(STACK_TENANT.upper()), STACK_TENANT),
    (access_token(None), None),
    ("double-token-not-a-secret", None),
    ("a.b", None), ("a.b.c.d.e", None),  # not a JWS (a JWE's payload is encrypted)
    ("x.%%%%.y", None), (_jwt(b"\xff\xfe"), None), (_jwt(b"[1, 2]"), None), (_jwt(b"not json"), None),
    (_jwt({"tid": 7}), None), (_jwt({"tid": "not-a-guid"}), None), (_jwt({"tid": None}), None),
    (_jwt({"tid": STACK_TENANT + " "}), None), (_jwt(b"[" * 10000), None), (_jwt(b"[" * 100000), None),
])
def test_the_tid_claim_of_a_token(token, claim):
    assert tenant_claim(token) == claim

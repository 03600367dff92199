"""Benchmark: `ztb drift` against an emulated large tenant on the local Graph double.

    python bench/drift_bench.py [--ca 1000] [--roles 100] [--groups 5000] [--referenced 250] [--page-size 100]

Both readers go through the real msgraph-sdk HTTP stack (GraphClient, kiota middleware) to the
Graph double from the tests (tests/doubles/graph.py + tests/doubles/tenant.py) on 127.0.0.1:

- ztb: `ztb.tenant.export.read_tenant`, one paged list per collection, PIM policies in one filtered
  rule-expanded list, only referenced groups 15 IDs per request, collections read concurrently,
  ``/organization`` for the tenant check, the members and owners of the baseline's groups in
  ``$batch`` requests (two sub-requests per group, 20 per batch);
- naive: what a script reading one object at a time does: list each collection's IDs (paged,
  ``$select=id``), then GET every CA policy, PIM policy (per role, the filtered assignment with
  ``$expand=policy($expand=rules)``), compliance policy and its assignments, referenced group,
  role definition, named location and authentication strength, and the members and owners of
  each baseline group, one request each, in sequence.

Both end in the same snapshot and the same drift verdict (checked). The double answers from
memory on loopback, so wall times are a floor: against Graph every request also pays network
latency (tens of ms) and counts against throttling limits, which is why the request count is
the figure that carries over.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pytest_httpserver import HTTPServer  # noqa: E402

from tests.doubles.tenant import serve  # noqa: E402
from tests.doubles.graph import TOKEN, GraphDouble  # noqa: E402
from ztb.config import load_stack_file  # noqa: E402
from ztb.drift.detect import detect  # noqa: E402
from ztb.tenant.export import APP_PROTECTION_LISTS, MEMBER_QUERY, OWNER_QUERY, export_snapshot, policy_group_ids, watched_group_ids  # noqa: E402
from ztb.graph.client import BETA, V1, GraphClient, StaticTokenCredential  # noqa: E402
from ztb.model.baseline import build  # noqa: E402
from ztb.tenant.ideal import ideal_snapshot  # noqa: E402
from ztb.tenant.snapshot import SCHEMA_VERSION, validate  # noqa: E402

NS = uuid.UUID("0b5e0a11-be0c-4c4b-9d7e-7a2b5e0c2d11")


def oid(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


def large_tenant(baseline, n_ca: int, n_roles: int, n_groups: int, n_referenced: int) -> dict:
    """The sample stack's ideal tenant, grown to the given size with objects that are not drift."""
    snap = copy.deepcopy(ideal_snapshot(baseline))
    teams = [{"id": oid("group", i), "displayName": f"Team {i:05d}", "description": None, "mailEnabled": False,
              "mailNickname": f"team-{i:05d}", "securityEnabled": True, "groupTypes": [], "isAssignableToRole": None,
              "createdDateTime": "2024-01-01T00:00:00Z"} for i in range(max(0, n_groups - len(snap["groups"])))]
    snap["groups"] += teams
    template = snap["conditionalAccessPolicies"][2]
    for i in range(max(0, n_ca - len(snap["conditionalAccessPolicies"]))):
        p = copy.deepcopy(template)
        p.update(id=oid("ca", i), displayName=f"Tenant policy {i:04d}", state="enabled" if i % 3 else "disabled")
        users = p["conditions"]["users"]
        users.update(includeRoles=[], includeGroups=[teams[i % n_referenced]["id"]], excludeGroups=[], excludeUsers=[])
        p["grantControls"]["builtInControls"] = ["mfa"]
        snap["conditionalAccessPolicies"].append(p)
    rules = snap["roleManagementPolicies"][0]["rules"]
    for i in range(max(0, n_roles - len(snap["roleManagementPolicies"]))):
        role = oid("role", i)
        pid = f"DirectoryRole_{snap['tenantId']}_{oid('pim', i)}"
        snap["roleManagementPolicies"].append({**copy.deepcopy(snap["roleManagementPolicies"][0]), "id": pid, "rules": copy.deepcopy(rules)})
        snap["roleManagementPolicyAssignments"].append({"id": f"{pid}_{role}", "policyId": pid, "scopeId": "/",
                                                        "scopeType": "DirectoryRole", "roleDefinitionId": role})
        snap["roleDefinitions"].append({"id": role, "displayName": f"Built-in role {i:03d}", "templateId": role,
                                        "isBuiltIn": True, "isPrivileged": False})
    # Two real drifts, so both readers must agree on findings, not only on "in sync".
    snap["conditionalAccessPolicies"][0]["state"] = "enabledForReportingButNotEnforced"
    next(r for r in snap["roleManagementPolicies"][0]["rules"] if r["id"] == "Expiration_EndUser_Assignment")["maximumDuration"] = "PT8H"
    return validate(snap, "emulated tenant")


def naive_read(client: GraphClient, baseline, snap_ids: dict) -> dict:
    """One object at a time, in sequence, after listing the IDs."""
    def ids(path: str, version: str = V1, query: dict | None = None) -> list[str]:
        return [x["id"] for x in client.list_all(path, {"$select": "id", **(query or {})}, version)]

    out: dict = {"schemaVersion": SCHEMA_VERSION, "tenantId": snap_ids["tenantId"], "exportedAt": "now", "toolVersion": "naive"}
    out["conditionalAccessPolicies"] = [client.get_json(f"/identity/conditionalAccess/policies/{i}") for i in ids("/identity/conditionalAccess/policies")]
    out["namedLocations"] = [client.get_json(f"/identity/conditionalAccess/namedLocations/{i}") for i in ids("/identity/conditionalAccess/namedLocations")]
    out["authenticationStrengthPolicies"] = [client.get_json(f"/policies/authenticationStrengthPolicies/{i}") for i in ids("/policies/authenticationStrengthPolicies")]
    roles = ids("/roleManagement/directory/roleDefinitions", BETA)
    out["roleDefinitions"] = [client.get_json(f"/roleManagement/directory/roleDefinitions/{i}", {"$select": "id,displayName,templateId,isBuiltIn,isPrivileged"}, BETA) for i in roles]
    policies, assignments = [], []
    for role in roles:
        found = client.list_all("/policies/roleManagementPolicyAssignments", {
            "$filter": f"scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '{role}'",
            "$expand": "policy($expand=rules)"})
        for a in found:
            policies.append(a.pop("policy"))
            assignments.append(a)
    out["roleManagementPolicies"], out["roleManagementPolicyAssignments"] = policies, assignments
    compliance = []
    for i in ids("/deviceManagement/deviceCompliancePolicies", BETA):
        p = client.get_json(f"/deviceManagement/deviceCompliancePolicies/{i}", None, BETA)
        p["assignments"] = client.list_all(f"/deviceManagement/deviceCompliancePolicies/{i}/assignments", None, BETA)
        compliance.append(p)
    out["deviceCompliancePolicies"] = compliance
    app_protection = []
    for typ, path in APP_PROTECTION_LISTS.items():
        for i in ids(path, BETA):
            p = {"@odata.type": typ, **client.get_json(f"{path}/{i}", None, BETA)}
            p["assignments"] = client.list_all(f"{path}/{i}/assignments", None, BETA)
            app_protection.append(p)
    out["managedAppPolicies"] = app_protection
    out["deviceManagementSettings"] = [client.get_json("/deviceManagement", {"$select": "settings"})["settings"]]
    out["roleAssignments"] = client.list_all("/roleManagement/directory/roleAssignments", {"$expand": "principal($select=id)"})
    wanted = policy_group_ids(out["conditionalAccessPolicies"]) | snap_ids["configGroups"]
    groups = [client.get_json(f"/groups/{i}", {"$select": "id,displayName,description,mailEnabled,mailNickname,securityEnabled,groupTypes,isAssignableToRole,createdDateTime"}) for i in sorted(wanted)]
    names = {c.desired["displayName"] for c in baseline.of_kind("group") if c.managed}
    watched = set(watched_group_ids(baseline))
    for name in sorted(names):  # the stack's groups by name, one request each
        found = client.list_all("/groups", {"$filter": f"displayName in ('{name}')"})
        watched |= {g["id"].lower() for g in found}
        groups += found
    out["groups"] = list({g["id"]: g for g in groups}.values())
    # The optional collections the stack's governance controls are compared with: one list each, as export reads them.
    from ztb.tenant.export import ALERTS, GOVERNANCE

    for name, (path, query, kind) in GOVERNANCE.items():
        if baseline.of_kind(kind):
            out[name] = client.list_all(path, query or None)
    if baseline.of_kind(ALERTS[3]):
        out[ALERTS[0]] = client.list_all(ALERTS[1], ALERTS[2], BETA)
    group_pim = sorted({c.meta.group_id for c in baseline.of_kind("groupRoleManagementPolicy")})
    if group_pim:
        out["groupRoleManagementPolicyAssignments"] = [a for gid in group_pim for a in client.list_all(
            "/policies/roleManagementPolicyAssignments", {"$filter": f"scopeId eq '{gid}' and scopeType eq 'Group'", "$expand": "policy($expand=rules)"})]
    for g in out["groups"]:  # members and owners of each baseline group, one list each
        if g["id"].lower() in watched:
            for relation, query in (("members", MEMBER_QUERY), ("owners", OWNER_QUERY)):
                g[relation] = [{k: x[k] for k in ("@odata.type", "id") if k in x}
                               for x in client.list_all(f"/groups/{g['id']}/{relation}", query)]
    return out


def measure(label: str, double: GraphDouble, fn):
    double.requests.clear()
    start = time.perf_counter()
    report = fn()
    return label, len(double.requests), time.perf_counter() - start, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ca", type=int, default=1000, help="Conditional Access policies in the tenant")
    ap.add_argument("--roles", type=int, default=100, help="directory roles (each with its PIM policy)")
    ap.add_argument("--groups", type=int, default=5000, help="groups in the directory")
    ap.add_argument("--referenced", type=int, default=250, help="distinct groups the CA policies reference")
    ap.add_argument("--page-size", type=int, default=100, help="page size the double answers with")
    args = ap.parse_args()

    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    baseline = build(load_stack_file(REPO / "Pulumi.dev.yaml"))
    snap = large_tenant(baseline, args.ca, args.roles, args.groups, args.referenced)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        double = GraphDouble(server)
        serve(double, snap)
        double.page_size = args.page_size
        client = GraphClient(double.root, StaticTokenCredential(TOKEN))
        config_groups = {c.meta.object_id for c in baseline.of_kind("group") if not c.managed} | {baseline.config.pim.approverGroupId}
        try:
            client.list_all("/identity/conditionalAccess/namedLocations")  # warm up: SDK import and connection
            runs = [
                measure("ztb (paged lists)", double, lambda: detect(baseline, validate(export_snapshot(baseline, client=client)))),
                measure("naive (one object at a time)", double,
                        lambda: detect(baseline, validate(naive_read(client, baseline, {"tenantId": snap["tenantId"], "configGroups": config_groups})))),
            ]
        finally:
            client.close()
    finally:
        server.stop()

    (a, ra, ta, rep_a), (b, rb, tb, rep_b) = runs
    same = [f.as_dict() for f in rep_a.findings] == [f.as_dict() for f in rep_b.findings]
    print(f"Emulated tenant: {len(snap['conditionalAccessPolicies'])} CA policies, {len(snap['roleManagementPolicies'])} roles with PIM policies, "
          f"{len(snap['groups'])} groups ({args.referenced} referenced by policies), page size {args.page_size}")
    print(f"Drift verdict: {'in sync' if rep_a.in_sync else f'{len(rep_a.current)} findings'}; both readers agree: {same}")
    print()
    print("| reader | requests | wall time (s) |")
    print("|---|---:|---:|")
    print(f"| {a} | {ra} | {ta:.2f} |")
    print(f"| {b} | {rb} | {tb:.2f} |")
    print(f"| ratio (naive / ztb) | {rb / ra:.1f}x | {tb / ta:.1f}x |")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

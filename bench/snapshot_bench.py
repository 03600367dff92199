"""Benchmark: `ztb drift --snapshot` on the largest snapshot ztb accepts, as a whole process.

    python bench/snapshot_bench.py [--runs 5] [--fraction 1.0]

Builds the biggest snapshot the limits in ztb/snapshot.py allow (every collection at its item
limit: 1,000 CA policies, 1,000 named locations, 100 authentication strengths, 10,000 groups,
2,000 PIM policies with their 17 rules and 2,000 assignments, 2,000 compliance policies, 2,000
role definitions; then members on the watched groups and excluded users on the CA policies until
the file is just under MAX_BYTES, 32 MiB), from the sample stack's ideal snapshot so that the
baseline's own objects are all there. Every extra CA policy reaches all users and excludes the
break-glass accounts, so drift classifies each one (an `unmanaged`, neutral finding) and renders
1,000 findings: the expensive path, not the cheap one.

Each run is a fresh `ztb drift --config Pulumi.dev.yaml --snapshot FILE --format json` process
(interpreter start, imports, read, validation, drift, report); the figures are the median wall
time and the median peak resident set size (ru_maxrss of the child) over ``--runs`` runs. It also
times the refusal of a file past the limit (read stops at the limit, whatever the file's size).
``--fraction`` builds a smaller snapshot (for the test that keeps this script working). The
snapshots are built by a child process, so the measuring process stays small: a forked child's
peak RSS starts at its parent's size.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

NS = uuid.UUID("5ca1ab1e-be0c-4c4b-9d7e-7a2b5e0c2d11")
STACK = REPO / "Pulumi.dev.yaml"


def oid(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


def _fill(snap: dict, collection: str, count: int, make) -> None:
    have = len(snap[collection])
    snap[collection] += [make(i) for i in range(max(0, count - have))]


def largest(fraction: float = 1.0) -> dict:
    """The biggest snapshot within the limits (or ``fraction`` of it), no drift in the baseline's objects."""
    from ztb.config import load_stack_file
    from ztb.model.baseline import build
    from ztb.tenant.ideal import ideal_snapshot
    from ztb.tenant.snapshot import MAX_BYTES, MAX_ITEMS, dumps, validate

    baseline = build(load_stack_file(STACK))
    snap = copy.deepcopy(ideal_snapshot(baseline))
    n = lambda name: max(1, int(MAX_ITEMS[name] * fraction))  # noqa: E731
    budget = int(MAX_BYTES * fraction) - 64 * 1024
    breakglass = list(baseline.config.emergencyAccessUserIds)
    emergency = next(g["id"] for g in snap["groups"] if g["displayName"].endswith("Emergency Access Exclusion"))

    template = copy.deepcopy(snap["conditionalAccessPolicies"][0])

    def ca(i: int) -> dict:
        p = copy.deepcopy(template)
        p.update(id=oid("ca", i), displayName=f"Tenant policy {i:04d}: require MFA", state="enabled")
        p["conditions"]["users"].update(includeUsers=["All"], includeGroups=[], includeRoles=[], excludeGroups=[emergency],
                                        excludeUsers=list(breakglass))
        p["grantControls"] = {"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [], "termsOfUse": []}
        return p

    _fill(snap, "conditionalAccessPolicies", n("conditionalAccessPolicies"), ca)
    _fill(snap, "namedLocations", n("namedLocations"), lambda i: {
        "@odata.type": "#microsoft.graph.ipNamedLocation", "id": oid("loc", i), "displayName": f"Office {i:04d}",
        "createdDateTime": "2024-01-01T00:00:00Z", "modifiedDateTime": "2024-01-01T00:00:00Z", "isTrusted": bool(i % 2),
        "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": f"10.{i // 256 % 256}.{i % 256}.0/24"}]})
    strength = snap["authenticationStrengthPolicies"][0]
    _fill(snap, "authenticationStrengthPolicies", n("authenticationStrengthPolicies"),
          lambda i: {**copy.deepcopy(strength), "id": oid("strength", i), "displayName": f"Custom strength {i}", "policyType": "custom"})
    _fill(snap, "groups", n("groups"), lambda i: {
        "id": oid("group", i), "displayName": f"Team {i:05d}", "description": None, "mailEnabled": False,
        "mailNickname": f"team-{i:05d}", "securityEnabled": True, "groupTypes": [], "isAssignableToRole": None,
        "createdDateTime": "2024-01-01T00:00:00Z"})
    rules = snap["roleManagementPolicies"][0]["rules"]
    base_policy = snap["roleManagementPolicies"][0]
    for i in range(max(0, n("roleManagementPolicies") - len(snap["roleManagementPolicies"]))):
        role = oid("role", i)
        pid = f"DirectoryRole_{snap['tenantId']}_{oid('pim', i)}"
        snap["roleManagementPolicies"].append({**copy.deepcopy(base_policy), "id": pid, "rules": copy.deepcopy(rules)})
        snap["roleManagementPolicyAssignments"].append({"id": f"{pid}_{role}", "policyId": pid, "scopeId": "/",
                                                        "scopeType": "DirectoryRole", "roleDefinitionId": role})
    _fill(snap, "roleDefinitions", n("roleDefinitions"), lambda i: {
        "id": oid("role", i), "displayName": f"Role {i:04d}", "templateId": oid("role", i), "isBuiltIn": i % 2 == 0, "isPrivileged": False})
    device = snap["deviceCompliancePolicies"][0]
    # The tenant's other policies: the Windows policy's shape without the baseline's ~25 settings
    # (which would make the item limits alone exceed the byte budget).
    lean = {k: device[k] for k in ("@odata.type", "description", "osMinimumVersion", "bitLockerEnabled", "version") if k in device}
    _fill(snap, "deviceCompliancePolicies", n("deviceCompliancePolicies"), lambda i: {
        **copy.deepcopy(lean), "id": oid("device", i), "displayName": f"Compliance {i:04d}",
        "assignments": [{**copy.deepcopy(device["assignments"][0]), "id": f"{oid('device', i)}_{oid('group', i)}",
                         "target": {**device["assignments"][0]["target"], "groupId": oid("group", i)}}]})

    # Fill what is left of the byte budget: members of the ring groups (not declared, so not
    # drift), then excluded users on the tenant's own policies. Item sizes are measured, not guessed.
    size = lambda: len(dumps(snap).encode())  # noqa: E731
    limit = int(MAX_BYTES * fraction)
    rings = [g for g in snap["groups"] if " Ring " in g["displayName"]]
    extra = [p for p in snap["conditionalAccessPolicies"] if p["displayName"].startswith("Tenant policy")]
    base = size()
    probe = [{"@odata.type": "#microsoft.graph.user", "id": oid("probe", i)} for i in range(100)]
    rings[0]["members"] += probe
    per_member = (size() - base) / 100
    del rings[0]["members"][-100:]
    extra[0]["conditions"]["users"]["excludeUsers"] += [oid("probe", i) for i in range(100)]
    per_user = (size() - base) / 100
    del extra[0]["conditions"]["users"]["excludeUsers"][-100:]
    left = budget - base
    for ring in rings:
        add = max(0, min(int(left // per_member), MAX_ITEMS["members"] - len(ring["members"])))
        ring["members"] += [{"@odata.type": "#microsoft.graph.user", "id": oid("member", ring["id"], i)} for i in range(add)]
        left -= add * per_member
    each = max(0, int(left // per_user) // max(1, len(extra)))
    for j, p in enumerate(extra):
        p["conditions"]["users"]["excludeUsers"] += [oid("excluded", j, k) for k in range(each)]
    while size() > limit:  # the measured sizes were close, not exact: trim until it fits
        lists = [p["conditions"]["users"]["excludeUsers"] for p in extra if len(p["conditions"]["users"]["excludeUsers"]) > 2]
        lists = lists or [r["members"] for r in rings if r["members"]]
        if not lists:
            raise SystemExit(f"the item limits alone exceed {limit} bytes: raise MAX_BYTES or lower MAX_ITEMS")
        for items in lists:
            del items[-max(1, len(items) // 100):]
    return validate(snap, "largest allowed snapshot")


def run_once(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one `ztb` process."""
    cmd = [sys.executable, "-c", "import sys; from ztb.cli import main; sys.argv[0] = 'ztb'; main()", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    return wall, usage.ru_maxrss / 1024, proc.returncode


def measure(args: list[str], runs: int) -> tuple[float, float, int]:
    results = [run_once(args) for _ in range(runs)]
    codes = {r[2] for r in results}
    assert len(codes) == 1, codes
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results), codes.pop()


def write_inputs(directory: Path, fraction: float) -> dict:
    """Child process: write the largest and the sample snapshots; return what main() prints."""
    from ztb.config import load_stack_file
    from ztb.model.baseline import build
    from ztb.tenant.ideal import ideal_snapshot
    from ztb.tenant.snapshot import MAX_BYTES, dumps

    snap = largest(fraction)
    text = dumps(snap)
    (directory / "largest.json").write_text(text, encoding="utf-8")
    (directory / "ideal.json").write_text(dumps(ideal_snapshot(build(load_stack_file(STACK)))), encoding="utf-8")
    counts = ", ".join(f"{len(snap[k]):,} {k}" for k in ("conditionalAccessPolicies", "namedLocations", "groups",
                                                         "roleManagementPolicies", "deviceCompliancePolicies", "roleDefinitions"))
    members = sum(len(g.get("members") or []) for g in snap["groups"])
    return {"what": f"{counts}, {members:,} group members", "limit": MAX_BYTES / 2**20, "size": len(text.encode()) / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="processes per measurement (the median is shown)")
    ap.add_argument("--fraction", type=float, default=1.0, help="build this fraction of the largest snapshot")
    ap.add_argument("--write-inputs", default=None, help=argparse.SUPPRESS)  # the child that builds the files
    a = ap.parse_args()
    if a.write_inputs:
        print(json.dumps(write_inputs(Path(a.write_inputs), a.fraction)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        built = subprocess.run([sys.executable, __file__, "--write-inputs", tmp, "--fraction", str(a.fraction)],
                               check=True, capture_output=True, text=True)
        info = json.loads(built.stdout)
        big, small, over = Path(tmp) / "largest.json", Path(tmp) / "ideal.json", Path(tmp) / "over-the-limit.json"
        with open(over, "wb") as f:  # sparse, as large as the 100,000-policy snapshot of issue 11
            f.truncate(660 * 1024 * 1024)
        drift = ["drift", "--config", str(STACK), "--format", "json", "--snapshot"]
        rows = [
            ("sample stack, ideal snapshot", "<0.5", 0, *measure([*drift, str(small)], a.runs)),
            ("largest allowed snapshot", f"{info['size']:.1f}", 2, *measure([*drift, str(big)], a.runs)),
            ("660 MB file (refused at the limit)", "660.0", 1, *measure([*drift, str(over)], a.runs)),
        ]
    print(f"Largest allowed snapshot: {info['what']}; limit {info['limit']:.0f} MiB")
    print(f"Median of {a.runs} runs, each a whole `ztb drift --snapshot FILE --format json` process:")
    print()
    print("| snapshot | size (MiB) | exit | wall time (s) | peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for label, size, _, wall, rss, code in rows:
        print(f"| {label} | {size} | {code} | {wall:.2f} | {rss:.0f} |")
    if any(code != expected for _, _, expected, _, _, code in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Benchmark: `ztb readiness` against an emulated tenant on the local Graph double, beside a per-user reader.

    python bench/readiness_bench.py [--admins 500] [--devices 5000] [--sign-ins 50000] [--page-size 100] [--runs 5]

The tenant is the sample stack's (report-only, phase full) as deployed, grown to ``--admins``
in-scope admins (members of the privileged group, each eligible for one role in scope), two
managed devices each among ``--devices`` in the tenant, and ``--sign-ins`` sign-ins in the window,
20 per admin and the rest by other users; every collection answers ``--page-size`` items a page.
Objects are Microsoft's documented payloads with identifiers changed (tests/doubles/readiness.py).

Both readers go through the real msgraph-sdk HTTP stack (GraphClient, kiota middleware) to the
double on 127.0.0.1 and share the scope reads (groups, members, role schedules, users); they
differ in the evidence:

- ztb: registration details, managed devices and sign-ins filtered by ``in (...)`` 15 users at a
  time, first pages 20 per ``$batch`` (:mod:`ztb.tenant.evidence`);
- per-user: one filtered list per user and source (``id in ('<user>')``), every page followed, in
  sequence, as a script looping over the admins would.

Both must reach the same verdict for every person (checked). Requests are HTTP requests; Graph
calls also count each ``$batch`` sub-request (what Graph's throttling counts). The double answers
from memory on loopback, so wall times are a floor: against Graph each request pays network
latency, which is why the request count is the figure that carries over.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pytest_httpserver import HTTPServer  # noqa: E402

from tests.doubles.graph import TOKEN, GraphDouble  # noqa: E402
from tests.doubles.readiness import serve, uid  # noqa: E402
from tests.readiness.tenant import report_only_stack  # noqa: E402
from ztb.config import load_stack_file  # noqa: E402
from ztb.graph.client import V1, GraphClient, StaticTokenCredential  # noqa: E402
from ztb.model.baseline import build  # noqa: E402
from ztb.readiness import read as rread  # noqa: E402
from ztb.readiness.assess import judge  # noqa: E402
from ztb.readiness.scope import PHASES, break_glass_ids, phase_scope  # noqa: E402
from ztb.tenant import evidence  # noqa: E402
from ztb.tenant.ideal import ideal_snapshot  # noqa: E402
from ztb.tenant.people import transitive_groups  # noqa: E402

SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"
WINDOW = timedelta(days=14)


def grow(double: GraphDouble, b, admins: int, devices: int, sign_ins: int):
    import json

    t = serve(double, json.loads(json.dumps(ideal_snapshot(b))))
    privileged = next(g["id"] for g in t.groups if g["displayName"] == "ZTB Privileged Users")
    ca01, ca03 = t.policy_id("PRIV-CA-01"), t.policy_id("PRIV-CA-03")
    applied = [(ca01, t.policy_name("PRIV-CA-01"), "reportOnlySuccess"), (ca03, t.policy_name("PRIV-CA-03"), "reportOnlySuccess")]
    people = []
    for i in range(admins):
        u = t.user(uid(f"admin-{i}"), f"admin{i:04d}@contoso.com",
                   methods=["fido2SecurityKey"] if i % 10 else ["microsoftAuthenticatorPush"])
        t.add_member(privileged, u)
        t.eligibility(u, SECURITY_READER, activated_hours_ago=48)
        people.append(u)
    for n, u in enumerate(str(x).lower() for x in b.emergency.user_ids):
        t.user(u, f"breakglass{n}@contoso.onmicrosoft.com", methods=["fido2SecurityKey"])
    others = [uid(f"user-{i}") for i in range(2000)]
    for i in range(devices):
        owner = people[i // 2] if i < 2 * admins else others[i % len(others)]
        t.device(owner, "Windows" if i % 3 else "iOS", "compliant" if i % 7 else "noncompliant")
    per_admin = min(20, sign_ins // max(admins, 1))
    for i in range(sign_ins):
        owner = people[i // per_admin] if i < per_admin * admins else others[i % len(others)]
        t.sign_in(owner, applied, hours_ago=(i % 300) + 1)
    return t


async def per_user_evidence(g, people: set[str], break_glass: set[str], since: datetime):
    """One filtered list per user and source, in sequence."""
    everyone = sorted(people | break_glass)
    reg, dev, sig = {}, {}, {}
    window = f"createdDateTime ge {evidence.graph_time(since)}"
    for u in everyone:
        for x in await g.list_all(evidence.REGISTRATION, {"$filter": f"id in ('{u}')"}, V1):
            reg[u] = x
        if u in people:
            dev[u] = await g.list_all(evidence.DEVICES, {"$filter": f"userId in ('{u}')", "$select": ",".join(evidence.DEVICE_SELECT)}, V1)
        sig[u] = await g.list_all(evidence.SIGN_INS, {"$filter": f"{window} and userId in ('{u}')", "$top": evidence.SIGN_IN_PAGE}, V1)
    return reg, dev, sig, await transitive_groups(g, break_glass)


def run_once(double: GraphDouble, b, reader: str):
    double.requests.clear()
    double.batched.clear()
    since = datetime.now(timezone.utc) - WINDOW
    started = time.perf_counter()
    with GraphClient(double.root, StaticTokenCredential(TOKEN)) as client:
        t = client.run(lambda g: rread._scope_reads(g, b, since))
        people = {u for p in PHASES for u in phase_scope(b, p, t)}
        bg = break_glass_ids(b, t)
        if reader == "ztb":
            client.run(lambda g: rread._evidence(g, t, people, bg, since))
        else:
            t.registration, t.devices, t.sign_ins, t.member_of = client.run(lambda g: per_user_evidence(g, people, bg, since))
    report = judge(b, t, "full", "14d", since)
    wall = time.perf_counter() - started
    verdicts = {p.id: (p.verdict.value, p.summary()) for p in list(report.people.values()) + report.break_glass}
    return len(double.requests), len(double.requests) + len(double.batched), wall, verdicts, report


def main() -> int:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--admins", type=int, default=500)
    ap.add_argument("--devices", type=int, default=5000)
    ap.add_argument("--sign-ins", type=int, default=50000)
    ap.add_argument("--page-size", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    config = report_only_stack(Path(tempfile.mkdtemp(prefix="ztb-bench-")))
    b = build(load_stack_file(str(config)))
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        double = GraphDouble(server)
        grow(double, b, args.admins, args.devices, args.sign_ins)
        double.page_size = args.page_size
        results = {}
        for reader in ("ztb", "per-user"):
            runs = [run_once(double, b, reader) for _ in range(args.runs)]
            results[reader] = (runs[0][0], runs[0][1], statistics.median(r[2] for r in runs), runs[0][3], runs[0][4])
    finally:
        server.stop()
    ztb, naive = results["ztb"], results["per-user"]
    report = ztb[4]
    blocked = sum(1 for p in report.enforced_on() if p.verdict.value == "blocked")
    print(f"tenant: {args.admins} in-scope admins, {args.devices} devices, {args.sign_ins} sign-ins in the window, "
          f"{args.page_size} items a page; {args.runs} runs, medians")
    print(f"people judged: {len(report.people)} ({blocked} blocked), break-glass: {len(report.break_glass)}")
    print(f"both readers agree: {ztb[3] == naive[3]}")
    print()
    print("| reader | requests | Graph calls (incl. $batch parts) | wall time (s) |")
    print("|---|---:|---:|---:|")
    print(f"| ztb (filtered by 15 IDs, $batch) | {ztb[0]} | {ztb[1]} | {ztb[2]:.2f} |")
    print(f"| per-user (one list per user and source) | {naive[0]} | {naive[1]} | {naive[2]:.2f} |")
    print(f"| ratio (per-user / ztb) | {naive[0] / ztb[0]:.1f}x | {naive[1] / ztb[1]:.1f}x | {naive[2] / ztb[2]:.1f}x |")
    return 0 if ztb[3] == naive[3] else 1


if __name__ == "__main__":
    sys.exit(main())

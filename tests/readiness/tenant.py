"""The sample stack's tenant for readiness tests: its groups and policies as deployed, and people.

Built on :mod:`tests.doubles.readiness` (Microsoft's documented payloads with identifiers and the
values a case is about changed). ``sample_tenant`` gives a tenant where everyone is ready; each
test then breaks one thing.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import SAMPLE_STACK
from tests.doubles.readiness import ReadinessTenant, serve, uid
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.tenant.ideal import ideal_snapshot

GA = "62e90394-69f5-4237-9190-012177145e10"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
READY = "ad000000-0000-4000-8000-000000000011"
NO_METHOD = "ad000000-0000-4000-8000-000000000012"
PHONE_ONLY = "ad000000-0000-4000-8000-000000000013"
#: The documented roleAssignmentScheduleInstance's principal: a permanent Global Administrator.
STANDING = "6be4b305-b75e-4efc-bfcc-31bd3b53a5f8"
BREAK_GLASS = ("0b5e0a11-0000-4000-8000-000000000001", "0b5e0a11-0000-4000-8000-000000000002")
#: The group the documented policy "Access to EXO requires MFA" includes.
ALL_STAFF = "ba8e7ded-8b0f-4836-ba06-8ff1ecc5c8ba"
STRONG = ["fido2SecurityKey", "microsoftAuthenticatorPush"]


def report_only_stack(tmp_path: Path, **changes) -> Path:
    """The sample stack rolled out report-only (the state readiness gates), with ``changes``."""
    doc = yaml.safe_load(SAMPLE_STACK.read_text())
    doc["config"]["ztb:reportOnly"] = True
    for key, value in changes.items():
        doc["config"][f"ztb:{key}"] = value
    path = tmp_path / "Pulumi.ready.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def sample_tenant(graph, config: Path) -> ReadinessTenant:
    b = build(load_stack_file(str(config)))
    t = serve(graph, json.loads(json.dumps(ideal_snapshot(b))))
    for oid, upn in ((READY, "ready@contoso.com"), (NO_METHOD, "nomethod@contoso.com"), (PHONE_ONLY, "phone@contoso.com"),
                     (STANDING, "standing@contoso.com")):
        t.user(oid, upn, methods=STRONG)
        t.device(oid, "Windows", "compliant", f"PAW-{upn.split('@')[0]}")
        t.sign_in(oid, [(t.policy_id("PRIV-CA-01"), t.policy_name("PRIV-CA-01"), "reportOnlySuccess"),
                        (t.policy_id("PRIV-CA-03"), t.policy_name("PRIV-CA-03"), "reportOnlySuccess")])
    t.eligibility(READY, GA, activated_hours_ago=30)
    t.eligibility(NO_METHOD, SECURITY_ADMIN, activated_hours_ago=5)
    t.assignment(STANDING, GA, permanent=True)
    for n, oid in enumerate(BREAK_GLASS, 1):
        t.user(oid, f"breakglass{n}@contoso.onmicrosoft.com", methods=["fido2SecurityKey"])
    t.group(ALL_STAFF, "All staff")
    # The documented policy (Access to EXO requires MFA), enabled, reaching the All staff group.
    from tests.doubles.graph import sample

    t.policies.append(sample("conditionalaccess-create-policy-ex1-require-mfa-exo.response.json"))
    return t


__all__ = ["uid"]

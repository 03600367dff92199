"""The method check asks of each grant what its authentication strength accepts, not "phishing-resistant or not".

PRIV-CA-09 and PRIV-CA-10 (registering security information, joining devices) require the MFA
strength on purpose: a new admin registers a first passkey with a Temporary Access Pass or an
authenticator. Readiness must not report them as blocked by those two policies.
"""

from __future__ import annotations

from tests.conftest import SAMPLE_STACK
from ztb.config import load_stack_file
from ztb.model.baseline import build
from ztb.readiness.checks import method_check
from ztb.readiness.verdicts import Status

BASELINE = build(load_stack_file(SAMPLE_STACK))
USER = "7d3c1e52-0000-4000-8000-000000000001"


def check(methods: list[str]):
    return method_check(BASELINE, {USER: {"methodsRegistered": methods, "isMfaRegistered": bool(methods)}}, USER)


def test_an_authenticator_satisfies_the_registration_policies_but_not_the_phishing_resistant_ones():
    result = check(["microsoftAuthenticatorPush"])
    assert result.status == Status.BLOCKED
    assert "PRIV-CA-01" in result.controls and "PRIV-CA-09" not in result.controls and "PRIV-CA-10" not in result.controls
    assert result.reason.startswith("no phishing-resistant method")


def test_no_method_at_all_is_blocked_by_the_registration_policies_too():
    result = check([])
    assert {"PRIV-CA-01", "PRIV-CA-09", "PRIV-CA-10"} <= set(result.controls)


def test_a_passkey_satisfies_every_grant():
    assert check(["passKeyDeviceBound"]).status == Status.READY

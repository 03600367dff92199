"""The onboarding checklist, per person and for the break-glass accounts: pure functions over the read.

What each control needs is read from the baseline's own desired state (a grant's authentication
strength and ``compliantDevice``), the methods an authentication strength accepts from
:mod:`ztb.catalogue.strengths`, and the platforms the policies allow from
:attr:`ztb.model.baseline.Baseline.allowed_platforms` (what ``ztb:devicePlatforms`` lets through
PRIV-CA-07), so the checklist cannot drift from what is deployed.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ztb.catalogue import strengths
from ztb.model.baseline import Baseline
from ztb.readiness.verdicts import REPORT_ONLY_RESULTS, Check, CheckName, PolicyOutcome, Status
from ztb.tenant.groups import by_display_name

#: userRegistrationDetails.methodsRegistered -> the authentication-strength combinations it satisfies
#: (a second factor with the account's password; passwordless methods alone).
METHOD_COMBINATIONS = {
    "fido2SecurityKey": {"fido2"}, "passKeyDeviceBound": {"fido2"}, "passKeyDeviceBoundAuthenticator": {"fido2"},
    "passKeyDeviceBoundWindowsHello": {"fido2"}, "windowsHelloForBusiness": {"windowsHelloForBusiness"},
    "x509CertificateMultiFactor": {"x509CertificateMultiFactor"},
    "microsoftAuthenticatorPasswordless": {"deviceBasedPush"},
    "microsoftAuthenticatorPush": {"password,microsoftAuthenticatorPush"},
    "softwareOneTimePasscode": {"password,softwareOath"}, "hardwareOneTimePasscode": {"password,hardwareOath"},
    "mobilePhone": {"password,sms", "password,voice"}, "alternateMobilePhone": {"password,voice"},
    "officePhone": {"password,voice"}, "temporaryAccessPass": {"temporaryAccessPassOneTime"},
}
#: managedDevice.operatingSystem (lower-case) -> the Conditional Access platform name.
OS_PLATFORM = {"windows": "windows", "ios": "iOS", "ipados": "iOS", "android": "android", "androidforwork": "android",
               "androidenterprise": "android", "macos": "macOS", "mac os": "macOS", "macmdm": "macOS", "linux": "linux"}
#: Intune compliance states Conditional Access treats as compliant.
COMPLIANT = {"compliant", "ingraceperiod"}
METHOD_FIX = ("issue a Temporary Access Pass (Entra admin center > Users > the user > Authentication methods > Add "
              "authentication method > Temporary Access Pass) and have them register a FIDO2 security key or passkey, "
              "or Windows Hello for Business, at https://aka.ms/mysecurityinfo")
MFA_FIX = "have them register a multifactor method at https://aka.ms/mysecurityinfo (a Temporary Access Pass bootstraps it)"


def method_combinations(methods: Iterable[str]) -> set[str]:
    """The authentication-strength combinations a person's registered methods can satisfy."""
    return set().union(*(METHOD_COMBINATIONS.get(str(m), set()) for m in methods))


def phishing_resistant(combos: set[str]) -> bool:
    return bool(combos & (strengths.combinations(strengths.PHISHING_RESISTANT) or set()))


def _grants(b: Baseline) -> list[tuple[str, dict[str, Any]]]:
    return [(c.id, c.desired.get("grantControls") or {}) for c in b.of_kind("conditionalAccessPolicy")]


def method_check(b: Baseline, registration: Optional[dict[str, dict[str, Any]]], user: str, missing: str = "") -> Check:
    """Does the person hold a method every strength and MFA grant of the baseline accepts?"""
    if registration is None:
        return Check(CheckName.METHOD, Status.UNKNOWN, missing or "registration details were not read")
    details = registration.get(user)
    if details is None:
        return Check(CheckName.METHOD, Status.UNKNOWN, "the registration report has no entry for this user (new account, or not a "
                     "member user)", "sign them in once, or check the account in Entra admin center > Authentication methods")
    methods = [str(m) for m in details.get("methodsRegistered") or []]
    combos = method_combinations(methods)
    blocked_by, fix = [], METHOD_FIX
    for cid, grant in _grants(b):
        sid = (grant.get("authenticationStrength") or {}).get("id")
        accepted = strengths.combinations(sid) if sid else None
        if accepted is not None and not combos & accepted:
            blocked_by.append(cid)
        elif "mfa" in (grant.get("builtInControls") or []) and not details.get("isMfaRegistered"):
            blocked_by.append(cid)
            fix = fix if combos else MFA_FIX
    registered = ", ".join(methods) or "none"
    if blocked_by:
        lacking = "accepted" if phishing_resistant(combos) else "phishing-resistant"
        return Check(CheckName.METHOD, Status.BLOCKED, f"no {lacking} method registered (registered: {registered})", fix, blocked_by)
    return Check(CheckName.METHOD, Status.READY, f"registered: {registered}")


def platform_of(device: dict[str, Any]) -> str:
    return OS_PLATFORM.get(str(device.get("operatingSystem") or "").strip().lower(), str(device.get("operatingSystem") or "unknown"))


def device_check(b: Baseline, devices: Optional[dict[str, list[dict[str, Any]]]], user: str, allowed: list[str], missing: str = "") -> Check:
    """A compliant Intune-managed device on a platform the policies allow, where a policy requires one."""
    needs = [cid for cid, grant in _grants(b) if "compliantDevice" in (grant.get("builtInControls") or [])]
    if not needs:
        return Check(CheckName.DEVICE, Status.READY, "no baseline policy requires a compliant device")
    if devices is None:
        return Check(CheckName.DEVICE, Status.UNKNOWN, missing or "managed devices were not read")
    mine = devices.get(user, [])
    per_platform = {p: [d for d in mine if platform_of(d) == p] for p in allowed}
    good = [d for ds in per_platform.values() for d in ds if str(d.get("complianceState") or "").lower() in COMPLIANT]
    shown = "; ".join(f"{p}: " + (", ".join(f"{d.get('deviceName') or d['id']} ({d.get('complianceState')})" for d in ds) or "none")
                      for p, ds in per_platform.items())
    others = sorted({platform_of(d) for d in mine} - set(allowed))
    if others:
        shown += f"; on platforms PRIV-CA-07 blocks: {', '.join(others)}"
    if good:
        return Check(CheckName.DEVICE, Status.READY, shown)
    if not mine:
        reason = "no Intune-managed device"
    else:
        reason = "only " + ", ".join(f"a {s} {platform_of(d)} device '{d.get('deviceName') or d['id']}'"
                                     for d in mine for s in [str(d.get("complianceState") or "unknown").replace("noncompliant", "non-compliant")])
    fix = (f"enrol a device on one of {', '.join(allowed)} in Intune (Company Portal) and bring it to compliance with the "
           "privileged compliance policy (Company Portal > Check status)")
    return Check(CheckName.DEVICE, Status.BLOCKED, reason, fix, needs)


def baseline_policies(b: Baseline, policies: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Tenant policy ID -> (control ID, display name) for the baseline's policies found in the tenant (by name)."""
    names = by_display_name(policies)
    out = {}
    for c in b.of_kind("conditionalAccessPolicy"):
        for p in names.get(c.display_name.casefold(), []):
            out[str(p["id"]).lower()] = (c.id, c.display_name)
    return out


def undeployed(b: Baseline, ours: dict[str, tuple[str, str]]) -> list[str]:
    """The baseline's Conditional Access policies with no tenant policy of their display name, by control ID.

    Every policy in the baseline is one the stack deploys, in every phase (a phase changes whom
    the policies include, not which exist; a control the config leaves out is not in the
    baseline), so each must be in the tenant before its report-only outcomes can say anything:
    without it no sign-in can carry a would-be failure, and "no failure seen" is not "ready".
    """
    found = {cid for cid, _ in ours.values()}
    return [c.id for c in b.of_kind("conditionalAccessPolicy") if c.id not in found]


def undeployed_reason(controls: list[str]) -> str:
    verb = "is" if len(controls) == 1 else "are"
    return f"{', '.join(controls)} {verb} not deployed: deploy the stack (report-only) first, then let its policies see sign-ins"


def report_only_check(sign_ins: Optional[dict[str, list[dict[str, Any]]]], user: str, ours: dict[str, tuple[str, str]],
                      since: str, missing: str = "", absent: Iterable[str] = ()) -> Check:
    """What the baseline's report-only policies saw of this person: a would-be failure blocks.

    ``absent`` (the :func:`undeployed` controls) makes an otherwise clean check "could not tell":
    those policies could not have seen a failure.
    """
    if sign_ins is None:
        return Check(CheckName.REPORT_ONLY, Status.UNKNOWN, missing or "sign-in logs were not read")
    mine = sign_ins.get(user, [])
    failed: dict[str, int] = {}
    interrupted: dict[str, int] = {}
    for s in mine:
        for applied in s.get("appliedConditionalAccessPolicies") or []:
            control = ours.get(str(applied.get("id") or "").lower())
            result = str(applied.get("result") or "")
            if control and result == "reportOnlyFailure":
                failed[control[0]] = failed.get(control[0], 0) + 1
            elif control and result == "reportOnlyInterrupted":
                interrupted[control[0]] = interrupted.get(control[0], 0) + 1
    if failed:
        parts = ", ".join(f"{n} by {cid}" for cid, n in sorted(failed.items()))
        return Check(CheckName.REPORT_ONLY, Status.BLOCKED, f"{sum(failed.values())} of {len(mine)} sign-ins since {since} would "
                     f"have been blocked (reportOnlyFailure: {parts})",
                     "open the sign-ins in Entra admin center > Sign-in logs > Report-only and fix what the policy asked for",
                     sorted(failed))
    absent = list(absent)
    if absent:
        return Check(CheckName.REPORT_ONLY, Status.UNKNOWN, undeployed_reason(absent), "run `pulumi up` with ztb:reportOnly true", absent)
    note = f"{len(mine)} sign-ins since {since}" if mine else f"no sign-ins since {since}: nothing observed, the checks above decide"
    if interrupted:
        note += "; interrupted (would be asked to satisfy): " + ", ".join(f"{n} by {c}" for c, n in sorted(interrupted.items()))
    return Check(CheckName.REPORT_ONLY, Status.READY, note)


def risk_check(sign_ins: Optional[dict[str, list[dict[str, Any]]]], user: str, missing: str = "") -> Optional[Check]:
    """Risk policies need risk data: 'hidden' risk levels mean the tenant has no Entra ID P2."""
    if sign_ins is None:
        return None  # the report-only check already says the logs were not read
    if any(str(s.get("riskLevelDuringSignIn") or "").lower() == "hidden" for s in sign_ins.get(user, [])):
        from ztb.tenant.evidence import RISK_LICENCE

        return Check(CheckName.RISK, Status.UNKNOWN, f"sign-in risk is 'hidden': the risk policies (PRIV-CA-04, PRIV-CA-05) need {RISK_LICENCE}",
                     "license Microsoft Entra ID P2 for the privileged users", ["PRIV-CA-04", "PRIV-CA-05"])
    return None


def outcomes(sign_ins: Optional[dict[str, list[dict[str, Any]]]], users: Iterable[str], ours: dict[str, tuple[str, str]]) -> list[PolicyOutcome]:
    """Per baseline policy found in the tenant, the report-only results over ``users``' sign-ins."""
    out = {pid: PolicyOutcome(cid, pid, name) for pid, (cid, name) in ours.items()}
    for u in users:
        for s in (sign_ins or {}).get(u, []):
            for applied in s.get("appliedConditionalAccessPolicies") or []:
                o = out.get(str(applied.get("id") or "").lower())
                if o is not None and applied.get("result") in REPORT_ONLY_RESULTS:
                    o.counts[applied["result"]] += 1
    return sorted(out.values(), key=lambda o: o.control_id)

"""Intune device compliance and app protection: which way each setting moves what a device must meet.

The assignments say whose devices are evaluated (losing one, or adding an exclusion, leaves
privileged users' devices unchecked); a higher minimum OS or Defender version or a lower threat
level allowed strengthens; a required setting (a ``true``: required, enabled, blocked) turned off
weakens; a shorter PIN or password, a longer time before the device locks, a longer expiry or
fewer remembered passwords weakens. The same table judges iOS, Android, macOS and Windows
policies, app protection (``managedAppProtection``) and the tenant's ``secureByDefault``.
"""

from __future__ import annotations

from typing import Any, Optional

from ztb.compare.classify.common import (
    NEUTRAL, STRENGTHENS, WEAKENS, Field, Rule, Verdict, bool_verdict, duration_verdict, field_words, fmt, is_list_of,
    number, rank_verdict, rule, set_delta, text, unreadable,
)
from ztb.compare.normalize import duration_seconds
from ztb.compare.values import item_key

#: Defender for Endpoint risk a device may have and still be compliant: higher allows more risk.
THREAT_RANK = {"secured": 0, "low": 1, "medium": 2, "high": 3}


def _version(v: Any) -> tuple[int, ...]:
    if not isinstance(v, str):
        return ()
    try:
        return tuple(int(x) for x in v.split("."))
    except ValueError:
        return ()


def _assignments(f: Field) -> Verdict:
    if not (is_list_of(f.old, (dict,)) and is_list_of(f.new, (dict,))):
        return unreadable(f.path, f.old, f.new)
    added, removed = set_delta(f.old, f.new)
    exclusions = [a for a in added if "exclusion" in item_key(a)]
    if removed or exclusions:
        return Verdict(WEAKENS, f"assignments: {fmt(added, removed)} (devices of privileged users no longer evaluated)")
    return Verdict(STRENGTHENS, f"assignments: {fmt(added, removed)}")


def _os_minimum(f: Field) -> Verdict:
    o, n = _version(f.old), _version(f.new)
    name = "minimum OS version" if f.last == "osMinimumVersion" else field_words(f.last)
    said = f"{name}: {text(f.old)} → {text(f.new)}"
    if not n or (f.old is not None and not o):
        return Verdict(WEAKENS, said)
    return Verdict(NEUTRAL if o == n else (WEAKENS if n < o else STRENGTHENS), said)


def _count(higher_is_stronger: bool):
    """A number setting: PIN length, minutes before lock, days before expiry, passwords remembered."""
    def judge(f: Field) -> Verdict:
        o, n = number(f.old), number(f.new)
        said = f"{field_words(f.last)}: {text(f.old)} → {text(f.new)}"
        if n is None or (f.old is not None and o is None):
            return Verdict(WEAKENS, said + (" (setting removed)" if f.new is None else " (not a number: treated as weakening)"))
        if o is None or o == n:
            return Verdict(NEUTRAL if o == n else STRENGTHENS, said)
        return Verdict(STRENGTHENS if (n > o) == higher_is_stronger else WEAKENS, said)
    return judge


#: Password types from weakest to strongest (Intune's requiredPasswordType and Android's variants).
PASSWORD_RANK = {"devicedefault": 0, "any": 0, "required": 1, "lowsecuritybiometric": 1, "numeric": 2, "numericcomplex": 3,
                 "alphabetic": 4, "alphanumeric": 5, "alphanumericwithsymbols": 6}
#: How far org data may travel from a protected app (app protection): lower is stronger.
TRANSFER_RANK = {"none": 0, "blocked": 0, "managedapps": 1, "managedappswithpastein": 2, "managedappswithpasteinandout": 2,
                 "allapps": 3}


def _switch(f: Field) -> Optional[Verdict]:
    """Any other setting that is a switch: the baseline turns on what it requires."""
    if isinstance(f.old, bool) or isinstance(f.new, bool):
        return bool_verdict(field_words(f.last), f.old, f.new)
    return None


def _pin_reset(f: Field) -> Verdict:
    """Intune stores "PIN reset after number of days: No" as a zero period: zero is no rotation at
    all, the weakest value, not the shortest."""
    name = field_words(f.last)
    if duration_seconds(f.new) == 0 and duration_seconds(f.old) != 0:
        return Verdict(WEAKENS, f"{name}: {text(f.old)} → {text(f.new)} (zero: the PIN is never reset)")
    if duration_seconds(f.old) == 0 and duration_seconds(f.new) not in (None, 0):
        return Verdict(STRENGTHENS, f"{name}: {text(f.old)} (never reset) → {text(f.new)}")
    return duration_verdict(name, f.old, f.new)


#: The first row that matches a changed field judges it.
RULES: tuple[Rule, ...] = (
    rule(r"assignments", _assignments),
    rule(r"", _os_minimum, last=r"osMinimumVersion$"),
    rule(r"", _os_minimum, last=r"defenderVersion$"),
    rule(r"", lambda f: rank_verdict("Defender for Endpoint risk allowed", f.old, f.new, THREAT_RANK, higher_is_stronger=False),
         last=r"(deviceThreatProtectionRequiredSecurityLevel|advancedThreatProtectionRequiredSecurityLevel|maximumAllowedDeviceThreatLevel)$"),
    rule(r"", _count(True), last=r"(password|passcode)MinimumLength$|minimumPinLength$|(password|passcode)PreviousPass\w*Count(ToBlock)?$"),
    rule(r"", _count(False), last=r"(password|passcode)MinutesOfInactivityBefore(Lock|ScreenTimeout)$|(password|passcode)ExpirationDays$|maximumPinRetries$"),
    rule(r"", lambda f: rank_verdict("required password type", f.old, f.new, PASSWORD_RANK), last=r"(password|passcode)RequiredType$"),
    rule(r"", lambda f: rank_verdict(field_words(f.last), f.old, f.new, TRANSFER_RANK, higher_is_stronger=False),
         last=r"allowed(Outbound|Inbound)\w+$"),
    rule(r"", _pin_reset, last=r"periodBeforePinReset$"),
    rule(r"", lambda f: duration_verdict(field_words(f.last), f.old, f.new), last=r"periodOffline\w+$"),
    rule(r"", _switch),
)

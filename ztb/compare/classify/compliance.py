"""Intune device compliance: which way each setting of a policy moves what a device must meet.

The assignments say whose devices are evaluated (losing one, or adding an exclusion, leaves
privileged users' devices unchecked); a higher minimum OS version or a lower Defender risk allowed
strengthens; a required setting (a ``true``) turned off weakens.
"""

from __future__ import annotations

from typing import Any, Optional

from ztb.compare.classify.common import (
    NEUTRAL, STRENGTHENS, WEAKENS, Field, Rule, Verdict, bool_verdict, field_words, fmt, is_list_of, rank_verdict,
    rule, set_delta, text, unreadable,
)
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
    said = f"minimum OS version: {text(f.old)} → {text(f.new)}"
    if not n or (f.old is not None and not o):
        return Verdict(WEAKENS, said)
    return Verdict(NEUTRAL if o == n else (WEAKENS if n < o else STRENGTHENS), said)


def _switch(f: Field) -> Optional[Verdict]:
    """Any other setting that is a switch: the baseline turns on what it requires."""
    if isinstance(f.old, bool) or isinstance(f.new, bool):
        return bool_verdict(field_words(f.last), f.old, f.new)
    return None


#: The first row that matches a changed field judges it.
RULES: tuple[Rule, ...] = (
    rule(r"assignments", _assignments),
    rule(r"", _os_minimum, last=r"osMinimumVersion$"),
    rule(r"", lambda f: rank_verdict("Defender for Endpoint risk allowed", f.old, f.new, THREAT_RANK, higher_is_stronger=False),
         last=r"deviceThreatProtectionRequiredSecurityLevel$"),
    rule(r"", _switch),
)

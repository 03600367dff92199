"""Microsoft's built-in authentication strengths: the one reader of ztb/data/authentication-strengths.json.

The data file copies Graph's documented list (its ``_source`` names the page and commit); every
consumer asks here: the crosswalk (which methods a strength allows), the Conditional Access model
(which strength a level requires), the classifier (which strength is stronger), the ideal tenant
(the objects Graph returns) and review (a strength's name in place of its ID).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from ztb.data import read_text

MFA = "00000000-0000-0000-0000-000000000002"
PASSWORDLESS = "00000000-0000-0000-0000-000000000003"
PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"
#: Methods that resist phishing (Entra: "phishing-resistant MFA" strength's combinations).
PHISHING_RESISTANT_METHODS = frozenset({"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"})


@dataclass(frozen=True)
class Strength:
    id: str
    display_name: str
    #: Allowed combinations in Graph's own order (the ideal tenant returns them as Graph does).
    allowed_combinations: tuple[str, ...]
    #: Position among the built-in strengths, strongest highest: each allows a subset of the one before.
    rank: int


@lru_cache(maxsize=1)
def built_in() -> dict[str, Strength]:
    """The built-in strengths by ID, in Graph's order (weakest first), read once."""
    text = read_text("authentication-strengths.json")
    listed = json.loads(text)["builtInStrengths"]
    return {sid: Strength(sid, v["displayName"], tuple(v["allowedCombinations"]), rank)
            for rank, (sid, v) in enumerate(listed.items(), start=1)}


@lru_cache(maxsize=1)
def ranks() -> dict[str, int]:
    """Strength ID -> rank, for ranking a change of a policy's strength."""
    return {sid: s.rank for sid, s in built_in().items()}


def names() -> dict[str, str]:
    """Strength ID -> its display name."""
    return {sid: s.display_name for sid, s in built_in().items()}


def id_named(display_name: str) -> str:
    """The built-in strength's ID by its display name: data such as stacks/levels.yaml names a
    strength, so the ID is written in one place, the data file."""
    for sid, s in built_in().items():
        if s.display_name == display_name:
            return sid
    raise ValueError(f"no built-in authentication strength is named {display_name!r}; use one of: {', '.join(names().values())}")


def combinations(strength_id: str) -> frozenset[str] | None:
    """The methods a built-in strength allows, or None for any other ID."""
    s = built_in().get(strength_id)
    return frozenset(s.allowed_combinations) if s else None

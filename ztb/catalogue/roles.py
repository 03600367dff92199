"""The privileged role catalogue: which built-in Entra roles the baseline covers, and why.

The catalogue is data (``ztb/data/privileged-roles.tsv``) with its sources in its header, so an
auditor can re-check every flag without reading code. Four authorities count roles as privileged
and none of their lists contains the others; the default scope is their union. Microsoft itself
publishes three lists (the Privileged label, the 14 roles of most admin templates, the 19 of the
phishing-resistant admin template 76c03f19) plus an admin-roles include that once added Teams
Administrator: each is its own flag, so ``ztb roles`` says which list names a role.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from ztb.data import read_text
from ztb.errors import ZtbError

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

#: Flag column -> who counts the role privileged, in words a warning can use.
AUTHORITIES = {
    "privileged": "Microsoft (Privileged label)",
    "msAdmin14": "Microsoft's admin Conditional Access templates",
    "cisaHigh": "CISA SCuBA (highly privileged)",
    "secops": "the Security Copilot Zero Trust guidance (SecOps)",
    "msPhishResistantAdmins": "Microsoft's admin template 76c03f19 (phishing-resistant MFA for admins)",
    "msAdminRolesInclude": "Microsoft's admin-roles include (the version that lists Teams Administrator)",
}

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"


@dataclass(frozen=True)
class Role:
    name: str
    template_id: str
    privileged: bool = False
    ms_admin14: bool = False
    cisa_high: bool = False
    secops: bool = False
    ms_phish_resistant_admins: bool = False
    ms_admin_roles_include: bool = False
    in_catalogue: bool = True

    @property
    def flags(self) -> dict[str, bool]:
        return {
            "privileged": self.privileged,
            "msAdmin14": self.ms_admin14,
            "cisaHigh": self.cisa_high,
            "secops": self.secops,
            "msPhishResistantAdmins": self.ms_phish_resistant_admins,
            "msAdminRolesInclude": self.ms_admin_roles_include,
        }

    @property
    def counted_privileged_by(self) -> list[str]:
        return [AUTHORITIES[k] for k, v in self.flags.items() if v]

    @property
    def short_id(self) -> str:
        """Stable, tenant-independent suffix for control IDs (template IDs never change)."""
        return self.template_id.split("-")[0].lower()


class UnknownRoleError(ZtbError, ValueError):
    """A role name that the catalogue does not hold; the message names the closest match."""


@lru_cache(maxsize=1)
def catalogue() -> tuple[Role, ...]:
    text = read_text("privileged-roles.tsv")
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.DictReader(rows, delimiter="\t")
    roles = []
    for row in reader:
        yes = {k: row[k].strip().lower() == "yes" for k in AUTHORITIES}
        roles.append(
            Role(
                name=row["role"].strip(),
                template_id=row["templateId"].strip().lower(),
                privileged=yes["privileged"],
                ms_admin14=yes["msAdmin14"],
                cisa_high=yes["cisaHigh"],
                secops=yes["secops"],
                ms_phish_resistant_admins=yes["msPhishResistantAdmins"],
                ms_admin_roles_include=yes["msAdminRolesInclude"],
            )
        )
    return tuple(roles)


@lru_cache(maxsize=1)
def by_template_id() -> dict[str, Role]:
    return {r.template_id: r for r in catalogue()}


def default_scope() -> list[Role]:
    """The union of the authorities' sets: every role any of them counts privileged."""
    return [r for r in catalogue() if any(r.flags.values())]


@lru_cache(maxsize=1)
def by_lower_name() -> dict[str, Role]:
    """The catalogue by lowercased display name: built once, since the model resolves hundreds of names."""
    return {r.name.lower(): r for r in catalogue()}


def resolve(name_or_id: str) -> Role:
    """Resolve a display name (case-insensitive) or a template ID to a role.

    A template ID outside the catalogue is accepted (custom or newer built-in roles can be added
    by ID); a name outside it fails with the closest match, because a typo in a role name must
    never silently shrink the scope of the privileged policies.
    """
    value = name_or_id.strip()
    if GUID_RE.match(value):
        known = by_template_id().get(value.lower())
        return known or Role(name=value.lower(), template_id=value.lower(), in_catalogue=False)
    known = by_lower_name().get(value.lower())
    if known:
        return known
    names = [r.name for r in catalogue()]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.0)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise UnknownRoleError(f"unknown role '{value}'{hint}")

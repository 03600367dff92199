"""Security apps the stack instantiates from the Entra gallery, as they appear in PRIV-CA-08.

A gallery app gets its application (client) ID only when `pulumi up` instantiates it, so the
desired JSON names it by its gallery template, ``${app:<templateId>}``, the way it names a group
the stack creates. The component replaces the reference with the ID pulumi-azuread's
``ApplicationFromTemplate`` yields (unknown on the first preview); the ideal tenant with a
derived ID; drift with the live policy's applications that nothing else declares (see
:func:`bind_live`).
"""

from __future__ import annotations

import re
from typing import Any, Callable

APP_REF_RE = re.compile(r"^\$\{app:([0-9a-f-]{36})\}$")


def app_ref(template_id: str) -> str:
    return "${app:%s}" % template_id.lower()


def template_of(value: Any) -> str | None:
    m = APP_REF_RE.match(value) if isinstance(value, str) else None
    return m.group(1) if m else None


def _apps(policy: dict[str, Any]) -> list[Any]:
    return ((policy.get("conditions") or {}).get("applications") or {}).get("includeApplications") or []


def has_app_refs(policy: dict[str, Any]) -> bool:
    return any(template_of(v) for v in _apps(policy))


def resolve(policy: dict[str, Any], app_id: Callable[[str], Any]) -> dict[str, Any]:
    """A copy of ``policy`` whose gallery-app references are ``app_id(templateId)``."""
    if not has_app_refs(policy):
        return policy
    apps = [app_id(template_of(v)) if template_of(v) else v for v in _apps(policy)]
    cond = dict(policy["conditions"])
    cond["applications"] = {**cond["applications"], "includeApplications": apps}
    return {**policy, "conditions": cond}


def bind_live(desired: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """Drift's reading of gallery apps: each reference takes one live application nothing else declares.

    A snapshot does not say which application a gallery template became, so drift matches by
    count: as many undeclared live applications as references are taken as the stack's gallery
    apps (an extra application only narrows nothing: it adds sign-ins to the policy). A reference
    left unbound stays in the desired list and shows as a removed application, which weakens.
    """
    if not has_app_refs(desired):
        return desired
    declared = {str(v).lower() for v in _apps(desired) if not template_of(v)}
    spare = [v for v in _apps(live) if isinstance(v, str) and v.lower() not in declared]
    taken = iter(spare)
    return resolve(desired, lambda _t: next(taken, app_ref(_t)))

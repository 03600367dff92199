"""What a preview says about its stack: the baseline it ran with, its controls, the IDs it names.

A review judges each resource as the control it is: the stack config the preview carries (or
--config) gives the controls, their titles and the emergency-access IDs; the steps give the
object IDs of groups created in the same deployment. Where the config is missing the review says
so and judges fail-closed; where it is there and unusable, a gate cannot vouch for the preview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from ztb.config import ConfigError, split_namespace, validated
from ztb.model import groups as g
from ztb.model.baseline import Baseline, build
from ztb.model.controls import Kind
from ztb.model.meta import GroupMeta
from ztb.review.inputs import is_special
from ztb.review.preview import COMPONENT_PREFIX, GROUP_TYPE, KIND_BY_ID_PREFIX, KIND_BY_TYPE, STACK_TYPE, is_dynamic, parse_urn
from ztb.sentinels import SECRET

_CONTROL_RE = re.compile(r"(?:^|-)(priv-[a-z]+-[0-9a-z-]+)$")
#: The group whose members every privileged policy excludes (model/groups.py); used only when
#: no stack config names the controls.
EMERGENCY_GROUP_ID = g.EmergencyAccess.CONTROL_ID


# -- the stack config ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfigRead:
    """The baseline of the config the preview ran with, or why there is none."""

    baseline: Optional[Baseline]
    #: No `ztb:` config at all: titles and emergency IDs unknown, judged fail-closed.
    note: Optional[str] = None
    #: A `ztb:` config that is there and cannot be used: loud, and a gate cannot vouch.
    unusable: Optional[str] = None


def read_config(doc: dict[str, Any]) -> ConfigRead:
    """The preview's ``config`` as a baseline; a config block that is there but unusable is said
    loudly, never silently replaced by "no config"."""
    raw = doc.get("config") or {}
    if not any(str(k).startswith("ztb:") for k in raw):
        return ConfigRead(None, note="the preview carries no `ztb:` config and no --config was given: control titles "
                                     "and the emergency-access IDs are unknown")
    secret = sorted(k for k, v in raw.items() if str(k).startswith("ztb:") and v == SECRET)
    if secret:
        return ConfigRead(None, unusable=f"the preview's stack config hides {', '.join(secret)} as secret, so the "
                                         "emergency-access IDs and control titles cannot be read: pass --config Pulumi.<stack>.yaml")
    try:
        return ConfigRead(validated(split_namespace(raw, "preview config")))
    except ConfigError as e:
        problem = e.problems[0] if e.problems else "invalid"
    except ValueError as e:  # a model rule the config breaks
        problem = str(e).splitlines()[0] if str(e) else type(e).__name__
    return ConfigRead(None, unusable=f"the preview's stack config is not a baseline this ztb can read ({problem[:300]}): "
                                     "pass --config Pulumi.<stack>.yaml, or run the ztb version the program uses")



# -- identifying resources -----------------------------------------------------------------------

#: The last few wider models, by the baseline they widen (kept alive with it, so an ID is never
#: reused): a bot or a test that reviews many previews of one stack builds the model once.
_WIDER: dict[int, tuple[Baseline, Baseline]] = {}


def _wider(baseline: Baseline) -> Baseline:
    """The stack's config without its role removals and with device compliance on: every control
    the stack may have held, so a deletion is recognised (see :class:`Controls`)."""
    held = _WIDER.get(id(baseline))
    if held is not None and held[0] is baseline:
        return held[1]
    cfg = baseline.config
    wider = build(cfg.model_copy(update={
        "roles": cfg.roles.model_copy(update={"remove": []}),
        "deviceCompliance": cfg.deviceCompliance.model_copy(update={"enabled": True}),
    }))
    if len(_WIDER) >= 8:
        _WIDER.pop(next(iter(_WIDER)))
    _WIDER[id(baseline)] = (baseline, wider)
    return wider


class Controls:
    """The stack's controls by lowercased ID, for names, kinds and titles.

    The model is built from the PR's config, so a control the PR deletes (the PIM settings of a
    role it removes from scope) is not in it; the same config without its role removals supplies
    those, because a deletion is exactly what a reviewer must recognise.
    """

    def __init__(self, baseline: Optional[Baseline]):
        self.baseline = baseline
        self.by_id: dict[str, Any] = {}
        self.current: set[str] = set()
        if baseline:
            self.by_id.update({c.id.lower(): c for c in _wider(baseline).controls})
            self.by_id.update({c.id.lower(): c for c in baseline.controls})
            self.current = {c.id.lower() for c in baseline.controls}

    def id_of(self, name: str) -> Optional[str]:
        """Control ID a child resource's name ends in (``baseline-ca-priv-ca-01`` -> PRIV-CA-01)."""
        low = name.lower()
        for lowered in sorted(self.by_id, key=len, reverse=True):
            if low == lowered or low.endswith("-" + lowered):
                return self.by_id[lowered].id
        cut = low.rfind("-priv-")
        m = _CONTROL_RE.search(low[cut:] if cut >= 0 else low)
        if not m:
            return None
        prefix, kind, *rest = m.group(1).split("-")
        return "-".join([prefix.upper(), kind.upper(), *rest])

    def kind_of(self, type_: str, control_id: Optional[str]) -> Optional[str]:
        if type_ in KIND_BY_TYPE:
            return KIND_BY_TYPE[type_]
        if not is_dynamic(type_) or not control_id:
            return None
        control = self.by_id.get(control_id.lower())
        return control.kind if control else KIND_BY_ID_PREFIX.get("-".join(control_id.split("-")[:2]))

    def title_of(self, control_id: Optional[str], inputs: dict[str, Any]) -> Optional[str]:
        display = inputs.get("displayName") if isinstance(inputs.get("displayName"), str) else None
        control = self.by_id.get((control_id or "").lower())
        if control is None:
            return display
        if self.baseline and control.id.lower() not in self.current:
            return f"{control.title} (no longer in the stack config)"
        return control.title

    def is_exclusion_group(self, control_id: Optional[str]) -> bool:
        """The group every privileged policy excludes (its members are outside them all)."""
        control = self.by_id.get((control_id or "").lower())
        if control is not None:
            return isinstance(control.meta, GroupMeta) and (control.meta.membership == g.EXCLUSION or control.meta.group_key == g.EMERGENCY)
        return control_id == EMERGENCY_GROUP_ID  # no config: the model's ID for it



# -- the IDs the preview names ---------------------------------------------------------------------

def _stack_outputs(steps: list[dict[str, Any]]) -> dict[str, Any]:
    for s in steps:
        if parse_urn(s["urn"])[1] == STACK_TYPE:
            for state in (s.get("oldState"), s.get("newState")):
                outputs = (state or {}).get("outputs")
                if isinstance(outputs, dict) and outputs:
                    return outputs
    return {}


def group_ids(controls: Controls, steps: list[dict[str, Any]]) -> dict[str, str]:
    """groupKey -> object ID: existing groups from the config; created ones from the preview (the
    stack's ``groupIds`` output, or a group's own old state)."""
    ids: dict[str, str] = {}
    outputs = _stack_outputs(steps).get(g.GROUP_IDS_OUTPUT)
    if isinstance(outputs, dict):
        ids.update({k: v for k, v in outputs.items() if isinstance(v, str) and not is_special(v)})
    keys = {c.id: c.meta.group_key for c in controls.by_id.values() if c.kind == Kind.GROUP}
    ids.update({keys[c.id]: c.meta.object_id for c in controls.by_id.values() if c.kind == Kind.GROUP and c.meta.object_id})
    for s in steps:
        _, type_, name = parse_urn(s["urn"])
        key = keys.get(controls.id_of(name) or "") if type_ == GROUP_TYPE else None
        outputs = (s.get("oldState") or {}).get("outputs") or {}
        oid = outputs.get("objectId")
        if key and isinstance(oid, str) and not is_special(oid):
            ids.setdefault(key, oid)
    return ids


def _strength_names() -> dict[str, str]:
    from ztb.catalogue import strengths

    return {k: f"{name} strength" for k, name in strengths.names().items()}


def names_for(baseline: Optional[Baseline], ids: dict[str, str]) -> dict[str, str]:
    """Object ID -> a reader's name for it: roles, authentication strengths, the stack's groups and accounts."""
    from ztb.catalogue.roles import catalogue

    names = {r.template_id: r.name for r in catalogue()}
    names.update(_strength_names())
    if baseline:
        cfg = baseline.config
        titles = {c.meta.group_key: c.title.replace(" (existing)", "") for c in baseline.of_kind(Kind.GROUP)}
        names.update({oid: titles.get(key, key) for key, oid in ids.items()})
        names.update({u: "break-glass account" for u in cfg.emergencyAccessUserIds})
        names.update({a.appId: a.name for a in cfg.securityApps})
        names.update({p: "eligible admin" for p in cfg.eligibility})
        if cfg.pim.approverGroupId:
            names[cfg.pim.approverGroupId] = "PIM approver group"
    return {k.lower(): v for k, v in names.items()}


def is_baseline(doc: dict[str, Any], steps: list[dict[str, Any]], controls: Controls) -> bool:
    """The preview is of a stack of this baseline: its config or one of its resources says so."""
    if any(str(k).startswith("ztb:") for k in (doc.get("config") or {})) or "controls" in _stack_outputs(steps):
        return True
    for s in steps:
        _, type_, name = parse_urn(s["urn"])
        if type_.startswith(COMPONENT_PREFIX) or type_.startswith("pulumi-python:dynamic/ztb:"):
            return True
        if (type_ in KIND_BY_TYPE or is_dynamic(type_)) and controls.id_of(name):
            return True
    return False


"""`ztb review`: what a pull request does to the baseline, judged change by change.

A reviewer of a baseline change needs three answers per resource: which control it is, what
changes in words, and whether that weakens security. The first comes from the model (resource
names end in the lowercased control ID), the second from :func:`ztb.compare.normalize.compare` on the old
and new inputs in Graph's shape (:mod:`ztb.review.preview` reads the document), the third from
:mod:`ztb.compare.classify`: the code `ztb drift` asks too, so "weakens" means one thing in the project.

Values a preview hides (secrets, values known only after apply) are reported as such and judged
by :func:`ztb.compare.classify.unverifiable`, never guessed. Drift that `pulumi preview --refresh` finds
in the tenant is reported apart: the pull request is judged on its own steps, from the deployed
state, so drift can never make a pull request's weakening look like a repair. A gate must not
pass what it cannot vouch for: a failed preview, steps missing from the document, a preview of
another project or a stack config it cannot read are named in :attr:`Review.cannot_vouch`.

Everything here is a pure function of the preview document and an optional baseline;
:mod:`ztb.review.render` prints the result.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from ztb.compare import classify as cl
from ztb.config import ConfigError, split_namespace, validate
from ztb.errors import EXIT_ERROR, EXIT_OK, EXIT_WEAKENS
from ztb.model import groups as g
from ztb.model.baseline import Baseline, build
from ztb.compare.normalize import SYMMETRIC_KINDS, compare
from ztb.review.preview import (
    COMPONENT_PREFIX, FIX, GROUP_TYPE, KIND_BY_ID_PREFIX, KIND_BY_TYPE, SECRET, STACK_TYPE, UNKNOWN, Entry,
    PreviewError, graph_path, inputs_of, is_dynamic, is_special, parse_urn, payload_key, read_steps, related, show,
    split_special, to_graph,
)

OP_ORDER = ("create", "update", "replace", "delete")
IMPACT_ORDER = {cl.WEAKENS: 0, cl.NEUTRAL: 1, cl.STRENGTHENS: 2}
SHOWN_SEVERITIES = ("error", "warning")
_CONTROL_RE = re.compile(r"(?:^|-)(priv-[a-z]+-[0-9a-z-]+)$")


@dataclass(frozen=True)
class FieldChange:
    path: str  # Graph path, as drift and classify name it
    old: Any
    new: Any
    verdict: cl.Verdict
    forces_replacement: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "impact": self.verdict.impact,
                "reason": self.verdict.reason, "forcesReplacement": self.forces_replacement}


@dataclass(frozen=True)
class Access:
    """Who gains or loses an eligible role through one change (roleEligibility only)."""

    change: str  # gains | loses | keeps
    principal: Any
    role: Any
    scope: Any

    def as_dict(self) -> dict[str, Any]:
        return {"change": self.change, "principalId": self.principal, "roleDefinitionId": self.role, "directoryScopeId": self.scope}


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    name: str
    type: str
    op: str  # create | update | replace | delete | protect
    preview_op: str  # as the preview wrote it (ops joined by ", " when several steps were read together)
    kind: Optional[str]
    control_id: Optional[str]
    title: Optional[str]
    verdict: cl.Verdict
    fields: tuple[FieldChange, ...] = ()
    notes: tuple[str, ...] = ()
    #: The verdict on the operation itself (create, replace, delete, protect); None for updates.
    operation: Optional[cl.Verdict] = None
    access: tuple[Access, ...] = ()

    @property
    def serious(self) -> bool:
        """Deleting or replacing a baseline control in a way that weakens: the first thing to read."""
        return bool(self.control_id) and self.op in ("delete", "replace") and self.verdict.impact == cl.WEAKENS

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn, "name": self.name, "type": self.type, "op": self.op, "previewOp": self.preview_op,
            "kind": self.kind, "controlId": self.control_id, "title": self.title, "impact": self.verdict.impact,
            "reason": self.verdict.reason, "serious": self.serious, "fields": [f.as_dict() for f in self.fields],
            "notes": list(self.notes),
            "operation": {"impact": self.operation.impact, "reason": self.operation.reason} if self.operation else None,
            "eligibility": [a.as_dict() for a in self.access],
        }


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: str = ""

    @property
    def resource(self) -> str:
        """The resource's name; empty for the stack itself (program errors carry its URN)."""
        return "" if not self.urn or parse_urn(self.urn)[1] == STACK_TYPE else self.urn.rsplit("::", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "urn": self.urn, "message": self.message}


@dataclass(frozen=True)
class Review:
    stack: str
    changes: tuple[ResourceChange, ...]
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[str, ...]
    #: object ID -> what it is (role names, the stack's groups, break-glass accounts), for readers.
    names: dict[str, str] = field(default_factory=dict)
    #: Drift `pulumi preview --refresh` found in the tenant (deployed state -> tenant): not the pull request's.
    drift: tuple[ResourceChange, ...] = ()
    #: Why a gate cannot pass this preview whatever its changes (exit 1 with --fail-on weakens).
    cannot_vouch: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {op: sum(c.op == op for c in self.changes) for op in OP_ORDER}

    @property
    def weakening(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.verdict.impact == cl.WEAKENS]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def as_dict(self) -> dict[str, Any]:
        impacts = {i: sum(c.verdict.impact == i for c in self.changes) for i in IMPACT_ORDER}
        return {
            "stack": self.stack,
            "summary": {**self.counts, "changes": len(self.changes), **impacts,
                        "serious": sum(c.serious for c in self.changes), "errors": len(self.errors),
                        "drift": len(self.drift), "driftWeakens": sum(c.verdict.impact == cl.WEAKENS for c in self.drift)},
            "cannotVouch": list(self.cannot_vouch),
            "changes": [c.as_dict() for c in self.changes],
            "drift": [c.as_dict() for c in self.drift],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
            "notes": list(self.notes),
        }


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
        return ConfigRead(build(validate(split_namespace(raw, "preview config"))))
    except ConfigError as e:
        problem = e.problems[0] if e.problems else "invalid"
    except ValueError as e:  # a model rule the config breaks
        problem = str(e).splitlines()[0] if str(e) else type(e).__name__
    return ConfigRead(None, unusable=f"the preview's stack config is not a baseline this ztb can read ({problem[:300]}): "
                                     "pass --config Pulumi.<stack>.yaml, or run the ztb version the program uses")


def baseline_from_preview(doc: dict[str, Any]) -> tuple[Optional[Baseline], Optional[str]]:
    """The baseline of the stack config the preview ran with, or why there is none (see :func:`read_config`)."""
    c = read_config(doc)
    return c.baseline, c.unusable or c.note


# -- identifying resources -----------------------------------------------------------------------

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
            cfg = baseline.config
            wider = build(cfg.model_copy(update={
                "roles": cfg.roles.model_copy(update={"remove": []}),
                "deviceCompliance": cfg.deviceCompliance.model_copy(update={"enabled": True}),
            }))
            self.by_id.update({c.id.lower(): c for c in wider.controls})
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
            return control.meta.get("membership") == "exclusion" or control.meta.get("groupKey") == g.EMERGENCY
        return control_id == EMERGENCY_GROUP_ID  # no config: the model's ID for it


# -- judging one step ----------------------------------------------------------------------------

#: The group whose members every privileged policy excludes (model/groups.py); used only when
#: no stack config names the controls.
EMERGENCY_GROUP_ID = "PRIV-GRP-02"


def field_changes(type_: str, kind: str, step: dict[str, Any], ctx: cl.Context, explain: bool = True) -> tuple[list[FieldChange], list[str]]:
    """Each changed field with its verdict, and (``explain``) notes on provider diff keys the inputs cannot explain."""
    old_in, new_in = inputs_of(step.get("oldState")), inputs_of(step.get("newState"))
    old_in, new_in, specials = split_special(old_in, new_in)
    key = payload_key(kind, old_in or new_in)
    old_g, new_g = to_graph(type_, old_in, key), to_graph(type_, new_in, key)
    changes = [(c.path, c.desired, c.actual) for c in compare(kind, old_g, new_g, include_write_only=True)]
    if kind not in SYMMETRIC_KINDS:  # compare() looks only at what its first argument names
        seen = {path for path, _, _ in changes}
        changes += [(c.path, c.actual, c.desired) for c in compare(kind, new_g, old_g, include_write_only=True) if c.path not in seen]
    detailed = step.get("detailedDiff") or {}
    replacing = {graph_path(type_, k, key, old_g or new_g) for k, d in detailed.items()
                 if isinstance(d, dict) and str(d.get("kind", "")).endswith("-replace")}
    replacing |= {graph_path(type_, k, key, old_g or new_g) for k in step.get("replaceReasons") or []}

    def forces(path: str) -> bool:
        return any(r and related(path, r) for r in replacing)

    out = [FieldChange(path, o, n, cl.classify(kind, path, o, n, ctx), forces(path)) for path, o, n in changes]
    # Where the same hidden value sits on both sides, only the provider can say whether it changed:
    # a detailed diff names the path, diffReasons the top-level key. A Python dynamic provider says
    # neither (detailedDiff null, no diffReasons), so every hidden value of its step may have changed.
    if step.get("detailedDiff") is not None:
        hints: Optional[set[str]] = {re.sub(r"\[\d+\]$", "", k) for k in detailed} | set(step.get("replaceReasons") or [])
    elif step.get("diffReasons") or step.get("replaceReasons"):
        hints = set(step.get("diffReasons") or []) | set(step.get("replaceReasons") or [])
    else:
        hints = None
    for wire, o, n in specials:
        path = graph_path(type_, wire, key, old_g or new_g)
        if o == n and hints is not None and not any(related(wire, h) for h in hints):
            continue
        why = _special_reason(o, n, said=hints is not None)
        out.append(FieldChange(path or wire, o, n, cl.unverifiable(path or wire, why), forces(path)))
    out.sort(key=lambda f: IMPACT_ORDER[f.verdict.impact])  # weakening fields first, as changes are
    notes = []
    explained = [f.path for f in out]
    for k, d in sorted(detailed.items()) if explain else ():
        path = graph_path(type_, k, key, old_g or new_g)
        if path and not any(related(path, e) for e in explained):
            # Bridged providers diff the deployed state against the plan (inputDiff false), so a
            # key may name what the provider computes; an input diff is order, case or format.
            what = ("a difference that is equal after normalisation (order, case or format only)" if d.get("inputDiff")
                    else "a difference from the deployed state that the inputs do not show (order, case or format, or a value the provider computes)")
            notes.append(f"{cl.field_words(path)}: the provider reports {what}")
            explained.append(path)
    return out, notes


def _special_reason(old: Any, new: Any, said: bool = True) -> str:
    if isinstance(old, list) and isinstance(new, list) and not is_special(old):
        hidden = sum(is_special(i) for i in new)
        delta = [f"+ {i}" for i in new if not is_special(i) and i not in old] + [f"- {i}" for i in old if i not in new]
        what = ", ".join(delta + [f"+ {hidden} value{'s' if hidden > 1 else ''} {_hidden_as(new)}"])
    else:
        what = f"{_short(old)} → {_short(new)}"
    if UNKNOWN in (new if isinstance(new, list) else [new]):
        return f"{what}: cannot be checked before it is deployed"
    if not said:
        return f"{what}: hidden in the preview, and the provider does not say which inputs changed, so it cannot be checked here"
    return f"{what}: hidden in the preview, so whether and how it changed cannot be checked here"


def _short(v: Any) -> str:
    """A hidden value's other side as a reader reads it: a list of IDs as the IDs, an object as JSON."""
    plain = not isinstance(v, (dict, list)) or (isinstance(v, list) and not any(isinstance(i, (dict, list)) for i in v))
    text = show(v) if plain else json.dumps(v, default=str)
    return text if len(text) <= 400 else text[:400] + "…"


def _hidden_as(values: list[Any]) -> str:
    return "unknown until apply" if UNKNOWN in values else "secret"


def _body(type_: str, kind: str, state: Optional[dict[str, Any]]) -> dict[str, Any]:
    inputs = inputs_of(state)
    return to_graph(type_, inputs, payload_key(kind, inputs)) if state else {}


def eligibility_access(op: str, old: dict[str, Any], new: dict[str, Any]) -> tuple[Access, ...]:
    """Who gains and who loses an eligible role: a replacement removes one eligibility and grants another."""
    def one(change: str, body: dict[str, Any]) -> Access:
        return Access(change, body.get("principalId"), body.get("roleDefinitionId"), body.get("directoryScopeId") or "/")

    if op == "create":
        return (one("gains", new),)
    if op == "delete":
        return (one("loses", old),)
    same = all(old.get(k) == new.get(k) for k in ("principalId", "roleDefinitionId")) and \
        (old.get("directoryScopeId") or "/") == (new.get("directoryScopeId") or "/")
    return (one("keeps", new),) if same else (one("gains", new), one("loses", old))


def _protect(step: dict[str, Any], exclusion: bool) -> Optional[cl.Verdict]:
    """`protect` makes Pulumi refuse to delete a resource: on the emergency-access group a safety rail."""
    before = bool((step.get("oldState") or {}).get("protect"))
    after = bool((step.get("newState") or {}).get("protect"))
    if not step.get("oldState") or not step.get("newState") or before == after:
        return None
    if not exclusion:
        return cl.Verdict(cl.NEUTRAL, f"protection {'removed' if before else 'added'} (`protect`)")
    if before:
        return cl.Verdict(cl.WEAKENS, "protection removed (`protect`): Pulumi no longer refuses to delete the group every "
                          "privileged policy excludes; a deleted line of code or `pulumi destroy` now removes the break-glass exclusion")
    return cl.Verdict(cl.STRENGTHENS, "protection added (`protect`): Pulumi refuses to delete the emergency-access group")


def judge_step(step: dict[str, Any], op: str, controls: Controls, ctx: cl.Context, shown_as: tuple[str, ...] = (),
               explain: bool = True) -> ResourceChange:
    _, type_, name = parse_urn(step["urn"])
    state = step.get("newState") or step.get("oldState") or {}
    type_ = state.get("type") or type_
    control_id = controls.id_of(name) if type_ in KIND_BY_TYPE or is_dynamic(type_) else None
    kind = controls.kind_of(type_, control_id)
    title = controls.title_of(control_id, inputs_of(state))
    preview_op = ", ".join(shown_as) or step["op"]
    if kind is None:
        verdict = cl.Verdict(cl.NEUTRAL, f"{op} of a resource that is not part of the baseline")
        return ResourceChange(step["urn"], name, type_, op, preview_op, None, control_id, title, verdict)
    exclusion = controls.is_exclusion_group(control_id) if kind == "group" else False
    ctx = replace(ctx, exclusion_group=exclusion)
    fields: list[FieldChange] = []
    notes: list[str] = []
    if op != "protect" and (op in ("update", "replace") or (step.get("oldState") and step.get("newState"))):
        if step.get("oldState") is None or step.get("newState") is None:
            notes.append("the preview holds no old or new state for this resource, so its fields cannot be compared")
        else:
            fields, notes = field_changes(type_, kind, step, ctx, explain)
    access: tuple[Access, ...] = ()
    if kind == "roleEligibility" and op != "protect":
        access = eligibility_access(op, _body(type_, kind, step.get("oldState")), _body(type_, kind, step.get("newState")))
    if step.get("deleteBeforeReplace"):
        notes.append("deleted before its replacement is created (delete-before-replace): for a while neither exists")
    operation = None
    if op == "create" and kind == "conditionalAccessPolicy" and control_id is None:
        operation = cl.classify_unmanaged(to_graph(type_, inputs_of(state), ""), ctx)
    elif op == "protect":
        operation = _protect(step, exclusion)
    elif op != "update":
        operation = cl.classify_operation(op, kind)
    protect = _protect(step, exclusion) if op != "protect" else None
    verdicts = [v for v in (operation, protect) if v] + [f.verdict for f in fields]
    if not verdicts:
        verdicts = [cl.Verdict(cl.NEUTRAL, "no input changes visible (provider code, outputs or formatting only)")]
    impact = cl.worst(v.impact for v in verdicts)
    reason = "; ".join(dict.fromkeys(v.reason for v in verdicts if v.impact == impact))
    if protect:
        notes.append(protect.reason)
    return ResourceChange(step["urn"], name, type_, op, preview_op, kind, control_id, title,
                          cl.Verdict(impact, reason), tuple(fields), tuple(notes), operation, access)


def judge_entry(entry: Entry, controls: Controls, ctx: cl.Context) -> ResourceChange:
    """A step as :func:`ztb.review.preview.read_steps` grouped it, with what the grouping means."""
    # After drift, the provider's diff keys compare the refreshed state, not the deployed one.
    change = judge_step(entry.step, entry.op, controls, ctx, entry.shown_as, explain=not entry.after_drift)
    notes = list(change.notes)
    verdict = change.verdict
    if entry.drift:
        notes.insert(0, "changed in the tenant since the last deployment (found by `--refresh`), not by this pull request")
    elif entry.keeps_drift:
        notes.insert(0, "keeps drift found in the tenant: no step of this pull request reverts it, so the program now "
                        "declares what the tenant holds; judged from the deployed state")
    elif entry.after_drift and change.op == "create":
        notes.insert(0, "deleted in the tenant since the last deployment (see Drift): this deployment creates it again; "
                        "its inputs are compared with the deployed ones")
    elif entry.after_drift:
        notes.insert(0, "the tenant drifted from the deployed state (see Drift); this change is judged from the deployed "
                        "state, so the drift cannot make it look like a repair")
        if not change.fields and change.op == "update" and verdict.impact == cl.NEUTRAL:
            verdict = cl.Verdict(cl.NEUTRAL, "undoes the drift found in the tenant: back to the deployed settings")
    return replace(change, notes=tuple(notes), verdict=verdict)


# -- the whole preview ---------------------------------------------------------------------------

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
    outputs = _stack_outputs(steps).get("groupIds")
    if isinstance(outputs, dict):
        ids.update({k: v for k, v in outputs.items() if isinstance(v, str) and not is_special(v)})
    keys = {c.id: c.meta["groupKey"] for c in controls.by_id.values() if c.kind == "group"}
    ids.update({keys[c.id]: c.meta["objectId"] for c in controls.by_id.values() if c.kind == "group" and c.meta.get("objectId")})
    for s in steps:
        _, type_, name = parse_urn(s["urn"])
        key = keys.get(controls.id_of(name) or "") if type_ == GROUP_TYPE else None
        outputs = (s.get("oldState") or {}).get("outputs") or {}
        oid = outputs.get("objectId")
        if key and isinstance(oid, str) and not is_special(oid):
            ids.setdefault(key, oid)
    return ids


def _strength_names() -> dict[str, str]:
    from importlib import resources

    data = json.loads(resources.files("ztb.data").joinpath("authentication-strengths.json").read_text(encoding="utf-8"))
    return {k: f"{v['displayName']} strength" for k, v in data["builtInStrengths"].items()}


def names_for(baseline: Optional[Baseline], ids: dict[str, str]) -> dict[str, str]:
    """Object ID -> a reader's name for it: roles, authentication strengths, the stack's groups and accounts."""
    from ztb.catalogue.roles import catalogue

    names = {r.template_id: r.name for r in catalogue()}
    names.update(_strength_names())
    if baseline:
        cfg = baseline.config
        titles = {c.meta["groupKey"]: c.title.replace(" (existing)", "") for c in baseline.of_kind("group")}
        names.update({oid: titles.get(key, key) for key, oid in ids.items()})
        names.update({u: "break-glass account" for u in cfg.emergencyAccessUserIds})
        names.update({a.appId: a.name for a in cfg.securityApps})
        names.update({p: "eligible admin" for p in cfg.eligibility})
        if cfg.pim.approverGroupId:
            names[cfg.pim.approverGroupId] = "PIM approver group"
    return {k.lower(): v for k, v in names.items()}


def _is_baseline(doc: dict[str, Any], steps: list[dict[str, Any]], controls: Controls) -> bool:
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


def _unshown(doc: dict[str, Any], counted: dict[str, int]) -> list[str]:
    """Operations changeSummary counts that the steps do not show: steps cut from the document."""
    out = []
    for op, n in sorted((doc.get("changeSummary") or {}).items()):
        if op != "same" and n > counted.get(op, 0):
            out.append(f"{n} {op} (the steps show {counted.get(op, 0)})")
    return out


def review(doc: dict[str, Any], baseline: Optional[Baseline] = None, config_note: Optional[str] = None,
           config_unusable: Optional[str] = None) -> Review:
    """Judge every change of a preview document (see :func:`ztb.review.preview.load_preview`).

    ``config_note``: why there is no baseline (said quietly); ``config_unusable``: a stack config
    that is there and cannot be read (said loudly; a gate cannot vouch for the preview).
    """
    steps = doc.get("steps") or []
    notes = [config_note] if config_note else []
    stack = next((parse_urn(s["urn"])[0] for s in steps if parse_urn(s["urn"])[0]), "")
    controls = Controls(baseline)
    ids = group_ids(controls, steps)
    emergency = set(baseline.emergency_ids) if baseline else set()
    if ids.get(g.EMERGENCY):
        emergency.add(ids[g.EMERGENCY])
    unknown = baseline is None or g.EMERGENCY not in ids
    read = read_steps(steps)
    if unknown and any(e.op in ("update", "replace") or e.step.get("oldState") and e.step.get("newState") for e in read.changes):
        notes.append("the emergency-access group's object ID is in neither this preview nor the stack config, "
                     "so every removed exclusion is treated as weakening")
    ctx = replace(cl.Context.of(emergency), emergency_unknown=unknown)

    def judged(entries: tuple[Entry, ...]) -> list[ResourceChange]:
        out = []
        for entry in entries:
            try:
                out.append(judge_entry(entry, controls, ctx))
            except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as e:
                # Fail closed and loud: a step ztb cannot read is never passed over as harmless.
                raise PreviewError(f"the step of {entry.step['urn'][:200]} holds inputs of a shape ztb cannot read "
                                   f"({type(e).__name__}); {FIX}") from None
        order = {id(c): i for i, c in enumerate(out)}
        return sorted(out, key=lambda c: (IMPACT_ORDER[c.verdict.impact], not c.serious, order[id(c)]))

    changes, drift = judged(read.changes), judged(read.drift)
    diagnostics = [
        Diagnostic(str(d.get("severity")), _clean_message(str(d.get("prefix") or "") + str(d.get("message") or "")), str(d.get("urn") or ""))
        for d in doc.get("diagnostics") or [] if d.get("severity") in SHOWN_SEVERITIES
    ]
    errors = sum(d.severity == "error" for d in diagnostics)
    cannot = []
    if errors:
        cannot.append(f"the preview failed with {errors} error{'s' if errors > 1 else ''}, so its list of changes is "
                      "incomplete: fix the errors (see Diagnostics) and preview again")
    unshown = _unshown(doc, read.program_ops)
    if unshown:
        cannot.append(f"changeSummary counts {', '.join(unshown)}: steps are missing from the document; pass the whole, "
                      "unedited stdout of `pulumi preview --json`")
    if doc.get("maybeCorrupt"):
        cannot.append("the preview reports that resources of the stack may be corrupt (maybeCorrupt): repair the stack's state first")
    if steps and not _is_baseline(doc, steps, controls):
        project = next((s["urn"].split("::")[1] for s in steps if s["urn"].count("::") >= 3), "?")
        cannot.append(f"the preview of project '{project[:80]}' holds no resource and no `ztb:` config of the baseline: "
                      "review the preview of the baseline stack")
    if config_unusable:
        cannot.append(config_unusable)
    return Review(stack, tuple(changes), tuple(diagnostics), tuple(notes), names_for(baseline, ids), tuple(drift), tuple(cannot))


def _clean_message(message: str) -> str:
    text = message.strip()
    for prefix in ("error: ", "warning: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def exit_code(r: Review, fail_on: Optional[str]) -> int:
    """With ``--fail-on weakens``: 1 when the preview cannot be vouched for (whatever else it holds),
    3 when one of the pull request's own changes weakens security, else 0. Drift the pull request
    reverts is reported, not counted; drift it keeps is its change. Without --fail-on: 0."""
    if fail_on != "weakens":
        return EXIT_OK
    if r.cannot_vouch:
        return EXIT_ERROR
    return EXIT_WEAKENS if r.weakening else EXIT_OK

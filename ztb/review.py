"""`ztb review`: what a pull request does to the baseline, judged change by change.

A reviewer of a baseline change needs three answers per resource: which control it is, what
changes in words, and whether that weakens security. The first comes from the model (resource
names end in the lowercased control ID), the second from :func:`ztb.normalize.compare` on the old
and new inputs in Graph's shape (:mod:`ztb.preview` reads the document), the third from
:mod:`ztb.classify`: the code `ztb drift` asks too, so "weakens" means one thing in the project.

Values a preview hides (secrets, values known only after apply) are reported as such and judged
by :func:`ztb.classify.unverifiable`, never guessed. Everything here is a pure function of the
preview document and an optional baseline; :mod:`ztb.review_render` prints the result.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from . import classify as cl
from .config import ConfigError, split_namespace, validate
from .errors import EXIT_OK, EXIT_WEAKENS
from .model import groups as g
from .model.baseline import Baseline, build
from .normalize import SYMMETRIC_KINDS, compare
from .preview import (
    COMPONENT_PREFIX, is_dynamic, GROUP_TYPE, KIND_BY_ID_PREFIX, KIND_BY_TYPE, OPERATIONS, SECRET, STACK_TYPE, UNKNOWN,
    graph_path, inputs_of, is_special, parse_urn, payload_key, related, show, split_special, to_graph,
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
class ResourceChange:
    urn: str
    name: str
    type: str
    op: str  # create | update | replace | delete
    preview_op: str  # as the preview wrote it
    kind: Optional[str]
    control_id: Optional[str]
    title: Optional[str]
    verdict: cl.Verdict
    fields: tuple[FieldChange, ...] = ()
    notes: tuple[str, ...] = ()
    #: The verdict on the operation itself (create, replace, delete); None for updates.
    operation: Optional[cl.Verdict] = None

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
                        "serious": sum(c.serious for c in self.changes), "errors": len(self.errors)},
            "changes": [c.as_dict() for c in self.changes],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
            "notes": list(self.notes),
        }


# -- the stack config ----------------------------------------------------------------------------

def baseline_from_preview(doc: dict[str, Any]) -> tuple[Optional[Baseline], Optional[str]]:
    """The baseline of the stack config the preview ran with (its ``config``), or why there is none."""
    raw = doc.get("config") or {}
    if not isinstance(raw, dict) or not any(str(k).startswith("ztb:") for k in raw):
        return None, "the preview carries no `ztb:` config and no --config was given: control titles and the emergency-access IDs are unknown"
    secret = sorted(k for k, v in raw.items() if str(k).startswith("ztb:") and v == SECRET)
    if secret:
        return None, f"the preview's config hides {', '.join(secret)} as secret: pass --config Pulumi.<stack>.yaml for control titles"
    try:
        return build(validate(split_namespace(raw, "preview config"))), None
    except ConfigError as e:
        return None, f"the preview's config is not a valid baseline ({e.problems[0]}): pass --config Pulumi.<stack>.yaml"


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


# -- judging one step ----------------------------------------------------------------------------

#: The group whose members every privileged policy excludes (model/groups.py).
EMERGENCY_GROUP_ID = "PRIV-GRP-02"


def _context(base: cl.Context, control_id: Optional[str]) -> cl.Context:
    return replace(base, exclusion_group=True) if control_id == EMERGENCY_GROUP_ID else base


def field_changes(type_: str, kind: str, step: dict[str, Any], ctx: cl.Context) -> tuple[list[FieldChange], list[str]]:
    """Each changed field with its verdict, and notes on differences the inputs cannot explain."""
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
    # Where the same hidden value sits on both sides, only the preview can say whether it changed:
    # a detailed diff names the path; without one, a changed top-level key (diffReasons) might be it.
    if step.get("detailedDiff") is not None:
        hints = {re.sub(r"\[\d+\]$", "", k) for k in detailed}
    else:
        hints = set(step.get("diffReasons") or [])
    for wire, o, n in specials:
        path = graph_path(type_, wire, key, old_g or new_g)
        if o == n and not any(related(wire, h) for h in hints):
            continue
        why = _special_reason(o, n)
        out.append(FieldChange(path or wire, o, n, cl.unverifiable(path or wire, why), forces(path)))
    out.sort(key=lambda f: IMPACT_ORDER[f.verdict.impact])  # weakening fields first, as changes are
    notes = []
    explained = [f.path for f in out]
    for k, d in sorted(detailed.items()):
        if isinstance(d, dict) and d.get("inputDiff") is False:
            continue
        path = graph_path(type_, k, key, old_g or new_g)
        if path and not any(related(path, e) for e in explained):
            notes.append(f"{cl.field_words(path)}: the provider reports a difference that is equal after "
                         "normalisation (order, case or format only)")
            explained.append(path)
    return out, notes


def _special_reason(old: Any, new: Any) -> str:
    if isinstance(old, list) and isinstance(new, list) and not is_special(old):
        hidden = sum(is_special(i) for i in new)
        delta = [f"+ {i}" for i in new if not is_special(i) and i not in old] + [f"- {i}" for i in old if i not in new]
        what = ", ".join(delta + [f"+ {hidden} value{'s' if hidden > 1 else ''} {_hidden_as(new)}"])
    else:
        what = f"{show(old)} → {show(new)}"
    if UNKNOWN in (new if isinstance(new, list) else [new]):
        return f"{what}: cannot be checked before it is deployed"
    return f"{what}: hidden in the preview, so whether and how it changed cannot be checked here"


def _hidden_as(values: list[Any]) -> str:
    return "unknown until apply" if UNKNOWN in values else "secret"


def judge_step(step: dict[str, Any], op: str, controls: Controls, ctx: cl.Context) -> ResourceChange:
    _, type_, name = parse_urn(step["urn"])
    state = step.get("newState") or step.get("oldState") or {}
    type_ = state.get("type") or type_
    control_id = controls.id_of(name) if type_ in KIND_BY_TYPE or is_dynamic(type_) else None
    kind = controls.kind_of(type_, control_id)
    title = controls.title_of(control_id, inputs_of(state))
    if kind is None:
        verdict = cl.Verdict(cl.NEUTRAL, f"{op} of a resource that is not part of the baseline")
        return ResourceChange(step["urn"], name, type_, op, step["op"], None, control_id, title, verdict)
    ctx = _context(ctx, control_id)
    fields: list[FieldChange] = []
    notes: list[str] = []
    if op in ("update", "replace"):
        if step.get("oldState") is None or step.get("newState") is None:
            notes.append("the preview holds no old or new state for this resource, so its fields cannot be compared")
        else:
            fields, notes = field_changes(type_, kind, step, ctx)
    if kind == "roleEligibility":
        body = to_graph(type_, inputs_of(state), payload_key(kind, inputs_of(state)))
        notes.insert(0, f"principal {body.get('principalId')} for role {body.get('roleDefinitionId')}")
    operation = None
    if op == "create" and kind == "conditionalAccessPolicy" and control_id is None:
        operation = cl.classify_unmanaged(to_graph(type_, inputs_of(state), ""), ctx)
    elif op != "update":
        operation = cl.classify_operation(op, kind)
    verdicts = ([operation] if operation else []) + [f.verdict for f in fields]
    if not verdicts:
        verdicts = [cl.Verdict(cl.NEUTRAL, "no input changes visible (provider code, outputs or formatting only)")]
    impact = cl.worst(v.impact for v in verdicts)
    reason = "; ".join(dict.fromkeys(v.reason for v in verdicts if v.impact == impact))
    return ResourceChange(step["urn"], name, type_, op, step["op"], kind, control_id, title,
                          cl.Verdict(impact, reason), tuple(fields), tuple(notes), operation)


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
        oid = ((s.get("oldState") or {}).get("outputs") or {}).get("objectId")
        if key and isinstance(oid, str) and not is_special(oid):
            ids.setdefault(key, oid)
    return ids


def _strength_names() -> dict[str, str]:
    from importlib import resources

    data = json.loads(resources.files("ztb.data").joinpath("authentication-strengths.json").read_text(encoding="utf-8"))
    return {k: f"{v['displayName']} strength" for k, v in data["builtInStrengths"].items()}


def names_for(baseline: Optional[Baseline], ids: dict[str, str]) -> dict[str, str]:
    """Object ID -> a reader's name for it: roles, authentication strengths, the stack's groups and accounts."""
    from .roles import catalogue

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


def review(doc: dict[str, Any], baseline: Optional[Baseline] = None, config_note: Optional[str] = None) -> Review:
    """Judge every change of a preview document (see :func:`load_preview`)."""
    steps = doc.get("steps") or []
    notes = [config_note] if config_note else []
    stack = next((parse_urn(s["urn"])[0] for s in steps if parse_urn(s["urn"])[0]), "")
    controls = Controls(baseline)
    ids = group_ids(controls, steps)
    emergency = set(baseline.emergency_ids) if baseline else set()
    if ids.get(g.EMERGENCY):
        emergency.add(ids[g.EMERGENCY])
    unknown = baseline is None or g.EMERGENCY not in ids
    if unknown and any(OPERATIONS.get(s["op"]) in ("update", "replace") for s in steps):
        notes.append("the emergency-access group's object ID is in neither this preview nor the stack config, "
                     "so every removed exclusion is treated as weakening")
    ctx = replace(cl.Context.of(emergency), emergency_unknown=unknown)

    changes, replaced = [], set()
    for step in steps:
        op = OPERATIONS.get(step["op"])
        type_ = parse_urn(step["urn"])[1]
        if op is None or type_ == STACK_TYPE or type_.startswith(COMPONENT_PREFIX) or step["urn"] in replaced:
            continue
        if op == "replace":
            replaced.add(step["urn"])  # --show-replacement-steps adds create-replacement and delete-replaced
        changes.append(judge_step(step, op, controls, ctx))
    order = {id(c): i for i, c in enumerate(changes)}
    changes.sort(key=lambda c: (IMPACT_ORDER[c.verdict.impact], not c.serious, order[id(c)]))
    diagnostics = [
        Diagnostic(str(d.get("severity")), _clean_message(str(d.get("prefix") or "") + str(d.get("message") or "")), str(d.get("urn") or ""))
        for d in doc.get("diagnostics") or [] if d.get("severity") in SHOWN_SEVERITIES
    ]
    return Review(stack, tuple(changes), tuple(diagnostics), tuple(notes), names_for(baseline, ids))


def _clean_message(message: str) -> str:
    text = message.strip()
    for prefix in ("error: ", "warning: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def exit_code(r: Review, fail_on: Optional[str]) -> int:
    """3 when asked to fail on weakening changes and there is one; else 0."""
    return EXIT_WEAKENS if fail_on == "weakens" and r.weakening else EXIT_OK

"""`ztb review`: what a pull request does to the baseline, judged change by change.

A reviewer of a baseline change needs three answers per resource: which control it is, what
changes in words, and whether that weakens security. The first comes from the model (resource
names end in the lowercased control ID; :mod:`ztb.review.stack`), the second from :func:`ztb.compare.normalize.compare` on the old
and new inputs in Graph's shape (:mod:`ztb.review.preview` reads the document,
:mod:`ztb.review.inputs` puts it in Graph's terms), the third from
:mod:`ztb.compare.classify`: the code `ztb drift` asks too, so "weakens" means one thing in the project.

Values a preview hides (secrets, values known only after apply) are reported as such and judged
by :func:`ztb.compare.classify.unverifiable`, never guessed. Drift that `pulumi preview --refresh` finds
in the tenant is reported apart: the pull request is judged on its own steps, from the deployed
state, so drift can never make a pull request's weakening look like a repair. A gate must not
pass what it cannot vouch for: a failed preview, steps missing from the document, a preview of
another project or a stack config it cannot read are named in :attr:`Review.cannot_vouch`.

Everything here is a pure function of the preview document and an optional baseline: each
change as :mod:`ztb.review.steps` groups the steps, judged into :mod:`ztb.review.result`'s values,
which :mod:`ztb.review.render` prints.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Optional

from ztb.compare import classify as cl
from ztb.compare.normalize import compare
from ztb.model import groups as g
from ztb.model.baseline import Baseline
from ztb.model.controls import Kind
from ztb.review.inputs import graph_path, inputs_of, is_special, payload_key, related, show, split_special, to_graph
from ztb.review.ops import Op
from ztb.review.moves import pair_moves
from ztb.review.preview import FIX, KIND_BY_TYPE, PreviewError, is_dynamic, parse_urn
from ztb.review.result import IMPACT_ORDER, Access, AccessChange, Diagnostic, FieldChange, ResourceChange, Review
from ztb.review.stack import Controls, group_ids, is_baseline, names_for
from ztb.review.steps import Entry, read_steps
from ztb.sentinels import UNKNOWN

SHOWN_SEVERITIES = ("error", "warning")


def field_changes(type_: str, kind: str, step: dict[str, Any], ctx: cl.Context, explain: bool = True) -> tuple[list[FieldChange], list[str]]:
    """Each changed field with its verdict, and (``explain``) notes on provider diff keys the inputs cannot explain."""
    old_in, new_in = inputs_of(step.get("oldState")), inputs_of(step.get("newState"))
    old_in, new_in, specials = split_special(old_in, new_in)
    key = payload_key(kind, old_in or new_in)
    old_g, new_g = to_graph(type_, old_in, key), to_graph(type_, new_in, key)
    changes = [(c.path, c.desired, c.actual) for c in compare(kind, old_g, new_g, include_write_only=True, both_ways=True)]
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


def eligibility_access(op: Op, old: dict[str, Any], new: dict[str, Any]) -> tuple[Access, ...]:
    """Who gains and who loses an eligible role: a replacement removes one eligibility and grants another."""
    def one(change: AccessChange, body: dict[str, Any]) -> Access:
        return Access(change, body.get("principalId"), body.get("roleDefinitionId"), body.get("directoryScopeId") or "/")

    if op is Op.CREATE:
        return (one(AccessChange.GAINS, new),)
    if op is Op.DELETE:
        return (one(AccessChange.LOSES, old),)
    same = all(old.get(k) == new.get(k) for k in ("principalId", "roleDefinitionId")) and \
        (old.get("directoryScopeId") or "/") == (new.get("directoryScopeId") or "/")
    return (one(AccessChange.KEEPS, new),) if same else (one(AccessChange.GAINS, new), one(AccessChange.LOSES, old))


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


def judge_step(step: dict[str, Any], op: Op, controls: Controls, ctx: cl.Context, shown_as: tuple[str, ...] = (),
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
    exclusion = controls.is_exclusion_group(control_id) if kind == Kind.GROUP else False
    ctx = replace(ctx, exclusion_group=exclusion)
    fields: list[FieldChange] = []
    notes: list[str] = []
    if op is not Op.PROTECT and (op in (Op.UPDATE, Op.REPLACE) or (step.get("oldState") and step.get("newState"))):
        if step.get("oldState") is None or step.get("newState") is None:
            notes.append("the preview holds no old or new state for this resource, so its fields cannot be compared")
        else:
            fields, notes = field_changes(type_, kind, step, ctx, explain)
    access: tuple[Access, ...] = ()
    if kind == Kind.ROLE_ELIGIBILITY and op is not Op.PROTECT:
        access = eligibility_access(op, _body(type_, kind, step.get("oldState")), _body(type_, kind, step.get("newState")))
    if step.get("deleteBeforeReplace"):
        notes.append("deleted before its replacement is created (delete-before-replace): for a while neither exists")
    operation = None
    if op is Op.CREATE and kind == Kind.CONDITIONAL_ACCESS_POLICY and control_id is None:
        operation = cl.classify_unmanaged(to_graph(type_, inputs_of(state), ""), ctx)
    elif op is Op.PROTECT:
        operation = _protect(step, exclusion)
    elif op is not Op.UPDATE:
        operation = cl.classify_operation(op, kind)
    protect = _protect(step, exclusion) if op is not Op.PROTECT else None
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
    elif entry.after_drift and change.op is Op.CREATE:
        notes.insert(0, "deleted in the tenant since the last deployment (see Drift): this deployment creates it again; "
                        "its inputs are compared with the deployed ones")
    elif entry.after_drift:
        notes.insert(0, "the tenant drifted from the deployed state (see Drift); this change is judged from the deployed "
                        "state, so the drift cannot make it look like a repair")
        if not change.fields and change.op is Op.UPDATE and verdict.impact == cl.NEUTRAL:
            verdict = cl.Verdict(cl.NEUTRAL, "undoes the drift found in the tenant: back to the deployed settings")
    return replace(change, notes=tuple(notes), verdict=verdict)



# -- the whole preview ---------------------------------------------------------------------------
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
    if unknown and any(e.op in (Op.UPDATE, Op.REPLACE) or e.step.get("oldState") and e.step.get("newState") for e in read.changes):
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
    moved = pair_moves(changes, (e.step for e in read.changes), ctx)
    if moved != changes:
        order = {c.urn: i for i, c in enumerate(changes)}
        changes = sorted(moved, key=lambda c: (IMPACT_ORDER[c.verdict.impact], not c.serious, order[c.urn]))
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
    if steps and not is_baseline(doc, steps, controls):
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

"""A baseline policy that moves from one provider to another within one preview.

PRIV-CA-04 with ``riskRemediation`` is deployed through ztb's Graph provider, under the same
resource name the pulumi-azuread policy had. The types differ, so the preview holds a *delete*
of the old resource and a *create* of the new one. Judged apart they read "policy deleted:
its protection is gone" beside "policy added". Judged together they are one policy whose
settings change: the delete is rated by what differs between the old inputs and the new ones
(as Graph JSON), and the notes say in which order the engine runs them (creates first, deletes of
removed resources last: the tenant holds both policies for a moment, never neither).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from ztb.compare import classify as cl
from ztb.compare.normalize import compare
from ztb.model.controls import Kind
from ztb.review.inputs import inputs_of, payload_key, to_graph
from ztb.review.ops import Op
from ztb.review.preview import parse_urn
from ztb.review.result import FieldChange, ResourceChange

MOVE_NOTE = ("moves to another provider under the same name (pulumi-azuread ↔ ztb's Graph provider): the engine creates "
             "the new policy before it deletes the old one, so the tenant is never without it")


def _graph(step: dict[str, Any], state_key: str) -> dict[str, Any]:
    state = step.get(state_key) or {}
    _, type_, _ = parse_urn(step["urn"])
    type_ = state.get("type") or type_
    inputs = inputs_of(state)
    return to_graph(type_, inputs, payload_key(Kind.CONDITIONAL_ACCESS_POLICY, inputs))


def pair_moves(changes: list[ResourceChange], steps: Iterable[dict[str, Any]], ctx: cl.Context) -> list[ResourceChange]:
    """``changes`` with each delete+create of one Conditional Access control under two types judged as one move."""
    by_urn = {s["urn"]: s for s in steps}
    ops: dict[str, dict[Op, ResourceChange]] = {}
    for c in changes:
        if c.kind == Kind.CONDITIONAL_ACCESS_POLICY and c.control_id and c.op in (Op.CREATE, Op.DELETE):
            ops.setdefault(c.control_id, {})[c.op] = c
    moved: dict[str, ResourceChange] = {}
    for pair in ops.values():
        gone, made = pair.get(Op.DELETE), pair.get(Op.CREATE)
        if not (gone and made) or gone.type == made.type or gone.urn not in by_urn or made.urn not in by_urn:
            continue
        old, new = _graph(by_urn[gone.urn], "oldState"), _graph(by_urn[made.urn], "newState")
        fields = tuple(FieldChange(ch.path, ch.desired, ch.actual, cl.classify(gone.kind, ch.path, ch.desired, ch.actual, ctx), False)
                       for ch in compare(gone.kind, old, new, both_ways=True))
        verdict = (cl.Verdict(cl.worst(f.verdict.impact for f in fields),
                              "; ".join(dict.fromkeys(f.verdict.reason for f in fields)))
                   if fields else cl.Verdict(cl.NEUTRAL, "the same policy, deployed by another provider"))
        moved[gone.urn] = replace(gone, verdict=verdict, fields=fields, notes=(MOVE_NOTE, *gone.notes), operation=None)
        moved[made.urn] = replace(made, verdict=cl.Verdict(cl.NEUTRAL, "the new half of a provider move (judged on the delete)"),
                                  notes=(MOVE_NOTE, *made.notes), operation=None)
    return [moved.get(c.urn, c) for c in changes]

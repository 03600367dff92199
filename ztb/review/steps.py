"""Which steps of a preview belong together, and which are the pull request's.

One resource can appear in several steps: a replacement as up to three
(`--show-replacement-steps`), and with `--refresh` a refresh step first, rewritten in place when
it found drift. A reviewer judges each change once, and judges the pull request on its own steps
from the deployed state, so drift in the tenant can never make its weakening look like a repair.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from ztb.review.ops import OPERATIONS, REPLACEMENT_OPS, UNCOUNTED_OPS, Op
from ztb.review.preview import COMPONENT_PREFIX, STACK_TYPE, parse_urn


@dataclass(frozen=True)
class Entry:
    """One thing a reviewer judges: a step, or the steps of one resource read together."""

    #: The step to judge: as shown, the steps of a replacement merged, or (after a refresh found
    #: drift) the program's step with the deployed state as its old state.
    step: dict[str, Any]
    op: Op
    #: The preview ops this entry was read from, in order.
    shown_as: tuple[str, ...]
    #: Found in the tenant by `--refresh`: not the pull request's change.
    drift: bool = False
    #: The program's step for a resource whose refresh found drift: judged from the deployed state.
    after_drift: bool = False
    #: Drift no step of the program reverts: the program now declares what the tenant holds.
    keeps_drift: bool = False


@dataclass(frozen=True)
class Steps:
    changes: tuple[Entry, ...]
    drift: tuple[Entry, ...]
    #: Logical operations of the program's own steps (stack and components included), as the
    #: engine counts them into changeSummary (pkg/engine/update.go previewActions.OnResourceStepPost).
    program_ops: Counter
    #: The preview ran with `--refresh` (it shows `refresh` steps).
    refreshed: bool


def _refresh_step(group: list[dict[str, Any]], refreshed: bool) -> bool:
    """Whether a resource's first step is its refresh. `--refresh` gives every resource in the state
    a refresh step before the program's (deployment_executor.go, step_generator.go
    continueStepsFromRefresh); one whose Read found drift is rewritten in place as `update` (or
    `delete`, gone from the tenant), so it is known by coming first, not by its op (json.go)."""
    op = group[0]["op"]
    return op == "refresh" or (op in ("update", "delete") and (refreshed or len(group) > 1))


def _hints(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """What the steps say changed, together: diffReasons, replaceReasons, detailedDiff (None when none has one)."""
    detailed = [s["detailedDiff"] for s in steps if s.get("detailedDiff") is not None]
    out: dict[str, Any] = {"detailedDiff": {k: v for d in detailed for k, v in d.items()} if detailed else None}
    for key in ("diffReasons", "replaceReasons"):
        values = list(dict.fromkeys(k for s in steps for k in s.get(key) or []))
        if values:
            out[key] = values
    return out


def _replacement(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """One step for a replacement shown as up to three (`--show-replacement-steps`): the states from
    the step that holds both (``replace``, else ``create-replacement``); ``delete-replaced`` holds
    only the old one and comes first when the old object is deleted before the new one exists."""
    both = [s for s in steps if s.get("oldState") and s.get("newState")]
    best = next((s for s in both if s["op"] == "replace"), both[0] if both else None)
    old = best["oldState"] if best else next((s["oldState"] for s in steps if s.get("oldState")), None)
    new = best["newState"] if best else next((s["newState"] for s in steps if s.get("newState")), None)
    merged = {"op": "replace", "urn": steps[0]["urn"], "provider": (best or steps[0]).get("provider"),
              "oldState": old, "newState": new, **_hints(steps)}
    ops = [s["op"] for s in steps]
    merged["deleteBeforeReplace"] = "delete-replaced" in ops and ops.index("delete-replaced") < max(
        (ops.index(o) for o in ("replace", "create-replacement") if o in ops), default=-1)
    return {k: v for k, v in merged.items() if v is not None or k == "detailedDiff"}


def _program_entries(group: list[dict[str, Any]]) -> list[Entry]:
    out: list[Entry] = []
    replacement = [s for s in group if s["op"] in REPLACEMENT_OPS]
    for s in group:
        if s["op"] in REPLACEMENT_OPS:
            if s is replacement[0]:
                out.append(Entry(_replacement(replacement), Op.REPLACE, tuple(r["op"] for r in replacement)))
            continue
        op = OPERATIONS.get(s["op"])
        if op is None and s["op"] == "same" and bool((s.get("oldState") or {}).get("protect")) != bool((s.get("newState") or {}).get("protect")):
            op = Op.PROTECT  # `same` is shown only with --show-sames or when protect changed (display.go shouldShow)
        if op is not None and s["op"] not in REPLACEMENT_OPS:
            out.append(Entry(s, op, (s["op"],)))
    return out


def _from_deployed(entry: Entry, refresh: dict[str, Any]) -> Entry:
    """The program's step after a refresh compares the refreshed state with the program; the pull
    request's own change is from the deployed state (the refresh's old state) to the program."""
    step = {**entry.step, "oldState": refresh.get("oldState"), **_hints([entry.step, refresh])}
    return replace(entry, step=step, after_drift=True)


def read_steps(steps: list[dict[str, Any]]) -> Steps:
    """The preview's steps as a reviewer reads them: the pull request's changes, drift found by
    `--refresh` apart, each replacement once."""
    refreshed = any(s["op"] == "refresh" for s in steps)
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in steps:
        groups.setdefault(s["urn"], []).append(s)
    changes: list[Entry] = []
    drift: list[Entry] = []
    ops: Counter = Counter()
    for urn, group in groups.items():
        refresh = group[0] if _refresh_step(group, refreshed) else None
        program = group[1:] if refresh is not None else group
        # A rewritten refresh step is not logical; a plain one is counted only by `pulumi refresh`,
        # which is no preview, but counting it here can only avoid a false alarm.
        counted = program + ([refresh] if refresh is not None and refresh["op"] == "refresh" else [])
        ops.update(s["op"] for s in counted if s["op"] not in UNCOUNTED_OPS)
        type_ = parse_urn(urn)[1]
        if type_ == STACK_TYPE or type_.startswith(COMPONENT_PREFIX):
            continue
        entries = _program_entries(program)
        if refresh is None or refresh["op"] == "refresh":
            changes += entries
            continue
        found = Entry(refresh, OPERATIONS[refresh["op"]], (refresh["op"],), drift=True)
        drift.append(found)
        if not any(e.op is not Op.PROTECT for e in entries):
            changes.append(replace(found, drift=False, keeps_drift=True))
        changes += [_from_deployed(e, refresh) if e.op is not Op.PROTECT else e for e in entries]
    return Steps(tuple(changes), tuple(drift), ops, refreshed)


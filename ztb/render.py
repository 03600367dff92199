"""How `ztb plan` and `ztb roles` print: data to stdout, in table, markdown or JSON."""

from __future__ import annotations

import json
from typing import Any

from .model.baseline import Baseline
from .model.controls import GUIDANCE_STEPS
from .roles import catalogue


def plan_json(b: Baseline) -> str:
    doc = {
        "phase": b.config.phase,
        "level": b.config.level,
        "reportOnly": b.config.reportOnly,
        "scope": [{"name": r.name, "templateId": r.template_id} for r in b.scope],
        "warnings": b.warnings,
        "controls": [c.summary() for c in b.controls],
    }
    return json.dumps(doc, indent=2)


def _state(c) -> str:
    if c.kind == "conditionalAccessPolicy":
        return {"enabledForReportingButNotEnforced": "report-only"}.get(c.desired["state"], c.desired["state"])
    if c.kind == "manualCheck":
        return "manual"
    return "managed" if c.managed else "referenced"


def _rows(b: Baseline) -> list[list[str]]:
    return [[c.id, c.kind, str(c.step), _state(c), c.display_name, ", ".join(c.crosswalk)] for c in b.controls]


HEAD = ["ID", "KIND", "STEP", "STATE", "DISPLAY NAME", "CROSSWALK"]


def table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def markdown(head: list[str], rows: list[list[str]]) -> str:
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows])


def plan_text(b: Baseline, fmt: str) -> str:
    title = (f"Privileged-access baseline: {len(b.controls)} controls, {len(b.scope)} privileged roles, "
             f"phase {b.config.phase}, level {b.config.level}" + (", report-only" if b.config.reportOnly else ""))
    if fmt == "markdown":
        parts = [f"## {title}", "", markdown(HEAD, _rows(b)), "", "### Guidance steps", ""]
        parts += [f"{n}. {t}" for n, t in GUIDANCE_STEPS.items()]
        manual = b.of_kind("manualCheck")
        if manual:
            parts += ["", "### Manual checks", ""] + [f"- **{c.id}** {c.title}: {c.instructions}" for c in manual]
        return "\n".join(parts)
    return title + "\n\n" + table(HEAD, _rows(b))


def roles_rows(b: Baseline | None) -> list[dict[str, Any]]:
    covered = {r.template_id for r in b.scope} if b else set()
    known = {r.template_id for r in catalogue()}
    rows = [
        {"name": r.name, "templateId": r.template_id, **r.flags, "covered": r.template_id in covered}
        for r in catalogue()
    ]
    rows += [
        {"name": r.name, "templateId": r.template_id, "privileged": False, "msAdmin14": False, "cisaHigh": False,
         "secops": False, "covered": True}
        for r in (b.scope if b else []) if r.template_id not in known
    ]
    return rows


def roles_text(rows: list[dict[str, Any]]) -> str:
    yes = lambda v: "yes" if v else "-"  # noqa: E731
    head = ["ROLE", "TEMPLATE ID", "PRIVILEGED", "MS ADMIN 14", "CISA HIGH", "SECOPS", "COVERED"]
    body = [[r["name"], r["templateId"], yes(r["privileged"]), yes(r["msAdmin14"]), yes(r["cisaHigh"]), yes(r["secops"]), yes(r["covered"])] for r in rows]
    covered = sum(r["covered"] for r in rows)
    return table(head, body) + f"\n\n{covered} of {len(rows)} roles covered by this stack."

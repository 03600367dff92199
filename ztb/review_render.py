"""How `ztb review` prints: a pull-request comment in markdown, or the same content as JSON for bots."""

from __future__ import annotations

import json
import re

from .classify import NEUTRAL, STRENGTHENS, WEAKENS
from .preview import show
from .review import FieldChange, ResourceChange, Review

MARK = {WEAKENS: "🔴", NEUTRAL: "⚪", STRENGTHENS: "🟢"}
KIND_WORDS = {
    "conditionalAccessPolicy": "Conditional Access policy", "group": "group", "roleManagementPolicy": "PIM settings",
    "deviceCompliancePolicy": "device compliance policy", "roleEligibility": "eligible assignment",
}
_GUID = re.compile(r"(?<![`\w-])([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])")


def to_json(r: Review) -> str:
    return json.dumps(r.as_dict(), indent=2, default=str)


def _ids(text: str, names: dict[str, str]) -> str:
    """Object IDs in code font, with what they are when the stack knows (a role, a group, an account)."""
    def one(m: re.Match) -> str:
        name = names.get(m.group(1).lower())
        return f"`{m.group(1)}` ({name})" if name else f"`{m.group(1)}`"

    return _GUID.sub(one, text.replace("<", "&lt;"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _heading(c: ResourceChange) -> str:
    if c.control_id:
        return f"{c.control_id} · {c.title}" if c.title else c.control_id
    return c.title or c.name


def _field(f: FieldChange, names: dict[str, str]) -> str:
    text = f.verdict.reason
    if "→" not in text and isinstance(f.new, str) and isinstance(f.old, (str, type(None))):
        text += f": `{show(f.old)}` → `{show(f.new)}`"
    if f.forces_replacement:
        text += " (forces replacement)"
    return f"- {MARK[f.verdict.impact]} **{f.verdict.impact}**: {_ids(text, names)}"


def _resource(c: ResourceChange, names: dict[str, str]) -> list[str]:
    what = KIND_WORDS.get(c.kind or "", c.type)
    lines = [f"### {MARK[c.verdict.impact]} {_ids(_heading(c), names)}",
             f"**{c.op}** of {what} `{c.name}`: **{c.verdict.impact}**", ""]
    if c.operation or not c.fields:
        lines[-2] += f": {_ids((c.operation or c.verdict).reason, names)}"
    lines += [_field(f, names) for f in c.fields] + [f"- note: {_ids(n, names)}" for n in c.notes]
    return lines + ([""] if c.fields or c.notes else [])


def _diagnostic_lines(r: Review) -> list[str]:
    if not r.diagnostics:
        return []
    lines = ["### Diagnostics", ""]
    for d in r.diagnostics:
        where = f" on `{d.resource}`" if d.resource else ""
        first, *more = d.message.splitlines() or [""]
        lines.append(f"- **{d.severity}**{where}: {_ids(first, {})}")
        if more:
            lines += ["", "  ```text"] + [f"  {m}" for m in more] + ["  ```"]
    return lines + [""]


def to_markdown(r: Review) -> str:
    stack = f"stack `{r.stack}`" if r.stack else "this stack"
    errors = r.errors
    if not r.changes:
        head = (f"**ztb review:** the preview of {stack} failed with {_plural(len(errors), 'error')}; no changes are listed."
                if errors else f"**ztb review:** no changes: the preview of {stack} leaves the tenant as it is.")
        rest = _diagnostic_lines(r)
        return "\n".join([head] + ([""] + rest if rest else [])).rstrip() + "\n"
    weak, total = len(r.weakening), len(r.changes)
    title = (f"## ztb review: {weak} of {_plural(total, 'change')} weaken{'s' if weak == 1 else ''} security" if weak
             else f"## ztb review: {_plural(total, 'change')}, none weakens security")
    n = r.counts
    lines = [title, "",
             f"{stack[0].upper()}{stack[1:]}: {n['create']} to create, {n['update']} to update, {n['replace']} to replace, "
             f"{n['delete']} to delete." + (" Weakening changes first." if weak else ""), ""]
    if errors:
        lines += [f"**The preview failed with {_plural(len(errors), 'error')}** (see Diagnostics): the list of changes may be incomplete.", ""]
    serious = [c for c in r.changes if c.serious]
    if serious:
        lines += ["**Most serious:** " + "; ".join(f"{_ids(_heading(c), r.names)} is {c.op}d" for c in serious) + ".", ""]
    for c in r.changes:
        lines += _resource(c, r.names)
    lines += _diagnostic_lines(r)
    if r.notes:
        lines += ["### Notes", ""] + [f"- {_ids(n, r.names)}" for n in r.notes] + [""]
    return "\n".join(lines).rstrip() + "\n"

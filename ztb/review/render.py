"""How `ztb review` prints: a pull-request comment in markdown, or the same content as JSON for bots."""

from __future__ import annotations

import json
import re

from ztb.compare.classify import NEUTRAL, STRENGTHENS, WEAKENS
from ztb.model.controls import Kind
from ztb.review.inputs import show
from ztb.review.ops import Op
from ztb.review.result import Access, AccessChange, FieldChange, ResourceChange, Review

MARK = {WEAKENS: "🔴", NEUTRAL: "⚪", STRENGTHENS: "🟢"}
KIND_WORDS = {
    Kind.CONDITIONAL_ACCESS_POLICY: "Conditional Access policy", Kind.GROUP: "group", Kind.ROLE_MANAGEMENT_POLICY: "PIM settings",
    Kind.DEVICE_COMPLIANCE_POLICY: "device compliance policy", Kind.ROLE_ELIGIBILITY: "eligible assignment",
}
#: Line breaks and other control characters in a value (a policy name, a diagnostic) would start new
#: markdown blocks in the comment (a heading, a fake verdict): each is one space in a line of text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
#: Terminal colour codes the CLI leaves in some messages (ESC [ ... m), dropped before _CONTROL.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_GUID = re.compile(r"(?<![`\w-])([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])")


def to_json(r: Review) -> str:
    return json.dumps(r.as_dict(), indent=2, default=str)


def _ids(text: str, names: dict[str, str]) -> str:
    """Object IDs in code font, with what they are when the stack knows (a role, a group, an account)."""
    def one(m: re.Match) -> str:
        name = names.get(m.group(1).lower())
        return f"`{m.group(1)}` ({name})" if name else f"`{m.group(1)}`"

    return _GUID.sub(one, _CONTROL.sub(" ", _ANSI.sub("", text)).replace("<", "&lt;"))


def _code(text: str) -> str:
    """A name in code font that cannot leave it: one line, no backtick of its own."""
    return f"`{_CONTROL.sub(' ', _ANSI.sub('', str(text))).replace('`', chr(39))}`"


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


ACCESS_WORDS = {AccessChange.GAINS: "**gains** eligibility for", AccessChange.LOSES: "**loses** eligibility for",
                AccessChange.KEEPS: "keeps eligibility for"}


def _access(a: Access, names: dict[str, str]) -> str:
    return f"- 🔑 {_ids(show(a.principal), names)} {ACCESS_WORDS[a.change]} {_ids(show(a.role), names)} (scope `{show(a.scope)}`)"


def _resource(c: ResourceChange, names: dict[str, str], level: str = "###") -> list[str]:
    what = KIND_WORDS.get(c.kind or "", _ids(c.type, {}))
    op = "protect changed" if c.op is Op.PROTECT else c.op
    lines = [f"{level} {MARK[c.verdict.impact]} {_ids(_heading(c), names)}",
             f"**{op}** of {what} {_code(c.name)}: **{c.verdict.impact}**", ""]
    if c.operation or not c.fields:
        lines[-2] += f": {_ids((c.operation or c.verdict).reason, names)}"
    body = [_access(a, names) for a in c.access] + [_field(f, names) for f in c.fields] + [f"- note: {_ids(n, names)}" for n in c.notes]
    return lines + body + ([""] if body else [])


def _diagnostic_lines(r: Review) -> list[str]:
    if not r.diagnostics:
        return []
    lines = ["### Diagnostics", ""]
    for d in r.diagnostics:
        where = f" on {_code(d.resource)}" if d.resource else ""
        first, *more = d.message.splitlines() or [""]
        lines.append(f"- **{d.severity}**{where}: {_ids(first, {})}")
        if more:
            # A fence longer than any run of backticks in the message, so the message cannot close it.
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", d.message)), default=0))
            body = [f"  {_CONTROL.sub(' ', _ANSI.sub('', m.replace(chr(9), '    ')))}" for m in more]
            lines += ["", f"  {fence}text"] + body + [f"  {fence}"]
    return lines + [""]


def _vouch_lines(r: Review) -> list[str]:
    if not r.cannot_vouch:
        return []
    return ["**⛔ ztb review cannot vouch for this preview** (`--fail-on weakens` exits 1):", ""] + \
        [f"- {_ids(reason, r.names)}" for reason in r.cannot_vouch] + [""]


def _drift_lines(r: Review) -> list[str]:
    if not r.drift:
        return []
    weak = sum(c.verdict.impact == WEAKENS for c in r.drift)
    lines = ["### Drift found in the tenant (`--refresh`)", "",
             f"{_plural(len(r.drift), 'resource')} changed in the tenant since the last deployment"
             + (f", {weak} of them weakening" if weak else "") + ". This is not the pull request's change: the pull "
             "request is judged on its own steps, from the deployed state; drift it keeps is listed among its changes.", ""]
    for c in r.drift:
        lines += _resource(c, r.names, "####")
    return lines


def to_markdown(r: Review) -> str:
    stack = f"stack `{r.stack}`" if r.stack else "this stack"
    errors = r.errors
    if not r.changes:
        head = (f"**ztb review:** the preview of {stack} failed with {_plural(len(errors), 'error')}; no changes are listed."
                if errors else f"**ztb review:** no changes: the preview of {stack} leaves the tenant as it is.")
        if r.drift and not errors:
            head = f"**ztb review:** no changes of the pull request: `pulumi up` of {stack} leaves the tenant as it is."
        rest = _vouch_lines(r) + _drift_lines(r) + _diagnostic_lines(r)
        if r.notes and (r.cannot_vouch or r.drift):
            rest += ["### Notes", ""] + [f"- {_ids(n, r.names)}" for n in r.notes] + [""]
        return "\n".join([head] + ([""] + rest if rest else [])).rstrip() + "\n"
    weak, total = len(r.weakening), len(r.changes)
    title = (f"## ztb review: {weak} of {_plural(total, 'change')} weaken{'s' if weak == 1 else ''} security" if weak
             else f"## ztb review: {_plural(total, 'change')}, none weakens security")
    n = r.counts
    protects = sum(c.op is Op.PROTECT for c in r.changes)
    lines = [title, "", *_vouch_lines(r),
             f"{stack[0].upper()}{stack[1:]}: {n['create']} to create, {n['update']} to update, {n['replace']} to replace, "
             f"{n['delete']} to delete" + (f", {_plural(protects, 'protection change')}" if protects else "") + "."
             + (" Weakening changes first." if weak else ""), ""]
    if errors:
        lines += [f"**The preview failed with {_plural(len(errors), 'error')}** (see Diagnostics): the list of changes may be incomplete.", ""]
    serious = [c for c in r.changes if c.serious]
    if serious:
        lines += ["**Most serious:** " + "; ".join(f"{_ids(_heading(c), r.names)} is {c.op}d" for c in serious) + ".", ""]
    for c in r.changes:
        lines += _resource(c, r.names)
    lines += _drift_lines(r)
    lines += _diagnostic_lines(r)
    if r.notes:
        lines += ["### Notes", ""] + [f"- {_ids(n, r.names)}" for n in r.notes] + [""]
    return "\n".join(lines).rstrip() + "\n"

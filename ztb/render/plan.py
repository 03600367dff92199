"""How `ztb plan` and `ztb roles` print (table, markdown or JSON), and the escaping every report uses.

Reports carry text the tenant wrote (policy and role names, IDs, values): a name with a newline,
an ESC sequence, a ``|`` or a backtick must never become a heading, a table row, a terminal
command or unparseable XML. Each output format has one escaping function here; formatters pass
every piece of outside text through it and add their own markup afterwards:

- :func:`visible` (text, terminal): control and format characters (C0, DEL, C1, bidi overrides,
  line/paragraph separators, lone surrogates) become visible escapes such as ``\\n`` or ``\\x1b``;
- :func:`md_text` (markdown): :func:`visible`, then Markdown's and HTML's syntax characters are
  backslash-escaped, so a cell is one line of plain text;
- :func:`md_code`: a code span whose fence is longer than any backtick run inside it;
- :func:`xml_text` (JUnit): :func:`visible`, which leaves nothing XML 1.0 forbids except
  U+FFFE/U+FFFF, replaced too.

JSON and SARIF need no escaping beyond :func:`visible` for display strings: ``json.dumps`` escapes
what JSON requires, and lone surrogates (the one thing it would write as invalid UTF-8) are refused
when a snapshot is read and replaced by :func:`visible` here anyway.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from ztb.model.baseline import Baseline
from ztb.model.controls import GUIDANCE_STEPS
from ztb.catalogue.roles import AUTHORITIES, catalogue


def plan_json(b: Baseline) -> str:
    doc = {
        "phase": b.config.phase,
        "level": b.config.level,
        "reportOnly": b.config.reportOnly,
        "scope": [{"name": r.name, "templateId": r.template_id} for r in b.scope],
        "warnings": b.warnings,
        **({"notes": b.notes} if b.notes else {}),
        "controls": [{**c.summary(), **_deployed_through(c)} for c in b.controls],
    }
    return json.dumps(doc, indent=2)


#: How a Conditional Access policy reaches the tenant, where it is not pulumi-azuread.
GRAPH_PROVIDER = "ztb.providers.conditional_access (Graph; pulumi-azuread cannot express riskRemediation)"


def _deployed_through(c) -> dict[str, str]:
    if c.kind != "conditionalAccessPolicy":
        return {}
    return {"deployedThrough": GRAPH_PROVIDER if getattr(c.meta, "via_graph", False) else "pulumi-azuread"}


def _notes(b: Baseline) -> list[str]:
    """Lines under the table: what deploys differently from the rest, and what the tenant must hold."""
    out = [f"{c.id} is deployed through {GRAPH_PROVIDER}; a stack that held it as a pulumi-azuread policy sees a "
           "create of the new resource before the delete of the old one (README: Existing stacks)."
           for c in b.of_kind("conditionalAccessPolicy") if getattr(c.meta, "via_graph", False) and not getattr(c.meta, "context", None)]
    if b.config.galleryApps:
        apps = ", ".join(f"{a.name} (gallery template {a.templateId})" for a in b.config.galleryApps)
        out.append(f"PRIV-CA-08 includes the gallery apps the stack instantiates: {apps}; their client IDs are known after `pulumi up`.")
    return out


def _state(c) -> str:
    if c.kind == "conditionalAccessPolicy":
        return {"enabledForReportingButNotEnforced": "report-only"}.get(c.desired["state"], c.desired["state"])
    if c.kind == "manualCheck":
        return "manual"
    if c.kind == "deviceManagementSettings" and not c.managed:
        return "checked"  # drift checks the tenant setting; the stack writes it only when opted in
    state = "managed" if c.managed else "referenced"
    version = getattr(c.meta, "graph_version", None)
    # Intune objects name the Graph version they are written through (beta only where v1.0 lacks them).
    return f"{state} ({version})" if version and c.managed else state


def _rows(b: Baseline) -> list[list[str]]:
    return [[c.id, c.kind, str(c.step), _state(c), c.display_name, ", ".join(c.crosswalk)] for c in b.controls]


HEAD = ["ID", "KIND", "STEP", "STATE", "DISPLAY NAME", "CROSSWALK"]


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Unicode categories a terminal, a Markdown renderer or an XML parser treats as more than a glyph.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"}
#: Fast path: text made only of these needs no look at each character (U+00AD, soft hyphen, is Cf).
_MAYBE_UNSAFE = re.compile(r"[^\x20-\x7e\u00a0-\u00ac\u00ae-\u02ff]")
#: Characters with inline meaning to GitHub-flavoured Markdown (emphasis, code, links, HTML,
#: tables, strikethrough, entities, headings, mentions, math): each is backslash-escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#@$])")


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def _unsafe(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cn" and ord(ch) > 0xFFFF and ord(ch) < 0xE0000:
        # Outside the BMP, a code point this Python's Unicode tables do not know yet is most
        # likely a newer emoji: kept. U+FFFE/U+FFFF (Cn in the BMP, illegal in XML) are escaped.
        return False
    return category in _UNSAFE_CATEGORIES


def visible(value: Any) -> str:
    """``value`` as one line a terminal shows literally: control and format characters escaped."""
    text = value if isinstance(value, str) else str(value)
    if not _MAYBE_UNSAFE.search(text):
        return text
    return "".join(_escape_char(ch) if _unsafe(ch) else ch for ch in text)


def md_text(value: Any) -> str:
    """Plain text for a Markdown table cell or list item: one line, no markup, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", visible(value))


def md_code(value: Any) -> str:
    """A Markdown code span holding ``value`` literally (one line), whatever backticks it contains."""
    text = visible(value)
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ") and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def xml_text(value: Any) -> str:
    """Text or attribute content that any XML 1.0 parser accepts (ElementTree escapes <, & and quotes)."""
    return visible(value)


def truncate(value: Any, limit: int = 200) -> str:
    """A visible, bounded excerpt of outside text for a one-line error message."""
    text = visible(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def markdown(head: list[str], rows: list[list[str]]) -> str:
    """A GFM table of cells that are already Markdown (escape outside text with :func:`md_text`).

    Only what would break the table itself is handled here: a line break ends the row, an
    unescaped ``|`` starts a new cell.
    """
    esc = lambda v: re.sub(r"(?<!\\)\|", r"\\|", visible(v))  # noqa: E731
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows])


def plan_text(b: Baseline, fmt: str) -> str:
    title = (f"Privileged-access baseline: {len(b.controls)} controls, {len(b.scope)} privileged roles, "
             f"phase {b.config.phase}, level {b.config.level}" + (", report-only" if b.config.reportOnly else ""))
    if fmt == "markdown":
        parts = [f"## {title}", ""] + [f"> Note: {md_text(n)}" for n in b.notes] + ([""] if b.notes else [])
        parts += [markdown(HEAD, _rows(b)), "", "### Guidance steps", ""]
        parts += [f"{n}. {t}" for n, t in GUIDANCE_STEPS.items()]
        manual = b.of_kind("manualCheck")
        if manual:
            parts += ["", "### Manual checks", ""] + [f"- **{c.id}** {c.title}: {c.instructions}" for c in manual]
        notes = _notes(b)
        if notes:
            parts += ["", "### Deployment notes", ""] + [f"- {md_text(n)}" for n in notes]
        return "\n".join(parts)
    notes = [f"Note: {n}" for n in b.notes] + _notes(b)
    return title + "\n\n" + table(HEAD, _rows(b)) + ("\n\n" + "\n".join(notes) if notes else "")


def roles_rows(b: Baseline | None) -> list[dict[str, Any]]:
    covered = {r.template_id for r in b.scope} if b else set()
    known = {r.template_id for r in catalogue()}
    rows = [
        {"name": r.name, "templateId": r.template_id, **r.flags, "covered": r.template_id in covered}
        for r in catalogue()
    ]
    rows += [
        {"name": r.name, "templateId": r.template_id, **{k: False for k in AUTHORITIES}, "covered": True}
        for r in (b.scope if b else []) if r.template_id not in known
    ]
    return rows


def roles_text(rows: list[dict[str, Any]]) -> str:
    yes = lambda v: "yes" if v else "-"  # noqa: E731
    head = ["ROLE", "TEMPLATE ID", "PRIVILEGED", "MS ADMIN 14", "CISA HIGH", "SECOPS", "MS 76C03F19", "MS INCLUDE", "COVERED"]
    body = [[r["name"], r["templateId"], *(yes(r[k]) for k in AUTHORITIES), yes(r["covered"])] for r in rows]
    covered = sum(r["covered"] for r in rows)
    return table(head, body) + f"\n\n{covered} of {len(rows)} roles covered by this stack."

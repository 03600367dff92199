"""How `ztb drift` prints a report: text, markdown, json, JUnit XML (one test case per control)
and SARIF 2.1.0 (one result per finding, ruleId = control ID) for code-scanning dashboards.

Names, IDs and values come from the tenant, so every piece of them is escaped for its format
(:mod:`ztb.render.plan`): a policy named ``"x\n## Approved"`` stays one table cell in markdown, an ESC
sequence reaches the terminal as the text ``\x1b``, a NUL or a form feed cannot make the JUnit
XML unparseable, and JSON and SARIF stay valid JSON (and valid UTF-8) for any input.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from ztb import __version__
from ztb.drift.report import FIXED, Finding, Report
from ztb.render.plan import markdown, md_code, md_text, table, visible, xml_text

STATUS_WORDS = {
    "missing": "missing", "changed": "changed", "notEnforced": "not enforced",
    "unmanaged": "unmanaged", "uncovered": "uncovered",
}
SARIF_LEVEL = {"weakens": "error", "neutral": "warning", "strengthens": "note"}
SARIF_BASELINE = {"new": "new", "persisting": "unchanged", "fixed": "absent"}
INFO_URI = "https://learn.microsoft.com/security/zero-trust/copilots/zero-trust-microsoft-copilot-for-security"


def summary(r: Report) -> str:
    cur = r.current
    if not cur:
        head = "In sync: no drift"
    else:
        by = {i: sum(1 for f in cur if f.impact == i) for i in ("weakens", "neutral", "strengthens")}
        parts = ", ".join(f"{n} {i}" for i, n in by.items() if n)
        head = f"Drift: {len(cur)} finding{'s' if len(cur) != 1 else ''} ({parts})"
    fixed = sum(1 for f in r.findings if f.trend == FIXED)
    tail = f"; {fixed} fixed since the previous run" if fixed else ""
    checked = len(r.controls) - len(r.not_checked)
    return (f"{head}{tail}. {checked} controls compared with tenant {visible(r.tenant_id or '?')} "
            f"(snapshot {visible(r.exported_at or '?')}); {len(r.not_checked)} not checked (manual or not in the snapshot).")


def _status(f: Finding) -> str:
    return visible(STATUS_WORDS.get(f.status, f.status))


def _value(v: Any) -> str:
    """A desired or actual value as JSON: ASCII-only, so every control character is a JSON escape."""
    return json.dumps(v, ensure_ascii=True, default=str)


def _change_line(ch: dict[str, Any]) -> str:
    return f"{visible(ch['path'])}: {_value(ch['desired'])} -> {_value(ch['actual'])} ({visible(ch['impact'])})"


def _audit_rows(r: Report) -> list[list[str]]:
    return [[e["when"], e["who"], e["what"], ", ".join(e["targets"]), e["result"]] for e in r.audit_events]


def text(r: Report) -> str:
    rows = [[visible(f.control_id), _status(f), visible(f.impact), visible(f.trend or ""), visible(f.display_name)] for f in r.findings]
    out = [summary(r)]
    if rows:
        out += ["", table(["CONTROL", "STATUS", "IMPACT", "TREND", "DISPLAY NAME"], rows), ""]
        for f in r.findings:
            out.append(f"{visible(f.control_id)} ({_status(f)}, {visible(f.impact)}): {visible(f.reason)}")
            out += [f"    {_change_line(ch)}" for ch in f.changes]
    if r.audit_since:
        out += ["", f"Role, PIM and Conditional Access changes since {visible(r.audit_since)} (directory audit): {len(r.audit_events)}"]
        if r.audit_events:
            out += [table(["WHEN", "WHO", "WHAT", "TARGETS", "RESULT"], [[visible(c) for c in row] for row in _audit_rows(r)])]
    return "\n".join(out)


def markdown_report(r: Report) -> str:
    out = [f"## ztb drift: {'in sync' if r.in_sync else 'drift found'}", "", md_text(summary(r))]
    if r.findings:
        rows = [[md_code(f.control_id), md_text(STATUS_WORDS.get(f.status, f.status)),
                 f"**{md_text(f.impact)}**" if f.impact == "weakens" else md_text(f.impact),
                 md_text(f.trend or ""), md_text(f.display_name), md_text(f.reason)] for f in r.findings]
        out += ["", markdown(["control", "status", "impact", "trend", "display name", "why"], rows)]
        detailed = [f for f in r.findings if f.changes]
        if detailed:
            out += ["", "### Changes", ""]
            for f in detailed:
                out.append(f"- **{md_text(f.control_id)}**")
                out += [f"  - {md_code(ch['path'])}: {md_code(_value(ch['desired']))} → {md_code(_value(ch['actual']))} ({md_text(ch['impact'])})"
                        for ch in f.changes]
    if r.audit_since:
        out += ["", f"### Who changed what since {md_text(r.audit_since)}", ""]
        out += [markdown(["when", "who", "what", "targets", "result"], [[md_text(c) for c in row] for row in _audit_rows(r)])
                if r.audit_events else "No role, PIM or Conditional Access changes in the directory audit."]
    return "\n".join(out)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> str:
    """JSON text that encodes as UTF-8: a lone surrogate (refused in snapshots anyway) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def json_report(r: Report) -> str:
    return _utf8(json.dumps(r.as_dict(), indent=2, ensure_ascii=False))


def _message(f: Finding) -> str:
    lines = [f"{_status(f)} ({visible(f.impact)}): {visible(f.reason)}"]
    return "\n".join(lines + [_change_line(ch) for ch in f.changes])


def junit(r: Report) -> str:
    by_id: dict[str, list[Finding]] = {}
    for f in r.current:
        by_id.setdefault(f.control_id, []).append(f)
    cases: list[tuple[str, str, list[Finding], str]] = [
        (c.id, c.display_name, by_id.pop(c.id, []), r.not_checked.get(c.id, "")) for c in r.controls
    ]
    cases += [(cid, fs[0].display_name, fs, "") for cid, fs in by_id.items()]  # unmanaged, uncovered
    suite = ET.Element("testsuite", name="ztb drift", tests=str(len(cases)),
                       failures=str(sum(1 for c in cases if c[2])), skipped=str(sum(1 for c in cases if c[3] and not c[2])),
                       errors="0", timestamp=xml_text(r.exported_at or ""))
    for cid, name, fs, skip in cases:
        case = ET.SubElement(suite, "testcase", classname="ztb.drift", name=xml_text(f"{cid} {name}" if name else cid))
        for f in fs:
            fail = ET.SubElement(case, "failure", type=xml_text(f.status), message=f"{_status(f)} ({xml_text(f.impact)})")
            fail.text = _message(f)  # every piece already passed visible(): nothing XML 1.0 forbids is left
        if skip and not fs:
            ET.SubElement(case, "skipped", message=xml_text(skip)[:200])
    root = ET.Element("testsuites", name="ztb drift")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def sarif(r: Report, config_path: str | None = None) -> str:
    controls = {c.id: c for c in r.controls}
    rules, seen = [], set()
    results = []
    for f in r.findings:
        if f.control_id not in seen:
            seen.add(f.control_id)
            c = controls.get(f.control_id)
            rule = {"id": f.control_id, "name": f.control_id.replace("-", ""),
                    "shortDescription": {"text": visible(c.title if c else STATUS_WORDS.get(f.status, f.status) + ": " + f.display_name)}}
            if c:
                rule["fullDescription"] = {"text": c.rationale}
                rule["properties"] = {"kind": c.kind, "step": c.step, "principle": c.principle, "source": c.source}
            rules.append(rule)
        result: dict[str, Any] = {
            "ruleId": f.control_id,
            "ruleIndex": next(i for i, x in enumerate(rules) if x["id"] == f.control_id),
            "level": "none" if f.trend == FIXED else SARIF_LEVEL.get(f.impact, "warning"),
            "message": {"text": _message(f)},
            "locations": [_location(f, config_path)],
            "partialFingerprints": {"ztbFinding/v1": f"{f.control_id}:{f.status}"},
            "properties": {"status": f.status, "impact": f.impact, "objectId": f.object_id, "changes": f.changes},
        }
        if f.trend:
            result["baselineState"] = SARIF_BASELINE[f.trend]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ztb", "version": __version__, "informationUri": INFO_URI, "rules": rules}},
            "results": results,
            "properties": {"inSync": r.in_sync, "tenantId": r.tenant_id, "exportedAt": r.exported_at},
        }],
    }
    return _utf8(json.dumps(doc, indent=2, ensure_ascii=False))


def _location(f: Finding, config_path: str | None) -> dict[str, Any]:
    loc: dict[str, Any] = {"logicalLocations": [{"name": visible(f.display_name or f.control_id), "kind": "resource",
                                                "fullyQualifiedName": f"{f.kind}/{f.object_id or f.control_id}"}]}
    if config_path:
        # Code-scanning dashboards need a file: the stack config that declares the control.
        loc["physicalLocation"] = {"artifactLocation": {"uri": config_path}, "region": {"startLine": 1}}
    return loc


def render(r: Report, fmt: str, config_path: str | None = None) -> str:
    if fmt == "json":
        return json_report(r)
    if fmt == "markdown":
        return markdown_report(r)
    if fmt == "junit":
        return junit(r)
    if fmt == "sarif":
        return sarif(r, config_path)
    return text(r)

"""Readiness as one self-contained HTML file: no script, no font, no request of any kind.

The checklist is a table per phase (evaluate, pilot, full; the assessed phase marked), the
break-glass accounts a table of their own, and the report-only outcomes per baseline policy an
inline SVG bar chart. A Content-Security-Policy of ``default-src 'none'`` (styles inline only)
makes the "no network" promise checkable by the browser itself. Every tenant string is escaped
with :func:`html.escape`.
"""

from __future__ import annotations

from html import escape

from ztb.readiness.verdicts import REPORT_ONLY_RESULTS, Person, Readiness

COLOURS = {"reportOnlyFailure": "#c62828", "reportOnlyInterrupted": "#ef6c00", "reportOnlySuccess": "#2e7d32", "reportOnlyNotApplied": "#9e9e9e"}
STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0;width:100%}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}th{background:#f3f3f3}
.ready{background:#e8f5e9}.blocked{background:#ffebee}.unknown{background:#fff8e1}.note{color:#555}"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _check_cell(p: Person, name: str) -> str:
    c = next((c for c in p.checks if c.name.value == name), None)
    return f'<td class="{c.status.value}">{_e(c.status.value)}: {_e(c.reason)}</td>' if c else "<td></td>"


def _table(people: list[Person], phase: str) -> str:
    head = ("<tr><th>person</th><th>verdict</th><th>fix</th><th>phishing-resistant method</th><th>compliant device</th>"
            "<th>report-only outcomes</th><th>roles</th><th>account</th></tr>")
    rows = []
    for p in people:
        account = "" if p.synced is None else ("synced from on-premises" if p.synced else "cloud-only")
        rows.append(f'<tr data-person="{_e(p.upn)}" data-verdict="{p.verdict.value}"><td>{_e(p.upn)}<br><span class="note">'
                    f'{_e(p.display_name)}</span></td><td class="{p.verdict.value}">{_e(p.summary())}</td><td>{_e("; ".join(p.fixes()))}</td>'
                    f'{_check_cell(p, "phishing-resistant method")}{_check_cell(p, "compliant device")}{_check_cell(p, "report-only outcomes")}'
                    f'<td>{_e("; ".join(p.access))}</td><td>{_e(account)}</td></tr>')
    return f'<table class="checklist" data-phase="{_e(phase)}">{head}{"".join(rows)}</table>'


def _chart(r: Readiness) -> str:
    """Horizontal stacked bars, one per baseline policy, of its report-only results."""
    if not r.outcomes:
        return "<p>No baseline policy was found in the tenant, so no report-only outcomes.</p>"
    width, bar, gap, label = 520, 22, 10, 130
    top = max((sum(o.counts.values()) for o in r.outcomes), default=0) or 1
    height = (bar + gap) * len(r.outcomes) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Report-only outcomes per policy" width="{label + width + 60}" '
             f'height="{height}" id="outcomes-chart">']
    for n, o in enumerate(r.outcomes):
        y = n * (bar + gap)
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{_e(o.control_id)}</text>')
        x = float(label)
        for result in REPORT_ONLY_RESULTS:
            count = o.counts[result]
            if count:
                w = width * count / top
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS[result]}" data-policy="{_e(o.control_id)}" '
                             f'data-result="{result}" data-count="{count}"><title>{_e(o.control_id)} {result}: {count}</title></rect>')
                x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="12">{sum(o.counts.values())}</text>')
    legend_y = (bar + gap) * len(r.outcomes) + 20
    for n, result in enumerate(REPORT_ONLY_RESULTS):
        parts.append(f'<rect x="{label + n * 140}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS[result]}"></rect>'
                     f'<text x="{label + n * 140 + 16}" y="{legend_y}" font-size="12">{result}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html(r: Readiness) -> str:
    from ztb.readiness.render import headline

    sections = []
    for phase, ids in r.phases.items():
        marker = " (assessed)" if phase == r.phase else ""
        body = _table(r.enforced_on(phase), phase) if ids else f'<p data-phase="{_e(phase)}">Nobody is in this phase\'s scope.</p>'
        sections.append(f"<h2>Phase {_e(phase)}{marker}: {len(ids)} people</h2>{body}")
    missing = "".join(f'<li class="unknown">could not read: {_e(line)}</li>' for line in r.could_not_read)
    bg_rows = "".join(f'<tr data-person="{_e(p.upn)}" data-verdict="{p.verdict.value}"><td>{_e(p.upn)}</td><td class="{p.verdict.value}">'
                      f'{_e(p.summary())}</td><td>{"<br>".join(_e(f"{c.name.value}: {c.status.value}: {c.reason}") for c in p.checks)}</td></tr>'
                      for p in r.break_glass)
    standing = "".join(f"<li><b>{_e(f['controlId'])}</b> ({_e(f['impact'])}): {_e(f['displayName'])}: {_e(f['reason'])}</li>" for f in r.standing)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>ztb readiness: phase {_e(r.phase)}</title><style>{STYLE}</style></head><body>"
        f'<h1 id="outcome" data-outcome="{r.outcome.value}">ztb readiness: phase {_e(r.phase)}: {_e(r.outcome.value)}</h1>'
        f'<p id="headline">{_e(headline(r))}</p>' + (f"<ul>{missing}</ul>" if missing else "") + "".join(sections)
        + f'<h2>Break-glass accounts</h2><table id="break-glass"><tr><th>account</th><th>verdict</th><th>checks</th></tr>{bg_rows}</table>'
        + f"<h2>Report-only outcomes per policy (sign-ins since {_e(r.window_start)})</h2>{_chart(r)}"
        + (f"<h2>Standing access</h2><ul>{standing}</ul>" if standing else "")
        + "</body></html>"
    )

"""The HTML report, opened in a real headless Chromium: one self-contained file that shows the checklist."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.doubles.graph import graph, graph_server  # noqa: F401  (fixtures)
from tests.readiness.browser import browser
from tests.readiness.tenant import NO_METHOD, PHONE_ONLY, report_only_stack, sample_tenant
from ztb.cli.readiness import command

READ_PAGE = """
const tables = {};
for (const t of document.querySelectorAll('table.checklist')) {
  tables[t.dataset.phase] = [...t.querySelectorAll('tr[data-person]')].map(r => [r.dataset.person, r.dataset.verdict, r.cells[1].innerText]);
}
const bars = [...document.querySelectorAll('#outcomes-chart rect[data-policy]')].map(r => {
  const box = r.getBoundingClientRect();
  return [r.dataset.policy, r.dataset.result, Number(r.dataset.count), box.width];
});
return {
  title: document.title,
  outcome: document.querySelector('#outcome').innerText,
  text: document.body.innerText,
  tables: tables,
  phases: [...document.querySelectorAll('h2')].map(h => h.innerText),
  breakGlass: [...document.querySelectorAll('#break-glass tr[data-person]')].map(r => [r.dataset.person, r.dataset.verdict]),
  bars: bars,
  resources: performance.getEntriesByType('resource').length,
  scripts: document.scripts.length,
};
"""


@pytest.fixture
def report(graph, tmp_path):
    config = report_only_stack(tmp_path)
    t = sample_tenant(graph, config)
    t.registration[NO_METHOD]["methodsRegistered"] = ["mobilePhone"]
    t.devices = [d for d in t.devices if d["userId"] != PHONE_ONLY]
    t.device(PHONE_ONLY, "Android", "noncompliant", "<b>Pixel</b>")
    t.sign_in(PHONE_ONLY, [(t.policy_id("PRIV-CA-03"), t.policy_name("PRIV-CA-03"), "reportOnlyFailure")])
    t.sign_in(NO_METHOD, [(t.policy_id("PRIV-CA-01"), t.policy_name("PRIV-CA-01"), "reportOnlyInterrupted")])
    out = tmp_path / "readiness.html"
    result = CliRunner().invoke(command, ["--config", str(config), "--format", "html", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    return out


def test_html_opens_in_chromium_and_shows_the_checklist_per_phase(report):
    html = report.read_text()
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html.replace("https://aka.ms/mysecurityinfo", "")
    with browser() as page:
        page.open(report.as_uri())
        shown = page.run(READ_PAGE)
    assert shown["title"] == "ztb readiness: phase full"
    assert shown["outcome"].endswith("blocked")
    assert [h for h in shown["phases"] if h.startswith("Phase")] == [
        "Phase evaluate: 0 people", "Phase pilot: 0 people", "Phase full (assessed): 4 people"]
    full = shown["tables"]["full"]
    assert [row[1] for row in full] == ["blocked", "blocked", "ready", "ready"]
    rows = {row[0]: row[2] for row in full}
    assert rows["nomethod@contoso.com"].startswith("would be blocked by PRIV-CA-01")
    assert "non-compliant android device '<b>Pixel</b>'" in rows["phone@contoso.com"]  # shown as text, not markup
    assert [v for _, v in shown["breakGlass"]] == ["ready", "ready"]
    # The chart: one bar segment per non-zero outcome, drawn with a width.
    bars = {(p, r): (n, w) for p, r, n, w in shown["bars"]}
    assert bars[("PRIV-CA-03", "reportOnlyFailure")][0] == 1 and bars[("PRIV-CA-03", "reportOnlyFailure")][1] > 0
    assert bars[("PRIV-CA-01", "reportOnlyInterrupted")][0] == 1
    assert "Report-only outcomes per policy" in shown["text"]
    # Self-contained: nothing was fetched, nothing runs.
    assert shown["resources"] == 0 and shown["scripts"] == 0


def test_html_of_an_unreadable_source_says_so_in_the_browser(graph, tmp_path):
    config = report_only_stack(tmp_path)
    sample_tenant(graph, config)
    graph.fail("GET", r"/auditLogs/signIns", 403, times=100)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(command, ["--config", str(config), "--format", "html", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 1
    with browser() as page:
        page.open(out.as_uri())
        shown = page.run(READ_PAGE)
    assert shown["outcome"].endswith("unknown")
    assert "could not read: sign-in logs could not be read" in shown["text"] and "AuditLog.Read.All" in shown["text"]
    assert json.dumps(shown["tables"]).count('"unknown"') == 4

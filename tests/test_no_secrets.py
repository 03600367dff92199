"""Issue 11 §5: a token never appears in any output, whatever fails.

A random token (a JWT-shaped one with a random signature, and an opaque one) is used for every
failure we can provoke through `ztb export` and `ztb drift` against the Graph double; stdout,
stderr, every file written and every log record are searched for the token and for each of its
substrings of 12 characters. Malformed tokens are refused before anything is sent, in one line
that does not show them; credentials in `--graph-url` are never echoed.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug import Response

from tests.conftest import REPO, SAMPLE_STACK
from tests.doubles.tenant import serve
from tests.doubles.graph import access_token, graph, graph_error, graph_server, other_host, other_server  # noqa: F401
from tests.drift.test_detect import IDEAL
from tests.cli.test_drift import assert_one_error_line
from ztb.cli.drift import command as drift_command
from ztb.cli.export import command as export_command
from ztb.graph.redact import MIN_SHARED, redact

STACK_TENANT = IDEAL["tenantId"]
CA = "^/identity/conditionalAccess/policies"
MANY = 1000  # a fault that answers every run of the scenario


def leaked(text: str, secret: str) -> str | None:
    """The secret, or its first substring of MIN_SHARED characters, if ``text`` contains it."""
    if secret in text:
        return secret
    return next((secret[i:i + MIN_SHARED] for i in range(len(secret) - MIN_SHARED + 1) if secret[i:i + MIN_SHARED] in text), None)


class Outputs:
    """Everything a run can emit: stdout, stderr, written files, log records (any level)."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.records: list[str] = []

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def files(self, folder: Path) -> None:
        for path in folder.rglob("*"):
            if path.is_file():
                self.add(str(path), path.read_bytes().decode("utf-8", "replace"))

    def assert_clean(self, secret: str) -> None:
        everything = "\x00".join([t for _, t in self.texts] + self.records)
        if leaked(everything, secret) is None:  # one scan; name the culprit only on a find
            return
        for where, text in self.texts + [("log", r) for r in self.records]:
            found = leaked(text, secret)
            assert found is None, f"{where} leaks {found!r}"


@pytest.fixture
def outputs():
    """Capture every log record (DEBUG and up, any logger), formatted as a handler would print it."""
    out = Outputs()

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            out.records.append(self.format(record))

    handler = Capture(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def run_all(tmp_path: Path, out: Outputs, expect: set[int] = frozenset({1})) -> None:
    """export --out and drift --out (json): stdout, stderr and the files kept (a report to stdout
    is the same text as the file; the successful-run test covers stdout too)."""
    runs = [
        (export_command, ["--out", str(tmp_path / "snapshot.json")]),
        (drift_command, ["--format", "json", "--out", str(tmp_path / "drift.json")]),
    ]
    for command, args in runs:
        result = CliRunner().invoke(command, ["--config", str(SAMPLE_STACK), *args], catch_exceptions=False)
        out.add(f"{command.name} stdout", result.stdout)
        out.add(f"{command.name} stderr", result.stderr)
        assert result.exit_code in expect, (args, result.exit_code, result.stderr)
        if result.exit_code == 1:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    out.files(tmp_path)


# --------------------------------------------------------------------------- every failure we can provoke


def echo_html(graph, token):
    def respond(req):
        return Response(f"<html><body>Bad gateway for {req.headers.get('Authorization')}</body></html>", status=502, content_type="text/html")
    graph.fail("GET", CA, 502, respond=respond, times=MANY)


def echo_invalid_json(graph, token):
    def respond(req):
        return Response(f'{{"value": [{{"id": "{req.headers.get("Authorization")}"', status=200, content_type="application/json")
    graph.fail("GET", CA, 200, respond=respond, times=MANY)


SCENARIOS = {
    "401 echoing the Authorization header": lambda graph, token, other: graph.echo_authorization(CA, 401, times=MANY),
    "401 echo inside a $batch sub-response": lambda graph, token, other: graph.echo_authorization("/members", 401, times=MANY),
    "403 echoing the header": lambda graph, token, other: graph.echo_authorization("^/policies/roleManagementPolicies", 403, times=MANY),
    "429 echoing the header past the retries": lambda graph, token, other: graph.echo_authorization(CA, 429, times=MANY),
    "502 HTML page quoting the header": lambda graph, token, other: echo_html(graph, token),
    "200 body that is not JSON, quoting the header": lambda graph, token, other: echo_invalid_json(graph, token),
    "error code and message made of the token": lambda graph, token, other: graph.fail(
        "GET", CA, 400, {"error": {"code": token, "message": f"bad {token[5:40]} and {token[-30:]}", "innerError": {"request-id": token}}},
        times=MANY),
    "redirect to another host with the token in the Location": lambda graph, token, other: graph.redirect(
        CA, f"{other.root}/v1.0/stolen?access_token={token}", times=MANY),
    "nextLink to another host with the token": lambda graph, token, other: graph.fail(
        "GET", CA, 200, {"value": [], "@odata.nextLink": f"https://evil.example/{token}"}, times=MANY),
    "an item that is the token": lambda graph, token, other: graph.fail("GET", CA, 200, {"value": [token]}, times=MANY),
    "an item whose id repeats": lambda graph, token, other: graph.fail("GET", CA, 200, {"value": [{"id": token}, {"id": token}]}, times=MANY),
    "a token of another tenant": None,  # the token itself names another tenant (see below)
    "no tenant evidence": lambda graph, token, other: setattr(graph, "organization_id", None) or graph.fail(
        "GET", "^/policies/roleManagementPolicies", 200, {"value": []}, times=MANY),
    "endless nextLinks": lambda graph, token, other: graph.endless_next_links(CA),
}


#: An opaque token (not a JWT: no shape to recognise) through the scenarios that echo it.
ECHOING = [n for n in SCENARIOS if "echo" in n or "made of the token" in n]


@pytest.mark.parametrize("name, kind", [(n, "jwt") for n in SCENARIOS] + [(n, "opaque") for n in ECHOING])
def test_no_failure_prints_or_writes_the_token(graph, other_host, tmp_path, outputs, monkeypatch, name, kind):
    tid = {"a token of another tenant": "f00dcafe-0000-4000-8000-00000000beef", "no tenant evidence": None}.get(name, STACK_TENANT)
    token = access_token(tid)
    if kind == "opaque":
        token = secrets.token_urlsafe(96)
    serve(graph, copy.deepcopy(IDEAL))
    monkeypatch.setenv("ZTB_GRAPH_MAX_PAGES", "5")
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", token)
    if SCENARIOS[name]:
        SCENARIOS[name](graph, token, other_host)
    run_all(tmp_path, outputs)
    outputs.assert_clean(token)
    assert other_host.requests == []


def test_a_successful_export_and_drift_write_no_token(graph, tmp_path, outputs, monkeypatch):
    token = access_token(STACK_TENANT)
    snap = copy.deepcopy(IDEAL)
    snap["conditionalAccessPolicies"][0]["state"] = "disabled"
    serve(graph, snap)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", token)
    run_all(tmp_path, outputs, expect={0, 2})
    assert (tmp_path / "snapshot.json").exists() and (tmp_path / "drift.json").exists()
    for fmt in ("text", "markdown", "junit", "sarif"):
        result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK), "--format", fmt], catch_exceptions=False)
        assert result.exit_code == 2
        outputs.add(f"drift {fmt} stdout", result.stdout)
        outputs.add(f"drift {fmt} stderr", result.stderr)
    outputs.assert_clean(token)


def test_a_slow_answer_past_the_deadline_prints_no_token(graph, tmp_path, outputs, monkeypatch):
    token = access_token(STACK_TENANT)
    serve(graph, copy.deepcopy(IDEAL))
    graph.trickle(CA, interval=0.2, times=MANY, padding=8)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", token)
    monkeypatch.setenv("ZTB_GRAPH_TIMEOUT", "0.5")
    result = CliRunner().invoke(drift_command, ["--config", str(SAMPLE_STACK)], catch_exceptions=False)
    assert_one_error_line(result, "Timeout")
    outputs.add("stderr", result.stderr)
    outputs.assert_clean(token)


def test_the_cli_process_prints_no_token_on_a_401_that_echoes_it(graph, tmp_path):
    """The real process: its own stderr, logging's last-resort handler, no CliRunner in between."""
    token = access_token(STACK_TENANT)
    serve(graph, copy.deepcopy(IDEAL))
    graph.echo_authorization(CA, 401, times=MANY)
    env = {**os.environ, "ZTB_ACCESS_TOKEN": token, "ZTB_GRAPH_URL": graph.root}
    code = "import sys; from ztb.cli import main; sys.argv[0] = 'ztb'; main()"
    for args in (["export", "--out", str(tmp_path / "s.json")], ["drift", "--format", "sarif"]):
        proc = subprocess.run([sys.executable, "-c", code, *args, "--config", str(SAMPLE_STACK)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "HTTP 401" in proc.stderr and "sign in again" in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
        assert leaked(proc.stdout + proc.stderr, token) is None
    assert not (tmp_path / "s.json").exists()


# --------------------------------------------------------------------------- malformed tokens are never sent

BAD_TOKENS = {
    "a line break": "{a}\n{b}", "a carriage return": "{a}\r\nAuthorization: x{b}",
    "a bell": "{a}\x07{b}", "DEL": "{a}\x7f{b}", "a space": "{a} {b}", "a tab": "{a}\t{b}",
    "a non-ASCII letter": "{a}\u00e9{b}", "a line separator": "{a}\u2028{b}", "a C1 control": "{a}\x85{b}",
    "too long": "{a}" * 700, "only whitespace": "   \t ", "empty": "",
}


@pytest.mark.parametrize("problem", list(BAD_TOKENS))
def test_a_malformed_token_is_refused_before_sending_in_one_line_without_it(graph, tmp_path, outputs, monkeypatch, problem):
    a, b = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    token = BAD_TOKENS[problem].format(a=a, b=b)
    serve(graph, copy.deepcopy(IDEAL))
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", token)
    run_all(tmp_path, outputs)
    assert graph.requests == []  # nothing was sent
    stderr = outputs.texts[1][1]
    assert "ZTB_ACCESS_TOKEN" in stderr and any(w in stderr for w in ("malformed", "is empty", "longer than")), stderr
    outputs.assert_clean(a)
    outputs.assert_clean(b)


@pytest.mark.parametrize("bad", ["\n", "\x00", "\x1b[2J", " ", "\u00a0"])
def test_a_malformed_token_from_the_sign_in_library_is_refused_before_sending(graph, tmp_path, outputs, monkeypatch, bad):
    from azure.core.credentials import AccessToken

    a, b = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    token = f"{a}{bad}{b}"

    class Credential:
        def get_token(self, *scopes, **kwargs):
            return AccessToken(token, 2**31)

    serve(graph, copy.deepcopy(IDEAL))
    monkeypatch.delenv("ZTB_ACCESS_TOKEN")
    monkeypatch.setattr("ztb.graph.client.credential_from_env", lambda: Credential())
    run_all(tmp_path, outputs)
    assert graph.requests == []
    assert "MalformedToken" in outputs.texts[1][1] and "the access token from Credential is malformed" in outputs.texts[1][1]
    outputs.assert_clean(a)
    outputs.assert_clean(b)


# --------------------------------------------------------------------------- credentials in the Graph URL


@pytest.mark.parametrize("form", ["https://{u}:{p}@graph.microsoft.com", "https://{u}:{p}@graph.microsoft.com/v1.0/",
                                  "http://{u}:{p}@127.0.0.1:9", "{u}:{p}@graph.microsoft.com", "https://{p}@graph.microsoft.com",
                                  "https://{u}:{p}@graph.microsoft.com:notaport"])
@pytest.mark.parametrize("via", ["option", "environment"])
def test_credentials_in_the_graph_url_are_never_echoed(graph, tmp_path, outputs, monkeypatch, form, via):
    user, password = "admin-" + secrets.token_hex(8), secrets.token_urlsafe(24)
    url = form.format(u=user, p=password)
    serve(graph, copy.deepcopy(IDEAL))
    args = ["--graph-url", url] if via == "option" else []
    if via == "environment":
        monkeypatch.setenv("ZTB_GRAPH_URL", url)
    for command, extra in ((export_command, ["--out", str(tmp_path / "s.json")]), (drift_command, [])):
        result = CliRunner().invoke(command, ["--config", str(SAMPLE_STACK), *extra, *args], catch_exceptions=False)
        assert_one_error_line(result, "credentials")
        outputs.add("stderr", result.stderr)
    outputs.files(tmp_path)
    outputs.assert_clean(password)
    assert graph.requests == []


# --------------------------------------------------------------------------- the redaction itself


def test_redact_removes_known_tokens_runs_of_them_and_credential_shapes():
    from ztb.graph.redact import remember

    token = secrets.token_urlsafe(64)
    remember(token)
    for text in (token, f"x{token}y", f"b'Bearer {token[:20]}\\n{token[20:]}'", token[10:30], token[::-1][:5] + token[3:15]):
        assert leaked(redact(text), token) is None, text
    assert redact("Authorization: Bearer abc.def-ghi") == "Authorization: <redacted>"
    assert redact('{"authorization": "xyz123"}') == '{"authorization": "<redacted>"}'
    assert redact("see https://bob:hunter2@graph.example/v1.0") == "see https://<redacted>@graph.example/v1.0"
    assert "eyJ" not in redact("token eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.")
    # Data keeps its words: only known secrets are removed from what ztb writes.
    assert redact("Block Bearer tokens for authorization: all", shapes=False) == "Block Bearer tokens for authorization: all"
    assert redact(f"policy {token}", shapes=False) == "policy <redacted>"
    assert redact(json.dumps({"short": token[:MIN_SHARED - 1]}), shapes=False) == json.dumps({"short": token[:MIN_SHARED - 1]})

"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven over WebDriver.

No Selenium: a few W3C WebDriver calls over HTTP to ``chromedriver`` are all the HTML test needs
(open a file, run a script that reads what the page shows). When CI is set (``CI=true``) a missing
browser fails the test, since `.ci/run` installs it; elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from typing import Any, Iterator

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
        if path:
            return path
    return None


def require_browser() -> tuple[str, str]:
    chromium, driver = _find("chromium", "chromium-browser"), _find("chromedriver")
    if chromium and driver:
        return chromium, driver
    missing = "chromium" if not chromium else "chromedriver (chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{missing} is not installed, and CI=true: .ci/run installs chromium and chromium-driver before the tests")
    pytest.skip(f"{missing} is not installed (apt-get install -y chromium chromium-driver); the HTML report is checked in a real browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")["value"]


@contextmanager
def browser() -> Iterator["Page"]:
    chromium, driver = require_browser()
    port = _free_port()
    proc = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    profile = tempfile.mkdtemp(prefix="ztb-chromium-")
    session = None
    try:
        for _ in range(100):
            try:
                _call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium, "args": CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]}}}}
        session = _call(base, "POST", "/session", caps)["sessionId"]
        yield Page(base, session)
    finally:
        if session:
            try:
                _call(base, "DELETE", f"/session/{session}")
            except OSError:
                pass
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    def __init__(self, base: str, session: str) -> None:
        self.base, self.session = base, session

    def open(self, url: str) -> None:
        _call(self.base, "POST", f"/session/{self.session}/url", {"url": url})

    def run(self, script: str) -> Any:
        """``script`` (a function body; ``return`` its answer) in the page."""
        return _call(self.base, "POST", f"/session/{self.session}/execute/sync", {"script": script, "args": []})

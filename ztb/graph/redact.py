"""Keep secrets out of every line ztb prints, logs or writes.

Two layers, because neither alone is enough:

- **Known secrets.** Every access token the Graph client hands to the HTTP stack is remembered
  (:func:`remember`, process-wide, in memory only). :func:`redact` removes each one, and also
  any run of 12 or more characters it shares with one, so a server that echoes a truncated or
  re-encoded token (``b'Bearer abc\\n...'``) does not leak the rest of it.
- **Shapes.** Whatever the source, ``Bearer <credential>``, ``Authorization: ...`` values, JWTs
  (``eyJ...``) and ``user:password@`` in URLs are replaced too, so a token ztb never saw (one an
  error body quotes from elsewhere) is not printed either.

Importing this module pulls in nothing from the SDK (the CLI's error path uses it).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterable, Iterator

REDACTED = "<redacted>"
#: A shared run this long with a known secret is redacted (the leak tests search for it, too).
MIN_SHARED = 12
_CHUNK = MIN_SHARED // 2

_SHAPES = [
    # Authorization header values, quoted or not: everything up to the end of the value.
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+)?[^\s\"',;}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;}]+"), r"\1" + REDACTED),
    # JWS/JWE compact serialisations: a base64url JSON header ("eyJ") and at least one more part.
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_.-]*"), REDACTED),
    # user:password@ (or user@) in a URL.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@"), r"\1" + REDACTED + "@"),
]

#: The most recent secrets are kept (a process sees one token, or a few as they are refreshed).
KEEP = 16
_lock = threading.Lock()
_known: "OrderedDict[str, None]" = OrderedDict()


def remember(secret: str) -> None:
    """Redact ``secret`` (and long runs of it) from every later :func:`redact` in this process."""
    if secret and len(secret) >= MIN_SHARED:
        with _lock:
            _known[secret] = None
            _known.move_to_end(secret)
            while len(_known) > KEEP:
                _known.popitem(last=False)


def known() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


_index_lock = threading.Lock()
_index: tuple[frozenset[str], dict[str, list[tuple[str, int]]]] = (frozenset(), {})


def _grams(secrets: frozenset[str]) -> dict[str, list[tuple[str, int]]]:
    """Every _CHUNK-character substring of the secrets -> where it occurs (cached per secret set)."""
    global _index
    with _index_lock:
        if _index[0] == secrets:
            return _index[1]
    grams: dict[str, list[tuple[str, int]]] = {}
    for secret in secrets:
        for off in range(len(secret) - _CHUNK + 1):
            grams.setdefault(secret[off:off + _CHUNK], []).append((secret, off))
    with _index_lock:
        _index = (secrets, grams)
    return grams


def _shared_spans(text: str, secrets: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` that share at least MIN_SHARED consecutive characters with a secret.

    Any such run covers a text position that is a multiple of _CHUNK followed by _CHUNK characters
    of the run (MIN_SHARED is 2 * _CHUNK), and those characters occur in the secret: so look up
    every _CHUNK-th slice of the text (linear, about 0.1 s per 10 MB) and grow each hit both ways.
    """
    grams = _grams(secrets)
    if not grams:
        return []
    spans = []
    hits = [i for i in range(0, len(text) - _CHUNK + 1, _CHUNK) if text[i:i + _CHUNK] in grams]
    for start in hits:
        for secret, off in grams[text[start:start + _CHUNK]]:
            left = 0
            while start - left > 0 and off - left > 0 and text[start - left - 1] == secret[off - left - 1]:
                left += 1
            right = _CHUNK
            while start + right < len(text) and off + right < len(secret) and text[start + right] == secret[off + right]:
                right += 1
            if left + right >= MIN_SHARED:
                spans.append((start - left, start + right))
    return spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def redact(text: str, secrets: Iterable[str] = (), shapes: bool = True) -> str:
    """``text`` without known secrets and runs of them; with ``shapes``, also without bearer
    credentials, JWTs and URL passwords of any origin.

    Messages and logs use both. Data ztb writes (snapshots, reports) uses ``shapes=False``: a
    policy named "Block bearer tokens" is the tenant's data, and rewriting it would be drift.
    """
    if not text:
        return text
    candidates = known() | {s for s in secrets if s and len(s) >= MIN_SHARED}
    spans = _shared_spans(text, candidates)
    if spans:
        parts, last = [], 0
        for a, b in _merge(spans):
            parts += [text[last:a], REDACTED]
            last = b
        parts.append(text[last:])
        text = "".join(parts)
    if shapes:
        for pattern, repl in _SHAPES:
            text = pattern.sub(repl, text)
    return text


def safe_url(url: str) -> str:
    """A URL fit for a message: any ``user:password@`` replaced, whatever the scheme (or none)."""
    return re.sub(r"^([^/@]*//)?[^/@]*@", lambda m: (m.group(1) or "") + REDACTED + "@", url.strip())


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through :func:`redact` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format: drop the args, keep the text
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


@contextmanager
def redacted_logs() -> Iterator[None]:
    """While active, every handler of the root logger (and logging's last resort) redacts."""
    f = RedactingFilter()
    handlers = list(logging.getLogger().handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for h in handlers:
        h.addFilter(f)
    try:
        yield
    finally:
        for h in handlers:
            h.removeFilter(f)


__all__ = ["REDACTED", "MIN_SHARED", "RedactingFilter", "redact", "redacted_logs", "remember", "safe_url"]

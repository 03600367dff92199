"""Where ztb's Graph calls go, how long a read may take, and who signs them: read from the environment.

``ZTB_GRAPH_URL`` (national clouds, a local double), ``ZTB_GRAPH_TIMEOUT`` / ``ZTB_GRAPH_MAX_PAGES``
(the bounds of one read) and ``ZTB_ACCESS_TOKEN`` (a pipeline's token), each checked when read so
a wrong value is one line naming the variable, never a request sent somewhere unintended.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

from ztb.graph.redact import safe_url
from ztb.graph.token import ENV_ACCESS_TOKEN, StaticTokenCredential

V1 = "v1.0"
BETA = "beta"
VERSIONS = (V1, BETA)
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
ENV_GRAPH_URL = "ZTB_GRAPH_URL"
ENV_TIMEOUT = "ZTB_GRAPH_TIMEOUT"
ENV_MAX_PAGES = "ZTB_GRAPH_MAX_PAGES"
DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_PAGES = 1000
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def resolve_graph_url(graph_url: Optional[str] = None) -> str:
    """The Graph root (scheme and host, no version): ``--graph-url``, else ``ZTB_GRAPH_URL``.

    National clouds use their own root (https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn);
    tests point it at a local double. Plain http is refused except for localhost, as kiota does.
    Messages never repeat credentials a URL carries (``user:password@``).
    """
    raw = (graph_url or os.environ.get(ENV_GRAPH_URL) or DEFAULT_GRAPH_URL).strip().rstrip("/")
    shown = safe_url(raw)
    if _has_userinfo(raw):
        raise ValueError(f"Graph URL {shown!r} carries credentials (user:password@); give a plain root such as "
                         f"https://graph.microsoft.com and sign in with az login, OIDC or ZTB_ACCESS_TOKEN")
    for version in VERSIONS:
        if raw.endswith("/" + version):
            raw = raw[: -len(version) - 1]
    try:
        parts = urlsplit(raw)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError(f"Graph URL {shown!r} is not a URL; give a root such as https://graph.microsoft.com") from None
    if not parts.scheme or not host:
        raise ValueError(f"Graph URL {shown!r} is not a URL; give a root such as https://graph.microsoft.com")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOCAL_HOSTS):
        raise ValueError(f"Graph URL {shown!r} must use https (plain http is allowed only for localhost)")
    if parts.query or parts.fragment:
        raise ValueError(f"Graph URL {shown!r} must be a plain root such as https://graph.microsoft.com")
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in raw):
        raise ValueError(f"Graph URL {shown!r} contains spaces or control characters; give a root such as https://graph.microsoft.com")
    return raw


def _has_userinfo(url: str) -> bool:
    rest = url.split("//", 1)[1] if "//" in url else url
    return "@" in re.split(r"[/?#]", rest, maxsplit=1)[0]


@dataclass(frozen=True)
class ReadLimits:
    """How long one read may take and how many pages it may have, before it fails (exit 1).

    A *read* is one collection (all its pages, the SDK's retries and their waits included) or one
    object. The defaults are far beyond what a tenant needs (the biggest collection ztb reads is a
    group's members, 999 per page) and short of "forever".
    """

    timeout: float = DEFAULT_TIMEOUT
    max_pages: int = DEFAULT_MAX_PAGES

    @classmethod
    def from_env(cls, timeout: Optional[float] = None, max_pages: Optional[int] = None) -> "ReadLimits":
        """Explicit values, else ``ZTB_GRAPH_TIMEOUT`` / ``ZTB_GRAPH_MAX_PAGES``, else the defaults."""
        return cls(_number(ENV_TIMEOUT, timeout, DEFAULT_TIMEOUT, float, 86400.0),
                   int(_number(ENV_MAX_PAGES, max_pages, DEFAULT_MAX_PAGES, int, 1_000_000)))


def _number(name: str, value: Any, default: float, kind: type, most: float) -> float:
    raw = value if value is not None else os.environ.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        number = kind(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(raw, bool) or not math.isfinite(number) or not 0 < number <= most:
        what = "a number of seconds" if kind is float else "a whole number of pages"
        raise ValueError(f"{name} must be {what} above 0 and at most {most:g}, not {str(raw)[:40]!r}; "
                         f"unset it for the default {default:g}")
    return number


def credential_from_env() -> Any:
    """``ZTB_ACCESS_TOKEN`` if set (checked: set but empty is MalformedToken), else ``DefaultAzureCredential``.

    An empty value is refused rather than ignored: a pipeline whose secret is missing would
    otherwise sign in silently as whatever identity the runner has.
    """
    token = os.environ.get(ENV_ACCESS_TOKEN)
    if token is not None:
        return StaticTokenCredential(token)
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()

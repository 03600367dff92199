"""The one place ztb talks HTTP to Microsoft Graph.

Requests go through msgraph-sdk's own request adapter and HTTP stack (auth, retry on 429/503/504
honouring ``Retry-After``, telemetry), but bodies stay raw JSON: the model, the snapshots and the
providers all speak Graph's JSON, and parsing pages into SDK models costs 15-20 ms of CPU per page
for nothing.

Public API::

    GraphClient(graph_url=None, credential=None, limits=None)
                                                        synchronous facade with its own event loop;
                                                        use ``with GraphClient(...) as g:``
    GraphClient.get_json(path, query=None, version=V1)          -> dict
    GraphClient.list_all(path, query=None, version=V1, headers=None)
                                                        -> list[dict], every page (``@odata.nextLink``
                                                           followed to the end; a failure on any page
                                                           raises, a partial list is never returned)
    GraphClient.list_many(reads, version=V1)           -> one complete list per read (a path, or
                                                           ``(path, query)``), first pages 20 per ``$batch``
    GraphClient.patch_json(path, body, version=V1)      -> dict | None (None for 204 No Content)
    GraphClient.post_json(path, body, version=V1)       -> dict | None
    GraphClient.delete(path, version=V1)                -> None
    GraphClient.run(fn)                                 -> the result of ``await fn(AsyncGraph)`` on the
                                                           client's loop (several calls, or the typed SDK)
    GraphClient.token_tenants()                         -> the ``tid`` claims of the tokens sent so far
    AsyncGraph                                          the async core: the same methods, awaitable,
                                                        plus ``.adapter`` and ``.service_client()``
                                                        (a ``GraphServiceClient`` on the same adapter)
    GraphError                                          every failure (ztb.graph.errors), one line:
                                                        ``GET /policies/...: HTTP 400 BadRequest: Invalid filter clause``
    ReadLimits(timeout, max_pages), ReadLimits.from_env()
                                                        the deadline of one read (all its pages and
                                                        retries; ``ZTB_GRAPH_TIMEOUT``, default 300 s)
                                                        and its page cap (``ZTB_GRAPH_MAX_PAGES``,
                                                        default 1000)
    resolve_graph_url(graph_url=None) -> str            explicit value, else env ``ZTB_GRAPH_URL``,
                                                        else https://graph.microsoft.com
    credential_from_env()                               ``ZTB_ACCESS_TOKEN`` as a static token, else
                                                        ``DefaultAzureCredential`` (workload identity
                                                        federation in pipelines, az login on laptops)
    V1, BETA                                            "v1.0", "beta"

``path`` is relative to the API version (``/deviceManagement/deviceCompliancePolicies``);
``version=BETA`` sends it to ``/beta``. ``query`` maps OData options to values
(``{"$filter": "scopeId eq '/'", "$expand": "policy($expand=rules)"}``).

What a live answer must be, or the read fails (GraphError, nothing returned):

- every item of a collection is an object with an ``id``, and no ``id`` comes twice across the
  pages of one read (Graph serving page 1 again in place of page 2 would otherwise hide page 2);
- the whole read ends within its deadline and page cap (a body that trickles forever, an endless
  chain of new ``@odata.nextLink`` s);
- only the Graph root answers: an ``@odata.nextLink`` or a redirect to any other origin is refused
  (see :mod:`ztb.graph._http`).

Tokens are checked before they are sent (:mod:`ztb.graph.token`), never logged, printed or put in
messages (:mod:`ztb.graph.redact`), and only reach the host of the Graph URL in use (the adapter's
allowed hosts are exactly that host). msgraph, kiota and azure-identity are imported on first use,
so importing this module (e.g. from a Pulumi program that only declares resources) stays cheap.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Optional, Sequence, TypeVar, Union
from urllib.parse import quote, urlsplit

from ztb.graph.errors import GraphError
from ztb.graph.redact import safe_url
from ztb.graph.token import ENV_ACCESS_TOKEN, GuardedCredential, MalformedToken, StaticTokenCredential

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
#: Graph's limit on the requests of one JSON batch (concepts/json-batching.md).
BATCH_MAX = 20
#: Longest wait ztb honours from a ``Retry-After`` inside a batch answer before reading directly.
RETRY_AFTER_CAP = 30.0
#: Sub-response statuses read again directly, where the SDK's retry handler takes over.
_RETRY_DIRECTLY = {429, 500, 502, 503, 504}
#: Characters left readable in OData query values; everything else is percent-encoded.
_QUERY_SAFE = "$'(),/:@*"
_PATH_SAFE = "/$'(),=@:"
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}

T = TypeVar("T")
Query = Optional[Mapping[str, Any]]


async def _sleep(delay: float) -> None:
    """Waits ztb itself makes (throttled batch parts); tests replace it to record the delays."""
    await asyncio.sleep(delay)


# --------------------------------------------------------------------------- configuration


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


def credential_from_env():
    """``ZTB_ACCESS_TOKEN`` if set (checked: set but empty is MalformedToken), else ``DefaultAzureCredential``.

    An empty value is refused rather than ignored: a pipeline whose secret is missing would
    otherwise sign in silently as whatever identity the runner has.
    """
    token = os.environ.get(ENV_ACCESS_TOKEN)
    if token is not None:
        return StaticTokenCredential(token)
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


# --------------------------------------------------------------------------- async core


def _error_map() -> dict:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    return {"XXX": ODataError}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


class AsyncGraph:
    """Raw-JSON Graph calls over one msgraph request adapter. Use from one event loop only."""

    def __init__(self, root: str, credential: Any, limits: Optional[ReadLimits] = None) -> None:
        self.root = root
        self.limits = limits or ReadLimits()
        self._credential = credential if isinstance(credential, GuardedCredential) else GuardedCredential(credential)
        self._adapter = None
        self._service = None

    # -- adapter

    @property
    def adapter(self):
        """The msgraph ``GraphRequestAdapter``: token only for this root's host, same-origin redirects only."""
        if self._adapter is None:
            from msgraph import GraphRequestAdapter, GraphServiceClient
            from msgraph_core.authentication import AzureIdentityAuthenticationProvider

            from ztb.graph._http import http_client

            host = urlsplit(self.root).hostname or ""
            auth = AzureIdentityAuthenticationProvider(self._credential, allowed_hosts=[host])
            adapter = GraphRequestAdapter(auth, client=http_client())
            adapter.base_url = f"{self.root}/{V1}"
            # Constructing the service client registers the JSON parse-node and serializer
            # factories the adapter needs to read Graph's error bodies (ODataError).
            self._service = GraphServiceClient(request_adapter=adapter)
            self._adapter = adapter
        return self._adapter

    def service_client(self):
        """The typed ``GraphServiceClient`` on this adapter (v1.0). Parsing models is slow: prefer raw JSON."""
        self.adapter  # noqa: B018 - builds both
        return self._service

    @property
    def token_tenants(self) -> set[str]:
        """The ``tid`` claims of every token handed to the HTTP stack so far (empty: none carried one)."""
        return set(self._credential.tenants)

    async def aclose(self) -> None:
        if self._adapter is not None:
            client = getattr(self._adapter, "_http_client", None)
            if client is not None and not client.is_closed:
                await client.aclose()
            self._adapter = None
            self._service = None

    # -- URLs

    def url(self, path: str, query: Query = None, version: str = V1) -> str:
        if version not in VERSIONS:
            raise ValueError(f"Graph API version {version!r} is not one of {', '.join(VERSIONS)}")
        path = quote("/" + path.lstrip("/"), safe=_PATH_SAFE)
        url = f"{self.root}/{version}{path}"
        if query:
            pairs = []
            for key, value in query.items():
                if value is None:
                    continue
                if isinstance(value, bool):
                    value = "true" if value else "false"
                pairs.append(f"{quote(str(key), safe='$')}={quote(str(value), safe=_QUERY_SAFE)}")
            if pairs:
                url += "?" + "&".join(pairs)
        return url

    def resource(self, url: str) -> str:
        """How messages name a URL: the path below the version (``/beta`` kept), no query."""
        path = urlsplit(url).path
        root_path = urlsplit(self.root).path.rstrip("/")
        if root_path and path.startswith(root_path):
            path = path[len(root_path):]
        if path.startswith("/" + V1 + "/"):
            return path[len(V1) + 1:]
        return path or "/"

    def _check_next_link(self, link: Any, method: str, resource: str) -> str:
        if not isinstance(link, str) or not link:
            raise GraphError(method, resource, None, "InvalidResponse", "@odata.nextLink is not a URL")
        if not (link == self.root or link.startswith(self.root + "/")):
            # Following it would send the next request (and with it the token's audience) elsewhere.
            raise GraphError(method, resource, None, "InvalidResponse", f"@odata.nextLink leaves {self.root}; refusing to follow it")
        return link

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.limits.timeout

    def _timeout(self, method: str, resource: str) -> GraphError:
        return GraphError(method, resource, None, "Timeout",
                          f"no complete answer within {self.limits.timeout:g} s ({ENV_TIMEOUT}): Graph is slow or its "
                          f"answer never ends; nothing was used; run again later or raise {ENV_TIMEOUT}")

    # -- requests

    async def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        deadline: Optional[float] = None,
    ) -> Any:
        """Send one request; the decoded JSON body, or None for an empty answer (204).

        ``deadline`` (event-loop time) bounds the whole exchange, the SDK's retries included;
        without one the request gets the read timeout to itself.
        """
        from kiota_abstractions.api_error import APIError
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation

        from ztb.graph._http import RedirectRefused

        method = method.upper()
        resource = self.resource(url)
        deadline = deadline if deadline is not None else self._deadline()
        req = RequestInformation(Method[method])
        req.url = url
        req.headers.try_add("Accept", "application/json")
        for name, value in (headers or {}).items():
            req.headers.add(name, value)
        if body is not None:
            req.set_stream_content(json.dumps(body).encode("utf-8"), "application/json")
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            if remaining <= 0:
                raise asyncio.TimeoutError
            raw = await asyncio.wait_for(self.adapter.send_primitive_async(req, "bytes", _error_map()), remaining)
        except APIError as e:
            raise _from_api_error(method, resource, e) from None
        except asyncio.TimeoutError:
            raise self._timeout(method, resource) from None
        except MalformedToken as e:
            raise GraphError(method, resource, None, "MalformedToken", str(e)) from None
        except RedirectRefused as e:
            raise GraphError(method, resource, e.status, "RedirectRefused",
                             f"the answer redirects to {e.target}; only {self.root} answers for the tenant, "
                             "so ztb follows no redirect to another host and used nothing") from None
        except Exception as e:  # transport and credential failures: say which call, not a stack of SDK frames
            raise _from_other(method, resource, self.root, e) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            detail = getattr(e, "msg", None) or type(e).__name__
            raise GraphError(method, resource, None, "InvalidResponse", f"the answer's body is not valid JSON ({detail})") from None
        except RecursionError:
            raise GraphError(method, resource, None, "InvalidResponse", "the answer's JSON is nested too deeply") from None

    async def get_json(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> dict:
        url = self.url(path, query, version)
        data = await self.request("GET", url, headers=headers)
        if not isinstance(data, dict):
            raise GraphError("GET", self.resource(url), None, "InvalidResponse", "expected a JSON object")
        return data

    async def list_all(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None,
                       deadline: Optional[float] = None) -> list[dict]:
        url = self.url(path, query, version)
        deadline = deadline if deadline is not None else self._deadline()
        page = await self.request("GET", url, headers=headers, deadline=deadline)
        return await self._collect(self.resource(url), url, page, headers, deadline)

    async def _collect(self, resource: str, url: str, page: Any, headers: Optional[Mapping[str, str]], deadline: float) -> list[dict]:
        """Every item from ``page`` (already read from ``url``) on, following @odata.nextLink."""
        items: list[dict] = []
        first_seen: dict[str, int] = {}
        seen_urls = {url}
        number = 1
        while True:
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise GraphError("GET", resource, None, "InvalidResponse", f"page {number} is not a collection (no 'value' list)")
            for position, item in enumerate(page["value"], 1):
                where = f"item {position} of page {number}"
                if not isinstance(item, dict):
                    raise GraphError("GET", resource, None, "InvalidResponse", f"{where} is {_json_type(item)}, not an object; nothing was used")
                oid = item.get("id")
                if not isinstance(oid, str) or not oid.strip():
                    raise GraphError("GET", resource, None, "InvalidResponse", f"{where} has no 'id' (a string); nothing was used")
                key = oid.strip().lower()
                if key in first_seen:
                    raise GraphError("GET", resource, None, "RepeatedObject",
                                     f"object {_short(oid)} comes twice (page {first_seen[key]} and page {number}): Graph repeated "
                                     "or skipped a page, or the collection changed while it was read; nothing was used; run again")
                first_seen[key] = number
                items.append(item)
            link = page.get("@odata.nextLink")
            if link is None:
                return items
            url = self._check_next_link(link, "GET", resource)
            if url in seen_urls:
                raise GraphError("GET", resource, None, "InvalidResponse", "@odata.nextLink repeats an earlier page")
            if number >= self.limits.max_pages:
                raise GraphError("GET", resource, None, "PageLimit",
                                 f"more than {self.limits.max_pages} pages ({ENV_MAX_PAGES}): an endless @odata.nextLink chain, "
                                 f"or a collection larger than expected; nothing was used; raise {ENV_MAX_PAGES} if it is real")
            seen_urls.add(url)
            number += 1
            page = await self.request("GET", url, headers=headers, deadline=deadline)

    async def list_many(self, reads: Sequence[Union[str, tuple[str, Query]]], version: str = V1) -> list[list[dict]]:
        """``list_all`` of each read (a path, or a path and its query), first pages 20 per ``$batch``.

        The batch is built by hand (msgraph-core's BatchRequestContent sends absolute URLs and
        drops bodies) and POSTed through the adapter, so auth, retry and the redirect policy
        apply to it. A sub-response that is throttled or a server error is read again directly
        (after its ``Retry-After``, capped), where the SDK's retry handler takes over; any other
        failed sub-response fails the whole read; ``@odata.nextLink`` s are followed directly.
        """
        pairs = [(r, None) if isinstance(r, str) else (r[0], r[1]) for r in reads]
        urls = [self.url(path, query, version) for path, query in pairs]
        prefix = f"{self.root}/{version}"
        batches = [list(range(i, min(i + BATCH_MAX, len(urls)))) for i in range(0, len(urls), BATCH_MAX)]
        results: list[list[dict]] = [[] for _ in urls]

        async def one_batch(indices: list[int]) -> None:
            deadline = self._deadline()
            body = {"requests": [{"id": str(i + 1), "method": "GET", "url": urls[i][len(prefix):]} for i in indices]}
            answer = await self.request("POST", f"{prefix}/$batch", body, deadline=deadline)
            by_id = _batch_responses(answer, {str(i + 1) for i in indices}, self.resource(f"{prefix}/$batch"))
            reads = [self._sub_response(by_id[str(i + 1)], *pairs[i], urls[i], version, deadline) for i in indices]
            for i, items in zip(indices, await _all(reads)):
                results[i] = items

        await _all([one_batch(b) for b in batches])
        return results

    async def _sub_response(self, answer: dict, path: str, query: Query, url: str, version: str, deadline: float) -> list[dict]:
        resource = self.resource(url)
        status = answer["status"]
        body = answer.get("body")
        if 200 <= status < 300:
            return await self._collect(resource, url, body, None, deadline)
        if status in _RETRY_DIRECTLY:
            delay = _retry_after(answer.get("headers"))
            remaining = deadline - asyncio.get_running_loop().time()
            if delay >= remaining:
                raise self._timeout("GET", resource)
            if delay > 0:
                await _sleep(delay)
            return await self.list_all(path, query, version, deadline=deadline)
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        inner = error.get("innerError") or error.get("innererror") or {}
        message = error.get("message") or "the answer carries no Graph error (empty or not Graph's JSON)"
        raise GraphError("GET", resource, status, str(error.get("code") or ""), str(message),
                         str(inner.get("request-id") or "") if isinstance(inner, dict) else "")

    async def patch_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        return await self.request("PATCH", self.url(path, None, version), body)

    async def post_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        return await self.request("POST", self.url(path, None, version), body)

    async def delete(self, path: str, version: str = V1) -> None:
        await self.request("DELETE", self.url(path, None, version))


async def _all(calls: list) -> list:
    """Run every call; if any fails, raise the first failure (never return part of the reads)."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def _batch_responses(answer: Any, expected: set[str], resource: str) -> dict[str, dict]:
    """The sub-responses of a batch answer by id; exactly one for each request sent."""
    def bad(problem: str) -> GraphError:
        return GraphError("POST", resource, None, "InvalidResponse", f"the batch answer {problem}; nothing was used")

    if not isinstance(answer, dict) or not isinstance(answer.get("responses"), list):
        raise bad("has no 'responses' list")
    out: dict[str, dict] = {}
    for r in answer["responses"]:
        if not isinstance(r, dict) or not isinstance(r.get("status"), int) or isinstance(r.get("status"), bool):
            raise bad("holds a response that is not an object with a numeric status")
        rid = str(r.get("id"))
        if rid not in expected:
            raise bad(f"answers request {_short(rid, 20)!r}, which was not sent")
        if rid in out:
            raise bad(f"answers request {rid} twice")
        out[rid] = r
    missing = sorted(expected - set(out), key=int)
    if missing:
        raise bad(f"lacks the responses to requests {', '.join(missing)}")
    return out


def _retry_after(headers: Any) -> float:
    """Seconds from a sub-response's Retry-After (any case), capped; 1 s when absent or unreadable."""
    if isinstance(headers, dict):
        for name, value in headers.items():
            if str(name).lower() == "retry-after":
                try:
                    seconds = float(value)
                except (TypeError, ValueError):
                    break
                if math.isfinite(seconds):
                    return min(max(seconds, 0.0), RETRY_AFTER_CAP)
                break
    return 1.0


def _from_api_error(method: str, resource: str, e: Any) -> GraphError:
    status = getattr(e, "response_status_code", None)
    main = getattr(e, "error", None)
    code = getattr(main, "code", None) or ""
    message = getattr(main, "message", None) or ""
    inner = getattr(main, "inner_error", None)
    request_id = getattr(inner, "request_id", None) or ""
    if not code and not message:
        # An empty body, an HTML gateway page, or JSON without Graph's {"error": {...}}.
        message = "the answer carries no Graph error (empty or not Graph's JSON)"
    return GraphError(method, resource, status, code, message, request_id)


def _from_other(method: str, resource: str, root: str, e: Exception) -> GraphError:
    name = type(e).__name__
    module = type(e).__module__ or ""
    first_line = (str(e).strip().splitlines() or [""])[0][:300]
    if name == "RedirectError":
        return GraphError(method, resource, None, "RedirectRefused", "too many redirects within the Graph host; used nothing")
    if module.startswith(("httpx", "httpcore", "h11", "h2")) or isinstance(e, OSError):
        return GraphError(method, resource, None, "ConnectionError", f"cannot reach {root} ({name}: {first_line})")
    if module.startswith("azure.") or name.endswith("AuthenticationError") or name == "CredentialUnavailableError":
        return GraphError(method, resource, None, "AuthenticationFailed", f"no access token for {root} ({name}: {first_line})")
    return GraphError(method, resource, None, name, first_line)


# --------------------------------------------------------------------------- sync facade


class GraphClient:
    """Synchronous Graph calls for dynamic providers and CLI commands.

    It owns a private event loop, so the HTTP connection pool survives between calls (each
    ``asyncio.run`` would need a fresh client). Call it from synchronous code only; async code
    uses :class:`AsyncGraph`. Close it (or use ``with``) to release connections and the credential.
    """

    def __init__(self, graph_url: Optional[str] = None, credential: Any = None, limits: Optional[ReadLimits] = None) -> None:
        self.root = resolve_graph_url(graph_url)
        self.limits = limits or ReadLimits.from_env()
        self._owns_credential = credential is None
        self._credential = credential
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._core: Optional[AsyncGraph] = None
        self._tenants: set[str] = set()

    @classmethod
    def from_env(cls, graph_url: Optional[str] = None) -> "GraphClient":
        return cls(graph_url)

    def __enter__(self) -> "GraphClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GraphClient({self.root!r})"

    @property
    def core(self) -> AsyncGraph:
        if self._core is None:
            if self._credential is None:
                self._credential = credential_from_env()
            self._core = AsyncGraph(self.root, self._credential, self.limits)
        return self._core

    def run(self, fn: Callable[[AsyncGraph], Awaitable[T]]) -> T:
        """``await fn(async_graph)`` on this client's loop: several calls in one go, or the typed SDK."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        try:
            return self._loop.run_until_complete(fn(self.core))
        finally:
            if self._core is not None:
                self._tenants |= self._core.token_tenants

    def token_tenants(self) -> set[str]:
        """The ``tid`` claims of the tokens this client has sent (empty when none carried one)."""
        return set(self._tenants)

    def get_json(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> dict:
        return self.run(lambda g: g.get_json(path, query, version, headers))

    def list_all(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> list[dict]:
        return self.run(lambda g: g.list_all(path, query, version, headers))

    def list_many(self, reads: Sequence[Union[str, tuple[str, Query]]], version: str = V1) -> list[list[dict]]:
        return self.run(lambda g: g.list_many(reads, version))

    def patch_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        return self.run(lambda g: g.patch_json(path, body, version))

    def post_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        return self.run(lambda g: g.post_json(path, body, version))

    def delete(self, path: str, version: str = V1) -> None:
        self.run(lambda g: g.delete(path, version))

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            if self._core is not None:
                self._loop.run_until_complete(self._core.aclose())
            self._loop.close()
        self._loop = None
        self._core = None
        if self._owns_credential and self._credential is not None:
            close = getattr(self._credential, "close", None)
            if callable(close):
                close()
            self._credential = None


__all__ = [
    "AsyncGraph",
    "BETA",
    "GraphClient",
    "GraphError",
    "ReadLimits",
    "StaticTokenCredential",
    "V1",
    "credential_from_env",
    "resolve_graph_url",
]

"""The one place ztb talks HTTP to Microsoft Graph.

Requests go through msgraph-sdk's own request adapter and HTTP stack (auth, retry on 429/503/504
honouring ``Retry-After``, redirects, telemetry), but bodies stay raw JSON: the model, the
snapshots and the providers all speak Graph's JSON, and parsing pages into SDK models costs
15-20 ms of CPU per page for nothing.

Public API::

    GraphClient(graph_url=None, credential=None)       synchronous facade with its own event loop;
                                                        use ``with GraphClient(...) as g:``
    GraphClient.get_json(path, query=None, version=V1)          -> dict
    GraphClient.list_all(path, query=None, version=V1, headers=None)
                                                        -> list[dict], every page (``@odata.nextLink``
                                                           followed to the end; a failure on any page
                                                           raises, a partial list is never returned)
    GraphClient.patch_json(path, body, version=V1)      -> dict | None (None for 204 No Content)
    GraphClient.post_json(path, body, version=V1)       -> dict | None
    GraphClient.delete(path, version=V1)                -> None
    GraphClient.run(fn)                                 -> the result of ``await fn(AsyncGraph)`` on the
                                                           client's loop (several calls, or the typed SDK)
    AsyncGraph                                          the async core: the same five methods, awaitable,
                                                        plus ``.adapter`` and ``.service_client()``
                                                        (a ``GraphServiceClient`` on the same adapter)
    GraphError                                          every failure (ztb.graph.errors), one line:
                                                        ``GET /policies/...: HTTP 400 BadRequest: Invalid filter clause``
    resolve_graph_url(graph_url=None) -> str            explicit value, else env ``ZTB_GRAPH_URL``,
                                                        else https://graph.microsoft.com
    credential_from_env()                               ``ZTB_ACCESS_TOKEN`` as a static token, else
                                                        ``DefaultAzureCredential`` (workload identity
                                                        federation in pipelines, az login on laptops)
    V1, BETA                                            "v1.0", "beta"

``path`` is relative to the API version (``/deviceManagement/deviceCompliancePolicies``);
``version=BETA`` sends it to ``/beta``. ``query`` maps OData options to values
(``{"$filter": "scopeId eq '/'", "$expand": "policy($expand=rules)"}``).

Tokens are never logged, printed or put in messages; they only reach the host of the Graph URL
in use (the adapter's allowed hosts are exactly that host), and an ``@odata.nextLink`` that
points elsewhere is refused. msgraph, kiota and azure-identity are imported on first use, so
importing this module (e.g. from a Pulumi program that only declares resources) stays cheap.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any, Awaitable, Callable, Mapping, Optional, TypeVar
from urllib.parse import quote, urlsplit

from .errors import GraphError

V1 = "v1.0"
BETA = "beta"
VERSIONS = (V1, BETA)
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
ENV_GRAPH_URL = "ZTB_GRAPH_URL"
ENV_ACCESS_TOKEN = "ZTB_ACCESS_TOKEN"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
#: Characters left readable in OData query values; everything else is percent-encoded.
_QUERY_SAFE = "$'(),/:@*"
_PATH_SAFE = "/$'(),=@:"

T = TypeVar("T")
Query = Optional[Mapping[str, Any]]


# --------------------------------------------------------------------------- configuration


def resolve_graph_url(graph_url: Optional[str] = None) -> str:
    """The Graph root (scheme and host, no version): ``--graph-url``, else ``ZTB_GRAPH_URL``.

    National clouds use their own root (https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn);
    tests point it at a local double. Plain http is refused except for localhost, as kiota does.
    """
    raw = (graph_url or os.environ.get(ENV_GRAPH_URL) or DEFAULT_GRAPH_URL).strip().rstrip("/")
    for version in VERSIONS:
        if raw.endswith("/" + version):
            raw = raw[: -len(version) - 1]
    parts = urlsplit(raw)
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"Graph URL {raw!r} is not a URL; give a root such as https://graph.microsoft.com")
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        raise ValueError(f"Graph URL {raw!r} must use https (plain http is allowed only for localhost)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"Graph URL {raw!r} must be a plain root such as https://graph.microsoft.com")
    return raw


class StaticTokenCredential:
    """An access token handed in from outside (``ZTB_ACCESS_TOKEN``), as an azure-core credential.

    The token is kept private: ``repr`` and ``str`` never show it. Its expiry is unknown here;
    Graph answers 401 when it has expired, which surfaces as a GraphError naming the call.
    """

    def __init__(self, token: str) -> None:
        if not token or not token.strip():
            raise ValueError(f"{ENV_ACCESS_TOKEN} is empty")
        self.__token = token.strip()

    def get_token(self, *scopes: str, **kwargs: Any):
        from azure.core.credentials import AccessToken

        return AccessToken(self.__token, int(time.time()) + 3600)

    def __repr__(self) -> str:
        return "StaticTokenCredential(<redacted>)"

    __str__ = __repr__


def credential_from_env():
    """``ZTB_ACCESS_TOKEN`` if set, else ``DefaultAzureCredential`` (env, workload identity, CLI...)."""
    token = os.environ.get(ENV_ACCESS_TOKEN)
    if token:
        return StaticTokenCredential(token)
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


# --------------------------------------------------------------------------- async core


def _error_map() -> dict:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    return {"XXX": ODataError}


class AsyncGraph:
    """Raw-JSON Graph calls over one msgraph request adapter. Use from one event loop only."""

    def __init__(self, root: str, credential: Any) -> None:
        self.root = root
        self._credential = credential
        self._adapter = None
        self._service = None

    # -- adapter

    @property
    def adapter(self):
        """The msgraph ``GraphRequestAdapter``: default middleware, token only for this root's host."""
        if self._adapter is None:
            from msgraph import GraphRequestAdapter, GraphServiceClient
            from msgraph_core.authentication import AzureIdentityAuthenticationProvider

            host = urlsplit(self.root).hostname or ""
            auth = AzureIdentityAuthenticationProvider(self._credential, allowed_hosts=[host])
            adapter = GraphRequestAdapter(auth)
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

    # -- requests

    async def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """Send one request; the decoded JSON body, or None for an empty answer (204)."""
        from kiota_abstractions.api_error import APIError
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation

        method = method.upper()
        resource = self.resource(url)
        req = RequestInformation(Method[method])
        req.url = url
        req.headers.try_add("Accept", "application/json")
        for name, value in (headers or {}).items():
            req.headers.add(name, value)
        if body is not None:
            req.set_stream_content(json.dumps(body).encode("utf-8"), "application/json")
        try:
            raw = await self.adapter.send_primitive_async(req, "bytes", _error_map())
        except APIError as e:
            raise _from_api_error(method, resource, e) from None
        except Exception as e:  # transport and credential failures: say which call, not a stack of SDK frames
            raise _from_other(method, resource, self.root, e) from e
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            detail = getattr(e, "msg", None) or type(e).__name__
            raise GraphError(method, resource, None, "InvalidResponse", f"the answer's body is not valid JSON ({detail})") from None

    async def get_json(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> dict:
        url = self.url(path, query, version)
        data = await self.request("GET", url, headers=headers)
        if not isinstance(data, dict):
            raise GraphError("GET", self.resource(url), None, "InvalidResponse", "expected a JSON object")
        return data

    async def list_all(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> list[dict]:
        url: Optional[str] = self.url(path, query, version)
        resource = self.resource(url)
        items: list[dict] = []
        seen: set[str] = set()
        while url:
            seen.add(url)
            page = await self.request("GET", url, headers=headers)
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise GraphError("GET", resource, None, "InvalidResponse", f"page {len(seen)} is not a collection (no 'value' list)")
            items.extend(page["value"])
            link = page.get("@odata.nextLink")
            url = self._check_next_link(link, "GET", resource) if link is not None else None
            if url in seen:
                raise GraphError("GET", resource, None, "InvalidResponse", "@odata.nextLink repeats an earlier page")
        return items

    async def patch_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        return await self.request("PATCH", self.url(path, None, version), body)

    async def post_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        return await self.request("POST", self.url(path, None, version), body)

    async def delete(self, path: str, version: str = V1) -> None:
        await self.request("DELETE", self.url(path, None, version))


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
    if module.startswith(("httpx", "httpcore")) or isinstance(e, OSError):
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

    def __init__(self, graph_url: Optional[str] = None, credential: Any = None) -> None:
        self.root = resolve_graph_url(graph_url)
        self._owns_credential = credential is None
        self._credential = credential
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._core: Optional[AsyncGraph] = None

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
            self._core = AsyncGraph(self.root, self._credential)
        return self._core

    def run(self, fn: Callable[[AsyncGraph], Awaitable[T]]) -> T:
        """``await fn(async_graph)`` on this client's loop: several calls in one go, or the typed SDK."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(fn(self.core))

    def get_json(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> dict:
        return self.run(lambda g: g.get_json(path, query, version, headers))

    def list_all(self, path: str, query: Query = None, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> list[dict]:
        return self.run(lambda g: g.list_all(path, query, version, headers))

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
    "StaticTokenCredential",
    "V1",
    "credential_from_env",
    "resolve_graph_url",
]

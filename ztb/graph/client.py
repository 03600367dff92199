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
                                                        plus ``.adapter`` (msgraph's request adapter)
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

Layout: :mod:`~ztb.graph.settings` (URL, limits, credential from the environment),
:mod:`~ztb.graph.transport` (one request), :mod:`~ztb.graph.paging` (a whole collection, bounded),
:mod:`~ztb.graph.batch` (``$batch``); this module joins them and adds the synchronous facade.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Mapping, Optional, Sequence, TypeVar, Union

from ztb.graph.batch import BATCH_MAX, RETRY_AFTER_CAP, Batcher
from ztb.graph.errors import GraphError
from ztb.graph.settings import BETA, V1, ReadLimits, credential_from_env, resolve_graph_url
from ztb.graph.token import StaticTokenCredential
from ztb.graph.transport import Query

T = TypeVar("T")


class AsyncGraph(Batcher):
    """Raw-JSON Graph calls over one msgraph request adapter: single requests
    (:mod:`~ztb.graph.transport`), complete collections (:mod:`~ztb.graph.paging`) and
    ``$batch`` reads (:mod:`~ztb.graph.batch`). Use from one event loop only."""


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

    def patch_json(self, path: str, body: Any, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> Optional[dict]:
        return self.run(lambda g: g.patch_json(path, body, version, headers))

    def post_json(self, path: str, body: Any, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> Optional[dict]:
        return self.run(lambda g: g.post_json(path, body, version, headers))

    def put_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        return self.run(lambda g: g.put_json(path, body, version))

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
    "BATCH_MAX",
    "RETRY_AFTER_CAP",
    "BETA",
    "GraphClient",
    "GraphError",
    "ReadLimits",
    "StaticTokenCredential",
    "V1",
    "credential_from_env",
    "resolve_graph_url",
]
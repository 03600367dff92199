"""One Graph request: URL building, msgraph's adapter and HTTP stack, one readable error.

Requests go through msgraph-sdk's own request adapter and HTTP stack (auth, retry on 429/503/504
honouring ``Retry-After``, telemetry), but bodies stay raw JSON. Every failure, from the SDK, the
transport or the credential, becomes one :class:`~ztb.graph.errors.GraphError` naming the call;
a deadline bounds the whole exchange, the SDK's retries included. msgraph and kiota are imported
on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Mapping, Optional
from urllib.parse import quote, urlsplit

from ztb.graph.errors import GraphError
from ztb.graph.settings import ENV_TIMEOUT, V1, VERSIONS, ReadLimits
from ztb.graph.token import GuardedCredential, MalformedToken

#: Characters left readable in OData query values; everything else is percent-encoded.
_QUERY_SAFE = "$'(),/:@*"
_PATH_SAFE = "/$'(),=@:"

Query = Optional[Mapping[str, Any]]


def _error_map() -> dict:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    return {"XXX": ODataError}


def short(value: Any, limit: int = 80) -> str:
    """A value cut for a message: an ID or name from the answer, never a whole body."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


async def gather(calls: list) -> list:
    """Run every call; if any fails, raise the first failure (never return part of the reads)."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


class Transport:
    """One msgraph request adapter and single requests over it, raw JSON in and out. Use from one event loop only."""

    def __init__(self, root: str, credential: Any, limits: Optional[ReadLimits] = None) -> None:
        self.root = root
        self.limits = limits or ReadLimits()
        self._credential = credential if isinstance(credential, GuardedCredential) else GuardedCredential(credential)
        self._adapter = None

    # -- adapter

    @property
    def adapter(self) -> Any:
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
            GraphServiceClient(request_adapter=adapter)
            self._adapter = adapter
        return self._adapter

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

    async def patch_json(self, path: str, body: Any, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> Optional[dict]:
        return await self.request("PATCH", self.url(path, None, version), body, headers)

    async def post_json(self, path: str, body: Any, version: str = V1, headers: Optional[Mapping[str, str]] = None) -> Optional[dict]:
        return await self.request("POST", self.url(path, None, version), body, headers)

    async def put_json(self, path: str, body: Any, version: str = V1) -> Optional[dict]:
        """PUT: Graph's update of an access review definition replaces the whole updatable body."""
        return await self.request("PUT", self.url(path, None, version), body)

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
    if name == "RedirectError":
        return GraphError(method, resource, None, "RedirectRefused", "too many redirects within the Graph host; used nothing")
    if module.startswith(("httpx", "httpcore", "h11", "h2")) or isinstance(e, OSError):
        return GraphError(method, resource, None, "ConnectionError", f"cannot reach {root} ({name}: {first_line})")
    if module.startswith("azure.") or name.endswith("AuthenticationError") or name == "CredentialUnavailableError":
        return GraphError(method, resource, None, "AuthenticationFailed", f"no access token for {root} ({name}: {first_line})")
    return GraphError(method, resource, None, name, first_line)

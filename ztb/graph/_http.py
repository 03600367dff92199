"""The HTTP stack under the adapter: msgraph's default middleware, with a redirect policy of ours.

Imported on first use only (it loads kiota, httpx and msgraph-core).

kiota's RedirectHandler follows up to five redirects to any host; across origins it strips the
Authorization header but still returns the other host's answer as if Graph had given it, so a
``307`` to elsewhere would be exported as tenant data. And with redirects merely disabled, kiota
hands back a 3xx answer that has a ``Location`` as a success (its body becomes "the answer").
So the handler here follows a redirect only within the origin (scheme, host, port) of the
request, which is always the Graph root in use, and raises :class:`RedirectRefused` otherwise.
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from typing import Optional

import httpx
from kiota_http.kiota_client_factory import DEFAULT_CONNECTION_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, KiotaClientFactory
from kiota_http.middleware import RedirectHandler


class RedirectRefused(Exception):
    """Graph's host answered with a redirect that ztb does not follow."""

    def __init__(self, status: int, target: str) -> None:
        super().__init__(f"HTTP {status} redirect to {target}")
        self.status = status
        self.target = target
        self.response: Optional[httpx.Response] = None


def _origin(url: httpx.URL) -> str:
    default = {"http": 80, "https": 443}.get(url.scheme)
    port = "" if url.port in (None, default) else f":{url.port}"
    return f"{url.scheme}://{url.host}{port}"


class SameOriginRedirectHandler(RedirectHandler):
    """Follows redirects within the request's origin; refuses any other (and any unfollowed one)."""

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        try:
            response = await super().send(request, transport)
        except RedirectRefused as e:
            if e.response is not None:
                await e.response.aclose()
            raise
        if response.is_redirect:  # never followed (redirects disabled by a request option)
            target = response.headers.get("Location", "")
            await response.aclose()
            raise RedirectRefused(response.status_code, _target(request.url, target))
        return response

    def _build_redirect_request(self, request, response, options, request_options=None):  # type: ignore[override]
        location = response.headers.get("Location", "")
        try:
            url = request.url.join(location)
        except Exception:  # an unparseable Location is no place to go
            e = RedirectRefused(response.status_code, "an invalid Location")
            e.response = response
            raise e from None
        if _origin(url) != _origin(request.url):
            e = RedirectRefused(response.status_code, _origin(url))
            e.response = response
            raise e
        return super()._build_redirect_request(request, response, options, request_options)


def _target(base: httpx.URL, location: str) -> str:
    try:
        return _origin(base.join(location)) if location else "nowhere (no Location)"
    except Exception:
        return "an invalid Location"


def http_client() -> httpx.AsyncClient:
    """msgraph's default client and middleware (retry, telemetry...), our redirect handler."""
    from msgraph.graph_request_adapter import options
    from msgraph_core import GraphClientFactory
    from msgraph_core.middleware import GraphTelemetryHandler
    from msgraph_core.middleware.options import GraphTelemetryHandlerOption

    middleware = [SameOriginRedirectHandler() if isinstance(m, RedirectHandler) else m
                  for m in KiotaClientFactory.get_default_middleware(options)]
    middleware.append(GraphTelemetryHandler(options=options[GraphTelemetryHandlerOption.get_key()]))
    client = httpx.AsyncClient(timeout=httpx.Timeout(DEFAULT_REQUEST_TIMEOUT, connect=DEFAULT_CONNECTION_TIMEOUT),
                               http2=True, verify=_tls())  # kiota's default client, but for the TLS context
    return GraphClientFactory.create_with_custom_middleware(middleware, client=client)


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context (the CA bundle, SSL_CERT_FILE / SSL_CERT_DIR honoured), built once
    per process: loading the bundle costs about 30 ms per client, and the providers and the
    reader make a client per operation."""
    return httpx.create_ssl_context()


__all__ = ["RedirectRefused", "SameOriginRedirectHandler", "http_client"]

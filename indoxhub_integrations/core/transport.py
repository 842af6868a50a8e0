"""The async HTTP transport: aiohttp under httpx where installed, else httpx's own.

Under concurrency, httpx's native async pool spends most of the client's time on its own
bookkeeping (every request scans every pooled connection, under one lock, on the way in and
out; at 50-200 requests in flight that dominates the CPU profile). aiohttp's connector keeps
idle connections in a deque per host and hands them out in O(1), so the same requests run
3-10x closer to the ideal (measured in ``bench/concurrency.py``, see docs/concurrency.md).

The transport only moves bytes: the client stays an ``httpx.AsyncClient``, so timeouts, the
size and deadline checks, redirects (never followed), auth and every error mapping stay where
they are. Chosen by :attr:`IndoxHubOptions.http_transport
<indoxhub_integrations.core.options.IndoxHubOptions.http_transport>`:

- ``"auto"`` (default): aiohttp when ``httpx-aiohttp`` is installed (the ``aiohttp`` extra)
  and no proxy from the environment applies to the server, else httpx's native transport.
- ``"aiohttp"``: aiohttp; an error before any request when it is not installed. A proxy from
  the environment still routes through httpx's transport (aiohttp's is not used for it).
- ``"httpx"``: httpx's native transport.
"""

from __future__ import annotations

import importlib.util
import os
import ssl
import urllib.request
from collections.abc import AsyncIterator
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from .errors import InvalidRequestError

HttpTransport = Literal["auto", "httpx", "aiohttp"]
"""The values of the ``http_transport`` option."""

INSTALL_HINT = 'pip install "indoxhub-integrations[aiohttp]"'
TRANSPORT_ENV_VAR = "INDOXHUB_HTTP_TRANSPORT"
NATIVE_ASYNC_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=20)
"""Pool limits of httpx's own async transport (the fallback): its pool scans every kept
connection for every request, so keeping fewer alive is faster even though some reconnect
(measured at 50 in flight: 20 kept alive ~4x the ideal, 100 kept alive ~21x)."""


def env_transport() -> Any:
    """The default of ``http_transport``: ``INDOXHUB_HTTP_TRANSPORT``, else ``"auto"`` (an
    unknown value is reported on the first request, by :func:`uses_aiohttp`)."""
    return os.environ.get(TRANSPORT_ENV_VAR, "").strip().lower() or "auto"


def aiohttp_available() -> bool:
    """Whether the aiohttp transport can be used (``httpx-aiohttp`` and ``aiohttp`` import)."""
    return all(importlib.util.find_spec(name) for name in ("httpx_aiohttp", "aiohttp"))


def env_proxy_applies(base_url: str, trust_env: bool = True) -> bool:
    """Whether a proxy from the environment (``HTTPS_PROXY``, ``ALL_PROXY``... minus
    ``NO_PROXY``) would carry requests to ``base_url`` (httpx honours them; a custom
    transport would not, so such servers keep httpx's transport)."""
    if not trust_env:
        return False
    parts = urlsplit(base_url)
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    return not bypass(parts.hostname or "", proxies)


def uses_aiohttp(choice: str, base_url: str, trust_env: bool = True) -> bool:
    """Whether the async client for ``base_url`` runs on aiohttp under ``choice``.

    Raises:
        InvalidRequestError: ``"aiohttp"`` was asked for and is not installed, or ``choice``
            is not one of ``"auto"``, ``"httpx"``, ``"aiohttp"``.
    """
    if choice == "httpx":
        return False
    if choice not in ("auto", "aiohttp"):
        raise InvalidRequestError(
            f"http_transport (or {TRANSPORT_ENV_VAR}) must be 'auto', 'httpx' or 'aiohttp', "
            f"got {choice!r}."
        )
    available = aiohttp_available()
    if choice == "aiohttp" and not available:
        raise InvalidRequestError(
            f"http_transport='aiohttp' needs httpx-aiohttp: {INSTALL_HINT}, or use "
            "http_transport='auto' (falls back to httpx's own transport)."
        )
    return available and not env_proxy_applies(base_url, trust_env)


def async_transport(
    choice: str, base_url: str, limits: httpx.Limits, verify: ssl.SSLContext, trust_env: bool
) -> httpx.AsyncBaseTransport | None:
    """The transport for an ``httpx.AsyncClient`` (``None``: httpx builds its own, with the
    client's limits, TLS context and the environment's proxies; give it
    :data:`NATIVE_ASYNC_LIMITS`)."""
    if not uses_aiohttp(choice, base_url, trust_env):
        return None
    return _aiohttp_transport(limits, verify)


def _aiohttp_transport(limits: httpx.Limits, verify: ssl.SSLContext) -> httpx.AsyncBaseTransport:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=limits.keepalive_expiry or 5.0,
            ssl=verify,  # the same context as httpx's transport: same CAs, same settings
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps cookies, as without aiohttp
            trust_env=False,  # proxies are httpx's business (see env_proxy_applies)
            auto_decompress=False,  # httpx decodes content-encoding
        )

    class Transport(AiohttpTransport):  # type: ignore[misc]
        """httpx-aiohttp with errors mapped as httpx's own transport maps them."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                response = await super().handle_async_request(request)
            except httpx.TransportError as exc:
                raise _remap(exc) from exc.__cause__
            response.stream = _Stream(response.stream)  # type: ignore[arg-type]
            return response

    return Transport(verify=verify, limits=limits, trust_env=False, client=session)  # type: ignore[no-any-return]


class _Stream(httpx.AsyncByteStream):
    """An answer's body with aiohttp's errors mapped as httpx's transport maps them."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except httpx.TransportError as exc:
            raise _remap(exc) from exc.__cause__

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except httpx.TransportError as exc:
            raise _remap(exc) from exc.__cause__


def _remap(exc: httpx.TransportError) -> httpx.TransportError:
    """The httpx error httpx's own transport raises for the aiohttp error behind ``exc``.

    httpx-aiohttp maps every ``ClientConnectionError`` (a server closing the connection
    mid-answer included) to ``ConnectTimeout``, which would read as "never sent" and as a
    timeout; here only failures before the request left are connect errors.
    """
    import aiohttp

    cause = exc.__cause__
    message = str(exc)
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(cause, aiohttp.SocketTimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(cause, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(cause, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(message or "Server disconnected")
    if isinstance(cause, aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message)
    if isinstance(cause, aiohttp.ClientOSError | aiohttp.ClientConnectionError):
        return httpx.ReadError(message)
    return exc


class ResponseCookies(httpx.Cookies):
    """httpx's cookie jar, which reads a response's cookies only when it sets some.

    httpx runs every response through ``http.cookiejar`` (a urllib request object, header
    parsing, policy checks): about a fifth of a loopback request's client time, spent on
    answers that set no cookie. A ``Set-Cookie`` answer is stored exactly as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        """Store the cookies ``response`` sets (none read when it has no ``Set-Cookie``)."""
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def with_response_cookies(client: httpx.Client | httpx.AsyncClient) -> Any:
    """``client`` with a :class:`ResponseCookies` jar in place of its own (empty) one."""
    client._cookies = ResponseCookies(client.cookies)
    return client

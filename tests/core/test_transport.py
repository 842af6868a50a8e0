"""Which async transport a client runs on (``http_transport``), and when it falls back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.core import transport
from indoxhub_integrations.core.options import IndoxHubOptions
from indoxhub_integrations.core.transport import ResponseCookies, with_response_cookies
from indoxhub_integrations.errors import InvalidRequestError

REMOTE = "https://api.indoxhub.com"
pytestmark = pytest.mark.skipif(
    not transport.aiohttp_available(), reason="httpx-aiohttp (the aiohttp extra) not installed"
)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv(transport.TRANSPORT_ENV_VAR, raising=False)


def _kind(client: AsyncIndoxHubClient) -> str:
    inner = client.http._transport
    return "aiohttp" if "aiohttp" in type(inner).__mro__[1].__module__ else "httpx"


def test_auto_is_aiohttp_where_installed_and_httpx_can_be_chosen(emulator: Any) -> None:
    kw = {"api_key": emulator.api_key, "base_url": emulator.base_url}
    assert _kind(AsyncIndoxHubClient(**kw)) == "aiohttp"
    assert _kind(AsyncIndoxHubClient(**kw, http_transport="aiohttp")) == "aiohttp"
    assert isinstance(
        AsyncIndoxHubClient(**kw, http_transport="httpx").http._transport,
        httpx.AsyncHTTPTransport,
    )


def test_the_env_var_chooses_and_a_bad_value_is_a_clear_error(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(transport.TRANSPORT_ENV_VAR, "HTTPX")
    assert IndoxHubOptions().http_transport == "httpx"
    monkeypatch.setenv(transport.TRANSPORT_ENV_VAR, "curl")
    client = AsyncIndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)
    with pytest.raises(InvalidRequestError, match=r"INDOXHUB_HTTP_TRANSPORT.*'curl'"):
        client.http  # noqa: B018 - built before any request


def test_missing_aiohttp_falls_back_under_auto_and_is_an_error_when_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "aiohttp_available", lambda: False)
    assert transport.uses_aiohttp("auto", REMOTE) is False
    with pytest.raises(InvalidRequestError, match=r"indoxhub-integrations\[aiohttp\]"):
        transport.uses_aiohttp("aiohttp", REMOTE)


@pytest.mark.parametrize("choice", ["auto", "aiohttp"])
def test_an_environment_proxy_keeps_httpx_transport(
    monkeypatch: pytest.MonkeyPatch, choice: str
) -> None:
    assert transport.uses_aiohttp(choice, REMOTE)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert not transport.uses_aiohttp(choice, REMOTE)  # httpx routes through the proxy
    assert transport.uses_aiohttp(choice, REMOTE, trust_env=False)  # proxies not trusted
    monkeypatch.setenv("NO_PROXY", "api.indoxhub.com")
    assert transport.uses_aiohttp(choice, REMOTE)  # bypassed: direct, on aiohttp
    assert transport.uses_aiohttp("httpx", REMOTE) is False


async def test_the_aiohttp_transport_uses_the_shared_tls_context_and_pool_limits() -> None:
    from indoxhub_integrations.core.base import LIMITS, tls_context

    built = transport.async_transport("auto", REMOTE, LIMITS, tls_context(), trust_env=True)
    assert built is not None
    session = built.get_client()  # type: ignore[attr-defined]
    try:
        assert session.connector._ssl is tls_context()
        assert session.connector.limit == LIMITS.max_connections
    finally:
        await session.close()


def _cookie_answer(request: httpx.Request) -> httpx.Response:
    headers = {"set-cookie": "lb=node-7; Path=/"} if request.url.path.endswith("/a") else {}
    return httpx.Response(200, headers=headers, json={"ok": True})


def test_a_set_cookie_answer_is_still_stored_and_sent_back() -> None:
    client = with_response_cookies(httpx.Client(transport=httpx.MockTransport(_cookie_answer)))
    seen: list[str | None] = []
    client.get("http://h.test/b")
    assert isinstance(client.cookies, ResponseCookies) and not client.cookies
    client.get("http://h.test/a")
    assert client.cookies.get("lb") == "node-7"
    client.event_hooks["request"] = [lambda r: seen.append(r.headers.get("cookie"))]
    client.get("http://h.test/b")
    assert seen == ["lb=node-7"]


def test_both_clients_use_the_cookie_jar_that_skips_answers_without_cookies() -> None:
    sync_client = IndoxHubClient(api_key="k", base_url="http://127.0.0.1:9")
    async_client = AsyncIndoxHubClient(api_key="k", base_url="http://127.0.0.1:9")
    assert isinstance(sync_client.http.cookies, ResponseCookies)
    assert isinstance(async_client.http.cookies, ResponseCookies)


@pytest.mark.parametrize("with_cookie", [False, True])
def test_a_json_request_is_built_as_httpx_would_build_it(with_cookie: bool) -> None:
    from indoxhub_integrations.core import endpoints as ep

    client = IndoxHubClient(api_key="canary-k", base_url="http://127.0.0.1:9", timeout=7)
    http = client.http
    if with_cookie:
        http.cookies.set("lb", "node-7", domain="127.0.0.1")
    call = client._plan(ep.CHAT, [{"role": "user", "content": "hi"}], "openai/x", {},
                        byok_api_key=None)  # fmt: skip
    ours = client._build_request(http, call)
    again = client._build_request(http, call)  # from the kept headers
    reference = http.build_request(
        "POST", ours.url, content=ours.content,
        headers={**client._auth_headers(), "Content-Type": "application/json"},
    )  # fmt: skip
    for request in (ours, again):
        assert request.headers.raw == reference.headers.raw
        assert request.extensions == reference.extensions
        assert request.content == reference.content and request.method == "POST"
    assert ("cookie" in ours.headers) is with_cookie
    client._token.token = SecretStr("a-new-token")  # a refreshed token: new headers
    assert client._build_request(http, call).headers["authorization"] == "Bearer a-new-token"


def test_headers_set_on_the_http_client_after_a_request_are_sent() -> None:
    from indoxhub_integrations.core import endpoints as ep

    client = IndoxHubClient(api_key="k", base_url="http://127.0.0.1:9")
    http = client.http
    call = client._plan(ep.CHAT, [{"role": "user", "content": "hi"}], "openai/x", {},
                        byok_api_key=None)  # fmt: skip
    client._build_request(http, call)
    http.headers["X-Trace"] = "abc"
    assert client._build_request(http, call).headers["x-trace"] == "abc"


def test_the_sync_pool_never_closes_an_idle_connection_as_surplus() -> None:
    """httpcore may close a surplus idle connection it has just handed to a waiting thread
    (encode/httpcore#1110: ``ReadError: Bad file descriptor`` or a hang); keeping every
    connection alive means no connection is ever surplus."""
    from indoxhub_integrations.core.base import SYNC_LIMITS

    pool = IndoxHubClient(api_key="k", base_url="http://127.0.0.1:9").http._transport._pool  # type: ignore[attr-defined]
    assert pool._max_keepalive_connections == pool._max_connections
    assert SYNC_LIMITS.max_keepalive_connections == SYNC_LIMITS.max_connections

"""Record and replay: the emulator as a recording proxy of the real service, or as a player of
recorded exchanges.

``IndoxHubEmulator(upstream="https://api.indoxhub.com", record_to="answers.jsonl")`` forwards
every API request (``/api/...`` and ``/v1/...``) to the upstream and appends the exchange to the
file (see :mod:`.recording` for what is kept and what is never written);
``IndoxHubEmulator(replay="answers.jsonl")`` answers those requests from the file, offline. The
emulator's own routes (``/_emulator/*``, its dashboard, ``/openapi.json``) stay local, and
every proxied or replayed request still lands in the request log (secrets masked).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from indoxhub_integrations.core.config import is_loopback

from .app import json_response
from .recording import (
    Cassette,
    RecordedRequest,
    RecordedResponse,
    Recorder,
    body_view,
    form_view,
    header_secrets,
    recorded_response,
    secret_values,
)
from .state import EmulatorState, RequestRecord

PROXIED_PREFIXES = ("/api/", "/v1/")
"""Paths answered by the upstream or the recording; everything else is the emulator's own."""
NOT_RECORDED_STATUS = 501
"""The status of a request that has no recorded answer (the client raises ``ProviderError``
with the message naming the request; it is not retried)."""
UPSTREAM_FAILED_STATUS = 502
_ENDPOINTS = (
    ("/chat/completions", "chat"),
    ("/completions", "completion"),
    ("/embeddings", "embedding"),
    ("/images/generations", "image"),
    ("/audio/tts/generations", "text_to_speech"),
    ("/audio/stt/transcriptions", "speech_to_text"),
    ("/audio/stt/translations", "translation"),
)
_REQUEST_HEADERS_DROPPED = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}
)
_TIMEOUT = httpx.Timeout(120.0, connect=15.0)


def check_upstream(url: str) -> str:
    """``url`` without a trailing slash or ``/api/v1``; https, or plain http to loopback only.

    Raises:
        ValueError: For a URL that is not http(s), or plain http to a non-loopback host (the
            platform and BYOK keys would travel unencrypted).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"upstream {url!r} is not an http(s) URL, e.g. https://api.indoxhub.com")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"refusing to forward keys over plain http to {parts.hostname}: use an https "
            "upstream (plain http is allowed to loopback only)"
        )
    base = url.rstrip("/")
    return base[: -len("/api/v1")] if base.endswith("/api/v1") else base


def endpoint_of(path: str) -> str | None:
    """The usage endpoint of an API path (``chat``, ``embedding``...), ``None`` for others."""
    for suffix, endpoint in _ENDPOINTS:
        if path.endswith(suffix):
            return endpoint
    return None


class Proxy:
    """The ASGI front of an emulator that records (``upstream``) or replays (``replay``)."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        upstream: str | None = None,
        upstream_api_key: str | SecretStr | None = None,
        record_to: str | os.PathLike[str] | None = None,
        replay: str | os.PathLike[str] | None = None,
    ) -> None:
        if replay is not None and (upstream is not None or record_to is not None):
            raise ValueError("replay= answers offline: it cannot be combined with upstream=")
        if record_to is not None and upstream is None:
            raise ValueError("record_to= needs upstream=, the service whose answers to record")
        self.state = state
        self.upstream = check_upstream(upstream) if upstream is not None else None
        self._upstream_key = (
            SecretStr(upstream_api_key) if isinstance(upstream_api_key, str) else upstream_api_key
        )
        self.recorder = Recorder(record_to) if record_to is not None else None
        self.cassette = Cassette(replay) if replay is not None else None

    def wrap(self, inner: ASGIApp) -> ASGIApp:
        """An ASGI app answering API paths here and everything else with ``inner``."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(PROXIED_PREFIXES):
                response = await self.handle(Request(scope, receive))
                await response(scope, receive, send)
            else:
                await inner(scope, receive, send)

        return app

    def rewind(self) -> None:
        """Replay every request's recorded answers from the first one again."""
        if self.cassette is not None:
            self.cassette.rewind()

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        secrets = header_secrets(request.headers)
        if "multipart/form-data" in content_type:
            async with request.form() as form:
                fields: list[tuple[str, str | tuple[str | None, bytes]]] = []
                for name, value in form.multi_items():
                    if isinstance(value, str):
                        fields.append((name, value))
                    else:
                        fields.append((name, (value.filename, await value.read())))
            view: Any = form_view(fields)
            secrets.extend(v for k, v in fields if k == "byok_api_key" and isinstance(v, str))
        else:
            view = body_view(raw, content_type)
            if raw[:1] == b"{":
                with contextlib.suppress(ValueError):
                    secrets.extend(secret_values(json.loads(raw)))
        recorded = RecordedRequest(request.method, request.url.path, request.url.query, view)
        record = RequestRecord(
            request.method,
            recorded.path,
            json=view,
            endpoint=endpoint_of(recorded.path),
        )
        if isinstance(view, dict):
            record.model = view.get("model") if isinstance(view.get("model"), str) else None
            record.byok = bool(view.get("byok_api_key"))
            record.stream = view.get("stream") is True
        if self.cassette is not None:
            response = self._replay(recorded)
            record.status = response.status_code
            self.state.record(record)
            return response
        return await self._forward(request, raw, recorded, record, secrets)

    # --- replay -----------------------------------------------------------------------------

    def _replay(self, recorded: RecordedRequest) -> Response:
        assert self.cassette is not None
        answer = self.cassette.answer(recorded)
        if answer is None:
            message = (
                f"indoxhub emulator (replaying {self.cassette.path}): no recorded answer for "
                f"{recorded.describe()}. Record it with IndoxHubEmulator(upstream=..., "
                "record_to=...) or pytest --indoxhub-upstream=URL --indoxhub-record-to=FILE."
            )
            return json_response({"detail": message}, NOT_RECORDED_STATUS)
        headers = {k: v for k, v in answer.headers.items() if k != "content-type"}
        media_type = answer.headers.get("content-type")
        if answer.events is not None:
            return StreamingResponse(_events(answer), answer.status, headers, media_type=media_type)
        return Response(answer.body_bytes(), answer.status, headers, media_type=media_type)

    # --- record -----------------------------------------------------------------------------

    def _upstream_headers(self, request: Request) -> dict[str, str]:
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _REQUEST_HEADERS_DROPPED
        }
        key = self._upstream_key.get_secret_value() if self._upstream_key else None
        own = self.state.api_key
        if key:  # the client holds the emulator's key: the upstream gets the real one
            if headers.get("authorization", "").partition(" ")[2].strip() == own:
                headers["authorization"] = f"Bearer {key}"
            if headers.get("x-api-key") == own:
                headers["x-api-key"] = key
        return headers

    async def _forward(
        self,
        request: Request,
        raw: bytes,
        recorded: RecordedRequest,
        record: RequestRecord,
        secrets: list[str],
    ) -> Response:
        assert self.upstream is not None
        if self._upstream_key is not None:
            secrets.append(self._upstream_key.get_secret_value())
        url = self.upstream + recorded.path + (f"?{recorded.query}" if recorded.query else "")
        client = httpx.AsyncClient(timeout=_TIMEOUT)
        try:
            upstream = await client.send(
                client.build_request(
                    request.method, url, headers=self._upstream_headers(request), content=raw
                ),
                stream=True,
            )
        except httpx.HTTPError as exc:
            await client.aclose()
            record.status = UPSTREAM_FAILED_STATUS
            self.state.record(record)
            reason = type(exc).__name__
            return json_response(
                {"detail": f"indoxhub emulator: the upstream {self.upstream} failed ({reason})"},
                UPSTREAM_FAILED_STATUS,
            )
        record.status = upstream.status_code
        headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        }
        if "text/event-stream" in upstream.headers.get("content-type", ""):
            return StreamingResponse(
                self._relay(client, upstream, recorded, record, secrets),
                upstream.status_code,
                headers,
            )
        try:
            content = await upstream.aread()
        finally:
            await upstream.aclose()
            await client.aclose()
        self._save(recorded, record, upstream, content, secrets)
        return Response(content, upstream.status_code, headers)

    async def _relay(
        self,
        client: httpx.AsyncClient,
        upstream: httpx.Response,
        recorded: RecordedRequest,
        record: RequestRecord,
        secrets: list[str],
    ) -> AsyncIterator[bytes]:
        chunks: list[bytes] = []
        try:
            async for chunk in upstream.aiter_bytes():
                chunks.append(chunk)
                yield chunk
        finally:
            await upstream.aclose()
            await client.aclose()
            self._save(recorded, record, upstream, b"".join(chunks), secrets)

    def _save(
        self,
        recorded: RecordedRequest,
        record: RequestRecord,
        upstream: httpx.Response,
        content: bytes,
        secrets: list[str],
    ) -> None:
        self.state.record(record)
        if self.recorder is not None:
            answer = recorded_response(upstream.status_code, upstream.headers, content, secrets)
            self.recorder.write(recorded, answer)


async def _events(answer: RecordedResponse) -> AsyncIterator[bytes]:
    for event in answer.events or ():
        yield f"{event}\n\n".encode()

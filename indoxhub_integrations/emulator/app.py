"""The Starlette application: routes, authentication, scripting, faults and the request log."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from . import analytics, control, dashboard, endpoints, media_endpoints, validation, video_endpoints
from .errors import ApiError, detail
from .pipeline import Answer, Call, mask_value, masked
from .shapes import DONE, sse
from .state import EmulatorState, RequestRecord, Script, describe_script
from .validation import Spec, parse_json

Handler = Callable[[Call, Any], Awaitable[Answer]]
TRANSPORT_KEY = "emulator.transport"
"""Scope key under which the emulator's HTTP protocol exposes the connection's transport."""
STREAM_ERROR = {"error": "Status 500: provider exploded"}
MALFORMED_EVENT = b'data: {"type": "response.content_part.delta", "delta": "trunc\n\n'
"""The ``malformed_json`` fault in a stream: an event whose data is cut-off JSON."""


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    raw = json.dumps(body, separators=(",", ":")).encode()
    return Response(raw, status, headers, media_type="application/json")


class DroppedConnection(Response):
    """Closes the connection without answering (the ``drop`` fault)."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = scope.get(TRANSPORT_KEY)
        if transport is not None:
            transport.close()
            await asyncio.sleep(0)  # let the server see the connection go before we return
            return
        # Another server: promise a body and never deliver it, so the connection is cut.
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{", "more_body": False})


def authenticate(request: Request, state: EmulatorState) -> None:
    """Accept ``Authorization: Bearer <api key or access token>`` (or the token cookie)."""
    header = request.headers.get("authorization")
    token = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
    if not token:
        token = request.cookies.get("access_token")
    challenge = {"WWW-Authenticate": "Bearer"}
    if not token:
        raise detail(401, "Not authenticated", challenge)
    if not state.authenticate(token):
        raise detail(401, "Invalid or expired token", challenge)


async def read_form(request: Request) -> FormData:
    try:
        return await request.form()
    except (HTTPException, ValueError, KeyError, AssertionError) as exc:
        raise detail(400, "There was an error parsing the body") from exc


def form_record(form: dict[str, Any]) -> dict[str, Any]:
    """The logged copy of a multipart form: files summarised, secrets masked."""
    logged: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, UploadFile):
            logged[key] = {
                "filename": value.filename,
                "content_type": value.content_type,
                "size": value.size,
            }
        elif key in ("byok_api_key", "api_key"):
            logged[key] = mask_value(value)
        else:
            logged[key] = value
    return logged


def scripted_response(script: Script, headers: dict[str, str]) -> Response:
    """The fixed status, headers and body of a script."""
    merged = {**headers, **(script.headers or {})}
    media_type = None if any(k.lower() == "content-type" for k in merged) else "application/json"
    if script.body is not None:
        raw = script.body
    elif script.json is not None:
        raw = json.dumps(script.json).encode()
    else:
        raw = json.dumps({"detail": HTTPStatus(script.status).phrase}).encode()
    return Response(raw, script.status, merged, media_type=media_type)


class Dispatcher:
    """Runs every API request through auth, scripting, the handler, latency and the log."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def route(
        self,
        path: str,
        handler: Handler,
        *,
        methods: Sequence[str] = ("POST",),
        endpoint: str | None = None,
        auth: bool = True,
        body: str | None = "json",
    ) -> Route:
        async def serve(request: Request) -> Response:
            return await self.dispatch(request, handler, endpoint, auth, body)

        return Route(path, serve, methods=list(methods))

    async def dispatch(
        self,
        request: Request,
        handler: Handler,
        endpoint: str | None,
        auth: bool,
        body_kind: str | None,
    ) -> Response:
        state = self.state
        request_id = f"req_{uuid.uuid4().hex}"
        path = request.scope["path"]
        record = RequestRecord(request.method, path, request_id=request_id, endpoint=endpoint)
        record.generation = state.generation
        call = Call(state, record, time.perf_counter(), _base_url(request), request=request)
        headers = {"X-Request-ID": request_id}
        form: FormData | None = None
        try:
            if auth:
                authenticate(request, state)
            payload: Any = None
            if body_kind == "json":
                payload = parse_json(await request.body())
                record.json = masked(payload)
            elif body_kind == "form":
                form = await read_form(request)
                payload = dict(form.items())
                record.json = form_record(payload)
            if isinstance(payload, dict) and isinstance(payload.get("model"), str):
                record.model = payload["model"]  # as asked; the handler stores the resolved id
            script = state.take_script(path, endpoint is not None)
            call.script = script
            if script is not None:
                record.fault = describe_script(script)
                if script.fixed:
                    record.status = script.status
                    fixed = scripted_response(script, headers)
                    self.finish(call, bytes(fixed.body))
                    return fixed
                if script.fault == "drop":
                    record.outcome = "dropped"
                    self.finish(call, None)
                    return DroppedConnection()
                if script.fault == "delay":
                    await asyncio.sleep(script.delay)
            answer = await handler(call, payload)
        except ApiError as error:
            record.status = error.status
            response: Response = json_response(
                error.finish(request_id), error.status, {**error.headers, **headers}
            )
            record.response = bytes(response.body)
        else:
            response = self.render(call, answer, headers)
        finally:
            if form is not None:
                await form.close()
        if state.latency:
            await asyncio.sleep(state.latency)
        self.finish(call, record.response)
        return response

    def finish(self, call: Call, body: bytes | list[bytes] | None) -> None:
        """Log the request with its answer's body and how long it took to start answering."""
        record = call.record
        record.response = body
        record.duration_ms = round((time.perf_counter() - call.started) * 1000, 3)
        self.state.record(record)

    def render(self, call: Call, answer: Answer, headers: dict[str, str]) -> Response:
        """Turn an answer into a response, corrupted as the request's fault says."""
        headers.update(answer.headers)
        script = call.script
        fault = script.fault if script is not None else None
        after = script.after_events if script is not None else 0
        if script is not None and script.headers:
            headers.update(script.headers)
        call.record.status = answer.status
        if fault in _OUTCOMES:
            call.record.outcome = _OUTCOMES[fault]
        if answer.events is not None:
            events = answer.events
            if fault == "cut_stream":
                events = events[:after]
            elif fault == "stream_error":
                events = [*events[:after], sse(STREAM_ERROR)]
            elif fault == "malformed_json":
                events = [*events[:after], MALFORMED_EVENT]
            else:
                events = [*events, DONE]
            call.record.response = events
            stream = self._stream(call.record, events, answer.event_delay, call.request)
            headers["Cache-Control"] = "no-cache"
            return StreamingResponse(stream, answer.status, headers, media_type="text/event-stream")
        if fault == "stream_error":
            call.record.status = 500
            response = json_response({"detail": STREAM_ERROR["error"]}, 500, headers)
            call.record.response = bytes(response.body)
            return response
        raw = json.dumps(answer.body, separators=(",", ":")).encode()
        if fault in ("malformed_json", "cut_stream"):
            raw = raw[: max(1, len(raw) // 2)]
        call.record.response = raw
        return Response(raw, answer.status, headers, media_type="application/json")

    async def _stream(
        self, record: RequestRecord, events: list[bytes], delay: float, request: Request
    ) -> AsyncIterator[bytes]:
        """Send ``events``; a client that closes early ends the stream quietly.

        Before every event the stream yields to the event loop and checks whether the client
        has gone, so a closed connection ends the stream before the next write: no
        ``socket.send() raised exception.`` noise. The record's ``outcome`` becomes
        ``"closed_by_client"`` then.
        """
        state = self.state
        stream_id = record.request_id
        state.open_stream(stream_id)
        finished = False
        try:
            for index, event in enumerate(events):
                await asyncio.sleep(delay if delay and index else 0)
                if await request.is_disconnected():
                    return
                if state.stream_stopped(stream_id):
                    yield DONE
                    finished = True
                    return
                yield event
            finished = True
        finally:
            if not finished:
                record.outcome = "closed_by_client"
            state.close_stream(stream_id)


_OUTCOMES = {"cut_stream": "cut", "stream_error": "error_event", "malformed_json": "malformed"}
"""The logged ``outcome`` of each fault that corrupts an answer."""


def _base_url(request: Request) -> str:
    host = request.headers.get("host")
    if not host:
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{request.scope.get('scheme', 'http')}://{host}"


async def _translation(call: Call, form: dict[str, Any]) -> Answer:
    return await media_endpoints.transcription(call, form, translate=True)


@dataclass(frozen=True)
class ApiRoute:
    """One API route: how the emulator serves it and how ``/openapi.json`` documents it."""

    path: str
    """The route path (Starlette syntax)."""
    handler: Handler
    """Answers the request."""
    summary: str
    """One line for the OpenAPI document."""
    methods: tuple[str, ...] = ("POST",)
    """HTTP methods."""
    endpoint: str | None = None
    """The usage endpoint of a model call (``None``: auth, catalog, account routes)."""
    auth: bool = True
    """Whether the route needs a key or token."""
    body: str | None = "json"
    """``"json"``, ``"form"`` (multipart upload) or ``None``."""
    spec: Spec | None = None
    """The validation spec of a JSON body (its OpenAPI request schema)."""
    stream: bool = False
    """Whether the route can answer with server-sent events."""
    documented: bool = True
    """Whether ``/openapi.json`` lists it (``False`` for an alias path)."""


_API = "/api/v1"
_GET = ("GET",)

API_ROUTES: tuple[ApiRoute, ...] = (
    ApiRoute(f"{_API}/chat/completions", endpoints.chat, "Chat", endpoint="chat",
             spec=validation.CHAT, stream=True),
    ApiRoute(f"{_API}/completions", endpoints.completion, "Text completion",
             endpoint="completion", spec=validation.COMPLETION, stream=True),
    ApiRoute(f"{_API}/embeddings", media_endpoints.embeddings, "Embeddings",
             endpoint="embedding", spec=validation.EMBEDDING),
    ApiRoute(f"{_API}/images/generations", media_endpoints.images, "Image generation",
             endpoint="image", spec=validation.IMAGE),
    ApiRoute(f"{_API}/audio/tts/generations", media_endpoints.speech, "Text to speech",
             endpoint="text_to_speech", spec=validation.TTS),
    ApiRoute(f"{_API}/audio/stt/transcriptions", media_endpoints.transcription,
             "Speech to text", endpoint="speech_to_text", body="form"),
    ApiRoute(f"{_API}/audio/stt/translations", _translation, "Translation to English",
             endpoint="translation", body="form"),
    ApiRoute(f"{_API}/videos/generations", video_endpoints.generate, "Video generation (a job)",
             endpoint="video", spec=validation.VIDEO),
    ApiRoute(f"{_API}/videos/jobs", video_endpoints.list_jobs, "The account's video jobs",
             methods=_GET, body=None),
    ApiRoute(f"{_API}/videos/jobs/{{job_id}}", video_endpoints.get_job, "One video job's status",
             methods=_GET, body=None),
    ApiRoute(f"{_API}/videos/jobs/{{job_id}}/cancel", video_endpoints.cancel_job,
             "Cancel a video job", body=None),
    ApiRoute("/v1/chat/completions", endpoints.openai_chat, "OpenAI chat", endpoint="chat",
             spec=validation.OPENAI_CHAT, stream=True),
    ApiRoute("/v1/embeddings", media_endpoints.openai_embeddings, "OpenAI embeddings",
             endpoint="embedding", spec=validation.OPENAI_EMBEDDING),
    # the docs' OpenAI SDK example sets base_url to the server root (no /v1)
    ApiRoute("/chat/completions", endpoints.openai_chat, "OpenAI chat at the server root",
             endpoint="chat", spec=validation.OPENAI_CHAT, stream=True),
    ApiRoute("/embeddings", media_endpoints.openai_embeddings,
             "OpenAI embeddings at the server root", endpoint="embedding",
             spec=validation.OPENAI_EMBEDDING),
    ApiRoute(f"{_API}/auth/api-key", control.exchange_key,
             "Exchange the API key for an access token", auth=False, body=None),
    ApiRoute(f"{_API}/models", control.list_models, "Every provider's models, with pricing",
             methods=_GET, body=None, documented=False),
    ApiRoute(f"{_API}/models/", control.list_models, "Every provider's models, with pricing",
             methods=_GET, body=None),
    ApiRoute(f"{_API}/models/{{provider}}", control.get_provider, "One provider's models",
             methods=_GET, body=None),
    ApiRoute(f"{_API}/models/{{provider}}/{{model:path}}", control.get_model, "One model",
             methods=_GET, body=None),
    ApiRoute(f"{_API}/user/me", control.me, "The account", methods=_GET, body=None),
    ApiRoute(f"{_API}/user/usage", control.usage, "The account's usage report", methods=_GET,
             body=None),
    ApiRoute(f"{_API}/analytics/usage", analytics.usage, "Usage analytics (grouped, filtered)",
             methods=_GET, body=None),
    ApiRoute(f"{_API}/chat/stop-stream/{{stream_id}}", control.stop_stream,
             "Stop a chat stream", body=None),
    ApiRoute(f"{_API}/completions/stop-stream/{{stream_id}}", control.stop_stream,
             "Stop a completion stream", body=None),
)  # fmt: skip
"""Every API route, once: the app serves these and ``/openapi.json`` documents them."""


def build_app(state: EmulatorState) -> Starlette:
    """The emulator's ASGI application over ``state``."""
    d = Dispatcher(state)
    routes: list[BaseRoute] = [
        d.route(r.path, r.handler, methods=r.methods, endpoint=r.endpoint, auth=r.auth,
                body=r.body)
        for r in API_ROUTES
    ]  # fmt: skip
    routes += [
        *control.emulator_routes(state),
        *dashboard.routes(),
        Route("/openapi.json", _openapi, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error},
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing errors (unknown path, wrong method) as FastAPI's ``{"detail": ...}``."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    text = exc.detail if isinstance(exc, HTTPException) else "Internal Server Error"
    return json_response({"detail": text}, status, getattr(exc, "headers", None))


async def _openapi(_: Request) -> Response:
    """``GET /openapi.json``: the OpenAPI document of the API routes (no authentication)."""
    from .openapi import openapi_schema

    return json_response(openapi_schema())

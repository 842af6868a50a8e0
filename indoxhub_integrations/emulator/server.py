"""``IndoxHubEmulator``: the emulator served by uvicorn on a loopback port in a daemon thread."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import uvicorn
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import dashboard
from .app import TRANSPORT_KEY, build_app
from .proxy import Proxy
from .state import EmulatorState, RequestRecord, Script

_START_TIMEOUT = 10.0


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it,
    # Nagle's algorithm and delayed ACKs add ~40 ms to every answer sent in two writes.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


class EmulatorProtocol(H11Protocol):
    """uvicorn's h11 protocol, exposing the transport in the scope so a fault can drop it."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        inner = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope[TRANSPORT_KEY] = transport
            await inner(scope, receive, send)  # type: ignore[arg-type]

        self.app = app  # type: ignore[assignment]


def server_config(app: Any, host: str, port: int, *, foreground: bool = False) -> uvicorn.Config:
    """The uvicorn configuration the emulator runs with (quiet, no access log)."""
    options: dict[str, Any] = {}
    if not foreground:
        options["log_config"] = None  # leave the host process's logging alone
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=EmulatorProtocol,
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        **options,
    )


class IndoxHubEmulator:
    """A local indoxhub-compatible server for tests, demos and notebooks.

    Example::

        with IndoxHubEmulator(credits=5.0) as emulator:
            client = IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)

    Args:
        credits: Starting platform credits in USD.
        tier: ``free``, ``standard``, ``enterprise`` or ``unlimited`` (no platform rate limit).
        response_style: ``responses``, ``legacy`` or ``openai``: the shape of chat answers.
        latency: Seconds added to every API answer.
        api_key: The platform key the emulator accepts.
        require_token_exchange: Accept only access tokens from ``POST /api/v1/auth/api-key``.
        token_ttl: Lifetime of access tokens in seconds (``None``: until ``expire_tokens()``).
        host: Interface to listen on.
        port: Port to listen on (0: a free port).
        video_steps: Polls a video job spends in progress before it completes (0: it completes
            on its first poll); ``additional_params.emulator_video_steps`` sets it per request.
        upstream: Forward every API request to this service (``https://api.indoxhub.com``;
            plain ``http://`` only to loopback) instead of emulating it.
        upstream_api_key: The platform key for the upstream: a client using the emulator's
            ``api_key`` is forwarded with this key instead (without it, the client's own
            credentials are forwarded as they are).
        record_to: With ``upstream``: append every exchange to this JSON-lines file, without
            keys, access tokens or cookies.
        replay: Answer API requests from exchanges recorded in this file, offline; a request
            that was not recorded gets a 501 naming it.
        models: Extra model names to serve, e.g. ``["openai/my-finetune", "acme/chat-1"]``
            (``provider/name``, optionally ``:type``; see
            :func:`~indoxhub_integrations.emulator.catalog.user_model`).
        strict_schema: Keep only the fields the documented ``ChatMessage`` schema declares
            (``role``, ``content``), as a server that drops undeclared fields would; a tool
            turn without its preceding tool call is then answered with a 400, as providers do.
    """

    def __init__(
        self,
        credits: float = 100.0,
        tier: str = "unlimited",
        response_style: str = "responses",
        latency: float = 0.0,
        *,
        api_key: str = "ixh-emulator-key",
        require_token_exchange: bool = False,
        token_ttl: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        video_steps: int = 2,
        upstream: str | None = None,
        upstream_api_key: str | SecretStr | None = None,
        record_to: str | os.PathLike[str] | None = None,
        replay: str | os.PathLike[str] | None = None,
        models: Sequence[str] = (),
        strict_schema: bool = False,
    ) -> None:
        self._state = EmulatorState.create(
            credits=credits,
            tier=tier,
            style=response_style,
            latency=latency,
            api_key=api_key,
            require_token_exchange=require_token_exchange,
            token_ttl=token_ttl,
            models=models,
            strict_schema=strict_schema,
        )
        self._state.video_steps = video_steps
        self.app: Any = build_app(self._state)
        self._proxy: Proxy | None = None
        if upstream is not None or record_to is not None or replay is not None:
            self._proxy = Proxy(
                self._state,
                upstream=upstream,
                upstream_api_key=upstream_api_key,
                record_to=record_to,
                replay=replay,
            )
            self.app = self._proxy.wrap(self.app)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"IndoxHubEmulator(base_url={self.base_url!r}, {state})"

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> IndoxHubEmulator:
        """Start serving in a daemon thread; return once the server accepts connections."""
        if self.running:
            return self
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(server_config(self.app, self.host, self.port))
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"indoxhub-emulator-{self.port}",
            daemon=True,
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            thread.join(0.005)
            if not thread.is_alive():
                sock.close()
                raise RuntimeError("the indoxhub emulator failed to start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the indoxhub emulator did not start in time")
        with socket.create_connection((self._connect_host, self.port), timeout=_START_TIMEOUT):
            pass
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        if sock is not None:
            sock.close()

    def __enter__(self) -> IndoxHubEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------------------

    @property
    def _connect_host(self) -> str:
        return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)

    @property
    def base_url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:PORT`` (without ``/api/v1``)."""
        host = self._connect_host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def dashboard_url(self) -> str:
        """The dashboard page (credits, spend, the live request log and controls)."""
        return dashboard.url(self.base_url)

    @property
    def api_key(self) -> str:
        """The platform API key the emulator accepts."""
        return self._state.api_key

    # --- account and scripting -------------------------------------------------------------------

    @property
    def credits(self) -> float:
        """The remaining platform credits in USD."""
        return self._state.credits

    def set_credits(self, usd: float) -> None:
        self._state.set_credits(usd)

    @property
    def tier(self) -> str:
        return self._state.tier

    def set_tier(self, name: str) -> None:
        """Switch the account tier (and start its rate-limit windows afresh)."""
        self._state.set_tier(name)

    @property
    def response_style(self) -> str:
        return self._state.style

    def set_response_style(self, style: str) -> None:
        """``responses``, ``legacy`` or ``openai``."""
        self._state.set_style(style)

    def set_latency(self, seconds: float) -> None:
        self._state.set_latency(seconds)

    def enqueue(
        self,
        path: str | None = None,
        *,
        status: int = 200,
        json: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        content: str | None = None,
        tool_calls: list[Any] | None = None,
        usage: dict[str, Any] | None = None,
        fault: str | None = None,
        after_events: int = 0,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Script the answer to the next ``times`` requests whose path ends with ``path``.

        ``path=None`` matches any model call (chat, completions, embeddings, images, audio,
        ``/v1/...``), not the auth, catalog or account routes. A script is one of:

        - a fixed answer: ``status`` with ``json`` or raw ``body`` (and ``headers``);
        - a normal answer with ``content``, ``tool_calls`` and/or ``usage`` overridden
          (``usage`` keys: ``input_tokens``, ``output_tokens``, ``reasoning_tokens``, ``cost``);
        - a fault: ``"delay"`` (wait ``delay`` seconds, then answer normally), ``"drop"``
          (close the connection without answering), ``"cut_stream"`` (``after_events`` events,
          then the stream ends without ``response.done``/``[DONE]``; a truncated body when not
          streaming), ``"stream_error"`` (``after_events`` events, then an ``{"error": ...}``
          event; a 500 when not streaming) or ``"malformed_json"`` (200 with truncated JSON; in a
          stream, ``after_events`` events and then one whose JSON is cut off);
        - a video job outcome (for ``/videos/generations``): ``"video_failed"`` (the job fails
          with a content-policy error once its progress steps are done) or ``"video_stuck"``
          (the job stays in progress until cancelled).

        Faults other than ``delay`` cost nothing and skip rate limits and credit checks.
        """
        self._state.enqueue(
            Script(
                path=path,
                status=status,
                json=json,
                body=body,
                headers=headers,
                content=content,
                tool_calls=tool_calls,
                usage=usage,
                fault=fault,
                after_events=after_events,
                delay=delay,
                times=times,
            )
        )

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log (secrets masked, no headers)."""
        return self._state.requests()

    def usage(self) -> dict[str, Any]:
        """The same report as ``GET /api/v1/user/usage``."""
        return self._state.usage()

    def expire_tokens(self) -> None:
        """Invalidate every access token issued by ``POST /api/v1/auth/api-key``."""
        self._state.expire_tokens()

    def reset(self) -> None:
        """Credits, tier, style, latency, scripts, log and usage back to the start values
        (and, when replaying, every request's recorded answers from the first again)."""
        self._state.reset()
        if self._proxy is not None:
            self._proxy.rewind()

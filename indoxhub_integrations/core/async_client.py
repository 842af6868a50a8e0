"""``AsyncIndoxHubClient``: the asynchronous twin of ``IndoxHubClient``.

Every decision is made in :class:`~indoxhub_integrations.core.base.BaseClient`; this module
only awaits the I/O.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import aclosing
from typing import Any

import httpx
from pydantic import SecretStr

from . import endpoints as ep
from .base import (
    LIMITS,
    BaseClient,
    Call,
    Key,
    Outcome,
    T,
    logger,
    protect_key,
    tls_context,
    transport_error,
)
from .catalog import parse_model_catalog
from .endpoints import AudioInput
from .errors import IndoxHubError, InvalidRequestError
from .media_download import afetch_speech
from .streaming import SSEDecoder
from .transport import NATIVE_ASYNC_LIMITS, async_transport, with_response_cookies
from .video import parse_video_jobs
from .wire import (
    ChatResult,
    EmbeddingResult,
    ImageResult,
    ModelInfo,
    SpeechResult,
    StreamEvent,
    TranscriptionResult,
    VideoJob,
    VideoResult,
)


async def _with_end(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes | None]:
    async for chunk in chunks:
        yield chunk
    yield None


class AsyncIndoxHubClient(BaseClient):
    """Asynchronous indoxhub client; the same methods as :class:`IndoxHubClient`, awaited."""

    _http: httpx.AsyncClient | None = None

    def _reset_io(self) -> None:
        self._http = None
        self._async_token_lock: asyncio.Lock | None = None
        self._async_catalog_lock: asyncio.Lock | None = None

    def _init_state(self) -> None:
        super()._init_state()
        self._reset_io()

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying ``httpx.AsyncClient``, created on first use."""
        if self._http is None:
            options = self._http_options()
            transport = async_transport(
                self.settings.http_transport, options["base_url"], LIMITS, tls_context(),
                trust_env=options["trust_env"],
            )  # fmt: skip
            limits = LIMITS if transport else NATIVE_ASYNC_LIMITS
            self._http = with_response_cookies(
                httpx.AsyncClient(
                    limits=limits, verify=tls_context(), transport=transport, **options
                )
            )
        return self._http

    async def aclose(self) -> None:
        """Close pooled connections."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> AsyncIndoxHubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _exchange(self, seen: SecretStr | None = None) -> None:
        if self._async_token_lock is None:
            self._async_token_lock = asyncio.Lock()
        async with self._async_token_lock:
            if self._token.token is not None and self._token.token is not seen:
                return  # another task refreshed the token meanwhile: use that one
            call = self._exchange_call()
            try:
                response = await self.http.request(
                    call.method, call.path, headers=self._exchange_headers()
                )
            except httpx.HTTPError as exc:
                raise transport_error(exc) from None
            self._store_token(
                response.status_code, self._decode(response.content), response.headers
            )

    async def _read(self, call: Call[Any], response: httpx.Response, deadline: float) -> bytes:
        """Read a whole answer, within the size limit and the attempt's deadline."""
        try:
            self._check_content_length(call, response.headers)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                self._check_progress(call, response, size, deadline)
            return b"".join(chunks)
        finally:
            await response.aclose()

    async def _open(self, call: Call[Any], *, stream: bool) -> tuple[httpx.Response, bytes]:
        attempt, reauthed = 0, False
        if self._budget_needs_catalog(call):  # a strict budget prices the worst case
            await self._load_catalog()
        while True:
            if call.authenticated and self._should_exchange_first():
                await self._exchange()
            seen = self._token.token
            http = self.http
            request = self._build_request(http, call)
            started = time.perf_counter()
            deadline = self._deadline()
            content = b""
            try:
                response = await http.send(request, stream=True)
                if not (stream and 200 <= response.status_code < 300):
                    content = await self._read(call, response, deadline)
            except httpx.HTTPError as exc:
                self._record_transport_error(call, exc)
                error = transport_error(exc)
            except IndoxHubError as exc:  # past the deadline, or over the size limit
                self._record_attempt(call, "unknown", status=response.status_code)
                error = exc
            else:
                if 200 <= response.status_code < 300:
                    return response, content
                self._record_attempt(
                    call, "failed", status=response.status_code, headers=response.headers
                )
                if self._should_reauth(response.status_code, call, reauthed, content):
                    reauthed = True
                    await self._exchange(seen)
                    continue
                error = self._response_error(call, response, content, started)
                content = b""  # a body may echo a key: not kept where tracebacks show locals
            await asyncio.sleep(self._delay_or_raise(call, attempt, error))
            attempt += 1

    async def _run(self, call: Call[T]) -> T:
        started = time.perf_counter()
        response, content = await self._open(call, stream=False)
        try:
            result = self._result(call, response.status_code, response.headers, content, started)
        except IndoxHubError:  # answered 2xx, but unreadable: the cost is unknown
            self._record_attempt(call, "unknown", status=response.status_code)
            raise
        usage = getattr(result, "usage", None)
        if self._needs_catalog(usage, call.byok):
            await self._load_catalog()
        if self._needs_estimate(usage, call.byok):
            result = self._apply_estimate(result)
        return self._record_result(call, result)

    async def _stream(self, call: Call[Any]) -> AsyncGenerator[StreamEvent, None]:
        attempt = 0
        while True:
            started = time.perf_counter()
            response, _ = await self._open(call, stream=True)
            assembler = self._assembler(call, response.headers)
            decoder = SSEDecoder()
            yielded = False
            done: StreamEvent | None = None
            outcome: Outcome = "aborted"  # until the stream ends or breaks
            try:
                try:
                    async for chunk in _with_end(response.aiter_bytes()):
                        for data in decoder.feed(chunk) if chunk is not None else decoder.flush():
                            for event in assembler.feed(data):
                                yielded = True
                                if event.type == "done":
                                    done = event  # finished once the connection is released
                                else:
                                    yield event
                    assembler.finish()
                    outcome = "completed"
                except httpx.HTTPError as exc:
                    outcome = "unknown"
                    delay = self._stream_retry_delay(call, attempt, exc, yielded)
                    await asyncio.sleep(delay)
                    attempt += 1
                    continue
                except IndoxHubError as exc:
                    outcome = "unknown"
                    raise self._stream_failure(call, response.headers, exc) from None
            finally:
                await response.aclose()
                if outcome != "completed" or done is None:  # else the done event records it
                    self._record_attempt(
                        call, "unknown" if outcome == "completed" else outcome,
                        status=response.status_code, headers=response.headers,
                    )  # fmt: skip
            # The connection is back in the pool before a cost estimate may fetch the catalog:
            # with every pooled connection held by a stream, that fetch would otherwise wait.
            if done is not None:
                yield await self._finish_event(done, call, started)
            return

    async def _finish_event(
        self, event: StreamEvent, call: Call[Any], started: float
    ) -> StreamEvent:
        if self._needs_catalog(event.usage, call.byok):
            await self._load_catalog()
        return self._complete_event(event, started, call)

    async def _load_catalog(self) -> None:
        if self._async_catalog_lock is None:
            self._async_catalog_lock = asyncio.Lock()
        async with self._async_catalog_lock:
            if self._catalog.models is not None:
                return
            try:
                self._store_catalog(await self.list_models())
            except IndoxHubError as exc:
                logger.debug("cost estimate unavailable: catalog fetch failed (%s)", exc)
                self._store_catalog(None)

    @protect_key
    async def chat(
        self,
        messages: Any,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatResult:
        """Send a chat request (see :meth:`IndoxHubClient.chat`)."""
        call = self._plan(
            ep.CHAT, messages, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=False,
        )  # fmt: skip
        try:
            result: ChatResult = await self._run(call)
        except InvalidRequestError as exc:  # a server that dropped the tool-call fields
            retry = self._tool_fallback(call, exc)
            if retry is None:
                raise
            result = await self._run(retry)
        return result

    @protect_key
    async def stream_chat(
        self,
        messages: Any,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Stream a chat answer: ``async for event in await client.stream_chat(...)``."""
        call = self._plan(
            ep.CHAT, messages, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=True,
        )  # fmt: skip
        return self._stream_chat(call)

    async def _stream_chat(self, call: Call[ChatResult]) -> AsyncIterator[StreamEvent]:
        """Stream a chat; a rejected tool history is resent folded before the first event."""
        started = False
        try:
            # aclosing: a consumer that stops early closes the attempt now (its usage record
            # is emitted in the consumer's context), not when the garbage collector gets to it.
            async with aclosing(self._stream(call)) as events:
                async for event in events:
                    started = True
                    yield event
        except InvalidRequestError as exc:
            retry = None if started else self._tool_fallback(call, exc)
            if retry is None:
                raise
            async with aclosing(self._stream(retry)) as events:
                async for event in events:
                    yield event

    @protect_key
    async def complete(
        self,
        prompt: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatResult:
        """Send a text completion request."""
        call = self._plan(
            ep.COMPLETION, prompt, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=False,
        )  # fmt: skip
        return await self._run(call)

    @protect_key
    async def stream_complete(
        self,
        prompt: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Stream a text completion: ``async for event in await client.stream_complete(...)``."""
        call = self._plan(
            ep.COMPLETION, prompt, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=True,
        )  # fmt: skip
        return self._stream(call)

    @protect_key
    async def embed(
        self,
        texts: str | list[str],
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> EmbeddingResult:
        """Embed texts; vectors in input order."""
        call = self._plan(
            ep.EMBEDDING, texts, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params,
        )  # fmt: skip
        return await self._run(call)

    @protect_key
    async def generate_image(
        self,
        prompt: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ImageResult:
        """Generate images."""
        call = self._plan(
            ep.IMAGE, prompt, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params,
        )  # fmt: skip
        return await self._run(call)

    @protect_key
    async def text_to_speech(
        self,
        input: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> SpeechResult:
        """Synthesise speech."""
        call = self._plan(
            ep.SPEECH, input, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params,
        )  # fmt: skip
        return await afetch_speech(await self._run(call), soft=True)  # a URL answer: its bytes

    @protect_key
    async def speech_to_text(
        self,
        file: AudioInput,
        *,
        model: str,
        byok_api_key: Key = None,
        filename: str | None = None,
        **params: Any,
    ) -> TranscriptionResult:
        """Transcribe audio."""
        call = self._plan(
            ep.TRANSCRIPTION, file, model, params, byok_api_key=byok_api_key, filename=filename
        )
        return await self._run(call)

    @protect_key
    async def translate_audio(
        self,
        file: AudioInput,
        *,
        model: str,
        byok_api_key: Key = None,
        filename: str | None = None,
        **params: Any,
    ) -> TranscriptionResult:
        """Translate audio into English text."""
        call = self._plan(
            ep.TRANSLATION, file, model, params, byok_api_key=byok_api_key, filename=filename
        )
        return await self._run(call)

    # ------------------------------------------------------------------ video
    @protect_key
    async def generate_video(
        self,
        prompt: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> VideoJob:
        """Start a video generation job; returns at once with the job (id, status, cost).

        Options: ``aspect_ratio``, ``resolution``, ``duration``, ``n``, ``size``,
        ``input_image``, ``reference_image(s)``, ``generate_audio``, ``negative_prompt``,
        ``person_generation``, ``last_frame``, ``video``, ``response_format`` go top level;
        anything else (Sora's ``seconds``, ``fps``, ``seed``...) in ``additional_params``.
        Values the provider's documented limits rule out are refused before sending. Wait for
        the videos with :meth:`wait_for_video`.
        """
        call = self._plan(
            ep.VIDEO, prompt, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params,
        )  # fmt: skip
        job: VideoJob = await self._run(call)
        return self._with_downloader(job)

    async def get_video_job(self, job: VideoJob | str) -> VideoJob:
        """Poll a video job once: its status, progress and (when completed) videos."""
        result: VideoJob = await self._run(ep.video_job_call(job))
        return self._with_downloader(result)

    async def list_video_jobs(self, *, limit: int = 20, skip: int = 0) -> list[VideoJob]:
        """The account's video jobs (newest first on the emulator), ``limit`` at a time."""
        body = await self._run(ep.video_jobs_call(limit, skip))
        return [self._with_downloader(job) for job in parse_video_jobs(body, {})]

    async def cancel_video_job(self, job: VideoJob | str) -> dict[str, Any]:
        """Cancel a video job that has not finished; returns the server's answer."""
        result: dict[str, Any] = await self._run(ep.video_job_call(job, "cancel"))
        return result

    async def wait_for_video(
        self,
        job: VideoJob | str,
        *,
        poll_interval: float = 5.0,
        timeout: float | None = 600.0,
        on_progress: Callable[[VideoJob], Any] | None = None,
        show_progress: bool = False,
    ) -> VideoResult:
        """Poll ``job`` until it completes, backing off from ``poll_interval`` to 30 s.

        Args:
            job: The :class:`VideoJob` from :meth:`generate_video` (its cost is carried into
                the result), or a job id.
            poll_interval: Seconds before the second poll.
            timeout: Seconds to wait in all (None: no limit).
            on_progress: Called with every polled :class:`VideoJob` (awaited when it returns
                an awaitable).
            show_progress: Show a ``tqdm`` progress bar.

        Returns:
            The videos (``url``, ``content_type``, ``file_size``, ``save(path)``) and the
            job's usage.

        Raises:
            VideoGenerationError: The job failed (the server's message).
            VideoJobCancelledError: The job was cancelled.
            VideoWaitTimeout: ``timeout`` passed; the job keeps running (the message says how
                to resume).
        """
        wait, close = self._video_wait(
            job, poll_interval=poll_interval, timeout=timeout, on_progress=on_progress,
            show_progress=show_progress,
        )  # fmt: skip
        try:
            while True:
                job = await self.get_video_job(wait.job_id)
                reported = wait.report(job)
                if inspect.isawaitable(reported):
                    await reported  # an async on_progress (a LangChain async run manager's)
                step = wait.judge(job)
                if isinstance(step, VideoResult):
                    return self._with_downloader(step)
                await asyncio.sleep(step)
        finally:
            close()

    async def list_models(self, provider: str | None = None) -> list[ModelInfo]:
        """The model catalog with pricing."""
        body = await self._run(ep.get_call(ep.catalog_path(provider)))
        return parse_model_catalog(body, provider=provider)

    async def get_model(self, model: str) -> ModelInfo:
        """One model's catalog entry."""
        body = await self._run(ep.get_call(ep.model_path(model)))
        return ep.select_model(parse_model_catalog(body, provider=model.split("/", 1)[0]), model)

    async def me(self) -> dict[str, Any]:
        """The account: ``credits``, ``account_tier``..."""
        result: dict[str, Any] = await self._run(ep.get_call("user/me"))
        return result

    async def usage(self) -> dict[str, Any]:
        """The account's usage report."""
        result: dict[str, Any] = await self._run(ep.get_call("user/usage"))
        return result

    async def analytics_usage(
        self,
        *,
        start_date: datetime.date | str | None = None,
        end_date: datetime.date | str | None = None,
        group_by: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        endpoint: str | None = None,
        session_id: str | None = None,
        include_content: bool | None = None,
    ) -> dict[str, Any]:
        """The account's usage analytics (``GET /api/v1/analytics/usage``).

        Args:
            start_date: First day (a ``date`` or ISO string).
            end_date: Last day.
            group_by: ``date``, ``model``, ``provider``, ``endpoint``, ``session_id`` or
                ``client_ip``.
            provider: Only this provider.
            model: Only this model.
            endpoint: Only this endpoint.
            session_id: Only this session.
            include_content: Ask for request contents where the server has them.

        Returns:
            The server's answer as a dict: its shape is not documented (the emulator answers
            ``{"group_by", "start_date", "end_date", "total_requests", "total_cost", "data":
            [{"key", "requests", "cost", "tokens": {"input", "output", "total"}}]}``).
        """
        filters = {
            "start_date": start_date, "end_date": end_date, "group_by": group_by,
            "provider": provider, "model": model, "endpoint": endpoint,
            "session_id": session_id, "include_content": include_content,
        }  # fmt: skip
        result: dict[str, Any] = await self._run(ep.analytics_call(filters))
        return result

    async def stop_stream(self, stream_id: str, *, endpoint: str = "chat") -> dict[str, Any]:
        """Ask the server to stop a running stream."""
        call: Call[dict[str, Any]] = Call("POST", ep.stop_stream_path(stream_id, endpoint))
        result: dict[str, Any] = await self._run(call)
        return result

"""``IndoxHubClient`` (and, re-exported, ``AsyncIndoxHubClient``): one method per endpoint.

Both inherit every decision from :class:`~indoxhub_integrations.core.base.BaseClient`; they
only send requests, sleep between retries and read streams.
"""

from __future__ import annotations

import datetime
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from . import endpoints as ep
from .async_client import AsyncIndoxHubClient
from .base import (
    LIMITS,
    SYNC_LIMITS,
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
from .media_download import fetch_speech
from .streaming import SSEDecoder
from .transport import with_response_cookies
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


class IndoxHubClient(BaseClient):
    """Synchronous indoxhub client. Thread-safe; share one per process."""

    _http: httpx.Client | None = None

    def _reset_io(self) -> None:
        self._http = None
        self._http_lock = threading.Lock()

    def _init_state(self) -> None:
        super()._init_state()
        self._reset_io()

    @property
    def http(self) -> httpx.Client:
        """The underlying ``httpx.Client``, created on first use."""
        if self._http is None:
            with self._http_lock:
                if self._http is None:
                    self._http = with_response_cookies(
                        httpx.Client(
                            limits=SYNC_LIMITS, verify=tls_context(), **self._http_options()
                        )
                    )
        return self._http

    def close(self) -> None:
        """Close pooled connections."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> IndoxHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport
    def _exchange(self, seen: SecretStr | None = None) -> None:
        with self._token.lock:
            if self._token.token is not None and self._token.token is not seen:
                return  # another thread refreshed the token meanwhile: use that one
            call = self._exchange_call()
            try:
                response = self.http.request(
                    call.method, call.path, headers=self._exchange_headers()
                )
            except httpx.HTTPError as exc:
                raise transport_error(exc) from None
            self._store_token(
                response.status_code, self._decode(response.content), response.headers
            )

    def _read(self, call: Call[Any], response: httpx.Response, deadline: float) -> bytes:
        """Read a whole answer, within the size limit and the attempt's deadline."""
        try:
            self._check_content_length(call, response.headers)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                self._check_progress(call, response, size, deadline)
            return b"".join(chunks)
        finally:
            response.close()

    def _open(self, call: Call[Any], *, stream: bool) -> tuple[httpx.Response, bytes]:
        """Send ``call`` with auth and retries; return a successful response and its body
        (for a stream, the response unread and no body)."""
        attempt, reauthed = 0, False
        if self._budget_needs_catalog(call):  # a strict budget prices the worst case
            self._load_catalog()
        while True:
            if call.authenticated and self._should_exchange_first():
                self._exchange()
            seen = self._token.token
            http = self.http
            request = self._build_request(http, call)
            started = time.perf_counter()
            deadline = self._deadline()
            content = b""
            try:
                response = http.send(request, stream=True)
                if not (stream and 200 <= response.status_code < 300):
                    content = self._read(call, response, deadline)
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
                    self._exchange(seen)
                    continue
                error = self._response_error(call, response, content, started)
                content = b""  # a body may echo a key: not kept where tracebacks show locals
            time.sleep(self._delay_or_raise(call, attempt, error))
            attempt += 1

    def _run(self, call: Call[T]) -> T:
        started = time.perf_counter()
        response, content = self._open(call, stream=False)
        try:
            result = self._result(call, response.status_code, response.headers, content, started)
        except IndoxHubError:  # answered 2xx, but unreadable: the cost is unknown
            self._record_attempt(call, "unknown", status=response.status_code)
            raise
        usage = getattr(result, "usage", None)
        if self._needs_catalog(usage, call.byok):
            self._load_catalog()
        if self._needs_estimate(usage, call.byok):
            result = self._apply_estimate(result)
        return self._record_result(call, result)

    def _stream(self, call: Call[Any]) -> Iterator[StreamEvent]:
        attempt = 0
        while True:
            started = time.perf_counter()
            response, _ = self._open(call, stream=True)
            assembler = self._assembler(call, response.headers)
            decoder = SSEDecoder()
            yielded = False
            done: StreamEvent | None = None
            outcome: Outcome = "aborted"  # until the stream ends or breaks
            try:
                try:
                    for chunk in itertools.chain(response.iter_bytes(), (None,)):
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
                    time.sleep(delay)
                    attempt += 1
                    continue
                except IndoxHubError as exc:
                    outcome = "unknown"
                    raise self._stream_failure(call, response.headers, exc) from None
            finally:
                response.close()
                if outcome != "completed" or done is None:  # else the done event records it
                    self._record_attempt(
                        call, "unknown" if outcome == "completed" else outcome,
                        status=response.status_code, headers=response.headers,
                    )  # fmt: skip
            # The connection is back in the pool before a cost estimate may fetch the catalog:
            # with every pooled connection held by a stream, that fetch would otherwise wait.
            if done is not None:
                yield self._finish_event(done, call, started)
            return

    def _finish_event(self, event: StreamEvent, call: Call[Any], started: float) -> StreamEvent:
        if self._needs_catalog(event.usage, call.byok):
            self._load_catalog()
        return self._complete_event(event, started, call)

    def _load_catalog(self) -> None:
        with self._catalog.lock:
            if self._catalog.models is not None:
                return
            try:
                self._store_catalog(self.list_models())
            except IndoxHubError as exc:
                logger.debug("cost estimate unavailable: catalog fetch failed (%s)", exc)
                self._store_catalog(None)

    # ------------------------------------------------------------------ endpoints
    @protect_key
    def chat(
        self,
        messages: Any,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatResult:
        """Send a chat request.

        Args:
            messages: ``[{"role": ..., "content": ...}, ...]`` in indoxhub's form.
            model: ``provider/model``.
            byok_api_key: This request's own provider key (highest precedence).
            additional_params: Provider options sent in ``additional_params``.
            **params: ``temperature``, ``max_tokens``, ``top_p``, ``frequency_penalty`` and
                ``presence_penalty`` are sent top level; any other option (``tools``,
                ``tool_choice``, ``stop``, ``response_format``, ``seed``...) is sent in
                ``additional_params``. ``None`` values are omitted.
        """
        call = self._plan(
            ep.CHAT, messages, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=False,
        )  # fmt: skip
        try:
            result: ChatResult = self._run(call)
        except InvalidRequestError as exc:  # a server that dropped the tool-call fields
            retry = self._tool_fallback(call, exc)
            if retry is None:
                raise
            result = self._run(retry)
        return result

    @protect_key
    def stream_chat(
        self,
        messages: Any,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Iterator[StreamEvent]:
        """Stream a chat answer; the last event has ``type == "done"`` with usage and meta.

        The request is validated (and BYOK checked) when this is called, before iterating.
        """
        call = self._plan(
            ep.CHAT, messages, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=True,
        )  # fmt: skip
        return self._stream_chat(call)

    def _stream_chat(self, call: Call[ChatResult]) -> Iterator[StreamEvent]:
        """Stream a chat; a rejected tool history is resent folded before the first event."""
        started = False
        try:
            for event in self._stream(call):
                started = True
                yield event
        except InvalidRequestError as exc:
            retry = None if started else self._tool_fallback(call, exc)
            if retry is None:
                raise
            yield from self._stream(retry)

    @protect_key
    def complete(
        self,
        prompt: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ChatResult:
        """Send a text completion request (same options as :meth:`chat`)."""
        call = self._plan(
            ep.COMPLETION, prompt, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=False,
        )  # fmt: skip
        return self._run(call)

    @protect_key
    def stream_complete(
        self,
        prompt: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Iterator[StreamEvent]:
        """Stream a text completion; the last event has ``type == "done"``."""
        call = self._plan(
            ep.COMPLETION, prompt, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params, stream=True,
        )  # fmt: skip
        return self._stream(call)

    @protect_key
    def embed(
        self,
        texts: str | list[str],
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> EmbeddingResult:
        """Embed one text or a list of texts; vectors come back in input order.

        ``dimensions`` and other options go in ``additional_params``.
        """
        call = self._plan(
            ep.EMBEDDING, texts, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params,
        )  # fmt: skip
        return self._run(call)

    @protect_key
    def generate_image(
        self,
        prompt: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> ImageResult:
        """Generate images. Options: ``size``, ``n``, ``quality``, ``style``,
        ``response_format``, ``aspect_ratio`` (Google) and the other documented fields."""
        call = self._plan(
            ep.IMAGE, prompt, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params,
        )  # fmt: skip
        return self._run(call)

    @protect_key
    def text_to_speech(
        self,
        input: str,
        *,
        model: str,
        byok_api_key: Key = None,
        additional_params: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> SpeechResult:
        """Synthesise speech. Options: ``voice``, ``instructions``, ``response_format``,
        ``speed``.

        The documented answer is a URL: its audio is downloaded too (https, or http to a
        loopback host; see :mod:`.media_download`), so ``audio`` and ``url`` are both set. A
        failed download leaves ``audio`` None and logs a warning; the request was answered.
        """
        call = self._plan(
            ep.SPEECH, input, model, params, byok_api_key=byok_api_key,
            additional_params=additional_params,
        )  # fmt: skip
        return fetch_speech(self._run(call), soft=True)  # a URL answer: its bytes too

    @protect_key
    def speech_to_text(
        self,
        file: AudioInput,
        *,
        model: str,
        byok_api_key: Key = None,
        filename: str | None = None,
        **params: Any,
    ) -> TranscriptionResult:
        """Transcribe audio (a path, bytes or a binary file). Options: ``language``,
        ``prompt``, ``response_format``, ``temperature``, ``timestamp_granularities``."""
        call = self._plan(
            ep.TRANSCRIPTION, file, model, params, byok_api_key=byok_api_key, filename=filename
        )
        return self._run(call)

    @protect_key
    def translate_audio(
        self,
        file: AudioInput,
        *,
        model: str,
        byok_api_key: Key = None,
        filename: str | None = None,
        **params: Any,
    ) -> TranscriptionResult:
        """Translate audio into English text (options as :meth:`speech_to_text`)."""
        call = self._plan(
            ep.TRANSLATION, file, model, params, byok_api_key=byok_api_key, filename=filename
        )
        return self._run(call)

    # ------------------------------------------------------------------ video
    @protect_key
    def generate_video(
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
        job: VideoJob = self._run(call)
        return self._with_downloader(job)

    def get_video_job(self, job: VideoJob | str) -> VideoJob:
        """Poll a video job once: its status, progress and (when completed) videos."""
        result: VideoJob = self._run(ep.video_job_call(job))
        return self._with_downloader(result)

    def list_video_jobs(self, *, limit: int = 20, skip: int = 0) -> list[VideoJob]:
        """The account's video jobs (newest first on the emulator), ``limit`` at a time."""
        body = self._run(ep.video_jobs_call(limit, skip))
        return [self._with_downloader(job) for job in parse_video_jobs(body, {})]

    def cancel_video_job(self, job: VideoJob | str) -> dict[str, Any]:
        """Cancel a video job that has not finished; returns the server's answer."""
        result: dict[str, Any] = self._run(ep.video_job_call(job, "cancel"))
        return result

    def wait_for_video(
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
            on_progress: Called with every polled :class:`VideoJob`.
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
                step = wait.step(self.get_video_job(wait.job_id))
                if isinstance(step, VideoResult):
                    return self._with_downloader(step)
                time.sleep(step)
        finally:
            close()

    def list_models(self, provider: str | None = None) -> list[ModelInfo]:
        """The model catalog with pricing, for every provider or one."""
        body = self._run(ep.get_call(ep.catalog_path(provider)))
        return parse_model_catalog(body, provider=provider)

    def catalog_entry(self, model: str) -> ModelInfo | None:
        """``model``'s catalog entry (context window, output limit, capabilities, pricing).

        The catalog is fetched once per client configuration and shared with cost estimates
        (and with the async clients of the same configuration); a failed fetch is retried no
        sooner than cost estimates retry it.

        Returns:
            The entry, or ``None`` when the catalog does not list ``model`` or cannot be read.
        """
        if self._catalog.models is None and self._catalog_fetch_due():
            self._load_catalog()
        return self._catalog_entry(model)

    def get_model(self, model: str) -> ModelInfo:
        """One model's catalog entry (``provider/model``)."""
        body = self._run(ep.get_call(ep.model_path(model)))
        return ep.select_model(parse_model_catalog(body, provider=model.split("/", 1)[0]), model)

    def me(self) -> dict[str, Any]:
        """The account: ``credits``, ``account_tier`` and profile fields."""
        result: dict[str, Any] = self._run(ep.get_call("user/me"))
        return result

    def usage(self) -> dict[str, Any]:
        """The account's usage report: ``total_requests``, ``total_cost``, breakdowns."""
        result: dict[str, Any] = self._run(ep.get_call("user/usage"))
        return result

    def analytics_usage(
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
        result: dict[str, Any] = self._run(ep.analytics_call(filters))
        return result

    def stop_stream(self, stream_id: str, *, endpoint: str = "chat") -> dict[str, Any]:
        """Ask the server to stop a running stream (``endpoint``: chat or completions)."""
        call: Call[dict[str, Any]] = Call("POST", ep.stop_stream_path(stream_id, endpoint))
        result: dict[str, Any] = self._run(call)
        return result


__all__ = ["LIMITS", "AsyncIndoxHubClient", "IndoxHubClient", "Key", "tls_context"]

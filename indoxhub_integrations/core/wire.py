"""Normalized result models shared by the client and both adapters.

Every indoxhub response shape (Responses style, legacy ``data``, OpenAI ``choices``) is parsed
into these models by :mod:`indoxhub_integrations.core.parsing`; adapters only ever see these.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

Endpoint = Literal[
    "chat",
    "completion",
    "embedding",
    "image",
    "text_to_speech",
    "speech_to_text",
    "translation",
    "video",
]
"""The indoxhub endpoints that produce usage."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class Usage(_Model):
    """Token counts and cost of one request."""

    input_tokens: int = 0
    """Prompt (input) tokens."""
    output_tokens: int = 0
    """Completion (output) tokens."""
    total_tokens: int = 0
    """Input plus output tokens, as reported (or summed when not reported)."""
    cached_tokens: int = 0
    """Input tokens served from the provider's prompt cache."""
    reasoning_tokens: int = 0
    """Output tokens spent on hidden reasoning."""
    characters: int | None = None
    """Characters synthesised (text to speech), when reported."""
    cost: float | None = None
    """Cost in USD; ``None`` when unknown (never a made-up 0). BYOK requests cost 0."""
    cost_estimated: bool = False
    """True when ``cost`` was computed from the model's catalog pricing, not reported."""
    reported: bool = True
    """False when the answer carried no usage at all (e.g. an OpenAI-form stream ending in
    ``[DONE]`` without a usage chunk): the token counts are then unknown (left at 0 only so
    that sums stay numbers), ``cost`` is None and no estimate is made from them."""
    input_cost: float | None = None
    """The input tokens' share of ``cost`` (USD), when the answer splits it (``0`` for BYOK);
    ``None`` when unknown."""
    output_cost: float | None = None
    """The output tokens' share of ``cost`` (USD), when the answer splits it (``0`` for
    BYOK); ``None`` when unknown."""


class UsageRecord(BaseModel):
    """What one indoxhub request used and cost."""

    model_config = ConfigDict(frozen=True)

    endpoint: str
    """``chat``, ``completion``, ``embedding``, ``image``, ``text_to_speech``..."""
    model: str | None = None
    """The model in ``provider/model`` form."""
    provider: str | None = None
    """The provider that served the request."""
    request_id: str | None = None
    """The server's request id."""
    input_tokens: int = 0
    """Prompt tokens."""
    output_tokens: int = 0
    """Completion tokens."""
    total_tokens: int = 0
    """Input plus output tokens."""
    cached_tokens: int = 0
    """Input tokens read from the prompt cache."""
    reasoning_tokens: int = 0
    """Output tokens spent on reasoning."""
    characters: int | None = None
    """Characters synthesised (text to speech)."""
    images: int = 0
    """Images generated."""
    cost: float | None = None
    """USD; ``None`` when unknown (never a made-up 0); 0 for BYOK."""
    cost_estimated: bool = False
    """True when the cost was computed from catalog pricing."""
    byok: bool = False
    """True when the request used the caller's own provider key."""
    provider_cost_estimate: float | None = None
    """BYOK only: what the provider bills your own key for this request, an estimate at the
    catalog's list price (``None`` where the catalog has no price, and on non-BYOK records).
    Never part of :attr:`cost`, which is what indoxhub charged."""
    rate_limit_bypass: str | None = None
    """The ``X-RateLimit-Bypass`` header, when present."""
    duration_ms: float | None = None
    """How long the request took."""
    outcome: Literal["completed", "aborted", "unknown", "failed"] = "completed"
    """``completed``: answered (a stream read to its end); ``aborted``: a stream the consumer
    closed early (cost as far as reported, else unknown); ``unknown``: sent but no complete
    answer arrived (timeout, dropped connection, broken stream), so the cost is unknown;
    ``failed``: the server answered an error (a failed attempt, not spend)."""
    status: int | None = None
    """The HTTP status of the attempt, when an answer arrived."""


class ResponseMeta(_Model):
    """Metadata of one response, from its body and headers."""

    endpoint: Endpoint | None = None
    """Which endpoint answered."""
    request_id: str | None = None
    """The server's request or response id."""
    provider: str | None = None
    """The provider that served the request (e.g. ``openai``)."""
    model: str | None = None
    """The model in ``provider/model`` form."""
    byok: bool = False
    """True when the request went through the user's own provider key."""
    rate_limit_bypass: str | None = None
    """The ``X-RateLimit-Bypass`` header text, when present."""
    duration_ms: float | None = None
    """Server-reported duration, else the client-measured one, in milliseconds."""
    record: UsageRecord | None = Field(default=None, repr=False, exclude=True)
    """The core's usage record of this request, set when the answer is complete (the record
    every usage scope counted; handlers read it instead of rebuilding one)."""


class ToolCall(_Model):
    """A function call requested by the model."""

    id: str
    """The call id, to be echoed in the tool message's ``tool_call_id``."""
    name: str
    """The function name."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """The parsed JSON arguments (empty when they could not be parsed: see ``arguments_error``)."""
    raw_arguments: str | None = None
    """The argument text as received, kept only when it is not a JSON object."""
    arguments_error: str | None = None
    """Why the arguments could not be parsed (invalid or cut-off JSON, not an object); such a
    call must not be run. ``None`` for a valid call."""

    @property
    def is_valid(self) -> bool:
        """Whether the arguments parsed to a JSON object (the call may be run)."""
        return self.arguments_error is None


class GeneratedImage(_Model):
    """One image produced by image generation or by a chat model."""

    url: str | None = None
    """Where the image can be downloaded, when served by URL."""
    b64_json: str | None = None
    """The image as base64, when served inline."""
    revised_prompt: str | None = None
    """The prompt the provider actually used, when it rewrote it."""
    data: bytes | None = None
    """The decoded image bytes, when known."""
    media_type: str | None = None
    """The MIME type, when known (``image/png``...)."""


class _Result(_Model):
    usage: Usage = Field(default_factory=Usage)
    """Tokens and cost of the request."""
    meta: ResponseMeta = Field(default_factory=ResponseMeta)
    """Request id, provider, model, BYOK markers and duration."""
    raw: dict[str, Any] = Field(default_factory=dict)
    """The response body as received."""


class ChatResult(_Result):
    """The answer of a chat or text completion request."""

    text: str = ""
    """The generated text."""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """Function calls requested by the model."""
    reasoning: str | None = None
    """The model's reasoning text, when the provider returns it."""
    finish_reason: str | None = None
    """Why generation stopped (``stop``, ``length``, ``tool_calls``...)."""
    images: list[GeneratedImage] = Field(default_factory=list)
    """Images the chat model produced."""


class EmbeddingResult(_Result):
    """The answer of an embeddings request."""

    vectors: list[list[float]] = Field(default_factory=list)
    """One vector per input text, in input order."""
    dimensions: int | None = None
    """Vector length."""


class ImageResult(_Result):
    """The answer of an image generation request."""

    images: list[GeneratedImage] = Field(default_factory=list)
    """The generated images."""


class SpeechResult(_Result):
    """The answer of a text to speech request."""

    audio: bytes | None = None
    """The audio bytes, when served inline."""
    url: str | None = None
    """Where the audio can be downloaded, when served by URL."""
    format: str | None = None
    """Audio format (``mp3``, ``wav``...), when known."""


class TranscriptionResult(_Result):
    """The answer of a speech to text or translation request."""

    text: str = ""
    """The transcript (or translation)."""


class GeneratedVideo(_Model):
    """One video produced by a video generation job."""

    url: str | None = None
    """Where the video can be downloaded."""
    content_type: str | None = None
    """The MIME type (``video/mp4``...)."""
    file_size: int | None = None
    """Size in bytes, when reported."""
    file_name: str | None = None
    """The server's file name, when reported."""
    s3_key: str | None = None
    """The server's storage key, when reported."""
    _downloader: Any = PrivateAttr(default=None)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Download the video to ``path``: a file path (with an extension such as ``.mp4``), or
        a folder (an existing one, or any path without an extension; created when missing) to
        put the server's file name in.

        The download follows the core's media rules (https, or http to loopback only; no
        redirects; a 1 GiB limit; a deadline) and sends no indoxhub credentials to the file's
        host; the file appears complete or not at all.

        Returns:
            The path written.

        Raises:
            InvalidRequestError: The video has no URL, or did not come from a client.
        """
        if self._downloader is None or self.url is None:
            from .errors import InvalidRequestError

            raise InvalidRequestError(
                "This video cannot be saved: it has no URL or was not returned by a client "
                "(use the VideoResult that client.wait_for_video returned)."
            )
        return cast(Path, self._downloader.save(self, Path(path)))

    async def asave(self, path: str | os.PathLike[str]) -> Path:
        """Async :meth:`save` (the download runs on the async client's event loop)."""
        if self._downloader is None or self.url is None:
            return self.save(path)  # raises the explanation
        return cast(Path, await self._downloader.asave(self, Path(path)))


class VideoJob(_Result):
    """A video generation job, as created or as last polled."""

    job_id: str
    """The job id, for ``get_video_job``, ``wait_for_video`` and ``cancel_video_job``."""
    status: str = "queued"
    """``queued``, ``processing``, ``completed``, ``failed`` or ``cancelled``."""
    progress: float | None = None
    """Percent done (0-100), when reported."""
    error: str | None = None
    """Why the job failed, when it did."""
    created_at: str | None = None
    """When the job was created, as the server wrote it."""
    videos: list[GeneratedVideo] = Field(default_factory=list)
    """The videos, once the job is completed."""

    @property
    def done(self) -> bool:
        """True once the job is completed, failed or cancelled."""
        return self.status in ("completed", "failed", "cancelled", "canceled")


class VideoResult(_Result):
    """A completed video job: the videos and what the job cost."""

    job_id: str
    """The job that made the videos."""
    videos: list[GeneratedVideo] = Field(default_factory=list)
    """The generated videos (``url``, ``content_type``, ``file_size``, ``save(path)``)."""


class ToolCallChunk(_Model):
    """A fragment of a tool call in a stream; fragments with the same ``index`` join."""

    index: int = 0
    """Position of the call among the answer's tool calls."""
    id: str | None = None
    """The call id (usually on the first fragment only)."""
    name: str | None = None
    """The function name (usually on the first fragment only)."""
    arguments_delta: str = ""
    """A piece of the JSON arguments string."""


StreamEventType = Literal[
    "start",
    "text",
    "reasoning",
    "tool_call",
    "image",
    "item_done",
    "other",
    "done",
]
"""Kinds of stream events."""


class StreamEvent(_Model):
    """One event of a chat or completion stream."""

    type: StreamEventType
    """What the event carries. The last event of a complete stream is ``done``."""
    text_delta: str = ""
    """New answer text (empty when the event carries none)."""
    reasoning_delta: str = ""
    """New reasoning text."""
    tool_call_chunks: list[ToolCallChunk] = Field(default_factory=list)
    """Tool-call fragments carried by this event."""
    images: list[GeneratedImage] = Field(default_factory=list)
    """Images completed by this event."""
    finish_reason: str | None = None
    """Set when the event reports why generation stopped."""
    usage: Usage | None = None
    """The final usage; set on the ``done`` event (and on any event that reports usage)."""
    meta: ResponseMeta | None = None
    """The response metadata; set on the ``done`` event."""
    result: ChatResult | None = None
    """The whole answer assembled from the stream; always set on the ``done`` event, with the
    event's final usage and meta."""
    raw: dict[str, Any] | None = None
    """The event's JSON as received."""

    def done_result(self) -> ChatResult:
        """The whole answer a ``done`` event carries, with the event's final usage and meta.

        Raises:
            ValueError: For an event that is not a stream's ``done`` event.
        """
        result = self.result
        if result is None:
            raise ValueError(f"A {self.type!r} stream event carries no result; only 'done' does.")
        update: dict[str, Any] = {}
        if self.usage is not None and self.usage is not result.usage:
            update["usage"] = self.usage  # the event's final usage and meta win
        if self.meta is not None and self.meta is not result.meta:
            update["meta"] = self.meta
        return result.model_copy(update=update) if update else result


class ModelInfo(_Model):
    """One model of the catalog, with its pricing and what it can do.

    :func:`~indoxhub_integrations.core.catalog.parse_model_catalog` reads every limit and
    capability once, by one rule; both frameworks read these fields (LangChain's ``profile``,
    LlamaIndex's ``metadata``), never ``raw``. ``None`` means the catalog does not say, and each
    framework applies its own default.
    """

    model_config = ConfigDict(extra="allow")

    id: str
    """The model in ``provider/model`` form."""
    provider: str
    """The provider name."""
    name: str
    """The model name without provider."""
    type: str | None = None
    """Kind of model (``chat``, ``embedding``, ``image``...), when listed."""
    prompt_price: float | None = None
    """USD per ``price_unit_tokens`` input tokens."""
    completion_price: float | None = None
    """USD per ``price_unit_tokens`` output tokens."""
    price_unit_tokens: int = 1000
    """How many tokens a price covers (the docs say ``1K tokens``)."""
    context_window: int | None = None
    """Most tokens of prompt and answer together, when listed."""
    max_output_tokens: int | None = None
    """Most tokens of one answer, when listed."""
    max_input_tokens: int | None = None
    """Most tokens of one prompt, when the catalog lists it apart from the context window
    (a 400k window may take at most 272k of input); ``None`` otherwise (the context window is
    then the limit)."""
    function_calling: bool | None = None
    """Whether the model calls tools; ``None`` when the catalog does not say."""
    vision: bool | None = None
    """Whether the model reads images; ``None`` when the catalog does not say."""
    structured_output: bool | None = None
    """Whether the model answers in a given JSON schema (JSON mode); ``None`` when the catalog
    does not say."""
    reasoning: bool | None = None
    """Whether the model reasons before answering (and may return its reasoning); ``None``
    when the catalog does not say."""
    raw: dict[str, Any] = Field(default_factory=dict)
    """The catalog entry as received."""

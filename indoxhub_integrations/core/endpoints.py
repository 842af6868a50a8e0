"""The indoxhub endpoints as data, and the pure decisions about paths and catalog answers.

Adding an endpoint: one :class:`EndpointSpec` here (path, usage endpoint, body builder,
parser) and one explicit, typed public method on each client that calls
``self._run(self._plan(SPEC, ...))``. The planner (:func:`plan_call`) is the same for all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar
from urllib.parse import quote, urlencode

from pydantic import SecretStr

from . import parsing, parsing_media, video
from .byok import split_model
from .errors import InvalidRequestError, ModelNotFoundError
from .payloads import (
    chat_body,
    completion_body,
    embedding_body,
    image_body,
    speech_body,
    transcription_form,
)
from .wire import (
    ChatResult,
    EmbeddingResult,
    Endpoint,
    ImageResult,
    ModelInfo,
    SpeechResult,
    TranscriptionResult,
    VideoJob,
)

API_PREFIX = "/api/v1"
"""Every indoxhub route lives under this prefix."""

T = TypeVar("T")
AudioInput = str | Path | bytes | IO[bytes]
Parser = Callable[[Any, Mapping[str, str], "Call[T]", float], T]
"""``(body, headers, call, elapsed_ms) -> result``."""


@dataclass(frozen=True)
class Call(Generic[T]):
    """One planned HTTP exchange: what to send and how to read the answer (a ``T``)."""

    method: str
    path: str
    endpoint: Endpoint | None = None
    json: dict[str, Any] | None = None
    form: dict[str, str | SecretStr] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    model: str | None = None
    byok_key: SecretStr | None = field(default=None, repr=False)
    """The BYOK key, still a ``SecretStr``: unwrapped only when the body is serialized."""
    stream: bool = False
    parser: Parser[T] | None = None
    authenticated: bool = True

    def __repr__(self) -> str:
        return f"Call({self.method} {self.path}, model={self.model!r}, byok={self.byok})"

    @property
    def byok(self) -> bool:
        """Whether the request carries a BYOK key."""
        return self.byok_key is not None


def meta_kwargs(call: Call[Any], elapsed_ms: float) -> dict[str, Any]:
    """The request facts every parser records in the result's meta."""
    return {"requested_model": call.model, "byok_sent": call.byok, "elapsed_ms": elapsed_ms}


def _parse_chat(body: Any, headers: Mapping[str, str], call: Call[Any], elapsed: float) -> Any:
    endpoint: Literal["chat", "completion"] = (
        "completion" if call.endpoint == "completion" else "chat"
    )
    return parsing.parse_chat(body, headers, endpoint=endpoint, **meta_kwargs(call, elapsed))


def _parse_with(function: Callable[..., Any], **fixed: Any) -> Parser[Any]:
    def parse(body: Any, headers: Mapping[str, str], call: Call[Any], elapsed: float) -> Any:
        return function(body, headers, **fixed, **meta_kwargs(call, elapsed))

    return parse


BodyBuilder = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class EndpointSpec(Generic[T]):
    """One model endpoint: where it lives, how its request is built and its answer read."""

    path: str
    """The route under :data:`API_PREFIX`."""
    endpoint: Endpoint
    """The usage endpoint its records and results carry."""
    parser: Parser[T]
    """Reads a successful answer."""
    body: BodyBuilder | None = None
    """Builds the JSON body ``(payload, model, params, additional_params=, byok_key=)``."""
    streams: bool = False
    """Whether the body builder takes ``stream=`` (the endpoint can stream)."""
    upload: bool = False
    """A multipart audio upload (form fields and a file) instead of a JSON body."""


CHAT: EndpointSpec[ChatResult] = EndpointSpec(
    "chat/completions", "chat", _parse_chat, chat_body, streams=True
)
COMPLETION: EndpointSpec[ChatResult] = EndpointSpec(
    "completions", "completion", _parse_chat, completion_body, streams=True
)
EMBEDDING: EndpointSpec[EmbeddingResult] = EndpointSpec(
    "embeddings", "embedding", _parse_with(parsing_media.parse_embeddings), embedding_body
)
IMAGE: EndpointSpec[ImageResult] = EndpointSpec(
    "images/generations", "image", _parse_with(parsing_media.parse_images), image_body
)
SPEECH: EndpointSpec[SpeechResult] = EndpointSpec(
    "audio/tts/generations", "text_to_speech", _parse_with(parsing_media.parse_speech),
    speech_body,
)  # fmt: skip
TRANSCRIPTION: EndpointSpec[TranscriptionResult] = EndpointSpec(
    "audio/stt/transcriptions", "speech_to_text",
    _parse_with(parsing_media.parse_transcription), upload=True,
)  # fmt: skip
TRANSLATION: EndpointSpec[TranscriptionResult] = EndpointSpec(
    "audio/stt/translations", "translation",
    _parse_with(parsing_media.parse_transcription, endpoint="translation"), upload=True,
)  # fmt: skip

VIDEO: EndpointSpec[VideoJob] = EndpointSpec(
    "videos/generations", "video", _parse_with(video.parse_video_job), video.video_body
)

ENDPOINTS: tuple[EndpointSpec[Any], ...] = (
    CHAT, COMPLETION, EMBEDDING, IMAGE, SPEECH, TRANSCRIPTION, TRANSLATION, VIDEO,
)  # fmt: skip
"""Every model endpoint the clients call."""


def plan_call(
    spec: EndpointSpec[T],
    payload: Any,
    model: str,
    params: Mapping[str, Any],
    *,
    byok_key: SecretStr | None,
    additional_params: Mapping[str, Any] | None = None,
    stream: bool = False,
    filename: str | None = None,
) -> Call[T]:
    """Plan one model request from its endpoint spec (the only planner).

    Raises:
        InvalidRequestError: For input the endpoint cannot send (raised before any I/O).
    """
    path = f"{API_PREFIX}/{spec.path}"
    if spec.upload:
        form = transcription_form(model, params, byok_key=byok_key)
        return Call(
            "POST", path, spec.endpoint, form=form, files={"file": read_audio(payload, filename)},
            model=model, byok_key=byok_key, parser=spec.parser,
        )  # fmt: skip
    assert spec.body is not None
    extra: dict[str, Any] = {"stream": stream} if spec.streams else {}
    body = spec.body(
        payload, model, params, additional_params=additional_params, byok_key=byok_key, **extra
    )
    return Call(
        "POST", path, spec.endpoint, json=body, model=model, byok_key=byok_key,
        stream=stream and spec.streams, parser=spec.parser,
    )  # fmt: skip


def get_call(path: str) -> Call[Any]:
    """A plain authenticated ``GET`` of ``path`` under :data:`API_PREFIX`."""
    return Call("GET", f"{API_PREFIX}/{path}")


def path_part(value: Any, what: str) -> str:
    """One path segment from user input, percent-escaped (``/``, ``..`` and ``?`` included).

    Raises:
        InvalidRequestError: When the value is not text, is empty, or is a dot segment.
    """
    if not isinstance(value, str) or not value.strip() or value in (".", ".."):
        raise InvalidRequestError(f"{what} must be a non-empty string, got {value!r:.60}.")
    return quote(value, safe="")


def catalog_path(provider: str | None = None) -> str:
    """The catalog route: every provider, or one (the provider escaped)."""
    return f"models/{path_part(provider, 'provider')}" if provider else "models/"


def model_path(model: str) -> str:
    """The route of one model's catalog entry (``provider/model``, each segment escaped).

    Raises:
        InvalidRequestError: For a name without both parts (``get_model("openai")``).
    """
    provider, name = split_model(model)
    escaped = "/".join(path_part(part, "model name") for part in name.split("/"))
    return f"models/{path_part(provider, 'provider')}/{escaped}"


def select_model(models: list[ModelInfo], model: str) -> ModelInfo:
    """The entry whose ``id`` is ``model`` (a lone entry of another spelling is accepted).

    Raises:
        ModelNotFoundError: When the answer has no such model.
    """
    for info in models:
        if info.id == model:
            return info
    _, _, name = model.partition("/")
    named = [info for info in models if info.name == name]
    if len(named) == 1:
        return named[0]
    raise ModelNotFoundError(
        f"Model {model!r} is not in the catalog; list the available models with list_models().",
        status_code=404,
    )


def _parse_video_poll(
    body: Any, headers: Mapping[str, str], call: Call[Any], elapsed: float
) -> VideoJob:
    return video.parse_video_job(body, headers, elapsed_ms=elapsed)


def video_job_call(job: Any, action: str = "") -> Call[Any]:
    """``GET /videos/jobs/{id}``, or ``POST .../{action}`` (``"cancel"``), the id escaped.

    Polls are not model calls (no usage endpoint): they cost nothing and make no record.
    """
    path = f"{API_PREFIX}/videos/jobs/{quote(video.job_id_of(job), safe='')}"
    if action:
        return Call("POST", f"{path}/{action}")
    return Call("GET", path, parser=_parse_video_poll)


def video_jobs_call(limit: int, skip: int) -> Call[Any]:
    """``GET /videos/jobs?limit=&skip=``, its paging checked before sending."""
    for name, value in (("limit", limit), ("skip", skip)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidRequestError(f"{name} must be a non-negative integer, got {value!r}.")
    return Call("GET", f"{API_PREFIX}/videos/jobs?{urlencode({'limit': limit, 'skip': skip})}")


ANALYTICS_GROUPS = ("date", "model", "provider", "endpoint", "session_id", "client_ip")
"""The documented ``group_by`` values of ``/api/v1/analytics/usage``."""
_ANALYTICS_TEXT = ("provider", "model", "session_id", "endpoint")


def _iso_date(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and value.strip():
        try:
            datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise InvalidRequestError(
        f"{name} must be a date or an ISO date string such as '2025-01-31', got {value!r}."
    )


def analytics_call(filters: Mapping[str, Any]) -> Call[Any]:
    """``GET /api/v1/analytics/usage`` with its documented filters, checked before sending."""
    query: dict[str, str] = {}
    for name in ("start_date", "end_date"):
        date = _iso_date(name, filters.get(name))
        if date is not None:
            query[name] = date
    group = filters.get("group_by")
    if group is not None:
        if group not in ANALYTICS_GROUPS:
            raise InvalidRequestError(f"group_by must be one of {ANALYTICS_GROUPS}, got {group!r}.")
        query["group_by"] = group
    for name in _ANALYTICS_TEXT:
        value = filters.get(name)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise InvalidRequestError(f"{name} must be a non-empty string, got {value!r}.")
            query[name] = value
    include = filters.get("include_content")
    if include is not None:
        if not isinstance(include, bool):
            raise InvalidRequestError("include_content must be True or False.")
        query["include_content"] = "true" if include else "false"
    return Call("GET", f"{API_PREFIX}/analytics/usage?{urlencode(query)}")


def stop_stream_path(stream_id: str, endpoint: str = "chat") -> str:
    """The stop-stream route of a chat or completion stream (the id escaped).

    Raises:
        InvalidRequestError: For an empty id or an endpoint other than chat or completions.
    """
    if endpoint not in ("chat", "completion", "completions"):
        raise InvalidRequestError(
            f"endpoint must be 'chat' or 'completions', got {endpoint!r:.40}."
        )
    kind = "completions" if endpoint.startswith("completion") else "chat"
    return f"{API_PREFIX}/{kind}/stop-stream/{path_part(stream_id, 'stream_id')}"


def read_audio(file: AudioInput, filename: str | None) -> tuple[str, bytes, str]:
    """Read audio given as a path, bytes or a binary file object, for a multipart upload."""
    if isinstance(file, str | Path):
        path = Path(file)
        if not path.is_file():
            raise InvalidRequestError(f"Audio file {str(path)!r} does not exist.")
        data, name = path.read_bytes(), filename or path.name
    elif isinstance(file, bytes | bytearray):
        data, name = bytes(file), filename or "audio.wav"
    elif hasattr(file, "read"):
        data = file.read()
        name = filename or Path(str(getattr(file, "name", "audio.wav"))).name
        if not isinstance(data, bytes):
            raise InvalidRequestError("Audio file objects must be opened in binary mode ('rb').")
    else:
        raise InvalidRequestError(
            f"Audio must be a path, bytes or a binary file, got {type(file).__name__}."
        )
    if not data:
        raise InvalidRequestError("The audio is empty.")
    suffix = name.rsplit(".", 1)[-1].lower()
    media = {"wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg"}
    return name, data, media.get(suffix, "application/octet-stream")

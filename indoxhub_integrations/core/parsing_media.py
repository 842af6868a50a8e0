"""Embedding, image, speech and transcription answers -> the normalized models of :mod:`.wire`.

Pure functions, no I/O; the shared helpers live in :mod:`.parsing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from ._values import (
    as_int,
    as_map,
    as_num,
    as_str,
    audio_format,
    audio_format_from_type,
    b64decode,
    first_str,
    get_path,
    lower_headers,
    shape_error,
)
from .errors import ProviderError
from .parsing import common_fields, parse_image
from .wire import EmbeddingResult, GeneratedImage, ImageResult, SpeechResult, TranscriptionResult

# --------------------------------------------------------------------------- other endpoints


_FLOAT_ONLY = {float}
_NUMBERS = {float, int}


def _vector(value: Any, body: Any) -> list[float]:
    """One embedding as floats; a C-level type check first, the per-item check only if needed."""
    if isinstance(value, list):
        kinds = set(map(type, value))
        if kinds <= _FLOAT_ONLY:
            return value
        if kinds <= _NUMBERS:
            return [float(x) for x in value]
        numbers = [as_num(x) for x in value]
        if all(x is not None for x in numbers):
            return numbers  # type: ignore[return-value]
    raise shape_error(body, "embedding")


def parse_embeddings(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> EmbeddingResult:
    """Parse an embeddings answer: ``data`` as vectors, or as ``{"embedding", "index"}`` items.

    Items carrying ``index`` are put back in input order. Other arguments as in
    :func:`parse_chat`.

    Raises:
        ProviderError: ``data`` is missing or holds something other than vectors.
    """
    data = as_map(body).get("data")
    if not isinstance(data, list):
        raise shape_error(body, "embedding")
    if data and all(isinstance(item, Mapping) for item in data):
        if all(as_num(item.get("index")) is not None for item in data):
            data = sorted(data, key=lambda item: as_num(item["index"]) or 0)
        data = [item.get("embedding") for item in data]
    vectors = [_vector(v, body) for v in data]
    dimensions = as_int(body.get("dimensions"), len(vectors[0]) if vectors else None)
    common = common_fields(body, headers, "embedding", requested_model, byok_sent, elapsed_ms)
    return EmbeddingResult(vectors=vectors, dimensions=dimensions, **common)


def parse_images(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> ImageResult:
    """Parse an image generation answer: ``data`` items with ``url`` or ``b64_json``.

    Base64 images are decoded into ``data`` and their ``media_type`` is guessed from the magic
    bytes (PNG, JPEG, WEBP, GIF). Other arguments as in :func:`parse_chat`.

    Raises:
        ProviderError: ``data`` is not a list of images, or an image's base64 is undecodable.
    """
    data = as_map(body).get("data")
    images = [parse_image(item) for item in data] if isinstance(data, list) else [None]
    if any(image is None for image in images):
        raise shape_error(body, "image")
    for image in cast(list[GeneratedImage], images):
        if image.b64_json and image.data is None:
            raise ProviderError(
                "indoxhub returned an image whose base64 data cannot be decoded; no image was "
                "saved."
            )
    common = common_fields(body, headers, "image", requested_model, byok_sent, elapsed_ms)
    return ImageResult(images=cast(list[GeneratedImage], images), **common)


def parse_speech(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> SpeechResult:
    """Parse a text-to-speech JSON answer: ``data`` with ``url`` or base64 audio.

    The base64 field may be ``b64_json``, ``audio``, ``audio_base64`` or ``data``. The format
    comes from ``data.format``, ``response_format`` or ``content_type``, else from the magic
    bytes (RIFF -> wav, ID3 or an MPEG frame -> mp3). Other arguments as in :func:`parse_chat`.

    Raises:
        ProviderError: Neither a URL nor decodable audio is present.
    """
    data: Any = as_map(body).get("data")
    if isinstance(data, str):
        data = {"url": data} if data.startswith(("http://", "https://")) else {"audio": data}
    data = as_map(data)
    url = as_str(data.get("url"))
    encoded = first_str(data, ("b64_json", "audio", "audio_base64", "data"))
    audio = b64decode(encoded) if encoded else None
    if encoded and audio is None:
        raise ProviderError("indoxhub returned text_to_speech audio with undecodable base64.")
    if url is None and audio is None:
        raise shape_error(body, "text_to_speech")
    sources = (data, body)
    keys = ("format", "response_format", "content_type")
    declared = (audio_format_from_type(src.get(key)) for key in keys for src in sources)
    fmt = next((f for f in declared if f), None) or (audio_format(audio) if audio else None)
    common = common_fields(body, headers, "text_to_speech", requested_model, byok_sent, elapsed_ms)
    return SpeechResult(audio=audio, url=url, format=fmt, **common)


def parse_speech_bytes(
    content: bytes,
    headers: Mapping[str, str],
    *,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> SpeechResult:
    """Wrap a raw ``audio/*`` text-to-speech answer; the format comes from the content type.

    Usage is unknown for such an answer (cost None, or 0 with BYOK).
    """
    common = common_fields({}, headers, "text_to_speech", requested_model, byok_sent, elapsed_ms)
    declared = audio_format_from_type(lower_headers(headers).get("content-type"))
    return SpeechResult(audio=bytes(content), format=declared or audio_format(content), **common)


def parse_transcription(
    body: Mapping[str, Any] | str,
    headers: Mapping[str, str],
    *,
    endpoint: Literal["speech_to_text", "translation"] = "speech_to_text",
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> TranscriptionResult:
    """Parse a speech-to-text (or, with ``endpoint="translation"``, translation) answer.

    The text is ``data`` as a string, ``data.text``, or a top-level ``text``; a plain-text body
    (``response_format="text"``) is accepted as is. Other arguments as in :func:`parse_chat`.

    Raises:
        ProviderError: No transcript is present.
    """
    body = {"text": body} if isinstance(body, str) else body
    data = as_map(body).get("data")
    text = data if isinstance(data, str) else get_path(data, "text")
    text = text if isinstance(text, str) else as_map(body).get("text")
    if not isinstance(text, str):
        raise shape_error(body, endpoint)
    common = common_fields(body, headers, endpoint, requested_model, byok_sent, elapsed_ms)
    return TranscriptionResult(text=text, **common)

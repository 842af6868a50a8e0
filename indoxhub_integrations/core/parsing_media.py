"""Embedding, image, speech and transcription answers -> the normalized models of :mod:`.wire`.

Pure functions, no I/O; the shared helpers live in :mod:`.parsing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from .parsing import (
    _audio_format,
    _audio_format_from_type,
    _b64decode,
    _common,
    _first_str,
    _get,
    _image,
    _int,
    _lower_headers,
    _map,
    _num,
    _shape_error,
    _str,
)
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
        numbers = [_num(x) for x in value]
        if all(x is not None for x in numbers):
            return numbers  # type: ignore[return-value]
    raise _shape_error(body, "embedding")


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
    data = _map(body).get("data")
    if not isinstance(data, list):
        raise _shape_error(body, "embedding")
    if data and all(isinstance(item, Mapping) for item in data):
        if all(_num(item.get("index")) is not None for item in data):
            data = sorted(data, key=lambda item: _num(item["index"]) or 0)
        data = [item.get("embedding") for item in data]
    vectors = [_vector(v, body) for v in data]
    dimensions = _int(body.get("dimensions"), len(vectors[0]) if vectors else None)
    common = _common(body, headers, "embedding", requested_model, byok_sent, elapsed_ms)
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
        ProviderError: ``data`` is not a list of images.
    """
    data = _map(body).get("data")
    images = [_image(item) for item in data] if isinstance(data, list) else [None]
    if any(image is None for image in images):
        raise _shape_error(body, "image")
    common = _common(body, headers, "image", requested_model, byok_sent, elapsed_ms)
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
    data: Any = _map(body).get("data")
    if isinstance(data, str):
        data = {"url": data} if data.startswith(("http://", "https://")) else {"audio": data}
    data = _map(data)
    url = _str(data.get("url"))
    encoded = _first_str(data, ("b64_json", "audio", "audio_base64", "data"))
    audio = _b64decode(encoded) if encoded else None
    if url is None and audio is None:
        raise _shape_error(body, "text_to_speech")
    sources = (data, body)
    keys = ("format", "response_format", "content_type")
    declared = (_audio_format_from_type(src.get(key)) for key in keys for src in sources)
    fmt = next((f for f in declared if f), None) or (_audio_format(audio) if audio else None)
    common = _common(body, headers, "text_to_speech", requested_model, byok_sent, elapsed_ms)
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
    common = _common({}, headers, "text_to_speech", requested_model, byok_sent, elapsed_ms)
    declared = _audio_format_from_type(_lower_headers(headers).get("content-type"))
    return SpeechResult(audio=bytes(content), format=declared or _audio_format(content), **common)


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
    data = _map(body).get("data")
    text = data if isinstance(data, str) else _get(data, "text")
    text = text if isinstance(text, str) else _map(body).get("text")
    if not isinstance(text, str):
        raise _shape_error(body, endpoint)
    common = _common(body, headers, endpoint, requested_model, byok_sent, elapsed_ms)
    return TranscriptionResult(text=text, **common)



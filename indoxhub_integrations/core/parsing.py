"""Every documented indoxhub response shape -> the normalized models of :mod:`.wire`.

Pure functions, no I/O. Chat and completion answers come in three shapes (Responses style with
``object: "response"``, the legacy ``data`` shape, and OpenAI ``choices``); usage comes in three
vocabularies; the model catalog in several layouts. A body of a shape none of these match is a
server problem and raises :class:`~indoxhub_integrations.core.errors.ProviderError` naming the
body's top-level keys (never its values).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from collections.abc import Mapping
from typing import Any, Literal, cast

from .errors import ProviderError
from .wire import (
    ChatResult,
    EmbeddingResult,
    Endpoint,
    GeneratedImage,
    ImageResult,
    ModelInfo,
    ResponseMeta,
    SpeechResult,
    ToolCall,
    TranscriptionResult,
    Usage,
)

__all__ = [
    "estimate_cost",
    "parse_chat",
    "parse_embeddings",
    "parse_images",
    "parse_meta",
    "parse_model_catalog",
    "parse_speech",
    "parse_speech_bytes",
    "parse_transcription",
    "parse_usage",
]

RAW_ARGUMENTS_KEY = "_raw"
"""Key under which tool-call arguments that are not a JSON object are kept verbatim."""

_ENDPOINTS: dict[str, Endpoint] = {
    "chat": "chat",
    "completion": "completion",
    "completions": "completion",
    "embedding": "embedding",
    "embeddings": "embedding",
    "image": "image",
    "images": "image",
    "text_to_speech": "text_to_speech",
    "tts": "text_to_speech",
    "speech_to_text": "speech_to_text",
    "stt": "speech_to_text",
    "translation": "translation",
}
_COST_PARTS = (
    "input_tokens",
    "output_tokens",
    "cache_read",
    "cache_write",
    "reasoning",
    "web_search",
    "request",
)
_BYPASS_HEADERS = ("x-ratelimit-bypass", "x-rate-limit-bypass")
_AUDIO_TYPES = {
    "mpeg": "mp3",
    "mp3": "mp3",
    "wav": "wav",
    "x-wav": "wav",
    "wave": "wav",
    "ogg": "ogg",
    "opus": "opus",
    "flac": "flac",
    "aac": "aac",
    "pcm": "pcm",
    "webm": "webm",
    "mp4": "mp4",
}


# --------------------------------------------------------------------------- small helpers


def _shape_error(body: Any, what: str) -> ProviderError:
    """Build the error for a body of an unrecognised shape (keys only, never values)."""
    if isinstance(body, Mapping):
        keys = ", ".join(sorted(str(key) for key in body)) or "none"
        found = f"top-level keys: {keys}"
    else:
        found = f"a JSON {type(body).__name__}"
    return ProviderError(
        f"indoxhub returned a response of an unrecognised shape for {what} ({found})"
    )


def _lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Return the headers with lower-cased names (any Mapping, e.g. ``httpx.Headers``)."""
    if not headers:
        return {}
    return {str(key).lower(): str(value) for key, value in headers.items()}


def _num(value: Any) -> float | None:
    """Return a number as float, or None for anything else (bools and junk included)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().lstrip("$").replace(",", ""))
        except ValueError:
            return None
    return None


def _int(*values: Any) -> int | None:
    """Return the first of ``values`` that is a number, as int."""
    for value in values:
        number = _num(value)
        if number is not None:
            return int(number)
    return None


def _get(mapping: Any, *path: str) -> Any:
    """Follow ``path`` through nested mappings; None where a step is missing."""
    for key in path:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _b64decode(text: str) -> bytes | None:
    """Decode base64 (standard or URL-safe, padding optional, data URL allowed); None if bad."""
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    text = "".join(text.split())
    text += "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text)
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _image_media_type(data: bytes) -> str | None:
    """Guess an image MIME type from its magic bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def _audio_format(data: bytes) -> str | None:
    """Guess an audio format from its magic bytes."""
    if data[:4] == b"RIFF":
        return "wav"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "aac"
    return None


def _audio_format_from_type(value: Any) -> str | None:
    """Map ``mp3`` or a content type such as ``audio/mpeg; charset=...`` to a format name."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.split(";", 1)[0].strip().lower()
    subtype = text.split("/", 1)[1] if "/" in text else text
    return _AUDIO_TYPES.get(subtype, subtype)


def _endpoint(endpoint: str) -> Endpoint:
    try:
        return _ENDPOINTS[endpoint]
    except KeyError:
        raise ValueError(f"unknown indoxhub endpoint {endpoint!r}") from None


def _parse_arguments(value: Any) -> dict[str, Any]:
    """Parse tool-call arguments; text that is not a JSON object is kept under ``"_raw"``."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        return {RAW_ARGUMENTS_KEY: text}
    return dict(parsed) if isinstance(parsed, dict) else {RAW_ARGUMENTS_KEY: text}


def _text_of(value: Any) -> str:
    """Text of a string, or of a list of text parts (``{"type": "text", "text": ...}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        text = value.get("text")
        return text if isinstance(text, str) else ""
    if isinstance(value, list):
        return "".join(_text_of(part) for part in value)
    return ""


def _reasoning_text(value: Any) -> str:
    """Reasoning as a string, or list of summary/content parts joined by newlines."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return _reasoning_text(value.get("text", value.get("summary")))
    if isinstance(value, list):
        return "\n".join(text for text in (_reasoning_text(part) for part in value) if text)
    return ""


# --------------------------------------------------------------------------- usage and meta


def parse_usage(usage: Mapping[str, Any] | None, *, byok: bool) -> Usage:
    """Normalize a usage object of any documented vocabulary.

    Args:
        usage: The ``usage`` object (Responses, legacy ``tokens_*`` or OpenAI ``*_tokens``), or
            None when the answer had none.
        byok: Whether the request went through the user's own key; its cost is then 0.

    Returns:
        The usage. ``cost`` is ``usage.cost``, else ``cost_breakdown.total_cost``, else the sum
        of the numeric ``cost_breakdown`` parts, else None (unknown, never 0).
    """
    if not isinstance(usage, Mapping):
        return Usage(cost=0.0 if byok else None)
    input_tokens = (
        _int(usage.get("input_tokens"), usage.get("tokens_prompt"), usage.get("prompt_tokens")) or 0
    )
    output_tokens = (
        _int(
            usage.get("output_tokens"),
            usage.get("tokens_completion"),
            usage.get("completion_tokens"),
        )
        or 0
    )
    total = _int(usage.get("total_tokens"), usage.get("tokens_total"))
    cached = _int(
        _get(usage, "input_tokens_details", "cached_tokens"),
        _get(usage, "prompt_tokens_details", "cached_tokens"),
        usage.get("cache_read_tokens"),
    )
    reasoning = _int(
        _get(usage, "output_tokens_details", "reasoning_tokens"),
        _get(usage, "completion_tokens_details", "reasoning_tokens"),
        usage.get("reasoning_tokens"),
    )
    cost = _num(usage.get("cost"))
    breakdown = usage.get("cost_breakdown")
    if cost is None and isinstance(breakdown, Mapping):
        cost = _num(breakdown.get("total_cost"))
        if cost is None:
            parts = [_num(breakdown.get(key)) for key in _COST_PARTS]
            numbers = [part for part in parts if part is not None]
            cost = sum(numbers) if numbers else None
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total if total is not None else input_tokens + output_tokens,
        cached_tokens=cached or 0,
        reasoning_tokens=reasoning or 0,
        characters=_int(usage.get("characters")),
        cost=0.0 if byok else cost,
    )


def _normalise_model(
    model: Any, provider: Any, requested_model: str | None
) -> tuple[str | None, str | None]:
    """Return ``(provider, "provider/model")`` from a body's ``model``/``provider`` fields."""
    prov = provider if isinstance(provider, str) and provider else None
    name = model if isinstance(model, str) and model else None
    if name is None:
        name = requested_model
    if prov is None and requested_model and "/" in requested_model and name:
        req_provider, req_name = requested_model.split("/", 1)
        if name in (requested_model, req_name) or "/" not in name:
            prov = req_provider
    if name is None:
        return prov, None
    if prov is None:
        return (name.split("/", 1)[0], name) if "/" in name else (None, name)
    return prov, name if name.startswith(prov + "/") else f"{prov}/{name}"


def parse_meta(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    endpoint: str,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> ResponseMeta:
    """Read the response metadata from a body and its headers.

    Args:
        body: The response JSON (any shape; only metadata fields are read).
        headers: The response headers, any Mapping; names are matched case-insensitively.
        endpoint: Which endpoint answered (``chat``, ``completion``, ``embedding``, ``image``,
            ``text_to_speech``, ``speech_to_text``, ``translation``; plural aliases accepted).
        requested_model: The ``provider/model`` the request asked for (fallback for ``model``).
        byok_sent: Whether the request carried a BYOK key.
        elapsed_ms: Client-measured duration, used when the body has no ``duration_ms``.

    Returns:
        The metadata, with ``model`` in ``provider/model`` form where the provider is known.
    """
    lowered = _lower_headers(headers)
    body = body if isinstance(body, Mapping) else {}
    request_id = body.get("request_id") or body.get("id") or lowered.get("x-request-id")
    provider, model = _normalise_model(body.get("model"), body.get("provider"), requested_model)
    bypass = next((lowered[name] for name in _BYPASS_HEADERS if name in lowered), None)
    duration = _num(body.get("duration_ms"))
    return ResponseMeta(
        endpoint=_endpoint(endpoint),
        request_id=str(request_id) if request_id is not None else None,
        provider=provider,
        model=model,
        byok=body.get("byok_api_key") is True or bypass is not None or byok_sent,
        rate_limit_bypass=bypass,
        duration_ms=duration if duration is not None else elapsed_ms,
    )


# --------------------------------------------------------------------------- chat


def _tool_call(item: Any, index: int) -> ToolCall:
    """A tool call in OpenAI chat form, flat form, or Responses ``function_call`` form."""
    item = item if isinstance(item, Mapping) else {}
    function = item.get("function") if isinstance(item.get("function"), Mapping) else item
    call_id = item.get("call_id") or item.get("id")
    position = _int(item.get("index"))
    name = function.get("name")
    return ToolCall(
        id=str(call_id) if call_id else f"call_{index if position is None else position}",
        name=name if isinstance(name, str) else "",
        arguments=_parse_arguments(function.get("arguments")),
    )


def _image(item: Any) -> GeneratedImage | None:
    """One generated image from ``{url|b64_json|result|image_url, revised_prompt}``."""
    if isinstance(item, str):
        item = {"url": item} if not item.startswith("data:") else {"b64_json": item}
    if not isinstance(item, Mapping):
        return None
    url = item.get("url") or _get(item, "image_url", "url")
    b64 = item.get("b64_json") or item.get("b64") or item.get("result")
    if isinstance(url, str) and url.startswith("data:"):
        b64, url = url, None
    data = _b64decode(b64) if isinstance(b64, str) else None
    if isinstance(b64, str) and b64.startswith("data:"):
        b64 = b64.split(",", 1)[-1]
    media = _image_media_type(data) if data else None
    declared = item.get("media_type") or item.get("mime_type")
    revised = item.get("revised_prompt")
    return GeneratedImage(
        url=url if isinstance(url, str) else None,
        b64_json=b64 if isinstance(b64, str) else None,
        revised_prompt=revised if isinstance(revised, str) else None,
        data=data,
        media_type=media or (declared if isinstance(declared, str) else None),
    )


def _images(items: Any) -> list[GeneratedImage]:
    if not isinstance(items, list):
        return []
    if all(isinstance(item, Mapping) and _num(item.get("index")) is not None for item in items):
        items = sorted(items, key=lambda item: _num(item.get("index")) or 0)
    return [image for image in (_image(item) for item in items) if image is not None]


def _finish_from_status(status: Any, body: Mapping[str, Any]) -> str | None:
    if status == "completed":
        return "stop"
    if status == "incomplete":
        reason = _get(body, "incomplete_details", "reason")
        return "content_filter" if reason == "content_filter" else "length"
    return status if isinstance(status, str) else None


def _chat_from_output(body: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of a Responses-style answer (``output`` items)."""
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    images: list[GeneratedImage] = []
    for item in body.get("output") or []:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind == "message":
            content = item.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                texts.extend(
                    part["text"]
                    for part in content
                    if isinstance(part, Mapping)
                    and part.get("type") in ("output_text", "text")
                    and isinstance(part.get("text"), str)
                )
            reasoning.append(_reasoning_text(item.get("reasoning")))
        elif kind == "reasoning":
            reasoning.append(_reasoning_text(item.get("summary")))
            reasoning.append(_reasoning_text(item.get("content")))
        elif kind == "function_call":
            calls.append(_tool_call(item, len(calls)))
        elif kind == "image_generation_call":
            image = _image(item)
            if image is not None and (image.url or image.b64_json):
                images.append(image)
    text = "".join(texts)
    if not text and isinstance(body.get("output_text"), str):
        text = body["output_text"]
    finish = "tool_calls" if calls else _finish_from_status(body.get("status"), body)
    joined = "\n".join(part for part in reasoning if part)
    return {
        "text": text,
        "reasoning": joined or None,
        "tool_calls": calls,
        "finish_reason": finish,
        "images": images,
    }


def _tool_calls(value: Any, message: Mapping[str, Any] | None = None) -> list[ToolCall]:
    calls = [_tool_call(item, i) for i, item in enumerate(value)] if isinstance(value, list) else []
    if not calls and message is not None and isinstance(message.get("function_call"), Mapping):
        calls.append(_tool_call({"function": message["function_call"]}, 0))
    return calls


def _chat_from_choices(body: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of an OpenAI chat-completions (or completions) answer."""
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    choice = choice if isinstance(choice, Mapping) else {}
    message = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
    text = _text_of(message.get("content")) if message else _text_of(choice.get("text"))
    calls = _tool_calls(message.get("tool_calls"), message)
    reasoning = _reasoning_text(message.get("reasoning_content") or message.get("reasoning"))
    finish = choice.get("finish_reason")
    return {
        "text": text,
        "reasoning": reasoning or None,
        "tool_calls": calls,
        "finish_reason": finish if isinstance(finish, str) else ("tool_calls" if calls else None),
        "images": _images(message.get("images")),
    }


def _chat_from_legacy(body: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of the legacy ``ChatResponse``/``CompletionResponse`` (``data`` is the text)."""
    calls = _tool_calls(body.get("tool_calls"))
    finish = body.get("finish_reason")
    reasoning = _reasoning_text(body.get("reasoning") or body.get("reasoning_content"))
    return {
        "text": _text_of(body.get("data")),
        "reasoning": reasoning or None,
        "tool_calls": calls,
        "finish_reason": finish if isinstance(finish, str) else ("tool_calls" if calls else None),
        "images": _images(body.get("images")),
    }


def parse_chat(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    endpoint: Literal["chat", "completion"] = "chat",
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> ChatResult:
    """Parse a chat or text-completion answer of any documented shape.

    Tool-call arguments are parsed from their JSON string; arguments that are not a JSON object
    (truncated or invalid JSON) are kept verbatim as ``{"_raw": "<text>"}``. Calls without an
    id get ``call_<index>``.

    Args:
        body: The response JSON (Responses style, legacy ``data`` or OpenAI ``choices``).
        headers: The response headers.
        endpoint: ``"chat"`` or ``"completion"``.
        requested_model: The ``provider/model`` the request asked for.
        byok_sent: Whether the request carried a BYOK key.
        elapsed_ms: Client-measured duration in milliseconds.

    Returns:
        The normalized answer.

    Raises:
        ProviderError: The body matches none of the documented shapes.
    """
    if not isinstance(body, Mapping):
        raise _shape_error(body, endpoint)
    if body.get("object") == "response" or isinstance(body.get("output"), list):
        fields = _chat_from_output(body)
    elif isinstance(body.get("choices"), list):
        fields = _chat_from_choices(body)
    elif "data" in body and (body["data"] is None or isinstance(body["data"], str)):
        fields = _chat_from_legacy(body)
    else:
        raise _shape_error(body, endpoint)
    meta = parse_meta(
        body,
        headers,
        endpoint=endpoint,
        requested_model=requested_model,
        byok_sent=byok_sent,
        elapsed_ms=elapsed_ms,
    )
    usage = parse_usage(body.get("usage"), byok=meta.byok)
    return ChatResult(usage=usage, meta=meta, raw=dict(body), **fields)


# --------------------------------------------------------------------------- other endpoints


def _common(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    endpoint: str,
    requested_model: str | None,
    byok_sent: bool,
    elapsed_ms: float | None,
) -> dict[str, Any]:
    meta = parse_meta(
        body,
        headers,
        endpoint=endpoint,
        requested_model=requested_model,
        byok_sent=byok_sent,
        elapsed_ms=elapsed_ms,
    )
    usage = parse_usage(body.get("usage"), byok=meta.byok)
    return {"usage": usage, "meta": meta, "raw": dict(body)}


def _vector(value: Any) -> list[float] | None:
    if isinstance(value, str):  # encoding_format="base64": little-endian float32
        data = _b64decode(value)
        if data is None or len(data) % 4:
            return None
        return list(struct.unpack(f"<{len(data) // 4}f", data))
    if isinstance(value, list) and all(_num(x) is not None for x in value):
        return [float(x) for x in value]
    return None


def parse_embeddings(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> EmbeddingResult:
    """Parse an embeddings answer: ``data`` as vectors, or as ``{"embedding", "index"}`` items.

    Items carrying ``index`` are put back in input order.

    Raises:
        ProviderError: ``data`` is missing or holds something other than vectors.
    """
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise _shape_error(body, "embedding")
    items = data
    if all(isinstance(item, Mapping) for item in data):
        if all(_num(item.get("index")) is not None for item in data):
            items = sorted(data, key=lambda item: _num(item.get("index")) or 0)
        items = [item.get("embedding") for item in items]
    vectors = [_vector(item) for item in items]
    if any(vector is None for vector in vectors):
        raise _shape_error(body, "embedding")
    result = cast(list[list[float]], vectors)
    dimensions = _int(body.get("dimensions"))
    if dimensions is None and result:
        dimensions = len(result[0])
    common = _common(body, headers, "embedding", requested_model, byok_sent, elapsed_ms)
    return EmbeddingResult(vectors=result, dimensions=dimensions, **common)


def parse_images(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> ImageResult:
    """Parse an image generation answer: ``data`` items with ``url`` or ``b64_json``.

    Base64 images are decoded into ``data`` and their ``media_type`` is guessed from the bytes.

    Raises:
        ProviderError: ``data`` is not a list of images.
    """
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise _shape_error(body, "image")
    images = [_image(item) for item in data]
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
    comes from ``data.format``, ``response_format`` or ``content_type``, else the magic bytes.

    Raises:
        ProviderError: Neither a URL nor decodable audio is present.
    """
    if not isinstance(body, Mapping):
        raise _shape_error(body, "text_to_speech")
    data = body.get("data")
    if isinstance(data, str):
        data = {"url": data} if data.startswith(("http://", "https://")) else {"audio": data}
    if not isinstance(data, Mapping):
        raise _shape_error(body, "text_to_speech")
    url = data.get("url") if isinstance(data.get("url"), str) else None
    encoded = next(
        (
            data[key]
            for key in ("b64_json", "audio", "audio_base64", "data")
            if isinstance(data.get(key), str)
        ),
        None,
    )
    audio = _b64decode(encoded) if encoded is not None else None
    if url is None and audio is None:
        raise _shape_error(body, "text_to_speech")
    declared = [
        data.get("format"),
        data.get("response_format"),
        body.get("response_format"),
        body.get("format"),
        data.get("content_type"),
        body.get("content_type"),
    ]
    fmt = next((f for f in map(_audio_format_from_type, declared) if f), None)
    common = _common(body, headers, "text_to_speech", requested_model, byok_sent, elapsed_ms)
    return SpeechResult(
        audio=audio, url=url, format=fmt or (_audio_format(audio) if audio else None), **common
    )


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
    meta = parse_meta(
        {},
        headers,
        endpoint="text_to_speech",
        requested_model=requested_model,
        byok_sent=byok_sent,
        elapsed_ms=elapsed_ms,
    )
    declared = _audio_format_from_type(_lower_headers(headers).get("content-type"))
    if declared in ("octet-stream", "binary"):
        declared = None
    return SpeechResult(
        audio=bytes(content),
        format=declared or _audio_format(content),
        usage=parse_usage(None, byok=meta.byok),
        meta=meta,
    )


def parse_transcription(
    body: Mapping[str, Any] | str,
    headers: Mapping[str, str],
    *,
    endpoint: Literal["speech_to_text", "translation"] = "speech_to_text",
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> TranscriptionResult:
    """Parse a speech-to-text (or translation) answer.

    The text is ``data`` as a string, ``data.text``, or a top-level ``text``; a plain-text body
    (``response_format="text"``) is accepted as is.

    Raises:
        ProviderError: No transcript is present.
    """
    if isinstance(body, str):
        body = {"text": body}
    if not isinstance(body, Mapping):
        raise _shape_error(body, endpoint)
    data = body.get("data")
    text = data if isinstance(data, str) else _get(data, "text")
    if not isinstance(text, str):
        text = body.get("text")
    if not isinstance(text, str):
        raise _shape_error(body, endpoint)
    common = _common(body, headers, endpoint, requested_model, byok_sent, elapsed_ms)
    return TranscriptionResult(text=text, **common)


# --------------------------------------------------------------------------- model catalog

_UNIT = re.compile(r"^\s*(?:per\s+)?(\d+(?:\.\d+)?)?\s*([km])?\s*(?:tokens?)?\s*$", re.I)


def _unit_tokens(unit: Any) -> int:
    """``"1K tokens"`` -> 1000, ``"1M tokens"`` -> 1_000_000, ``"token"`` -> 1 (default 1000)."""
    if _num(unit) is not None:
        return max(int(_num(unit) or 1), 1)
    match = _UNIT.match(unit) if isinstance(unit, str) and unit.strip() else None
    if match is None:
        return 1000
    count = float(match.group(1) or 1)
    scale = {"k": 1000, "m": 1_000_000}.get((match.group(2) or "").lower(), 1)
    return max(int(count * scale), 1)


def _model_info(entry: Mapping[str, Any], provider: str | None) -> ModelInfo:
    name = next(
        (
            entry[key]
            for key in ("modelName", "id", "name", "model")
            if isinstance(entry.get(key), str) and entry[key]
        ),
        None,
    )
    if isinstance(entry.get("provider"), str) and entry["provider"]:
        provider = entry["provider"]
    if name is None:
        raise _shape_error(entry, "model catalog entry")
    if provider and name.startswith(provider + "/"):
        name = name[len(provider) + 1 :]
    elif provider is None and "/" in name:
        provider, name = name.split("/", 1)
    if provider is None:
        raise _shape_error(entry, "model catalog entry without provider")
    pricing = entry.get("pricing") if isinstance(entry.get("pricing"), Mapping) else {}
    prompt = _num(pricing.get("prompt", pricing.get("input", entry.get("inputPricePer1KTokens"))))
    completion = _num(
        pricing.get("completion", pricing.get("output", entry.get("outputPricePer1KTokens")))
    )
    kind = entry.get("type") or entry.get("model_type")
    return ModelInfo(
        id=f"{provider}/{name}",
        provider=provider,
        name=name,
        type=kind if isinstance(kind, str) else None,
        prompt_price=prompt,
        completion_price=completion,
        price_unit_tokens=_unit_tokens(pricing.get("unit")),
        raw=dict(entry),
    )


def _catalog_items(items: list[Any], provider: str | None, body: Any) -> list[ModelInfo]:
    models: list[ModelInfo] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise _shape_error(body, "model catalog")
        if isinstance(item.get("models"), list):
            name = item.get("name") or item.get("id") or item.get("provider")
            models.extend(_catalog_items(item["models"], str(name) if name else None, body))
        else:
            models.append(_model_info(item, provider))
    return models


def parse_model_catalog(body: Any) -> list[ModelInfo]:
    """Parse ``GET /models/``, ``/models/{provider}`` or ``/models/{provider}/{model}``.

    Accepts a list of providers (each with ``models``), ``{"providers": [...]}``,
    ``{"data": [...]}``, a single provider, a single model, and flat model lists whose models
    carry ``id: "provider/model"`` or a ``provider`` field. Pricing is read from
    ``pricing.prompt``/``pricing.completion`` (or ``input``/``output``) with ``pricing.unit``.

    Raises:
        ProviderError: The body is none of these.
    """
    if isinstance(body, list):
        return _catalog_items(body, None, body)
    if not isinstance(body, Mapping):
        raise _shape_error(body, "model catalog")
    for key in ("providers", "data"):
        if key in body:
            inner = body[key]
            return parse_model_catalog(inner if isinstance(inner, (list, Mapping)) else None)
    if isinstance(body.get("models"), list) or any(
        isinstance(body.get(key), str) for key in ("modelName", "id", "name", "model")
    ):
        return _catalog_items([body], None, body)
    raise _shape_error(body, "model catalog")


def estimate_cost(usage: Usage, model: ModelInfo) -> float | None:
    """Estimate a request's cost from the model's catalog pricing (no rounding).

    Returns:
        ``input_tokens * prompt_price / unit + output_tokens * completion_price / unit``, or None
        when the model lists no price, or no price for a kind of token the request used.
    """
    if model.prompt_price is None and model.completion_price is None:
        return None
    unit = model.price_unit_tokens or 1
    total = 0.0
    for tokens, price in (
        (usage.input_tokens, model.prompt_price),
        (usage.output_tokens, model.completion_price),
    ):
        if tokens:
            if price is None:
                return None
            total += tokens * price / unit
    return total

"""Embedding, image, speech and transcription answers in each response style.

The ``responses`` style (the default) answers images and speech as the usage guides show: the
``ImageResponse`` envelope (``request_id``, ``success``, ``usage.cost``) and the TTS
``AudioResponse`` with ``data: {"url": ...}`` and usage ``{characters, cost}``. Where the docs
leave a field name open, the styles differ on purpose so that parsers meet every variant:
base64 text-to-speech audio (asked with ``additional_params.emulator_audio_base64``, and the
legacy and openai styles' default) is ``b64_json`` (responses), ``audio`` (legacy) or
``audio_base64`` (openai); embeddings are ``{"embedding", "index"}`` objects (responses,
openai) or bare vectors with ``dimensions`` (legacy).
"""

from __future__ import annotations

import base64
import struct
from typing import Any

from .shapes import Bill, Meta, legacy_usage, openai_usage


def embeddings_body(
    style: str,
    meta: Meta,
    vectors: list[list[float]],
    bill: Bill,
    input_tokens: int,
    *,
    reverse: bool = False,
    encoding: str = "float",
) -> dict[str, Any]:
    """An embeddings answer; ``reverse`` lists the items last first (they carry ``index``)."""
    if style == "legacy":
        body = meta.legacy_base()
        body["data"] = vectors
        body["dimensions"] = len(vectors[0]) if vectors else 0
        body["usage"] = legacy_usage(meta, bill, input_tokens, 0)
        return meta.mark(body)
    items = [
        {"object": "embedding", "index": i, "embedding": _encode(v, encoding)}
        for i, v in enumerate(vectors)
    ]
    if reverse:
        items.reverse()
    if style == "openai":
        body = meta.openai_base("list")
        body["data"] = items
        body["usage"] = openai_usage(bill, input_tokens, 0)
        return meta.mark(body)
    body = meta.responses_base("list")
    body["data"] = items
    body["usage"] = {"prompt_tokens": input_tokens, "total_tokens": input_tokens}
    return meta.mark(body)


def _encode(vector: list[float], encoding: str) -> Any:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def images_body(
    style: str, meta: Meta, items: list[dict[str, Any]], bill: Bill, input_tokens: int
) -> dict[str, Any]:
    """An image-generation answer: ``data`` is a list of ``url`` or ``b64_json`` items."""
    count = len(items)
    if style == "legacy":
        body = meta.legacy_base()
        body["data"] = items
        body["usage"] = {**legacy_usage(meta, bill, input_tokens, 0), "images": count}
        return meta.mark(body)
    if style == "openai":
        body = meta.openai_base("list")
        body["data"] = items
        usage = openai_usage(bill, input_tokens, 0)
        body["usage"] = {**usage, "images": count}
        return meta.mark(body)
    body = meta.legacy_base()  # the documented ImageResponse envelope
    body["message"] = "Image generated successfully"
    body["data"] = items
    body["usage"] = {
        "input_tokens": input_tokens,
        "output_tokens": 0,
        "total_tokens": input_tokens,
        "images": count,
        "cost": bill.total,
        "cost_breakdown": {"total_cost": bill.total},
    }
    return meta.mark(body)


_AUDIO_KEY = {"responses": "b64_json", "legacy": "audio", "openai": "audio_base64"}


def speech_body(
    style: str,
    meta: Meta,
    bill: Bill,
    characters: int,
    *,
    audio_b64: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """A text-to-speech answer: ``data`` holds the audio (base64 or ``url``) and ``format``."""
    data: dict[str, Any] = {"url": url} if url else {_AUDIO_KEY[style]: audio_b64}
    data["format"] = "wav"
    data["content_type"] = "audio/wav"
    usage: dict[str, Any] = {"characters": characters, "cost": bill.total}
    if style == "legacy":
        body = meta.legacy_base()
        usage = {**legacy_usage(meta, bill, 0, 0), **usage}
    elif style == "openai":
        body = meta.openai_base("audio.speech")
    else:  # the TTS guide's AudioResponse: request_id, success, message, data.url
        body = meta.legacy_base()
        body["message"] = "Audio generated successfully"
    body["data"] = data
    body["usage"] = usage
    return meta.mark(body)


def transcription_body(
    style: str,
    meta: Meta,
    bill: Bill,
    text: str,
    seconds: float,
    *,
    kind: str,
    language: str | None = None,
) -> dict[str, Any]:
    """A speech-to-text answer.

    The default (responses) style is the STT guide's: ``request_id``, ``success``,
    ``message``, ``text`` and ``language`` at the top level, usage ``{duration_seconds,
    cost}``; ``data: {"text"}`` is kept beside it. Legacy: ``data`` is the text.
    """
    usage: dict[str, Any] = {"seconds": round(seconds, 3), "cost": bill.total}
    if style == "legacy":
        body = meta.legacy_base()
        body["data"] = text
        body["usage"] = {**legacy_usage(meta, bill, 0, 0), **usage}
        return meta.mark(body)
    if style == "openai":
        body = meta.openai_base(kind)
        body["text"] = text
    else:
        body = meta.legacy_base()
        body["message"] = f"Audio {'translated' if kind == 'translation' else 'transcribed'}"
        body.update(text=text, language=language)
        usage = {"duration_seconds": round(seconds, 3), "cost": bill.total}
    body["data"] = {"text": text}
    body["usage"] = usage
    return meta.mark(body)

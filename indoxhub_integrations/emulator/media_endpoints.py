"""Handlers of the embedding, image, text-to-speech and speech-to-text endpoints."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from starlette.datastructures import UploadFile

from . import validation
from .catalog import EMBEDDING, IMAGE, STT, TTS
from .errors import Problems
from .media import image_size, wav, wav_seconds, wav_text
from .media_shapes import embeddings_body, images_body, speech_body, transcription_body
from .model import count_tokens, embed
from .picture import picture
from .pipeline import Answer, Call, admit, byok_headers, check_byok, resolve
from .shapes import Bill

DEFAULT_DIMENSIONS = 64
"""Vector size of an embedding model whose catalog entry gives none (the built-in models give
their real sizes: ``openai/text-embedding-3-small`` is 1536)."""
ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
_SIZE = re.compile(r"\d{2,5}x\d{2,5}")
_MAX_TTS_CHARACTERS = 4096


def _params(body: dict[str, Any], problems: Problems) -> dict[str, Any]:
    params = body.get("additional_params")
    if isinstance(params, dict):
        validation.check_params(params, problems, ("body", "additional_params"))
        return params
    return {}


def _file_path(call: Call, data: bytes, media_type: str, suffix: str) -> str:
    """Store ``data`` and return its path on the emulator (``/_emulator/files/ID.SUFFIX``)."""
    return f"/_emulator/files/{call.state.store_file(data, media_type)}.{suffix}"


def _file_url(call: Call, data: bytes, media_type: str, suffix: str) -> str:
    return call.base_url + _file_path(call, data, media_type, suffix)


# --- embeddings --------------------------------------------------------------------------------


async def embeddings(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /api/v1/embeddings``: ``text`` is a string or a list of strings."""
    problems = validation.require(body, validation.EMBEDDING)
    params = _params(body, problems)
    if body.get("text") == []:
        problems.add(
            ("body", "text"),
            "List should have at least 1 item after validation, not 0",
            "too_short",
        )
    problems.raise_if_any()
    text = body["text"]
    texts = [text] if isinstance(text, str) else text
    dimensions = body.get("dimensions") or params.get("dimensions")
    reverse = params.get("emulator_reverse_order") is True
    return _embed(call, body, texts, dimensions, call.state.style, reverse=reverse)


async def openai_embeddings(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /v1/embeddings``: OpenAI's ``input`` (text, texts or token ids), OpenAI's answer."""
    problems = validation.require(body, validation.OPENAI_EMBEDDING)
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        problems.add(
            ("body", "encoding_format"), "Input should be 'float' or 'base64'", "literal_error"
        )
    problems.raise_if_any()
    value = body["input"]
    if isinstance(value, str):
        texts = [value]
    elif all(isinstance(v, str) for v in value):
        texts = list(value)
    elif all(isinstance(v, int) for v in value):
        texts = [" ".join(f"t{v}" for v in value)]
    else:
        texts = [" ".join(f"t{i}" for i in v) for v in value]
    dimensions = body.get("dimensions")
    return _embed(call, body, texts, dimensions, "openai", encoding=encoding, bare_ok=True)


def _embed(
    call: Call,
    body: dict[str, Any],
    texts: list[str],
    dimensions: int | None,
    style: str,
    *,
    reverse: bool = False,
    encoding: str = "float",
    bare_ok: bool = False,
) -> Answer:
    model = resolve(body, EMBEDDING, catalog=call.state.catalog, bare_ok=bare_ok)
    check_byok(call, body.get("byok_api_key"), model)
    tokens = sum(count_tokens(t) for t in texts)
    bill = admit(call, model, Bill(*model.token_cost(tokens, 0)), tokens, tokens)
    call.record.input_tokens = tokens
    size = dimensions or int(model.extra.get("dimensions", DEFAULT_DIMENSIONS))
    vectors = [embed(t, size) for t in texts]
    meta = call.meta(model)
    answer = embeddings_body(style, meta, vectors, bill, tokens, reverse=reverse, encoding=encoding)
    return Answer(body=answer, headers=byok_headers(call))


# --- images ------------------------------------------------------------------------------------


async def images(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /api/v1/images/generations``: tiny PNGs, as URLs or base64."""
    problems = validation.require(body, validation.IMAGE)
    _params(body, problems)
    fmt = body.get("response_format")
    if fmt is not None and fmt not in ("url", "b64_json"):
        problems.add(
            ("body", "response_format"), "Input should be 'url' or 'b64_json'", "literal_error"
        )
    problems.raise_if_any()
    model = resolve(body, IMAGE, catalog=call.state.catalog)
    size, aspect = body.get("size"), body.get("aspect_ratio")
    if model.provider == "google":
        if size is not None:
            problems.add(
                ("body", "size"),
                f"Google image models take 'aspect_ratio' ({', '.join(ASPECT_RATIOS)}), not 'size'",
                "value_error",
            )
        if aspect is not None and aspect not in ASPECT_RATIOS:
            problems.add(
                ("body", "aspect_ratio"), f"Input should be one of {ASPECT_RATIOS}", "literal_error"
            )
    elif model.provider == "xai":
        if size is not None:
            problems.add(("body", "size"), "xAI image models take no 'size'", "value_error")
    elif size is not None and not _SIZE.fullmatch(size):
        problems.add(
            ("body", "size"), "String should match pattern '^\\d+x\\d+$'", "string_pattern_mismatch"
        )
    problems.raise_if_any()
    check_byok(call, body.get("byok_api_key"), model)
    count = body.get("n") or 1
    prompt = body["prompt"]
    tokens = count_tokens(prompt)
    price = float(model.pricing.get("image", 0.0))
    bill = admit(call, model, Bill(request=count * price), tokens, tokens)
    call.record.input_tokens = tokens
    shape = image_size(size, aspect)
    items: list[dict[str, Any]] = []
    for index in range(count):
        data = picture(prompt, *shape, index)
        path = _file_path(call, data, "image/png", "png")
        call.record.images.append(path)  # the dashboard's thumbnail
        if fmt == "b64_json":
            item: dict[str, Any] = {"b64_json": base64.b64encode(data).decode()}
        else:
            item = {"url": call.base_url + path}
        item["revised_prompt"] = prompt
        item["index"] = index  # as the images guide's items carry it
        items.append(item)
    answer = images_body(call.state.style, call.meta(model), items, bill, tokens)
    return Answer(body=answer, headers=byok_headers(call))


# --- speech ------------------------------------------------------------------------------------


async def speech(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /api/v1/audio/tts/generations``: a WAV that records the text."""
    problems = validation.require(body, validation.TTS)
    params = _params(body, problems)
    text = body.get("input")
    if isinstance(text, str) and not text:
        problems.add(
            ("body", "input"), "String should have at least 1 character", "string_too_short"
        )
    elif isinstance(text, str) and len(text) > _MAX_TTS_CHARACTERS:
        problems.add(
            ("body", "input"),
            f"String should have at most {_MAX_TTS_CHARACTERS} characters",
            "string_too_long",
        )
    problems.raise_if_any()
    assert isinstance(text, str)
    model = resolve(body, TTS, catalog=call.state.catalog)
    check_byok(call, body.get("byok_api_key"), model)
    price = float(model.pricing.get("characters", 0.0))
    bill = admit(call, model, Bill(request=len(text) / 1000 * price), 0, 0)
    audio = wav(text)
    meta = call.meta(model)
    as_url = params.get("emulator_audio_url")
    if as_url is None:  # the documented answer is a URL; base64 stays available as a style
        as_url = call.state.style == "responses" and params.get("emulator_audio_base64") is not True
    if as_url is True:
        url = _file_url(call, audio, "audio/wav", "wav")
        answer = speech_body(call.state.style, meta, bill, len(text), url=url)
    else:
        encoded = base64.b64encode(audio).decode()
        answer = speech_body(call.state.style, meta, bill, len(text), audio_b64=encoded)
    return Answer(body=answer, headers=byok_headers(call))


_FORM_TEXT = ("model", "provider", "language", "prompt", "response_format", "byok_api_key")


async def transcription(call: Call, form: dict[str, Any], *, translate: bool = False) -> Answer:
    """``POST /api/v1/audio/stt/transcriptions`` and ``.../translations`` (multipart)."""
    problems = Problems()
    upload = form.get("file")
    if upload is None:
        problems.missing(("body", "file"))
    elif not isinstance(upload, UploadFile):
        problems.wrong_type(("body", "file"), "file")
    if form.get("model") is None:
        problems.missing(("body", "model"))
    for name in _FORM_TEXT:
        if form.get(name) is not None and not isinstance(form[name], str):
            problems.wrong_type(("body", name), "str")
    temperature = form.get("temperature")
    if temperature is not None:
        try:
            float(temperature)
        except (TypeError, ValueError):
            problems.add(
                ("body", "temperature"),
                "Input should be a valid number, unable to parse string as a number",
                "float_parsing",
            )
    granularities = form.get("timestamp_granularities")
    if granularities is not None:
        try:
            json.loads(granularities)
        except (TypeError, ValueError):
            problems.add(("body", "timestamp_granularities"), "Invalid JSON", "json_invalid")
    problems.raise_if_any()
    assert isinstance(upload, UploadFile)
    model = resolve(form, STT, catalog=call.state.catalog)
    check_byok(call, form.get("byok_api_key"), model)
    bill = admit(call, model, Bill(request=float(model.pricing.get("request", 0.0))), 0, 0)
    data = await upload.read()
    text = wav_text(data)
    if text is None:
        text = f"Audio of {len(data)} bytes."
    kind = "translation" if translate else "transcription"
    language = form.get("language") if not translate else "en"
    answer = transcription_body(
        call.state.style, call.meta(model), bill, text, wav_seconds(data), kind=kind,
        language=language if isinstance(language, str) else None,
    )  # fmt: skip
    return Answer(body=answer, headers=byok_headers(call))

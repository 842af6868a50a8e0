"""Request bodies: validation of user input and the JSON each endpoint receives (pure)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from .byok import split_model
from .errors import InvalidRequestError

CHAT_TOP_LEVEL = frozenset(
    {"temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty"}
)
"""Sampling fields the chat and completion schemas declare at the top level."""

IMAGE_TOP_LEVEL = frozenset(
    {
        "size", "n", "quality", "style", "response_format", "user", "background", "moderation",
        "output_compression", "output_format", "negative_prompt", "guidance_scale", "seed",
        "safety_filter_level", "person_generation", "include_safety_attributes",
        "include_rai_reason", "language", "output_mime_type", "add_watermark", "enhance_prompt",
        "aspect_ratio",
    }
)  # fmt: skip
"""Image generation fields the schema declares at the top level."""

TTS_TOP_LEVEL = frozenset({"voice", "instructions", "response_format", "speed"})
"""Text to speech fields the schema declares at the top level."""

ROLES = frozenset({"system", "user", "assistant", "tool", "function", "developer"})
"""Message roles indoxhub accepts."""

GOOGLE_ASPECT_RATIOS = {
    "1024x1024": "1:1",
    "1792x1024": "16:9",
    "1024x1792": "9:16",
    "1024x768": "4:3",
    "768x1024": "3:4",
}
"""How the public client maps OpenAI-style sizes to Google's aspect ratios."""


def _fail(message: str) -> InvalidRequestError:
    return InvalidRequestError(message)


def validate_model(model: Any) -> str:
    """Check a ``provider/model`` name and return it."""
    if not isinstance(model, str):
        raise _fail(f"model must be a 'provider/model' string, got {type(model).__name__}.")
    split_model(model)
    return model


def _validate_part(part: Any, where: str) -> None:
    if isinstance(part, str):
        return
    if not isinstance(part, Mapping) or not isinstance(part.get("type"), str):
        raise _fail(f"{where} must be a text string or a dict with a 'type' (e.g. 'text').")
    kind = part["type"]
    if kind == "text" and not isinstance(part.get("text"), str):
        raise _fail(f"{where} is a text part without a string 'text'.")
    if kind == "image":
        image = part.get("image")
        if not isinstance(image, Mapping) or not (
            isinstance(image.get("data"), str) or isinstance(image.get("url"), str)
        ):
            raise _fail(
                f"{where} is an image part without image data: use "
                "{'type': 'image', 'image': {'data': <base64>, 'media_type': 'image/png'}} or "
                "{'type': 'image', 'image': {'url': 'https://...'}}."
            )


def validate_messages(messages: Any) -> list[dict[str, Any]]:
    """Check a chat message list and return it as a list of plain dicts.

    Raises:
        InvalidRequestError: Naming the first bad message and what to do about it.
    """
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise _fail(
            "messages must be a list of {'role': ..., 'content': ...} dicts; "
            f"got {type(messages).__name__}."
        )
    if not messages:
        raise _fail("messages is empty: send at least one message, e.g. a 'user' message.")
    checked: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise _fail(f"{where} must be a dict with 'role' and 'content'.")
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise _fail(f"{where} has role {role!r}; use one of {sorted(ROLES)}.")
        content = message.get("content")
        has_tool_calls = bool(message.get("tool_calls"))
        if content is None:
            if not (role == "assistant" and has_tool_calls):
                raise _fail(f"{where} ({role}) has no content.")
        elif isinstance(content, list):
            if not content and not has_tool_calls:
                raise _fail(f"{where} ({role}) has an empty content list.")
            for part_index, part in enumerate(content):
                _validate_part(part, f"{where}.content[{part_index}]")
            if any(isinstance(part, str) for part in content):  # the wire takes part dicts
                parts = [{"type": "text", "text": p} if isinstance(p, str) else p for p in content]
                message = {**message, "content": parts}
        elif not isinstance(content, str):
            raise _fail(
                f"{where}.content must be a string or a list of parts, "
                f"got {type(content).__name__}."
            )
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise _fail(f"{where} is a tool message without a 'tool_call_id' string.")
        if message.get("tool_calls") is not None:
            _validate_tool_calls(message["tool_calls"], where)
        checked.append(dict(message))
    return checked


def _validate_tool_calls(calls: Any, where: str) -> None:
    if not isinstance(calls, list | tuple) or not all(
        isinstance(call, Mapping)
        and isinstance(call.get("function"), Mapping)
        and isinstance(call["function"].get("name"), str)
        for call in calls
    ):
        raise _fail(
            f"{where}.tool_calls must be a list of {{'id': ..., 'type': 'function', "
            "'function': {'name': ..., 'arguments': <JSON string>}} dicts."
        )


_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "frequency_penalty": (-2.0, 2.0),
    "presence_penalty": (-2.0, 2.0),
}
"""The documented ranges of the sampling fields (the server refuses values outside them)."""


def _check_number(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(f"{name} must be a finite number, got {value!r}.")
    if name == "max_tokens" and (not isinstance(value, int) or value < 1):
        raise _fail(f"max_tokens must be a positive integer, got {value!r}.")
    low, high = _RANGES.get(name, (-math.inf, math.inf))
    if not low <= value <= high:
        raise _fail(f"{name} must be between {low} and {high}, got {value!r}.")


def _check_options(options: Mapping[str, Any]) -> None:
    """The documented ``additional_params`` a chat request carries: tools, tool_choice, stop
    and response_format, in the forms the server accepts."""
    tools = options.get("tools")
    if tools is not None:
        if not isinstance(tools, list | tuple):
            raise _fail("tools must be a list of {'type': 'function', 'function': {...}} dicts.")
        for index, tool in enumerate(tools):
            function = tool.get("function", tool) if isinstance(tool, Mapping) else None
            if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
                raise _fail(
                    f"tools[{index}] needs a function with a name: "
                    "{'type': 'function', 'function': {'name': ..., 'parameters': {...}}}."
                )
            if function.get("parameters") is not None and not isinstance(
                function["parameters"], Mapping
            ):
                raise _fail(f"tools[{index}].function.parameters must be a JSON schema object.")
    choice = options.get("tool_choice")
    if choice is not None and not (
        isinstance(choice, Mapping) or (isinstance(choice, str) and choice in TOOL_CHOICES)
    ):
        raise _fail(
            f"tool_choice must be 'auto', 'none', 'required' or "
            f"{{'type': 'function', 'function': {{'name': ...}}}}, got {choice!r:.60}."
        )
    stop = options.get("stop")
    if stop is not None and not (
        isinstance(stop, str)
        or (isinstance(stop, list | tuple) and all(isinstance(item, str) for item in stop))
    ):
        raise _fail("stop must be a string or a list of strings.")
    fmt = options.get("response_format")
    if fmt is not None and not (isinstance(fmt, Mapping) and fmt.get("type") in RESPONSE_FORMATS):
        raise _fail(
            "response_format must be {'type': 'text'}, {'type': 'json_object'} or "
            "{'type': 'json_schema', 'json_schema': {...}}."
        )


TOOL_CHOICES = ("auto", "none", "required")
RESPONSE_FORMATS = ("text", "json_object", "json_schema")


def split_params(
    params: Mapping[str, Any], top_level: frozenset[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split parameters into the schema's top-level fields and ``additional_params``.

    ``None`` values are omitted (the public client never sends nulls).
    """
    top: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if key == "stream":
            raise _fail(
                "stream is not an option of this method: for a streamed answer call "
                "stream_chat() or stream_complete() (a framework's stream()/astream())."
            )
        (top if key in top_level else extra)[key] = value
    return top, extra


def _merge_additional(
    additional_params: Mapping[str, Any] | None, extra: Mapping[str, Any]
) -> dict[str, Any]:
    if additional_params is not None and not isinstance(additional_params, Mapping):
        raise _fail("additional_params must be a dict of provider options.")
    merged = dict(additional_params or {})
    merged.update(extra)
    return merged


def _finish(body: dict[str, Any], additional: dict[str, Any], byok_key: SecretStr | None) -> None:
    if additional:
        body["additional_params"] = additional
    if byok_key:
        body["byok_api_key"] = byok_key


def chat_body(
    messages: Any,
    model: str,
    params: Mapping[str, Any],
    *,
    additional_params: Mapping[str, Any] | None = None,
    byok_key: SecretStr | None = None,
    stream: bool = False,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/chat/completions``.

    Args:
        messages: The conversation, as dicts in indoxhub's form.
        model: ``provider/model``.
        params: Sampling and other options; the schema's top-level ones stay top level, the
            rest (``tools``, ``tool_choice``, ``stop``, ``response_format``...) go to
            ``additional_params``.
        additional_params: Provider options given explicitly; ``params`` win on conflicts.
        byok_key: The resolved BYOK key, if any; it stays a ``SecretStr`` in the body until the
            body is serialized for sending.
        stream: Ask for server-sent events.
    """
    body: dict[str, Any] = {"messages": validate_messages(messages), "model": validate_model(model)}
    top, extra = split_params(params, CHAT_TOP_LEVEL)
    for name, value in top.items():
        _check_number(name, value)
    body.update(top)
    if stream:
        body["stream"] = True
    additional = _merge_additional(additional_params, extra)
    _check_options(additional)
    _finish(body, additional, byok_key)
    return body


def completion_body(
    prompt: Any,
    model: str,
    params: Mapping[str, Any],
    *,
    additional_params: Mapping[str, Any] | None = None,
    byok_key: SecretStr | None = None,
    stream: bool = False,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/completions``."""
    if not isinstance(prompt, str):
        raise _fail(f"prompt must be a string, got {type(prompt).__name__}.")
    if not prompt:
        raise _fail("prompt is empty: pass the text to complete.")
    body: dict[str, Any] = {"prompt": prompt, "model": validate_model(model)}
    top, extra = split_params(params, CHAT_TOP_LEVEL)
    for name, value in top.items():
        _check_number(name, value)
    body.update(top)
    if stream:
        body["stream"] = True
    additional = _merge_additional(additional_params, extra)
    _check_options(additional)
    _finish(body, additional, byok_key)
    return body


def embedding_body(
    texts: Any,
    model: str,
    params: Mapping[str, Any],
    *,
    additional_params: Mapping[str, Any] | None = None,
    byok_key: SecretStr | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/embeddings`` (``text`` is always a list)."""
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, Sequence) or not texts:
        raise _fail("Embedding input is empty: pass a string or a non-empty list of strings.")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise _fail(
                f"Embedding input [{index}] is {type(text).__name__}, not text: pass raw "
                "strings (token arrays are not accepted by indoxhub)."
            )
    body: dict[str, Any] = {"text": list(texts), "model": validate_model(model)}
    _, extra = split_params(params, frozenset())
    _finish(body, _merge_additional(additional_params, extra), byok_key)
    return body


def image_body(
    prompt: Any,
    model: str,
    params: Mapping[str, Any],
    *,
    additional_params: Mapping[str, Any] | None = None,
    byok_key: SecretStr | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/images/generations``, with the provider quirks applied.

    Google models take ``aspect_ratio`` instead of ``size`` (mapped as the public client does);
    xAI models take no ``size`` (a size given for them is an error, not silently dropped).
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise _fail("The image prompt must be a non-empty string.")
    provider, _ = split_model(validate_model(model))
    top, extra = split_params(params, IMAGE_TOP_LEVEL)
    size = top.get("size")
    if provider == "google" and size is not None:
        ratio = GOOGLE_ASPECT_RATIOS.get(str(size))
        if ratio is None:
            raise _fail(
                f"Google image models take aspect_ratio, and size {size!r} has no equivalent: "
                f"use one of {sorted(GOOGLE_ASPECT_RATIOS)} or aspect_ratio='1:1'|'3:4'|'4:3'|"
                "'9:16'|'16:9'."
            )
        del top["size"]
        top.setdefault("aspect_ratio", ratio)
    if provider == "xai" and size is not None:
        raise _fail("xAI image models take no size: leave size unset for xai/... models.")
    if "n" in top and (not isinstance(top["n"], int) or isinstance(top["n"], bool) or top["n"] < 1):
        raise _fail(f"n must be a positive integer, got {top['n']!r}.")
    body: dict[str, Any] = {"prompt": prompt, "model": model, **top}
    _finish(body, _merge_additional(additional_params, extra), byok_key)
    return body


def speech_body(
    text: Any,
    model: str,
    params: Mapping[str, Any],
    *,
    additional_params: Mapping[str, Any] | None = None,
    byok_key: SecretStr | None = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/audio/tts/generations``."""
    if not isinstance(text, str) or not text.strip():
        raise _fail("Text to speech input must be a non-empty string.")
    top, extra = split_params(params, TTS_TOP_LEVEL)
    if "speed" in top:
        _check_number("speed", top["speed"])
    body: dict[str, Any] = {"input": text, "model": validate_model(model), **top}
    _finish(body, _merge_additional(additional_params, extra), byok_key)
    return body


def transcription_form(
    model: str,
    params: Mapping[str, Any],
    *,
    byok_key: SecretStr | None = None,
) -> dict[str, str | SecretStr]:
    """The multipart form fields (besides ``file``) of the speech to text endpoints."""
    form: dict[str, str | SecretStr] = {"model": validate_model(model)}
    for key, value in params.items():
        if value is None:
            continue
        if key == "stream":
            raise _fail("speech to text does not stream: leave stream unset.")
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(f"{key} must be a finite number, got {value!r}.")
        if key == "timestamp_granularities" and not isinstance(value, str):
            value = json.dumps(list(value))
        form[key] = str(value)
    if byok_key:
        form["byok_api_key"] = byok_key
    return form

"""Request body validation with FastAPI-style 422 answers (never an exception for junk)."""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import Problems

Loc = tuple[str | int, ...]
Spec = dict[str, tuple[str, bool]]
"""Field name -> (kind, required)."""

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})

_COMMON: Spec = {
    "provider": ("str", False),
    "model": ("str", True),
    "additional_params": ("dict", False),
    "byok_api_key": ("str", False),
}
_SAMPLING: Spec = {
    "temperature": ("float", False),
    "max_tokens": ("int", False),
    "top_p": ("float", False),
    "frequency_penalty": ("float", False),
    "presence_penalty": ("float", False),
    "stream": ("bool", False),
}
CHAT: Spec = {"messages": ("list", True), **_COMMON, **_SAMPLING}
COMPLETION: Spec = {"prompt": ("str", True), **_COMMON, **_SAMPLING}
EMBEDDING: Spec = {"text": ("text", True), "dimensions": ("int", False), **_COMMON}
IMAGE: Spec = {
    "prompt": ("str", True),
    "size": ("str", False),
    "n": ("int", False),
    "quality": ("str", False),
    "style": ("str", False),
    "response_format": ("str", False),
    "aspect_ratio": ("str", False),
    "negative_prompt": ("str", False),
    "seed": ("int", False),
    **_COMMON,
}
VIDEO: Spec = {
    "prompt": ("str", True),
    "aspect_ratio": ("str", False),
    "resolution": ("str", False),
    "duration": ("float", False),
    "n": ("int", False),
    "size": ("str", False),
    "generate_audio": ("bool", False),
    "negative_prompt": ("str", False),
    "person_generation": ("str", False),
    "response_format": ("str", False),
    **_COMMON,
}
TTS: Spec = {
    "input": ("str", True),
    "voice": ("str", False),
    "instructions": ("str", False),
    "response_format": ("str", False),
    "speed": ("float", False),
    **_COMMON,
}
OPENAI_CHAT: Spec = {
    "messages": ("list", True),
    "model": ("str", True),
    "provider": ("str", False),  # read by the model lookup like on the native routes
    "max_tokens": ("int", False),
    "max_completion_tokens": ("int", False),
    "temperature": ("float", False),
    "top_p": ("float", False),
    "stream": ("bool", False),
    "stream_options": ("dict", False),
    "tools": ("list", False),
    "response_format": ("dict", False),
    "reasoning_effort": ("str", False),
    "byok_api_key": ("str", False),
}
OPENAI_EMBEDDING: Spec = {
    "input": ("input", True),
    "model": ("str", True),
    "provider": ("str", False),  # read by the model lookup like on the native routes
    "dimensions": ("int", False),
    "encoding_format": ("str", False),
    "byok_api_key": ("str", False),
}

_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "frequency_penalty": (-2.0, 2.0),
    "presence_penalty": (-2.0, 2.0),
    "max_tokens": (1, 1_000_000),
    "max_completion_tokens": (1, 1_000_000),
    "n": (1, 10),
    "dimensions": (1, 4096),
    "speed": (0.25, 4.0),
    "emulator_chunks": (1, 100_000),
    "emulator_event_delay": (0.0, 10.0),
}


def parse_json(raw: bytes) -> dict[str, Any]:
    """Decode a JSON object body, or raise the 422 FastAPI would."""
    problems = Problems()
    if not raw.strip():
        problems.missing(("body",))
        problems.raise_if_any()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
        problems.add(("body", position), "JSON decode error", "json_invalid", error=str(exc)[:200])
        problems.raise_if_any()
    if not isinstance(body, dict):
        problems.add(
            ("body",),
            "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type",
        )
        problems.raise_if_any()
    return body


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "dict":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind == "text":
        return isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
    if kind == "input":
        return _is_openai_input(value)
    return False


def _is_openai_input(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if not isinstance(value, list) or not value:
        return False
    if all(isinstance(v, str) for v in value):
        return True
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return True
    return all(
        isinstance(v, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in v)
        for v in value
    )


def check(body: dict[str, Any], spec: Spec, problems: Problems, loc: Loc = ("body",)) -> None:
    """Check ``body`` against ``spec``: presence, types and the known numeric ranges."""
    for name, (kind, required) in spec.items():
        value = body.get(name)
        if value is None:
            if required:
                problems.missing((*loc, name))
            continue
        if not _is_kind(value, kind):
            if kind in ("text", "input"):
                problems.wrong_type((*loc, name), "str")
            else:
                problems.wrong_type((*loc, name), kind)
            continue
        if name in _RANGES:
            _check_range(value, name, problems, (*loc, name))


def _check_range(value: Any, name: str, problems: Problems, loc: Loc) -> None:
    low, high = _RANGES[name]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if value < low:
        problems.add(
            loc, f"Input should be greater than or equal to {low}", "greater_than_equal", ge=low
        )
    elif value > high:
        problems.add(
            loc, f"Input should be less than or equal to {high}", "less_than_equal", le=high
        )


def check_messages(
    messages: list[Any], problems: Problems, loc: Loc = ("body", "messages")
) -> None:
    """Each message: an object with a known ``role`` and string, list or null ``content``."""
    if not messages:
        problems.add(loc, "List should have at least 1 item after validation, not 0", "too_short")
        return
    for index, message in enumerate(messages):
        here = (*loc, index)
        if not isinstance(message, dict):
            problems.wrong_type(here, "dict")
            continue
        role = message.get("role")
        if role is None:
            problems.missing((*here, "role"))
        elif not isinstance(role, str):
            problems.wrong_type((*here, "role"), "str")
        elif role not in ROLES:
            problems.add((*here, "role"), f"Input should be one of {sorted(ROLES)}", "enum")
        content = message.get("content")
        if isinstance(content, list):
            _check_parts(content, problems, (*here, "content"))
        elif content is not None and not isinstance(content, str):
            problems.wrong_type((*here, "content"), "str")
        elif content is None and "content" not in message and not message.get("tool_calls"):
            problems.missing((*here, "content"))
        calls = message.get("tool_calls")
        if calls is not None:
            _check_calls(calls, problems, (*here, "tool_calls"))


def _check_parts(parts: list[Any], problems: Problems, loc: Loc) -> None:
    for index, part in enumerate(parts):
        here = (*loc, index)
        if not isinstance(part, dict):
            problems.wrong_type(here, "dict")
        elif not isinstance(part.get("type"), str):
            problems.missing((*here, "type"))
        elif part["type"] == "text" and not isinstance(part.get("text"), str):
            problems.wrong_type((*here, "text"), "str")


def _check_calls(calls: Any, problems: Problems, loc: Loc) -> None:
    if not isinstance(calls, list):
        problems.wrong_type(loc, "list")
        return
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            problems.missing((*loc, index, "function", "name"))


def check_params(params: dict[str, Any], problems: Problems, loc: Loc) -> None:
    """The ``additional_params`` keys the emulator acts on."""
    tools = params.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            problems.wrong_type((*loc, "tools"), "list")
        else:
            for index, tool in enumerate(tools):
                _check_tool(tool, problems, (*loc, "tools", index))
    choice = params.get("tool_choice")
    if choice is not None:
        if isinstance(choice, str):
            if choice not in ("auto", "none", "required"):
                problems.add(
                    (*loc, "tool_choice"),
                    "Input should be 'auto', 'none' or 'required'",
                    "literal_error",
                )
        elif not isinstance(choice, dict):
            problems.wrong_type((*loc, "tool_choice"), "dict")
    stop = params.get("stop")
    if stop is not None and not _is_kind(stop, "text"):
        problems.wrong_type((*loc, "stop"), "str")
    fmt = params.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict):
            problems.wrong_type((*loc, "response_format"), "dict")
        elif fmt.get("type") not in ("text", "json_object", "json_schema"):
            problems.add(
                (*loc, "response_format", "type"),
                "Input should be 'text', 'json_object' or 'json_schema'",
                "literal_error",
            )
    for name, kind in (
        ("emulator_chunks", "int"),
        ("emulator_event_delay", "float"),
        ("dimensions", "int"),
        ("reasoning_effort", "str"),
        ("modalities", "list"),
    ):
        value = params.get(name)
        if value is None:
            continue
        if not _is_kind(value, kind):
            problems.wrong_type((*loc, name), kind)
        elif name in _RANGES:
            _check_range(value, name, problems, (*loc, name))


def _check_tool(tool: Any, problems: Problems, loc: Loc) -> None:
    if not isinstance(tool, dict):
        problems.wrong_type(loc, "dict")
        return
    function = tool.get("function", tool)
    if not isinstance(function, dict):
        problems.wrong_type((*loc, "function"), "dict")
        return
    if not isinstance(function.get("name"), str):
        problems.missing((*loc, "function", "name"))
    parameters = function.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        problems.wrong_type((*loc, "function", "parameters"), "dict")


def require(body: dict[str, Any], spec: Spec) -> Problems:
    """Check ``body`` against ``spec`` and return the problems found (not raised yet)."""
    problems = Problems()
    check(body, spec, problems)
    return problems

"""Fixtures for the emulator's own tests: one server per session, reset before every test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[IndoxHubEmulator]:
    with IndoxHubEmulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_session: IndoxHubEmulator) -> IndoxHubEmulator:
    emulator_session.reset()
    return emulator_session


@pytest.fixture(scope="session")
def session_client(emulator_session: IndoxHubEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {emulator_session.api_key}"}
    with httpx.Client(base_url=emulator_session.base_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def client(emulator: IndoxHubEmulator, session_client: httpx.Client) -> httpx.Client:
    """An authenticated client of the (freshly reset) emulator."""
    return session_client


def _chat_body(
    text: str = "Hello there", model: str = "openai/gpt-4o-mini", **extra: Any
) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


def _sse_events(text: str) -> list[Any]:
    events: list[Any] = []
    for block in text.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                payload = line[len("data: ") :]
                events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


@pytest.fixture(scope="session")
def chat_body() -> Callable[..., dict[str, Any]]:
    """``chat_body(text, model=..., **fields)``: a one-message chat request body."""
    return _chat_body


@pytest.fixture(scope="session")
def sse() -> Callable[[str], list[Any]]:
    """``sse(text)``: the ``data:`` payloads of an SSE body (``[DONE]`` kept as the string)."""
    return _sse_events


@pytest.fixture(scope="session")
def schema_errors() -> Callable[[Any, Any], list[str]]:
    """``schema_errors(value, schema)``: how ``value`` breaks a JSON schema (a test subset)."""
    return _schema_errors


# --- a small JSON-schema validator (no jsonschema dependency) ---------------------------------

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _schema_errors(value: Any, schema: Any, root: Any = None, path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty when it validates)."""
    root = schema if root is None else root
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _schema_errors(value, target, root, path)
    found: list[str] = []
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: not const")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: not in enum")
    if "anyOf" in schema and all(_schema_errors(value, s, root, path) for s in schema["anyOf"]):
        found.append(f"{path}: matches no anyOf option")
    for sub in schema.get("allOf", []):
        found.extend(_schema_errors(value, sub, root, path))
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and not any(_is(value, k) for k in kinds):
        return [*found, f"{path}: not {kinds}"]
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{path}: missing {name}")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                found.extend(_schema_errors(item, properties[name], root, f"{path}.{name}"))
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}: extra {name}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{path}: too few items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{path}: too many items")
        for index, item in enumerate(value):
            found.extend(_schema_errors(item, schema.get("items", {}), root, f"{path}[{index}]"))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            found.append(f"{path}: too short")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{path}: too long")
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: above maximum")
    return found


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = _TYPES.get(kind)
    return expected is not None and isinstance(value, expected)

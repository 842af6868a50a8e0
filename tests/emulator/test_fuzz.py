"""Junk bodies never make the emulator fail: every answer is a 2xx or a 4xx, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indoxhub_integrations.emulator import IndoxHubEmulator

from ..conftest import scaled

ENDPOINTS = [
    "/api/v1/chat/completions",
    "/api/v1/completions",
    "/api/v1/embeddings",
    "/api/v1/images/generations",
    "/api/v1/audio/tts/generations",
    "/v1/chat/completions",
    "/v1/embeddings",
]
MODELS = [
    "openai/gpt-4o-mini",
    "deepseek/deepseek-reasoner",
    "openai/text-embedding-3-small",
    "openai/dall-e-3",
    "google/imagen-3.0-generate-002",
    "xai/grok-2-image",
    "openai/tts-1",
    "gpt-4o-mini",
    "acme/x",
    "",
    "openai/",
]
FUZZ = settings(
    max_examples=scaled(120),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
junk = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
schemas = st.recursive(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["string", "integer", "number", "boolean", "null", "object", "array", "weird"]
            )
        }
    )
    | st.fixed_dictionaries({"enum": st.lists(scalars, max_size=3)})
    | st.fixed_dictionaries({"$ref": st.sampled_from(["#/$defs/A", "#/nope", "x", "#"])})
    | junk,
    lambda children: (
        st.fixed_dictionaries(
            {
                "type": st.just("object"),
                "properties": st.dictionaries(st.text(max_size=6), children, max_size=3),
            },
            optional={
                "required": st.lists(st.text(max_size=6) | scalars, max_size=3),
                "$defs": st.dictionaries(st.just("A"), children, max_size=1),
            },
        )
        | st.fixed_dictionaries(
            {"type": st.just("array"), "items": children},
            optional={"minItems": scalars, "maxItems": scalars},
        )
        | st.fixed_dictionaries({"anyOf": st.lists(children, max_size=3)})
    ),
    max_leaves=10,
)
tools = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.just("function"),
            "function": st.fixed_dictionaries(
                {"name": st.text(max_size=10) | junk},
                optional={"description": st.text(max_size=30) | junk, "parameters": schemas},
            ),
        }
    )
    | junk,
    max_size=3,
)
params = st.fixed_dictionaries(
    {},
    optional={
        "tools": tools | junk,
        "tool_choice": st.sampled_from(["auto", "none", "required"]) | junk,
        "stop": st.text(max_size=3) | st.lists(st.text(max_size=3), max_size=2) | junk,
        "response_format": st.fixed_dictionaries(
            {"type": st.sampled_from(["json_object", "json_schema", "text", "x"])},
            optional={"json_schema": st.fixed_dictionaries({"schema": schemas}) | junk},
        )
        | junk,
        "reasoning_effort": st.text(max_size=5) | junk,
        "emulator_chunks": st.integers(-5, 300) | junk,
        "dimensions": st.integers(-5, 300) | junk,
        "modalities": st.lists(st.sampled_from(["text", "image"]), max_size=2) | junk,
    },
)
content = (
    st.text(max_size=40)
    | st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "image", "x"])},
            optional={"text": st.text(max_size=10) | junk, "image": junk},
        )
        | junk,
        max_size=3,
    )
    | junk
)
messages = (
    st.lists(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["user", "assistant", "system", "tool", "x"]) | junk},
            optional={"content": content, "tool_calls": junk},
        )
        | junk,
        max_size=4,
    )
    | junk
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(MODELS) | junk,
        "provider": st.sampled_from(["openai", "google", "x"]) | junk,
        "messages": messages,
        "prompt": st.text(max_size=30) | junk,
        "text": st.text(max_size=30) | st.lists(st.text(max_size=10), max_size=3) | junk,
        "input": st.text(max_size=30) | st.lists(st.integers(0, 99), max_size=3) | junk,
        "max_tokens": st.integers(-2, 50) | junk,
        "temperature": st.floats(allow_nan=True) | junk,
        "stream": st.booleans() | junk,
        "n": st.integers(-1, 12) | junk,
        "size": st.sampled_from(["1024x1024", "big", "1x"]) | junk,
        "aspect_ratio": st.sampled_from(["1:1", "2:1"]) | junk,
        "response_format": st.sampled_from(["url", "b64_json", "x"]) | junk,
        "dimensions": st.integers(-2, 5000) | junk,
        "additional_params": params | junk,
        "byok_api_key": st.sampled_from(
            ["sk-ant-x123456789", "sk-invalid-123456789", "AIza12345678"]
        )
        | junk,
        "stream_options": junk,
        "encoding_format": st.sampled_from(["float", "base64", "x"]) | junk,
    },
)


# Near-valid bodies: valid shapes with junk in the deep places (schemas, tool choices, stops),
# so that the model, the schema builder and the renderers run, not only the validators.
dict_schemas = schemas.filter(lambda s: isinstance(s, dict))
valid_tools = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.just("function"),
            "function": st.fixed_dictionaries(
                {"name": st.text(max_size=10)},
                optional={"description": st.text(max_size=30), "parameters": dict_schemas},
            ),
        }
    ),
    min_size=1,
    max_size=3,
)
valid_params = st.fixed_dictionaries(
    {},
    optional={
        "tools": valid_tools,
        "tool_choice": st.sampled_from(["auto", "none", "required"])
        | st.fixed_dictionaries(
            {
                "type": st.just("function"),
                "function": st.fixed_dictionaries({"name": st.text(max_size=10)}),
            }
        ),
        "stop": st.text(max_size=3) | st.lists(st.text(max_size=3), max_size=2),
        "response_format": st.fixed_dictionaries(
            {"type": st.sampled_from(["json_object", "json_schema", "text"])},
            optional={"json_schema": st.fixed_dictionaries({"schema": dict_schemas})},
        ),
        "reasoning_effort": st.text(max_size=5),
        "emulator_chunks": st.integers(1, 300),
        "modalities": st.lists(st.sampled_from(["text", "image"]), max_size=2),
    },
)
parts = st.lists(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=20)})
    | st.fixed_dictionaries({"type": st.just("image"), "image": junk}),
    max_size=3,
)
valid_messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system", "tool", "function"]),
            "content": st.text(max_size=60) | parts,
        }
    ),
    min_size=1,
    max_size=4,
)
chat_models = st.sampled_from(["openai/gpt-4o-mini", "deepseek/deepseek-reasoner", "xai/grok-2"])
near_valid = st.one_of(
    st.tuples(
        st.just("/api/v1/chat/completions"),
        st.fixed_dictionaries(
            {"model": chat_models, "messages": valid_messages},
            optional={
                "additional_params": valid_params,
                "max_tokens": st.integers(1, 40),
                "stream": st.booleans(),
                "byok_api_key": st.sampled_from(["sk-x123456789", "sk-ant-x123456789"]),
            },
        ),
    ),
    st.tuples(
        st.just("/v1/chat/completions"),
        st.fixed_dictionaries(
            {"model": chat_models, "messages": valid_messages},
            optional={
                "tools": valid_tools,
                "stop": st.text(max_size=3),
                "stream": st.booleans(),
                "stream_options": st.fixed_dictionaries({"include_usage": st.booleans()}),
            },
        ),
    ),
    st.tuples(
        st.just("/api/v1/completions"),
        st.fixed_dictionaries(
            {"model": chat_models, "prompt": st.text(max_size=60)},
            optional={"additional_params": valid_params, "stream": st.booleans()},
        ),
    ),
    st.tuples(
        st.just("/api/v1/embeddings"),
        st.fixed_dictionaries(
            {
                "model": st.just("openai/text-embedding-3-small"),
                "text": st.text(max_size=40)
                | st.lists(st.text(max_size=20), min_size=1, max_size=3),
            },
            optional={"dimensions": st.integers(1, 128)},
        ),
    ),
    st.tuples(
        st.just("/api/v1/images/generations"),
        st.fixed_dictionaries(
            {
                "model": st.sampled_from(["openai/dall-e-3", "xai/grok-2-image"]),
                "prompt": st.text(max_size=30),
            },
            optional={
                "n": st.integers(1, 3),
                "response_format": st.sampled_from(["url", "b64_json"]),
            },
        ),
    ),
    st.tuples(
        st.just("/api/v1/audio/tts/generations"),
        st.fixed_dictionaries(
            {"model": st.just("openai/tts-1"), "input": st.text(min_size=1, max_size=60)}
        ),
    ),
)


def _post(client: httpx.Client, endpoint: str, body: Any) -> httpx.Response:
    """POST ``body`` as JSON, NaN and infinities included (Python's JSON accepts them)."""
    raw = json.dumps(body).encode()
    return client.post(endpoint, content=raw, headers={"content-type": "application/json"})


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    assert response.headers.get("x-request-id")


@pytest.fixture
def fuzz_client(emulator: IndoxHubEmulator, session_client: httpx.Client) -> httpx.Client:
    emulator.set_credits(1e9)
    return session_client


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=bodies)
def test_structured_junk_never_5xx(
    fuzz_client: httpx.Client, endpoint: str, body: dict[str, Any]
) -> None:
    _check(_post(fuzz_client, endpoint, body))


@FUZZ
@given(case=near_valid)
def test_near_valid_bodies_are_answered(
    fuzz_client: httpx.Client, case: tuple[str, dict[str, Any]]
) -> None:
    endpoint, body = case
    response = _post(fuzz_client, endpoint, body)
    _check(response)
    assert response.status_code in (200, 400), response.text[:500]


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=junk.filter(lambda v: not isinstance(v, dict)))
def test_non_object_bodies_are_422(fuzz_client: httpx.Client, endpoint: str, body: Any) -> None:
    response = _post(fuzz_client, endpoint, body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), raw=st.binary(max_size=64))
def test_raw_bytes_are_4xx(fuzz_client: httpx.Client, endpoint: str, raw: bytes) -> None:
    response = fuzz_client.post(endpoint, content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500 or response.status_code == 200


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "model",
                "provider",
                "language",
                "prompt",
                "temperature",
                "timestamp_granularities",
                "byok_api_key",
                "response_format",
                "file",
            ]
        ),
        st.text(max_size=20) | st.sampled_from(MODELS),
        max_size=6,
    ),
    upload=st.none() | st.binary(max_size=64),
)
def test_multipart_junk_never_5xx(
    fuzz_client: httpx.Client, fields: dict[str, str], upload: bytes | None
) -> None:
    files = {"file": ("x.wav", upload, "audio/wav")} if upload is not None else None
    for path in ("/api/v1/audio/stt/transcriptions", "/api/v1/audio/stt/translations"):
        _check(fuzz_client.post(path, data=fields, files=files))


@pytest.mark.parametrize("endpoint", ["/v1/embeddings", "/v1/chat/completions"])
def test_a_provider_that_is_not_a_string_is_422_on_the_openai_routes(
    fuzz_client: httpx.Client, endpoint: str
) -> None:
    """Found by the 20x ``explore`` run: ``"provider": true`` reached the model lookup (500)."""
    body = {
        "model": "text-embedding-3-small",
        "provider": True,
        "input": "x",
        "messages": [{"role": "user", "content": "x"}],
    }
    response = _post(fuzz_client, endpoint, body)
    assert response.status_code == 422, response.text[:500]
    assert response.json()["detail"][0]["loc"] == ["body", "provider"]

"""The OpenAI-compatible /v1 routes."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from typing import Any

import httpx

from indoxhub_integrations.emulator import IndoxHubEmulator

Sse = Callable[[str], list[Any]]
MESSAGES = [{"role": "user", "content": "Hello"}]


def test_chat_completions(emulator: IndoxHubEmulator, client: httpx.Client) -> None:
    emulator.set_response_style("legacy")  # /v1 always answers in OpenAI's shape
    response = client.post(
        "/v1/chat/completions", json={"model": "openai/gpt-4o-mini", "messages": MESSAGES}
    )
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["id"] == response.headers["x-request-id"]
    assert body["choices"][0]["message"]["content"].startswith("Echo from openai/gpt-4o-mini")
    assert body["usage"]["prompt_tokens"] == 5
    bare = client.post("/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": MESSAGES})
    assert bare.status_code == 200


def test_chat_tools_max_tokens_and_unauthenticated(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "echo",
            "parameters": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
            },
        },
    }
    body = client.post(
        "/v1/chat/completions",
        json={
            "model": "openai/gpt-4o-mini",
            "messages": MESSAGES,
            "tools": [tool],
            "tool_choice": "required",
        },
    ).json()
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"text": "Hello"}
    capped = client.post(
        "/v1/chat/completions",
        json={"model": "openai/gpt-4o-mini", "messages": MESSAGES, "max_completion_tokens": 1},
    ).json()
    assert capped["choices"][0]["finish_reason"] == "length"
    anonymous = httpx.post(
        emulator.base_url + "/v1/chat/completions",
        json={"model": "openai/gpt-4o-mini", "messages": MESSAGES},
    )
    assert anonymous.status_code == 401


def test_chat_stream_usage_only_when_asked(client: httpx.Client, sse: Sse) -> None:
    request = {"model": "openai/gpt-4o-mini", "messages": MESSAGES, "stream": True}
    without = sse(client.post("/v1/chat/completions", json=request).text)
    assert without[-1] == "[DONE]"
    assert all("usage" not in chunk for chunk in without[:-1])
    with_usage = sse(
        client.post(
            "/v1/chat/completions", json={**request, "stream_options": {"include_usage": True}}
        ).text
    )
    assert with_usage[-2]["choices"] == []
    assert with_usage[-2]["usage"]["completion_tokens"] > 0


def test_embeddings(client: httpx.Client) -> None:
    body = client.post(
        "/v1/embeddings", json={"model": "openai/text-embedding-3-small", "input": ["a b", "c"]}
    ).json()
    assert body["object"] == "list"
    assert [item["index"] for item in body["data"]] == [0, 1]
    assert body["usage"] == {**body["usage"], "prompt_tokens": 3, "total_tokens": 3}
    single = client.post(
        "/v1/embeddings", json={"model": "text-embedding-3-small", "input": "a b", "dimensions": 8}
    ).json()
    assert (
        single["data"][0]["embedding"] == [round(x, 7) for x in single["data"][0]["embedding"]]
        and len(single["data"][0]["embedding"]) == 8
    )
    encoded = client.post(
        "/v1/embeddings",
        json={
            "model": "openai/text-embedding-3-small",
            "input": "a b",
            "encoding_format": "base64",
            "dimensions": 8,
        },
    ).json()
    raw = base64.b64decode(encoded["data"][0]["embedding"])
    floats = struct.unpack("<8f", raw)
    assert [round(x, 5) for x in floats] == [round(x, 5) for x in single["data"][0]["embedding"]]
    tokens = client.post(
        "/v1/embeddings", json={"model": "openai/text-embedding-3-small", "input": [[1, 2, 3], [4]]}
    ).json()
    assert len(tokens["data"]) == 2
    assert (
        client.post(
            "/v1/embeddings", json={"model": "openai/text-embedding-3-small", "input": []}
        ).status_code
        == 422
    )


def test_openai_sdk_at_the_server_root(emulator: IndoxHubEmulator) -> None:
    """The docs' OpenAI SDK example sets ``base_url`` to the server root, without ``/v1``."""
    import openai  # in the dev extra: a missing SDK fails here rather than skipping
    client = openai.OpenAI(api_key=emulator.api_key, base_url=emulator.base_url)
    answer = client.chat.completions.create(model="openai/gpt-4o-mini", messages=MESSAGES)
    assert answer.choices[0].message.content
    vectors = client.embeddings.create(model="openai/text-embedding-3-small", input=["hi"])
    assert len(vectors.data[0].embedding) == 1536
    assert [r.path for r in emulator.requests if r.endpoint] == ["/chat/completions", "/embeddings"]

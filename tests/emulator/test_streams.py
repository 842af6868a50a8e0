"""Streaming in the three styles, forced chunk counts, and stopping a stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator

CHAT = "/api/v1/chat/completions"
Body = Callable[..., dict[str, Any]]
Sse = Callable[[str], list[Any]]


def test_responses_stream_sequence(client: httpx.Client, chat_body: Body, sse: Sse) -> None:
    response = client.post(CHAT, json=chat_body("Hi there", stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse(response.text)
    assert events[-1] == "[DONE]"
    types = [e["type"] for e in events[:-1]]
    assert types[:3] == [
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-2:] == ["response.output_item.done", "response.done"]
    deltas = [
        e["delta"]
        for e in events
        if isinstance(e, dict) and e.get("type") == "response.content_part.delta"
    ]
    text = 'Echo from openai/gpt-4o-mini: you said "Hi there".'
    assert "".join(deltas) == text
    assert deltas[:2] == ["Echo", " from"]
    assert events[-3]["item"]["content"][0]["text"] == text
    done = events[-2]["response"]
    assert done["status"] == "completed"
    assert done["id"] == response.headers["x-request-id"]
    non_stream = client.post(CHAT, json=chat_body("Hi there")).json()
    assert done["usage"] == non_stream["usage"]


def test_responses_stream_reasoning_and_tool_calls(
    client: httpx.Client, chat_body: Body, sse: Sse
) -> None:
    events = sse(
        client.post(CHAT, json=chat_body("x", model="deepseek/deepseek-reasoner", stream=True)).text
    )
    types = [e["type"] for e in events[:-1]]
    assert types[1] == "response.reasoning.started"
    assert "response.reasoning.delta" in types
    assert types.index("response.reasoning.delta") < types.index("response.output_item.added")
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {
                "type": "object",
                "properties": {"q": {"type": "string"}},
                "required": ["q"],
            },
        },
    }
    events = sse(
        client.post(
            CHAT, json=chat_body("find cats", stream=True, additional_params={"tools": [tool]})
        ).text
    )
    types = [e["type"] for e in events[:-1]]
    assert types == [
        "response.created",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.output_item.done",
        "response.done",
    ]
    assert events[1]["item"]["type"] == "function_call"
    assert json.loads(events[2]["delta"]) == {"q": "find cats"}


def test_openai_stream_chunks_and_usage(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body, sse: Sse
) -> None:
    emulator.set_response_style("openai")
    events = sse(client.post(CHAT, json=chat_body("Hello", stream=True)).text)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == 'Echo from openai/gpt-4o-mini: you said "Hello".'
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_openai_stream_tool_call_deltas(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body, sse: Sse
) -> None:
    emulator.set_response_style("openai")
    tool = {
        "type": "function",
        "function": {
            "name": "add",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "required": ["a"],
            },
        },
    }
    events = sse(
        client.post(
            CHAT, json=chat_body("add 4", stream=True, additional_params={"tools": [tool]})
        ).text
    )
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in events[:-1]
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls[0]["function"]["name"] == "add"
    assert "".join(c["function"]["arguments"] for c in calls) == '{"a": 4}'


def test_legacy_stream(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body, sse: Sse
) -> None:
    emulator.set_response_style("legacy")
    events = sse(client.post(CHAT, json=chat_body("Hello", stream=True)).text)
    assert events[-1] == "[DONE]"
    final = events[-2]
    assert final["data"] == ""
    assert final["finish_reason"] == "stop"
    assert final["usage"]["cost"] > 0
    assert "".join(e["data"] for e in events[:-1]) == (
        'Echo from openai/gpt-4o-mini: you said "Hello".'
    )


@pytest.mark.parametrize("style", ["responses", "openai", "legacy"])
def test_forced_chunk_count(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body, sse: Sse, style: str
) -> None:
    emulator.set_response_style(style)
    request = chat_body("Hello", stream=True, additional_params={"emulator_chunks": 200})
    events = sse(client.post(CHAT, json=request).text)[:-1]
    if style == "responses":
        pieces = [e for e in events if e["type"] == "response.content_part.delta"]
    elif style == "openai":
        pieces = [e for e in events if e["choices"] and e["choices"][0]["delta"].get("content")]
    else:
        pieces = [e for e in events if e["data"]]
    assert len(pieces) == 200


def test_completion_stream(emulator: IndoxHubEmulator, client: httpx.Client, sse: Sse) -> None:
    emulator.set_response_style("openai")
    request = {"model": "openai/gpt-4o", "prompt": "Go", "stream": True}
    events = sse(client.post("/api/v1/completions", json=request).text)[:-1]
    assert all(e["object"] == "text_completion" for e in events)
    assert "".join(e["choices"][0]["text"] for e in events if e["choices"]).startswith("Echo")


@pytest.mark.asyncio
async def test_stop_stream_ends_an_open_stream(emulator: IndoxHubEmulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    request = {
        "model": "openai/gpt-4o-mini",
        "stream": True,
        "messages": [{"role": "user", "content": "a long answer please"}],
        "additional_params": {"emulator_event_delay": 0.05, "emulator_chunks": 50},
    }
    async with httpx.AsyncClient(base_url=emulator.base_url, headers=headers) as client:
        async with client.stream("POST", CHAT, json=request) as response:
            stream_id = response.headers["x-request-id"]
            lines = response.aiter_lines()
            first = await anext(lines)
            assert first.startswith("data: ")
            stop = await client.post(f"/api/v1/chat/stop-stream/{stream_id}")
            assert stop.status_code == 200
            assert stop.json()["stream_id"] == stream_id
            rest = [line async for line in lines if line]
        assert rest[-1] == "data: [DONE]"
        assert not any("response.done" in line for line in rest)
        missing = await client.post("/api/v1/chat/stop-stream/unknown")
        assert missing.status_code == 404


@pytest.mark.asyncio
async def test_concurrent_async_requests(emulator: IndoxHubEmulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    async with httpx.AsyncClient(base_url=emulator.base_url, headers=headers) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    CHAT,
                    json={
                        "model": "openai/gpt-4o-mini",
                        "messages": [{"role": "user", "content": f"n{i}"}],
                    },
                )
                for i in range(20)
            )
        )
    assert [r.status_code for r in responses] == [200] * 20
    texts = {r.json()["output"][0]["content"][0]["text"] for r in responses}
    assert len(texts) == 20
    assert emulator.usage()["total_requests"] == 20

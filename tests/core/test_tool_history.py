"""Tool-call history against a server that keeps only role and content (strict schema)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.core.tool_history import fold, forget_rejections
from indoxhub_integrations.emulator import IndoxHubEmulator
from indoxhub_integrations.errors import IndoxHubWarning, InvalidRequestError

CHAT = "openai/gpt-4o-mini"
CALL = {"id": "call_1", "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}  # fmt: skip
CONVERSATION = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_1", "content": "22 degrees and sunny"},
]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]  # fmt: skip


@pytest.fixture(scope="module")
def strict() -> Iterator[IndoxHubEmulator]:
    with IndoxHubEmulator(strict_schema=True) as server:
        yield server


_OPEN: list[IndoxHubClient] = []


@pytest.fixture(autouse=True)
def _fresh(strict: IndoxHubEmulator) -> Iterator[None]:
    strict.reset()
    forget_rejections()
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(server: Any, **kw: Any) -> IndoxHubClient:
    client = IndoxHubClient(api_key=server.api_key, base_url=server.base_url, **kw)
    _OPEN.append(client)
    return client


def _sent(server: IndoxHubEmulator) -> list[list[str]]:
    return [[m["role"] for m in r.json["messages"]] for r in server.requests if r.endpoint]


def test_fold_format() -> None:
    assert fold(CONVERSATION) == [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": '[tool call call_1] get_weather({"city": "Paris"})'},
        {"role": "user", "content": "[tool result call_1 get_weather]\n22 degrees and sunny"},
    ]
    plain = [{"role": "user", "content": "hi"}]
    assert fold(plain) == plain


def test_auto_retries_folded_once_and_remembers(strict: IndoxHubEmulator) -> None:
    with pytest.warns(IndoxHubWarning, match="rejected the tool-call history"):
        result = _client(strict).chat(CONVERSATION, model=CHAT, tools=TOOLS)
    assert "22 degrees and sunny" in result.text
    assert [r.status for r in strict.requests if r.endpoint] == [400, 200]
    assert _sent(strict) == [["user", "assistant", "tool"], ["user", "assistant", "user"]]
    strict.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # remembered per base URL: no second warning
        again = _client(strict).chat(CONVERSATION, model=CHAT, tools=TOOLS)
    assert "22 degrees" in again.text
    assert _sent(strict) == [["user", "assistant", "user"]]  # folded at once


def test_native_mode_raises_and_text_mode_folds_first(strict: IndoxHubEmulator) -> None:
    with pytest.raises(InvalidRequestError, match="role 'tool'"):
        _client(strict, tool_history="native").chat(CONVERSATION, model=CHAT)
    strict.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _client(strict, tool_history="text").chat(CONVERSATION, model=CHAT)
    assert "22 degrees" in result.text and len(_sent(strict)) == 1


def test_stream_falls_back_before_its_first_event(strict: IndoxHubEmulator) -> None:
    with pytest.warns(IndoxHubWarning):
        events = list(_client(strict).stream_chat(CONVERSATION, model=CHAT))
    assert "22 degrees" in "".join(e.text_delta for e in events)


async def test_async_fallback(strict: IndoxHubEmulator) -> None:
    client = AsyncIndoxHubClient(api_key=strict.api_key, base_url=strict.base_url)
    with pytest.warns(IndoxHubWarning):
        result = await client.chat(CONVERSATION, model=CHAT)
    assert "22 degrees" in result.text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = [e async for e in await client.stream_chat(CONVERSATION, model=CHAT)]
    assert "22 degrees" in "".join(e.text_delta for e in events)
    await client.aclose()


def test_the_documented_default_server_keeps_native_history(emulator: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _client(emulator).chat(CONVERSATION, model=CHAT, tools=TOOLS)
    assert "22 degrees" in result.text
    assert _sent(emulator) == [["user", "assistant", "tool"]]

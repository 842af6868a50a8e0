"""The async paths behave the same on both transports (aiohttp under httpx, httpx's own):
retries, cut connections and streams, timeouts, cancellation and many requests in flight.

The rest of the suite runs on the default (aiohttp where installed); this module pins both.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from indoxhub_integrations.core import transport
from indoxhub_integrations.errors import (
    APIConnectionError,
    APITimeoutError,
    StreamInterruptedError,
)

from .conftest import CHAT, aclient_for, messages, model_calls, wait_for
from .test_faults_core import PATH, _sse, chat, failing

TRANSPORTS = ["httpx", "aiohttp"] if transport.aiohttp_available() else ["httpx"]
pytestmark = pytest.mark.parametrize("http_transport", TRANSPORTS)


@pytest.mark.parametrize("mode", ["async", "astream"])
async def test_answers_and_streams(emulator: Any, mode: str, http_transport: str) -> None:
    result, _ = await chat(emulator, mode, text="marker-tr-1", http_transport=http_transport)
    assert "marker-tr-1" in result.text and result.usage.total_tokens


async def test_dropped_connection_is_retried_then_raised(
    emulator: Any, sleeps: list[float], http_transport: str
) -> None:
    emulator.enqueue(PATH, fault="drop", times=3)
    error, _ = await failing(emulator, "async", max_retries=2, http_transport=http_transport)
    assert type(error) is APIConnectionError
    assert len(model_calls(emulator, PATH)) == 3 and len(sleeps) == 2


async def test_body_cut_short_is_a_connection_error(
    emulator: Any, sleeps: list[float], http_transport: str
) -> None:
    partial = {"body": b'{"id": "x", "outp', "headers": {"content-length": "4096"}}
    emulator.enqueue(PATH, **partial, times=2)
    error, _ = await failing(emulator, "async", max_retries=1, http_transport=http_transport)
    assert type(error) is APIConnectionError and not isinstance(error, APITimeoutError)
    assert len(model_calls(emulator, PATH)) == 2


async def test_stream_cut_after_events_is_interrupted_not_retried(
    emulator: Any, sleeps: list[float], http_transport: str
) -> None:
    events = _sse(
        {"type": "response.created", "response": {"id": "r1", "status": "in_progress"}},
        {"type": "response.content_part.delta", "delta": "Half"},
    )
    headers = {"content-type": "text/event-stream", "content-length": "100000"}
    emulator.enqueue(PATH, body=events, headers=headers, times=2)
    error, seen = await failing(emulator, "astream", max_retries=1, http_transport=http_transport)
    assert type(error) is StreamInterruptedError
    assert "".join(e.text_delta for e in seen) == "Half" and sleeps == []


async def test_slow_answer_times_out(
    emulator: Any, sleeps: list[float], http_transport: str
) -> None:
    emulator.enqueue(PATH, fault="delay", delay=0.6, times=1)
    error, _ = await failing(
        emulator, "async", timeout=0.2, max_retries=0, http_transport=http_transport
    )
    assert type(error) is APITimeoutError
    wait_for(lambda: len(model_calls(emulator, PATH)) == 1)


async def test_stalled_stream_times_out(
    emulator: Any, sleeps: list[float], http_transport: str
) -> None:
    stall = {"emulator_event_delay": 5.0}
    error, seen = await failing(
        emulator, "astream", timeout=1.0, max_retries=2, additional_params=stall,
        http_transport=http_transport,
    )  # fmt: skip
    assert type(error) is StreamInterruptedError and "timed out" in error.message
    assert seen and seen[0].type == "start"


async def test_cancelled_requests_leave_the_pool_usable(http_transport: str) -> None:
    from indoxhub_integrations.emulator import IndoxHubEmulator

    # its own server: the abandoned requests end (and are logged) after this test
    with IndoxHubEmulator() as emulator:
        emulator.enqueue(PATH, fault="delay", delay=0.5, times=5)
        async with aclient_for(emulator, http_transport=http_transport) as client:
            calls = [asyncio.wait_for(client.chat(messages(), model=CHAT), 0.05) for _ in range(5)]
            results = await asyncio.gather(*calls, return_exceptions=True)
            assert all(isinstance(r, asyncio.TimeoutError) for r in results)  # cancelled
            answer = await client.chat(messages("marker-after-cancel"), model=CHAT)
            assert "marker-after-cancel" in answer.text


async def test_many_requests_in_flight_each_answered_once(
    emulator: Any, http_transport: str
) -> None:
    async with aclient_for(emulator, http_transport=http_transport) as client:
        texts = [f"marker-{i}" for i in range(120)]
        answers = await asyncio.gather(*(client.chat(messages(text), model=CHAT) for text in texts))
    assert [text in answer.text for text, answer in zip(texts, answers, strict=True)] == [
        True
    ] * len(texts)
    assert len(model_calls(emulator, PATH)) == len(texts)

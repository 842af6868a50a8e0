"""Streams the consumer closes early, or reads after the tracking block, are still counted."""

from __future__ import annotations

from typing import Any

from li_support import model_calls
from llama_index.core.base.llms.types import ChatMessage

from indoxhub_integrations.llama_index import IndoxHub, track_indoxhub_usage

HI = [ChatMessage(content="Tell me a long story about a lighthouse keeper and the sea.")]


def test_stream_chat_closed_after_the_first_chunk_is_counted(llm: IndoxHub, emulator: Any) -> None:
    with track_indoxhub_usage() as usage:
        stream = llm.stream_chat(HI)
        next(stream)
        stream.close()
    assert len(model_calls(emulator)) == 1
    assert usage.requests == 1


def test_stream_complete_closed_after_the_first_chunk_is_counted(llm: IndoxHub) -> None:
    with track_indoxhub_usage() as usage:
        stream = llm.stream_complete("Tell me a long story about the sea.")
        next(stream)
        stream.close()
    assert usage.requests == 1


async def test_astream_chat_closed_after_the_first_chunk_is_counted(llm: IndoxHub) -> None:
    with track_indoxhub_usage() as usage:
        stream = await llm.astream_chat(HI)
        await stream.__anext__()
        await stream.aclose()
    assert usage.requests == 1


async def test_astream_complete_closed_after_the_first_chunk_is_counted(llm: IndoxHub) -> None:
    with track_indoxhub_usage() as usage:
        stream = await llm.astream_complete("Tell me a long story about the sea.")
        await stream.__anext__()
        await stream.aclose()
    assert usage.requests == 1


def test_a_stream_created_in_the_block_and_read_after_it_is_counted(llm: IndoxHub) -> None:
    with track_indoxhub_usage() as usage:
        stream = llm.stream_chat(HI)
    chunks = list(stream)
    assert chunks[-1].additional_kwargs["total_tokens"]
    assert usage.requests == 1
    assert usage.total_tokens == chunks[-1].additional_kwargs["total_tokens"]


async def test_an_async_stream_created_in_the_block_and_read_after_it_is_counted(
    llm: IndoxHub,
) -> None:
    with track_indoxhub_usage() as usage:
        stream = await llm.astream_chat(HI)
    chunks = [chunk async for chunk in stream]
    assert usage.requests == 1
    assert usage.total_tokens == chunks[-1].additional_kwargs["total_tokens"]


def test_a_stream_never_read_sends_nothing_and_counts_nothing(llm: IndoxHub, emulator: Any) -> None:
    with track_indoxhub_usage() as usage:
        llm.stream_chat(HI).close()
    assert model_calls(emulator) == [] and usage.requests == 0

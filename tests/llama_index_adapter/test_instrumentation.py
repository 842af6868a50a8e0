"""Usage events, the usage handler and ``track_indoxhub_usage()`` against the emulator."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from li_support import connection, model_calls
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.types import Thread

from indoxhub_integrations.llama_index import (
    IndoxHub,
    IndoxHubEmbedding,
    IndoxHubToolSpec,
    IndoxHubUsageHandler,
    track_indoxhub_usage,
)

HI = [ChatMessage(content="Hello there")]


def _handlers() -> list[Any]:
    return list(get_dispatcher().event_handlers)


async def test_mixed_platform_and_byok_run_matches_the_emulator(
    emulator: Any, byok_key: str, tmp_path: Path
) -> None:
    llm = IndoxHub(**connection(emulator))
    byok_llm = IndoxHub(model="openai/gpt-4o", byok_api_key=byok_key, **connection(emulator))
    embed = IndoxHubEmbedding(embed_batch_size=3, **connection(emulator))
    byok_embed = IndoxHubEmbedding(byok_api_key=byok_key, **connection(emulator))
    tools = IndoxHubToolSpec(output_dir=tmp_path, **connection(emulator))
    with track_indoxhub_usage() as usage:
        llm.chat(HI)
        llm.chat(HI, byok_api_key=byok_key)
        list(llm.stream_chat(HI))
        await llm.acomplete("Say hi")
        byok_llm.chat(HI)
        [c async for c in await byok_llm.astream_chat(HI)]
        embed.get_text_embedding_batch([f"text {i}" for i in range(7)])
        await embed.aget_text_embedding_batch([f"async text {i}" for i in range(4)])
        byok_embed.get_query_embedding("byok query")
        tools.generate_image("a red square")
    report = emulator.usage()
    calls = [r for r in model_calls(emulator) if 200 <= r.status < 300]
    assert usage.requests == report["total_requests"] == len(calls) == 13
    assert usage.byok_requests == report["byok_requests"] == sum(r.byok for r in calls) == 4
    assert usage.platform_requests == report["platform_requests"] == 9
    assert usage.total_cost == pytest.approx(report["total_cost"], abs=1e-9)
    assert usage.platform_cost == pytest.approx(sum(r.cost for r in calls), abs=1e-9)
    assert usage.prompt_tokens == report["input_tokens"]
    assert usage.completion_tokens == report["output_tokens"]
    assert usage.unknown_cost_requests == 0 and usage.cost_is_complete
    # The default style reports no chat or embedding cost: the client estimates it.
    text_records = [r for r in usage.records if not r.byok and r.endpoint != "image"]
    assert len(text_records) == 8 and all(r.cost_estimated for r in text_records)
    assert set(usage.by_endpoint()) == {"chat", "completion", "embedding", "image"}
    assert usage.by_model()["openai/gpt-4o"]["byok_requests"] == 2
    assert "13 (9 platform, 4 BYOK)" in str(usage)
    assert usage.summary()["requests"] == 13


def test_counts_only_inside_the_block_and_detaches(llm: IndoxHub) -> None:
    before = _handlers()
    llm.chat(HI)
    with track_indoxhub_usage() as usage:
        assert len(_handlers()) == len(before) + 1
        llm.chat(HI)
    llm.chat(HI)
    assert usage.requests == 1
    assert _handlers() == before


def test_detaches_when_the_block_raises(llm: IndoxHub) -> None:
    before = _handlers()
    with pytest.raises(RuntimeError), track_indoxhub_usage() as usage:
        llm.chat(HI)
        raise RuntimeError("boom")
    assert usage.requests == 1 and _handlers() == before


def test_nested_blocks(llm: IndoxHub) -> None:
    with track_indoxhub_usage() as outer:
        llm.chat(HI)
        with track_indoxhub_usage() as inner:
            llm.chat(HI)
        llm.chat(HI)
    assert (outer.requests, inner.requests) == (3, 1)


def test_threads_started_in_the_block_count_and_others_do_not(llm: IndoxHub) -> None:
    start_outside = threading.Event()
    outside_done = threading.Event()

    def outside_worker() -> None:
        start_outside.wait(5)
        llm.chat(HI)
        outside_done.set()

    bystander = threading.Thread(target=outside_worker)
    bystander.start()
    with track_indoxhub_usage() as usage:
        start_outside.set()  # a concurrent request made outside the block's context
        worker = Thread(target=llm.chat, args=(HI,))  # LlamaIndex's context-copying thread
        worker.start()
        worker.join()
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(contextvars.copy_context().run, llm.chat, HI) for _ in "ab"]
            [f.result() for f in futures]
        outside_done.wait(5)
    bystander.join()
    assert usage.requests == 3


async def test_asyncio_tasks_started_in_the_block_count(llm: IndoxHub) -> None:
    other = asyncio.Event()

    async def outside() -> None:
        await other.wait()
        await llm.achat(HI)

    bystander = asyncio.ensure_future(outside())
    with track_indoxhub_usage() as usage:
        other.set()
        await asyncio.gather(*(asyncio.create_task(llm.achat(HI)) for _ in range(3)))
        await bystander
    assert usage.requests == 3


def test_a_handler_on_the_dispatcher_counts_everything(llm: IndoxHub) -> None:
    handler = IndoxHubUsageHandler()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        llm.chat(HI)
        with track_indoxhub_usage():
            llm.chat(HI)
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not handler]
    assert handler.requests == 2 and handler.successful_requests == 2
    assert handler.total_tokens == handler.prompt_tokens + handler.completion_tokens
    handler.reset()
    assert handler.requests == 0 and handler.records == []


def test_unknown_cost_is_never_zero(emulator: Any) -> None:
    # A scripted answer without cost, for a model the catalog cannot price.
    emulator.enqueue(json={"success": True, "data": "ok", "usage": {"tokens_prompt": 1}})
    llm = IndoxHub(model="openai/not-in-the-catalog", **connection(emulator))
    with track_indoxhub_usage() as usage:
        response = llm.chat(HI)
    assert response.additional_kwargs["cost"] is None
    assert usage.unknown_cost_requests == 1 and not usage.cost_is_complete
    assert usage.total_cost == 0.0 and "unknown cost for 1 request" in str(usage)


class _Collect(BaseEventHandler):
    events: list[Any] = []

    @classmethod
    def class_name(cls) -> str:
        return "Collect"

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.events.append(event)


def test_the_usage_event_is_made_only_when_a_handler_would_receive_it(emulator: Any) -> None:
    from indoxhub_integrations.llama_index import instrumentation

    llm = IndoxHub(**connection(emulator))
    made: list[Any] = []
    real = instrumentation.IndoxHubUsageEvent

    def counting(**kwargs: Any) -> Any:
        made.append(kwargs)
        return real(**kwargs)

    root = get_dispatcher()
    before = list(root.event_handlers)
    try:
        instrumentation.IndoxHubUsageEvent = counting  # type: ignore[misc,assignment]
        with track_indoxhub_usage() as usage:  # subscribed to the core's records: no event
            llm.chat(HI)
        assert usage.requests == 1 and made == []
        collector = _Collect(events=[])
        root.add_event_handler(collector)
        llm.chat(HI)
        assert len(made) == 1
        assert [type(e).__name__ for e in collector.events].count("IndoxHubUsageEvent") == 1
    finally:
        instrumentation.IndoxHubUsageEvent = real  # type: ignore[misc]
        root.event_handlers = before


def test_a_handler_built_on_the_null_handler_gets_the_usage_event(emulator: Any) -> None:
    from llama_index.core.instrumentation.event_handlers import NullEventHandler

    class Seen(NullEventHandler):
        names: list[str] = []

        def handle(self, event: Any, **kwargs: Any) -> None:
            self.names.append(type(event).__name__)

    root = get_dispatcher()
    before = list(root.event_handlers)
    seen = Seen(names=[])
    root.add_event_handler(seen)
    try:
        IndoxHub(**connection(emulator)).chat(HI)
    finally:
        root.event_handlers = before
    assert "LLMChatEndEvent" in seen.names and "IndoxHubUsageEvent" in seen.names

"""get_indoxhub_callback(): totals, nesting, threads, tasks, and reconciliation with the server."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation, LLMResult
from langchain_core.runnables import RunnableLambda

from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubCallbackHandler,
    IndoxHubEmbeddings,
    IndoxHubLLM,
    get_indoxhub_callback,
)
from indoxhub_integrations.langchain.callbacks import record_from_generation


def _conn(emulator: Any) -> dict[str, Any]:
    return {"base_url": emulator.base_url, "api_key": emulator.api_key}


def _model_calls(emulator: Any) -> list[Any]:
    return [r for r in emulator.requests if r.endpoint is not None]


def test_record_from_generation_pure() -> None:
    message = AIMessage(
        "hi",
        usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
        response_metadata={"model_provider": "indoxhub", "model_name": "openai/x", "cost": None},
    )
    record = record_from_generation(ChatGeneration(message=message))
    assert record is not None
    assert record.cost is None and record.total_tokens == 5 and record.endpoint == "chat"
    other = AIMessage("hi", response_metadata={"model_provider": "openai"})
    assert record_from_generation(ChatGeneration(message=other)) is None
    assert record_from_generation(Generation(text="x")) is None
    handler = IndoxHubCallbackHandler()
    handler.on_llm_end(LLMResult(generations=[[ChatGeneration(message=message)]]))
    assert handler.requests == 1
    assert handler.unknown_cost_requests == 1
    assert handler.total_cost == 0.0
    assert "unknown cost for 1 request" in str(handler)


def test_counts_chat_llm_embeddings_streams(emulator: Any) -> None:
    chat = ChatIndoxHub(model="openai/gpt-4o-mini", **_conn(emulator))
    llm = IndoxHubLLM(model="openai/gpt-4o-mini", **_conn(emulator))
    embeddings = IndoxHubEmbeddings(chunk_size=2, **_conn(emulator))
    with get_indoxhub_callback() as cb:
        chat.invoke("Hello")
        list(chat.stream("Hello"))
        llm.invoke("Once upon a time")
        list(llm.stream("Once upon a time"))
        embeddings.embed_documents(["a", "b", "c"])
    calls = _model_calls(emulator)
    assert cb.requests == len(calls) == 6
    assert cb.by_endpoint()["chat"]["requests"] == 2
    assert cb.by_endpoint()["completion"]["requests"] == 2
    assert cb.by_endpoint()["embedding"]["requests"] == 2
    assert cb.total_cost == pytest.approx(sum(r.cost for r in calls), abs=1e-12)
    assert cb.prompt_tokens == sum(r.input_tokens for r in calls)
    assert cb.completion_tokens == sum(r.output_tokens for r in calls)
    assert cb.unknown_cost_requests == 0
    assert "Requests: 6 (6 platform, 0 BYOK)" in str(cb)


def test_nesting_and_exception_safety(emulator: Any) -> None:
    chat = ChatIndoxHub(**_conn(emulator))
    with get_indoxhub_callback() as outer:
        chat.invoke("one")
        with pytest.raises(RuntimeError), get_indoxhub_callback() as inner:
            chat.invoke("two")
            raise RuntimeError("boom")
        chat.invoke("three")
        with get_indoxhub_callback() as inner2:
            chat.invoke("four")
    chat.invoke("outside")
    assert inner.requests == 1
    assert inner2.requests == 1
    assert outer.requests == 4
    assert outer.records[1].request_id == inner.records[0].request_id


def test_threads_and_tasks(emulator: Any) -> None:
    chat = ChatIndoxHub(**_conn(emulator))

    async def run_tasks() -> None:
        await asyncio.gather(*(asyncio.create_task(chat.ainvoke(f"t{i}")) for i in range(3)))

    with get_indoxhub_callback() as cb:
        chat.batch([f"b{i}" for i in range(4)], config={"max_concurrency": 4})
        worker = threading.Thread(target=lambda: chat.invoke("plain thread"))
        worker.start()
        worker.join()
        asyncio.run(run_tasks())
    # batch (4) and tasks (3) inherit the context; a bare thread does not.
    assert cb.requests == 7


async def test_async_streams_counted(emulator: Any) -> None:
    chat = ChatIndoxHub(**_conn(emulator))
    with get_indoxhub_callback() as cb:
        async for _ in chat.astream("Hello"):
            pass
        await chat.abatch(["a", "b"])
    assert cb.requests == 3


def test_cache_hits_are_not_requests(emulator: Any) -> None:
    chat = ChatIndoxHub(cache=InMemoryCache(), **_conn(emulator))
    with get_indoxhub_callback() as cb:
        chat.invoke("cached question")
        chat.invoke("cached question")
    assert len(_model_calls(emulator)) == 1
    assert cb.requests == 1


def test_explicit_handler_in_config(emulator: Any) -> None:
    handler = IndoxHubCallbackHandler()
    ChatIndoxHub(**_conn(emulator)).invoke("Hello", config={"callbacks": [handler]})
    assert handler.requests == 1


def test_fifty_mixed_platform_and_byok_calls_reconcile(emulator: Any, byok_key: str) -> None:
    """The handler's totals equal the emulator's own usage report and request log."""
    platform = ChatIndoxHub(model="openai/gpt-4o-mini", **_conn(emulator))
    claude = ChatIndoxHub(model="anthropic/claude-3-haiku-20240307", **_conn(emulator))
    byok = platform.bind(byok_api_key=byok_key)

    def route(item: dict[str, Any]) -> Any:
        model = byok if item["byok"] else (claude if item["i"] % 2 else platform)
        return model.invoke(item["q"])

    inputs = [
        {"i": i, "byok": i % 3 == 0, "q": f"Question number {i}: " + "tell me more " * (i % 7)}
        for i in range(50)
    ]
    with get_indoxhub_callback() as cb:
        answers = RunnableLambda(route).batch(inputs, config={"max_concurrency": 8})
    assert len(answers) == 50
    report = emulator.usage()
    log = _model_calls(emulator)
    assert cb.requests == report["total_requests"] == len(log) == 50
    assert cb.byok_requests == report["byok_requests"] == sum(r.byok for r in log) == 17
    assert cb.platform_requests == report["platform_requests"] == 33
    assert cb.platform_cost == pytest.approx(report["total_cost"], abs=1e-9)
    assert cb.platform_cost == pytest.approx(sum(r.cost for r in log if not r.byok), abs=1e-9)
    assert cb.total_cost == pytest.approx(report["total_cost"], abs=1e-9)
    assert cb.unknown_cost_requests == 0
    assert cb.estimated_cost_requests == 33  # the default response style reports no cost
    by_model = cb.by_model()
    assert by_model["openai/gpt-4o-mini"]["byok_requests"] == 17
    assert (
        by_model["anthropic/claude-3-haiku-20240307"]["requests"]
        == report["models"]["anthropic/claude-3-haiku-20240307"]["requests"]
    )
    assert cb.total_tokens == report["total_tokens"]["total"]

"""The core emits one usage record per HTTP attempt that reached the server, and the tracking
scopes of both frameworks subscribe to those records (context or process scope)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from indoxhub_integrations.core import IndoxHubClient
from indoxhub_integrations.core.errors import IndoxHubError
from indoxhub_integrations.core.usage import UsageLedger, UsageRecord, usage_scope
from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubCallbackHandler,
    IndoxHubTextToSpeechTool,
    get_indoxhub_callback,
)
from indoxhub_integrations.llama_index import IndoxHub, track_indoxhub_usage

from .conftest import wait_for

LONG = " ".join(f"word{i}" for i in range(40))
SLOW_PROMPT = "please answer slowly"


def _conn(emulator: Any) -> dict[str, Any]:
    return {"base_url": emulator.base_url, "api_key": emulator.api_key}


def _billed(emulator: Any) -> list[Any]:
    return [r for r in emulator.requests if r.endpoint and 200 <= r.status < 300]


def test_mixed_totals_equal_the_emulator_ledger(emulator: Any, byok_key: str) -> None:
    chat = ChatIndoxHub(**_conn(emulator))
    byok_chat = ChatIndoxHub(byok_api_key=byok_key, **_conn(emulator))
    llm = IndoxHub(**_conn(emulator))
    slow = ChatIndoxHub(timeout=0.3, max_retries=1, **_conn(emulator))
    with (
        get_indoxhub_callback(scope="process") as callback,
        track_indoxhub_usage(scope="process") as usage,
    ):
        chat.invoke("hello")  # ordinary calls
        byok_chat.invoke("hello")
        llm.chat([ChatMessage(content="hello")])

        emulator.enqueue("/chat/completions", content=LONG)
        stream = chat.stream("a long answer")  # abandoned after two chunks (sync)
        next(stream), next(stream)
        stream.close()

        async def main() -> None:
            emulator.enqueue("/chat/completions", content=LONG)
            astream = chat.astream("a long answer")  # abandoned after two chunks (async)
            await astream.__anext__()
            await astream.__anext__()
            await astream.aclose()
            await asyncio.gather(  # asyncio tasks
                asyncio.create_task(chat.ainvoke("task one")),
                asyncio.create_task(llm.achat([ChatMessage(content="task two")])),
            )

        asyncio.run(main())

        threads = [threading.Thread(target=chat.invoke, args=(f"thread {i}",)) for i in range(2)]
        for thread in threads:  # plain threads: the process scope counts them
            thread.start()
        for thread in threads:
            thread.join()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(byok_chat.invoke, ["pool a", "pool b"]))

        emulator.enqueue("/chat/completions", fault="delay", delay=1.0, times=2)
        with pytest.raises(IndoxHubError):  # read timeout, retried once: two attempts
            slow.invoke(SLOW_PROMPT)

    # the emulator logs a delayed request when its delay ends, after the client gave up
    wait_for(lambda: len(_billed(emulator)) >= 13, timeout=30.0)
    billed = _billed(emulator)
    assert len(billed) == 13
    aborted = {r.request_id for r in callback.records if r.outcome == "aborted"}
    assert len(aborted) == 2 and None not in aborted
    timed_out = [r for r in billed if SLOW_PROMPT in str(r.json)]
    assert len(timed_out) == 2
    unknown = aborted | {r.request_id for r in timed_out}
    expected_cost = sum(r.cost for r in billed if r.request_id not in unknown)
    for totals in (callback, usage):
        assert totals.requests == len(billed)
        assert totals.byok_requests == sum(1 for r in billed if r.byok)
        assert totals.unknown_cost_requests == len(unknown)
        assert totals.total_cost == pytest.approx(expected_cost)
    outcomes = sorted(r.outcome for r in callback.records)
    assert outcomes.count("unknown") == 2 and outcomes.count("aborted") == 2


def test_context_scope_counts_tasks_but_not_plain_threads(emulator: Any) -> None:
    chat = ChatIndoxHub(**_conn(emulator))
    with get_indoxhub_callback() as context, get_indoxhub_callback(scope="process") as process:
        thread = threading.Thread(target=chat.invoke, args=("plain thread",))
        thread.start()
        thread.join()

        async def main() -> None:
            await asyncio.create_task(chat.ainvoke("task"))

        asyncio.run(main())
    assert context.requests == 1
    assert process.requests == 2
    outside = ChatIndoxHub(**_conn(emulator)).invoke("after the block")
    assert outside.content and process.requests == 2


def test_answered_errors_are_failed_attempts_and_each_retry_is_recorded(emulator: Any) -> None:
    client = IndoxHubClient(max_retries=2, **_conn(emulator))
    emulator.enqueue("/chat/completions", status=503, json={"detail": "busy"}, times=2)
    with usage_scope() as ledger:
        result = client.chat([{"role": "user", "content": "hi"}], model="openai/gpt-4o-mini")
    assert [r.outcome for r in ledger.records] == ["failed", "failed", "completed"]
    assert [r.status for r in ledger.records] == [503, 503, 200]
    assert ledger.requests == 1 and ledger.failed_requests == 2
    assert ledger.total_cost == pytest.approx(result.usage.cost or 0.0)
    assert result.meta.record is ledger.records[-1]


def test_stream_closed_early_by_the_core_consumer_is_recorded(emulator: Any) -> None:
    client = IndoxHubClient(**_conn(emulator))
    emulator.enqueue("/chat/completions", content=LONG)
    with usage_scope() as ledger:
        events = client.stream_chat([{"role": "user", "content": "x"}], model="openai/gpt-4o")
        next(events)
        events.close()  # type: ignore[attr-defined]
    (record,) = ledger.records
    assert record.outcome == "aborted" and record.cost is None and record.request_id
    assert ledger.unknown_cost_requests == 1


def test_callback_handler_reads_the_core_record(emulator: Any, tmp_path: Any) -> None:
    handler = IndoxHubCallbackHandler()
    tool = IndoxHubTextToSpeechTool(output_dir=str(tmp_path), **_conn(emulator))
    tool.invoke({"text": "hello there"}, config={"callbacks": [handler]})
    chat = ChatIndoxHub(**_conn(emulator))
    chat.invoke("hello", config={"callbacks": [handler]})
    speech, answer = handler.records
    assert speech.characters == len("hello there")
    assert answer.status == 200 and answer.outcome == "completed"


def test_scope_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="scope"), get_indoxhub_callback(scope="thread"):  # type: ignore[arg-type]
        pass


def test_ledger_reset_is_thread_safe() -> None:
    ledger = UsageLedger()
    record = UsageRecord(endpoint="chat", cost=0.5, total_tokens=2)
    stop = threading.Event()

    def add() -> None:
        while not stop.is_set():
            ledger.add(record)

    workers = [threading.Thread(target=add) for _ in range(2)]
    for worker in workers:
        worker.start()
    for _ in range(200):
        ledger.reset()
    stop.set()
    for worker in workers:
        worker.join()
    ledger.reset()
    for _ in range(10):
        ledger.add(record)
    assert ledger.requests == 10 and len(ledger.records) == 10
    assert ledger.total_cost == pytest.approx(5.0)

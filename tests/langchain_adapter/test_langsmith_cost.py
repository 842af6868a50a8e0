"""indoxhub's cost where LangSmith reads it, uploaded by the real ``langsmith`` client.

A capture server on loopback stands in for the LangSmith API (its ``/info`` turns zstd
compression on, as LangSmith does, so the multipart bodies are read as uploaded); the chat
model talks to the emulator. What LangSmith receives for each model call: ``total_cost``
(and ``input_cost``/``output_cost`` when the answer splits the cost) in the run's
``extra.metadata.usage_metadata``, equal to the emulator's ledger cost, ``0.0`` for BYOK, left
out when unknown; the resolved provider and model as ``ls_provider``/``ls_model_name``; never
a key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from capture_server import Captured, CaptureServer, capture_server, langsmith_runs

from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubCallbackHandler,
    IndoxHubLLM,
    _langsmith,
)

from ..conftest import CANARY_ANTHROPIC_KEY, CANARY_BYOK_KEY, CANARY_PLATFORM_KEY

langsmith = pytest.importorskip("langsmith")

from langchain_core.caches import InMemoryCache  # noqa: E402
from langchain_core.callbacks import BaseCallbackHandler, UsageMetadataCallbackHandler  # noqa: E402
from langchain_core.outputs import Generation, LLMResult  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402
from langchain_core.tracers.context import tracing_v2_enabled  # noqa: E402
from langchain_core.tracers.core import _TracerCore  # noqa: E402
from langchain_core.tracers.langchain import LangChainTracer  # noqa: E402

from indoxhub_integrations.langchain._langsmith import GATEWAY_INFO_KEY  # noqa: E402

COST_KEYS = ("total_cost", "input_cost", "output_cost")
CANARIES = (CANARY_PLATFORM_KEY, CANARY_BYOK_KEY, CANARY_ANTHROPIC_KEY)


class _FinalUsage(BaseCallbackHandler):
    """Keeps the usage_metadata of the last run's final message."""

    usage: dict[str, Any]

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.usage = dict(response.generations[0][0].message.usage_metadata)  # type: ignore[attr-defined]


def _answer(request: Captured) -> tuple[int, Any]:
    if request.path.endswith("/info"):
        return 200, {"version": "0.0.0", "instance_flags": {"zstd_compression_enabled": True}}
    return 200, {}


@dataclass
class Trace:
    """One traced session: the capture server and the tracer to pass as a callback."""

    server: CaptureServer
    tracer: LangChainTracer
    client: Any

    def llm_runs(self) -> list[dict[str, Any]]:
        """The uploaded model runs, in start order."""
        runs = langsmith_runs(self.server.requests)
        found = [run for run in runs.values() if run.get("run_type") == "llm"]
        return sorted(found, key=lambda run: run["dotted_order"])


@contextmanager
def traced() -> Iterator[Trace]:
    """A LangSmith client and tracer uploading to a capture server; flushed at the end."""
    with capture_server(_answer) as server:
        client = langsmith.Client(api_url=server.base_url, api_key="ls-fake")
        trace = Trace(server, LangChainTracer(client=client, project_name="ih"), client)
        yield trace
        trace.tracer.wait_for_futures()
        client.flush()
        _assert_no_key(server)


def _assert_no_key(server: CaptureServer) -> None:
    uploads = [request for request in server.requests if request.body]
    assert uploads, "nothing was uploaded"
    for request in server.requests:
        seen = request.text + "\n".join(request.headers.values())
        for canary in CANARIES:
            assert canary not in seen


def _tracer_promotes_gateway_metadata() -> bool:
    """Whether this langchain-core's tracer makes the answer's gateway metadata the run's
    ``ls_provider``/``ls_model_name`` (1.8 does; 1.6 only attaches ``ls_gateway_info``)."""
    run = SimpleNamespace(extra={})
    info = {GATEWAY_INFO_KEY: {"provider": "p", "model": "m"}}
    response = LLMResult(generations=[[Generation(text="", generation_info=info)]])
    _TracerCore._attach_gateway_metadata(None, run, response)  # type: ignore[arg-type]
    return bool(run.extra["metadata"].get("ls_provider") == "p")


def _assert_resolved_model(run: dict[str, Any]) -> None:
    metadata = run["extra"]["metadata"]
    assert metadata["ls_gateway_info"] == {
        "gateway": "indoxhub", "provider": "openai", "model": "gpt-4o-mini",
    }  # fmt: skip
    if _tracer_promotes_gateway_metadata():
        assert (metadata["ls_provider"], metadata["ls_model_name"]) == ("openai", "gpt-4o-mini")
    else:  # what was known before the answer
        assert metadata["ls_provider"] == "indoxhub"
        assert metadata["ls_model_name"] == "openai/gpt-4o-mini"


def _usage(run: dict[str, Any]) -> dict[str, Any]:
    usage = run["extra"]["metadata"]["usage_metadata"]
    assert isinstance(usage, dict)
    return usage


def _chat_costs(emulator: Any) -> list[float]:
    return [r.cost for r in emulator.requests if r.path.endswith("/chat/completions")]


def _llm(emulator: Any, **fields: Any) -> ChatIndoxHub:
    return ChatIndoxHub(base_url=emulator.base_url, api_key=emulator.api_key, **fields)


@pytest.mark.parametrize("style", ["legacy", "responses"])
def test_platform_cost_reaches_langsmith(emulator: Any, style: str) -> None:
    """invoke and a multi-chunk stream: the ledger's cost, split where the answer splits it."""
    emulator.set_response_style(style)
    llm = _llm(emulator)
    with traced() as trace:
        config = {"callbacks": [trace.tracer]}
        message = llm.invoke("Hello", config=config)
        chunks = list(llm.stream("Hello", config=config))
    costs = _chat_costs(emulator)
    assert len(costs) == 2 and all(cost > 0 for cost in costs)
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_cost"] == pytest.approx(costs[0], abs=1e-12)
    # No chunk carries the cost (langchain-core's chunk merge adds integers only): the
    # caller's chunks merge as ever, and the run's merged message gets it for the tracer.
    assert len(chunks) > 2
    merged = sum(chunks[1:], chunks[0])
    assert merged.usage_metadata is not None and "total_cost" not in merged.usage_metadata
    runs = trace.llm_runs()
    assert len(runs) == 2
    for run, cost in zip(runs, costs, strict=True):
        usage = _usage(run)
        assert usage["total_cost"] == pytest.approx(cost, abs=1e-12)
        assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
        if style == "legacy":  # the answer's cost_breakdown splits the cost
            assert usage["input_cost"] + usage["output_cost"] == pytest.approx(cost, abs=1e-12)
        else:  # no split in the answer: no made-up split either
            assert "input_cost" not in usage and "output_cost" not in usage
        _assert_resolved_model(run)
    assert message.response_metadata["cost"] == pytest.approx(costs[0], abs=1e-12)


def test_streamed_inside_a_chain(emulator: Any) -> None:
    """A chain hands the model its callbacks as a manager: the cost still reaches the run."""
    chain = RunnableLambda(lambda text: text) | _llm(emulator)
    with traced() as trace:
        chunks = list(chain.stream("Hello", config={"callbacks": [trace.tracer]}))
    assert len(chunks) > 2
    (cost,) = _chat_costs(emulator)
    (run,) = trace.llm_runs()
    assert _usage(run)["total_cost"] == pytest.approx(cost, abs=1e-12)


def test_streaming_invoke_merges_and_carries_the_cost(emulator: Any) -> None:
    """``streaming=True`` (and LangGraph's "messages" stream mode) streams inside ``invoke``:
    the chunks merge, and the returned message and the run carry the cost."""
    llm = _llm(emulator, streaming=True)
    with traced() as trace:
        message = llm.invoke("Hello", config={"callbacks": [trace.tracer]})
    (cost,) = _chat_costs(emulator)
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_cost"] == pytest.approx(cost, abs=1e-12)
    (run,) = trace.llm_runs()
    assert _usage(run)["total_cost"] == pytest.approx(cost, abs=1e-12)


async def test_async_invoke_and_stream_carry_the_cost(emulator: Any) -> None:
    llm = _llm(emulator)
    with traced() as trace:
        config = {"callbacks": [trace.tracer]}
        await llm.ainvoke("Hello", config=config)
        chunks = [chunk async for chunk in llm.astream("Hello", config=config)]
    assert chunks[-1].usage_metadata is not None
    costs = _chat_costs(emulator)
    uploaded = [_usage(run)["total_cost"] for run in trace.llm_runs()]
    assert uploaded == pytest.approx(costs, abs=1e-12)


def test_byok_answers_cost_zero(emulator: Any, byok_key: str) -> None:
    llm = _llm(emulator)
    with traced() as trace:
        config = {"callbacks": [trace.tracer]}
        llm.invoke("Hello", config=config, byok_api_key=byok_key)
        list(llm.stream("Hello", config=config, byok_api_key=byok_key))
    runs = trace.llm_runs()
    assert len(runs) == 2
    for run in runs:
        usage = _usage(run)
        assert usage["total_cost"] == 0.0 and isinstance(usage["total_cost"], float)
        assert usage["input_tokens"] > 0
    assert _chat_costs(emulator) == [0.0, 0.0]


def test_unknown_cost_is_left_out(emulator: Any) -> None:
    """No cost in the answer and no estimate: the cost keys are absent, never 0."""
    emulator.set_response_style("responses")  # usage without cost
    llm = _llm(emulator, estimate_cost=False)
    with traced() as trace:
        config = {"callbacks": [trace.tracer]}
        message = llm.invoke("Hello", config=config)
        list(llm.stream("Hello", config=config))
    assert message.response_metadata["cost"] is None
    runs = trace.llm_runs()
    assert len(runs) == 2
    for run in runs:
        usage = _usage(run)
        assert usage["input_tokens"] > 0
        assert not any(key in usage for key in COST_KEYS)


def test_opt_out_leaves_the_cost_out(emulator: Any) -> None:
    llm = _llm(emulator, cost_in_usage_metadata=False)
    with traced() as trace:
        config = {"callbacks": [trace.tracer]}
        message = llm.invoke("Hello", config=config)
        list(llm.stream("Hello", config=config))
    assert message.response_metadata["cost"] > 0  # still in response_metadata
    for run in trace.llm_runs():
        assert not any(key in _usage(run) for key in COST_KEYS)


def test_auto_leaves_the_cost_out_for_a_usage_metadata_handler(
    emulator: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """get_usage_metadata_callback() sums with integer-only add_usage: no cost then, and the
    handler keeps working across calls."""
    monkeypatch.setattr(_langsmith, "_warned", False)
    llm = _llm(emulator)
    handler = UsageMetadataCallbackHandler()
    with caplog.at_level(logging.WARNING, logger=_langsmith.__name__), traced() as trace:
        config = {"callbacks": [trace.tracer, handler]}
        llm.invoke("Hello", config=config)
        llm.invoke("Hello again", config=config)
        list(llm.stream("Hello", config=config))
    (totals,) = handler.usage_metadata.values()
    assert totals["input_tokens"] == sum(r.input_tokens for r in emulator.requests if r.endpoint)
    assert not any(key in totals for key in COST_KEYS)
    for run in trace.llm_runs():
        assert not any(key in _usage(run) for key in COST_KEYS)
    warnings = [r for r in caplog.records if "UsageMetadataCallbackHandler" in r.getMessage()]
    assert len(warnings) == 1  # once per process


def test_tracing_enabled_by_context_is_detected(emulator: Any) -> None:
    """``tracing_v2_enabled`` (like LANGSMITH_TRACING=true) adds the tracer: auto puts the cost."""
    llm = _llm(emulator)
    with traced() as trace, tracing_v2_enabled(project_name="ih", client=trace.client):
        llm.invoke("Hello")
    (run,) = trace.llm_runs()
    assert _usage(run)["total_cost"] == pytest.approx(_chat_costs(emulator)[0], abs=1e-12)


def test_auto_without_tracing_and_forced_on(emulator: Any) -> None:
    assert "total_cost" not in (_llm(emulator).invoke("Hello").usage_metadata or {})
    forced = _llm(emulator, cost_in_usage_metadata=True)
    usage = forced.invoke("Hello").usage_metadata
    assert usage is not None and usage["total_cost"] == pytest.approx(_chat_costs(emulator)[-1])
    final = _FinalUsage()  # the run's merged message, as on_llm_end handlers see it
    counter = IndoxHubCallbackHandler()
    chunks = list(forced.stream("Hello", config={"callbacks": [final, counter]}))
    assert all("total_cost" not in (chunk.usage_metadata or {}) for chunk in chunks)
    assert final.usage["total_cost"] == pytest.approx(_chat_costs(emulator)[-1], abs=1e-12)
    assert counter.requests == 1  # a float total_cost is no cache hit


def test_cache_hit_counts_no_request_with_costs_on(emulator: Any, byok_key: str) -> None:
    llm = _llm(emulator, cost_in_usage_metadata=True, cache=InMemoryCache())
    emulator.set_response_style("legacy")  # a split cost, zeroed on the hit as well
    handler = IndoxHubCallbackHandler()
    config = {"callbacks": [handler]}
    first = llm.invoke("Hello", config=config)
    hit = llm.invoke("Hello", config=config)
    assert first.usage_metadata is not None and first.usage_metadata["total_cost"] > 0
    assert hit.usage_metadata is not None
    assert {key: hit.usage_metadata[key] for key in COST_KEYS} == dict.fromkeys(COST_KEYS, 0)
    byok = llm.invoke("Something else", config=config, byok_api_key=byok_key)
    assert byok.usage_metadata is not None and byok.usage_metadata["total_cost"] == 0.0
    assert len(_chat_costs(emulator)) == 2  # the hit sent nothing
    assert handler.requests == 2 and handler.byok_requests == 1  # a BYOK 0.0 is no cache hit
    assert handler.total_cost == pytest.approx(_chat_costs(emulator)[0], abs=1e-12)


def test_completion_llm_runs_name_the_resolved_model(emulator: Any) -> None:
    """IndoxHubLLM: generations have no message, so no usage_metadata (nor cost) reaches
    LangSmith; the resolved provider and model do, and the cost is in the outputs."""
    llm = IndoxHubLLM(base_url=emulator.base_url, api_key=emulator.api_key)
    with traced() as trace:
        llm.invoke("Once upon a time", config={"callbacks": [trace.tracer]})
    (run,) = trace.llm_runs()
    _assert_resolved_model(run)
    (generation,) = run["outputs"]["generations"][0]
    cost = generation["generation_info"]["cost"]
    (request,) = [r for r in emulator.requests if r.endpoint]
    assert cost == pytest.approx(request.cost, abs=1e-12)


def test_langgraph_messages_stream_of_a_traced_graph(emulator: Any) -> None:
    """LangGraph's "messages" stream mode streams the model inside ``invoke`` (chunks merged by
    langchain-core): the graph runs, its state's message and the model's run carry the cost."""
    graph_module = pytest.importorskip("langgraph.graph")
    llm = _llm(emulator)

    def node(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [llm.invoke(state["messages"])]}

    builder = graph_module.StateGraph(graph_module.MessagesState)
    builder.add_node("model", node)
    builder.add_edge(graph_module.START, "model")
    graph = builder.compile()
    with traced() as trace:
        config = {"callbacks": [trace.tracer]}
        streamed = list(
            graph.stream({"messages": [("user", "Hi")]}, config, stream_mode="messages")
        )
        state = graph.invoke({"messages": [("user", "Hi")]}, config)
    assert len(streamed) > 2
    costs = _chat_costs(emulator)
    assert state["messages"][-1].usage_metadata["total_cost"] == pytest.approx(costs[1])
    uploaded = [_usage(run)["total_cost"] for run in trace.llm_runs()]
    assert uploaded == pytest.approx(costs, abs=1e-12)


def test_streams_decide_when_they_start_not_when_they_are_created(
    emulator: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A usage handler opened between ``stream()`` and the first chunk still gets ints only
    (LangChain reads the run's callbacks at the first ``next()``, and so do we)."""
    from langchain_core.callbacks import get_usage_metadata_callback

    monkeypatch.setattr(_langsmith, "_warned", False)
    llm = _llm(emulator)
    with traced() as trace, tracing_v2_enabled(project_name="ih", client=trace.client):
        first, second = llm.stream("Hello"), llm.stream("Hello again")
        with caplog.at_level(logging.WARNING), get_usage_metadata_callback() as usage:
            list(first)
            list(second)
    errors = [r for r in caplog.records if "Error in UsageMetadataCallbackHandler" in r.message]
    assert errors == []
    (totals,) = usage.usage_metadata.values()
    assert totals["input_tokens"] == sum(r.input_tokens for r in emulator.requests if r.endpoint)

"""Per-call BYOK keys on the predict and structured-predict families (used, never leaked).

LlamaIndex treats extra keyword arguments of ``predict``/``stream``/``apredict``/``astream``
and of the ``*structured_predict`` family as prompt template variables: without the adapter's
care the key would be formatted into the prompt, copied into ``LLMPredictStartEvent`` and the
span's ``prompt_args``, and the request billed to the platform.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from li_support import EventRecorder, SpanRecorder, connection, model_calls
from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler
from llama_index.core.instrumentation.events.llm import LLMPredictStartEvent
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from indoxhub_integrations.llama_index import IndoxHub, track_indoxhub_usage

PROMPT = PromptTemplate("Say something about {topic}.")


class City(BaseModel):
    """A city."""

    name: str


def _clean(text: str, secret: str) -> None:
    assert secret not in text
    assert secret[-12:] not in text


async def _drain(value: Any) -> Any:
    if hasattr(value, "__aiter__"):
        return [item async for item in value]
    if hasattr(value, "__iter__") and not isinstance(value, str | BaseModel):
        return list(value)
    return value


def _predict_calls(llm: IndoxHub, key: str) -> list[Callable[[], Any]]:
    return [
        lambda: llm.predict(PROMPT, topic="Oslo", byok_api_key=key),
        lambda: llm.stream(PROMPT, topic="Oslo", byok_api_key=key),
        lambda: llm.apredict(PROMPT, topic="Oslo", byok_api_key=key),
        lambda: llm.astream(PROMPT, topic="Oslo", byok_api_key=key),
    ]


def _structured_calls(llm: IndoxHub, key: str) -> list[Callable[[], Any]]:
    prompt = PromptTemplate("name: {city}")
    return [
        lambda: llm.structured_predict(City, prompt, city="Oslo", byok_api_key=key),
        lambda: llm.astructured_predict(City, prompt, city="Oslo", byok_api_key=key),
        lambda: llm.stream_structured_predict(City, prompt, city="Oslo", byok_api_key=key),
        lambda: llm.astream_structured_predict(City, prompt, city="Oslo", byok_api_key=key),
    ]


async def _run(call: Callable[[], Any]) -> Any:
    value = call()
    if hasattr(value, "__await__"):
        value = await value
    return await _drain(value)


@pytest.mark.parametrize("index", range(4))
async def test_predict_family_uses_the_per_call_key(
    emulator: Any, byok_key: str, index: int
) -> None:
    llm = IndoxHub(**connection(emulator))
    with track_indoxhub_usage() as usage:
        output = await _run(_predict_calls(llm, byok_key)[index])
    calls = model_calls(emulator)
    assert len(calls) == 1 and calls[0].byok
    assert usage.byok_requests == usage.requests == 1
    _clean(repr(output) + repr(calls[0].body if hasattr(calls[0], "body") else ""), byok_key)


@pytest.mark.parametrize("index", range(4))
async def test_structured_family_uses_the_per_call_key(
    emulator: Any, byok_key: str, index: int
) -> None:
    llm = IndoxHub(**connection(emulator))
    output = await _run(_structured_calls(llm, byok_key)[index])
    last = output[-1] if isinstance(output, list) else output
    assert isinstance(last, City) and last.name
    calls = model_calls(emulator)
    assert calls and all(call.byok for call in calls)


async def test_a_later_call_without_a_key_is_billed_to_the_platform(
    emulator: Any, byok_key: str
) -> None:
    llm = IndoxHub(**connection(emulator))
    llm.predict(PROMPT, topic="Oslo", byok_api_key=byok_key)
    llm.predict(PROMPT, topic="Oslo")
    await llm.apredict(PROMPT, topic="Oslo")
    assert [call.byok for call in model_calls(emulator)] == [True, False, False]


async def test_canary_sweep_of_the_predict_family(
    emulator: Any,
    byok_key: str,
    recorder: EventRecorder,
    spans: SpanRecorder,
) -> None:
    debug = LlamaDebugHandler()
    llm = IndoxHub(callback_manager=CallbackManager([debug]), **connection(emulator))
    for call in _predict_calls(llm, byok_key) + _structured_calls(llm, byok_key):
        await _run(call)
    assert len(model_calls(emulator)) == 8 and all(c.byok for c in model_calls(emulator))
    starts = recorder.of(LLMPredictStartEvent)
    assert len(starts) == 4
    assert all("byok_api_key" not in event.template_args for event in starts)
    assert recorder.events and spans.bound
    for event in recorder.events:
        _clean(repr(event), byok_key)
        _clean(event.model_dump_json(fallback=repr), byok_key)
    for bound in spans.bound:
        _clean(bound, byok_key)
    pairs = debug.get_event_pairs()
    assert pairs
    for pair in pairs:
        for event in pair:
            _clean(repr(event.payload), byok_key)

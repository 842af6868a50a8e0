"""Canary sweep: the platform key and a BYOK key never leak out of the LlamaIndex adapter.

Every path is exercised with per-call and instance BYOK keys, then every instrumentation
event (``repr`` and ``model_dump_json``), span argument, legacy callback payload, serialization
(``to_dict``/``to_json``/``to_payload``), ``repr``, DEBUG log line and exception is searched.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import pytest
from li_support import EventRecorder, SpanRecorder, connection, model_calls
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from indoxhub_integrations.core.errors import IndoxHubError
from indoxhub_integrations.llama_index import (
    IndoxHub,
    IndoxHubEmbedding,
    IndoxHubToolSpec,
    track_indoxhub_usage,
)

# The workflows package inspects agents with inspect.getmembers, touching deprecated pydantic
# attributes; LlamaIndex's ReActAgent calls a deprecated workflow API. Neither is ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
    "ignore:is_running called from within a step:DeprecationWarning",
)

HI = [ChatMessage(content="Hello there")]


class PayloadRecorder(BaseCallbackHandler):
    """Keeps the ``repr`` of every legacy callback payload."""

    def __init__(self) -> None:
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])
        self.payloads: list[str] = []

    def on_event_start(self, event_type: Any, payload: Any = None, **kwargs: Any) -> str:
        self.payloads.append(repr(payload))
        return kwargs.get("event_id", "")

    def on_event_end(self, event_type: Any, payload: Any = None, **kwargs: Any) -> None:
        self.payloads.append(repr(payload))

    def start_trace(self, trace_id: str | None = None) -> None:
        return None

    def end_trace(self, trace_id: str | None = None, trace_map: Any = None) -> None:
        return None


class City(BaseModel):
    """A city."""

    name: str


def lookup(city: str) -> str:
    """Look up facts about a city."""
    return f"{city} is lovely."


def _assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        assert secret[-12:] not in text  # no partial leak either


async def test_no_key_leaks_anywhere(
    emulator: Any,
    platform_key: str,
    byok_key: str,
    recorder: EventRecorder,
    spans: SpanRecorder,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    payloads = PayloadRecorder()
    callbacks = CallbackManager([payloads])
    base = {**connection(emulator), "callback_manager": callbacks}
    llm = IndoxHub(**base)
    byok_llm = IndoxHub(byok_api_key=byok_key, byok_api_keys={"openai": byok_key}, **base)
    embed = IndoxHubEmbedding(byok_api_key=byok_key, **base)
    tools = IndoxHubToolSpec(
        byok_api_key=byok_key, output_dir=tmp_path, root_dir=tmp_path, **connection(emulator)
    )
    tool = FunctionTool.from_defaults(fn=lookup)
    errors: list[BaseException] = []
    invalid_key = byok_key.replace("CANARYBYOK", "CANARYBYOK-invalid")

    with track_indoxhub_usage() as usage:
        llm.chat(HI, byok_api_key=byok_key)
        await llm.achat(HI, byok_api_key=byok_key)
        list(llm.stream_chat(HI, byok_api_key=byok_key))
        [c async for c in await llm.astream_chat(HI, byok_api_key=byok_key)]
        llm.complete("hi", byok_api_key=byok_key)
        list(llm.stream_complete("hi", byok_api_key=byok_key))
        await llm.acomplete("hi", byok_api_key=byok_key)
        llm.chat_with_tools([tool], user_msg="city: Oslo", byok_api_key=byok_key)
        llm.predict_and_call([tool], user_msg="city: Oslo", byok_api_key=byok_key)
        await llm.apredict_and_call([tool], user_msg="city: Oslo", byok_api_key=byok_key)
        llm.structured_predict(
            City, PromptTemplate("{q}"), llm_kwargs={"byok_api_key": byok_key}, q="name: Oslo"
        )
        await llm.astructured_predict(
            City, PromptTemplate("{q}"), llm_kwargs={"byok_api_key": byok_key}, q="name: Oslo"
        )
        structured = llm.as_structured_llm(City)
        structured.chat([ChatMessage(content="name: Oslo")], byok_api_key=byok_key)
        await structured.achat([ChatMessage(content="name: Oslo")], byok_api_key=byok_key)
        await FunctionAgent(tools=[tool], llm=byok_llm).run("city: Rome")
        embed.get_text_embedding_batch(["a", "b"])
        await embed.aget_query_embedding("c")
        tools.generate_image("a cat")
        tools.speech_to_text(
            next(p for p in tools.text_to_speech("hi")[-1].text.split() if "/" in p)  # type: ignore[union-attr]
        )
        emulator.enqueue(status=400, json={"detail": f"Bad BYOK key: {byok_key}"})
        for call in (
            lambda: llm.chat(HI, byok_api_key=byok_key),
            lambda: llm.chat(HI, byok_api_key=invalid_key),  # the provider rejects it
            lambda: IndoxHub(model="google/gemini-2.0-flash", **connection(emulator)).chat(
                HI, byok_api_key="sk-ant-" + byok_key
            ),
        ):
            try:
                call()
            except IndoxHubError as exc:
                errors.append(exc)

    assert all(r.byok for r in model_calls(emulator) if r.status == 200)
    assert usage.byok_requests == usage.requests > 15
    assert len(errors) == 3
    starts = recorder.of(LLMChatStartEvent)
    assert any("byok_api_key" in e.additional_kwargs for e in starts)
    assert "**********" in starts[0].model_dump_json()

    secrets = (platform_key, byok_key, invalid_key)
    for event in recorder.events:
        _assert_clean(repr(event), *secrets)
        _assert_clean(event.model_dump_json(fallback=repr), *secrets)
    for bound in spans.bound:
        _assert_clean(bound, *secrets)
    assert payloads.payloads
    for payload in payloads.payloads:
        _assert_clean(payload, *secrets)
    for model in (llm, byok_llm, embed, tools):
        for text in (repr(model), str(model), repr(model.model_dump()), str(model.__dict__)):
            _assert_clean(text, *secrets)
    for model in (llm, byok_llm, embed):
        payload = getattr(model, "to_payload", None)  # not in the oldest supported llama-index-core
        serialized = [repr(model.to_dict()), model.to_json(), repr(payload() if payload else "")]
        _assert_clean("".join(serialized), *secrets)
    _assert_clean(caplog.text, *secrets)
    for error in errors:
        _assert_clean(f"{error!s} {error!r} {error.args!r} {vars(error)!r}", *secrets)


def test_serialization_round_trip_keeps_secrets_out(platform_key: str, byok_key: str) -> None:
    llm = IndoxHub(api_key=platform_key, byok_api_key=byok_key)
    data = llm.to_dict()
    assert "api_key" not in data and "byok_api_key" not in data
    rebuilt = IndoxHub.from_dict(data)
    assert rebuilt.api_key is None and rebuilt.model == llm.model
    clone = pickle.loads(pickle.dumps(llm))  # pickling keeps keys for worker processes
    assert clone.byok_api_key is not None
    assert clone.byok_api_key.get_secret_value() == byok_key


def test_env_keys_are_read_at_construction(
    monkeypatch: pytest.MonkeyPatch, platform_key: str, byok_key: str
) -> None:
    monkeypatch.setenv("INDOX_ROUTER_API_KEY", platform_key)
    monkeypatch.setenv("INDOXHUB_BYOK_API_KEY", byok_key)
    monkeypatch.setenv("INDOXHUB_BASE_URL", "http://127.0.0.1:9")
    llm = IndoxHub()
    assert llm.api_key is not None and llm.api_key.get_secret_value() == platform_key
    assert llm.byok_api_key is not None and llm.base_url == "http://127.0.0.1:9"
    _assert_clean(repr(llm), platform_key, byok_key)


def test_a_missing_key_fails_on_first_use_with_a_clear_error() -> None:
    llm = IndoxHub(base_url="http://127.0.0.1:9")
    with pytest.raises(IndoxHubError, match="INDOXHUB_API_KEY"):
        llm.chat(HI)

"""``IndoxHub`` against the emulator: every method, sync, async and streaming."""

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any

import pytest
from li_support import PNG, EventRecorder, connection, model_calls
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMChatStartEvent

from indoxhub_integrations.core.errors import (
    AuthenticationError,
    InsufficientCreditsError,
    InvalidRequestError,
    StreamInterruptedError,
)
from indoxhub_integrations.llama_index import IndoxHub, IndoxHubUsageEvent

USAGE_KEYS = {
    "prompt_tokens", "completion_tokens", "total_tokens", "cost", "cost_estimated", "byok",
    "request_id", "provider", "rate_limit_bypass",
}  # fmt: skip
HI = [ChatMessage(role="user", content="Hello there")]


def _check_usage(kwargs: dict[str, Any], *, byok: bool = False) -> None:
    assert set(kwargs) >= USAGE_KEYS
    assert kwargs["prompt_tokens"] > 0 and kwargs["completion_tokens"] > 0
    assert kwargs["total_tokens"] == kwargs["prompt_tokens"] + kwargs["completion_tokens"]
    assert kwargs["byok"] is byok
    assert kwargs["provider"] == "openai" and kwargs["request_id"]
    if byok:
        assert kwargs["cost"] == 0 and kwargs["rate_limit_bypass"]
    else:
        assert kwargs["cost"] > 0 and kwargs["cost_estimated"] is True


def test_construction_is_offline_and_names_are_fixed() -> None:
    llm = IndoxHub(model="mistral/mistral-large-latest", base_url="http://127.0.0.1:1")
    meta = llm.metadata
    assert meta.is_chat_model and meta.is_function_calling_model
    assert meta.model_name == "mistral/mistral-large-latest"
    assert meta.context_window == 8192 and meta.num_output == 1024
    sized = IndoxHub(context_window=128000, max_tokens=300)
    assert sized.metadata.context_window == 128000 and sized.metadata.num_output == 300
    with pytest.raises(InvalidRequestError, match="provider"):
        IndoxHub(model="gpt-4o-mini")


def test_no_langchain_import() -> None:
    code = (
        "import sys, indoxhub_integrations.llama_index\n"
        "assert not [m for m in sys.modules if m.startswith('langchain')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_chat(llm: IndoxHub, recorder: EventRecorder) -> None:
    response = llm.chat(HI)
    assert "Hello there" in (response.message.content or "")
    _check_usage(response.additional_kwargs)
    assert response.raw["usage"]["prompt_tokens"] == response.additional_kwargs["prompt_tokens"]
    assert len(recorder.of(LLMChatStartEvent)) == 1 and len(recorder.of(LLMChatEndEvent)) == 1
    (usage,) = recorder.of(IndoxHubUsageEvent)
    assert usage.record.request_id == response.additional_kwargs["request_id"]


async def test_achat(llm: IndoxHub) -> None:
    response = await llm.achat(HI)
    assert "Hello there" in (response.message.content or "")
    _check_usage(response.additional_kwargs)


def test_stream_chat(llm: IndoxHub, recorder: EventRecorder) -> None:
    chunks = list(llm.stream_chat(HI))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    _check_usage(chunks[-1].additional_kwargs)
    assert all("cost" not in c.additional_kwargs for c in chunks[:-1])
    assert len(recorder.of(IndoxHubUsageEvent)) == 1


async def test_astream_chat(llm: IndoxHub, recorder: EventRecorder) -> None:
    chunks = [c async for c in await llm.astream_chat(HI)]
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    _check_usage(chunks[-1].additional_kwargs)
    assert len(recorder.of(IndoxHubUsageEvent)) == 1


def test_complete_uses_the_completions_endpoint(llm: IndoxHub, emulator: Any) -> None:
    response = llm.complete("Say hi")
    assert "Say hi" in response.text
    _check_usage(response.additional_kwargs)
    assert model_calls(emulator)[-1].path == "/api/v1/completions"


async def test_acomplete(llm: IndoxHub) -> None:
    response = await llm.acomplete("Say hi")
    assert "Say hi" in response.text
    _check_usage(response.additional_kwargs)


def test_stream_complete(llm: IndoxHub, emulator: Any) -> None:
    chunks = list(llm.stream_complete("Say hi"))
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text
    _check_usage(chunks[-1].additional_kwargs)
    assert model_calls(emulator)[-1].stream


async def test_astream_complete(llm: IndoxHub) -> None:
    chunks = [c async for c in await llm.astream_complete("Say hi")]
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].text
    _check_usage(chunks[-1].additional_kwargs)


def test_predict_and_stream_use_chat(llm: IndoxHub) -> None:
    from llama_index.core.prompts import PromptTemplate

    assert "Paris" in llm.predict(PromptTemplate("Tell me about {city}"), city="Paris")
    assert "Paris" in "".join(llm.stream(PromptTemplate("About {city}"), city="Paris"))


def test_per_call_params_merge_and_reach_additional_params(emulator: Any) -> None:
    llm = IndoxHub(
        temperature=0.2, additional_kwargs={"seed": 1, "top_p": 0.5}, **connection(emulator)
    )
    llm.chat(HI, seed=7, stop=["zzz"], max_tokens=50)
    body = model_calls(emulator)[-1].json
    assert body["temperature"] == 0.2 and body["top_p"] == 0.5 and body["max_tokens"] == 50
    assert body["additional_params"] == {"seed": 7, "stop": ["zzz"]}


def test_per_call_byok(llm: IndoxHub, emulator: Any, byok_key: str) -> None:
    response = llm.chat(HI, byok_api_key=byok_key)
    _check_usage(response.additional_kwargs, byok=True)
    response = llm.chat(HI)
    _check_usage(response.additional_kwargs, byok=False)
    flags = [r.byok for r in model_calls(emulator)]
    assert flags == [True, False]
    assert "byok_api_key" not in llm.model_dump()


async def test_instance_byok_streams(emulator: Any, byok_key: str) -> None:
    llm = IndoxHub(byok_api_key=byok_key, **connection(emulator))
    chunks = [c async for c in await llm.astream_chat(HI)]
    _check_usage(chunks[-1].additional_kwargs, byok=True)


def test_images_reach_the_model(llm: IndoxHub, emulator: Any) -> None:
    message = ChatMessage(role="user", blocks=[TextBlock(text="Describe"), ImageBlock(image=PNG)])
    llm.chat([message])
    parts = model_calls(emulator)[-1].json["messages"][0]["content"]
    assert parts[1]["type"] == "image" and parts[1]["image"]["media_type"] == "image/png"


def test_token_counting_handler_reads_real_counts(emulator: Any) -> None:
    counter = TokenCountingHandler()
    llm = IndoxHub(callback_manager=CallbackManager([counter]), **connection(emulator))
    response = llm.chat(HI)
    list(llm.stream_chat(HI))
    assert counter.prompt_llm_token_count == 2 * response.additional_kwargs["prompt_tokens"]
    assert counter.completion_llm_token_count == 2 * response.additional_kwargs["completion_tokens"]


def test_pickle_round_trip(llm: IndoxHub) -> None:
    llm.chat(HI)  # live clients exist now
    clone = pickle.loads(pickle.dumps(llm))
    assert clone.api_key == llm.api_key
    assert "Hello there" in (clone.chat(HI).message.content or "")


def test_changing_a_connection_field_rebuilds_the_clients(llm: IndoxHub, emulator: Any) -> None:
    llm.chat(HI)
    llm.api_key = "ixh-wrong-key-000000"  # type: ignore[assignment]
    assert "ixh-wrong" not in repr(llm)
    with pytest.raises(AuthenticationError):
        llm.chat(HI)
    llm.api_key = emulator.api_key
    assert llm.chat(HI).message.content


def test_errors_are_core_exceptions(emulator: Any) -> None:
    bad_key = IndoxHub(api_key="ixh-wrong-key-000000", base_url=emulator.base_url)
    with pytest.raises(AuthenticationError):
        bad_key.chat(HI)
    emulator.set_credits(0.0)
    with pytest.raises(InsufficientCreditsError):
        IndoxHub(**connection(emulator)).chat(HI)


def test_a_cut_stream_is_not_a_complete_answer(llm: IndoxHub, emulator: Any) -> None:
    emulator.enqueue(fault="cut_stream", after_events=3)
    with pytest.raises(StreamInterruptedError):
        list(llm.stream_chat(HI))


def test_streams_retry_before_the_first_event(emulator: Any) -> None:
    emulator.enqueue(status=503, json={"detail": "busy"})
    llm = IndoxHub(**{**connection(emulator), "max_retries": 2})
    chunks = list(llm.stream_chat(HI))
    assert "Hello there" in (chunks[-1].message.content or "")

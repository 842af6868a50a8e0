"""Drop-in parity with ChatOpenAI's constructor and call arguments."""

from __future__ import annotations

from typing import Any

import pytest
from capture_server import Captured, capture_server
from langchain_core.runnables import ConfigurableField

from indoxhub_integrations.errors import InvalidRequestError
from indoxhub_integrations.langchain import ChatIndoxHub


def _llm(emulator: Any, **kwargs: Any) -> ChatIndoxHub:
    return ChatIndoxHub(base_url=emulator.base_url, api_key=emulator.api_key, **kwargs)


def _sent(emulator: Any) -> dict[str, Any]:
    return [r for r in emulator.requests if r.path.endswith("/chat/completions")][-1].json


def test_chatopenai_names_are_accepted(emulator: Any) -> None:
    llm = _llm(
        emulator,
        model="openai/gpt-4o-mini",
        max_completion_tokens=7,
        stop_sequences=["END"],
        model_kwargs={"seed": 3},
        extra_body={"reasoning_effort": "low", "temperature": 0.5},
    )
    assert (llm.model_name, llm.max_tokens, llm.stop) == ("openai/gpt-4o-mini", 7, ["END"])
    llm.invoke("hi")
    body = _sent(emulator)
    assert (body["max_tokens"], body["temperature"]) == (7, 0.5)
    assert body["additional_params"]["stop"] == ["END"]
    assert body["additional_params"]["seed"] == 3
    assert body["additional_params"]["reasoning_effort"] == "low"


def test_per_call_names(emulator: Any) -> None:
    _llm(emulator).invoke("hi", max_completion_tokens=3, extra_body={"user": "u1"}, stop=["x"])
    body = _sent(emulator)
    assert body["max_tokens"] == 3
    assert body["additional_params"]["user"] == "u1"
    assert body["additional_params"]["stop"] == ["x"]


def test_configurable_model_name(emulator: Any) -> None:
    llm = _llm(emulator).configurable_fields(
        model_name=ConfigurableField(id="model"), max_completion_tokens=ConfigurableField(id="mt")
    )
    llm.invoke(
        "hi", config={"configurable": {"model": "anthropic/claude-3-haiku-20240307", "mt": 9}}
    )
    body = _sent(emulator)
    assert body["model"] == "anthropic/claude-3-haiku-20240307" and body["max_tokens"] == 9


def test_n_other_than_one_is_refused_before_sending(emulator: Any) -> None:
    assert _llm(emulator, n=1).invoke("hi").content
    before = len(emulator.requests)
    with pytest.raises(InvalidRequestError, match="one answer per chat request"):
        _llm(emulator, n=2).invoke("hi")
    with pytest.raises(InvalidRequestError):
        _llm(emulator).invoke("hi", n=3)
    assert len(emulator.requests) == before


def test_stream_usage_false_leaves_usage_off_keeps_cost(emulator: Any) -> None:
    chunks = list(_llm(emulator, stream_usage=False).stream("hi"))
    assert all(chunk.usage_metadata is None for chunk in chunks)
    assert chunks[-1].response_metadata["cost"] is not None
    chunks = list(_llm(emulator).stream("hi"))
    assert chunks[-1].usage_metadata is not None


def test_default_headers_are_sent() -> None:
    body = {
        "id": "x",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }

    def answer(_: Captured) -> tuple[int, Any]:
        return 200, body

    with capture_server(answer) as server:
        llm = ChatIndoxHub(
            base_url=server.base_url, api_key="ixh-test", default_headers={"X-Team": "blue"}
        )
        assert llm.invoke("hi").content == "hi"
    chat = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert chat and chat[-1].headers["x-team"] == "blue"

"""ChatIndoxHub against the emulator: parameters, BYOK, tools, structured output, metadata."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import ConfigurableField
from langchain_core.tools import tool
from pydantic import BaseModel, Field, SecretStr

from indoxhub_integrations.langchain import ChatIndoxHub
from indoxhub_integrations.langchain.errors import IndoxHubInvalidRequestError

from .conftest import tiny_png


class Joke(BaseModel):
    """A joke."""

    setup: str = Field(description="question to set up a joke")
    punchline: str = Field(description="answer to resolve the joke")


@tool
def get_weather(location: str) -> str:
    """Get the weather at a location."""
    return "sunny"


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


def _llm(emulator: Any, **kwargs: Any) -> ChatIndoxHub:
    kwargs.setdefault("model", "openai/gpt-4o-mini")
    return ChatIndoxHub(base_url=emulator.base_url, api_key=emulator.api_key, **kwargs)


def _chat_bodies(emulator: Any) -> list[dict[str, Any]]:
    return [r.json for r in emulator.requests if r.path.endswith("/chat/completions")]


def test_metadata_on_invoke(emulator: Any) -> None:
    message = _llm(emulator).invoke("Hello")
    assert isinstance(message, AIMessage)
    meta = message.response_metadata
    record = [r for r in emulator.requests if r.endpoint == "chat"][-1]
    assert meta["model_name"] == "openai/gpt-4o-mini"
    assert meta["model_provider"] == "indoxhub"
    assert meta["provider"] == "openai"
    assert meta["request_id"] == record.request_id
    assert meta["finish_reason"] == "stop"
    assert meta["cost"] == pytest.approx(record.cost, abs=1e-12)
    assert meta["cost_estimated"] is True  # the default response style carries no cost
    assert meta["byok"] is False
    assert meta["rate_limit_bypass"] is None
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == record.input_tokens
    assert message.usage_metadata["output_tokens"] == record.output_tokens


def test_stream_usage_rides_on_the_last_chunk(emulator: Any) -> None:
    chunks = list(_llm(emulator).stream("Write two haikus"))
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1
    assert chunks[-1].usage_metadata is not None
    assert chunks[-1].response_metadata["cost"] is not None
    assert all(c.response_metadata.get("cost") is None for c in chunks[:-1])
    assert chunks[-1].chunk_position == "last"
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    record = [r for r in emulator.requests if r.endpoint == "chat"][-1]
    assert full.usage_metadata is not None
    assert full.usage_metadata["output_tokens"] == record.output_tokens
    assert full.response_metadata["cost"] == pytest.approx(record.cost, abs=1e-12)


def test_reasoning_and_cached_token_details(emulator: Any) -> None:
    emulator.enqueue(usage={"input_tokens": 40, "output_tokens": 30, "reasoning_tokens": 12})
    message = _llm(emulator, model="deepseek/deepseek-reasoner").invoke("Think")
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"] == {"reasoning": 12}
    assert message.usage_metadata["input_token_details"] == {"cache_read": 0}


def test_parameters_merge_and_per_call_wins(emulator: Any) -> None:
    llm = _llm(
        emulator,
        temperature=0.2,
        max_tokens=50,
        top_p=0.9,
        stop=["END"],
        model_kwargs={"seed": 1, "user": "u1"},
    )
    llm.invoke("Hello", additional_params={"seed": 7}, presence_penalty=0.5)
    body = _chat_bodies(emulator)[-1]
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 50
    assert body["top_p"] == 0.9
    assert body["presence_penalty"] == 0.5
    assert body["additional_params"] == {"seed": 7, "user": "u1", "stop": ["END"]}
    llm.invoke("Hello", stop=["x"], temperature=0.0)
    body = _chat_bodies(emulator)[-1]
    assert body["temperature"] == 0.0
    assert body["additional_params"]["stop"] == ["x"]


def test_unknown_constructor_arguments_go_to_additional_params(emulator: Any) -> None:
    with pytest.warns(UserWarning, match="reasoning_effort"):
        llm = _llm(emulator, reasoning_effort="low")
    llm.invoke("Hello")
    assert _chat_bodies(emulator)[-1]["additional_params"] == {"reasoning_effort": "low"}


def _last_call(emulator: Any) -> Any:
    """The last model call the emulator logged (not the catalog fetch that prices BYOK)."""
    return [r for r in emulator.requests if r.endpoint is not None][-1]


def test_byok_per_call_merges_with_instance_settings(emulator: Any, byok_key: str) -> None:
    llm = _llm(emulator, temperature=0.3, model_kwargs={"seed": 3})
    message = llm.invoke("Hello", byok_api_key=byok_key)
    record = _last_call(emulator)  # a BYOK answer may be followed by a catalog fetch
    assert record.byok is True
    assert record.json["temperature"] == 0.3
    assert record.json["additional_params"] == {"seed": 3}
    assert message.response_metadata["byok"] is True
    assert message.response_metadata["cost"] == 0.0
    assert message.response_metadata["rate_limit_bypass"]
    llm.invoke("Hello", byok_api_key=SecretStr(byok_key))
    assert _last_call(emulator).byok is True
    llm.invoke("Hello")  # nothing stored on the instance
    assert _last_call(emulator).byok is False


def test_byok_bind_field_and_configurable(emulator: Any, byok_key: str) -> None:
    llm = _llm(emulator)
    bound = llm.bind(byok_api_key=byok_key)
    assert byok_key not in repr(bound)
    assert byok_key not in repr(bound.bind(temperature=0.1).bind(byok_api_key=byok_key))
    bound.invoke("Hello")
    assert _last_call(emulator).byok is True
    _llm(emulator, byok_api_key=byok_key).invoke("Hello")
    assert _last_call(emulator).byok is True
    configurable = llm.configurable_fields(
        byok_api_key=ConfigurableField(id="byok_api_key", name="BYOK key")
    )
    configurable.invoke("Hello", config={"configurable": {"byok_api_key": SecretStr(byok_key)}})
    assert _last_call(emulator).byok is True
    configurable.invoke("Hello")
    assert _last_call(emulator).byok is False


def test_byok_provider_mismatch_is_caught_before_sending(emulator: Any) -> None:
    llm = _llm(emulator)
    with pytest.raises(IndoxHubInvalidRequestError, match="anthropic"):
        llm.invoke("Hello", byok_api_key="sk-ant-api03-abcdefghijklmnop")
    assert not [r for r in emulator.requests if r.endpoint == "chat"]


def test_model_override_per_call(emulator: Any) -> None:
    message = _llm(emulator).invoke("Hello", model="anthropic/claude-3-haiku-20240307")
    assert message.response_metadata["model_name"] == "anthropic/claude-3-haiku-20240307"
    assert message.response_metadata["provider"] == "anthropic"
    assert _chat_bodies(emulator)[-1]["model"] == "anthropic/claude-3-haiku-20240307"


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_tool_choice_forms(emulator: Any, choice: Any, wire: Any) -> None:
    _llm(emulator).bind_tools([get_weather, magic_function], tool_choice=choice).invoke(
        "What is the weather in Paris?"
    )
    additional = _chat_bodies(emulator)[-1]["additional_params"]
    assert additional["tool_choice"] == wire
    assert [t["function"]["name"] for t in additional["tools"]] == ["get_weather", "magic_function"]


def test_unknown_tool_choice_name_fails_early(emulator: Any) -> None:
    with pytest.raises(IndoxHubInvalidRequestError, match="nope"):
        _llm(emulator).bind_tools([get_weather], tool_choice="nope")


def test_tool_round_trip_and_streamed_tool_chunks(emulator: Any) -> None:
    llm = _llm(emulator).bind_tools([get_weather])
    question = HumanMessage("What is the weather in Paris?")
    first = llm.invoke([question])
    assert first.tool_calls and first.tool_calls[0]["name"] == "get_weather"
    chunks = list(llm.stream([question]))
    assert any(chunk.tool_call_chunks for chunk in chunks)
    answer = llm.invoke([question, first, get_weather.invoke(first.tool_calls[0])])
    assert answer.content and not answer.tool_calls
    history = _chat_bodies(emulator)[-1]["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "tool"]
    assert history[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert history[2]["tool_call_id"] == first.tool_calls[0]["id"]


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
async def test_structured_output(emulator: Any, method: str) -> None:
    structured = _llm(emulator).with_structured_output(Joke, method=method)  # type: ignore[arg-type]
    assert isinstance(structured.invoke("Tell me a joke about cats"), Joke)
    assert isinstance(await structured.ainvoke("Tell me a joke about cats"), Joke)
    as_dict = _llm(emulator).with_structured_output(Joke.model_json_schema(), method=method)  # type: ignore[arg-type]
    assert set(as_dict.invoke("Tell me a joke about dogs")) == {"setup", "punchline"}


def test_structured_output_json_mode_and_include_raw(emulator: Any) -> None:
    emulator.enqueue(content='{"setup": "Why?", "punchline": "Because."}')
    structured = _llm(emulator).with_structured_output(Joke, method="json_mode", include_raw=True)
    out = structured.invoke("Joke as JSON")
    assert out["parsed"] == Joke(setup="Why?", punchline="Because.")
    assert isinstance(out["raw"], AIMessage)
    assert out["parsing_error"] is None
    assert _chat_bodies(emulator)[-1]["additional_params"]["response_format"] == {
        "type": "json_object"
    }
    emulator.enqueue(content="not json")
    failed = structured.invoke("Joke as JSON")
    assert failed["parsed"] is None
    assert failed["parsing_error"] is not None


def test_multimodal_message_reaches_the_server_as_image_parts(emulator: Any) -> None:
    import base64

    data = base64.b64encode(tiny_png()).decode()
    message = HumanMessage(
        [
            {"type": "text", "text": "Describe"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
            {"type": "image", "url": "https://example.com/cat.png"},
        ]
    )
    assert _llm(emulator).invoke([message]).content
    parts = _chat_bodies(emulator)[-1]["messages"][0]["content"]
    assert parts[1] == {"type": "image", "image": {"data": data, "media_type": "image/png"}}
    assert parts[2] == {"type": "image", "image": {"url": "https://example.com/cat.png"}}


def test_streaming_flag_and_events(emulator: Any) -> None:
    llm = _llm(emulator, streaming=True)
    message = llm.invoke("Hello")
    assert message.content and message.usage_metadata
    assert _chat_bodies(emulator)[-1]["stream"] is True


async def test_async_batch_and_events(emulator: Any) -> None:
    llm = _llm(emulator)
    results = await llm.abatch(["Hello", "Hey", "Hi"])
    assert all(isinstance(r, AIMessage) and r.content for r in results)
    kinds = [e["event"] async for e in llm.astream_events("Hello", version="v2")]
    assert kinds[0] == "on_chat_model_start"
    assert "on_chat_model_stream" in kinds
    assert kinds[-1] == "on_chat_model_end"


def test_pickle_after_use(emulator: Any) -> None:
    llm = _llm(emulator, temperature=0.1)
    llm.invoke("Hello")
    copy = pickle.loads(pickle.dumps(llm))
    assert copy.invoke("Hello").content
    assert copy.temperature == 0.1


def test_fields_changed_after_construction_are_used(emulator: Any, byok_key: str) -> None:
    llm = _llm(emulator)
    llm.invoke("Hello")
    llm.byok_api_key = SecretStr(byok_key)
    llm.invoke("Hello")
    assert _last_call(emulator).byok is True
    other = llm.model_copy(update={"byok_api_key": None})
    other.invoke("Hello")
    assert _last_call(emulator).byok is False


def test_per_call_platform_key_is_refused(emulator: Any, platform_key: str) -> None:
    with pytest.raises(IndoxHubInvalidRequestError, match="per call"):
        _llm(emulator).invoke("Hello", api_key=platform_key)


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_dumpd_load_round_trip_with_secrets_map(byok_key: str, platform_key: str) -> None:
    from langchain_core.load import dumpd, load

    llm = ChatIndoxHub(
        model="anthropic/claude-3-haiku-20240307",
        api_key=platform_key,
        byok_api_key=byok_key,
        temperature=0.3,
        model_kwargs={"seed": 1},
    )
    data = dumpd(llm)
    assert data["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["INDOXHUB_API_KEY"]}
    assert data["kwargs"]["byok_api_key"]["id"] == ["INDOXHUB_BYOK_API_KEY"]
    secrets = {"INDOXHUB_API_KEY": platform_key, "INDOXHUB_BYOK_API_KEY": byok_key}
    for allowed in ("all", [ChatIndoxHub]):
        loaded = load(
            data,
            secrets_map=secrets,
            valid_namespaces=["indoxhub_integrations"],
            allowed_objects=allowed,  # type: ignore[arg-type]
        )
        assert isinstance(loaded, ChatIndoxHub)
        assert loaded.api_key is not None and loaded.api_key.get_secret_value() == platform_key
        assert loaded.byok_api_key is not None
        assert loaded.byok_api_key.get_secret_value() == byok_key
        assert loaded.model == llm.model and loaded.temperature == 0.3
        assert loaded.model_kwargs == {"seed": 1}

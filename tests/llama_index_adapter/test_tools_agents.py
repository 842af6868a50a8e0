"""Tool calling, agents, the media tool spec and structured prediction against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from li_support import EventRecorder, model_calls
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent
from llama_index.core.base.llms.types import AudioBlock, ChatMessage, ImageBlock, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from indoxhub_integrations.llama_index import IndoxHub, IndoxHubToolSpec, IndoxHubUsageEvent

# The workflows package inspects agents with inspect.getmembers, touching deprecated pydantic
# attributes; LlamaIndex's ReActAgent calls a deprecated workflow API. Neither is ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
    "ignore:is_running called from within a step:DeprecationWarning",
)


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


WEATHER = FunctionTool.from_defaults(fn=get_weather)
ADD = FunctionTool.from_defaults(fn=add)


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def test_chat_with_tools_and_tool_calls(llm: IndoxHub, emulator: Any) -> None:
    response = llm.chat_with_tools([WEATHER, ADD], user_msg="What is the weather in city: Oslo")
    (call,) = llm.get_tool_calls_from_response(response)
    assert call.tool_name == "get_weather" and call.tool_kwargs == {"city": "Oslo"}
    assert any(isinstance(b, ToolCallBlock) for b in response.message.blocks)
    body = model_calls(emulator)[-1].json
    assert body["additional_params"]["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in body["additional_params"]["tools"]] == [
        "get_weather",
        "add",
    ]


def test_tool_required_and_no_tool_call_errors(llm: IndoxHub, emulator: Any) -> None:
    llm.chat_with_tools([ADD], user_msg="add 1 and 2", tool_required=True)
    assert model_calls(emulator)[-1].json["additional_params"]["tool_choice"] == "required"
    plain = llm.chat([ChatMessage(content="hi")])
    assert llm.get_tool_calls_from_response(plain, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(plain)


def test_predict_and_call(llm: IndoxHub) -> None:
    result = llm.predict_and_call([WEATHER], user_msg="weather in city: Rome")
    assert result.response == "It is sunny in Rome."
    assert result.sources[0].tool_name == "get_weather"


async def test_apredict_and_call(llm: IndoxHub) -> None:
    result = await llm.apredict_and_call([ADD], user_msg="add 2 and 40")
    assert result.response == "42"


def test_streamed_tool_calls(llm: IndoxHub) -> None:
    chunks = list(llm.stream_chat_with_tools([ADD], user_msg="add 5 and 6"))
    (call,) = llm.get_tool_calls_from_response(chunks[-1])
    assert call.tool_name == "add" and call.tool_kwargs == {"a": 5, "b": 6}


async def test_astream_chat_with_tools(llm: IndoxHub) -> None:
    chunks = [c async for c in await llm.astream_chat_with_tools([ADD], user_msg="add 1 and 1")]
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs == {"a": 1, "b": 1}


def test_structured_predict(llm: IndoxHub) -> None:
    prompt = PromptTemplate("Extract the person: {text}")
    person = llm.structured_predict(Person, prompt, text="name: Alice, age: 30")
    assert person == Person(name="Alice", age=30)


async def test_astructured_predict(llm: IndoxHub) -> None:
    prompt = PromptTemplate("Extract the person: {text}")
    person = await llm.astructured_predict(Person, prompt, text="name: Bob, age: 41")
    assert person == Person(name="Bob", age=41)


def test_as_structured_llm(llm: IndoxHub) -> None:
    structured = llm.as_structured_llm(Person)
    response = structured.chat([ChatMessage(content="name: Carol, age: 5")])
    assert response.raw == Person(name="Carol", age=5)


def test_tool_spec_functions(tool_spec: IndoxHubToolSpec, recorder: EventRecorder) -> None:
    tools = {t.metadata.name: t for t in tool_spec.to_tool_list()}
    assert set(tools) == {"generate_image", "text_to_speech", "speech_to_text", "generate_video"}
    image = tools["generate_image"](prompt="a red square")
    assert any(isinstance(b, ImageBlock) for b in image.blocks)
    assert "Image 1:" in image.content
    speech = tools["text_to_speech"](text="hello world")
    audio = next(b for b in speech.blocks if isinstance(b, AudioBlock))
    path = speech.content.rsplit("Speech saved to ", 1)[1].strip()
    assert Path(path).read_bytes() == audio.resolve_audio().read()
    transcript = tools["speech_to_text"](audio_path=path)
    assert "hello world" in transcript.content.lower()
    endpoints = [e.record.endpoint for e in recorder.of(IndoxHubUsageEvent)]
    assert endpoints == ["image", "text_to_speech", "speech_to_text"]


async def test_tool_spec_async(tool_spec: IndoxHubToolSpec, emulator: Any) -> None:
    blocks = await tool_spec.agenerate_image("a blue circle")
    assert isinstance(blocks[0], ImageBlock)
    speech = await tool_spec.atext_to_speech("good morning")
    path = speech[-1].text.rsplit("Speech saved to ", 1)[1]  # type: ignore[union-attr]
    assert "good morning" in (await tool_spec.aspeech_to_text(path)).lower()
    assert [r.endpoint for r in model_calls(emulator)] == [
        "image",
        "text_to_speech",
        "speech_to_text",
    ]


async def test_function_agent_with_the_tool_spec(
    llm: IndoxHub, tool_spec: IndoxHubToolSpec, emulator: Any
) -> None:
    agent = FunctionAgent(tools=tool_spec.to_tool_list(), llm=llm)
    response = await agent.run("Please generate an image of a lighthouse")
    assert "Image 1:" in str(response)
    endpoints = [r.endpoint for r in model_calls(emulator)]
    assert endpoints == ["chat", "image", "chat"]


async def test_react_agent_with_the_tool_spec(
    llm: IndoxHub, tool_spec: IndoxHubToolSpec, emulator: Any
) -> None:
    agent = ReActAgent(tools=tool_spec.to_tool_list(), llm=llm)
    response = await agent.run("Use text to speech to speak the text: 'hello agents'")
    assert "Speech saved to" in str(response)
    endpoints = [r.endpoint for r in model_calls(emulator)]
    assert endpoints == ["chat", "text_to_speech", "chat"]

"""Structured output through every entry point, sync and async, streamed and not.

LlamaIndex's streaming structured-output parser reads ``message.additional_kwargs
["tool_calls"]``; the adapter fills it (in OpenAI form) next to the ``ToolCallBlock`` s.
"""

from __future__ import annotations

from typing import Any

import pytest
from li_support import connection
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from indoxhub_integrations.llama_index import IndoxHub
from indoxhub_integrations.llama_index.messages import assistant_message, tool_call_arguments

# LlamaIndex's StructuredLLM calls pydantic's deprecated .json(); not ours.
pytestmark = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")

PROMPT = PromptTemplate("Make up a person called {name}.")
ASK = [ChatMessage(content="Make up a person called Ada.")]


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def _check(person: Any) -> None:
    assert isinstance(person, Person)
    assert person.name and isinstance(person.age, int)


@pytest.fixture
def llm(emulator: Any) -> IndoxHub:
    return IndoxHub(**connection(emulator))


def test_structured_predict(llm: IndoxHub) -> None:
    _check(llm.structured_predict(Person, PROMPT, name="Ada"))


async def test_astructured_predict(llm: IndoxHub) -> None:
    _check(await llm.astructured_predict(Person, PROMPT, name="Ada"))


def test_stream_structured_predict(llm: IndoxHub) -> None:
    parts = list(llm.stream_structured_predict(Person, PROMPT, name="Ada"))
    _check(parts[-1])


async def test_astream_structured_predict(llm: IndoxHub) -> None:
    parts = [p async for p in await llm.astream_structured_predict(Person, PROMPT, name="Ada")]
    _check(parts[-1])


def test_structured_llm_chat_and_complete(llm: IndoxHub) -> None:
    structured = llm.as_structured_llm(Person)
    _check(structured.chat(ASK).raw)
    _check(structured.complete("Make up a person called Ada.").raw)


async def test_structured_llm_achat_and_acomplete(llm: IndoxHub) -> None:
    structured = llm.as_structured_llm(Person)
    _check((await structured.achat(ASK)).raw)
    _check((await structured.acomplete("Make up a person called Ada.")).raw)


# LlamaIndex's StructuredLLM streams chats only (its stream_complete raises NotImplementedError).
def test_structured_llm_stream_chat(llm: IndoxHub) -> None:
    _check(list(llm.as_structured_llm(Person).stream_chat(ASK))[-1].raw)


async def test_structured_llm_astream_chat(llm: IndoxHub) -> None:
    structured = llm.as_structured_llm(Person)
    _check([c async for c in await structured.astream_chat(ASK)][-1].raw)


def test_stream_chat_with_tools_chunks_carry_legacy_tool_calls(llm: IndoxHub) -> None:
    from llama_index.core.program.function_program import get_function_tool

    tool = get_function_tool(Person)
    chunks = list(llm.stream_chat_with_tools([tool], user_msg="a person: Ada", tool_required=True))
    with_calls = [c for c in chunks if c.message.additional_kwargs.get("tool_calls")]
    assert with_calls and with_calls[-1] is chunks[-1]
    last = chunks[-1].message
    assert any(isinstance(b, ToolCallBlock) for b in last.blocks)
    call = last.additional_kwargs["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "Person"
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_kwargs["name"]


def test_partial_arguments_are_read_as_far_as_they_go() -> None:
    block = ToolCallBlock(tool_call_id="c1", tool_name="Person", tool_kwargs='{"name": "Ad')
    assert tool_call_arguments(block) == {"name": "Ad"}
    assert tool_call_arguments(block.model_copy(update={"tool_kwargs": '{"na'})) == {}
    done = block.model_copy(update={"tool_kwargs": {"name": "Ada", "age": 3}})
    assert tool_call_arguments(done) == {"name": "Ada", "age": 3}


def test_messages_without_tool_calls_have_no_legacy_key() -> None:
    assert "tool_calls" not in assistant_message("hello").additional_kwargs

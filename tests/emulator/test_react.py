"""The emulator's ReAct replies (pure): tool choice, arguments, answers after observations."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indoxhub_integrations.emulator.react import (
    ReactTool,
    best_tool,
    is_react_prompt,
    parse_react_tools,
    react_reply,
)

llama_core = pytest.importorskip("llama_index.core")

from llama_index.core.agent.react.formatter import ReActChatFormatter  # noqa: E402
from llama_index.core.agent.react.output_parser import ReActOutputParser  # noqa: E402
from llama_index.core.agent.react.types import (  # noqa: E402
    ActionReasoningStep,
    ObservationReasoningStep,
    ResponseReasoningStep,
)
from llama_index.core.base.llms.types import ChatMessage, MessageRole  # noqa: E402
from llama_index.core.tools import FunctionTool  # noqa: E402


def add(a: int, b: int) -> int:
    """Add two integers and return the sum."""
    return a + b


def get_weather(city: str) -> str:
    """Get the current weather forecast for a city."""
    return f"Sunny in {city}"


TOOLS = [FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=get_weather)]


def _wire(messages: list[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]


def _prompt(question: str, reasoning: list | None = None, **formatter: object) -> list[dict]:
    chat = ReActChatFormatter.from_defaults(**formatter).format(  # type: ignore[arg-type]
        TOOLS, [ChatMessage(role="user", content=question)], current_reasoning=reasoning
    )
    return _wire(chat)


def test_plain_conversation_is_not_react() -> None:
    assert react_reply([{"role": "user", "content": "Hello there"}]) is None
    assert react_reply([]) is None


def test_tools_are_read_from_the_llama_index_prompt() -> None:
    system = _prompt("hi")[0]["content"]
    assert is_react_prompt(system)
    tools = parse_react_tools(system)
    assert [t.name for t in tools] == ["add", "get_weather"]
    assert tools[0].parameters["required"] == ["a", "b"]
    assert "weather forecast" in tools[1].description


def test_calls_the_best_matching_tool_with_schema_arguments() -> None:
    reply = react_reply(_prompt("What is the weather in city: Paris"))
    assert reply is not None
    step = ReActOutputParser().parse(reply)
    assert isinstance(step, ActionReasoningStep)
    assert step.action == "get_weather"
    assert step.action_input == {"city": "Paris"}


def test_numbers_come_from_the_question() -> None:
    step = ReActOutputParser().parse(react_reply(_prompt("Please add 3 and 4")) or "")
    assert isinstance(step, ActionReasoningStep)
    assert step.action == "add"
    assert step.action_input == {"a": 3, "b": 4}


@pytest.mark.parametrize("role", [MessageRole.USER, MessageRole.TOOL])
def test_answers_with_the_observation(role: MessageRole) -> None:
    action = ActionReasoningStep(thought="t", action="add", action_input={"a": 3, "b": 4})
    reasoning = [action, ObservationReasoningStep(observation="7")]
    messages = _prompt("Please add 3 and 4", reasoning, observation_role=role)
    if role == MessageRole.TOOL:
        messages[-1]["tool_call_id"] = "x"
    step = ReActOutputParser().parse(react_reply(messages) or "")
    assert isinstance(step, ResponseReasoningStep)
    assert "7" in step.response


def test_a_new_question_after_an_answer_calls_a_tool_again() -> None:
    first = _prompt("Please add 3 and 4")
    history = [
        *first[1:],
        {"role": "assistant", "content": "The tool returned: 7"},
        {"role": "user", "content": "And the weather in city: Rome"},
    ]
    step = ReActOutputParser().parse(react_reply([first[0], *history]) or "")
    assert isinstance(step, ActionReasoningStep)
    assert step.action_input == {"city": "Rome"}


def test_no_tools_answers_directly() -> None:
    chat = ReActChatFormatter.from_defaults().format([], [ChatMessage(content="Hi there")])
    step = ReActOutputParser().parse(react_reply(_wire(chat)) or "")
    assert isinstance(step, ResponseReasoningStep)
    assert "Hi there" in step.response


def test_list_content_parts_are_read() -> None:
    messages = _prompt("weather in city: Oslo")
    messages[-1]["content"] = [{"type": "text", "text": "weather in city: Oslo"}]  # type: ignore[assignment]
    step = ReActOutputParser().parse(react_reply(messages) or "")
    assert isinstance(step, ActionReasoningStep)
    assert step.action_input == {"city": "Oslo"}


def test_unreadable_tool_args_still_give_valid_json() -> None:
    system = (
        "Thought: Action: Action Input:\n> Tool Name: lookup\nTool Description: find things\n"
        "Tool Args: {not json\n"
    )
    reply = react_reply([{"role": "system", "content": system}, {"role": "user", "content": "x"}])
    assert reply is not None
    json.loads(reply.split("Action Input:", 1)[1])


def test_best_tool_is_deterministic_on_ties() -> None:
    tools = [ReactTool("alpha"), ReactTool("beta")]
    assert best_tool(tools, "nothing matches").name == "alpha"


@given(st.lists(st.text(max_size=80), max_size=5))
def test_never_raises_and_ignores_ordinary_text(texts: list[str]) -> None:
    messages = [{"role": "user", "content": t} for t in texts]
    reply = react_reply(messages)
    assert reply is None or "Answer:" in reply or "Action:" in reply

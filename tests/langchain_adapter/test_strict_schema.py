"""A LangGraph agent against a server that keeps only each message's role and content."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from indoxhub_integrations.core.tool_history import forget_rejections
from indoxhub_integrations.emulator import IndoxHubEmulator
from indoxhub_integrations.errors import IndoxHubWarning
from indoxhub_integrations.langchain import ChatIndoxHub


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def strict() -> Iterator[IndoxHubEmulator]:
    forget_rejections()
    with IndoxHubEmulator(strict_schema=True) as server:
        yield server
    forget_rejections()


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
def test_langgraph_two_tool_task_in_strict_mode(strict: IndoxHubEmulator) -> None:
    from langgraph.prebuilt import create_react_agent

    calls = [
        {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_1"},
        {"name": "add", "arguments": {"a": 2, "b": 3}, "id": "call_2"},
    ]
    strict.enqueue("/chat/completions", tool_calls=calls)
    chat = ChatIndoxHub(
        model="openai/gpt-4o-mini", base_url=strict.base_url, api_key=strict.api_key
    )
    agent = create_react_agent(chat, [get_weather, add])
    with pytest.warns(IndoxHubWarning, match="rejected the tool-call history"):
        state = agent.invoke({"messages": [("user", "Weather in Paris, and what is 2 + 3?")]})
    messages = state["messages"]
    results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert results == ["It is sunny in Paris.", "5"]
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "It is sunny in Paris." in final.content and "5" in final.content
    statuses = [r.status for r in strict.requests if r.endpoint]
    assert statuses == [200, 400, 200]  # native rejected once, then folded
    assert ChatIndoxHub.model_fields["tool_history"].default == "auto"

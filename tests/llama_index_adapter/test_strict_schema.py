"""A LlamaIndex FunctionAgent against a server that keeps only each message's role and content."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool

from indoxhub_integrations.core.tool_history import forget_rejections
from indoxhub_integrations.emulator import IndoxHubEmulator
from indoxhub_integrations.errors import IndoxHubWarning
from indoxhub_integrations.llama_index import IndoxHub

pytestmark = pytest.mark.filterwarnings(
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
)


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def strict() -> Iterator[IndoxHubEmulator]:
    forget_rejections()
    with IndoxHubEmulator(strict_schema=True) as server:
        yield server
    forget_rejections()


async def test_function_agent_two_tool_task_in_strict_mode(strict: IndoxHubEmulator) -> None:
    calls = [
        {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_1"},
        {"name": "add", "arguments": {"a": 2, "b": 3}, "id": "call_2"},
    ]
    strict.enqueue("/chat/completions", tool_calls=calls)
    llm = IndoxHub(model="openai/gpt-4o-mini", base_url=strict.base_url, api_key=strict.api_key)
    tools = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(add)]
    agent = FunctionAgent(tools=tools, llm=llm)
    with pytest.warns(IndoxHubWarning, match="rejected the tool-call history"):
        response = await agent.run("Weather in Paris, and what is 2 + 3?")
    assert "It is sunny in Paris." in str(response) and "5" in str(response)
    statuses = [r.status for r in strict.requests if r.endpoint]
    assert statuses[0] == 200 and 400 in statuses and statuses[-1] == 200
    assert statuses.count(400) == 1  # remembered: one rejection, then folded at once

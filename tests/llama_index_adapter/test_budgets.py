"""Budgets in LlamaIndex: a FunctionAgent in a runaway tool loop stops at the limit with the
typed error, the usage so far stays readable, and nothing reaches the server afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool

from indoxhub_integrations import Budget
from indoxhub_integrations.errors import BudgetExceededError, InvalidRequestError
from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding, track_indoxhub_usage

from .li_support import connection, model_calls

pytestmark = pytest.mark.filterwarnings(
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
    "ignore:is_running called from within a step:DeprecationWarning",
)
LOOP = [{"name": "get_weather", "arguments": {"city": "Paris"}}]


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_stops_at_the_limit(emulator: Any, streaming: bool) -> None:
    emulator.enqueue("chat/completions", tool_calls=LOOP, times=200)  # it never stops itself
    llm = IndoxHub(model="openai/gpt-4o-mini", **connection(emulator))
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(get_weather)], llm=llm, streaming=streaming
    )
    with track_indoxhub_usage(max_cost=0.0003) as usage, pytest.raises(BudgetExceededError) as info:
        await agent.run("Weather in Paris?", max_iterations=200)
    assert info.value.limit == 0.0003
    assert usage.budget is not None and usage.budget.refused == 1
    assert usage.total_cost >= 0.0003 and usage.total_cost == pytest.approx(info.value.spent)
    assert 1 < usage.requests == len(model_calls(emulator))  # none after the refusal


def test_every_class_takes_max_cost_and_a_shared_budget(emulator: Any) -> None:
    llm = IndoxHub(model="openai/gpt-4o-mini", max_cost=1e-9, **connection(emulator))
    llm.complete("Hello")
    with pytest.raises(BudgetExceededError, match=r"\$0\.000000 limit"):
        llm.complete("Hello again")
    shared = Budget(max_cost=1e-9)
    embed = IndoxHubEmbedding(budget=shared, **connection(emulator))
    embed.get_text_embedding("hello")
    with pytest.raises(BudgetExceededError):
        embed.get_text_embedding("again")
    assert len(model_calls(emulator)) == 2


def test_track_usage_budget_arguments(emulator: Any, byok_key: str) -> None:
    llm = IndoxHub(model="openai/gpt-4o-mini", byok_api_key=byok_key, **connection(emulator))
    with track_indoxhub_usage(max_cost=1e-9, include_byok=True) as usage:
        llm.complete("one")  # the provider bill counts: the next request would pass it
        with pytest.raises(BudgetExceededError):
            llm.complete("two")
    assert usage.byok_requests == 1 and usage.total_cost == 0.0
    assert usage.byok_provider_cost > 0 and usage.budget is not None
    assert usage.budget.spent == pytest.approx(usage.byok_provider_cost)
    with (
        pytest.raises(InvalidRequestError, match="either budget"),
        track_indoxhub_usage(budget=Budget(max_cost=1), budget_mode="strict"),
    ):
        pass

"""Budgets in LangChain: a LangGraph agent in a runaway tool loop stops at the limit with the
typed error, the usage so far stays readable, and nothing reaches the server afterwards."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.exceptions import ModelError
from langchain_core.tools import tool

from indoxhub_integrations import Budget
from indoxhub_integrations.errors import BudgetExceededError, IndoxHubError, InvalidRequestError
from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubEmbeddings,
    get_indoxhub_callback,
)
from indoxhub_integrations.langchain.errors import IndoxHubBudgetExceededError

LOOP = [{"name": "get_weather", "arguments": {"city": "Paris"}}]


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny in {city}."


def _conn(emulator: Any) -> dict[str, Any]:
    return {"base_url": emulator.base_url, "api_key": emulator.api_key}


def _model_calls(emulator: Any) -> list[Any]:
    return [r for r in emulator.requests if r.endpoint is not None]


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
@pytest.mark.parametrize("streaming", [False, True])
def test_langgraph_agent_stops_at_the_limit(emulator: Any, streaming: bool) -> None:
    from langgraph.prebuilt import create_react_agent

    emulator.enqueue("chat/completions", tool_calls=LOOP, times=200)  # it never stops itself
    model = ChatIndoxHub(streaming=streaming, **_conn(emulator))
    agent = create_react_agent(model, [get_weather])
    with get_indoxhub_callback(max_cost=0.0003) as cb, pytest.raises(BudgetExceededError) as info:
        agent.invoke({"messages": [("user", "Weather in Paris?")]}, {"recursion_limit": 200})
    error = info.value
    assert isinstance(error, IndoxHubBudgetExceededError) and isinstance(error, ModelError)
    assert isinstance(error, IndoxHubError) and error.limit == 0.0003
    assert cb.budget is not None and cb.budget.refused == 1
    assert cb.total_cost >= 0.0003 and cb.total_cost == pytest.approx(error.spent)
    assert 1 < cb.requests == len(_model_calls(emulator))  # no request after the refusal
    assert "Total cost (USD, indoxhub credits)" in str(cb) and "BYOK provider cost" in str(cb)


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
async def test_langgraph_agent_async_stops_with_a_model_budget(emulator: Any) -> None:
    from langgraph.prebuilt import create_react_agent

    emulator.enqueue("chat/completions", tool_calls=LOOP, times=200)
    model = ChatIndoxHub(max_cost=0.0002, **_conn(emulator))  # every class takes max_cost
    agent = create_react_agent(model, [get_weather])
    with get_indoxhub_callback() as cb, pytest.raises(IndoxHubBudgetExceededError):
        await agent.ainvoke({"messages": [("user", "Weather in Paris?")]}, {"recursion_limit": 200})
    assert cb.requests == len(_model_calls(emulator)) > 1


def test_one_budget_shared_by_models_and_embeddings(emulator: Any) -> None:
    shared = Budget(max_cost=1e-9)
    chat = ChatIndoxHub(budget=shared, **_conn(emulator))
    embeddings = IndoxHubEmbeddings(budget=shared, **_conn(emulator))
    chat.invoke("Hello")
    with pytest.raises(IndoxHubBudgetExceededError):
        chat.invoke("Hello again")
    with pytest.raises(BudgetExceededError):
        embeddings.embed_query("hello")
    assert shared.requests == 1 and shared.refused == 2
    assert len(_model_calls(emulator)) == 1
    assert "budget" not in chat.model_dump() and "Budget(" not in repr(chat.to_json())


def test_callback_budget_arguments(emulator: Any, byok_key: str) -> None:
    chat = ChatIndoxHub(byok_api_key=byok_key, **_conn(emulator))
    with get_indoxhub_callback(max_cost=1e-9, max_byok_requests=2) as cb:
        chat.invoke("one")
        chat.invoke("two")  # BYOK spends no credits: only the BYOK cap stops it
        with pytest.raises(IndoxHubBudgetExceededError, match="max_byok_requests=2"):
            chat.invoke("three")
    assert cb.byok_requests == 2 and cb.total_cost == 0.0 and cb.byok_provider_cost > 0
    with (
        pytest.raises(InvalidRequestError, match="either budget"),
        get_indoxhub_callback(budget=Budget(max_cost=1), max_cost=2),
    ):
        pass


def test_batch_threads_and_the_process_scope(emulator: Any) -> None:
    chat = ChatIndoxHub(**_conn(emulator))
    with get_indoxhub_callback(max_cost=1e-9) as cb:
        chat.invoke("first")  # spends: every later request in the block is refused
        answers = chat.batch(["a", "b", "c", "d"], return_exceptions=True)
    assert all(isinstance(a, IndoxHubBudgetExceededError) for a in answers)
    assert cb.requests == 1 and cb.budget is not None and cb.budget.refused == 4

    with get_indoxhub_callback(scope="process", max_cost=1e-9) as cb:
        chat.invoke("first")
        with ThreadPoolExecutor(max_workers=4) as pool:  # plain threads: no context copy
            outcomes = list(pool.map(lambda text: _try(chat, text), ["a", "b", "c"]))
    assert all(isinstance(o, BudgetExceededError) for o in outcomes)
    assert cb.requests == 1 and len(_model_calls(emulator)) == 2


def _try(chat: ChatIndoxHub, text: str) -> Any:
    try:
        return chat.invoke(text)
    except BudgetExceededError as error:
        return error

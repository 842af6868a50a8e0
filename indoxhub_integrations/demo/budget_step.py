"""Step: an agent with a tiny budget, stopped before it spends past the limit.

The agent (a LlamaIndex ``FunctionAgent`` with the LlamaIndex steps on, else a LangChain
tool-calling loop) gets a limit of a millionth of a dollar: its first request goes out, the
next one is refused with ``BudgetExceededError`` before it is sent, and the tour prints the
message the agent got and what was spent.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..errors import BudgetExceededError
from .context import Tour

TINY_BUDGET = 0.000001
"""The agent's limit in USD: enough for its first request only."""
TASK = "What is the weather in Lisbon today?"
"""What the agent is asked to do (it needs the weather tool, so it loops at least twice)."""


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is sunny and 21 degrees in {city}."


def run(tour: Tour, number: int) -> None:
    """Run an agent under a tiny budget and show how it stopped."""
    framework = "LlamaIndex FunctionAgent" if tour.options.llamaindex else "LangChain tool loop"
    tour.console.step(number, f"An agent with a tiny budget (${TINY_BUDGET}, {framework})")
    estimate = tour.estimate_tokens(tour.options.model, 300, 100)
    if not tour.spend.allow("the budget step (one small chat request)", estimate):
        return
    runner = _llamaindex if tour.options.llamaindex else _langchain
    records, stopped = runner(tour)
    tour.record(records)
    tour.console.info(f"task:   {TASK}")
    spent = sum(r.cost or 0.0 for r in records)
    if stopped is None:
        tour.console.note("the agent answered within the budget (it needed no second request).")
        tour.console.info(f"requests sent: {len(records)}, spent ${spent:.6f}")
        return
    tour.console.info(f"stopped: {type(stopped).__name__}: {stopped}")
    tour.console.info(
        f"requests sent: {len(records)}, spent ${spent:.6f}; the refused request was not sent"
    )


def _langchain(tour: Tour) -> tuple[list[Any], BudgetExceededError | None]:
    from langchain_core.messages import HumanMessage
    from langchain_core.tools import tool

    from ..langchain import ChatIndoxHub, get_indoxhub_callback

    weather = tool(get_weather)
    settings = {"model": tour.options.model, "max_tokens": 100, **tour.connection}
    agent = ChatIndoxHub(**settings)
    bound = agent.bind_tools([weather])
    messages: list[Any] = [HumanMessage(TASK)]
    stopped = None
    with get_indoxhub_callback(max_cost=TINY_BUDGET) as usage:
        try:
            for _turn in range(4):
                reply = bound.invoke(messages)
                messages.append(reply)
                if not reply.tool_calls:
                    break
                messages += [weather.invoke(call) for call in reply.tool_calls]
        except BudgetExceededError as error:
            stopped = error
    return usage.records, stopped


def _llamaindex(tour: Tour) -> tuple[list[Any], BudgetExceededError | None]:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.tools import FunctionTool

    from ..llama_index import IndoxHub, track_indoxhub_usage

    llm = IndoxHub(model=tour.options.model, max_tokens=100, **tour.connection)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=llm)
    stopped = None

    async def drive() -> Any:
        return await agent.run(TASK)

    with track_indoxhub_usage(max_cost=TINY_BUDGET) as usage:
        try:
            asyncio.run(drive())
        except BudgetExceededError as error:
            stopped = error
    return usage.records, stopped

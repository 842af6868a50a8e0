"""Step 1: one LangChain chain on the platform key, then the same chain with a BYOK key.

Also the LangChain agent of step 3 (with ``--only langchain``): a tool-calling loop around
``IndoxHubImageGenerationTool``, needing nothing beyond ``langchain-core``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import IndoxHubError
from .cli import IMAGE_MODEL
from .console import shorten
from .context import Tour
from .errors import explain

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

QUESTION = "In one sentence, what does an AI gateway do?"
"""What the chain is asked."""
MAX_TOKENS = 80
"""Most tokens each answer may use."""


@dataclass
class Column:
    """One side of the comparison."""

    label: str
    answer: str
    tokens: str
    cost: str
    credits_before: float | None
    credits_after: float | None
    byok: Any
    bypass: Any
    request_id: Any


def _money(value: float | None) -> str:
    return "not reported" if value is None else f"${value:.6f}"


def _cost(meta: dict[str, Any]) -> str:
    cost = meta.get("cost")
    if cost is None:
        return "unknown"
    if meta.get("byok") and cost == 0:
        return "$0 (BYOK: no credits)"
    return f"~${cost:.6f} (estimated)" if meta.get("cost_estimated") else f"${cost:.6f}"


def _half(tour: Tour, label: str, invoke: Callable[[], BaseMessage], *, byok: bool) -> Column:
    where = f"The chain with the {label}"
    try:
        before = tour.credits()
        with tour.console.progress(f"invoking the chain with the {label}"):
            message = invoke()
        after = tour.credits()
    except IndoxHubError as exc:
        raise explain(exc, where=where, byok_env=tour.byok_env, byok=byok) from None
    meta = dict(message.response_metadata)
    usage = getattr(message, "usage_metadata", None) or {}
    return Column(
        label=label,
        answer=shorten(str(message.content), 48),
        tokens=f"{usage.get('input_tokens', '?')} in / {usage.get('output_tokens', '?')} out",
        cost=_cost(meta),
        credits_before=before,
        credits_after=after,
        byok=meta.get("byok"),
        bypass=meta.get("rate_limit_bypass") or "-",
        request_id=meta.get("request_id") or "-",
    )


def _side_by_side(columns: list[Column]) -> tuple[list[str], list[list[str]]]:
    headers = ["", *(column.label for column in columns)]
    rows = [
        ["answer", *(c.answer for c in columns)],
        ["tokens", *(c.tokens for c in columns)],
        ["cost (USD)", *(c.cost for c in columns)],
        ["credits before", *(_money(c.credits_before) for c in columns)],
        ["credits after", *(_money(c.credits_after) for c in columns)],
        ["byok", *(str(c.byok) for c in columns)],
        ["X-RateLimit-Bypass", *(str(c.bypass) for c in columns)],
        ["request id", *(str(c.request_id) for c in columns)],
    ]
    return headers, rows


def run(tour: Tour, number: int) -> None:
    """The same ``prompt | ChatIndoxHub`` chain on platform credits, then with BYOK."""
    console, options = tour.console, tour.options
    console.step(number, "A LangChain chain: platform credits, then your own key (BYOK)")
    halves = 2 if tour.byok_key else 1
    estimate = tour.estimate_tokens(options.model, 60 * halves, MAX_TOKENS * halves)
    if not tour.spend.allow("the LangChain step", estimate):
        return
    with console.progress("importing LangChain"):
        from langchain_core.prompts import ChatPromptTemplate

        from ..langchain import ChatIndoxHub, get_indoxhub_callback

    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer in one short sentence."), ("human", "{question}")]
    )
    settings = {"model": options.model, "max_tokens": MAX_TOKENS, **tour.connection}
    llm = ChatIndoxHub(**settings)
    chain = prompt | llm
    inputs = {"question": QUESTION}
    console.info(f"chain: ChatPromptTemplate | ChatIndoxHub(model={options.model!r})")
    console.info(f"question: {QUESTION}")
    columns = []
    with get_indoxhub_callback() as callback:
        columns.append(_half(tour, "platform key", lambda: chain.invoke(inputs), byok=False))
        if tour.byok_key:
            byok_chain = prompt | llm.bind(byok_api_key=tour.byok_key)
            columns.append(_half(tour, "BYOK key", lambda: byok_chain.invoke(inputs), byok=True))
    tour.record(callback.records)
    console.print()
    console.table(*_side_by_side(columns), align_numbers=False)
    console.print()
    if tour.byok_key:
        console.info(
            f"BYOK key: {tour.byok_label}, passed per call with llm.bind(byok_api_key=...)."
        )
    else:
        console.note(
            f"no BYOK comparison: {tour.byok_label}. Set it (or --byok-key-env NAME) to see "
            "the same chain on your own provider key."
        )
    console.info(
        f"get_indoxhub_callback(): {callback.requests} request(s), "
        f"{callback.byok_requests} BYOK, {callback.total_tokens} tokens, "
        f"${callback.total_cost:.6f}"
    )


def run_agent(tour: Tour, task: str) -> tuple[str, str]:
    """A LangChain tool-calling loop with ``IndoxHubImageGenerationTool``.

    Returns the final answer and the text the tool returned.
    """
    with tour.console.progress("importing LangChain"):
        from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage

        from ..langchain import ChatIndoxHub, IndoxHubImageGenerationTool, get_indoxhub_callback

    tool_settings = {
        "model": IMAGE_MODEL,
        "output_dir": str(tour.options.output_dir),
        "model_kwargs": {"response_format": "b64_json"},
        **tour.connection,
    }
    tool = IndoxHubImageGenerationTool(**tool_settings)
    settings = {"model": tour.options.model, "max_tokens": 300, **tour.connection}
    llm = ChatIndoxHub(**settings)
    agent = llm.bind_tools([tool])
    messages: list[BaseMessage] = [
        SystemMessage("You create images with the image generation tool when asked."),
        HumanMessage(task),
    ]
    tool_texts: list[str] = []
    answer = ""
    with get_indoxhub_callback() as callback, tour.console.progress("running the agent"):
        for _turn in range(4):
            reply = agent.invoke(messages)
            messages.append(reply)
            calls = getattr(reply, "tool_calls", [])
            if not calls:
                answer = str(reply.content)
                break
            for call in calls:
                args = ", ".join(f"{k}={shorten(str(v), 60)!r}" for k, v in call["args"].items())
                tour.console.info(f"  agent calls {call['name']}({args})")
                result = tool.invoke(call)
                assert isinstance(result, ToolMessage)
                tool_texts.append(str(result.content))
                messages.append(result)
    tour.record(callback.records)
    return answer, "\n".join(tool_texts)

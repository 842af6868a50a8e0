"""Tool calls whose arguments do not parse never reach a tool (agent safety).

A model cut off by ``max_tokens`` (or a provider that sends malformed JSON) yields arguments
that are not a JSON object. ``ChatIndoxHub`` lists such calls in ``AIMessage.invalid_tool_calls``
with the raw text and the parse error, in ``invoke`` and in streams, so a LangGraph agent never
runs the tool with its default arguments.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from indoxhub_integrations.langchain import ChatIndoxHub

CUT = '{"path": "/tm'  # arguments cut off by max_tokens
GARBAGE = "not json at all"

ran: list[str] = []


@tool
def delete_files(path: str = "/") -> str:
    """Delete every file under ``path``."""
    ran.append(path)
    return f"deleted {path}"


def _llm(emulator: Any, **kwargs: Any) -> ChatIndoxHub:
    return ChatIndoxHub(
        model="openai/gpt-4o-mini", base_url=emulator.base_url, api_key=emulator.api_key, **kwargs
    )


def _script(emulator: Any, arguments: str, times: int = 1) -> None:
    call = {"id": "call_bad", "function": {"name": "delete_files", "arguments": arguments}}
    emulator.enqueue(tool_calls=[call], times=times)


@pytest.mark.parametrize("arguments", [CUT, GARBAGE, "[1, 2]"])
def test_invoke_puts_unparseable_arguments_in_invalid_tool_calls(
    emulator: Any, arguments: str
) -> None:
    _script(emulator, arguments)
    message = _llm(emulator).bind_tools([delete_files]).invoke("clean up")
    assert message.tool_calls == []
    [invalid] = message.invalid_tool_calls
    assert (invalid["name"], invalid["id"], invalid["args"]) == (
        "delete_files",
        "call_bad",
        arguments,
    )
    assert invalid["error"]


@pytest.mark.parametrize("arguments", [CUT, GARBAGE])
def test_stream_aggregate_puts_unparseable_arguments_in_invalid_tool_calls(
    emulator: Any, arguments: str
) -> None:
    _script(emulator, arguments)
    chunks = list(_llm(emulator).bind_tools([delete_files]).stream("clean up"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.tool_calls == []  # LangChain's merge would complete CUT into {"path": "/tm"}
    [invalid] = full.invalid_tool_calls
    assert invalid["name"] == "delete_files"
    assert json.loads(invalid["args"] or "") == arguments  # the raw text, quoted


async def test_astream_and_streaming_invoke_agree(emulator: Any) -> None:
    _script(emulator, CUT, times=2)
    llm = _llm(emulator, streaming=True).bind_tools([delete_files])
    message = await llm.ainvoke("clean up")  # invoke assembled from the stream
    assert message.tool_calls == [] and len(message.invalid_tool_calls) == 1
    chunks = [chunk async for chunk in llm.astream("clean up")]
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.tool_calls == [] and len(full.invalid_tool_calls) == 1


def test_valid_arguments_still_stream_whole(emulator: Any) -> None:
    _script(emulator, '{"path": "/tmp/x"}')
    chunks = list(_llm(emulator).bind_tools([delete_files]).stream("clean up"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [
        ("delete_files", {"path": "/tmp/x"})
    ]
    assert full.invalid_tool_calls == []


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
@pytest.mark.parametrize("streaming", [False, True])
def test_langgraph_agent_never_runs_a_call_with_cut_arguments(
    emulator: Any, streaming: bool
) -> None:
    prebuilt = pytest.importorskip("langgraph.prebuilt")
    ran.clear()
    _script(emulator, CUT)
    agent = prebuilt.create_react_agent(_llm(emulator, streaming=streaming), [delete_files])
    state = agent.invoke({"messages": [HumanMessage("clean up /tmp")]})
    assert ran == []
    last = state["messages"][-1]
    assert isinstance(last, AIMessage) and last.invalid_tool_calls


def test_invalid_call_in_history_is_sent_back_verbatim(emulator: Any) -> None:
    history = [
        HumanMessage("clean up"),
        AIMessage(
            content="",
            invalid_tool_calls=[
                {"type": "invalid_tool_call", "id": "c1", "name": "delete_files",
                 "args": CUT, "error": "cut off"}
            ],
        ),
        HumanMessage("that call was cut off; try again"),
    ]  # fmt: skip
    _llm(emulator).invoke(history)
    [request] = [r for r in emulator.requests if r.path.endswith("/chat/completions")]
    sent = request.json["messages"][1]
    assert sent["tool_calls"][0]["function"] == {"name": "delete_files", "arguments": CUT}

"""A tool call whose arguments do not parse is an error, never a call with default arguments."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from indoxhub_integrations.errors import InvalidToolCallError
from indoxhub_integrations.llama_index import IndoxHub

pytestmark = pytest.mark.filterwarnings(
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
)

CUT = '{"path": "/tm'
ran: list[str] = []


def delete_files(path: str = "/") -> str:
    """Delete every file under ``path``."""
    ran.append(path)
    return f"deleted {path}"


DELETE = FunctionTool.from_defaults(fn=delete_files)


def _script(emulator: Any, times: int = 1) -> None:
    call = {"id": "call_bad", "function": {"name": "delete_files", "arguments": CUT}}
    emulator.enqueue(tool_calls=[call], times=times)


def test_chat_with_tools_then_selection_raises(llm: IndoxHub, emulator: Any) -> None:
    _script(emulator)
    response = llm.chat_with_tools([DELETE], user_msg="clean up")
    with pytest.raises(InvalidToolCallError) as info:
        llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert info.value.details["arguments"] == CUT
    assert info.value.details["tool_name"] == "delete_files"
    assert "not a JSON object" in str(info.value)


def test_streamed_final_response_raises_too(llm: IndoxHub, emulator: Any) -> None:
    _script(emulator)
    *_, last = llm.stream_chat_with_tools([DELETE], user_msg="clean up")
    with pytest.raises(InvalidToolCallError):
        llm.get_tool_calls_from_response(last, error_on_no_tool_call=False)


def test_invalid_call_in_history_goes_back_verbatim(llm: IndoxHub, emulator: Any) -> None:
    _script(emulator)
    response = llm.chat_with_tools([DELETE], user_msg="clean up")
    llm.chat([ChatMessage(role="user", content="clean up"), response.message])
    sent = [r for r in emulator.requests if r.path.endswith("/chat/completions")][-1]
    assert sent.json["messages"][1]["tool_calls"][0]["function"]["arguments"] == CUT


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_does_not_run_the_tool(
    llm: IndoxHub, emulator: Any, streaming: bool
) -> None:
    ran.clear()
    _script(emulator)
    agent = FunctionAgent(tools=[DELETE], llm=llm, streaming=streaming)
    with pytest.raises(Exception) as info:  # the workflow may wrap it
        await agent.run("clean up /tmp")
    chain = [info.value, info.value.__cause__, info.value.__context__]
    assert any(isinstance(error, InvalidToolCallError) for error in chain) or (
        "not a JSON object" in str(info.value)
    )
    assert ran == []

"""Pure conversions between LlamaIndex types and the core's wire types (no network)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from li_support import PNG
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks.token_counting import get_tokens_from_response
from llama_index.core.tools import FunctionTool

from indoxhub_integrations.core.errors import InvalidRequestError
from indoxhub_integrations.core.payloads import validate_messages
from indoxhub_integrations.core.wire import (
    ChatResult,
    GeneratedImage,
    ResponseMeta,
    StreamEvent,
    ToolCall,
    ToolCallChunk,
    Usage,
)
from indoxhub_integrations.llama_index.messages import (
    ChatStream,
    CompletionStream,
    chat_response,
    message_to_wire,
    messages_to_wire,
    response_raw,
    tool_calls_in_message,
    tools_to_wire,
)


def test_roles_and_text() -> None:
    wire = messages_to_wire(
        [
            ChatMessage(role=MessageRole.SYSTEM, content="Be brief."),
            ChatMessage(role=MessageRole.USER, content="Hi"),
            ChatMessage(role=MessageRole.CHATBOT, content="Hello"),
            ChatMessage(role=MessageRole.MODEL, content="Hey"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "assistant", "content": "Hey"},
    ]
    validate_messages(wire)


def test_image_blocks_from_bytes_path_url_and_data_url(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="What is in these?"),
            ImageBlock(image=PNG),
            ImageBlock(path=path),
            ImageBlock(url="https://example.com/cat.jpg"),
            ImageBlock(url=data_url),
        ],
    )
    wire = message_to_wire(message)
    parts = wire["content"]
    assert parts[0] == {"type": "text", "text": "What is in these?"}
    encoded = base64.b64encode(PNG).decode()
    for part in (parts[1], parts[2], parts[4]):
        assert part == {"type": "image", "image": {"data": encoded, "media_type": "image/png"}}
    assert parts[3] == {"type": "image", "image": {"url": "https://example.com/cat.jpg"}}
    validate_messages([wire])


def test_assistant_tool_calls_and_tool_results_round_trip() -> None:
    assistant = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="hmm"),
            ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs={"a": 1}),
            ToolCallBlock(tool_call_id="c2", tool_name="mul", tool_kwargs='{"b": 2}'),
        ],
    )
    tool = ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "c1"})
    wire = messages_to_wire([ChatMessage(content="go"), assistant, tool])
    assert wire[1]["content"] is None
    assert [c["function"]["name"] for c in wire[1]["tool_calls"]] == ["add", "mul"]
    assert wire[1]["tool_calls"][1]["function"]["arguments"] == '{"b": 2}'
    assert wire[2] == {"role": "tool", "content": "3", "tool_call_id": "c1"}
    validate_messages(wire)


def test_legacy_tool_calls_in_additional_kwargs() -> None:
    message = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "x", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]
        },
    )
    assert tool_calls_in_message(message) == [ToolCall(id="x", name="f", arguments={})]


def test_media_blocks_are_refused_in_user_messages_and_noted_in_tool_results() -> None:
    audio = AudioBlock(audio=b"RIFF0000WAVE", format="wav")
    with pytest.raises(InvalidRequestError, match="audio"):
        message_to_wire(ChatMessage(role="user", blocks=[audio]))
    tool = ChatMessage(
        role="tool",
        blocks=[AudioBlock(url="https://x.test/a.wav"), TextBlock(text="saved")],
        additional_kwargs={"tool_call_id": "c"},
    )
    assert message_to_wire(tool)["content"] == "[audio attachment: https://x.test/a.wav]\nsaved"


def test_text_documents_become_text() -> None:
    doc = DocumentBlock(data=b"hello doc", document_mimetype="text/plain")
    assert message_to_wire(ChatMessage(role="user", blocks=[doc]))["content"] == "hello doc"


def test_tools_to_wire_is_openai_form() -> None:
    def add(a: int, b: int) -> int:
        """Add numbers."""
        return a + b

    (spec,) = tools_to_wire([FunctionTool.from_defaults(fn=add)])
    assert spec["type"] == "function"
    assert spec["function"]["name"] == "add"
    assert spec["function"]["parameters"]["required"] == ["a", "b"]


def _result(**overrides: object) -> ChatResult:
    values: dict = {
        "text": "hi",
        "usage": Usage(input_tokens=5, output_tokens=2, total_tokens=7, cost=None),
        "meta": ResponseMeta(request_id="r1", provider="openai", model="openai/gpt-4o-mini"),
        "raw": {"data": "hi", "usage": {"tokens_prompt": 5, "tokens_completion": 2}},
    }
    values.update(overrides)
    return ChatResult(**values)


def test_chat_response_carries_usage_and_raw_for_token_counting() -> None:
    response = chat_response(_result())
    kwargs = response.additional_kwargs
    assert kwargs["prompt_tokens"] == 5 and kwargs["completion_tokens"] == 2
    assert kwargs["total_tokens"] == 7 and kwargs["cost"] is None
    assert kwargs["byok"] is False and kwargs["request_id"] == "r1"
    assert {"cost_estimated", "provider", "rate_limit_bypass"} <= set(kwargs)
    assert response.raw["data"] == "hi" and response.raw["usage"]["tokens_prompt"] == 5
    assert get_tokens_from_response(response) == (5, 2)


def test_response_raw_does_not_touch_the_result() -> None:
    result = _result()
    response_raw(result)
    assert result.raw["usage"] == {"tokens_prompt": 5, "tokens_completion": 2}


def test_chat_response_blocks() -> None:
    result = _result(
        text="",
        reasoning="thinking",
        tool_calls=[ToolCall(id="c", name="f", arguments={"x": 1})],
        images=[GeneratedImage(url="https://x.test/i.png")],
    )
    blocks = chat_response(result).message.blocks
    assert [type(b) for b in blocks] == [ThinkingBlock, ImageBlock, ToolCallBlock]


def test_chat_stream_accumulates_and_puts_usage_on_the_last_chunk() -> None:
    stream = ChatStream()
    events = [
        StreamEvent(type="start"),
        StreamEvent(type="reasoning", reasoning_delta="Let me see. "),
        StreamEvent(type="text", text_delta="Hel"),
        StreamEvent(type="text", text_delta="lo"),
        StreamEvent(
            type="tool_call",
            tool_call_chunks=[ToolCallChunk(index=0, id="c", name="f", arguments_delta='{"x"')],
        ),
        StreamEvent(type="tool_call", tool_call_chunks=[ToolCallChunk(arguments_delta=": 1}")]),
        StreamEvent(
            type="done",
            usage=Usage(input_tokens=3, output_tokens=4, total_tokens=7, cost=0.5),
            meta=ResponseMeta(request_id="r", byok=True),
            result=ChatResult(
                text="Hello", tool_calls=[ToolCall(id="c", name="f", arguments={"x": 1})]
            ),
        ),
    ]
    chunks = [c for c in (stream.feed(e) for e in events) if c is not None]
    assert [c.delta for c in chunks] == ["", "Hel", "lo", "", "", ""]
    assert chunks[0].additional_kwargs == {"thinking_delta": "Let me see. "}
    assert chunks[2].message.content == "Hello"
    partial = [b for b in chunks[3].message.blocks if isinstance(b, ToolCallBlock)]
    assert partial[0].tool_kwargs == '{"x"'
    last = chunks[-1]
    assert last.additional_kwargs["prompt_tokens"] == 3 and last.additional_kwargs["byok"]
    assert last.additional_kwargs["cost"] == 0.5
    assert tool_calls_in_message(last.message) == [ToolCall(id="c", name="f", arguments={"x": 1})]
    assert all("cost" not in c.additional_kwargs for c in chunks[:-1])


def test_completion_stream() -> None:
    stream = CompletionStream()
    chunks = [
        stream.feed(StreamEvent(type="text", text_delta="a")),
        stream.feed(StreamEvent(type="other")),
        stream.feed(StreamEvent(type="text", text_delta="b")),
        stream.feed(StreamEvent(type="done", result=_result(text="ab"))),
    ]
    assert chunks[1] is None
    texts = [c.text for c in chunks if c is not None]
    assert texts == ["a", "ab", "ab"]
    assert chunks[-1] is not None and chunks[-1].additional_kwargs["prompt_tokens"] == 5

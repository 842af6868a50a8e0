"""Pure LangChain <-> indoxhub conversions (no network)."""

from __future__ import annotations

import base64

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from indoxhub_integrations.core.errors import InvalidRequestError
from indoxhub_integrations.core.wire import (
    ChatResult,
    GeneratedImage,
    ResponseMeta,
    StreamEvent,
    ToolCall,
    ToolCallChunk,
    Usage,
)
from indoxhub_integrations.langchain.messages import (
    ChunkBuilder,
    block_to_part,
    message_to_wire,
    messages_to_wire,
    result_to_message,
    usage_to_metadata,
)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 16).decode()


def test_text_messages() -> None:
    wire = messages_to_wire(
        [SystemMessage("be brief"), HumanMessage("hi"), AIMessage("hello"), HumanMessage("ok")]
    )
    assert wire == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "ok"},
    ]


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": f"data:image/png;base64,{PNG}"},
        {"type": "image", "base64": PNG, "mime_type": "image/png"},
        {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    ],
)
def test_inline_image_blocks(block: dict) -> None:
    assert block_to_part(block) == {
        "type": "image",
        "image": {"data": PNG, "media_type": "image/png"},
    }


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
        {"type": "image", "url": "https://x.test/a.png"},
        {"type": "image", "source_type": "url", "url": "https://x.test/a.png"},
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
    ],
)
def test_url_image_blocks(block: dict) -> None:
    assert block_to_part(block) == {"type": "image", "image": {"url": "https://x.test/a.png"}}


def test_multimodal_user_message() -> None:
    message = HumanMessage(
        [
            "look",
            {"type": "text", "text": " at this"},
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
        ]
    )
    wire = message_to_wire(message)
    assert wire["role"] == "user"
    assert [part["type"] for part in wire["content"]] == ["text", "text", "image"]


def test_unsupported_blocks_fail_clearly() -> None:
    with pytest.raises(InvalidRequestError, match="audio"):
        block_to_part({"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"})
    with pytest.raises(InvalidRequestError, match="file ids"):
        block_to_part({"type": "image", "file_id": "file-1"})


def test_tool_call_round_trip() -> None:
    ai = AIMessage(
        [{"type": "text", "text": "calling"}, {"type": "tool_use", "id": "t1", "name": "f"}],
        tool_calls=[{"name": "f", "args": {"a": 1}, "id": "t1", "type": "tool_call"}],
    )
    wire = message_to_wire(ai)
    assert wire == {
        "role": "assistant",
        "content": "calling",
        "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
        ],
    }
    no_text = message_to_wire(
        AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "t2", "type": "tool_call"}])
    )
    assert no_text["content"] is None
    tool = message_to_wire(ToolMessage('{"result": 3}', tool_call_id="t1", name="f"))
    assert tool == {"role": "tool", "tool_call_id": "t1", "content": '{"result": 3}'}


def test_tool_message_list_content() -> None:
    text_only = message_to_wire(ToolMessage([{"type": "text", "text": "a"}, "b"], tool_call_id="1"))
    assert text_only["content"] == "ab"
    with_image = message_to_wire(
        ToolMessage([{"type": "image", "base64": PNG, "mime_type": "image/png"}], tool_call_id="1")
    )
    assert with_image["content"][0]["type"] == "image"


def test_other_roles() -> None:
    assert message_to_wire(FunctionMessage("3", name="f")) == {
        "role": "function",
        "name": "f",
        "content": "3",
    }
    assert message_to_wire(ChatMessage("hi", role="developer")) == {
        "role": "developer",
        "content": "hi",
    }


def _result(**kwargs: object) -> ChatResult:
    defaults: dict[str, object] = {
        "text": "hello",
        "finish_reason": "stop",
        "usage": Usage(
            input_tokens=5, output_tokens=3, total_tokens=8, cached_tokens=2,
            reasoning_tokens=1, cost=0.001, cost_estimated=True,
        ),
        "meta": ResponseMeta(
            endpoint="chat", request_id="req-1", provider="openai", model="openai/gpt-4o-mini",
            byok=False, duration_ms=12.0,
        ),
    }  # fmt: skip
    defaults.update(kwargs)
    return ChatResult.model_validate(defaults)


def test_result_to_message() -> None:
    message = result_to_message(
        _result(tool_calls=[ToolCall(id="c1", name="f", arguments={"x": 1})], reasoning="because"),
        "openai/gpt-4o-mini",
    )
    assert message.content == "hello"
    assert message.tool_calls == [{"name": "f", "args": {"x": 1}, "id": "c1", "type": "tool_call"}]
    assert message.additional_kwargs["reasoning_content"] == "because"
    assert message.usage_metadata == {
        "input_tokens": 5,
        "output_tokens": 3,
        "total_tokens": 8,
        "input_token_details": {"cache_read": 2},
        "output_token_details": {"reasoning": 1},
    }
    meta = message.response_metadata
    assert meta["model_name"] == "openai/gpt-4o-mini"
    assert meta["model_provider"] == "indoxhub"
    assert meta["provider"] == "openai"
    assert meta["request_id"] == "req-1"
    assert meta["finish_reason"] == "stop"
    assert meta["cost"] == 0.001
    assert meta["cost_estimated"] is True
    assert meta["byok"] is False
    assert meta["rate_limit_bypass"] is None


def test_unknown_cost_stays_none() -> None:
    message = result_to_message(_result(usage=Usage(input_tokens=1)), "openai/gpt-4o-mini")
    assert message.response_metadata["cost"] is None
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 1


def test_result_with_images() -> None:
    message = result_to_message(
        _result(images=[GeneratedImage(url="https://x.test/i.png")]), "openai/gpt-4o-mini"
    )
    assert message.content == [
        {"type": "text", "text": "hello"},
        {"type": "image", "url": "https://x.test/i.png"},
    ]


def test_chunks_usage_on_last_only() -> None:
    builder = ChunkBuilder("openai/gpt-4o-mini")
    events = [
        StreamEvent(type="start"),
        StreamEvent(type="text", text_delta="hel"),
        StreamEvent(type="reasoning", reasoning_delta="hmm"),
        StreamEvent(type="text", text_delta="lo"),
        StreamEvent(
            type="tool_call",
            tool_call_chunks=[ToolCallChunk(index=0, id="c1", name="f", arguments_delta='{"x"')],
        ),
        StreamEvent(
            type="tool_call", tool_call_chunks=[ToolCallChunk(index=0, arguments_delta=": 1}")]
        ),
    ]
    result = _result(tool_calls=[ToolCall(id="c1", name="f", arguments={"x": 1})])
    events.append(StreamEvent(type="done", usage=result.usage, meta=result.meta, result=result))
    chunks = [chunk for event in events if (chunk := builder.feed(event)) is not None]
    assert len(chunks) == 4  # tool-call fragments are held back for the last chunk
    assert all(chunk.usage_metadata is None for chunk in chunks[:-1])
    assert all(not chunk.response_metadata for chunk in chunks[:-1])
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.response_metadata["cost"] == 0.001
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert isinstance(full, AIMessageChunk)
    assert full.content == "hello"
    assert full.tool_calls == [{"name": "f", "args": {"x": 1}, "id": "c1", "type": "tool_call"}]
    assert full.usage_metadata == usage_to_metadata(result.usage)
    assert full.response_metadata["model_name"] == "openai/gpt-4o-mini"
    assert full.additional_kwargs["reasoning_content"] == "hmm"


def test_final_chunk_fills_in_what_was_not_streamed() -> None:
    result = _result(tool_calls=[ToolCall(id="c1", name="f", arguments={"x": 1})])
    last = ChunkBuilder("openai/gpt-4o-mini").feed(
        StreamEvent(type="done", usage=result.usage, meta=result.meta, result=result)
    )
    assert last is not None
    assert last.content == "hello"
    assert last.tool_calls == [{"name": "f", "args": {"x": 1}, "id": "c1", "type": "tool_call"}]

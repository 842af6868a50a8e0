"""Pure conversions between LangChain messages and indoxhub's wire forms (no I/O).

LangChain -> indoxhub: :func:`messages_to_wire` turns system, human, AI (with tool calls),
tool, function and generic chat messages into indoxhub message dicts; multimodal content
(OpenAI ``image_url`` parts, LangChain standard ``image`` blocks, Anthropic ``source``
blocks, data URLs) becomes indoxhub image parts.

indoxhub -> LangChain: :func:`result_to_message` and :class:`ChunkBuilder` build
``AIMessage`` / ``AIMessageChunk`` with tool calls, standard ``usage_metadata`` and the
``response_metadata`` the callback handler reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call as lc_invalid_tool_call
from langchain_core.messages.tool import tool_call as lc_tool_call
from langchain_core.messages.tool import tool_call_chunk as lc_tool_call_chunk

from ..core.content import (
    image_part_from_base64,
    image_part_from_url,
    text_part,
    tool_calls_to_wire,
    wire_arguments,
)
from ..core.errors import InvalidRequestError
from ..core.wire import ChatResult, GeneratedImage, ResponseMeta, StreamEvent, ToolCall, Usage
from ._langsmith import GATEWAY_INFO_KEY, gateway_info

MODEL_PROVIDER = "indoxhub"
"""The ``response_metadata["model_provider"]`` of every indoxhub answer."""
USAGE_RECORD_KEY = "usage_record"
"""The metadata key carrying the core's ``UsageRecord`` (as a dict) of an answer."""

_SKIPPED_BLOCKS = frozenset(
    {
        "tool_use", "tool_call", "tool_call_chunk", "function_call", "thinking",
        "redacted_thinking", "reasoning", "server_tool_call", "server_tool_result",
        "non_standard", "invalid_tool_call",
    }
)  # fmt: skip
"""Block types that carry no user-visible input for indoxhub (tool calls travel separately)."""


# ---------------------------------------------------------------- LangChain -> indoxhub
def _image_block(block: Mapping[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, Mapping):  # Anthropic form
        if source.get("type") == "base64" and isinstance(source.get("data"), str):
            return image_part_from_base64(source["data"], source.get("media_type"))
        if isinstance(source.get("url"), str):
            return image_part_from_url(source["url"])
    source_type = block.get("source_type")
    data = block.get("base64")
    if data is None and source_type in (None, "base64"):
        data = block.get("data")
    if isinstance(data, str) and data:
        return image_part_from_base64(data, block.get("mime_type"))
    url = block.get("url")
    if isinstance(url, str) and url:
        return image_part_from_url(url)
    if isinstance(block.get("image_url"), str | Mapping):  # OpenAI Responses "input_image"
        return _image_url_block(block)
    raise InvalidRequestError(
        "An image block needs 'base64' (with 'mime_type'), 'url' or a data URL; image file "
        "ids are not supported by indoxhub."
    )


def _image_url_block(block: Mapping[str, Any]) -> dict[str, Any]:
    image_url = block.get("image_url")
    url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
    if not isinstance(url, str) or not url:
        raise InvalidRequestError("An 'image_url' block needs {'image_url': {'url': ...}}.")
    return image_part_from_url(url)


def block_to_part(block: Any) -> dict[str, Any] | None:
    """Convert one LangChain content block to an indoxhub part (``None``: nothing to send).

    Raises:
        InvalidRequestError: For a block indoxhub cannot carry (audio, files...).
    """
    if isinstance(block, str):
        return text_part(block)
    if not isinstance(block, Mapping):
        raise InvalidRequestError(f"Content blocks must be strings or dicts, got {block!r:.60}.")
    kind = block.get("type")
    if kind == "text" or (kind is None and isinstance(block.get("text"), str)):
        return text_part(str(block.get("text", "")))
    if kind == "image_url":
        return _image_url_block(block)
    if kind in ("image", "input_image"):
        return _image_block(block)
    if kind in _SKIPPED_BLOCKS:
        return None
    raise InvalidRequestError(
        f"Content block type {kind!r} is not supported by indoxhub chat: send text and "
        "images ('text', 'image', 'image_url' blocks)."
    )


def content_to_wire(content: str | list[Any]) -> str | list[dict[str, Any]]:
    """User or system content: a string stays a string, a list becomes indoxhub parts."""
    if isinstance(content, str):
        return content
    parts = [part for block in content if (part := block_to_part(block)) is not None]
    return parts


def content_text(content: str | list[Any]) -> str:
    """The text of a message's content (non-text blocks skipped)."""
    if isinstance(content, str):
        return content
    texts = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, Mapping) and block.get("type", "text") == "text":
            text = block.get("text")
            if isinstance(text, str):
                texts.append(text)
    return "".join(texts)


def _tool_content(content: str | list[Any]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, Mapping) and block.get("type") not in (
            "text", "image", "image_url", "input_image", None,
        ):  # fmt: skip
            parts.append(text_part(json.dumps(dict(block), default=str)))
            continue
        part = block_to_part(block)
        if part is not None:
            parts.append(part)
    if all(part["type"] == "text" for part in parts):
        return "".join(part["text"] for part in parts)
    return parts


def _ai_tool_calls(message: AIMessage) -> list[ToolCall]:
    """The message's tool calls, then its invalid ones (arguments echoed as received)."""
    calls = [
        ToolCall(id=call.get("id") or f"call_{index}", name=call["name"], arguments=call["args"])
        for index, call in enumerate(message.tool_calls)
    ]
    start = len(calls)
    calls.extend(
        ToolCall(
            id=call.get("id") or f"call_{start + index}",
            name=call.get("name") or "",
            raw_arguments=call.get("args") or "",
            arguments_error=call.get("error") or "invalid arguments",
        )
        for index, call in enumerate(message.invalid_tool_calls)
    )
    return calls


def message_to_wire(message: BaseMessage) -> dict[str, Any]:
    """Convert one LangChain message to an indoxhub message dict."""
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": content_to_wire(message.content)}
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": content_to_wire(message.content)}
    if isinstance(message, AIMessage):
        text = content_text(message.content)
        wire: dict[str, Any] = {"role": "assistant", "content": text}
        if message.tool_calls or message.invalid_tool_calls:
            wire["tool_calls"] = tool_calls_to_wire(_ai_tool_calls(message))
            if not text:
                wire["content"] = None
        return wire
    if isinstance(message, ToolMessage):
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": _tool_content(message.content),
        }
    if isinstance(message, FunctionMessage):
        return {"role": "function", "name": message.name, "content": content_text(message.content)}
    if isinstance(message, ChatMessage):
        return {"role": message.role, "content": content_to_wire(message.content)}
    raise InvalidRequestError(f"Messages of type {type(message).__name__} are not supported.")


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert a LangChain conversation to indoxhub message dicts."""
    return [message_to_wire(message) for message in messages]


# ---------------------------------------------------------------- indoxhub -> LangChain
def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """Standard LangChain usage metadata, with cache-read and reasoning token details.

    The cost is not put here: langchain-core adds usage dicts with integer-only arithmetic
    (``add_usage``, used when stream chunks merge and by ``UsageMetadataCallbackHandler``), so
    a float cost would break every multi-chunk stream. It rides in ``response_metadata``; a
    traced run's final message gets it in ``usage_metadata`` too (see
    :func:`~indoxhub_integrations.langchain._langsmith.with_cost_in_usage`).
    """
    return UsageMetadata(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens or usage.input_tokens + usage.output_tokens,
        input_token_details={"cache_read": usage.cached_tokens},
        output_token_details={"reasoning": usage.reasoning_tokens},
    )


def result_metadata(
    meta: ResponseMeta,
    usage: Usage,
    *,
    finish_reason: str | None,
    requested_model: str,
    endpoint: str = "chat",
) -> dict[str, Any]:
    """The ``response_metadata`` (chat) or ``generation_info`` (LLM) of one answer."""
    return {
        "model_name": meta.model or requested_model,
        "model_provider": MODEL_PROVIDER,
        "provider": meta.provider or requested_model.partition("/")[0],
        "request_id": meta.request_id,
        "finish_reason": finish_reason,
        "cost": usage.cost,
        "input_cost": usage.input_cost,
        "output_cost": usage.output_cost,
        "cost_estimated": usage.cost_estimated,
        "byok": meta.byok,
        "rate_limit_bypass": meta.rate_limit_bypass,
        "duration_ms": meta.duration_ms,
        "endpoint": meta.endpoint or endpoint,
        **({USAGE_RECORD_KEY: meta.record.model_dump()} if meta.record is not None else {}),
    }


def _image_block_out(image: GeneratedImage) -> dict[str, Any]:
    if image.b64_json:
        return {"type": "image", "base64": image.b64_json, "mime_type": image.media_type}
    return {"type": "image", "url": image.url}


def _lc_tool_calls(calls: Sequence[ToolCall]) -> list[Any]:
    return [
        lc_tool_call(name=call.name, args=call.arguments, id=call.id)
        for call in calls
        if call.is_valid
    ]


def _lc_invalid_tool_calls(calls: Sequence[ToolCall]) -> list[Any]:
    """Calls whose arguments did not parse: raw text and error, never run by an agent."""
    return [
        lc_invalid_tool_call(
            name=call.name, args=call.raw_arguments, id=call.id, error=call.arguments_error
        )
        for call in calls
        if not call.is_valid
    ]


def _stream_tool_chunk(call: ToolCall, index: int) -> Any:
    """A whole call as one ``tool_call_chunk``, so that LangChain's merge classifies it.

    Valid arguments go as received; invalid ones as a JSON *string* (the raw text quoted),
    which LangChain's merge cannot complete into an object, so the aggregated message lists
    the call in ``invalid_tool_calls`` (``json.loads(args)`` gives the raw text back).
    """
    args = wire_arguments(call) if call.is_valid else json.dumps(call.raw_arguments)
    return lc_tool_call_chunk(name=call.name, args=args, id=call.id, index=index)


def result_to_message(result: ChatResult, requested_model: str) -> AIMessage:
    """Build the ``AIMessage`` of a chat result."""
    content: str | list[str | dict[str, Any]] = result.text
    if result.images:
        blocks: list[str | dict[str, Any]] = []
        if result.text:
            blocks.append({"type": "text", "text": result.text})
        blocks.extend(_image_block_out(image) for image in result.images)
        content = blocks
    additional = {"reasoning_content": result.reasoning} if result.reasoning else {}
    return AIMessage(
        content=content,
        additional_kwargs=additional,
        tool_calls=_lc_tool_calls(result.tool_calls),
        invalid_tool_calls=_lc_invalid_tool_calls(result.tool_calls),
        usage_metadata=usage_to_metadata(result.usage) if result.usage.reported else None,
        response_metadata=result_metadata(
            result.meta,
            result.usage,
            finish_reason=result.finish_reason,
            requested_model=requested_model,
        ),
    )


def generation_info(meta: ResponseMeta, requested_model: str) -> dict[str, Any]:
    """The ``generation_info`` of an answer: its resolved provider and model as gateway
    metadata, which LangChain's tracer promotes to ``ls_provider``/``ls_model_name``."""
    return {GATEWAY_INFO_KEY: gateway_info(meta, requested_model)}


class ChunkBuilder:
    """Turns one stream's events into ``AIMessageChunk`` s; the last carries usage and cost.

    Anything the final result holds that no event streamed (text that only arrives whole at
    the end) is put on the last chunk, so the merged message is complete. Tool calls are held
    back until the stream ends and come whole on the last chunk: LangChain's chunk merge
    completes cut-off JSON into an object (``{"path": "/tm`` -> ``{"path": "/tm"}``), which
    would let an agent run a call whose arguments were truncated; whole calls are classified
    by the core's strict parser instead (see :func:`_stream_tool_chunk`).
    """

    def __init__(self, requested_model: str, *, usage: bool = True) -> None:
        self.requested_model = requested_model
        self.usage = usage
        self.streamed_text = False
        self.generation_info: dict[str, Any] | None = None
        """Set by the last chunk: the ``generation_info`` of the final generation chunk
        (the resolved provider and model, see :func:`generation_info`)."""

    def feed(self, event: StreamEvent) -> AIMessageChunk | None:
        """Return the chunk for ``event``, or ``None`` when it carries nothing to show."""
        if event.type == "done":
            return self._final(event)
        text = event.text_delta
        reasoning = event.reasoning_delta
        if not (text or reasoning):
            return None
        self.streamed_text = self.streamed_text or bool(text)
        if not reasoning:  # the common case: plain text, built cheaply
            return AIMessageChunk(content=text)
        return AIMessageChunk(content=text, additional_kwargs={"reasoning_content": reasoning})

    def _final(self, event: StreamEvent) -> AIMessageChunk:
        result = event.done_result()
        usage, meta, finish = result.usage, result.meta, result.finish_reason
        self.generation_info = generation_info(meta, self.requested_model)
        text = "" if self.streamed_text else result.text
        chunks = [_stream_tool_chunk(call, i) for i, call in enumerate(result.tool_calls)]
        return AIMessageChunk(
            content=text,
            tool_call_chunks=chunks,
            usage_metadata=usage_to_metadata(usage) if self.usage and usage.reported else None,
            response_metadata=result_metadata(
                meta, usage, finish_reason=finish, requested_model=self.requested_model
            ),
            chunk_position="last",
        )

"""Pure conversions between LlamaIndex types and the core's wire types.

LlamaIndex -> indoxhub: ``ChatMessage`` (text, ``ImageBlock`` from bytes, path or URL,
``ToolCallBlock`` and legacy ``additional_kwargs["tool_calls"]``, tool results) becomes the
message dicts the core client sends; tools become OpenAI-form function specs.

indoxhub -> LlamaIndex: a core ``ChatResult`` or stream events become ``ChatResponse`` /
``CompletionResponse`` with ``ToolCallBlock`` s, a ``ThinkingBlock`` for reasoning, generated
images as ``ImageBlock`` s, and the request's usage, cost and BYOK markers in
``additional_kwargs``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from io import IOBase
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from ..core.content import (
    image_part_from_base64,
    image_part_from_bytes,
    image_part_from_path,
    image_part_from_url,
    join_tool_call_chunks,
    text_part,
    tool_call,
    tool_calls_to_wire,
)
from ..core.errors import InvalidRequestError
from ..core.parsing import RAW_ARGUMENTS_KEY, parse_arguments, parse_partial_arguments
from ..core.wire import ChatResult, GeneratedImage, StreamEvent, ToolCall, ToolCallChunk

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

_ROLES = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "developer",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "function",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
}
_TEXT_DOCUMENT_TYPES = ("text/", "application/json", "application/xml")


# ---------------------------------------------------------------------- LlamaIndex -> wire
def image_block_to_part(block: ImageBlock) -> dict[str, Any]:
    """An indoxhub image part from an ``ImageBlock`` holding bytes, a path or a URL."""
    if isinstance(block.image, bytes) and block.image:
        # LlamaIndex stores image bytes base64-encoded (its validator encodes raw bytes).
        return image_part_from_base64(block.image.decode("ascii"), block.image_mimetype)
    if isinstance(block.image, IOBase):
        block.image.seek(0)
        return image_part_from_bytes(block.image.read(), block.image_mimetype)
    if block.path is not None:
        part = image_part_from_path(block.path)
        if block.image_mimetype:
            part["image"]["media_type"] = block.image_mimetype
        return part
    if block.url is not None:
        return image_part_from_url(str(block.url))
    raise InvalidRequestError("An ImageBlock has no image bytes, path or url.")


def _media_note(block: AudioBlock | VideoBlock | DocumentBlock) -> str:
    kind = block.block_type
    where = getattr(block, "path", None) or getattr(block, "url", None)
    return f"[{kind} attachment{f': {where}' if where else ''}]"


def _document_text(block: DocumentBlock) -> str | None:
    mimetype = block.document_mimetype or ""
    if not mimetype.startswith(_TEXT_DOCUMENT_TYPES):
        return None
    try:
        return block.resolve_document().read().decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        return None


def _blocks_to_parts(blocks: Iterable[Any], role: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            parts.append(text_part(block.text))
        elif isinstance(block, ImageBlock):
            parts.append(image_block_to_part(block))
        elif isinstance(block, ThinkingBlock | ToolCallBlock | CachePoint):
            continue  # reasoning and tool calls are not message content
        elif isinstance(block, DocumentBlock) and (text := _document_text(block)) is not None:
            parts.append(text_part(text))
        elif isinstance(block, AudioBlock | VideoBlock | DocumentBlock):
            if role != "tool":
                raise InvalidRequestError(
                    f"indoxhub chat messages carry text and images; a {block.block_type} block "
                    "cannot be sent. Transcribe audio first (IndoxHubToolSpec.speech_to_text)."
                )
            parts.append(text_part(_media_note(block)))  # a tool's media output, by reference
        elif hasattr(block, "blocks"):  # citable / citation blocks wrap other blocks
            parts.extend(_blocks_to_parts(block.blocks, role))
        else:
            raise InvalidRequestError(f"Unsupported content block {type(block).__name__}.")
    return parts


def _legacy_tool_calls(value: Any) -> list[ToolCall]:
    calls = []
    for index, item in enumerate(value or []):
        data = item.model_dump() if hasattr(item, "model_dump") else item
        if not isinstance(data, Mapping):
            continue
        function = data.get("function") or {}
        calls.append(
            tool_call(
                str(data.get("id") or f"call_{index}"),
                str(function.get("name") or data.get("name") or ""),
                function.get("arguments", data.get("arguments")),
            )
        )
    return calls


def tool_calls_in_message(message: ChatMessage) -> list[ToolCall]:
    """The tool calls of an assistant message: ``ToolCallBlock`` s, else the legacy
    ``additional_kwargs["tool_calls"]`` (OpenAI objects or dicts)."""
    calls = [
        tool_call(block.tool_call_id or f"call_{index}", block.tool_name, block.tool_kwargs)
        for index, block in enumerate(b for b in message.blocks if isinstance(b, ToolCallBlock))
    ]
    return calls or _legacy_tool_calls(message.additional_kwargs.get("tool_calls"))


def message_to_wire(message: ChatMessage) -> dict[str, Any]:
    """One LlamaIndex message as an indoxhub message dict."""
    role = _ROLES.get(message.role, "user")
    parts = _blocks_to_parts(message.blocks, role)
    content: Any
    if any(part["type"] != "text" for part in parts):
        content = parts
    else:
        content = "\n".join(part["text"] for part in parts)
    wire: dict[str, Any] = {"role": role, "content": content}
    if role == "assistant":
        calls = tool_calls_in_message(message)
        if calls:
            wire["tool_calls"] = tool_calls_to_wire(calls)
            if not content:
                wire["content"] = None
    elif role == "tool":
        call_id = message.additional_kwargs.get("tool_call_id")
        if call_id is not None:
            wire["tool_call_id"] = str(call_id)
        name = message.additional_kwargs.get("name")
        if isinstance(name, str):
            wire["name"] = name
    elif role == "function":
        name = message.additional_kwargs.get("name")
        if isinstance(name, str):
            wire["name"] = name
    return wire


def messages_to_wire(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """A LlamaIndex conversation as indoxhub message dicts."""
    if (
        isinstance(messages, str)
        or not isinstance(messages, Sequence)
        or not all(isinstance(message, ChatMessage) for message in messages)
    ):
        raise InvalidRequestError(
            "chat() takes a list of llama_index ChatMessage objects, e.g. "
            "[ChatMessage(role='user', content='Hello')]; use complete() for a plain prompt."
        )
    return [message_to_wire(message) for message in messages]


def tools_to_wire(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    """LlamaIndex tools as OpenAI-form function specs (``additional_params.tools``)."""
    return [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]


# ---------------------------------------------------------------------- wire -> LlamaIndex
def usage_kwargs(result: ChatResult) -> dict[str, Any]:
    """The request's usage, cost and BYOK markers, for ``additional_kwargs``.

    ``cost`` stays ``None`` when unknown (never a made-up 0), and so do the token counts when
    the answer reported no usage.
    """
    usage, meta = result.usage, result.meta
    known = usage.reported
    return {
        "prompt_tokens": usage.input_tokens if known else None,
        "completion_tokens": usage.output_tokens if known else None,
        "total_tokens": usage.total_tokens if known else None,
        "cached_tokens": usage.cached_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cost": usage.cost,
        "cost_estimated": usage.cost_estimated,
        "byok": meta.byok,
        "request_id": meta.request_id,
        "provider": meta.provider,
        "model": meta.model,
        "rate_limit_bypass": meta.rate_limit_bypass,
        "finish_reason": result.finish_reason,
    }


def response_raw(result: ChatResult) -> dict[str, Any]:
    """The response body, with standard token counts added to its ``usage`` object.

    LlamaIndex's ``TokenCountingHandler`` reads ``raw["usage"]`` and knows only the OpenAI and
    Responses spellings; indoxhub's legacy body says ``tokens_prompt``. Adding
    ``prompt_tokens``/``completion_tokens``/``total_tokens`` (the parsed counts) makes it read
    the real counts for every documented shape; nothing else in the body changes.
    """
    raw = dict(result.raw)
    body_usage = raw.get("usage")
    merged = dict(body_usage) if isinstance(body_usage, Mapping) else {}
    merged.update(
        prompt_tokens=result.usage.input_tokens,
        completion_tokens=result.usage.output_tokens,
        total_tokens=result.usage.total_tokens,
    )
    raw["usage"] = merged
    return raw


def image_block_from_generated(image: GeneratedImage) -> ImageBlock | None:
    """An ``ImageBlock`` for a generated image (bytes when known, else its URL)."""
    if image.data is not None:
        return ImageBlock(image=image.data, image_mimetype=image.media_type)
    if image.b64_json:
        return ImageBlock(image=image.b64_json.encode("ascii"), image_mimetype=image.media_type)
    if image.url:
        return ImageBlock(url=image.url, image_mimetype=image.media_type)
    return None


INVALID_TOOL_CALLS_KEY = "invalid_tool_calls"
"""``ChatMessage.additional_kwargs`` key listing the calls whose arguments did not parse."""


def _tool_call_block(call: ToolCall) -> ToolCallBlock:
    kwargs = call.arguments if call.is_valid else call.raw_arguments or ""
    return ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=kwargs)


def _invalid_calls(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    return [
        dict(id=call.id, name=call.name, args=call.raw_arguments, error=call.arguments_error)
        for call in calls
        if not call.is_valid
    ]


def assistant_message(
    text: str,
    *,
    tool_calls: Sequence[ToolCall] = (),
    reasoning: str | None = None,
    images: Sequence[GeneratedImage] = (),
    partial_calls: Sequence[ToolCallChunk] = (),
) -> ChatMessage:
    """The assistant ``ChatMessage`` of an answer (or of a stream so far).

    ``partial_calls`` are streamed tool-call fragments: each joined call becomes a
    ``ToolCallBlock`` whose ``tool_kwargs`` is the argument text received so far.
    """
    blocks: list[ContentBlock] = []
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning))
    if text or not (tool_calls or partial_calls or images):
        blocks.append(TextBlock(text=text))
    for image in images:
        block = image_block_from_generated(image)
        if block is not None:
            blocks.append(block)
    call_blocks = [_tool_call_block(call) for call in tool_calls]
    if partial_calls:
        call_blocks += _partial_blocks(partial_calls)
    blocks.extend(call_blocks)
    extra: dict[str, Any] = {"tool_calls": legacy_tool_calls(call_blocks)} if call_blocks else {}
    invalid = _invalid_calls(tool_calls)
    if invalid:
        extra[INVALID_TOOL_CALLS_KEY] = invalid
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def legacy_tool_calls(blocks: Sequence[ToolCallBlock]) -> list[dict[str, Any]]:
    """``ToolCallBlock`` s as OpenAI-form dicts for ``additional_kwargs["tool_calls"]``.

    LlamaIndex's streaming structured-output parser (``process_streaming_objects``) looks for
    tool calls there before it asks the LLM for them; the blocks stay the source of truth (a
    message holding both is sent with its blocks' calls only). A streamed call's
    ``arguments`` is the JSON text received so far.
    """
    return [
        {
            "id": block.tool_call_id,
            "type": "function",
            "function": {
                "name": block.tool_name,
                "arguments": block.tool_kwargs
                if isinstance(block.tool_kwargs, str)
                else json.dumps(block.tool_kwargs),
            },
        }
        for block in blocks
    ]


def tool_call_arguments(block: ToolCallBlock) -> dict[str, Any]:
    """A block's arguments; a streamed call's unfinished JSON is read as far as it goes."""
    parsed = parse_arguments(block.tool_kwargs)
    if isinstance(block.tool_kwargs, str) and set(parsed) == {RAW_ARGUMENTS_KEY}:
        return parse_partial_arguments(block.tool_kwargs)
    return parsed


def _partial_blocks(chunks: Sequence[ToolCallChunk]) -> list[ToolCallBlock]:
    texts: dict[int, str] = {}
    for chunk in chunks:
        texts[chunk.index] = texts.get(chunk.index, "") + chunk.arguments_delta
    joined = join_tool_call_chunks(chunks)
    return [
        ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=text)
        for call, text in zip(joined, (texts[i] for i in sorted(texts)), strict=True)
    ]


def chat_response(result: ChatResult) -> ChatResponse:
    """A ``ChatResponse`` from a core ``ChatResult`` (``raw``: the body; usage in
    ``additional_kwargs``)."""
    message = assistant_message(
        result.text, tool_calls=result.tool_calls, reasoning=result.reasoning,
        images=result.images,
    )  # fmt: skip
    return ChatResponse(
        message=message, raw=response_raw(result), additional_kwargs=usage_kwargs(result)
    )


def completion_response(result: ChatResult) -> CompletionResponse:
    """A ``CompletionResponse`` from a core ``ChatResult``."""
    return CompletionResponse(
        text=result.text, raw=response_raw(result), additional_kwargs=usage_kwargs(result)
    )


class ChatStream:
    """Turns core stream events into cumulative ``ChatResponse`` chunks (pure, incremental).

    Every event with text, reasoning, tool-call fragments or images gives one chunk whose
    ``message`` holds the answer so far and whose ``delta`` holds the new text; the ``done``
    event gives the last chunk: the whole answer, ``raw`` = the assembled body and the usage,
    cost and BYOK markers in ``additional_kwargs`` (so summing chunks counts usage once).
    """

    def __init__(self) -> None:
        self.text = ""
        self.reasoning = ""
        self.chunks: list[ToolCallChunk] = []
        self.images: list[GeneratedImage] = []
        self.result: ChatResult | None = None

    def feed(self, event: StreamEvent) -> ChatResponse | None:
        """The chunk for ``event``, or ``None`` when the event adds nothing."""
        if event.type == "done":
            self.result = event.done_result()
            response = chat_response(self.result)
            response.delta = ""
            return response
        if not (
            event.text_delta or event.reasoning_delta or event.tool_call_chunks or event.images
        ):
            return None
        self.text += event.text_delta
        self.reasoning += event.reasoning_delta
        self.chunks.extend(event.tool_call_chunks)
        self.images.extend(event.images)
        message = assistant_message(
            self.text, reasoning=self.reasoning or None, images=self.images,
            partial_calls=self.chunks,
        )  # fmt: skip
        extra = {"thinking_delta": event.reasoning_delta} if event.reasoning_delta else {}
        return ChatResponse(
            message=message, delta=event.text_delta, raw=event.raw, additional_kwargs=extra
        )


class CompletionStream:
    """Turns core stream events into cumulative ``CompletionResponse`` chunks."""

    def __init__(self) -> None:
        self.text = ""
        self.result: ChatResult | None = None

    def feed(self, event: StreamEvent) -> CompletionResponse | None:
        """The chunk for ``event``, or ``None`` when the event adds no text."""
        if event.type == "done":
            self.result = event.done_result()
            response = completion_response(self.result)
            response.delta = ""
            return response
        if not event.text_delta:
            return None
        self.text += event.text_delta
        return CompletionResponse(text=self.text, delta=event.text_delta, raw=event.raw)

"""Chat and completion answers in each documented response style, as JSON and as SSE events.

Styles: ``responses`` (``object: "response"``, usage without cost), ``legacy`` (``data`` text,
``tokens_prompt`` usage with ``cost`` and ``cost_breakdown``) and ``openai`` (``choices``,
``prompt_tokens`` usage with ``cost_breakdown.total_cost``). In the ``responses`` and
``legacy`` styles ``model`` is the bare model name next to ``provider``; in the ``openai``
style ``model`` is ``provider/model``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .catalog import CatalogModel
from .model import Reply, ToolCall, pieces

DONE = b"data: [DONE]\n\n"


@dataclass
class Meta:
    """What every answer states about its request."""

    request_id: str
    model: CatalogModel
    started: float
    byok: bool = False
    created: float = field(default_factory=time.time)

    def duration_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 3)

    def iso(self) -> str:
        return datetime.fromtimestamp(self.created, tz=timezone.utc).isoformat()

    def mark(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add the BYOK marker to ``body`` when the request used a BYOK key."""
        if self.byok:
            body["byok_api_key"] = True
        return body

    def responses_base(self, kind: str) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "object": kind,
            "created_at": int(self.created),
            "model": self.model.name,
            "provider": self.model.provider,
            "duration_ms": self.duration_ms(),
        }

    def legacy_base(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "created_at": self.iso(),
            "duration_ms": self.duration_ms(),
            "provider": self.model.provider,
            "model": self.model.name,
            "success": True,
            "message": "",
        }

    def openai_base(self, kind: str) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "object": kind,
            "created": int(self.created),
            "model": self.model.id,
        }


@dataclass
class Bill:
    """The cost of a request, in USD, split as the legacy ``cost_breakdown`` splits it."""

    input: float = 0.0
    output: float = 0.0
    request: float = 0.0

    @property
    def total(self) -> float:
        return self.input + self.output + self.request


@dataclass
class ChatImage:
    """An image generated inside a chat answer (``modalities`` with ``image``)."""

    url: str
    b64: str


def sse(event: dict[str, Any]) -> bytes:
    """One SSE ``data:`` line for ``event``."""
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


# --- usage ---------------------------------------------------------------------------------


def responses_usage(input_tokens: int, output_tokens: int, reasoning: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


def legacy_usage(
    meta: Meta, bill: Bill, input_tokens: int, output_tokens: int, reasoning: int = 0
) -> dict[str, Any]:
    return {
        "tokens_prompt": input_tokens,
        "tokens_completion": output_tokens,
        "tokens_total": input_tokens + output_tokens,
        "cost": bill.total,
        "latency": round(time.perf_counter() - meta.started, 6),
        "timestamp": meta.iso(),
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "reasoning_tokens": reasoning,
        "web_search_count": 0,
        "request_count": 1,
        "cost_breakdown": {
            "input_tokens": bill.input,
            "output_tokens": bill.output,
            "cache_read": 0.0,
            "cache_write": 0.0,
            "reasoning": 0.0,
            "web_search": 0.0,
            "request": bill.request,
        },
    }


def openai_usage(
    bill: Bill, input_tokens: int, output_tokens: int, reasoning: int = 0
) -> dict[str, Any]:
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
        "cost_breakdown": {"total_cost": bill.total},
    }


# --- items -----------------------------------------------------------------------------------


def _message_item(meta: Meta, reply: Reply) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "message",
        "id": f"msg_{meta.request_id}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
    }
    if reply.reasoning:
        item["reasoning"] = reply.reasoning
    return item


def _function_item(call: ToolCall) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{call.id}",
        "call_id": call.id,
        "name": call.name,
        "arguments": call.arguments,
        "status": "completed",
    }


def _openai_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def _has_message(reply: Reply) -> bool:
    return bool(reply.text) or not reply.tool_calls


def _responses_status(body: dict[str, Any], reply: Reply) -> None:
    body["status"] = "completed"
    if reply.finish_reason == "length":
        body["status"] = "incomplete"
        body["incomplete_details"] = {"reason": "max_output_tokens"}


# --- whole answers ---------------------------------------------------------------------------


def chat_body(
    style: str,
    meta: Meta,
    reply: Reply,
    bill: Bill,
    *,
    completion: bool = False,
    image: ChatImage | None = None,
) -> dict[str, Any]:
    """A non-streamed chat (or text completion) answer in ``style``."""
    tokens = (reply.input_tokens, reply.output_tokens, reply.reasoning_tokens)
    if style == "legacy":
        body = meta.legacy_base()
        body.update(data=reply.text, finish_reason=reply.finish_reason)
        if reply.tool_calls:
            body["tool_calls"] = [_openai_call(c) for c in reply.tool_calls]
        if reply.reasoning:
            body["reasoning"] = reply.reasoning
        body["images"] = [{"url": image.url, "index": 0}] if image else None
        body["raw_response"] = None
        body["usage"] = legacy_usage(meta, bill, *tokens)
        return meta.mark(body)
    if style == "openai":
        if completion:
            body = meta.openai_base("text_completion")
            choice: dict[str, Any] = {
                "index": 0,
                "text": reply.text,
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        else:
            body = meta.openai_base("chat.completion")
            message: dict[str, Any] = {
                "role": "assistant",
                "content": reply.text if _has_message(reply) else None,
            }
            if reply.tool_calls:
                message["tool_calls"] = [_openai_call(c) for c in reply.tool_calls]
            if reply.reasoning:
                message["reasoning_content"] = reply.reasoning
            if image:
                message["images"] = [{"type": "image_url", "image_url": {"url": image.url}}]
            choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
        body["choices"] = [choice]
        body["usage"] = openai_usage(bill, *tokens)
        return meta.mark(body)
    body = meta.responses_base("response")
    _responses_status(body, reply)
    output: list[dict[str, Any]] = []
    if _has_message(reply):
        output.append(_message_item(meta, reply))
    output.extend(_function_item(c) for c in reply.tool_calls)
    if image:
        output.append(
            {
                "type": "image_generation_call",
                "id": f"ig_{meta.request_id}",
                "status": "completed",
                "url": image.url,
                "result": image.b64,
            }
        )
    body["output"] = output
    body["usage"] = responses_usage(*tokens)
    return meta.mark(body)


# --- streams ---------------------------------------------------------------------------------


def chat_events(
    style: str,
    meta: Meta,
    reply: Reply,
    bill: Bill,
    *,
    completion: bool = False,
    include_usage: bool = True,
    image: ChatImage | None = None,
) -> list[bytes]:
    """The SSE events of a streamed chat (or completion) answer, ``[DONE]`` excluded."""
    if style == "legacy":
        events = _legacy_events(meta, reply, bill, image)
    elif style == "openai":
        events = _openai_events(meta, reply, bill, completion, include_usage, image)
    else:
        events = _responses_events(meta, reply, image)
    return [sse(event) for event in events]


def _responses_events(meta: Meta, reply: Reply, image: ChatImage | None) -> list[dict[str, Any]]:
    head = meta.responses_base("response")
    head["status"] = "in_progress"
    events: list[dict[str, Any]] = [{"type": "response.created", "response": meta.mark(head)}]
    if reply.reasoning:
        events.append({"type": "response.reasoning.started", "output_index": 0})
        events.extend(
            {"type": "response.reasoning.delta", "output_index": 0, "delta": piece}
            for piece in pieces(reply.reasoning)
        )
    index = 0
    if _has_message(reply):
        item_id = f"msg_{meta.request_id}"
        started: dict[str, Any] = {
            "type": "message",
            "id": item_id,
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        part = {"type": "output_text", "text": "", "annotations": []}
        position = {"output_index": 0, "content_index": 0, "item_id": item_id}
        events.append({"type": "response.output_item.added", "output_index": 0, "item": started})
        events.append({"type": "response.content_part.added", **position, "part": part})
        events.extend(
            {"type": "response.content_part.delta", **position, "delta": piece}
            for piece in pieces(reply.text, reply.chunks)
        )
        events.append(
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": _message_item(meta, reply),
            }
        )
        index = 1
    for call in reply.tool_calls:
        item = _function_item(call)
        added = {**item, "arguments": "", "status": "in_progress"}
        events.append({"type": "response.output_item.added", "output_index": index, "item": added})
        events.append(
            {
                "type": "response.function_call_arguments.delta",
                "output_index": index,
                "item_id": item["id"],
                "call_id": call.id,
                "delta": call.arguments,
            }
        )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
        index += 1
    if image:
        events.extend(_image_events(meta, image, index))
    done = meta.responses_base("response")
    _responses_status(done, reply)
    done["usage"] = responses_usage(reply.input_tokens, reply.output_tokens, reply.reasoning_tokens)
    events.append({"type": "response.done", "response": meta.mark(done)})
    for event in events[1:]:  # the docs: every event after response.created names its response
        event["response_id"] = meta.request_id
    return events


def _image_events(meta: Meta, image: ChatImage, index: int) -> list[dict[str, Any]]:
    item_id = f"ig_{meta.request_id}"
    common = {"output_index": index, "item_id": item_id}
    return [
        {"type": "response.image_generation_call.in_progress", **common},
        {"type": "response.image_generation_call.generating", **common},
        {
            "type": "response.image_generation_call.partial_image",
            **common,
            "partial_image_index": 0,
            "partial_image_b64": image.b64,
        },
        {
            "type": "response.image_generation_call.completed",
            **common,
            "image_generation_call": {"id": item_id, "url": image.url},
            "data": image.b64,
        },
    ]


def _openai_events(
    meta: Meta,
    reply: Reply,
    bill: Bill,
    completion: bool,
    include_usage: bool,
    image: ChatImage | None,
) -> list[dict[str, Any]]:
    kind = "text_completion" if completion else "chat.completion.chunk"
    base = meta.openai_base(kind)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        if completion:
            choice = {"index": 0, "text": delta.get("content", ""), "finish_reason": finish}
        else:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {**base, "choices": [choice]}

    events = [] if completion else [chunk({"role": "assistant", "content": ""})]
    if reply.reasoning and not completion:
        events.extend(chunk({"reasoning_content": p}) for p in pieces(reply.reasoning))
    events.extend(chunk({"content": p}) for p in pieces(reply.text, reply.chunks))
    for index, call in enumerate(reply.tool_calls):
        opened = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [opened]}))
        arguments = {"index": index, "function": {"arguments": call.arguments}}
        events.append(chunk({"tool_calls": [arguments]}))
    if image and not completion:
        events.append(chunk({"images": [{"type": "image_url", "image_url": {"url": image.url}}]}))
    events.append(meta.mark(chunk({}, reply.finish_reason)))
    if include_usage:
        usage = openai_usage(bill, reply.input_tokens, reply.output_tokens, reply.reasoning_tokens)
        events.append(meta.mark({**base, "choices": [], "usage": usage}))
    return events


def _legacy_events(
    meta: Meta, reply: Reply, bill: Bill, image: ChatImage | None
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    if reply.reasoning:
        events.extend({"data": "", "reasoning": p} for p in pieces(reply.reasoning))
    events.extend({"data": p} for p in pieces(reply.text, reply.chunks))
    final: dict[str, Any] = {
        "data": "",
        "request_id": meta.request_id,
        "provider": meta.model.provider,
        "model": meta.model.name,
        "finish_reason": reply.finish_reason,
    }
    if reply.tool_calls:
        final["tool_calls"] = [_openai_call(c) for c in reply.tool_calls]
    if image:
        final["images"] = [{"url": image.url, "index": 0}]
    tokens = (reply.input_tokens, reply.output_tokens, reply.reasoning_tokens)
    final["usage"] = legacy_usage(meta, bill, *tokens)
    events.append(meta.mark(final))
    return events

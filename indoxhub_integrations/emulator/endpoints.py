"""Handlers of the text endpoints: chat, text completion and OpenAI-compatible chat."""

from __future__ import annotations

import base64
from typing import Any

from . import validation
from .catalog import CHAT, CatalogModel
from .errors import Problems, detail
from .model import Reply, chat_reply, completion_reply
from .picture import picture
from .pipeline import Answer, Call, admit, apply_overrides, byok_headers, check_byok, resolve
from .shapes import Bill, ChatImage, chat_body, chat_events

CHAT_IMAGE_SIDE = 256
"""Pixels per side of the image a chat answer carries (``modalities`` with ``image``)."""
_OPENAI_PARAMS = (
    "tools",
    "tool_choice",
    "stop",
    "response_format",
    "reasoning_effort",
    "modalities",
    "emulator_chunks",
    "emulator_event_delay",
)


def _params(body: dict[str, Any], problems: Problems) -> dict[str, Any]:
    params = body.get("additional_params")
    if isinstance(params, dict):
        validation.check_params(params, problems, ("body", "additional_params"))
        return params
    return {}


async def chat(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /api/v1/chat/completions``."""
    problems = validation.require(body, validation.CHAT)
    messages = body.get("messages")
    if isinstance(messages, list):
        validation.check_messages(messages, problems)
    params = _params(body, problems)
    problems.raise_if_any()
    assert isinstance(messages, list)
    model = resolve(body, CHAT, catalog=call.state.catalog)
    check_byok(call, body.get("byok_api_key"), model)
    if call.state.strict_schema:
        messages = strict_messages(messages)
    reply = chat_reply(model, messages, params, body.get("max_tokens"))
    return _answer(
        call, model, reply, params, stream=body.get("stream") is True, style=call.state.style
    )


def strict_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages as a server keeping only the documented ``ChatMessage`` fields sees them.

    ``role`` and ``content`` survive; ``tool_calls``, ``tool_call_id`` and ``name`` are
    dropped. A tool turn then follows no tool call, which the provider rejects with a 400
    (OpenAI's wording).
    """
    kept = [{"role": m.get("role"), "content": m.get("content")} for m in messages]
    for index, message in enumerate(kept):
        if message["role"] in ("tool", "function"):
            raise detail(
                400,
                f"Provider error: Invalid parameter: messages with role 'tool' must be a "
                f"response to a preceding message with 'tool_calls' (messages[{index}]).",
            )
    return kept


async def completion(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /api/v1/completions``."""
    problems = validation.require(body, validation.COMPLETION)
    params = _params(body, problems)
    problems.raise_if_any()
    model = resolve(body, CHAT, catalog=call.state.catalog)
    check_byok(call, body.get("byok_api_key"), model)
    reply = completion_reply(model, body["prompt"], params, body.get("max_tokens"))
    return _answer(
        call,
        model,
        reply,
        params,
        stream=body.get("stream") is True,
        style=call.state.style,
        completion=True,
    )


async def openai_chat(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /v1/chat/completions``: OpenAI's request and answer shapes, always."""
    problems = validation.require(body, validation.OPENAI_CHAT)
    messages = body.get("messages")
    if isinstance(messages, list):
        validation.check_messages(messages, problems)
    params = {k: body[k] for k in _OPENAI_PARAMS if body.get(k) is not None}
    validation.check_params(params, problems, ("body",))
    problems.raise_if_any()
    assert isinstance(messages, list)
    model = resolve(body, CHAT, catalog=call.state.catalog, bare_ok=True)
    check_byok(call, body.get("byok_api_key"), model)
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    reply = chat_reply(model, messages, params, max_tokens)
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    return _answer(
        call,
        model,
        reply,
        params,
        stream=body.get("stream") is True,
        style="openai",
        include_usage=include_usage,
    )


def _answer(
    call: Call,
    model: CatalogModel,
    reply: Reply,
    params: dict[str, Any],
    *,
    stream: bool,
    style: str,
    completion: bool = False,
    include_usage: bool = True,
) -> Answer:
    cost = apply_overrides(call.script, reply)
    if cost is None:
        bill = Bill(*model.token_cost(reply.input_tokens, reply.output_tokens))
    else:
        bill = Bill(input=cost)
    tokens = reply.input_tokens + reply.output_tokens
    bill = admit(call, model, bill, reply.input_tokens, tokens)
    record = call.record
    record.input_tokens = reply.input_tokens
    record.output_tokens = reply.output_tokens
    record.stream = stream
    image = _chat_image(call, reply.image_prompt) if reply.image_prompt else None
    meta = call.meta(model)
    headers = byok_headers(call)
    if stream:
        events = chat_events(
            style,
            meta,
            reply,
            bill,
            completion=completion,
            include_usage=include_usage,
            image=image,
        )
        delay = float(params.get("emulator_event_delay") or 0.0)
        return Answer(events=events, headers=headers, event_delay=delay)
    body = chat_body(style, meta, reply, bill, completion=completion, image=image)
    return Answer(body=body, headers=headers)


def _chat_image(call: Call, prompt: str) -> ChatImage:
    data = picture(prompt, CHAT_IMAGE_SIDE, CHAT_IMAGE_SIDE)
    path = f"/_emulator/files/{call.state.store_file(data, 'image/png')}.png"
    call.record.images.append(path)  # the dashboard's thumbnail
    url = call.base_url + path
    return ChatImage(url=url, b64=base64.b64encode(data).decode())

"""Server-Sent Events -> stream events, incrementally and without I/O.

:class:`SSEDecoder` turns the bytes of a response body, in chunks of any size, into the
``data:`` payloads of its events. :class:`StreamAssembler` turns each payload (Responses-style
``response.*`` events, OpenAI chat-completions chunks, or legacy ``{"data": "<text>"}`` chunks)
into :class:`~indoxhub_integrations.core.wire.StreamEvent` objects, accumulates the answer, and
emits exactly one ``done`` event carrying the final usage, metadata and the whole
:class:`~indoxhub_integrations.core.wire.ChatResult`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._values import BYPASS_HEADERS, as_map, as_str, lower_headers
from .errors import StreamInterruptedError, error_from_stream_event
from .parsing import (
    as_endpoint,
    chat_fields_from_output,
    finish_from_status,
    parse_image,
    parse_meta,
    parse_usage,
    text_of,
    tool_call,
)
from .wire import ChatResult, GeneratedImage, StreamEvent, ToolCallChunk, Usage

__all__ = ["SSEDecoder", "StreamAssembler"]

_BOM = b"\xef\xbb\xbf"
_raw_decode = json.JSONDecoder().raw_decode  # json.loads minus its wrappers (per event)
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_DONE_TYPES = frozenset({"response.done", "response.completed", "response.incomplete"})
_REASONING_DELTAS = frozenset(
    {"response.reasoning.delta", "response.reasoning_summary_text.delta"}
    | {"response.reasoning_text.delta"}
)
_TEXT_DELTAS = frozenset({"response.content_part.delta", "response.output_text.delta"})
_ARGUMENT_EVENTS = frozenset(
    {"response.function_call_arguments.delta", "response.function_call_arguments.done"}
)
_META_KEYS = ("id", "request_id", "model", "provider", "byok_api_key", "duration_ms")

Key = tuple[str, Any]
"""An output item: ``("output", output_index)``, ``("item", id)`` or ``("choice", index)``."""


class SSEDecoder:
    """Incremental Server-Sent Events decoder that yields the ``data`` of each event.

    Lines may end with ``\\n``, ``\\r\\n`` or ``\\r``; several ``data:`` lines of one event are
    joined with ``\\n``; comments and the ``event``, ``id`` and ``retry`` fields are ignored; a
    leading byte-order mark is dropped. Bytes are decoded per complete line, so a UTF-8
    character split across chunks is decoded whole. Any split of the same byte stream yields
    the same payloads.
    """

    __slots__ = ("_bom_checked", "_data", "_pending", "_skip_lf")

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._data: list[str] | None = None
        self._skip_lf = False
        self._bom_checked = False

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes; return the payloads of the events they complete.

        Args:
            chunk: The next bytes of the body (any size, possibly empty).

        Returns:
            The ``data`` payload of every event whose terminating blank line arrived.
        """
        if (
            self._data is None
            and not self._pending
            and self._bom_checked
            and not self._skip_lf
            and chunk.endswith(b"\n\n")
            and b"\r" not in chunk
        ):
            return self._events(chunk)  # the common case: whole events, "\n" line ends
        if self._skip_lf and chunk:
            self._skip_lf = False
            chunk = chunk[1:] if chunk[:1] == b"\n" else chunk
        if not chunk:
            return []
        if not self._bom_checked:
            head = b"".join(self._pending) + chunk
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._pending = [head]
                return []
            self._bom_checked, self._pending = True, []
            chunk = head[len(_BOM) :] if head.startswith(_BOM) else head
        if b"\n" not in chunk and b"\r" not in chunk:
            self._pending.append(chunk)
            return []
        if self._pending:
            chunk = b"".join([*self._pending, chunk])
            self._pending = []
        lines = chunk.splitlines(keepends=True)
        if not lines[-1].endswith((b"\n", b"\r")):
            self._pending.append(lines.pop())
        elif lines[-1].endswith(b"\r"):
            self._skip_lf = True  # a "\n" opening the next chunk completes this "\r\n"
        payloads: list[str] = []
        for line in lines:
            self._line(line.rstrip(b"\r\n"), payloads)
        return payloads

    def flush(self) -> list[str]:
        """End of stream: return the final event when it lacked its trailing blank line."""
        payloads: list[str] = []
        if self._pending:
            line = b"".join(self._pending)
            self._pending = []
            self._line(line if self._bom_checked else line.removeprefix(_BOM), payloads)
        if self._data is not None:
            payloads.append("\n".join(self._data))
            self._data = None
        self._skip_lf = self._bom_checked = False
        return payloads

    def _events(self, chunk: bytes) -> list[str]:
        """Payloads of a chunk of whole events (no event pending, no ``\r``): an event that is
        one ``data:`` line is taken as is; any other goes through :meth:`_line`."""
        payloads: list[str] = []
        for block in chunk[:-2].split(b"\n\n"):
            if block.startswith(b"data:") and b"\n" not in block:
                value = block[6:] if block[5:6] == b" " else block[5:]
                payloads.append(value.decode("utf-8", "replace"))
            else:
                for line in block.split(b"\n"):
                    self._line(line, payloads)
                self._line(b"", payloads)
        return payloads

    def _line(self, line: bytes, payloads: list[str]) -> None:
        if not line:
            if self._data is not None:
                payloads.append("\n".join(self._data))
                self._data = None
            return
        if not line.startswith(b"data"):
            return  # comments (":..."), event:, id:, retry: and unknown fields
        field, _, value = line.decode("utf-8", "replace").partition(":")
        if field != "data":
            return
        value = value[1:] if value[:1] == " " else value
        if self._data is None:
            self._data = [value]
        else:
            self._data.append(value)


class _ToolState:
    __slots__ = ("arguments", "id", "name")

    def __init__(self, call_id: str | None, name: str | None) -> None:
        self.id = call_id
        self.name = name
        self.arguments: list[str] = []


def _delta_text(value: Any) -> str:
    """A ``delta`` that is a string or ``{"text": ...}``."""
    return value if isinstance(value, str) else text_of(as_map(value))


def _error_message(error: Any) -> str:
    if isinstance(error, Mapping):
        return as_str(error.get("message")) or json.dumps(error, default=str)[:500]
    return str(error)


def _keys(event: Mapping[str, Any], item: Mapping[str, Any] = _NO_HEADERS) -> list[Key]:
    """Identify an output item by the event's ``output_index``/``item_id`` and the item's id."""
    keys: list[Key] = []
    if isinstance(event.get("output_index"), int):
        keys.append(("output", event["output_index"]))
    item_id = as_str(event.get("item_id")) or as_str(item.get("id"))
    if item_id:
        keys.append(("item", item_id))
    return keys


class StreamAssembler:
    """Turns stream payloads into events and assembles the complete answer.

    Feed it every payload from :class:`SSEDecoder`. A stream is complete once it has seen
    ``response.done`` (or ``response.completed``/``response.incomplete``) or ``[DONE]``; the
    single ``done`` event is emitted at the first of them (OpenAI-style streams, whose usage
    chunk precedes ``[DONE]``, get it at ``[DONE]``); payloads after it are ignored. Tool-call
    fragments are joined per call and their arguments parsed as JSON at the end (text that is
    not a JSON object makes an invalid call, see :func:`.parsing.tool_call`). Events that
    report usage before the end
    (an OpenAI usage chunk, a legacy final chunk) carry it too; the ``done`` event carries the
    final one.

    Args:
        endpoint: ``"chat"`` or ``"completion"``.
        headers: The response headers (request id, BYOK bypass marker).
        requested_model: The ``provider/model`` the request asked for.
        byok_sent: Whether the request carried a BYOK key.
    """

    def __init__(
        self,
        endpoint: str = "chat",
        *,
        headers: Mapping[str, str] = _NO_HEADERS,
        requested_model: str | None = None,
        byok_sent: bool = False,
    ) -> None:
        self._endpoint = as_endpoint(endpoint)
        self._headers = lower_headers(headers)
        self._requested_model = requested_model
        self._byok_sent = byok_sent
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._reasoning_streamed = False
        self._tools: list[_ToolState] = []
        self._tool_keys: dict[Key, int] = {}
        self._text_keys: set[Key] = set()
        self._last_text_where: tuple[Any, Any] | None = None
        self._text_since_item = False
        self._image_keys: set[Key] = set()
        self._images: list[GeneratedImage] = []
        self._finish: str | None = None
        self._usage: Mapping[str, Any] | None = None
        self._info: dict[str, Any] = {}
        self._final_raw: dict[str, Any] = {}
        self._responses_style = self._done = self._complete = False

    @property
    def complete(self) -> bool:
        """Whether the stream's completion marker (``response.done`` or ``[DONE]``) was seen."""
        return self._complete

    def feed(self, data: str) -> list[StreamEvent]:
        """Turn one ``data`` payload into zero or more events.

        Args:
            data: One payload from :meth:`SSEDecoder.feed`.

        Returns:
            The events it carries; the ``done`` event is the last one of a complete stream.

        Raises:
            IndoxHubError: The stream carried an ``{"error": ...}`` event (the subclass is
                chosen by :func:`~indoxhub_integrations.core.errors.error_from_stream_event`).
            StreamInterruptedError: The payload is not JSON.
        """
        payload = data.strip()
        if payload == "[DONE]":
            self._complete = True
            return [] if self._done else [self._done_event(None)]
        if not payload or self._done:
            return []
        try:  # ``payload`` is stripped: anything after the value is extra data, as in json.loads
            obj, end = _raw_decode(payload)
            if end != len(payload):
                raise ValueError("extra data")
        except ValueError:
            message = f"malformed stream event (not JSON): {payload[:200]!r}"
            raise StreamInterruptedError(message) from None
        if not isinstance(obj, dict):
            return [StreamEvent(type="other")]
        kind = obj.get("type")
        if type(kind) is str and kind in _TEXT_DELTAS and not obj.get("error"):
            self._responses_style = True  # the hot path: a text delta (it carries no error)
            return self._text_delta(obj)
        _raise_error(obj)
        if isinstance(kind, str) and kind.startswith("response."):
            self._responses_style = True
            return self._responses_event(kind, obj)
        self._absorb(obj)
        if isinstance(obj.get("choices"), list):
            return self._openai_chunk(obj)
        events: list[StreamEvent] = []
        if isinstance(obj.get("data"), str):  # legacy chunk
            self._text.append(obj["data"])
            events.append(StreamEvent(type="text", text_delta=obj["data"], raw=obj))
        return self._end_chunk(obj, events, obj)

    def finish(self) -> None:
        """Check that the stream ended properly.

        Raises:
            StreamInterruptedError: Neither ``response.done`` nor ``[DONE]`` was seen: the
                answer is incomplete.
        """
        if not self._complete:
            raise StreamInterruptedError(
                "the stream ended before its completion marker (response.done or [DONE]); "
                "the answer is incomplete"
            )

    # ------------------------------------------------------------------ payload kinds

    def _absorb(self, source: Mapping[str, Any]) -> None:
        for key in _META_KEYS:
            if source.get(key) is not None:
                self._info[key] = source[key]

    def _responses_event(self, kind: str, obj: dict[str, Any]) -> list[StreamEvent]:
        if kind in _TEXT_DELTAS:
            return self._text_delta(obj)
        response = as_map(obj.get("response"))
        self._absorb(response)
        if kind == "response.created":
            return [StreamEvent(type="start", raw=obj)]
        if kind in _DONE_TYPES:
            return [self._response_done(kind, response, obj)]
        if kind in _REASONING_DELTAS:
            delta = _delta_text(obj.get("delta"))
            self._reasoning.append(delta)
            self._reasoning_streamed = True
            return [StreamEvent(type="reasoning", reasoning_delta=delta, raw=obj)]
        item = as_map(obj.get("item"))
        keys = _keys(obj, item)
        if kind == "response.output_item.added" and item.get("type") == "function_call":
            chunk = self._tool_chunk(keys, item, as_str(item.get("arguments")) or "")
            return [StreamEvent(type="tool_call", tool_call_chunks=[chunk], raw=obj)]
        if kind == "response.output_item.done":
            return [self._item_done(keys, item, obj)]
        if kind in _ARGUMENT_EVENTS:
            index = self._find(keys)
            is_delta = kind.endswith(".delta")
            if not is_delta and index is not None and self._tools[index].arguments:
                return [StreamEvent(type="other", raw=obj)]  # deltas already carried them
            arguments = as_str(obj.get("delta" if is_delta else "arguments")) or ""
            chunk = self._tool_chunk(keys, obj, arguments)
            return [StreamEvent(type="tool_call", tool_call_chunks=[chunk], raw=obj)]
        if kind == "response.image_generation_call.completed":
            call = as_map(obj.get("image_generation_call"))
            b64 = (
                as_str(obj.get("data"))
                or as_str(call.get("b64_json"))
                or as_str(call.get("result"))
            )
            url = as_str(call.get("url")) or as_str(obj.get("url"))
            image = parse_image(
                {"url": url, "b64_json": b64, "revised_prompt": call.get("revised_prompt")}
            )
            if image is not None and (image.url or image.b64_json):
                self._images.append(image)
                self._image_keys.update(keys)
                return [StreamEvent(type="image", images=[image], raw=obj)]
        return [StreamEvent(type="other", raw=obj)]

    def _text_delta(self, obj: dict[str, Any]) -> list[StreamEvent]:
        delta = obj.get("delta")
        if type(delta) is not str:
            delta = _delta_text(delta)
        self._text.append(delta)
        where = (obj.get("output_index"), obj.get("item_id"))
        if where != self._last_text_where:  # the deltas of one item share their keys
            self._last_text_where = where
            self._text_keys.update(_keys(obj))
        self._text_since_item = True
        return [StreamEvent(type="text", text_delta=delta, raw=obj)]

    def _response_done(
        self, kind: str, response: Mapping[str, Any], obj: dict[str, Any]
    ) -> StreamEvent:
        if isinstance(response.get("usage"), Mapping):
            self._usage = response["usage"]
        if not self._text and not self._tools and isinstance(response.get("output"), list):
            fields = chat_fields_from_output(response)  # a server that sent the answer only here
            self._text.append(fields["text"])
            self._reasoning += [fields["reasoning"]] if fields["reasoning"] else []
            for call in fields["tool_calls"]:
                self._tools.append(_ToolState(call.id, call.name))
                self._tools[-1].arguments.append(json.dumps(call.arguments))
            self._images += [] if self._images else fields["images"]
        status = response.get("status") or ("incomplete" if kind.endswith("incomplete") else None)
        self._finish = finish_from_status(status, response) or self._finish
        self._final_raw = dict(response)
        self._complete = True
        return self._done_event(obj)

    def _item_done(
        self, keys: list[Key], item: Mapping[str, Any], obj: dict[str, Any]
    ) -> StreamEvent:
        """``response.output_item.done``: use what the item carries that no delta delivered."""
        fields = chat_fields_from_output({"output": [item]})
        text = reasoning = ""
        chunks: list[ToolCallChunk] = []
        images: list[GeneratedImage] = []
        if fields["text"]:  # a message item: its text counts only if no delta carried it
            if not self._text_since_item and not self._text_keys.intersection(keys):
                text = fields["text"]
                self._text.append(text)
            self._text_since_item = False
        if fields["reasoning"] and not self._reasoning_streamed:
            reasoning = fields["reasoning"]
            self._reasoning.append(reasoning)
        index = self._find(keys)
        if item.get("type") == "function_call" and (
            index is None or not self._tools[index].arguments
        ):
            arguments = item.get("arguments")
            arguments = json.dumps(arguments) if isinstance(arguments, Mapping) else arguments
            chunks.append(self._tool_chunk(keys, item, as_str(arguments) or ""))
        if fields["images"] and not self._image_keys.intersection(keys):
            images = fields["images"]
            self._images.extend(images)
        return StreamEvent(
            type="item_done",
            text_delta=text,
            reasoning_delta=reasoning,
            tool_call_chunks=chunks,
            images=images,
            raw=obj,
        )

    def _openai_chunk(self, obj: dict[str, Any]) -> list[StreamEvent]:
        choices = obj["choices"]
        choice = as_map(choices[0] if choices else None)
        delta = as_map(choice.get("delta"))
        events: list[StreamEvent] = []
        reasoning = as_str(delta.get("reasoning_content")) or as_str(delta.get("reasoning"))
        if reasoning:
            self._reasoning.append(reasoning)
            events.append(StreamEvent(type="reasoning", reasoning_delta=reasoning, raw=obj))
        text = text_of(delta.get("content")) or text_of(choice.get("text"))
        if text:
            self._text.append(text)
            events.append(StreamEvent(type="text", text_delta=text, raw=obj))
        chunks: list[ToolCallChunk] = []
        calls = delta.get("tool_calls")
        for position, call in enumerate(calls if isinstance(calls, list) else []):
            number, function = as_map(call).get("index"), as_map(as_map(call).get("function"))
            key = ("choice", number if isinstance(number, int) else position)
            source = {"call_id": as_map(call).get("id"), "name": function.get("name")}
            chunks.append(self._tool_chunk([key], source, as_str(function.get("arguments")) or ""))
        if chunks:
            events.append(StreamEvent(type="tool_call", tool_call_chunks=chunks, raw=obj))
        return self._end_chunk({**choice, "usage": obj.get("usage")}, events, obj)

    def _end_chunk(
        self, source: Mapping[str, Any], events: list[StreamEvent], raw: dict[str, Any]
    ) -> list[StreamEvent]:
        """Record a non-Responses chunk's ``finish_reason`` and ``usage`` on its last event."""
        finish = as_str(source.get("finish_reason"))
        usage: Usage | None = None
        self._finish = finish or self._finish
        if isinstance(source.get("usage"), Mapping):
            self._usage, self._final_raw = source["usage"], dict(raw)
            usage = parse_usage(self._usage, byok=self._byok())
        if not events:
            events.append(StreamEvent(type="other", raw=raw))
        if finish or usage is not None:
            events[-1].finish_reason = finish or events[-1].finish_reason
            events[-1].usage = usage
        return events

    # ------------------------------------------------------------------ tool calls and done

    def _find(self, keys: list[Key]) -> int | None:
        return next((self._tool_keys[key] for key in keys if key in self._tool_keys), None)

    def _tool_chunk(
        self, keys: list[Key], source: Mapping[str, Any], arguments: str
    ) -> ToolCallChunk:
        """Record a tool-call fragment (creating the call on first sight) and return it."""
        index = self._find(keys)
        call_id = as_str(source.get("call_id"))
        if call_id is None and source.get("type") == "function_call":
            call_id = as_str(source.get("id"))
        name = as_str(source.get("name"))
        if index is None:
            index = len(self._tools)
            self._tools.append(_ToolState(call_id, name))
        self._tool_keys.update(dict.fromkeys(keys, index))
        state = self._tools[index]
        state.id, state.name = state.id or call_id, state.name or name
        state.arguments += [arguments] if arguments else []
        return ToolCallChunk(index=index, id=call_id, name=name, arguments_delta=arguments)

    def _byok(self) -> bool:
        """BYOK as far as known mid-stream (the ``done`` event decides, with a warning)."""
        bypass = any(name in self._headers for name in BYPASS_HEADERS)
        marked = self._info.get("byok_api_key") is True or bypass
        return marked or (self._byok_sent and not parse_usage(self._usage, byok=False).cost)

    def _done_event(self, obj: dict[str, Any] | None) -> StreamEvent:
        self._done = True
        context: dict[str, Any] = {
            "requested_model": self._requested_model,
            "byok_sent": self._byok_sent,
        }
        usage = parse_usage(self._usage, byok=False)
        meta = parse_meta(
            self._info,
            self._headers,
            endpoint=self._endpoint,
            reported_cost=usage.cost,
            **context,
        )
        if meta.byok:
            usage = usage.model_copy(update={"cost": 0.0})
        calls = [
            tool_call(state.id or f"call_{index}", state.name or "", "".join(state.arguments))
            for index, state in enumerate(self._tools)
        ]
        finish = self._finish
        if calls and (self._responses_style or finish is None):
            finish = "tool_calls"
        result = ChatResult(
            text="".join(self._text),
            tool_calls=calls,
            reasoning="".join(self._reasoning) or None,
            finish_reason=finish,
            images=list(self._images),
            usage=usage,
            meta=meta,
            raw=self._final_raw,
        )
        return StreamEvent(
            type="done", finish_reason=finish, usage=usage, meta=meta, result=result, raw=obj
        )


def _raise_error(obj: Mapping[str, Any]) -> None:
    """Raise the error an ``{"error": ...}``, ``type: "error"`` or ``response.failed`` carries."""
    error = obj.get("error")
    if not error and obj.get("type") in ("error", "response.error"):
        error = obj.get("message") or obj
    if not error and obj.get("type") == "response.failed":
        error = as_map(obj.get("response")).get("error") or "the response failed"
    if error:
        raise error_from_stream_event(_error_message(error))

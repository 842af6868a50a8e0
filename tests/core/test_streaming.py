"""SSE decoding and stream assembly against the recorded transcripts in tests/fixtures/*.sse."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indoxhub_integrations.core import errors
from indoxhub_integrations.core.streaming import SSEDecoder, StreamAssembler
from indoxhub_integrations.core.wire import StreamEvent

from ..conftest import scaled

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SSE_FILES = sorted(path.name for path in FIXTURES.glob("*.sse"))
ENDPOINTS = {"stream_openai_completion.sse": "completion"}


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def decode(data: bytes, cuts: list[int] | None = None) -> list[str]:
    """Feed ``data`` split at ``cuts`` (byte offsets) and flush."""
    decoder = SSEDecoder()
    bounds = [0, *sorted(set(cuts or [])), len(data)]
    payloads: list[str] = []
    for start, end in itertools.pairwise(bounds):
        payloads += decoder.feed(data[start:end])
    return payloads + decoder.flush()


def assemble(
    name: str, cuts: list[int] | None = None, **kwargs: Any
) -> tuple[list[StreamEvent], BaseException | None]:
    """Run a transcript through decoder and assembler; return events and the raised error."""
    assembler = StreamAssembler(ENDPOINTS.get(name, "chat"), **kwargs)
    events: list[StreamEvent] = []
    try:
        for payload in decode(read(name), cuts):
            events += assembler.feed(payload)
        assembler.finish()
    except errors.IndoxHubError as error:
        return events, error
    return events, None


def done_of(events: list[StreamEvent]) -> StreamEvent:
    done = [event for event in events if event.type == "done"]
    assert len(done) == 1
    assert events[-1] is done[0]
    return done[0]


# --------------------------------------------------------------------------- SSEDecoder


def test_decoder_basic_fields_comments_and_multiline() -> None:
    stream = (
        b": comment\n"
        b"event: message\nid: 7\nretry: 100\ndata: one\n\n"
        b"data:two\ndata:  three\n\n"
        b"data\n\n"
        b"unknown: x\n\n"
        b"datum: y\ndata: four\n\n"
    )
    assert decode(stream) == ["one", "two\n three", "", "four"]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_decoder_line_endings(newline: bytes) -> None:
    stream = newline.join([b"data: a", b"data: b", b"", b"data: c", b"", b""])
    assert decode(stream) == ["a\nb", "c"]
    assert decode(stream, list(range(len(stream)))) == ["a\nb", "c"]


def test_decoder_crlf_split_between_chunks_is_one_line_ending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r\n\r\n") == ["a\nb"]


def test_decoder_utf8_character_split_across_chunks() -> None:
    stream = "data: 🗼 é\n\n".encode()
    assert decode(stream, list(range(1, len(stream)))) == ["🗼 é"]


def test_decoder_flush_returns_unterminated_final_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: one\n\ndata: two") == ["one"]
    assert decoder.flush() == ["two"]
    assert decoder.flush() == []


def test_decoder_flush_with_data_line_but_no_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: last\n") == []
    assert decoder.flush() == ["last"]


def test_decoder_bom_and_empty_chunks() -> None:
    stream = b"\xef\xbb\xbfdata: x\n\n"
    assert decode(stream, [1, 2, 3]) == ["x"]
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\xef") == []
    assert decoder.flush() == []


@pytest.mark.parametrize("name", SSE_FILES)
def test_decoder_every_fixture_same_under_other_line_endings(name: str) -> None:
    data = read(name)
    expected = decode(data)
    assert expected
    normal = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    for newline in (b"\n", b"\r\n", b"\r"):
        assert decode(normal.replace(b"\n", newline)) == expected


@settings(max_examples=scaled(60))
@given(st.sampled_from(SSE_FILES), st.data())
def test_decoder_property_any_split_same_payloads(name: str, data: st.DataObject) -> None:
    raw = read(name)
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=40))
    assert decode(raw, cuts) == decode(raw)


@pytest.mark.parametrize("name", SSE_FILES)
def test_decoder_byte_by_byte_same_payloads(name: str) -> None:
    raw = read(name)
    assert decode(raw, list(range(len(raw)))) == decode(raw)


# --------------------------------------------------------------------------- split invariance


def _dump(result: tuple[list[StreamEvent], BaseException | None]) -> Any:
    events, error = result
    failure = (type(error).__name__, str(error)) if error else None
    return [event.model_dump() for event in events], failure


@settings(max_examples=scaled(60))
@given(st.sampled_from(SSE_FILES), st.data())
def test_property_random_splits_give_identical_events(name: str, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(read(name))), max_size=30))
    assert _dump(assemble(name, cuts)) == _dump(assemble(name))


COMPLETE_FILES = [n for n in SSE_FILES if n not in ("stream_error_event.sse", "stream_cut.sse")]


@pytest.mark.parametrize("name", COMPLETE_FILES)
def test_deltas_add_up_to_the_result(name: str) -> None:
    events, error = assemble(name)
    assert error is None
    result = done_of(events).result
    assert result is not None
    assert "".join(event.text_delta for event in events) == result.text
    assert "".join(event.reasoning_delta for event in events) == (result.reasoning or "")
    images = [image for event in events if event.type != "done" for image in event.images]
    assert images == result.images


# --------------------------------------------------------------------------- transcripts


def test_responses_reasoning_and_text() -> None:
    events, error = assemble("stream_responses_reasoning_text.sse")
    assert error is None
    assert [event.type for event in events] == [
        "start",
        "other",
        "reasoning",
        "reasoning",
        "other",
        "other",
        "text",
        "text",
        "text",
        "item_done",
        "done",
    ]
    assert [e.text_delta for e in events if e.type == "text"] == [
        "Paris ",
        "est très ",
        "belle 🗼.",
    ]
    assert events[9].text_delta == ""  # deltas already delivered the item's text
    done = done_of(events)
    assert done.result is not None and done.usage is not None and done.meta is not None
    assert done.result.text == "Paris est très belle 🗼."
    assert done.result.reasoning == "Think about geography."
    assert done.result.finish_reason == done.finish_reason == "stop"
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.total_tokens) == (
        20,
        12,
        32,
    )
    assert done.usage.reasoning_tokens == 4
    assert done.usage.cost is None
    assert (done.meta.request_id, done.meta.model, done.meta.provider) == (
        "resp_stream_1",
        "openai/o3-mini",
        "openai",
    )
    assert done.meta.duration_ms == 640
    assert done.result.usage == done.usage
    assert done.result.meta == done.meta
    assert done.raw is not None and done.raw["type"] == "response.done"
    assert done.result.raw["id"] == "resp_stream_1"


def test_responses_tool_calls() -> None:
    events, error = assemble("stream_responses_tool_call.sse")
    assert error is None
    chunks = [chunk for event in events for chunk in event.tool_call_chunks]
    assert [(c.index, c.id, c.name, c.arguments_delta) for c in chunks] == [
        (0, "call_w1", "get_weather", ""),
        (0, None, None, '{"city": '),
        (0, None, None, '"Zürich"'),
        (0, None, None, "}"),
        (1, "call_t2", "get_time", ""),
        (1, "call_t2", "get_time", '{"tz": "UTC"}'),
    ]
    types = [event.type for event in events]
    assert types == [
        "start",
        "tool_call",
        "tool_call",
        "tool_call",
        "tool_call",
        "other",
        "item_done",
        "tool_call",
        "item_done",
        "done",
    ]
    result = done_of(events).result
    assert result is not None
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_w1", "get_weather", {"city": "Zürich"}),
        ("call_t2", "get_time", {"tz": "UTC"}),
    ]
    assert result.finish_reason == "tool_calls"
    assert result.text == ""
    assert result.usage.total_tokens == 95


def test_openai_chunks_with_tool_calls_and_usage_chunk() -> None:
    events, error = assemble(
        "stream_openai_tool_calls_usage.sse", requested_model="openai/gpt-4o-mini"
    )
    assert error is None
    assert [event.type for event in events] == [
        "other",
        "text",
        "tool_call",
        "tool_call",
        "tool_call",
        "tool_call",
        "other",
        "other",
        "done",
    ]
    assert events[6].finish_reason == "tool_calls"
    usage_event = events[7]
    assert usage_event.usage is not None and usage_event.usage.cost == 0.0000175
    done = done_of(events)
    assert done.result is not None and done.usage is not None and done.meta is not None
    assert done.raw is None  # emitted at [DONE]
    assert done.result.text == "Let me check. "
    assert [(c.id, c.name, c.arguments) for c in done.result.tool_calls] == [
        ("call_o1", "get_weather", {"city": "Lyon"}),
        ("call_o2", "get_time", {}),
    ]
    assert done.finish_reason == "tool_calls"
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.cost) == (
        33,
        21,
        0.0000175,
    )
    assert (done.meta.request_id, done.meta.model, done.meta.provider) == (
        "chatcmpl-s1",
        "openai/gpt-4o-mini",
        "openai",
    )


def test_openai_completion_chunks() -> None:
    events, error = assemble("stream_openai_completion.sse")
    assert error is None
    assert [event.text_delta for event in events] == ["Once", " upon", " a time", ""]
    done = done_of(events)
    assert done.result is not None and done.meta is not None and done.usage is not None
    assert (done.result.text, done.finish_reason) == ("Once upon a time", "length")
    assert done.meta.endpoint == "completion"
    assert done.usage.cost is None


def test_legacy_data_chunks() -> None:
    events, error = assemble("stream_legacy_data.sse")
    assert error is None
    assert [event.text_delta for event in events] == ["Hel", "lo, ", "wörld!", "", ""]
    assert events[3].finish_reason == "stop"
    done = done_of(events)
    assert done.result is not None and done.usage is not None and done.meta is not None
    assert done.result.text == "Hello, wörld!"
    assert (done.usage.total_tokens, done.usage.cost) == (9, 0.0000123)
    assert (done.meta.request_id, done.meta.model) == (
        "req_ls_1",
        "anthropic/claude-3-haiku-20240307",
    )


def test_error_event_raises_authentication_error() -> None:
    events, error = assemble("stream_error_event.sse")
    assert isinstance(error, errors.AuthenticationError)
    assert "Status 401" in str(error)
    assert [event.type for event in events] == ["start", "text"]


def test_cut_stream_is_not_complete() -> None:
    assembler = StreamAssembler()
    decoder = SSEDecoder()
    events = [
        e for p in decoder.feed(read("stream_cut.sse")) + decoder.flush() for e in assembler.feed(p)
    ]
    assert [event.type for event in events] == ["start", "other", "text"]
    assert assembler.complete is False
    with pytest.raises(errors.StreamInterruptedError, match="incomplete"):
        assembler.finish()


def test_responses_images_and_unknown_events_done_without_done_marker() -> None:
    events, error = assemble("stream_responses_image.sse")
    assert error is None
    assert [event.type for event in events] == [
        "start",
        "text",
        "other",
        "other",
        "other",
        "image",
        "image",
        "other",
        "done",
    ]
    done = done_of(events)
    assert done.result is not None and done.meta is not None and done.usage is not None
    first, second = done.result.images
    assert first.media_type == "image/png"
    assert first.data is not None and first.data.startswith(b"\x89PNG")
    assert (second.url, second.data) == ("https://cdn.indoxhub.com/img/second.png", None)
    assert done.meta.byok is True  # "byok_api_key": true in the final response
    assert done.usage.cost == 0.0
    assert done.meta.model == "google/gemini-2.0-flash-exp-image-generation"


# --------------------------------------------------------------------------- assembler units


def feed_all(assembler: StreamAssembler, *payloads: Any) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    for payload in payloads:
        events += assembler.feed(payload if isinstance(payload, str) else json.dumps(payload))
    return events


def test_done_marker_alone_and_nothing_after_done() -> None:
    assembler = StreamAssembler()
    events = feed_all(assembler, "[DONE]", {"data": "late"}, "[DONE]")
    assert [event.type for event in events] == ["done"]
    assert assembler.complete is True
    assembler.finish()
    assert events[0].result is not None and events[0].result.text == ""


def test_done_marker_after_response_done_emits_nothing() -> None:
    assembler = StreamAssembler()
    events = feed_all(assembler, {"type": "response.done", "response": {}}, "[DONE]")
    assert [event.type for event in events] == ["done"]


def test_byok_header_marks_stream() -> None:
    assembler = StreamAssembler(headers={"X-RateLimit-Bypass": "BYOK API key used"})
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "cost": 0.5}
    events = feed_all(assembler, {"choices": [], "usage": usage}, "[DONE]")
    assert events[0].usage is not None and events[0].usage.cost == 0.0
    done = done_of(events)
    assert done.meta is not None and done.usage is not None
    assert (done.meta.byok, done.meta.rate_limit_bypass) == (True, "BYOK API key used")
    assert done.usage.cost == 0.0


def test_byok_sent_and_header_request_id() -> None:
    assembler = StreamAssembler(headers={"X-Request-ID": "hdr-9"}, byok_sent=True)
    done = done_of(feed_all(assembler, {"data": "x"}, "[DONE]"))
    assert done.meta is not None and done.usage is not None
    assert (done.meta.request_id, done.meta.byok, done.usage.cost) == ("hdr-9", True, 0.0)


@pytest.mark.parametrize("payload", ["not json", "{broken", "x" * 1000])
def test_malformed_payload_raises_without_echoing_much(payload: str) -> None:
    with pytest.raises(errors.StreamInterruptedError, match="malformed stream event") as caught:
        StreamAssembler().feed(payload)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"error": "Status 401 - bad key"}, errors.AuthenticationError),
        ({"error": {"message": "Status 429 too many"}}, errors.RateLimitError),
        ({"error": {"code": "boom"}}, errors.ProviderError),
        ({"type": "error", "message": "server exploded"}, errors.ProviderError),
        (
            {"type": "response.error", "error": {"message": "Status 402 no credits"}},
            errors.InsufficientCreditsError,
        ),
        (
            {"type": "response.failed", "response": {"error": {"message": "failed!"}}},
            errors.ProviderError,
        ),
    ],
)
def test_error_events(payload: dict[str, Any], kind: type[Exception]) -> None:
    with pytest.raises(kind):
        StreamAssembler().feed(json.dumps(payload))


def test_blank_non_object_and_null_error_payloads() -> None:
    assembler = StreamAssembler()
    assert assembler.feed("   ") == []
    assert [event.type for event in assembler.feed("[1, 2]")] == ["other"]
    assert [event.type for event in assembler.feed('{"data": "ok", "error": null}')] == ["text"]


def test_openai_reasoning_content_and_mixed_chunk() -> None:
    assembler = StreamAssembler()
    events = feed_all(
        assembler,
        {"choices": [{"delta": {"reasoning_content": "hmm "}}]},
        {
            "choices": [
                {
                    "delta": {"content": "Hi", "tool_calls": [{"function": {"name": "f"}}]},
                    "finish_reason": "tool_calls",
                }
            ]
        },
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{bad"}}]}}]},
        "[DONE]",
    )
    assert [event.type for event in events] == [
        "reasoning",
        "text",
        "tool_call",
        "tool_call",
        "done",
    ]
    assert events[2].finish_reason == "tool_calls" and events[1].finish_reason is None
    result = done_of(events).result
    assert result is not None
    assert (result.reasoning, result.text) == ("hmm ", "Hi")
    assert [(c.id, c.name, c.arguments, c.raw_arguments) for c in result.tool_calls] == [
        ("call_0", "f", {}, "{bad")
    ]
    assert not result.tool_calls[0].is_valid


def test_responses_text_only_in_item_done_and_reasoning_item() -> None:
    assembler = StreamAssembler()
    item = {
        "type": "message",
        "id": "m1",
        "content": [{"type": "output_text", "text": "Whole"}],
        "reasoning": [{"type": "summary_text", "text": "Why"}],
    }
    events = feed_all(
        assembler,
        {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message"}},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"status": "completed"}},
    )
    assert (events[1].type, events[1].text_delta, events[1].reasoning_delta) == (
        "item_done",
        "Whole",
        "Why",
    )
    result = done_of(events).result
    assert result is not None
    assert (result.text, result.reasoning, result.finish_reason) == ("Whole", "Why", "stop")


def test_responses_unkeyed_deltas_not_duplicated_by_item_done() -> None:
    assembler = StreamAssembler()
    item = {"type": "message", "content": [{"type": "output_text", "text": "AB"}]}
    events = feed_all(
        assembler,
        {"type": "response.content_part.delta", "delta": "A"},
        {"type": "response.content_part.delta", "delta": "B"},
        {"type": "response.output_item.done", "item": item},
        {"type": "response.done", "response": {"status": "completed"}},
    )
    result = done_of(events).result
    assert result is not None and result.text == "AB"


def test_responses_deltas_keyed_by_index_item_done_keyed_by_id_not_duplicated() -> None:
    item = {"type": "message", "id": "msg_9", "content": [{"type": "output_text", "text": "Hi"}]}
    events = feed_all(
        StreamAssembler(),
        {"type": "response.output_text.delta", "output_index": 0, "delta": "Hi"},
        {"type": "response.output_item.done", "item": item},
        {"type": "response.output_item.done", "item": {**item, "id": "msg_10", "content": "Yo"}},
        "[DONE]",
    )
    assert [event.text_delta for event in events] == ["Hi", "", "Yo", ""]
    result = done_of(events).result
    assert result is not None and result.text == "HiYo"


def test_responses_answer_only_in_final_response_and_incomplete() -> None:
    assembler = StreamAssembler()
    output = [
        {"type": "message", "content": [{"type": "output_text", "text": "Late"}]},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"x": 1}'},
    ]
    events = feed_all(
        assembler, {"type": "response.incomplete", "response": {"id": "r", "output": output}}
    )
    result = done_of(events).result
    assert result is not None
    assert result.text == "Late"
    assert [(c.id, c.arguments) for c in result.tool_calls] == [("c1", {"x": 1})]
    assert result.finish_reason == "tool_calls"
    plain = done_of(feed_all(StreamAssembler(), {"type": "response.incomplete", "response": {}}))
    assert plain.finish_reason == "length"


def test_legacy_final_chunk_without_text() -> None:
    events = feed_all(StreamAssembler(), {"finish_reason": "length"}, "[DONE]")
    assert (events[0].type, events[0].finish_reason) == ("other", "length")
    assert done_of(events).finish_reason == "length"


def test_unknown_endpoint_rejected() -> None:
    with pytest.raises(ValueError, match="unknown indoxhub endpoint"):
        StreamAssembler("nope")

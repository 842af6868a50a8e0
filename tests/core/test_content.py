"""Content helpers: image parts, tool choices, tool-call chunks, params, saving media."""

from __future__ import annotations

import pytest

from indoxhub_integrations.core import content
from indoxhub_integrations.core.errors import (
    InvalidRequestError,
)
from indoxhub_integrations.core.wire import GeneratedImage, ToolCall, ToolCallChunk


def test_image_parts() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 8
    part = content.image_part_from_bytes(png)
    assert part["image"]["media_type"] == "image/png"
    from_url = content.image_part_from_url("data:image/jpeg;base64," + part["image"]["data"])
    assert from_url["image"] == {"data": part["image"]["data"], "media_type": "image/jpeg"}
    assert content.image_part_from_url("https://x/y.png") == {
        "type": "image",
        "image": {"url": "https://x/y.png"},
    }
    with pytest.raises(InvalidRequestError):
        content.image_part_from_url("ftp://x")


def test_tool_choice_forms() -> None:
    names = ["get_weather"]
    assert content.tool_choice_to_wire("auto", names) == "auto"
    assert content.tool_choice_to_wire(True, names) == "required"
    assert content.tool_choice_to_wire("any", names) == "required"
    forced = {"type": "function", "function": {"name": "get_weather"}}
    assert content.tool_choice_to_wire("get_weather", names) == forced
    assert content.tool_choice_to_wire({"name": "get_weather"}, names) == forced
    with pytest.raises(InvalidRequestError, match="not among"):
        content.tool_choice_to_wire("nope", names)


def test_tool_call_chunks_join_and_round_trip() -> None:
    chunks = [
        ToolCallChunk(index=0, id="c1", name="f", arguments_delta='{"a"'),
        ToolCallChunk(index=1, id="c2", name="g", arguments_delta=""),
        ToolCallChunk(index=0, arguments_delta=": 1}"),
    ]
    calls = content.join_tool_call_chunks(chunks)
    assert calls == [ToolCall(id="c1", name="f", arguments={"a": 1}), ToolCall(id="c2", name="g")]
    wire = content.tool_calls_to_wire(calls)
    assert wire[0]["function"] == {"name": "f", "arguments": '{"a": 1}'}
    assert content.parse_arguments("not json") == {"_raw": "not json"}


def test_merge_params_nested() -> None:
    merged = content.merge_params(
        {"temperature": 0.1, "additional_params": {"a": 1, "b": 1}},
        {"additional_params": {"b": 2}, "temperature": 0.5},
    )
    assert merged == {"temperature": 0.5, "additional_params": {"a": 1, "b": 2}}


def test_save_image_and_audio(tmp_path: object) -> None:
    png = b"\x89PNG\r\n\x1a\nabc"
    path = content.save_image(GeneratedImage(data=png), tmp_path, "img")  # type: ignore[arg-type]
    assert path is not None and path.read_bytes() == png and path.suffix == ".png"
    assert content.save_image(GeneratedImage(url="https://x"), tmp_path, "img") is None  # type: ignore[arg-type]
    audio = content.save_audio(b"RIFFxxxx", tmp_path, "speech", "wav")  # type: ignore[arg-type]
    assert audio.suffix == ".wav" and audio.read_bytes() == b"RIFFxxxx"

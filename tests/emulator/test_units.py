"""Pure parts of the emulator, without a server: schema values, tokens, pieces, media, limits."""

from __future__ import annotations

import io
import math
import wave
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from indoxhub_integrations.emulator import media
from indoxhub_integrations.emulator.catalog import MODELS
from indoxhub_integrations.emulator.model import (
    chat_reply,
    count_tokens,
    embed,
    pieces,
)
from indoxhub_integrations.emulator.schema_values import ValueSource, build_value
from indoxhub_integrations.emulator.state import EmulatorState

from ..conftest import scaled

SchemaErrors = Callable[[Any, Any], list[str]]


def _bounded(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    low = st.integers(-50, 50)
    return st.tuples(low, st.integers(0, 100)).map(
        lambda pair: {"type": kind, "minimum": pair[0], "maximum": pair[0] + pair[1]}
    )


strings = st.one_of(
    st.just({"type": "string"}),
    st.tuples(st.integers(0, 5), st.integers(0, 20)).map(
        lambda p: {"type": "string", "minLength": p[0], "maxLength": p[0] + p[1]}
    ),
    st.lists(st.text(max_size=5), min_size=1, max_size=3).map(lambda e: {"enum": e}),
    st.sampled_from(["date", "date-time", "email", "uri", "uuid"]).map(
        lambda f: {"type": "string", "format": f}
    ),
)
leaves = st.one_of(
    strings,
    _bounded("integer"),
    _bounded("number"),
    st.just({"type": "integer"}),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.just({"const": "fixed"}),
)


def _object(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": sorted(props)[: len(props) // 2 + 1],
        "additionalProperties": False,
    }


valid_schemas = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), children, max_size=4).map(
            _object
        ),
        st.tuples(children, st.integers(0, 3), st.integers(0, 3)).map(
            lambda t: {"type": "array", "items": t[0], "minItems": t[1], "maxItems": t[1] + t[2]}
        ),
        st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options}),
        children.map(
            lambda c: {"type": ["null", c["type"]]} if isinstance(c.get("type"), str) else c
        ),
    ),
    max_leaves=15,
)


def test_the_schema_checker_itself(schema_errors: SchemaErrors) -> None:
    assert schema_errors(5, {"type": "string"})
    assert schema_errors({}, {"type": "object", "required": ["a"]})
    assert schema_errors({"a": 1, "b": 2}, {"properties": {"a": {}}, "additionalProperties": False})
    assert schema_errors([], {"type": "array", "minItems": 1})
    assert schema_errors("x", {"anyOf": [{"type": "integer"}, {"type": "null"}]})
    assert schema_errors(3, {"type": "integer", "maximum": 2})
    assert schema_errors(
        {"a": "x"},
        {"properties": {"a": {"$ref": "#/$defs/N"}}, "$defs": {"N": {"type": "integer"}}},
    )
    assert schema_errors(1, {"type": "integer", "minimum": 0}) == []


@settings(max_examples=scaled(300))
@given(schema=valid_schemas, text=st.text(max_size=60), every=st.booleans())
def test_built_values_validate(
    schema_errors: SchemaErrors, schema: dict[str, Any], text: str, every: bool
) -> None:
    value = build_value(schema, ValueSource(text), all_properties=every)
    assert schema_errors(value, schema) == []


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda c: (
        st.lists(c, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "properties",
                    "required",
                    "items",
                    "anyOf",
                    "allOf",
                    "oneOf",
                    "enum",
                    "$ref",
                    "minItems",
                    "maxItems",
                    "minLength",
                    "prefixItems",
                    "minimum",
                    "exclusiveMinimum",
                    "format",
                    "x",
                ]
            ),
            c,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=scaled(300))
@given(schema=junk, text=st.text(max_size=40))
def test_junk_schemas_never_raise(schema: Any, text: str) -> None:
    build_value(schema, ValueSource(text), all_properties=True)
    build_value(schema, ValueSource(text))


def test_values_come_from_the_message() -> None:
    schema = {
        "type": "object",
        "required": ["city", "count", "price", "unit", "flag"],
        "properties": {
            "city": {"type": "string"},
            "count": {"type": "integer"},
            "price": {"type": "number"},
            "flag": {"type": "boolean"},
            "unit": {"type": "string", "enum": ["m", "km"]},
        },
    }
    value = build_value(schema, ValueSource("Go to 'Rome' 3 times for price: 9.5"))
    assert value == {"city": "Rome", "count": 3, "price": 9.5, "unit": "m", "flag": True}
    recursive = {"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]}
    assert isinstance(build_value(recursive, ValueSource("x")), dict)


def test_tokens_and_pieces() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("") == 0
    text = "Echo  from\tthe  model. "
    assert "".join(pieces(text)) == text
    assert pieces("a b c d e", 2) == ["a b c", " d e"]
    assert len(pieces("one two", 200)) == 2


def test_chat_reply_is_pure() -> None:
    model = MODELS["openai/gpt-4o-mini"]
    messages = [{"role": "user", "content": "hi"}]
    first = chat_reply(model, messages, {}, None)
    assert first == chat_reply(model, messages, {}, None)
    assert first.input_tokens == 5
    assert first.output_tokens == count_tokens(first.text)
    padded = chat_reply(model, messages, {"emulator_chunks": 50}, None)
    assert len(pieces(padded.text, 50)) == 50


def test_embed_is_a_unit_vector() -> None:
    vector = embed("some words here", 32)
    assert len(vector) == 32
    assert math.isclose(sum(x * x for x in vector), 1.0, abs_tol=1e-5)
    assert embed("", 8) == [1.0] + [0.0] * 7


def test_png_and_wav() -> None:
    image = media.png(3, 2, bytes(range(18)))
    assert image.startswith(media.PNG_SIGNATURE)
    assert media.image_size("1024x1792") == (293, 512)
    assert media.image_size("256x128") == (256, 128)
    assert media.image_size(aspect_ratio="4:3") == (512, 384)
    assert media.image_size("junk") == (512, 512)
    audio = media.wav("héllo")
    assert media.wav_text(audio) == "héllo"
    assert media.wav_text(b"not audio") is None
    with wave.open(io.BytesIO(audio)) as reader:
        frames = reader.getnframes()
    assert frames == round(media.wav_seconds(audio) * media.SAMPLE_RATE) > 0


def test_rate_windows() -> None:
    state = EmulatorState.create(
        credits=1.0, tier="free", style="responses", latency=0.0, api_key="k"
    )
    for _ in range(10):
        assert state.check_rate(1) is None
    limited = state.check_rate(1)
    assert limited is not None and limited.limit_type == "requests_per_minute"
    state.set_tier("unlimited")
    assert all(state.check_rate(1) is None for _ in range(100))
    assert state.charge(2.0, 1) == 1.0  # cannot pay: balance returned
    assert state.charge(0.25, 1) is None
    assert state.credits == 0.75

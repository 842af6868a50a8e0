"""Every documented response shape (tests/fixtures/*.json) -> the normalized wire models."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indoxhub_integrations.core import errors
from indoxhub_integrations.core.catalog import estimate_cost, parse_model_catalog
from indoxhub_integrations.core.parsing import parse_chat, parse_meta, parse_usage
from indoxhub_integrations.core.parsing_media import (
    parse_embeddings,
    parse_images,
    parse_speech,
    parse_speech_bytes,
    parse_transcription,
)
from indoxhub_integrations.core.wire import ModelInfo, Usage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- usage


def test_usage_responses_vocabulary_has_no_cost() -> None:
    usage = parse_usage(load("chat_responses_text_reasoning.json")["usage"], byok=False)
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (42, 18, 60)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (10, 7)
    assert usage.cost is None
    assert usage.cost_estimated is False


def test_usage_legacy_cost_field_wins_over_breakdown() -> None:
    usage = parse_usage(load("chat_legacy_cost.json")["usage"], byok=False)
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (12, 9, 21)
    assert (usage.cached_tokens, usage.reasoning_tokens) == (4, 2)
    assert usage.cost == 0.000171


def test_usage_legacy_sums_breakdown_parts_when_no_cost() -> None:
    usage = parse_usage(load("chat_legacy_cost_breakdown_parts.json")["usage"], byok=False)
    assert usage.cost == pytest.approx(0.0003 + 0.0012 + 0.00001 + 0 + 0.0002 + 0.01)
    assert usage.total_tokens == 300


def test_usage_openai_total_cost_wins_over_parts() -> None:
    usage = parse_usage(load("chat_openai_cost_breakdown_total.json")["usage"], byok=False)
    assert usage.cost == 0.00042
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (50, 25, 75)


def test_usage_openai_details() -> None:
    usage = parse_usage(load("chat_openai_choices.json")["usage"], byok=False)
    assert (usage.cached_tokens, usage.reasoning_tokens, usage.cost) == (3, 11, None)


def test_usage_reported_zero_cost_is_zero_not_unknown() -> None:
    assert parse_usage({"tokens_prompt": 1, "cost": 0}, byok=False).cost == 0.0


@pytest.mark.parametrize("usage", [None, {}, {"cost_breakdown": {"note": "n/a"}}])
def test_usage_without_cost_is_unknown_not_zero(usage: dict[str, Any] | None) -> None:
    assert parse_usage(usage, byok=False).cost is None


@pytest.mark.parametrize("usage", [None, {"tokens_prompt": 5, "cost": 0.5}, {"prompt_tokens": 5}])
def test_usage_byok_costs_zero(usage: dict[str, Any] | None) -> None:
    assert parse_usage(usage, byok=True).cost == 0.0


def test_usage_total_summed_when_not_reported_and_characters_read() -> None:
    usage = parse_usage({"input_tokens": 3, "output_tokens": 4, "characters": 42}, byok=False)
    assert usage.total_tokens == 7
    assert usage.characters == 42


def test_usage_tolerates_strings_and_ignores_bools() -> None:
    usage = parse_usage(
        {"prompt_tokens": "12", "completion_tokens": True, "cost": "0.5"}, byok=False
    )
    assert (usage.input_tokens, usage.output_tokens, usage.cost) == (12, 0, 0.5)


@given(
    st.sampled_from(
        [
            ("input_tokens", "output_tokens", "total_tokens"),
            ("tokens_prompt", "tokens_completion", "tokens_total"),
            ("prompt_tokens", "completion_tokens", "total_tokens"),
        ]
    ),
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.none() | st.integers(0, 10**8),
    st.booleans(),
)
def test_usage_property_any_vocabulary(
    names: tuple[str, str, str], inputs: int, outputs: int, total: int | None, byok: bool
) -> None:
    body: dict[str, Any] = {names[0]: inputs, names[1]: outputs}
    if total is not None:
        body[names[2]] = total
    usage = parse_usage(body, byok=byok)
    assert (usage.input_tokens, usage.output_tokens) == (inputs, outputs)
    assert usage.total_tokens == (inputs + outputs if total is None else total)
    assert usage.cost == (0.0 if byok else None)


# --------------------------------------------------------------------------- meta


def test_meta_request_id_precedence_and_case_insensitive_headers() -> None:
    headers = httpx.Headers({"X-Request-ID": "hdr-1"})
    assert parse_meta({"request_id": "a", "id": "b"}, headers, endpoint="chat").request_id == "a"
    assert parse_meta({"id": "b"}, headers, endpoint="chat").request_id == "b"
    assert parse_meta({}, {"X-REQUEST-ID": "hdr-2"}, endpoint="chat").request_id == "hdr-2"
    assert parse_meta({}, {}, endpoint="chat").request_id is None


@pytest.mark.parametrize(
    ("model", "provider", "requested", "expected"),
    [
        ("gpt-4o-mini", "openai", None, ("openai", "openai/gpt-4o-mini")),
        ("openai/gpt-4o-mini", None, None, ("openai", "openai/gpt-4o-mini")),
        ("openai/gpt-4o-mini", "openai", None, ("openai", "openai/gpt-4o-mini")),
        (None, None, "anthropic/claude-3-haiku", ("anthropic", "anthropic/claude-3-haiku")),
        ("gpt-4o-2024-08-06", None, "openai/gpt-4o", ("openai", "openai/gpt-4o-2024-08-06")),
        (
            "meta-llama/Llama-3",
            None,
            "together/meta-llama/Llama-3",
            ("together", "together/meta-llama/Llama-3"),
        ),
        ("meta-llama/Llama-3", "together", None, ("together", "together/meta-llama/Llama-3")),
        ("bare-model", None, None, (None, "bare-model")),
        (None, None, None, (None, None)),
    ],
)
def test_meta_model_normalised_to_provider_slash_model(
    model: str | None, provider: str | None, requested: str | None, expected: tuple[Any, Any]
) -> None:
    body = {"model": model, "provider": provider}
    meta = parse_meta(body, {}, endpoint="chat", requested_model=requested)
    assert (meta.provider, meta.model) == expected


@pytest.mark.parametrize(
    ("body", "headers", "byok_sent", "bypass"),
    [
        ({"byok_api_key": True}, {}, False, None),
        ({}, {"X-RateLimit-Bypass": "BYOK API key used"}, False, "BYOK API key used"),
        ({}, {"x-rate-limit-bypass": "yes"}, False, "yes"),
        ({}, {}, True, None),
    ],
)
def test_meta_byok_marked_three_ways(
    body: dict[str, Any], headers: dict[str, str], byok_sent: bool, bypass: str | None
) -> None:
    meta = parse_meta(body, headers, endpoint="chat", byok_sent=byok_sent)
    assert meta.byok is True
    assert meta.rate_limit_bypass == bypass


def test_meta_not_byok_when_body_flag_false() -> None:
    assert parse_meta({"byok_api_key": False}, {}, endpoint="chat").byok is False


def test_meta_duration_prefers_body_then_elapsed() -> None:
    assert parse_meta({"duration_ms": 12}, {}, endpoint="chat", elapsed_ms=99.5).duration_ms == 12
    assert parse_meta({}, {}, endpoint="chat", elapsed_ms=99.5).duration_ms == 99.5


def test_meta_endpoint_aliases_and_unknown() -> None:
    assert parse_meta({}, {}, endpoint="embeddings").endpoint == "embedding"
    assert parse_meta({}, {}, endpoint="tts").endpoint == "text_to_speech"
    with pytest.raises(ValueError, match="unknown indoxhub endpoint"):
        parse_meta({}, {}, endpoint="nope")


# --------------------------------------------------------------------------- chat


def test_chat_responses_text_and_reasoning() -> None:
    body = load("chat_responses_text_reasoning.json")
    result = parse_chat(body, {"x-request-id": "ignored"}, elapsed_ms=1000.0)
    assert result.text == "The capital of France is Paris — très belle."
    assert result.reasoning == "The user asks for a capital city.\nFrance's capital is Paris."
    assert result.finish_reason == "stop"
    assert result.tool_calls == []
    assert result.meta.request_id == "resp_6f1c2a9e"
    assert (result.meta.provider, result.meta.model) == ("openai", "openai/o3-mini")
    assert result.meta.duration_ms == 812
    assert result.meta.endpoint == "chat"
    assert result.usage.total_tokens == 60
    assert result.usage.cost is None
    assert result.raw == body


def test_chat_responses_function_calls() -> None:
    result = parse_chat(load("chat_responses_function_call.json"), {})
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_weather_1", "get_weather", {"city": "Paris", "unit": "celsius"}),
        ("call_time_2", "get_time", {"tz": "Europe/Paris"}),
    ]
    assert result.finish_reason == "tool_calls"
    assert result.text == ""
    assert result.meta.model == "openai/gpt-4o-mini"
    assert result.meta.provider == "openai"


def test_chat_legacy_with_cost() -> None:
    result = parse_chat(load("chat_legacy_cost.json"), {})
    assert result.text == "Hello! How can I help you today?"
    assert result.finish_reason == "stop"
    assert result.images == []
    assert result.usage.cost == 0.000171
    assert result.meta.request_id == "req_legacy_001"
    assert result.meta.model == "anthropic/claude-3-sonnet-20240229"
    assert result.meta.duration_ms == 530.5


def test_chat_legacy_cost_breakdown_parts_and_images_in_index_order() -> None:
    result = parse_chat(load("chat_legacy_cost_breakdown_parts.json"), {})
    assert result.usage.cost == pytest.approx(0.01171)
    assert [image.url for image in result.images] == [
        "https://cdn.indoxhub.com/img/first.png",
        "https://cdn.indoxhub.com/img/second.png",
    ]


def test_chat_legacy_tool_calls_generated_id_and_raw_arguments() -> None:
    result = parse_chat(load("chat_legacy_tool_calls.json"), {})
    assert [(c.id, c.name, c.arguments, c.raw_arguments) for c in result.tool_calls] == [
        ("call_abc", "get_weather", {"city": "Tokyo"}, None),
        ("call_1", "lookup", {}, "{not json"),
    ]
    assert result.tool_calls[0].is_valid and not result.tool_calls[1].is_valid
    assert "invalid JSON" in (result.tool_calls[1].arguments_error or "")
    assert result.finish_reason == "tool_calls"
    assert result.usage.cost == 0.000021


def test_chat_legacy_byok_body_flag() -> None:
    result = parse_chat(load("chat_legacy_byok.json"), {})
    assert result.meta.byok is True
    assert result.usage.cost == 0.0


def test_chat_byok_header_forces_zero_cost() -> None:
    headers = {"X-RateLimit-Bypass": "BYOK API key used"}
    result = parse_chat(load("chat_legacy_cost.json"), headers)
    assert result.meta.byok is True
    assert result.meta.rate_limit_bypass == "BYOK API key used"
    assert result.usage.cost == 0.0


def test_chat_openai_choices_with_reasoning_content() -> None:
    result = parse_chat(load("chat_openai_choices.json"), {})
    assert result.text == "Bonjour !"
    assert result.reasoning == "A greeting in French."
    assert result.finish_reason == "stop"
    assert result.meta.request_id == "chatcmpl-123"
    assert result.meta.model == "deepseek/deepseek-reasoner"
    assert result.usage.cost is None


def test_chat_openai_content_parts_tool_calls_and_total_cost() -> None:
    result = parse_chat(load("chat_openai_cost_breakdown_total.json"), {})
    assert result.text == "Checking two cities. One moment."
    assert [(c.id, c.arguments["city"]) for c in result.tool_calls] == [
        ("call_m1", "Rome"),
        ("call_m2", "Oslo"),
    ]
    assert result.finish_reason == "tool_calls"
    assert result.usage.cost == 0.00042


@pytest.mark.parametrize(
    ("name", "text", "finish", "model"),
    [
        ("completion_responses.json", "Once upon a time", "length", "openai/gpt-4o-mini"),
        (
            "completion_legacy.json",
            "Roses are red,\nviolets are blue.",
            "stop",
            "mistral/mistral-large-latest",
        ),
        ("completion_openai.json", " a quick brown fox", "length", "openai/gpt-3.5-turbo-instruct"),
    ],
)
def test_completions_in_each_style(name: str, text: str, finish: str, model: str) -> None:
    result = parse_chat(load(name), {}, endpoint="completion")
    assert (result.text, result.finish_reason, result.meta.model) == (text, finish, model)
    assert result.meta.endpoint == "completion"


def test_chat_requested_model_fills_missing_model() -> None:
    body = {"data": "hi", "usage": {"tokens_prompt": 1, "tokens_completion": 1}}
    result = parse_chat(body, {}, requested_model="google/gemini-1.5-pro", byok_sent=True)
    assert (result.meta.provider, result.meta.model) == ("google", "google/gemini-1.5-pro")
    assert result.meta.byok is True
    assert result.usage.cost == 0.0
    assert result.finish_reason is None


def test_chat_openai_null_content_and_legacy_function_call() -> None:
    body = {
        "choices": [
            {
                "message": {"content": None, "function_call": {"name": "f", "arguments": "{}"}},
                "finish_reason": "function_call",
            }
        ]
    }
    result = parse_chat(body, {})
    assert result.text == ""
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [("call_0", "f", {})]
    assert result.finish_reason == "function_call"


@pytest.mark.parametrize(
    ("arguments", "expected", "raw", "error"),
    [
        ('{"a": 1}', {"a": 1}, None, None),
        ({"a": 1}, {"a": 1}, None, None),
        ("", {}, None, None),
        (None, {}, None, None),
        ("[1, 2]", {}, "[1, 2]", "must be a JSON object, got list"),
        ('{"a": ', {}, '{"a": ', "invalid JSON"),
        ('{"path": "/tm', {}, '{"path": "/tm', "invalid JSON"),
    ],
)
def test_chat_tool_arguments(
    arguments: Any, expected: dict[str, Any], raw: str | None, error: str | None
) -> None:
    body = {"data": None, "tool_calls": [{"function": {"name": "f", "arguments": arguments}}]}
    call = parse_chat(body, {}).tool_calls[0]
    assert (call.arguments, call.raw_arguments) == (expected, raw)
    assert call.is_valid is (error is None)
    assert error is None or error in (call.arguments_error or "")


def test_chat_responses_statuses_and_output_text_fallback() -> None:
    incomplete = {
        "object": "response",
        "status": "incomplete",
        "output": [],
        "incomplete_details": {"reason": "content_filter"},
        "output_text": "Partial",
    }
    result = parse_chat(incomplete, {})
    assert (result.text, result.finish_reason) == ("Partial", "content_filter")
    assert parse_chat({"output": [], "status": "failed"}, {}).finish_reason == "failed"


def test_chat_responses_image_generation_item_and_reasoning_item_content() -> None:
    png = base64.b64encode(PNG_MAGIC + b"rest").decode()
    body = {
        "object": "response",
        "status": "completed",
        "output": [
            {"type": "reasoning", "content": [{"type": "reasoning_text", "text": "Draw."}]},
            {"type": "image_generation_call", "id": "ig_1", "result": png},
            {"type": "message", "content": "Done."},
        ],
    }
    result = parse_chat(body, {})
    assert result.reasoning == "Draw."
    assert result.text == "Done."
    assert result.images[0].media_type == "image/png"
    assert result.images[0].data == PNG_MAGIC + b"rest"


@pytest.mark.parametrize(
    "body", [{"foo": "secret-value", "bar": 1}, {"data": 42}, {"choices": "x", "zed": None}]
)
def test_chat_unrecognised_shape_names_keys_never_values(body: dict[str, Any]) -> None:
    with pytest.raises(errors.ProviderError, match="unrecognised shape") as caught:
        parse_chat(body, {})
    message = str(caught.value)
    for key in body:
        assert key in message
    assert "secret-value" not in message


def test_chat_non_mapping_body_is_provider_error() -> None:
    with pytest.raises(errors.ProviderError, match="a JSON list"):
        parse_chat([1, 2], {})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- embeddings


def test_embeddings_list_of_vectors() -> None:
    result = parse_embeddings(load("embeddings_vectors.json"), {}, elapsed_ms=3.0)
    assert result.vectors == [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    assert result.dimensions == 3
    assert result.usage.input_tokens == 8
    assert result.usage.cost == 0.00000016
    assert result.meta.endpoint == "embedding"
    assert result.meta.model == "openai/text-embedding-3-small"


def test_embeddings_objects_reordered_by_index() -> None:
    result = parse_embeddings(load("embeddings_objects_shuffled.json"), {})
    assert result.vectors == [[1.0, 1.5], [2.0, 2.5], [3.0, 3.5]]
    assert result.dimensions == 2
    assert result.usage.total_tokens == 15
    assert result.usage.cost is None
    assert result.meta.provider == "openai"


def test_embeddings_objects_without_index_keep_order_and_ints_become_floats() -> None:
    result = parse_embeddings({"data": [{"embedding": [1, 2]}, {"embedding": [3, 4]}]}, {})
    assert result.vectors == [[1.0, 2.0], [3.0, 4.0]]
    assert all(isinstance(x, float) for x in result.vectors[0])


def test_embeddings_empty() -> None:
    result = parse_embeddings({"data": []}, {})
    assert (result.vectors, result.dimensions) == ([], None)


@pytest.mark.parametrize(
    "body", [{}, {"data": "nope"}, {"data": [["a"]]}, {"data": [{"embedding": None}]}]
)
def test_embeddings_bad_shapes(body: dict[str, Any]) -> None:
    with pytest.raises(errors.ProviderError, match="embedding"):
        parse_embeddings(body, {})


# --------------------------------------------------------------------------- images


def test_images_url_with_revised_prompt_and_total_cost() -> None:
    result = parse_images(load("images_url.json"), {})
    image = result.images[0]
    assert image.url == "https://cdn.indoxhub.com/img/fox.png"
    assert image.revised_prompt == "A red fox in a snowy forest, watercolor"
    assert (image.data, image.b64_json) == (None, None)
    assert result.usage.cost == 0.04
    assert result.meta.model == "openai/dall-e-3"


def test_images_b64_decoded_with_media_types() -> None:
    body = load("images_b64.json")
    result = parse_images(body, {})
    assert [image.media_type for image in result.images] == [
        "image/png",
        "image/jpeg",
        "image/webp",
    ]
    first = result.images[0]
    assert first.b64_json == body["data"][0]["b64_json"]
    assert first.data is not None and first.data.startswith(PNG_MAGIC)
    assert result.usage.cost == 0.21


def test_images_gif_data_url_and_bad_base64() -> None:
    gif = base64.b64encode(b"GIF89a" + b"\x00" * 8).decode()
    result = parse_images({"data": [{"url": f"data:image/gif;base64,{gif}"}]}, {})
    assert (result.images[0].url, result.images[0].b64_json) == (None, gif)
    assert result.images[0].media_type == "image/gif"
    bad = {"data": [{"url": f"data:image/gif;base64,{gif}"}, {"b64_json": "%%%not-base64"}]}
    with pytest.raises(errors.ProviderError, match="base64"):  # typed, not binascii.Error
        parse_images(bad, {})


@pytest.mark.parametrize("body", [{}, {"data": {"url": "x"}}, {"data": [42]}])
def test_images_bad_shapes(body: dict[str, Any]) -> None:
    with pytest.raises(errors.ProviderError, match="image"):
        parse_images(body, {})


# --------------------------------------------------------------------------- speech


@pytest.mark.parametrize(
    ("name", "fmt", "audio_prefix"),
    [
        ("tts_b64_json.json", "wav", b"RIFF"),
        ("tts_audio.json", "mp3", b"ID3"),
        ("tts_audio_base64.json", "wav", b"RIFF"),
        ("tts_data.json", "mp3", b"\xff\xfb"),
    ],
)
def test_speech_base64_variants(name: str, fmt: str, audio_prefix: bytes) -> None:
    result = parse_speech(load(name), {})
    assert result.format == fmt
    assert result.audio is not None and result.audio.startswith(audio_prefix)
    assert result.url is None
    assert (result.usage.characters, result.usage.cost) == (42, 0.00063)
    assert result.meta.endpoint == "text_to_speech"
    assert result.meta.model == "openai/tts-1"


def test_speech_url() -> None:
    result = parse_speech(load("tts_url.json"), {})
    assert result.url == "https://cdn.indoxhub.com/audio/hello.mp3"
    assert (result.audio, result.format) == (None, "mp3")


def test_speech_string_data_and_unknown_format() -> None:
    assert parse_speech({"data": "https://x/a.ogg"}, {}).url == "https://x/a.ogg"
    raw = base64.b64encode(b"OggS" + b"\x00" * 8).decode()
    assert parse_speech({"data": raw}, {}).format == "ogg"
    assert parse_speech({"data": {"audio": base64.b64encode(b"??").decode()}}, {}).format is None


@pytest.mark.parametrize("body", [{}, {"data": {}}, {"data": {"audio": "%%%"}}, {"data": 3}])
def test_speech_bad_shapes(body: dict[str, Any]) -> None:
    with pytest.raises(errors.ProviderError, match="text_to_speech"):
        parse_speech(body, {})


def test_speech_bytes_format_from_content_type_then_magic() -> None:
    mp3 = parse_speech_bytes(b"ID3...", {"Content-Type": "audio/mpeg"}, elapsed_ms=5.0)
    assert (mp3.audio, mp3.format, mp3.meta.duration_ms) == (b"ID3...", "mp3", 5.0)
    assert mp3.usage.cost is None
    wav = parse_speech_bytes(b"RIFF....WAVE", {"content-type": "application/octet-stream"})
    assert wav.format == "wav"


def test_speech_bytes_byok_header() -> None:
    headers = {"content-type": "audio/wav", "X-RateLimit-Bypass": "BYOK API key used"}
    result = parse_speech_bytes(b"RIFF", headers, requested_model="openai/tts-1")
    assert (result.meta.byok, result.usage.cost, result.meta.model) == (True, 0.0, "openai/tts-1")


# --------------------------------------------------------------------------- transcription


def test_transcription_string_and_object() -> None:
    first = parse_transcription(load("stt_string.json"), {})
    assert (first.text, first.usage.cost) == ("Hello world, this is a test.", 0.0006)
    second = parse_transcription(load("stt_object.json"), {})
    assert (second.text, second.usage.total_tokens) == ("Bonjour le monde.", 36)
    assert second.meta.model == "openai/gpt-4o-transcribe"


def test_transcription_top_level_text_plain_body_and_translation() -> None:
    assert parse_transcription({"text": "top"}, {}).text == "top"
    plain = parse_transcription("just text", {}, endpoint="translation")
    assert (plain.text, plain.meta.endpoint) == ("just text", "translation")


@pytest.mark.parametrize("body", [{}, {"data": {"words": []}}, {"data": 1}])
def test_transcription_bad_shapes(body: dict[str, Any]) -> None:
    with pytest.raises(errors.ProviderError, match="speech_to_text"):
        parse_transcription(body, {})


# --------------------------------------------------------------------------- model catalog


def _prices(models: list[ModelInfo]) -> list[tuple[Any, ...]]:
    return [(m.id, m.type, m.prompt_price, m.completion_price, m.price_unit_tokens) for m in models]


def test_catalog_list_of_providers() -> None:
    models = parse_model_catalog(load("models_catalog.json"))
    assert _prices(models) == [
        ("openai/gpt-4o-mini", "chat", 0.00015, 0.0006, 1000),
        ("openai/text-embedding-3-small", "embedding", 0.00002, None, 1000),
        ("openai/dall-e-3", "image", None, None, 1000),
        ("anthropic/claude-3-sonnet-20240229", "chat", 3.0, 15.0, 1_000_000),
    ]
    assert (models[0].provider, models[0].name) == ("openai", "gpt-4o-mini")
    assert models[0].raw["pricing"]["unit"] == "1K tokens"


def test_catalog_wrapped_in_providers_key() -> None:
    models = parse_model_catalog({"providers": load("models_catalog.json")})
    assert len(models) == 4


def test_catalog_single_provider_single_model_and_flat() -> None:
    provider = parse_model_catalog(load("models_provider.json"))
    assert _prices(provider) == [("mistral/mistral-large-latest", "chat", 0.002, 0.006, 1000)]
    model = parse_model_catalog(load("models_model.json"))
    assert _prices(model) == [("openai/gpt-4o-mini", "chat", 0.00015, 0.0006, 1000)]
    assert model[0].raw["context_window"] == 128000
    flat = parse_model_catalog(load("models_flat.json"))
    assert _prices(flat) == [
        ("deepseek/deepseek-chat", "chat", 0.00000027, 0.0000011, 1),
        ("xai/grok-2-image", "image", None, None, 1000),
    ]


def test_catalog_provider_argument_for_bare_model() -> None:
    models = parse_model_catalog({"name": "gpt-4o"}, provider="openai")
    assert models[0].id == "openai/gpt-4o"


@pytest.mark.parametrize(
    "body", ["text", 3, {"detail": "x"}, [1], [{"name": "bare-without-provider"}]]
)
def test_catalog_bad_shapes(body: Any) -> None:
    with pytest.raises(errors.ProviderError, match="model catalog"):
        parse_model_catalog(body)


@pytest.mark.parametrize(
    ("unit", "tokens"),
    [
        ("1K tokens", 1000),
        ("1k tokens", 1000),
        ("1M tokens", 1_000_000),
        ("per 1M tokens", 1_000_000),
        ("token", 1),
        ("1000 tokens", 1000),
        ("100 tokens", 100),
        (1_000_000, 1_000_000),
        ("1000000", 1_000_000),
        (None, 1000),
    ],
)
def test_catalog_price_units(unit: Any, tokens: int) -> None:
    body = {"id": "p/m", "pricing": {"prompt": 1, "completion": 2, "unit": unit}}
    assert parse_model_catalog(body)[0].price_unit_tokens == tokens


@pytest.mark.parametrize(
    "pricing",
    [
        {"input": 1, "output": 2, "unit": "per request"},
        {"input": "free", "output": 2},
        {"input": -1, "output": 2},
        {"input": float("nan"), "output": 2},
        {"input": 1, "output": 2, "unit": 0},
    ],
)
def test_unreadable_price_makes_the_estimate_unknown(pricing: dict[str, Any]) -> None:
    model = parse_model_catalog({"id": "p/m", "pricing": pricing})[0]
    assert estimate_cost(Usage(input_tokens=10, output_tokens=10), model) is None


def test_catalog_grouped_by_type_as_the_docs_index_reads_it() -> None:
    body = [{"name": "openai",
             "text_completions": [{"modelName": "gpt-4o-mini", "inputPricePer1KTokens": 0.00015,
                                   "outputPricePer1KTokens": 0.0006}],
             "embeddings": [{"modelName": "text-embedding-3-small",
                             "inputPricePer1KTokens": 0.00002}]}]  # fmt: skip
    models = {m.id: m for m in parse_model_catalog(body)}
    assert models["openai/gpt-4o-mini"].type == "chat"
    assert models["openai/text-embedding-3-small"].type == "embedding"
    assert models["openai/gpt-4o-mini"].completion_price == 0.0006


def test_catalog_published_and_stored_forms() -> None:
    published = [{"id": "openai", "name": "OpenAI", "capabilities": ["chat"], "models": [
        {"id": "gpt-4o-mini", "name": "GPT-4o mini", "provider": "openai",
         "pricing": {"input": 0.00015, "output": 0.0006, "currency": "USD",
                     "unit": "1K tokens"}}]}]  # fmt: skip
    stored = {"modelName": "gpt-4o-mini", "inputPricePer1KTokens": 0.00015,
              "outputPricePer1KTokens": 0.0006}  # fmt: skip
    usage = Usage(input_tokens=1000, output_tokens=1000)
    for model in (parse_model_catalog(published)[0],
                  parse_model_catalog(stored, provider="openai")[0]):  # fmt: skip
        assert model.id == "openai/gpt-4o-mini"
        assert estimate_cost(usage, model) == pytest.approx(0.00075)


# --------------------------------------------------------------------------- cost estimate


def test_estimate_cost_formula_without_rounding() -> None:
    model = parse_model_catalog(load("models_model.json"))[0]
    usage = Usage(input_tokens=1234, output_tokens=567)
    assert estimate_cost(usage, model) == 1234 * 0.00015 / 1000 + 567 * 0.0006 / 1000


def test_estimate_cost_per_million_and_per_token() -> None:
    anthropic = parse_model_catalog(load("models_catalog.json"))[3]
    assert estimate_cost(Usage(input_tokens=1_000_000, output_tokens=0), anthropic) == 3.0
    deepseek = parse_model_catalog(load("models_flat.json"))[0]
    assert estimate_cost(Usage(input_tokens=10, output_tokens=10), deepseek) == pytest.approx(
        10 * 0.00000027 + 10 * 0.0000011
    )


def test_estimate_cost_missing_prices() -> None:
    catalog = parse_model_catalog(load("models_catalog.json"))
    embedding, image = catalog[1], catalog[2]
    assert estimate_cost(Usage(input_tokens=1000), embedding) == pytest.approx(0.00002)
    assert estimate_cost(Usage(input_tokens=1000, output_tokens=1), embedding) is None
    assert estimate_cost(Usage(input_tokens=1000), image) is None


# --------------------------------------------------------------------------- error bodies


def test_error_fixtures_map_to_exceptions() -> None:
    detail = errors.error_from_response(401, load("error_detail_string.json"))
    assert isinstance(detail, errors.AuthenticationError)
    assert detail.message == "Invalid API key"
    invalid = errors.error_from_response(422, load("error_validation_422.json"))
    assert isinstance(invalid, errors.InvalidRequestError)
    assert "body.messages: field required" in invalid.message
    limited = errors.error_from_response(429, load("error_rate_limit_429.json"))
    assert isinstance(limited, errors.RateLimitError)
    assert (limited.retry_after, limited.source, limited.request_id) == (
        42.0,
        "platform",
        "req_rl_9",
    )
    assert limited.details["limit_type"] == "requests_per_minute"
    missing = errors.error_from_response(404, load("error_model_not_found_404.json"))
    assert isinstance(missing, errors.ModelNotFoundError)
    assert missing.details["available_models"] == ["gpt-4o", "gpt-4o-mini"]


# --------------------------------------------------------------------------- every fixture


def _parse_any(name: str, body: Any) -> Any:
    if name.startswith("chat_"):
        return parse_chat(body, {})
    if name.startswith("completion_"):
        return parse_chat(body, {}, endpoint="completion")
    parsers = {
        "embeddings_": parse_embeddings,
        "images_": parse_images,
        "tts_": parse_speech,
        "stt_": parse_transcription,
    }
    for prefix, parser in parsers.items():
        if name.startswith(prefix):
            return parser(body, {})
    if name.startswith("models_"):
        return parse_model_catalog(body)
    assert name.startswith("error_"), f"fixture {name} has no parser"
    return errors.error_from_response(400, body)


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.json")))
def test_every_json_fixture_parses(name: str) -> None:
    assert _parse_any(name, load(name)) is not None

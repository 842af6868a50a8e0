"""One rule for what a catalog entry says a model can do: parsed once into ``ModelInfo``;
``model_profile`` only renames its fields, and unknown capabilities stay unset."""

from __future__ import annotations

from typing import Any

import pytest

from indoxhub_integrations.core.catalog import model_profile, parse_model_catalog
from indoxhub_integrations.core.wire import ModelInfo


def _parse(**entry: Any) -> ModelInfo:
    (info,) = parse_model_catalog([{"id": "openai/x", **entry}])
    return info


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({}, {}),
        ({"context_window": 128000}, {"max_input_tokens": 128000}),
        ({"contextWindow": 8192, "max_output_tokens": 4096},
         {"max_input_tokens": 8192, "max_output_tokens": 4096}),
        ({"context_window": None, "reasoning": True}, {"reasoning_output": True}),
        ({"capabilities": ["chat", "Tools", "vision"]},
         {"tool_calling": True, "image_inputs": True}),
        ({"supports_tools": False, "capabilities": ["tools"]}, {"tool_calling": False}),
        ({"context_window": True}, {}),
        ({"supports_json": True, "supports_reasoning": False},
         {"structured_output": True, "reasoning_output": False}),
        ({"capabilities": {"function_calling": True, "vision": False}},
         {"tool_calling": True, "image_inputs": False}),
        ({"input_modalities": ["text", "image"], "supported_parameters": ["tools", "json_mode"]},
         {"image_inputs": True, "tool_calling": True, "structured_output": True}),
    ],
)  # fmt: skip
def test_model_profile(entry: dict[str, Any], expected: dict[str, Any]) -> None:
    assert model_profile(_parse(**entry)) == expected


def test_a_list_that_does_not_name_a_capability_says_nothing() -> None:
    # The service's docs list gpt-4 with ``["chat", "completion"]``: endpoint kinds, not
    # everything it can do. Both frameworks see "unknown", never "no".
    info = _parse(capabilities=["chat", "completion"], context_length=8192)
    assert (info.function_calling, info.vision, info.structured_output, info.reasoning) == (
        None, None, None, None,
    )  # fmt: skip
    assert model_profile(info) == {"max_input_tokens": 8192}


def test_the_profile_reads_the_parsed_fields_not_raw() -> None:
    info = ModelInfo(
        id="a/m", provider="a", name="m", context_window=1000, function_calling=False,
        raw={"context_window": 5, "supports_tools": True},
    )  # fmt: skip
    assert model_profile(info) == {"max_input_tokens": 1000, "tool_calling": False}


def test_an_input_limit_listed_apart_from_the_window_is_the_profiles_input_limit() -> None:
    info = _parse(context_window=400000, max_input_tokens=272000, max_output_tokens=128000)
    assert info.context_window == 400000  # LlamaIndex packs prompts into the window
    assert model_profile(info)["max_input_tokens"] == 272000
    assert model_profile(_parse(context_window=8192))["max_input_tokens"] == 8192


def test_image_in_a_capabilities_list_is_not_vision_but_in_input_modalities_it_is() -> None:
    assert _parse(capabilities=["image"]).vision is None  # may be image generation
    assert _parse(input_modalities=["text", "image"]).vision is True
    assert _parse(input_modalities=["text", "image"], supports_vision=False).vision is False

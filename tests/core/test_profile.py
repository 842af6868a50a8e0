"""model_profile: only what a catalog entry states; unknown capabilities stay unset."""

from __future__ import annotations

from typing import Any

import pytest

from indoxhub_integrations.core.catalog import model_profile
from indoxhub_integrations.core.wire import ModelInfo


def _info(**raw: Any) -> ModelInfo:
    return ModelInfo(id="openai/x", provider="openai", name="x", raw=raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
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
    ],
)  # fmt: skip
def test_model_profile(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    assert model_profile(_info(**raw)) == expected

"""Both frameworks read one answer for what a model can do: the ``ModelInfo`` fields the core
parsed from the catalog entry. LangChain's ``profile`` leaves what the catalog does not say
unset; LlamaIndex's ``metadata`` applies its documented defaults to the same ``None``."""

from __future__ import annotations

from typing import Any

import pytest

from indoxhub_integrations.core.catalog import model_profile, parse_model_catalog
from indoxhub_integrations.core.wire import ModelInfo
from indoxhub_integrations.emulator.catalog import DEFAULT
from indoxhub_integrations.langchain import ChatIndoxHub
from indoxhub_integrations.llama_index import IndoxHub
from indoxhub_integrations.llama_index.llms import (
    DEFAULT_CONTEXT_WINDOW,
    DEFAULT_NUM_OUTPUT,
    model_metadata,
)

EMULATOR_CHAT_MODELS = [m for m in parse_model_catalog(DEFAULT.catalog_json()) if m.type == "chat"]


def _metadata(info: ModelInfo) -> Any:
    return model_metadata(
        info, model=info.id, context_window=None, num_output=None, function_calling=None
    )


def _agree(info: ModelInfo) -> None:
    """LangChain's profile and LlamaIndex's metadata say the same where the catalog speaks,
    and each framework's own default where it does not."""
    profile, meta = model_profile(info), _metadata(info)
    assert profile.get("max_input_tokens", DEFAULT_CONTEXT_WINDOW) == meta.context_window
    output = profile.get("max_output_tokens", DEFAULT_NUM_OUTPUT)
    assert min(output, meta.context_window // 2) == meta.num_output
    assert profile.get("tool_calling", True) is meta.is_function_calling_model
    if info.function_calling is None:
        assert "tool_calling" not in profile


@pytest.mark.parametrize("info", EMULATOR_CHAT_MODELS, ids=lambda m: m.id)
def test_every_emulator_chat_model_reads_the_same_in_both_frameworks(info: ModelInfo) -> None:
    assert info.function_calling is not None and info.vision is not None  # the emulator says
    _agree(info)


@pytest.mark.parametrize(
    "entry",
    [
        # the service docs' example: endpoint kinds only, so tools are unknown, not denied
        {"id": "gpt-4", "provider": "openai", "capabilities": ["chat", "completion"],
         "context_length": 8192, "pricing": {"prompt": 0.03, "completion": 0.06}},
        {"id": "a/m", "capabilities": ["chat", "function_calling"], "max_output_tokens": 100},
        {"id": "a/m", "supports_function_calling": False, "context_window": 1000},
        {"id": "a/m"},
    ],
)  # fmt: skip
def test_any_catalog_entry_reads_the_same_in_both_frameworks(entry: dict[str, Any]) -> None:
    (info,) = parse_model_catalog([entry])
    _agree(info)


def test_the_docs_gpt4_entry_leaves_tools_unknown_to_both() -> None:
    (info,) = parse_model_catalog(
        {"models": [{"id": "gpt-4", "provider": "openai", "capabilities": ["chat", "completion"],
                     "context_length": 8192}]}
    )  # fmt: skip
    assert info.function_calling is None
    assert "tool_calling" not in model_profile(info)  # LangChain: unknown
    assert _metadata(info).is_function_calling_model is True  # LlamaIndex: documented default


@pytest.mark.parametrize(
    "model", ["deepseek/deepseek-reasoner", "openai/gpt-4o-mini", "openai/gpt-4"]
)
def test_both_adapters_read_the_emulator_the_same(emulator: Any, model: str) -> None:
    connection = {"base_url": emulator.base_url, "api_key": emulator.api_key}
    profile = ChatIndoxHub(model=model, **connection).load_profile()
    llm = IndoxHub(model=model, **connection)
    meta = llm.metadata
    assert profile["max_input_tokens"] == meta.context_window
    assert profile["tool_calling"] is meta.is_function_calling_model
    assert profile["image_inputs"] is llm.supports_vision

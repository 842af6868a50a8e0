"""``IndoxHub.metadata`` from the model catalog: context window, output limit, capabilities."""

from __future__ import annotations

from typing import Any

import pytest
from li_support import connection, model_calls
from llama_index.core import Document, SummaryIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.indices.prompt_helper import PromptHelper
from llama_index.core.query_engine import RetrieverQueryEngine

from indoxhub_integrations.core.catalog import parse_model_catalog
from indoxhub_integrations.core.errors import ServiceUnavailableError
from indoxhub_integrations.llama_index import IndoxHub
from indoxhub_integrations.llama_index.llms import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUT


def _catalog_calls(emulator: Any) -> list[Any]:
    return [r for r in emulator.requests if "/models" in r.path]


def test_metadata_comes_from_the_catalog(emulator: Any) -> None:
    meta = IndoxHub(model="openai/gpt-4o-mini", **connection(emulator)).metadata
    assert meta.context_window == 128000
    assert meta.num_output == 16384
    assert meta.is_function_calling_model and meta.is_chat_model
    claude = IndoxHub(model="anthropic/claude-3-haiku-20240307", **connection(emulator))
    assert (claude.metadata.context_window, claude.metadata.num_output) == (200000, 4096)
    assert claude.supports_vision is True


def test_capabilities_the_catalog_denies(emulator: Any) -> None:
    llm = IndoxHub(model="deepseek/deepseek-reasoner", **connection(emulator))
    assert llm.metadata.is_function_calling_model is False
    assert llm.supports_vision is False
    assert llm.metadata.context_window == 64000


def test_the_catalog_is_read_once_per_configuration(emulator: Any) -> None:
    llm = IndoxHub(**connection(emulator))
    for _ in range(5):
        assert llm.metadata.context_window == 128000
    llm.model = "xai/grok-2"
    assert llm.metadata.context_window == 131072
    assert len(_catalog_calls(emulator)) == 1
    llm.timeout = 30.0  # a new configuration: new clients, one new fetch
    assert llm.metadata.context_window == 131072
    assert len(_catalog_calls(emulator)) == 2


def test_unknown_models_fall_back_to_the_defaults(emulator: Any) -> None:
    meta = IndoxHub(model="openai/gpt-9-imaginary", **connection(emulator)).metadata
    assert (meta.context_window, meta.num_output) == (DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUT)
    assert meta.is_function_calling_model


def test_no_key_or_no_server_falls_back_without_raising() -> None:
    assert IndoxHub(base_url="http://127.0.0.1:9").metadata.context_window == 8192
    offline = IndoxHub(api_key="k", base_url="http://127.0.0.1:9", max_retries=0)
    assert offline.metadata.context_window == DEFAULT_CONTEXT_WINDOW


def test_user_settings_win(emulator: Any) -> None:
    llm = IndoxHub(
        context_window=32000, num_output=500, is_function_calling_model=False,
        **connection(emulator),
    )  # fmt: skip
    meta = llm.metadata
    assert (meta.context_window, meta.num_output) == (32000, 500)
    assert meta.is_function_calling_model is False
    assert IndoxHub(max_tokens=300, **connection(emulator)).metadata.num_output == 300


def test_prompt_packing_sees_a_128k_model_as_128k(emulator: Any) -> None:
    llm = IndoxHub(model="openai/gpt-4o-mini", **connection(emulator))
    assert PromptHelper.from_llm_metadata(llm.metadata).context_window == 128000
    # ~12k tokens of context: more than 8192, far less than 128k.
    docs = [Document(text=f"Fact {i}: " + "the lighthouse keeper rows ashore. " * 500)
            for i in range(4)]  # fmt: skip
    index = SummaryIndex.from_documents(docs)
    engine = RetrieverQueryEngine.from_args(index.as_retriever(), llm=llm, response_mode="compact")
    assert str(engine.query("Who rows ashore?"))
    assert len([r for r in model_calls(emulator) if r.endpoint == "chat"]) == 1


@pytest.mark.parametrize(
    ("entry", "window", "output", "tools", "vision"),
    [
        ({"id": "a/m", "context_length": 1000, "max_completion_tokens": 10}, 1000, 10, None, None),
        ({"id": "a/m", "capabilities": ["chat"]}, None, None, None, None),  # says nothing
        (
            {"id": "a/m", "capabilities": {"function_calling": True, "vision": False}},
            None,
            None,
            True,
            False,
        ),
        (
            {"id": "a/m", "supported_parameters": ["tools"], "input_modalities": ["text", "image"]},
            None,
            None,
            True,
            True,
        ),
        (
            {
                "id": "a/m",
                "supports_function_calling": False,
                "supports_vision": True,
                "context_window": "2048",
            },
            2048,
            None,
            False,
            True,
        ),
        ({"id": "a/m", "context_window": None, "max_output_tokens": -1}, None, None, None, None),
    ],
)
def test_catalog_entries_are_read_in_every_spelling(
    entry: dict[str, Any], window: Any, output: Any, tools: Any, vision: Any
) -> None:
    (info,) = parse_model_catalog([entry])
    assert (info.context_window, info.max_output_tokens) == (window, output)
    assert (info.function_calling, info.vision) == (tools, vision)


def test_a_catalog_that_fails_is_not_refetched_on_every_access(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = IndoxHub(**connection(emulator))
    client = llm.clients.sync
    calls: list[str] = []

    def failing(provider: str | None = None) -> Any:
        calls.append("models")
        raise ServiceUnavailableError("catalog down")

    monkeypatch.setattr(client, "list_models", failing)
    for _ in range(3):
        assert llm.metadata.context_window == DEFAULT_CONTEXT_WINDOW
    assert calls == ["models"]


def test_no_catalog_request_when_everything_is_given(emulator: Any) -> None:
    llm = IndoxHub(
        context_window=64000,
        num_output=256,
        is_function_calling_model=True,
        estimate_cost=False,
        **connection(emulator),
    )  # fmt: skip  (no cost estimate either: it reads the catalog too)
    llm.chat([ChatMessage(content="hi")])
    assert llm.metadata.context_window == 64000
    assert _catalog_calls(emulator) == []


def test_the_first_call_reads_the_catalog_once(emulator: Any) -> None:
    llm = IndoxHub(**connection(emulator))
    for _ in range(3):
        llm.chat([ChatMessage(content="hi")])
    assert len(_catalog_calls(emulator)) == 1

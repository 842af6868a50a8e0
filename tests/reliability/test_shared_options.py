"""The connection options are one core model shared by every class of both frameworks:
same defaults, one BYOK answer, one client-rebuild rule for copies, assignment and pickles."""

from __future__ import annotations

import asyncio
import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from indoxhub_integrations.core.options import IndoxHubOptions, option_names
from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubEmbeddings,
    IndoxHubImageGenerationTool,
    IndoxHubLLM,
    IndoxHubSpeechToTextTool,
    IndoxHubTextToSpeechTool,
)
from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding, IndoxHubToolSpec

CLASSES: list[type[Any]] = [
    ChatIndoxHub,
    IndoxHubLLM,
    IndoxHubEmbeddings,
    IndoxHubImageGenerationTool,
    IndoxHubTextToSpeechTool,
    IndoxHubSpeechToTextTool,
    IndoxHub,
    IndoxHubEmbedding,
    IndoxHubToolSpec,
]
IDS = [cls.__name__ for cls in CLASSES]
DEAD_URL = "http://127.0.0.1:9"


def _make(cls: type[Any], **options: Any) -> Any:
    return cls(**options)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_every_class_inherits_the_core_options(cls: type[Any]) -> None:
    assert issubclass(cls, IndoxHubOptions)
    assert option_names() <= set(cls.model_fields)


def test_both_frameworks_share_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDOXHUB_API_KEY", "env-key")
    reference = IndoxHubOptions().option_values()
    assert reference["timeout"] == 60.0 and reference["max_retries"] == 2
    assert reference["byok_api_keys"] == {}
    for cls in CLASSES:
        assert _make(cls).option_values() == reference, cls.__name__


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_plain_keys_become_secrets_everywhere(cls: type[Any]) -> None:
    model = _make(cls, api_key="plain", byok_api_key="sk-own", byok_api_keys={"openai": "k"})
    assert isinstance(model.api_key, SecretStr) and isinstance(model.byok_api_key, SecretStr)
    assert isinstance(model.byok_api_keys["openai"], SecretStr)
    model.api_key = "assigned"
    assert isinstance(model.api_key, SecretStr)
    assert model.api_key.get_secret_value() == "assigned"
    copied = model.model_copy(update={"byok_api_key": "sk-new", "byok_api_keys": {"x": "y"}})
    assert isinstance(copied.byok_api_key, SecretStr)
    assert isinstance(copied.byok_api_keys["x"], SecretStr)
    dumped = repr(model.model_dump()) + repr(model) + repr(copied)
    assert "plain" not in dumped and "assigned" not in dumped and "sk-new" not in dumped


def _copies() -> list[tuple[str, Callable[[Any, dict[str, Any]], Any]]]:
    def model_copy(model: Any, update: dict[str, Any]) -> Any:
        return model.model_copy(update=update)

    def deep(model: Any, update: dict[str, Any]) -> Any:
        other = copy.deepcopy(model)
        for name, value in update.items():
            setattr(other, name, value)
        return other

    def pickled(model: Any, update: dict[str, Any]) -> Any:
        other = pickle.loads(pickle.dumps(model))
        other.api_key = model.api_key  # pickles keep SecretStr keys as they are
        for name, value in update.items():
            setattr(other, name, value)
        return other

    return [("model_copy", model_copy), ("deepcopy", deep), ("pickle", pickled)]


@pytest.mark.parametrize("how", [name for name, _ in _copies()])
@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_a_copy_talks_to_its_own_server_with_its_own_key(
    cls: type[Any], how: str, emulator: Any
) -> None:
    make_copy = dict(_copies())[how]
    model = _make(cls, api_key=emulator.api_key, base_url=emulator.base_url)
    original_client = model.clients.sync  # built and cached before copying
    other = make_copy(model, {"base_url": DEAD_URL, "api_key": "other-key"})
    assert isinstance(other.api_key, SecretStr)
    settings = other.clients.sync.settings
    assert settings.base_url == DEAD_URL
    assert settings.api_key.get_secret_value() == "other-key"
    assert other.clients.sync is not original_client
    # The original is untouched: same fields, same cached client.
    assert model.base_url == emulator.base_url
    assert model.api_key.get_secret_value() == emulator.api_key
    assert model.clients.sync is original_client


def test_assignment_rebuilds_the_clients(emulator: Any) -> None:
    for cls in CLASSES:
        model = _make(cls, api_key=emulator.api_key, base_url=emulator.base_url)
        first = model.clients.sync
        assert model.clients.sync is first  # cached while nothing changes
        model.timeout = 5
        assert model.clients.sync is not first
        assert model.clients.sync.settings.timeout == 5.0


def test_copies_really_use_the_new_server(emulator: Any) -> None:
    from indoxhub_integrations.core.errors import APIConnectionError, AuthenticationError

    chat = ChatIndoxHub(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)
    assert chat.invoke("hi").content
    with pytest.raises(Exception) as dead:
        chat.model_copy(update={"base_url": DEAD_URL}).invoke("hi")
    assert isinstance(dead.value, APIConnectionError)
    llm = IndoxHub(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)
    assert llm.complete("hi").text
    with pytest.raises(AuthenticationError):
        llm.model_copy(update={"api_key": "wrong-key"}).complete("hi")
    assert llm.complete("hi").text  # the original keeps its key and client


def test_blank_env_byok_key_is_no_byok(monkeypatch: pytest.MonkeyPatch, emulator: Any) -> None:
    monkeypatch.setenv("INDOXHUB_BYOK_API_KEY", "")
    chat = ChatIndoxHub(api_key=emulator.api_key, base_url=emulator.base_url)
    assert not chat.uses_byok("openai/gpt-4o-mini")
    params = chat._get_invocation_params()
    assert not params.get("byok")
    assert IndoxHub(api_key=emulator.api_key).uses_byok("openai/gpt-4o-mini") is False
    chat.invoke("hi")
    assert emulator.requests[-1].byok is False


def test_byok_answer_follows_core_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    model = IndoxHubOptions(byok_api_keys={"OpenAI": "sk-x"})
    assert model.uses_byok("openai/gpt-4o") and not model.uses_byok("anthropic/claude")
    assert IndoxHubOptions().uses_byok("openai/gpt-4o", per_call="sk-call")
    assert not IndoxHubOptions().uses_byok("openai/gpt-4o", per_call="  ")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert IndoxHubOptions(byok_from_env=True).uses_byok("openai/gpt-4o")
    assert not IndoxHubOptions(byok_from_env=True).uses_byok("mistral/small")


def test_async_clients_close_with_their_loop(emulator: Any) -> None:
    model = IndoxHubEmbedding(api_key=emulator.api_key, base_url=emulator.base_url)
    seen: list[Any] = []

    async def embed() -> None:
        await model.aget_text_embedding("hello")
        seen.append(model.clients.async_)

    asyncio.run(embed())
    asyncio.run(embed())
    first, second = seen
    assert first is not second  # one client per event loop
    assert first._http is None and second._http is None  # closed when asyncio.run ended


def test_catalog_is_fetched_once_per_configuration(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", json=_no_cost_chat(), times=3)
    model = ChatIndoxHub(api_key=emulator.api_key, base_url=emulator.base_url)

    async def call() -> None:
        await model.ainvoke("hi")

    model.invoke("hi")
    asyncio.run(call())
    asyncio.run(call())
    catalog_fetches = [r for r in emulator.requests if r.path.endswith("/models/")]
    catalog_fetches += [r for r in emulator.requests if r.path.endswith("/models")]
    assert len(catalog_fetches) == 1


def _no_cost_chat() -> dict[str, Any]:
    return {
        "request_id": "req-nocost",
        "data": "hi",
        "model": "openai/gpt-4o-mini",
        "provider": "openai",
        "success": True,
        "usage": {"tokens_prompt": 3, "tokens_completion": 2, "tokens_total": 5},
    }

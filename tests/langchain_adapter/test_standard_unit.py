"""langchain-tests standard unit suites (offline: constructors do no network I/O)."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests, ToolsUnitTests

from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubEmbeddings,
    IndoxHubImageGenerationTool,
    IndoxHubSpeechToTextTool,
    IndoxHubTextToSpeechTool,
)

_ENV = {"INDOXHUB_API_KEY": "env-platform-key"}


class TestChatIndoxHubUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatIndoxHub

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "openai/gpt-4o-mini"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return _ENV, {"model": "openai/gpt-4o-mini"}, {"api_key": "env-platform-key"}

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "anthropic/claude-3-haiku-20240307"


class TestIndoxHubEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return IndoxHubEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "openai/text-embedding-3-small"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return _ENV, {}, {"api_key": "env-platform-key"}


class TestImageToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return IndoxHubImageGenerationTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": "openai/dall-e-3"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red square", "size": "1024x1024"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return _ENV, {}, {"api_key": "env-platform-key"}


class TestTextToSpeechToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return IndoxHubTextToSpeechTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"text": "hello there", "voice": "alloy"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return _ENV, {}, {"api_key": "env-platform-key"}


class TestSpeechToTextToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return IndoxHubSpeechToTextTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"audio_path": "speech.wav"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return _ENV, {}, {"api_key": "env-platform-key"}

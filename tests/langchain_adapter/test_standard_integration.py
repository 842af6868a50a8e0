"""langchain-tests standard integration suites, run against the local indoxhub emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import (
    ChatModelIntegrationTests,
    EmbeddingsIntegrationTests,
    ToolsIntegrationTests,
)

from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubEmbeddings,
    IndoxHubImageGenerationTool,
    IndoxHubSpeechToTextTool,
    IndoxHubTextToSpeechTool,
)


class _OnEmulator:
    """Points the suite's constructor parameters at the session's emulator."""

    _server: Any = None

    @pytest.fixture(autouse=True)
    def _on_emulator(self, emulator: Any, offline_media: list[str]) -> None:
        self._server = emulator

    def _connection(self) -> dict[str, Any]:
        return {"base_url": self._server.base_url, "api_key": self._server.api_key}


class TestChatIndoxHubIntegration(_OnEmulator, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatIndoxHub

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "openai/gpt-4o-mini", **self._connection()}

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "anthropic/claude-3-haiku-20240307"


class TestIndoxHubEmbeddingsIntegration(_OnEmulator, EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return IndoxHubEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "openai/text-embedding-3-small", **self._connection()}


class _ToolOnEmulator(_OnEmulator):
    _output_dir: Path | None = None

    @pytest.fixture(autouse=True)
    def _tool_output(self, tmp_path: Path) -> None:
        self._output_dir = tmp_path


class TestImageToolIntegration(_ToolOnEmulator, ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return IndoxHubImageGenerationTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {
            "model": "openai/dall-e-3",
            "output_dir": str(self._output_dir),
            **self._connection(),
        }

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "a red square on white", "size": "1024x1024"}


class TestTextToSpeechToolIntegration(_ToolOnEmulator, ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return IndoxHubTextToSpeechTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": "openai/tts-1", "output_dir": str(self._output_dir), **self._connection()}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"text": "hello from the emulator", "voice": "alloy"}


class TestSpeechToTextToolIntegration(_ToolOnEmulator, ToolsIntegrationTests):
    _audio: Path | None = None

    @pytest.fixture(autouse=True)
    def _speech(self, _tool_output: None, _on_emulator: None) -> None:
        speaker = IndoxHubTextToSpeechTool(
            model="openai/tts-1",
            output_dir=str(self._output_dir),
            audio_format="wav",
            **self._connection(),
        )
        self._audio = Path(speaker.invoke({"text": "the quick brown fox"}))

    @property
    def tool_constructor(self) -> type[BaseTool]:
        return IndoxHubSpeechToTextTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {
            "model": "openai/whisper-1",
            "root_dir": str(self._output_dir),
            **self._connection(),
        }

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"audio_path": str(self._audio)}

"""LangChain tools for indoxhub's media endpoints: image generation, text to speech, speech to text.

Each tool takes the shared fields (``model`` is the image, speech or transcription model; keys
and BYOK as for the chat model) plus ``output_dir`` where generated files are written, and
reports the usage and cost of each request to the active indoxhub callback handlers.

Failures an agent's model can recover from (a bad argument, a missing file or one outside
``root_dir``, a provider's refusal or failure, a rate limit) come back to the model as the
tool's answer (a ``ToolException`` handled by ``handle_tool_error``, on by default), holding no
key. Failures of the account itself (authentication, no credits, a budget exceeded) raise to the
caller's code (``raise_account_errors=True``, the default), since every later call would fail.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field

from ..core.content import file_under_root, save_audio, save_image
from ..core.errors import IndoxHubError, tool_error_message
from ..core.media_download import afetch_images, afetch_speech, fetch_images, fetch_speech
from ..core.usage import AnyResult, record_from_result
from ..core.wire import ImageResult, SpeechResult
from ._fields import ExtraParamsFields, IndoxHubFields
from .callbacks import report_usage
from .errors import map_errors

RunManager = CallbackManagerForToolRun | AsyncCallbackManagerForToolRun


class _IndoxHubTool(IndoxHubFields, ExtraParamsFields, BaseTool):
    """Shared fields and reporting of the indoxhub tools."""

    output_dir: str | None = None
    """Folder for generated files (default: ``<temp dir>/indoxhub``)."""

    handle_tool_error: bool | str | Callable[[ToolException], str] | None = True
    """How a recoverable failure reaches the agent: ``True`` (default) returns its message to
    the model as the tool's answer, a string or function replaces the message, ``False``
    raises the ``ToolException`` to the caller instead."""

    raise_account_errors: bool = True
    """Raise authentication, credit and budget failures to the caller (default). ``False``
    treats them like the others: a message to the model."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Tools are not serialized (their ``repr`` still masks every key)."""
        return False

    def _folder(self) -> Path:
        return Path(self.output_dir) if self.output_dir else Path(tempfile.gettempdir(), "indoxhub")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Core errors inside the block: account-level ones raise, the rest become
        ``ToolException`` s with a key-free message for the model."""
        try:
            with map_errors():
                yield
        except IndoxHubError as error:
            if error.account_level and self.raise_account_errors:
                raise
            raise ToolException(tool_error_message(error)) from None

    @staticmethod
    def _report(result: AnyResult, run_manager: RunManager | None) -> None:
        handlers = run_manager.handlers if run_manager is not None else ()
        report_usage(record_from_result(result), handlers)


# ---------------------------------------------------------------- image generation
class ImageGenerationInput(BaseModel):
    """Arguments of the image generation tool."""

    prompt: str = Field(description="A detailed description of the image to generate.")
    size: str | None = Field(
        default=None, description="Image size such as '1024x1024' (leave empty for the default)."
    )
    aspect_ratio: str | None = Field(
        default=None, description="Aspect ratio such as '1:1' or '16:9' (Google models)."
    )
    n: int = Field(default=1, ge=1, le=4, description="How many images to generate.")


class IndoxHubImageGenerationTool(_IndoxHubTool):
    """Generate images with any indoxhub image model (DALL-E, Imagen, Grok...).

    Returns the image URL (or the path of the saved file, for inline images) as content and
    the images themselves (``url``, ``path``, ``base64``, ``mime_type``, ``revised_prompt``)
    as the artifact.
    """

    name: str = "indoxhub_image_generation"
    """The tool name the model calls."""
    description: str = (
        "Generate an image from a text description. Input: a detailed prompt. "
        "Returns where the generated image can be found (URL or file path)."
    )
    """What the model is told the tool does."""
    args_schema: type[BaseModel] = ImageGenerationInput
    """The tool's arguments."""
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    """The image location as content, the images as artifact."""

    model: str = Field(default="openai/dall-e-3", alias="model_name")
    """The image model in ``provider/model`` form."""

    size: str | None = None
    """Default size when the caller gives none (Google models map it to an aspect ratio)."""

    def _params(self, size: str | None, aspect_ratio: str | None, n: int) -> dict[str, Any]:
        params = dict(self.model_kwargs)
        params.update(size=size or self.size, aspect_ratio=aspect_ratio, n=n)
        return {key: value for key, value in params.items() if value is not None}

    def _output(self, result: ImageResult) -> tuple[str, list[dict[str, Any]]]:
        locations: list[str] = []
        artifact: list[dict[str, Any]] = []
        for index, image in enumerate(result.images):
            path = None
            if image.data is not None or image.b64_json:
                path = save_image(image, self._folder(), f"image-{index}")
            location = str(path) if path else image.url
            if location:
                locations.append(location)
            artifact.append(
                {
                    "url": image.url,
                    "path": str(path) if path else None,
                    "base64": image.b64_json,
                    "mime_type": image.media_type,
                    "revised_prompt": image.revised_prompt,
                }
            )
        if not locations:
            return "The image model returned no image.", artifact
        return "\n".join(locations), artifact

    def _run(
        self,
        prompt: str,
        size: str | None = None,
        aspect_ratio: str | None = None,
        n: int = 1,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        with self._errors():
            params = self._params(size, aspect_ratio, n)
            result = self.clients.sync.generate_image(prompt, model=self.model, **params)
        self._report(result, run_manager)
        with map_errors():  # a URL-only answer is downloaded into output_dir
            return self._output(fetch_images(result))

    async def _arun(
        self,
        prompt: str,
        size: str | None = None,
        aspect_ratio: str | None = None,
        n: int = 1,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        with self._errors():
            params = self._params(size, aspect_ratio, n)
            result = await self.clients.async_.generate_image(prompt, model=self.model, **params)
        self._report(result, run_manager)
        with map_errors():
            return self._output(await afetch_images(result))


# ---------------------------------------------------------------- text to speech
class TextToSpeechInput(BaseModel):
    """Arguments of the text to speech tool."""

    text: str = Field(description="The text to speak.")
    voice: str | None = Field(
        default=None, description="Voice name such as 'alloy' (leave empty for the default)."
    )


class IndoxHubTextToSpeechTool(_IndoxHubTool):
    """Turn text into speech with any indoxhub speech model; writes the audio to a file.

    Returns the file path as content; the artifact is the audio bytes, or, when the server
    answered with a URL (the documented form; the file is downloaded into ``output_dir``),
    ``{"url", "path", "format"}``.
    """

    name: str = "indoxhub_text_to_speech"
    """The tool name the model calls."""
    description: str = (
        "Convert text to spoken audio. Input: the text to speak. "
        "Returns the path of the audio file."
    )
    """What the model is told the tool does."""
    args_schema: type[BaseModel] = TextToSpeechInput
    """The tool's arguments."""
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    """The audio file path as content, the audio bytes as artifact."""

    model: str = Field(default="openai/tts-1", alias="model_name")
    """The speech model in ``provider/model`` form."""

    voice: str | None = None
    """Default voice when the caller gives none."""

    audio_format: str | None = None
    """Audio format to ask for (``mp3``, ``wav``...); the server's default when unset."""

    def _params(self, voice: str | None) -> dict[str, Any]:
        params = dict(self.model_kwargs)
        params.update(voice=voice or self.voice, response_format=self.audio_format)
        return {key: value for key, value in params.items() if value is not None}

    def _output(self, result: SpeechResult) -> tuple[str, bytes | dict[str, Any]]:
        if result.audio:
            audio_format = result.format or self.audio_format
            path = save_audio(result.audio, self._folder(), "speech", audio_format)
            if result.url:  # downloaded from the answer's URL: keep the URL too
                return str(path), {"url": result.url, "path": str(path), "format": audio_format}
            return str(path), result.audio
        return "The speech model returned no audio.", {}

    def _run(
        self,
        text: str,
        voice: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, bytes | dict[str, Any]]:
        with self._errors():
            result = self.clients.sync.text_to_speech(text, model=self.model, **self._params(voice))
        self._report(result, run_manager)
        with map_errors():  # a URL answer is downloaded into output_dir
            return self._output(fetch_speech(result))

    async def _arun(
        self,
        text: str,
        voice: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, bytes | dict[str, Any]]:
        with self._errors():
            result = await self.clients.async_.text_to_speech(
                text, model=self.model, **self._params(voice)
            )
        self._report(result, run_manager)
        with map_errors():
            return self._output(await afetch_speech(result))


# ---------------------------------------------------------------- speech to text
class SpeechToTextInput(BaseModel):
    """Arguments of the speech to text tool."""

    audio_path: str = Field(description="Path of the audio file to transcribe.")
    language: str | None = Field(
        default=None, description="Spoken language as an ISO-639-1 code, if known."
    )


class IndoxHubSpeechToTextTool(_IndoxHubTool):
    """Transcribe an audio file with any indoxhub transcription model (Whisper...)."""

    name: str = "indoxhub_speech_to_text"
    """The tool name the model calls."""
    description: str = (
        "Transcribe speech in an audio file to text. Input: the audio file path. "
        "Returns the transcript."
    )
    """What the model is told the tool does."""
    args_schema: type[BaseModel] = SpeechToTextInput
    """The tool's arguments."""

    model: str = Field(default="openai/whisper-1", alias="model_name")
    """The transcription model in ``provider/model`` form."""

    language: str | None = None
    """Default spoken language (ISO-639-1), when the caller gives none."""

    root_dir: str | None = None
    """The folder whose files the tool may read (default: the current working directory).
    The model chooses the path, so absolute paths outside it and ``..`` escapes are refused."""

    def _params(self, language: str | None) -> dict[str, Any]:
        params = dict(self.model_kwargs)
        params["language"] = language or self.language
        return {key: value for key, value in params.items() if value is not None}

    def _run(
        self,
        audio_path: str,
        language: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> str:
        with self._errors():
            result = self.clients.sync.speech_to_text(
                file_under_root(audio_path, self.root_dir), model=self.model,
                **self._params(language),
            )  # fmt: skip
        self._report(result, run_manager)
        return result.text

    async def _arun(
        self,
        audio_path: str,
        language: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> str:
        with self._errors():
            result = await self.clients.async_.speech_to_text(
                file_under_root(audio_path, self.root_dir), model=self.model,
                **self._params(language),
            )  # fmt: skip
        self._report(result, run_manager)
        return result.text

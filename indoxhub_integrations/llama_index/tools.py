"""``IndoxHubToolSpec``: image generation, text to speech and speech to text as agent tools."""

import functools
from pathlib import Path
from typing import Any, ClassVar

from llama_index.core.base.llms.types import AudioBlock, ContentBlock, TextBlock, VideoBlock
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from pydantic import Field, field_validator

from ..core.byok import split_model
from ..core.content import file_under_root, save_audio, save_image
from ..core.media_download import afetch_images, afetch_speech, fetch_images, fetch_speech
from ..core.wire import ImageResult, SpeechResult, VideoJob, VideoResult
from ._fields import IndoxHubConnection
from .instrumentation import dispatch_usage
from .messages import image_block_from_generated


@functools.cache
def tool_outputs_keep_video_blocks() -> bool:
    """Whether this LlamaIndex keeps a ``VideoBlock`` in a tool's output (newer releases do;
    older ones turn a list holding one into its text ``repr``, so the tools leave it out)."""
    try:
        from llama_index.core.tools.function_tool import FunctionTool

        probe: list[Any] = [VideoBlock(url="https://example.invalid/v.mp4"), TextBlock(text="")]
        parse: Any = FunctionTool._parse_tool_output
        return bool(parse(None, probe) == probe)
    except Exception:  # the framework's internals moved: keep the output text-only
        return False


class IndoxHubToolSpec(IndoxHubConnection, BaseToolSpec):
    """indoxhub's media endpoints as LlamaIndex tools (sync and async).

    ``to_tool_list()`` gives ``generate_image`` (returns ``ImageBlock`` s, so agents and UIs get
    the image, plus its URL or saved path), ``text_to_speech`` (an ``AudioBlock`` and the saved
    path), ``speech_to_text`` (audio path in, transcript out) and ``generate_video`` (starts a
    job, waits for it, saves the video under ``output_dir``; a ``VideoBlock`` and the path).
    Every request dispatches an ``IndoxHubUsageEvent``; BYOK comes from the shared fields.

    Example:
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent
            from indoxhub_integrations.llama_index import IndoxHub, IndoxHubToolSpec

            tools = IndoxHubToolSpec(output_dir="media").to_tool_list()
            agent = FunctionAgent(tools=tools, llm=IndoxHub())
    """

    spec_functions: ClassVar[list[SPEC_FUNCTION_TYPE]] = [  # type: ignore[misc]
        ("generate_image", "agenerate_image"),
        ("text_to_speech", "atext_to_speech"),
        ("speech_to_text", "aspeech_to_text"),
        ("generate_video", "agenerate_video"),
    ]

    image_model: str = "openai/dall-e-3"
    """The image generation model, as ``provider/model``."""
    tts_model: str = "openai/tts-1"
    """The text to speech model."""
    stt_model: str = "openai/whisper-1"
    """The speech to text model."""
    video_model: str = "openai/sora-2"
    """The video generation model."""
    video_poll_interval: float = 5.0
    """Seconds before the second poll of a video job (later polls back off up to 30 s)."""
    video_timeout: float | None = 900.0
    """Seconds to wait for a video job; on timeout it keeps running and the error says how to
    resume it."""
    output_dir: Path = Path("indoxhub_output")
    """Where generated images and speech are written (created when needed)."""
    root_dir: Path | None = None
    """The folder whose files ``speech_to_text`` may read (default: the current working
    directory). The model chooses the path, so absolute paths outside it and ``..`` escapes
    are refused."""
    image_size: str | None = None
    """Default image size (``1024x1024``...); ``None``: the provider's default."""
    voice: str | None = None
    """Default voice for text to speech (``alloy``...); ``None``: the provider's default."""
    additional_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra options for every media request (sent in ``additional_params``)."""

    @field_validator("image_model", "tts_model", "stt_model", "video_model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        split_model(value)
        return value

    # ------------------------------------------------------------------ outputs
    def _image_output(self, result: ImageResult) -> list[ContentBlock]:
        blocks: list[ContentBlock] = []
        lines = []
        for number, image in enumerate(result.images, 1):
            saved = save_image(image, self.output_dir, "image")
            block = image_block_from_generated(image)
            if block is not None:
                blocks.append(block)
            where = " ".join(
                part for part in (image.url and f"URL: {image.url}", saved and f"file: {saved}")
                if part
            )  # fmt: skip
            lines.append(f"Image {number}: {where or 'generated'}")
            if image.revised_prompt:
                lines.append(f"Revised prompt: {image.revised_prompt}")
        if not lines:
            lines.append("The image model returned no image.")
        blocks.append(TextBlock(text="\n".join(lines)))
        return blocks

    def _speech_output(self, result: SpeechResult) -> list[ContentBlock]:
        if result.audio:
            path = save_audio(result.audio, self.output_dir, "speech", result.format)
            audio = AudioBlock(audio=result.audio, format=result.format)
            source = [TextBlock(text=f"Speech downloaded from {result.url}")] if result.url else []
            return [audio, *source, TextBlock(text=f"Speech saved to {path}")]
        return [TextBlock(text="The speech model returned no audio.")]

    def _image_options(self, size: str | None) -> dict[str, Any]:
        return {
            "model": self.image_model,
            "size": size or self.image_size,
            **self.additional_kwargs,
        }

    def _speech_options(self, voice: str | None) -> dict[str, Any]:
        return {"model": self.tts_model, "voice": voice or self.voice, **self.additional_kwargs}

    # ------------------------------------------------------------------ tools
    def generate_image(self, prompt: str, size: str | None = None) -> list[ContentBlock]:
        """Generate an image from a text description.

        Args:
            prompt: What the image should show.
            size: Optional size such as 1024x1024.
        """
        result = self.clients.sync.generate_image(prompt, **self._image_options(size))
        dispatch_usage(result)
        return self._image_output(fetch_images(result))  # URL-only images saved to output_dir

    async def agenerate_image(self, prompt: str, size: str | None = None) -> list[ContentBlock]:
        """Generate an image from a text description.

        Args:
            prompt: What the image should show.
            size: Optional size such as 1024x1024.
        """
        result = await self.clients.async_.generate_image(prompt, **self._image_options(size))
        dispatch_usage(result)
        return self._image_output(await afetch_images(result))

    def text_to_speech(self, text: str, voice: str | None = None) -> list[ContentBlock]:
        """Turn text into spoken audio and save it to a file.

        Args:
            text: The text to speak.
            voice: Optional voice name.
        """
        result = self.clients.sync.text_to_speech(text, **self._speech_options(voice))
        dispatch_usage(result)
        return self._speech_output(fetch_speech(result))  # a URL answer saved to output_dir

    async def atext_to_speech(self, text: str, voice: str | None = None) -> list[ContentBlock]:
        """Turn text into spoken audio and save it to a file.

        Args:
            text: The text to speak.
            voice: Optional voice name.
        """
        result = await self.clients.async_.text_to_speech(text, **self._speech_options(voice))
        dispatch_usage(result)
        return self._speech_output(await afetch_speech(result))

    def speech_to_text(self, audio_path: str, language: str | None = None) -> str:
        """Transcribe an audio file into text.

        Args:
            audio_path: Path of the audio file.
            language: Optional language code such as en.
        """
        result = self.clients.sync.speech_to_text(
            file_under_root(audio_path, self.root_dir), model=self.stt_model, language=language
        )
        dispatch_usage(result)
        return result.text

    async def aspeech_to_text(self, audio_path: str, language: str | None = None) -> str:
        """Transcribe an audio file into text.

        Args:
            audio_path: Path of the audio file.
            language: Optional language code such as en.
        """
        result = await self.clients.async_.speech_to_text(
            file_under_root(audio_path, self.root_dir), model=self.stt_model, language=language
        )
        dispatch_usage(result)
        return result.text

    # ------------------------------------------------------------------ video
    def _video_options(self, duration: int | None, aspect_ratio: str | None) -> dict[str, Any]:
        options = {"duration": duration, "aspect_ratio": aspect_ratio, **self.additional_kwargs}
        return {"model": self.video_model, **{k: v for k, v in options.items() if v is not None}}

    def _video_wait(self) -> dict[str, Any]:
        return {"poll_interval": self.video_poll_interval, "timeout": self.video_timeout}

    def _video_output(
        self, job: VideoJob, result: VideoResult, paths: list[Path]
    ) -> list[ContentBlock]:
        blocks: list[ContentBlock] = []
        lines = []
        for number, (video, path) in enumerate(zip(result.videos, paths, strict=True), 1):
            if tool_outputs_keep_video_blocks():
                blocks.append(VideoBlock(url=video.url, video_mimetype=video.content_type))
            lines.append(f"Video {number}: file: {path} URL: {video.url}")
        if not lines:
            lines.append("The video model returned no video.")
        cost = "unknown" if job.usage.cost is None else f"${job.usage.cost:.4f}"
        lines.append(f"Job {job.job_id}, cost {cost}")
        blocks.append(TextBlock(text="\n".join(lines)))
        return blocks

    def generate_video(
        self, prompt: str, duration: int | None = None, aspect_ratio: str | None = None
    ) -> list[ContentBlock]:
        """Generate a short video from a text description and save it to a file.

        Args:
            prompt: What the video shows: scene, action, camera movement.
            duration: Optional length in seconds.
            aspect_ratio: Optional 16:9 (landscape) or 9:16 (portrait).
        """
        client = self.clients.sync
        job = client.generate_video(prompt, **self._video_options(duration, aspect_ratio))
        dispatch_usage(job)
        result = client.wait_for_video(job, **self._video_wait())
        paths = [video.save(self.output_dir) for video in result.videos]
        return self._video_output(job, result, paths)

    async def agenerate_video(
        self, prompt: str, duration: int | None = None, aspect_ratio: str | None = None
    ) -> list[ContentBlock]:
        """Generate a short video from a text description and save it to a file.

        Args:
            prompt: What the video shows: scene, action, camera movement.
            duration: Optional length in seconds.
            aspect_ratio: Optional 16:9 (landscape) or 9:16 (portrait).
        """
        client = self.clients.async_
        job = await client.generate_video(prompt, **self._video_options(duration, aspect_ratio))
        dispatch_usage(job)
        result = await client.wait_for_video(job, **self._video_wait())
        paths = [await video.asave(self.output_dir) for video in result.videos]
        return self._video_output(job, result, paths)

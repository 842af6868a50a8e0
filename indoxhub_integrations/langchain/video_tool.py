"""``IndoxHubVideoGenerationTool``: start a video job, wait for it, save the video, return the path.

Video generation is a job on indoxhub: the tool starts it, polls it (with backoff; in ``_arun``
without blocking the event loop), reports progress to the run's callbacks (``on_text``), saves
every video under ``output_dir`` and returns the paths as content, with the URL, job id and cost
as the artifact. The job's usage record goes to the active indoxhub callback handlers.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from pydantic import BaseModel, Field

from ..core.wire import VideoJob, VideoResult
from .tools import RunManager, _IndoxHubTool


class VideoGenerationInput(BaseModel):
    """Arguments of the video generation tool."""

    prompt: str = Field(
        description="A detailed description of the video: scene, action, camera movement."
    )
    duration: int | None = Field(
        default=None,
        description="Length in seconds (leave empty for the model's default).",
    )
    aspect_ratio: str | None = Field(
        default=None, description="'16:9' (landscape) or '9:16' (portrait), if it matters."
    )


class IndoxHubVideoGenerationTool(_IndoxHubTool):
    """Generate a short video with any indoxhub video model (Sora, Veo, Nova Reel...).

    The tool waits for the job (``poll_interval``, ``wait_timeout``), saves the video files
    under ``output_dir`` and returns their paths; the artifact lists each video's ``path``,
    ``url``, ``content_type`` and ``file_size`` with the ``job_id`` and ``cost``. As with the
    other media tools, a failed job (a content-policy refusal, a provider error), a wait that
    timed out (its message says how to resume the job) or a bad argument comes back to the
    model as the tool's answer; authentication, credit and budget failures raise.

    Example:
        .. code-block:: python

            from indoxhub_integrations.langchain import IndoxHubVideoGenerationTool

            tool = IndoxHubVideoGenerationTool(model="openai/sora-2", output_dir="videos")
            path = tool.invoke({"prompt": "a paper boat on a rainy street"})
    """

    name: str = "indoxhub_video_generation"
    """The tool name the model calls."""
    description: str = (
        "Generate a short video clip from a text description. Input: a detailed prompt. "
        "Returns the path of the saved video file. Slow and costly: call it once per video."
    )
    """What the model is told the tool does."""
    args_schema: type[BaseModel] = VideoGenerationInput
    """The tool's arguments."""
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    """The video paths as content; URL, job id and cost as artifact."""

    model: str = Field(default="openai/sora-2", alias="model_name")
    """The video model in ``provider/model`` form."""
    poll_interval: float = 5.0
    """Seconds before the second status poll (later polls back off up to 30 s)."""
    wait_timeout: float | None = 900.0
    """Seconds to wait for the job in all; on timeout the job keeps running on the server and
    the error says how to resume it."""

    def _params(self, duration: int | None, aspect_ratio: str | None) -> dict[str, Any]:
        params = dict(self.model_kwargs)
        params.update(duration=duration, aspect_ratio=aspect_ratio)
        return {key: value for key, value in params.items() if value is not None}

    def _progress(self, run_manager: RunManager | None) -> Any:
        if run_manager is None:
            return None

        def report(job: VideoJob) -> Any:
            progress = f" {job.progress:.0f}%" if job.progress is not None else ""
            return run_manager.on_text(f"video job {job.job_id}: {job.status}{progress}\n")

        return report

    def _output(
        self, job: VideoJob, result: VideoResult, paths: list[str]
    ) -> tuple[str, dict[str, Any]]:
        videos = [
            {
                "path": path,
                "url": video.url,
                "content_type": video.content_type,
                "file_size": video.file_size,
            }
            for path, video in zip(paths, result.videos, strict=True)
        ]
        artifact = {
            "job_id": job.job_id,
            "model": job.meta.model,
            "cost": job.usage.cost,
            "byok": job.meta.byok,
            "videos": videos,
        }
        content = "\n".join(paths) if paths else "The video model returned no video."
        return content, artifact

    def _run(
        self,
        prompt: str,
        duration: int | None = None,
        aspect_ratio: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        client = self.clients.sync
        with self._errors():
            params = self._params(duration, aspect_ratio)
            job = client.generate_video(prompt, model=self.model, **params)
            self._report(job, run_manager)
            result = client.wait_for_video(
                job, poll_interval=self.poll_interval, timeout=self.wait_timeout,
                on_progress=self._progress(run_manager),
            )  # fmt: skip
            paths = [str(video.save(self._folder())) for video in result.videos]
        return self._output(job, result, paths)

    async def _arun(
        self,
        prompt: str,
        duration: int | None = None,
        aspect_ratio: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        client = self.clients.async_
        with self._errors():
            params = self._params(duration, aspect_ratio)
            job = await client.generate_video(prompt, model=self.model, **params)
            self._report(job, run_manager)
            result = await client.wait_for_video(
                job, poll_interval=self.poll_interval, timeout=self.wait_timeout,
                on_progress=self._progress(run_manager),
            )  # fmt: skip
            folder = self._folder()
            paths = [str(await video.asave(folder)) for video in result.videos]
        return self._output(job, result, paths)

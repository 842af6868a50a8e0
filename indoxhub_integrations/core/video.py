"""Video generation: request bodies with the providers' documented limits, job parsing, and the
polling policy that ``wait_for_video`` follows (pure functions and state; no I/O).

A video is a job: ``POST /api/v1/videos/generations`` answers with a job id and a status;
``GET /api/v1/videos/jobs/{job_id}`` reports progress until the job is ``completed`` (with the
videos' URLs) or ``failed``. The sync and async clients run the same :class:`VideoWait` and
differ only in how they sleep and send.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._values import as_int, as_map, as_num, as_str, shape_error
from .errors import (
    InvalidRequestError,
    VideoGenerationError,
    VideoJobCancelledError,
    VideoWaitTimeout,
)
from .media_download import adownload_media_to, download_media_to
from .parsing import common_fields
from .payloads import _finish, _merge_additional, split_model, split_params, validate_model
from .wire import GeneratedVideo, VideoJob, VideoResult

VIDEO_TOP_LEVEL = frozenset(
    {
        "provider", "aspect_ratio", "resolution", "duration", "n", "size", "input_image",
        "reference_image", "reference_images", "generate_audio", "negative_prompt",
        "person_generation", "last_frame", "video", "response_format",
    }
)  # fmt: skip
"""The documented ``VideoRequest`` fields sent at the top level; the rest go in
``additional_params`` (as the official client sends them)."""

SORA_SIZES = ("1280x720", "720x1280", "1792x1024", "1024x1792")
"""OpenAI Sora sizes named by indoxhub's video guide."""
SORA_SECONDS = (4, 8, 12)
"""OpenAI Sora clip lengths (``seconds``)."""
VEO_ASPECT_RATIOS = ("16:9", "9:16")
"""Google Veo aspect ratios."""
VEO_RESOLUTIONS = ("720p", "1080p")
"""Google Veo resolutions."""
VEO_DURATIONS = range(4, 9)
"""Google Veo durations in seconds ("4-8 seconds depending on model")."""
NOVA_REEL_FIXED = {"size": "1280x720", "dimension": "1280x720", "duration": 6,
                   "duration_seconds": 6, "fps": 24}  # fmt: skip
"""Amazon Nova Reel's fixed values: anything else is refused before sending."""

FINISHED = ("completed", "failed", "cancelled", "canceled")
"""Job statuses after which polling stops."""


def _fail(message: str) -> InvalidRequestError:
    return InvalidRequestError(message)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_quirks(provider: str, model: str, params: Mapping[str, Any]) -> None:
    """Refuse values the video guide rules out for the model's provider."""
    if provider == "openai":
        size, seconds = params.get("size"), params.get("seconds")
        if size is not None and size not in SORA_SIZES:
            raise _fail(f"OpenAI video models take size in {SORA_SIZES}, got {size!r}.")
        if seconds is not None and seconds not in SORA_SECONDS:
            raise _fail(f"OpenAI video models take seconds in {SORA_SECONDS}, got {seconds!r}.")
    elif provider == "google":
        if params.get("size") is not None:
            raise _fail(
                f"Google video models take aspect_ratio {VEO_ASPECT_RATIOS} and resolution "
                f"{VEO_RESOLUTIONS}, not size: pass aspect_ratio='16:9' instead of size."
            )
        ratio, resolution = params.get("aspect_ratio"), params.get("resolution")
        if ratio is not None and ratio not in VEO_ASPECT_RATIOS:
            raise _fail(f"Google video models take aspect_ratio in {VEO_ASPECT_RATIOS}, "
                        f"got {ratio!r}.")  # fmt: skip
        if resolution is not None and resolution not in VEO_RESOLUTIONS:
            raise _fail(f"Google video models take resolution in {VEO_RESOLUTIONS}, "
                        f"got {resolution!r}.")  # fmt: skip
        duration = params.get("duration")
        if duration is not None and (not _is_number(duration) or duration not in VEO_DURATIONS):
            raise _fail(f"Google video models take a duration of 4 to 8 seconds, got {duration!r}.")
    elif provider == "amazon" and "nova-reel" in model:
        for name, fixed in NOVA_REEL_FIXED.items():
            value = params.get(name)
            if value is not None and value != fixed:
                raise _fail(
                    f"Amazon Nova Reel makes fixed 1280x720, 6 s, 24 fps clips: {name}={value!r} "
                    f"cannot be honoured (leave it unset or pass {fixed!r})."
                )
    duration = params.get("duration")
    if duration is not None and (not _is_number(duration) or not math.isfinite(duration)
                                 or duration <= 0):  # fmt: skip
        raise _fail(f"duration must be a positive number of seconds, got {duration!r}.")
    n = params.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise _fail(f"n must be a positive integer, got {n!r}.")


def video_body(
    prompt: Any,
    model: str,
    params: Mapping[str, Any],
    *,
    additional_params: Mapping[str, Any] | None = None,
    byok_key: Any = None,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/v1/videos/generations``.

    Args:
        prompt: What the video shows (a non-empty string).
        model: ``provider/model``.
        params: Keyword parameters: the documented ``VideoRequest`` fields go top level, the
            rest (``seconds``, ``fps``, ``seed``...) into ``additional_params``.
        additional_params: Explicit ``additional_params`` (merged with the extra keywords).
        byok_key: The BYOK key to send, if any.

    Raises:
        InvalidRequestError: An empty prompt, a bad model name, or a value the video guide rules
            out for the model (Sora ``size``/``seconds``, Veo ``aspect_ratio``/``resolution``/
            ``duration``, Nova Reel's fixed values).
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise _fail("The video prompt must be a non-empty string.")
    provider, _ = split_model(validate_model(model))
    if params.get("stream") is not None:
        raise _fail("Video generation does not stream: drop stream=, then wait_for_video(job).")
    merged = {**(additional_params or {}), **params}
    _check_quirks(provider, model, merged)
    top, extra = split_params(params, VIDEO_TOP_LEVEL)
    body: dict[str, Any] = {"prompt": prompt, "model": model, **top}
    _finish(body, _merge_additional(additional_params, extra), byok_key)
    return body


# --------------------------------------------------------------------------- parsing


def _video(item: Any) -> GeneratedVideo | None:
    if isinstance(item, str):
        return GeneratedVideo(url=item)
    item = as_map(item)
    url = as_str(item.get("url")) or as_str(item.get("video_url"))
    if url is None:
        return None
    return GeneratedVideo(
        url=url,
        content_type=as_str(item.get("content_type")) or "video/mp4",
        file_size=as_int(item.get("file_size")),
        file_name=as_str(item.get("file_name")),
        s3_key=as_str(item.get("s3_key")),
    )


def _videos(result: Any) -> list[GeneratedVideo]:
    """Videos from a job's ``result``: ``{"data": [...]}``, ``{"video_url": ...}`` or a list."""
    if isinstance(result, list):
        items: list[Any] = result
    else:
        result = as_map(result)
        data = result.get("data")
        items = data if isinstance(data, list) else [result] if result.get("video_url") else []
    return [video for video in map(_video, items) if video is not None]


def _error_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        return as_str(value.get("message")) or as_str(value.get("detail")) or str(dict(value))
    return None


def parse_video_job(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> VideoJob:
    """Parse a video answer: the creation answer (``VideoResponse``) or a job's status.

    Accepted shapes: ``{"data": {"job_id", "status", ...}, "usage", ...}`` (a job was created),
    ``{"data": [{"url", ...}], ...}`` (the videos are ready at once), and the job status
    ``{"job_id", "status", "progress", "error"?, "result": {"data": [...]} | {"video_url"}}``.

    Raises:
        ProviderError: The answer names neither a job nor a video.
    """
    body = as_map(body)
    data = body.get("data")
    job = as_map(data) if isinstance(data, Mapping) else body
    ready = _videos(data) if isinstance(data, list) else _videos(job.get("result"))
    job_id = as_str(job.get("job_id")) or as_str(job.get("id")) or as_str(body.get("job_id"))
    status = as_str(job.get("status")) or ("completed" if ready else None)
    if job_id is None and not ready:
        raise shape_error(body, "video")
    progress = as_num(job.get("progress"))
    if progress is None and status == "completed":
        progress = 100.0
    common = common_fields(body, headers, "video", requested_model, byok_sent, elapsed_ms)
    result_model = as_str(as_map(job.get("result")).get("model"))
    if result_model and common["meta"].model is None:
        common["meta"] = common["meta"].model_copy(update={"model": result_model})
    status = (status or "queued").lower()
    error = _error_text(job.get("error"))
    if error is None and status == "failed":
        error = _error_text(body.get("message"))
    return VideoJob(
        job_id=job_id or "",
        status=status,
        progress=progress,
        error=error,
        created_at=as_str(job.get("created_at")) or as_str(body.get("created_at")),
        videos=ready,
        **common,
    )


def parse_video_jobs(body: Any, headers: Mapping[str, str]) -> list[VideoJob]:
    """Parse ``GET /api/v1/videos/jobs``: a list, ``{"jobs": [...]}`` or ``{"data": [...]}``."""
    items = body if isinstance(body, list) else as_map(body).get("jobs", as_map(body).get("data"))
    if not isinstance(items, list):
        raise shape_error(body, "video")
    return [parse_video_job(as_map(item), headers) for item in items]


# --------------------------------------------------------------------------- waiting


@dataclass
class VideoWait:
    """The polling policy of ``wait_for_video``: when to poll again, and when to stop.

    The sync and async clients both drive one of these: they fetch the job, call :meth:`step`,
    and sleep for the delay it returns until it returns a :class:`VideoResult` (or raises).

    Args:
        job_id: The job being waited for.
        poll_interval: Seconds before the second poll; later polls back off by ``backoff`` up
            to ``max_interval``.
        timeout: Seconds to wait in all (None: no limit). On timeout the job keeps running.
        on_progress: Called with every polled :class:`VideoJob`.
    """

    job_id: str
    origin: VideoJob | None = None
    """The job as created, whose usage (what the job cost) the result carries."""
    poll_interval: float = 5.0
    timeout: float | None = 600.0
    on_progress: Callable[[VideoJob], Any] | None = None
    backoff: float = 1.5
    max_interval: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _started: float = field(default=0.0, init=False)
    _interval: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        interval = self.poll_interval
        if not _is_number(interval) or not math.isfinite(interval) or interval < 0:
            raise _fail(
                f"poll_interval must be a non-negative number of seconds, got {interval!r}."
            )
        if self.timeout is not None and (
            not _is_number(self.timeout) or math.isnan(self.timeout) or self.timeout < 0
        ):
            raise _fail(f"timeout must be a non-negative number of seconds or None, "
                        f"got {self.timeout!r}.")  # fmt: skip
        self._started = self.clock()
        self._interval = self.poll_interval
        self.max_interval = max(self.max_interval, self.poll_interval)

    def step(self, job: VideoJob) -> float | VideoResult:
        """Judge one polled job: the result when done, else the seconds to sleep.

        ``on_progress`` is called first, and what it returns is returned as ``reported`` by
        :meth:`report` instead (the async client awaits it when it is awaitable).

        Raises:
            VideoGenerationError: The job failed (with the server's message).
            VideoJobCancelledError: The job was cancelled.
            VideoWaitTimeout: ``timeout`` passed; the job is still running on the server.
        """
        self.report(job)
        return self.judge(job)

    def report(self, job: VideoJob) -> Any:
        """Call ``on_progress`` with ``job``; return what it returned (maybe an awaitable)."""
        return self.on_progress(job) if self.on_progress is not None else None

    def judge(self, job: VideoJob) -> float | VideoResult:
        """:meth:`step` without the progress report."""
        status = job.status
        if status == "completed":
            billed = self.origin if self.origin is not None else job
            return VideoResult(
                job_id=job.job_id, videos=job.videos, usage=billed.usage, meta=billed.meta,
                raw=job.raw,
            )  # fmt: skip
        if status == "failed":
            raise VideoGenerationError(
                f"Video job {job.job_id} failed: {job.error or 'the server gave no reason'}",
                job_id=job.job_id,
                request_id=job.meta.request_id,
            )
        if status in ("cancelled", "canceled"):
            raise VideoJobCancelledError(
                f"Video job {job.job_id} was cancelled.", job_id=job.job_id,
                request_id=job.meta.request_id,
            )  # fmt: skip
        elapsed = self.clock() - self._started
        if self.timeout is not None and elapsed >= self.timeout:
            raise VideoWaitTimeout(
                f"Video job {self.job_id} is still {status} after {elapsed:.0f} s "
                f"(progress {job.progress if job.progress is not None else '?'}%). It keeps "
                f"running on the server: resume with client.wait_for_video({self.job_id!r}), "
                f"or stop it with client.cancel_video_job({self.job_id!r}).",
                job_id=self.job_id,
            )
        delay = self._interval
        self._interval = min(self._interval * self.backoff, self.max_interval)
        if self.timeout is not None:
            delay = min(delay, max(0.0, self.timeout - elapsed))
        return delay


def job_id_of(job: VideoJob | str) -> str:
    """The job id of a :class:`VideoJob` or of an id string (validated: non-empty)."""
    job_id = job.job_id if isinstance(job, VideoJob) else job
    if not isinstance(job_id, str) or not job_id.strip():
        raise _fail("Pass a VideoJob or a non-empty job id string.")
    return job_id


def progress_reporter(
    on_progress: Callable[[VideoJob], Any] | None, show_progress: bool
) -> tuple[Callable[[VideoJob], Any] | None, Callable[[], None]]:
    """The ``on_progress`` callback of a wait, with a ``tqdm`` bar when ``show_progress``.

    Returns:
        The callback to give :class:`VideoWait` and a function that closes the bar.

    Raises:
        InvalidRequestError: ``show_progress=True`` without ``tqdm`` installed.
    """
    if not show_progress:
        return on_progress, lambda: None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm ships with the "all" extra
        raise _fail(
            "show_progress=True needs tqdm: pip install tqdm (or pass on_progress=)."
        ) from None
    bar = tqdm(total=100, unit="%", desc="video")

    def report(job: VideoJob) -> None:
        done = 100.0 if job.status == "completed" else float(job.progress or 0)
        bar.set_postfix_str(job.status)
        bar.update(max(0.0, done - bar.n))
        if on_progress is not None:
            on_progress(job)

    return report, bar.close


# --------------------------------------------------------------------------- saving


MAX_VIDEO_BYTES = 1 << 30
"""The largest video file ``save`` downloads (1 GiB)."""


def _target(video: GeneratedVideo, path: Path) -> Path:
    """The file to write: ``path`` itself when it names a file (it has an extension), else a
    file named by the server inside the folder ``path`` (created when missing)."""
    if path.is_dir() or (not path.suffix and not path.exists()):
        path.mkdir(parents=True, exist_ok=True)
        name = os.path.basename(video.file_name or "") or os.path.basename(
            urlsplit(video.url or "").path
        )
        return path / (name if name.endswith(".mp4") else f"{name or 'video'}.mp4")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class VideoDownloader:
    """Saves generated videos: no indoxhub credentials, https (or loopback http), a size limit
    and a deadline for the whole download. Attached to every video a client returns."""

    timeout: float = 600.0
    """Deadline of one whole download, in seconds."""
    max_bytes: int = MAX_VIDEO_BYTES
    """Largest accepted video file."""

    def save(self, video: GeneratedVideo, path: Path) -> Path:
        """Download ``video`` to ``path`` (a file, or a folder to put it in)."""
        target = _target(video, path)
        return download_media_to(video.url or "", target, max_bytes=self.max_bytes,
                                 timeout=self.timeout)  # fmt: skip

    async def asave(self, video: GeneratedVideo, path: Path) -> Path:
        """Async :meth:`save`."""
        target = _target(video, path)
        return await adownload_media_to(video.url or "", target, max_bytes=self.max_bytes,
                                        timeout=self.timeout)  # fmt: skip


def attach(downloader: VideoDownloader, *items: VideoJob | VideoResult) -> None:
    """Let the videos of ``items`` be saved with ``downloader``."""
    for item in items:
        for video in item.videos:
            video._downloader = downloader

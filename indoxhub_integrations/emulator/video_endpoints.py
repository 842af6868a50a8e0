"""Video generation jobs: ``POST /api/v1/videos/generations`` and the ``/videos/jobs`` routes.

A job moves through ``queued``, ``processing`` (with progress) and ``completed`` as it is polled:
each ``GET /api/v1/videos/jobs/{job_id}`` advances it one step, so tests see every state without
waiting on a clock. ``video_steps`` (emulator option, or ``additional_params.
emulator_video_steps`` per request) is how many polls a job spends in progress; 0 completes it on
its first poll. The finished video is a real H.264 MP4 served under ``/_emulator/files/``.
A script with ``fault="video_failed"`` makes the next job fail as a provider would (content
policy); ``fault="video_stuck"`` makes it stay in progress until cancelled.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import validation
from .catalog import VIDEO
from .errors import detail
from .pipeline import Answer, Call, admit, byok_headers, check_byok, resolve
from .shapes import Bill
from .video_media import frame_size, mp4

VIDEO_FAULTS = ("video_failed", "video_stuck")
"""Script faults that shape a video job's outcome."""
FAILURE_MESSAGE = "The provider rejected the prompt: it violates the content policy."
_DEFAULT_SECONDS = {"openai": 4.0, "google": 8.0, "amazon": 6.0}


@dataclass
class VideoJobState:
    """One job as the emulator keeps it."""

    job_id: str
    model: str
    prompt: str
    seconds: float
    size: str | None
    aspect_ratio: str | None
    steps: int
    outcome: str | None
    created_at: str
    created: int
    n: int = 1
    status: str = "queued"
    polls: int = 0
    error: str | None = None
    videos: list[dict[str, Any]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """The job as ``GET /api/v1/videos/jobs/{job_id}`` shows it."""
        progress = {"queued": 0, "completed": 100}.get(self.status)
        if progress is None:
            progress = min(99, round(100 * self.polls / (self.steps + 1)))
        body: dict[str, Any] = {
            "job_id": self.job_id,
            "status": self.status,
            "progress": progress,
            "created_at": self.created_at,
            "model": self.model,
        }
        if self.error is not None:
            body["error"] = self.error
        if self.status == "completed":
            body["result"] = {"data": self.videos, "model": self.model, "created": self.created}
        return body


_LOCK = threading.Lock()


def _jobs(call: Call) -> dict[str, VideoJobState]:
    return call.state.video_jobs


def _number(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


async def generate(call: Call, body: dict[str, Any]) -> Answer:
    """``POST /api/v1/videos/generations``: create a job, charge it, answer ``VideoResponse``."""
    problems = validation.require(body, validation.VIDEO)
    params = body.get("additional_params")
    params = params if isinstance(params, dict) else {}
    validation.check_params(params, problems, ("body", "additional_params"))
    problems.raise_if_any()
    model = resolve(body, VIDEO, catalog=call.state.catalog)
    check_byok(call, body.get("byok_api_key"), model)
    default_seconds = _DEFAULT_SECONDS.get(model.provider, 4.0)
    seconds = _number(body.get("duration"), _number(params.get("seconds"), default_seconds))
    if seconds <= 0:
        raise detail(400, "duration must be a positive number of seconds")
    count = body.get("n") or 1
    price = float(model.pricing.get("second", 0.0))
    bill = admit(call, model, Bill(request=count * seconds * price), 0, 0)
    script = call.script
    outcome = script.fault if script is not None and script.fault in VIDEO_FAULTS else None
    steps = params.get("emulator_video_steps", call.state.video_steps)
    steps = max(0, int(steps)) if isinstance(steps, int) and not isinstance(steps, bool) else 2
    now = datetime.now(timezone.utc)
    job = VideoJobState(
        job_id=f"video_job_{secrets.token_hex(8)}",
        model=model.id,
        prompt=str(body["prompt"]),
        seconds=seconds,
        size=_text(body.get("size")),
        aspect_ratio=_text(body.get("aspect_ratio")),
        steps=steps,
        outcome=outcome,
        created_at=now.isoformat().replace("+00:00", "Z"),
        created=int(now.timestamp()),
        n=count,
    )
    with _LOCK:
        _jobs(call)[job.job_id] = job
    meta = call.meta(model)
    usage: dict[str, Any] = {"cost": bill.total, "seconds": seconds, "videos": count}
    answer: dict[str, Any] = {
        "request_id": meta.request_id,
        "created_at": job.created_at,
        "duration_ms": round((time.perf_counter() - call.started) * 1000, 3),
        "provider": model.provider,
        "model": model.id,
        "success": True,
        "message": "Video generation job created",
        "usage": usage,
        "data": {"job_id": job.job_id, "status": job.status, "is_async": True},
    }
    if call.byok_key is not None:
        answer["byok_api_key"] = True
    return Answer(body=answer, headers=byok_headers(call))


def _advance(call: Call, job: VideoJobState) -> None:
    """One poll's worth of progress (under ``_LOCK``)."""
    if job.status in ("completed", "failed", "cancelled"):
        return
    job.polls += 1
    if job.outcome == "video_stuck" or job.polls <= job.steps:
        job.status = "processing"
        return
    if job.outcome == "video_failed":
        job.status = "failed"
        job.error = FAILURE_MESSAGE
        return
    width, height = frame_size(job.size, job.aspect_ratio)
    for index in range(job.n):
        data = mp4(f"{index}:{job.prompt}", job.seconds, job.size, job.aspect_ratio)
        file_id = call.state.store_file(data, "video/mp4")
        job.videos.append(
            {
                "url": f"{call.base_url}/_emulator/files/{file_id}.mp4",
                "s3_key": f"emulator/video/{file_id}.mp4",
                "file_size": len(data),
                "content_type": "video/mp4",
                "file_name": f"{file_id}.mp4",
                "width": width,
                "height": height,
            }
        )
    job.status = "completed"


def _find(call: Call) -> VideoJobState:
    job_id = str(call.request.path_params["job_id"])
    job = _jobs(call).get(job_id)
    if job is None:
        raise detail(404, f"Video job '{job_id}' not found")
    return job


async def get_job(call: Call, _: Any) -> Answer:
    """``GET /api/v1/videos/jobs/{job_id}``: the job's status (each poll advances it)."""
    with _LOCK:
        job = _find(call)
        _advance(call, job)
        return Answer(body=job.view())


async def list_jobs(call: Call, _: Any) -> Answer:
    """``GET /api/v1/videos/jobs?limit=&skip=``: the account's jobs, newest first."""
    query = call.request.query_params
    try:
        limit = int(query.get("limit", 20))
        skip = int(query.get("skip", 0))
    except ValueError as exc:
        raise detail(422, "limit and skip must be integers") from exc
    if limit < 0 or skip < 0:
        raise detail(422, "limit and skip must not be negative")
    with _LOCK:
        jobs = sorted(_jobs(call).values(), key=lambda j: j.created_at, reverse=True)
        page = [job.view() for job in jobs[skip : skip + limit]]
    return Answer(body={"jobs": page, "total": len(jobs), "limit": limit, "skip": skip})


async def cancel_job(call: Call, _: Any) -> Answer:
    """``POST /api/v1/videos/jobs/{job_id}/cancel``: cancel a job that has not finished."""
    with _LOCK:
        job = _find(call)
        if job.status in ("completed", "failed"):
            raise detail(400, f"Video job '{job.job_id}' is already {job.status}")
        job.status = "cancelled"
        return Answer(body={"job_id": job.job_id, "status": "cancelled",
                            "message": "Video generation job cancelled"})  # fmt: skip

"""Video generation through the core clients against the emulator, sync and async."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.core.wire import VideoJob
from indoxhub_integrations.emulator.video_media import mp4_info
from indoxhub_integrations.errors import (
    ByokProviderMismatchError,
    InsufficientCreditsError,
    InvalidRequestError,
    ModelNotFoundError,
    VideoGenerationError,
    VideoJobCancelledError,
    VideoWaitTimeout,
)

SORA = "openai/sora-2"
VEO = "google/veo-3.0-generate-001"
GOOGLE_KEY = "AIzaSyCANARYBYOKgoogle0000000000000"


def client_for(emulator: Any, **kw: Any) -> IndoxHubClient:
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


def aclient_for(emulator: Any, **kw: Any) -> AsyncIndoxHubClient:
    return AsyncIndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


def test_a_job_is_created_polled_to_completion_and_saved(emulator: Any, tmp_path: Path) -> None:
    client = client_for(emulator)
    job = client.generate_video("a kite over the sea", model=SORA, size="1280x720", seconds=4)
    assert isinstance(job, VideoJob) and job.status == "queued" and not job.done
    assert job.usage.cost == pytest.approx(0.4) and job.meta.byok is False
    assert job.meta.endpoint == "video" and job.meta.model == SORA
    sent = emulator.requests[-1].json
    assert sent["size"] == "1280x720" and sent["additional_params"] == {"seconds": 4}
    seen: list[tuple[str, float | None]] = []
    result = client.wait_for_video(
        job, poll_interval=0, on_progress=lambda j: seen.append((j.status, j.progress))
    )
    assert seen == [("processing", 33), ("processing", 67), ("completed", 100)]
    assert result.job_id == job.job_id and result.usage.cost == pytest.approx(0.4)
    video = result.videos[0]
    assert video.content_type == "video/mp4" and video.file_size
    saved = video.save(tmp_path)
    assert saved.parent == tmp_path and saved.stat().st_size == video.file_size
    assert mp4_info(saved.read_bytes())["seconds"] == pytest.approx(4)
    named = video.save(tmp_path / "clips" / "kite.mp4")
    assert named == tmp_path / "clips" / "kite.mp4" and named.read_bytes() == saved.read_bytes()
    fresh = video.save(tmp_path / "new-folder")  # no extension: a folder, created
    assert fresh.parent == tmp_path / "new-folder" and fresh.suffix == ".mp4"
    assert not list(tmp_path.rglob("*.part"))
    # the platform key never travels to the file's host: save() sends no credentials
    assert [job.job_id] == [j.job_id for j in client.list_video_jobs()]


def test_waiting_by_job_id_and_polling_by_hand(emulator: Any) -> None:
    client = client_for(emulator)
    job = client.generate_video("x", model=SORA, additional_params={"emulator_video_steps": 1})
    assert client.get_video_job(job.job_id).status == "processing"
    result = client.wait_for_video(job.job_id, poll_interval=0)
    assert result.videos and result.usage.cost is None  # the cost is on the job, not the poll


def test_a_failed_job_raises_with_the_servers_message(emulator: Any) -> None:
    client = client_for(emulator)
    emulator.enqueue("/videos/generations", fault="video_failed")
    job = client.generate_video("x", model=SORA)
    with pytest.raises(VideoGenerationError, match="content policy") as caught:
        client.wait_for_video(job, poll_interval=0)
    assert caught.value.job_id == job.job_id


def test_a_timeout_leaves_the_job_running_and_cancel_stops_it(emulator: Any) -> None:
    client = client_for(emulator)
    emulator.enqueue("/videos/generations", fault="video_stuck")
    job = client.generate_video("x", model=SORA)
    with pytest.raises(VideoWaitTimeout, match=r"resume with client\.wait_for_video"):
        client.wait_for_video(job, poll_interval=0, timeout=0)
    assert client.get_video_job(job).status == "processing"
    assert client.cancel_video_job(job)["status"] == "cancelled"
    with pytest.raises(VideoJobCancelledError):
        client.wait_for_video(job, poll_interval=0)


def test_byok_jobs_are_free_and_marked(emulator: Any) -> None:
    client = client_for(emulator, byok_api_keys={"google": GOOGLE_KEY})
    before = emulator.credits
    job = client.generate_video("x", model=VEO, aspect_ratio="16:9", duration=8)
    assert job.meta.byok is True and job.usage.cost == 0
    assert job.meta.rate_limit_bypass == "BYOK API key used"
    assert emulator.requests[-1].byok and emulator.credits == before
    assert GOOGLE_KEY not in repr(job) and GOOGLE_KEY not in str(emulator.requests[-1].json)


def test_user_errors_are_refused_before_sending(emulator: Any) -> None:
    client = client_for(emulator)
    with pytest.raises(InvalidRequestError, match="seconds in"):
        client.generate_video("x", model=SORA, seconds=5)
    with pytest.raises(ByokProviderMismatchError):
        client.generate_video("x", model=VEO, byok_api_key="sk-ant-api03-CANARY0000")
    with pytest.raises(InvalidRequestError):
        client.get_video_job("")
    with pytest.raises(InvalidRequestError):
        client.list_video_jobs(limit=-1)
    assert emulator.requests == []


def test_server_errors_map_to_typed_exceptions(emulator: Any) -> None:
    client = client_for(emulator)
    with pytest.raises(ModelNotFoundError):
        client.generate_video("x", model="openai/no-such-video-model")
    emulator.set_credits(0)
    with pytest.raises(InsufficientCreditsError):
        client.generate_video("x", model=SORA)


def test_job_ids_are_escaped_in_paths(emulator: Any) -> None:
    client = client_for(emulator)
    with pytest.raises(ModelNotFoundError):
        client.get_video_job("../../user/me")
    # escaped, the id cannot climb out of /videos/jobs/: the account route was never called
    assert [r.path for r in emulator.requests if r.path.endswith("/user/me")] == []


def test_the_async_client_does_the_same(emulator: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        client = aclient_for(emulator)
        job = await client.generate_video("a kite", model=SORA, seconds=4)
        seen: list[str] = []
        result = await client.wait_for_video(
            job, poll_interval=0, on_progress=lambda j: seen.append(j.status)
        )
        assert seen == ["processing", "processing", "completed"]
        saved = await result.videos[0].asave(tmp_path / "a.mp4")
        assert mp4_info(saved.read_bytes())["codec"] == "avc1"
        assert len(await client.list_video_jobs(limit=5)) == 1
        emulator.enqueue("/videos/generations", fault="video_failed")
        failing = await client.generate_video("x", model=SORA)
        with pytest.raises(VideoGenerationError):
            await client.wait_for_video(failing, poll_interval=0)
        emulator.enqueue("/videos/generations", fault="video_stuck")
        stuck = await client.generate_video("x", model=SORA)
        with pytest.raises(VideoWaitTimeout):
            await client.wait_for_video(stuck, poll_interval=0, timeout=0)
        assert (await client.cancel_video_job(stuck.job_id))["status"] == "cancelled"
        await client.aclose()

    asyncio.run(scenario())


def test_save_refuses_plain_http_to_other_hosts(emulator: Any, tmp_path: Path) -> None:
    client = client_for(emulator)
    job = client.generate_video("x", model=SORA, additional_params={"emulator_video_steps": 0})
    video = client.wait_for_video(job, poll_interval=0).videos[0]
    remote = video.model_copy(update={"url": "http://example.com/v.mp4"})
    remote._downloader = video._downloader
    with pytest.raises(InvalidRequestError, match="https"):
        remote.save(tmp_path)
    orphan = video.model_copy()
    orphan._downloader = None
    with pytest.raises(InvalidRequestError, match="cannot be saved"):
        orphan.save(tmp_path)

"""Video generation jobs: creation, progress by polling, results, failures, cancel, BYOK."""

from __future__ import annotations

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator
from indoxhub_integrations.emulator.video_media import frame_size, mp4, mp4_info

VIDEOS = "/api/v1/videos/generations"
JOBS = "/api/v1/videos/jobs"
OPENAI_BYOK = "sk-CANARYBYOK-openai-9d8c7b6a5f4e3d21"


def _create(client: httpx.Client, **fields: object) -> dict:
    body = {"prompt": "a red kite over the sea", "model": "openai/sora-2", **fields}
    response = client.post(VIDEOS, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _poll(client: httpx.Client, job_id: str) -> dict:
    response = client.get(f"{JOBS}/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_job_moves_through_queued_processing_and_completed(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    created = _create(client, size="1280x720", additional_params={"seconds": 4})
    assert created["success"] is True and created["model"] == "openai/sora-2"
    assert created["data"]["status"] == "queued" and created["data"]["job_id"]
    assert created["usage"]["cost"] == pytest.approx(0.4)  # $0.10 per second, 4 s
    assert emulator.credits == pytest.approx(100 - 0.4)
    job_id = created["data"]["job_id"]
    seen = [_poll(client, job_id) for _ in range(3)]
    assert [(s["status"], s["progress"]) for s in seen] == [
        ("processing", 33), ("processing", 67), ("completed", 100),
    ]  # fmt: skip
    video = seen[-1]["result"]["data"][0]
    assert video["content_type"] == "video/mp4"
    download = httpx.get(video["url"])
    assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
    assert video["file_size"] == len(download.content)
    info = mp4_info(download.content)
    assert info["codec"] == "avc1" and info["seconds"] == pytest.approx(4.0)
    assert (info["width"], info["height"]) == frame_size("1280x720")
    # polling is free and is not a model call
    assert [r.endpoint for r in emulator.requests] == ["video", None, None, None]


def test_steps_are_configurable_per_request(client: httpx.Client) -> None:
    created = _create(client, additional_params={"emulator_video_steps": 0})
    assert _poll(client, created["data"]["job_id"])["status"] == "completed"


def test_scripted_failure_and_stuck_jobs(emulator: IndoxHubEmulator, client: httpx.Client) -> None:
    emulator.enqueue("/videos/generations", fault="video_failed")
    failed = _create(client, additional_params={"emulator_video_steps": 0})["data"]["job_id"]
    status = _poll(client, failed)
    assert status["status"] == "failed" and "content policy" in status["error"]
    emulator.enqueue("/videos/generations", fault="video_stuck")
    stuck = _create(client, additional_params={"emulator_video_steps": 0})["data"]["job_id"]
    assert {_poll(client, stuck)["status"] for _ in range(5)} == {"processing"}
    cancelled = client.post(f"{JOBS}/{stuck}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert _poll(client, stuck)["status"] == "cancelled"


def test_cancel_of_a_finished_or_unknown_job_is_refused(client: httpx.Client) -> None:
    job_id = _create(client, additional_params={"emulator_video_steps": 0})["data"]["job_id"]
    _poll(client, job_id)
    assert client.post(f"{JOBS}/{job_id}/cancel").status_code == 400
    assert client.get(f"{JOBS}/video_job_missing").status_code == 404
    assert client.post(f"{JOBS}/video_job_missing/cancel").status_code == 404


def test_jobs_are_listed_newest_first_with_paging(client: httpx.Client) -> None:
    ids = [_create(client, prompt=f"clip {i}")["data"]["job_id"] for i in range(3)]
    listed = client.get(JOBS, params={"limit": 2}).json()
    assert listed["total"] == 3 and len(listed["jobs"]) == 2
    everything = client.get(JOBS).json()["jobs"]
    assert {job["job_id"] for job in everything} == set(ids)
    assert client.get(JOBS, params={"limit": "x"}).status_code == 422


def test_byok_jobs_are_free_and_marked(emulator: IndoxHubEmulator, client: httpx.Client) -> None:
    response = client.post(
        VIDEOS, json={"prompt": "a kite", "model": "openai/sora-2", "byok_api_key": OPENAI_BYOK}
    )
    assert response.status_code == 200
    assert response.headers["x-ratelimit-bypass"] == "BYOK API key used"
    body = response.json()
    assert body["byok_api_key"] is True and body["usage"]["cost"] == 0
    assert emulator.credits == 100
    assert OPENAI_BYOK not in str([r.json for r in emulator.requests])
    anthropic_key = "sk-ant-CANARYBYOK-anthropic-1a2b3c4d5e6f"
    body = {"prompt": "x", "model": "google/veo-3.0-generate-001", "byok_api_key": anthropic_key}
    assert client.post(VIDEOS, json=body).status_code == 400  # a key of another provider
    invalid = {**body, "byok_api_key": "AIza-invalid-key"}
    assert client.post(VIDEOS, json=invalid).status_code == 401  # rejected as the provider would


def test_video_models_are_listed_by_type(client: httpx.Client) -> None:
    listed = client.get("/api/v1/models/google/video_generation").json()
    names = [m["modelName"] for m in listed]
    assert names == ["veo-3.0-generate-001", "veo-3.0-fast-generate-001"]
    assert client.get("/api/v1/models/amazon/nova-reel").json()["type"] == "video"


def test_bad_requests_are_422_or_404(client: httpx.Client) -> None:
    assert client.post(VIDEOS, json={"model": "openai/sora-2"}).status_code == 422
    chat_model = {"prompt": "x", "model": "openai/gpt-4o-mini"}
    assert client.post(VIDEOS, json=chat_model).status_code == 400
    assert client.post(VIDEOS, json={"prompt": "x", "model": "openai/nope"}).status_code == 404


def test_clips_are_deterministic_and_move() -> None:
    first, again = mp4("a kite", 1), mp4("a kite", 1)
    assert first == again and mp4("another", 1) != first
    info = mp4_info(first)
    assert info["frames"] == 6 and info["seconds"] == pytest.approx(1.0)
    assert mp4_info(mp4("tall", 2, aspect_ratio="9:16"))["height"] > mp4_info(first)["height"]
    with pytest.raises(ValueError):
        mp4_info(b"not a video")

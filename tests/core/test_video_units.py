"""Video generation without a server: request bodies, provider limits, job shapes, polling."""

from __future__ import annotations

import pytest

from indoxhub_integrations.core.video import (
    VideoWait,
    job_id_of,
    parse_video_job,
    parse_video_jobs,
    video_body,
)
from indoxhub_integrations.core.wire import VideoJob, VideoResult
from indoxhub_integrations.errors import (
    APITimeoutError,
    InvalidRequestError,
    ProviderError,
    VideoGenerationError,
    VideoJobCancelledError,
    VideoWaitTimeout,
)


def test_documented_fields_go_top_level_and_the_rest_into_additional_params() -> None:
    body = video_body(
        "a kite", "openai/sora-2", {"size": "1280x720", "seconds": 8, "n": 1, "seed": 3}
    )
    assert body == {
        "prompt": "a kite",
        "model": "openai/sora-2",
        "size": "1280x720",
        "n": 1,
        "additional_params": {"seconds": 8, "seed": 3},
    }
    veo = video_body(
        "x",
        "google/veo-3.0-generate-001",
        {"aspect_ratio": "9:16", "resolution": "1080p", "duration": 8, "generate_audio": True},
        additional_params={"fps": 24},
    )
    assert veo["aspect_ratio"] == "9:16" and veo["generate_audio"] is True
    assert veo["additional_params"] == {"fps": 24}


def test_the_byok_key_is_sent_only_when_given() -> None:
    assert "byok_api_key" not in video_body("x", "openai/sora-2", {})
    assert video_body("x", "openai/sora-2", {}, byok_key="sk-abc")["byok_api_key"] == "sk-abc"


@pytest.mark.parametrize(
    ("model", "params", "needle"),
    [
        ("openai/sora-2", {"size": "640x480"}, "size in"),
        ("openai/sora-2", {"seconds": 5}, "seconds in"),
        ("google/veo-3.0-generate-001", {"size": "1280x720"}, "not size"),
        ("google/veo-3.0-generate-001", {"aspect_ratio": "1:1"}, "aspect_ratio in"),
        ("google/veo-3.0-generate-001", {"resolution": "4k"}, "resolution in"),
        ("google/veo-3.0-generate-001", {"duration": 12}, "4 to 8 seconds"),
        ("amazon/nova-reel", {"duration": 8}, "Nova Reel"),
        ("amazon/nova-reel", {"fps": 30}, "Nova Reel"),
        ("amazon/nova-reel", {"dimension": "1920x1080"}, "Nova Reel"),
        ("openai/sora-2", {"duration": float("nan")}, "positive number"),
        ("openai/sora-2", {"n": 0}, "positive integer"),
        ("openai/sora-2", {"stream": True}, "does not stream"),
        ("sora-2", {}, "provider"),
    ],
)
def test_values_the_guide_rules_out_are_refused_before_sending(
    model: str, params: dict[str, object], needle: str
) -> None:
    with pytest.raises(InvalidRequestError, match=needle):
        video_body("a kite", model, params)


def test_fixed_values_are_accepted_and_empty_prompts_refused() -> None:
    assert video_body("x", "amazon/nova-reel", {"duration": 6, "fps": 24})["duration"] == 6
    for prompt in ("", "   ", None, 3):
        with pytest.raises(InvalidRequestError, match="prompt"):
            video_body(prompt, "openai/sora-2", {})


CREATED = {
    "request_id": "req_1",
    "created_at": "2025-11-01T00:00:00Z",
    "provider": "openai",
    "model": "openai/sora-2",
    "success": True,
    "usage": {"cost": 0.4},
    "data": {"job_id": "job_1", "status": "queued", "is_async": True},
}


def test_the_creation_answer_is_a_queued_job_with_its_cost() -> None:
    job = parse_video_job(CREATED, {}, requested_model="openai/sora-2")
    assert (job.job_id, job.status, job.done) == ("job_1", "queued", False)
    assert job.usage.cost == pytest.approx(0.4) and job.meta.request_id == "req_1"
    assert job.meta.endpoint == "video" and job.meta.model == "openai/sora-2"


def test_byok_markers_make_the_job_free() -> None:
    body = {**CREATED, "byok_api_key": True, "usage": {"cost": 0}}
    job = parse_video_job(body, {"X-RateLimit-Bypass": "BYOK API key used"})
    assert job.meta.byok is True and job.usage.cost == 0


def test_videos_ready_at_once_and_every_result_shape() -> None:
    ready = parse_video_job({**CREATED, "data": [{"url": "https://x/v.mp4"}]}, {})
    assert ready.status == "completed" and ready.videos[0].url == "https://x/v.mp4"
    documented = parse_video_job(
        {
            "job_id": "job_1",
            "status": "completed",
            "progress": 100,
            "result": {
                "data": [
                    {
                        "url": "https://x/1.mp4",
                        "s3_key": "u/1.mp4",
                        "file_size": 5242880,
                        "content_type": "video/mp4",
                        "file_name": "1.mp4",
                    }
                ],
                "model": "openai/sora-2",
            },
        },
        {},
    )
    video = documented.videos[0]
    assert (video.url, video.file_size, video.content_type) == (
        "https://x/1.mp4",
        5242880,
        "video/mp4",
    )
    assert documented.meta.model == "openai/sora-2"
    older = parse_video_job(
        {"job_id": "j", "status": "completed", "result": {"video_url": "https://x/2.mp4"}}, {}
    )
    assert [v.url for v in older.videos] == ["https://x/2.mp4"]


def test_failed_jobs_carry_the_servers_message_and_junk_is_a_provider_error() -> None:
    failed = parse_video_job({"job_id": "j", "status": "failed", "error": "content policy"}, {})
    assert failed.error == "content policy" and failed.done
    with pytest.raises(ProviderError):
        parse_video_job({"success": True}, {})


def test_job_lists_in_both_shapes() -> None:
    item = {"job_id": "j", "status": "processing", "progress": 40}
    assert [j.progress for j in parse_video_jobs({"jobs": [item]}, {})] == [40]
    assert [j.job_id for j in parse_video_jobs([item], {})] == ["j"]
    with pytest.raises(ProviderError):
        parse_video_jobs({"jobs": "nope"}, {})


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _job(status: str, progress: float | None = None, **extra: object) -> VideoJob:
    return VideoJob(job_id="job_1", status=status, progress=progress, **extra)  # type: ignore[arg-type]


def test_the_wait_backs_off_reports_progress_and_returns_the_result() -> None:
    clock, seen = FakeClock(), []
    wait = VideoWait("job_1", poll_interval=2, timeout=None, on_progress=seen.append, clock=clock)
    delays = [wait.step(_job("processing", p)) for p in (10, 20, 30, 40, 50, 60, 70)]
    assert delays == [2, 3, 4.5, 6.75, 10.125, 15.1875, 22.78125]
    assert wait.step(_job("processing", 80)) == 30  # capped
    result = wait.step(_job("completed", 100, videos=[{"url": "https://x/v.mp4"}]))
    assert isinstance(result, VideoResult) and result.videos[0].url == "https://x/v.mp4"
    assert [j.progress for j in seen] == [10, 20, 30, 40, 50, 60, 70, 80, 100]


def test_the_wait_never_sleeps_past_its_timeout_and_then_says_how_to_resume() -> None:
    clock = FakeClock()
    wait = VideoWait("job_1", poll_interval=5, timeout=7, clock=clock)
    assert wait.step(_job("queued")) == 5
    clock.now = 5
    assert wait.step(_job("processing", 50)) == 2  # only what is left of the timeout
    clock.now = 7
    with pytest.raises(VideoWaitTimeout) as caught:
        wait.step(_job("processing", 60))
    assert isinstance(caught.value, APITimeoutError) and caught.value.job_id == "job_1"
    assert "wait_for_video('job_1')" in str(caught.value)
    assert "cancel_video_job('job_1')" in str(caught.value)


def test_failed_and_cancelled_jobs_raise_typed_errors() -> None:
    wait = VideoWait("job_1", poll_interval=0)
    with pytest.raises(VideoGenerationError, match="content policy") as failed:
        wait.step(_job("failed", error="The provider rejected the prompt: content policy"))
    assert isinstance(failed.value, ProviderError) and failed.value.job_id == "job_1"
    with pytest.raises(VideoJobCancelledError):
        wait.step(_job("cancelled"))


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "5", True])
def test_bad_wait_settings_are_refused(bad: object) -> None:
    with pytest.raises(InvalidRequestError):
        VideoWait("j", poll_interval=bad)  # type: ignore[arg-type]
    if bad != float("inf"):  # an infinite timeout is allowed: it means no limit
        with pytest.raises(InvalidRequestError):
            VideoWait("j", timeout=bad)  # type: ignore[arg-type]


def test_job_ids_are_checked() -> None:
    assert job_id_of("job_1") == "job_1" and job_id_of(_job("queued")) == "job_1"
    for bad in ("", "  ", None):
        with pytest.raises(InvalidRequestError):
            job_id_of(bad)  # type: ignore[arg-type]

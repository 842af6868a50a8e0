"""IndoxHubToolSpec.generate_video against the emulator, sync, async and in an agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from li_support import EventRecorder, connection, model_calls
from llama_index.core.base.llms.types import TextBlock, VideoBlock

from indoxhub_integrations.emulator.video_media import mp4_info
from indoxhub_integrations.errors import VideoGenerationError
from indoxhub_integrations.llama_index import (
    IndoxHubToolSpec,
    IndoxHubUsageEvent,
    track_indoxhub_usage,
)
from indoxhub_integrations.llama_index.tools import tool_outputs_keep_video_blocks


@pytest.fixture
def video_spec(emulator: Any, tmp_path: Path) -> IndoxHubToolSpec:
    return IndoxHubToolSpec(
        output_dir=tmp_path, video_model="openai/sora-2", video_poll_interval=0,
        **connection(emulator),
    )  # fmt: skip


def _saved(blocks: list[Any]) -> Path:
    text = next(b.text for b in blocks if isinstance(b, TextBlock))
    return Path(text.split("file: ", 1)[1].split(" URL: ", 1)[0])


def test_generate_video_saves_the_file_and_reports_usage(
    video_spec: IndoxHubToolSpec, recorder: EventRecorder, tmp_path: Path
) -> None:
    tools = {t.metadata.name: t for t in video_spec.to_tool_list()}
    output = tools["generate_video"](prompt="waves on a beach", duration=4)
    videos = [b for b in output.blocks if isinstance(b, VideoBlock)]
    if tool_outputs_keep_video_blocks():  # the LlamaIndex releases that keep them in tool outputs
        assert videos[0].url and videos[0].video_mimetype == "video/mp4"
    else:
        assert videos == [] and "VideoBlock" not in output.content
    path = _saved(output.blocks)
    assert path.parent == tmp_path and mp4_info(path.read_bytes())["seconds"] == pytest.approx(4)
    assert "cost $0.4000" in output.content
    records = [e.record for e in recorder.of(IndoxHubUsageEvent)]
    assert [(r.endpoint, r.cost) for r in records] == [("video", pytest.approx(0.4))]


async def test_agenerate_video_with_byok(emulator: Any, tmp_path: Path) -> None:
    spec = IndoxHubToolSpec(
        output_dir=tmp_path, video_model="amazon/nova-reel", video_poll_interval=0,
        byok_api_key="amz-CANARY-not-a-known-prefix", **connection(emulator),
    )  # fmt: skip
    with track_indoxhub_usage() as usage:
        blocks = await spec.agenerate_video("a timelapse of a flower", duration=6)
    assert mp4_info(_saved(blocks).read_bytes())["seconds"] == pytest.approx(4)  # capped clip
    assert usage.byok_requests == 1 and usage.total_cost == 0
    assert [r.endpoint for r in model_calls(emulator)] == ["video"]


def test_a_failed_job_is_an_error(video_spec: IndoxHubToolSpec, emulator: Any) -> None:
    emulator.enqueue("/videos/generations", fault="video_failed")
    with pytest.raises(VideoGenerationError):
        video_spec.generate_video("x")


def test_track_indoxhub_usage_verified_with_the_server(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indoxhub_integrations.llama_index import IndoxHub

    monkeypatch.setenv("INDOXHUB_API_KEY", emulator.api_key)
    monkeypatch.setenv("INDOXHUB_BASE_URL", emulator.base_url)
    llm = IndoxHub(model="openai/gpt-4o-mini")
    with track_indoxhub_usage(verify_with_server=True) as usage:
        llm.complete("hello")
    billed = sum(r.cost for r in emulator.requests if r.endpoint)
    assert usage.server_requests == usage.requests == 1
    assert usage.server_cost == pytest.approx(billed) == usage.total_cost
    assert usage.server_gap == pytest.approx(0.0, abs=1e-9)

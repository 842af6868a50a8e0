"""IndoxHubVideoGenerationTool against the emulator: jobs, waiting, saving, usage, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import ToolMessage
from langchain_core.tools import ToolException

from indoxhub_integrations.emulator.video_media import mp4_info
from indoxhub_integrations.errors import InsufficientCreditsError
from indoxhub_integrations.langchain import IndoxHubVideoGenerationTool, get_indoxhub_callback

GOOGLE_KEY = "AIzaSyCANARYBYOKgoogle0000000000000"


def _tool(emulator: Any, tmp_path: Path, **kw: Any) -> IndoxHubVideoGenerationTool:
    kw.setdefault("poll_interval", 0)
    return IndoxHubVideoGenerationTool(
        base_url=emulator.base_url, api_key=emulator.api_key, output_dir=str(tmp_path), **kw
    )


class TextRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def on_text(self, text: str, **kwargs: Any) -> None:
        self.texts.append(text)


def test_the_tool_waits_saves_and_returns_the_path(emulator: Any, tmp_path: Path) -> None:
    tool = _tool(emulator, tmp_path)
    recorder = TextRecorder()
    with get_indoxhub_callback() as cb:
        message = tool.invoke(
            {
                "type": "tool_call", "id": "call_1", "name": tool.name,
                "args": {"prompt": "a paper boat on a rainy street", "duration": 4},
            },
            config={"callbacks": [recorder]},
        )  # fmt: skip
    assert isinstance(message, ToolMessage)
    path = Path(message.content)  # type: ignore[arg-type]
    assert path.parent == tmp_path and path.suffix == ".mp4"
    assert mp4_info(path.read_bytes())["seconds"] == pytest.approx(4)
    artifact = message.artifact
    assert artifact["cost"] == pytest.approx(0.4) and artifact["byok"] is False
    assert artifact["videos"][0]["path"] == str(path) and artifact["videos"][0]["url"]
    assert [line.split(": ", 1)[1].strip() for line in recorder.texts] == [
        "processing 33%", "processing 67%", "completed 100%",
    ]  # fmt: skip
    assert cb.requests == 1 and cb.total_cost == pytest.approx(0.4)
    assert cb.by_endpoint()["video"]["requests"] == 1
    sent = next(r for r in emulator.requests if r.endpoint == "video").json
    assert sent["duration"] == 4 and sent["model"] == "openai/sora-2"


async def test_the_async_tool_with_byok(emulator: Any, tmp_path: Path) -> None:
    tool = _tool(emulator, tmp_path, model="google/veo-3.0-generate-001", byok_api_key=GOOGLE_KEY)
    with get_indoxhub_callback() as cb:
        content = await tool.ainvoke({"prompt": "a lighthouse at dusk", "aspect_ratio": "9:16"})
    assert Path(content).exists()
    info = mp4_info(Path(content).read_bytes())
    assert info["height"] > info["width"]  # portrait
    assert cb.byok_requests == 1 and cb.total_cost == 0
    assert GOOGLE_KEY not in repr(tool)


def test_failures_and_timeouts_come_back_to_the_model(emulator: Any, tmp_path: Path) -> None:
    tool = _tool(emulator, tmp_path)
    emulator.enqueue("/videos/generations", fault="video_failed")
    message = tool.invoke({"type": "tool_call", "id": "c1", "name": tool.name,
                           "args": {"prompt": "x"}})  # fmt: skip
    assert message.status == "error" and "content policy" in message.content
    emulator.enqueue("/videos/generations", fault="video_stuck")
    timed_out = _tool(emulator, tmp_path, wait_timeout=0).invoke({"prompt": "x"})
    assert "wait_for_video" in timed_out  # the model learns how the job can be resumed
    strict = _tool(emulator, tmp_path, handle_tool_error=False)
    emulator.enqueue("/videos/generations", fault="video_failed")
    with pytest.raises(ToolException, match="content policy"):
        strict.invoke({"prompt": "x"})
    assert not list(tmp_path.iterdir())


def test_account_failures_raise_to_the_caller(emulator: Any, tmp_path: Path) -> None:
    emulator.set_credits(0)
    with pytest.raises(InsufficientCreditsError):
        _tool(emulator, tmp_path).invoke({"prompt": "x"})


def test_get_indoxhub_callback_verified_with_the_server(emulator: Any) -> None:
    from indoxhub_integrations.langchain import ChatIndoxHub

    llm = ChatIndoxHub(model="openai/gpt-4o-mini", base_url=emulator.base_url,
                       api_key=emulator.api_key)  # fmt: skip
    with get_indoxhub_callback(verify_with_server=llm) as cb:
        llm.invoke("hello")
        llm.invoke("again")
    billed = sum(r.cost for r in emulator.requests if r.endpoint)
    assert cb.server_requests == cb.requests == 2
    assert cb.server_cost == pytest.approx(billed) and cb.total_cost == pytest.approx(billed)
    assert cb.server_gap == pytest.approx(0.0, abs=1e-9)
    assert "Server-verified" in str(cb)
    with get_indoxhub_callback() as plain:
        llm.invoke("hi")
    assert plain.server_cost is None and "Server-verified" not in str(plain)

"""Media tools: recoverable failures reach the agent's model; account failures raise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import ToolException

from indoxhub_integrations.errors import AuthenticationError, InsufficientCreditsError
from indoxhub_integrations.langchain import (
    IndoxHubImageGenerationTool,
    IndoxHubSpeechToTextTool,
    IndoxHubTextToSpeechTool,
)


def _conn(emulator: Any, **kwargs: Any) -> dict[str, Any]:
    return {"base_url": emulator.base_url, "api_key": emulator.api_key, **kwargs}


def _call(tool: Any, args: dict[str, Any]) -> Any:
    """Invoke as an agent does: with a tool call, so the answer is a ``ToolMessage``."""
    return tool.invoke({"type": "tool_call", "id": "t1", "name": tool.name, "args": args})


def _no_key(text: str, *keys: str) -> None:
    assert keys and all(key not in text for key in keys)


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (400, "Your request was rejected as a result of our content policy."),
        (400, "Unsupported size 7x7"),
        (500, "upstream provider failed"),
    ],
)
def test_refusals_and_provider_errors_come_back_as_tool_messages(
    emulator: Any, tmp_path: Path, status: int, detail: str, byok_key: str
) -> None:
    emulator.enqueue("/images/generations", status=status, json={"detail": detail}, times=5)
    tool = IndoxHubImageGenerationTool(
        output_dir=str(tmp_path), max_retries=0, byok_api_key=byok_key, **_conn(emulator)
    )
    answer = _call(tool, {"prompt": "a cat"})
    assert isinstance(answer, ToolMessage) and answer.status == "error"
    assert detail in answer.content and answer.content.startswith("Tool error")
    _no_key(str(answer), byok_key, emulator.api_key)


def test_missing_file_and_file_outside_root_dir(emulator: Any, tmp_path: Path) -> None:
    tool = IndoxHubSpeechToTextTool(root_dir=str(tmp_path), **_conn(emulator))
    before = len(emulator.requests)
    missing = _call(tool, {"audio_path": "nope.wav"})
    outside = _call(tool, {"audio_path": "../../etc/passwd"})
    assert "does not exist" in missing.content and missing.status == "error"
    assert "outside the tool's root_dir" in outside.content and outside.status == "error"
    assert len(emulator.requests) == before  # refused before any request


def test_account_errors_raise(emulator: Any, tmp_path: Path) -> None:
    emulator.set_credits(0)
    tool = IndoxHubTextToSpeechTool(output_dir=str(tmp_path), **_conn(emulator))
    with pytest.raises(InsufficientCreditsError) as info:
        _call(tool, {"text": "hello"})
    _no_key(str(info.value), emulator.api_key)
    bad_key = IndoxHubTextToSpeechTool(
        output_dir=str(tmp_path), base_url=emulator.base_url, api_key="ixh-wrong"
    )
    with pytest.raises(AuthenticationError):
        _call(bad_key, {"text": "hello"})


def test_both_behaviours_are_configurable(emulator: Any, tmp_path: Path) -> None:
    emulator.set_credits(0)
    tool = IndoxHubTextToSpeechTool(
        output_dir=str(tmp_path), raise_account_errors=False, **_conn(emulator)
    )
    answer = _call(tool, {"text": "hello"})
    assert answer.status == "error" and "credit" in answer.content.lower()
    emulator.set_credits(10)
    emulator.enqueue("/audio/tts/generations", status=400, json={"detail": "bad voice"})
    strict = IndoxHubTextToSpeechTool(
        output_dir=str(tmp_path), handle_tool_error=False, **_conn(emulator)
    )
    with pytest.raises(ToolException, match="bad voice"):
        _call(strict, {"text": "hello", "voice": "nobody"})

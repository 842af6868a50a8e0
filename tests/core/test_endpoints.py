"""Endpoints as data: one table, one planner, and the pure path and catalog decisions."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from indoxhub_integrations.core import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.core.endpoints import (
    CHAT,
    ENDPOINTS,
    TRANSLATION,
    catalog_path,
    plan_call,
    select_model,
    stop_stream_path,
)
from indoxhub_integrations.core.errors import InvalidRequestError, ModelNotFoundError
from indoxhub_integrations.core.wire import ModelInfo, StreamEvent


def _info(model_id: str) -> ModelInfo:
    provider, _, name = model_id.partition("/")
    return ModelInfo(id=model_id, provider=provider, name=name)


def test_every_endpoint_is_planned_by_the_one_planner() -> None:
    for spec in ENDPOINTS:
        payload: Any = b"RIFF" if spec.upload else ("hello" if spec.endpoint != "chat" else [])
        if spec.endpoint == "chat":
            payload = [{"role": "user", "content": "hi"}]
        call = plan_call(spec, payload, "openai/x", {}, byok_key=None)
        assert call.path == f"/api/v1/{spec.path}" and call.endpoint == spec.endpoint
        assert (call.files is not None) == spec.upload


def test_the_planner_streams_only_where_the_endpoint_can() -> None:
    call = plan_call(CHAT, [{"role": "user", "content": "hi"}], "openai/x", {}, byok_key=None,
                     stream=True)  # fmt: skip
    assert call.stream and call.json is not None and call.json["stream"] is True
    with pytest.raises(InvalidRequestError):
        plan_call(TRANSLATION, b"", "openai/whisper-1", {}, byok_key=None)


def test_get_model_selects_by_id() -> None:
    models = [_info("openai/gpt-4o-mini"), _info("openai/gpt-4o")]
    assert select_model(models, "openai/gpt-4o").id == "openai/gpt-4o"
    with pytest.raises(ModelNotFoundError):
        select_model([], "openai/gpt-4o")
    with pytest.raises(ModelNotFoundError):
        select_model(models, "openai/o3")


def test_get_model_against_the_emulator(emulator: Any) -> None:
    client = IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)
    assert client.get_model("openai/gpt-4o-mini").id == "openai/gpt-4o-mini"


def test_paths() -> None:
    assert catalog_path() == "models/" and catalog_path("openai") == "models/openai"
    assert stop_stream_path("s1") == "/api/v1/chat/stop-stream/s1"
    assert stop_stream_path("s1", "completion") == "/api/v1/completions/stop-stream/s1"


def test_done_result_only_on_done_events() -> None:
    with pytest.raises(ValueError, match="done"):
        StreamEvent(type="text").done_result()


def test_async_client_imports_without_the_sync_module_first() -> None:
    code = "import indoxhub_integrations.core.async_client as m; print(m.AsyncIndoxHubClient)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert AsyncIndoxHubClient.__module__.endswith("async_client")

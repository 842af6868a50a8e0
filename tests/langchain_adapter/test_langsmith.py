"""Runs traced to LangSmith (the real ``langsmith`` client, a capture server on loopback).

What reaches LangSmith for each model call: ``ls_provider``/``ls_model_name`` in the run
metadata, token counts in ``usage_metadata``, and indoxhub's own cost in the message's
``response_metadata`` (``cost``: 0 for BYOK, null when unknown); never a key. The cost in
``usage_metadata`` (where LangSmith reads it) is tested in ``test_langsmith_cost.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from capture_server import Captured, capture_server

from indoxhub_integrations.langchain import ChatIndoxHub

langsmith = pytest.importorskip("langsmith")

from langchain_core.tracers.context import tracing_v2_enabled  # noqa: E402


def _ok(request: Captured) -> tuple[int, Any]:
    if request.path.endswith("/info"):
        return 200, {"version": "0.0.0", "batch_ingest_config": {}}
    return 200, {}


def _trace(emulator: Any, **call: Any) -> str:
    """Invoke and stream once under tracing; return everything uploaded, as text."""
    with capture_server(_ok) as server:
        client = langsmith.Client(
            api_url=server.base_url, api_key="lsv2-test-key", auto_batch_tracing=False
        )
        llm = ChatIndoxHub(base_url=emulator.base_url, api_key=emulator.api_key)
        with tracing_v2_enabled(project_name="indoxhub-test", client=client):
            llm.invoke("Hello", **call)
            list(llm.stream("Hello", **call))
        client.flush()
        uploads = [r for r in server.requests if r.method in ("POST", "PATCH")]
    assert uploads, "nothing was uploaded"
    return "\n".join(r.text for r in uploads)


def test_trace_has_provider_model_tokens_and_cost(emulator: Any) -> None:
    text = _trace(emulator)
    assert '"ls_provider": "indoxhub"' in text or '"ls_provider":"indoxhub"' in text
    assert "openai/gpt-4o-mini" in text
    assert "input_tokens" in text
    costs = [r.cost for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert costs and all(cost > 0 for cost in costs)
    uploaded = {float(value) for value in re.findall(r'"cost":\s*([0-9.eE+-]+)', text)}
    assert costs[0] in uploaded  # the message's response_metadata cost
    assert emulator.api_key not in text


def test_byok_trace_shows_zero_cost_and_no_key(emulator: Any, byok_key: str) -> None:
    text = _trace(emulator, byok_api_key=byok_key)
    assert byok_key not in text and emulator.api_key not in text
    assert '"byok": true' in text or '"byok":true' in text
    assert '"cost": 0.0' in text or '"cost":0.0' in text

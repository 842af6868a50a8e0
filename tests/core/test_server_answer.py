"""The client reads the server's answer (BYOK markers, cost, usage), not its own assumptions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from indoxhub_integrations import IndoxHubClient
from indoxhub_integrations.errors import IndoxHubWarning

CHAT = "openai/gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Tell me about the blue whale"}]


def client_for(emulator: Any, **kw: Any) -> IndoxHubClient:
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


def legacy(cost: Any, **extra: Any) -> dict[str, Any]:
    usage = {"tokens_prompt": 5, "tokens_completion": 7, "tokens_total": 12, "cost": cost}
    return {"request_id": "r1", "provider": "openai", "model": "gpt-4o-mini", "success": True,
            "data": "hi", "usage": usage, **extra}  # fmt: skip


def test_byok_sent_but_billed_is_not_byok_and_warns(emulator: Any, byok_key: str) -> None:
    emulator.enqueue("/chat/completions", json=legacy(0.0125))
    with pytest.warns(IndoxHubWarning, match="key was not used"):
        result = client_for(emulator).chat(MESSAGES, model=CHAT, byok_api_key=byok_key)
    assert result.meta.byok is False
    assert result.usage.cost == pytest.approx(0.0125)


def test_byok_marker_in_body_or_header_decides(emulator: Any, byok_key: str) -> None:
    client = client_for(emulator)
    emulator.enqueue("/chat/completions", json=legacy(0.0, byok_api_key=True))
    result = client.chat(MESSAGES, model=CHAT, byok_api_key=byok_key)
    assert result.meta.byok is True and result.usage.cost == 0.0
    headers = {"X-RateLimit-Bypass": "BYOK API key used"}
    emulator.enqueue("/chat/completions", json=legacy(None), headers=headers)
    result = client.chat(MESSAGES, model=CHAT, byok_api_key=byok_key)
    assert result.meta.byok is True and result.meta.rate_limit_bypass == "BYOK API key used"
    # the emulator's own BYOK answer carries the markers
    result = client.chat(MESSAGES, model=CHAT, byok_api_key=byok_key)
    assert result.meta.byok is True and result.usage.cost == 0.0


@pytest.mark.parametrize("cost", ["NaN", "Infinity", "-Infinity", "-0.5"])
def test_invalid_reported_cost_is_unknown(emulator: Any, cost: str) -> None:
    body = json.dumps(legacy(0.0)).replace('"cost": 0.0', f'"cost": {cost}').encode()
    emulator.enqueue(
        "/chat/completions", body=body, headers={"content-type": "application/json"}
    )
    with pytest.warns(IndoxHubWarning, match="invalid cost"):
        result = client_for(emulator, estimate_cost=False).chat(MESSAGES, model=CHAT)
    assert result.usage.cost is None
    assert result.usage.input_tokens == 5


def _sse(*events: Any) -> bytes:
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


def test_stream_without_usage_reports_unknown(emulator: Any) -> None:
    delta = {"index": 0, "delta": {"content": "Hello"}, "finish_reason": None}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
             "choices": [delta]}  # fmt: skip
    last = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    emulator.enqueue(
        "/chat/completions",
        body=_sse(chunk, last),
        headers={"content-type": "text/event-stream"},
    )
    events = list(client_for(emulator).stream_chat(MESSAGES, model=CHAT))
    done = events[-1]
    assert done.type == "done" and done.usage is not None
    assert done.result is not None and done.result.text == "Hello"
    assert done.usage.cost is None and done.usage.cost_estimated is False
    assert done.usage.reported is False


def test_stream_with_usage_is_reported(emulator: Any) -> None:
    events = list(client_for(emulator).stream_chat(MESSAGES, model=CHAT))
    usage = events[-1].usage
    assert usage is not None and usage.reported and usage.input_tokens > 0


def test_token_exchange_falls_back_on_the_cookie(emulator: Any) -> None:
    cookie = f"access_token={emulator.api_key}; HttpOnly; Path=/; SameSite=lax"
    headers = {"Set-Cookie": cookie}
    emulator.enqueue("/auth/api-key", json={"token_type": "bearer"}, headers=headers)
    client = client_for(emulator, token_exchange=True)
    result = client.chat(MESSAGES, model=CHAT)
    assert result.text
    paths = [record.path for record in emulator.requests]
    assert paths[0].endswith("/auth/api-key") and "/api/v1/chat/completions" in paths

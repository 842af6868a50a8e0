"""Credits, tiers and rate limits, usage reports, and BYOK requests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from indoxhub_integrations.emulator import IndoxHubEmulator

CHAT = "/api/v1/chat/completions"
Body = Callable[..., dict[str, Any]]
BYOK_OPENAI = "sk-proj-CANARY-emulator-openai-0123456789"
BYOK_ANTHROPIC = "sk-ant-CANARY-emulator-anthropic-0123456789"


def test_credits_are_deducted_exactly(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_credits(1.0)
    expected = 1.0
    for text in ("one", "two words", "three little words"):
        emulator.set_response_style("legacy")
        body = client.post(CHAT, json=chat_body(text)).json()
        usage = body["usage"]
        cost = usage["tokens_prompt"] / 1000 * 0.00015 + usage["tokens_completion"] / 1000 * 0.0006
        assert usage["cost"] == cost
        expected -= cost
        assert emulator.credits == expected
    assert client.get("/api/v1/user/me").json()["credits"] == expected


def test_insufficient_credits_402(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_credits(0.0)
    response = client.post(CHAT, json=chat_body())
    assert response.status_code == 402
    assert response.json()["detail"].startswith("Insufficient credits")
    emulator.set_credits(0.000001)  # less than one answer costs
    assert client.post(CHAT, json=chat_body(model="openai/gpt-4o")).status_code == 402
    assert emulator.credits == 0.000001
    assert emulator.usage()["total_requests"] == 0
    assert [r.status for r in emulator.requests] == [402, 402]


def test_free_tier_requests_per_minute_429(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_tier("free")
    for _ in range(10):
        assert client.post(CHAT, json=chat_body()).status_code == 200
    limited = client.post(CHAT, json=chat_body())
    assert limited.status_code == 429
    body = limited.json()
    assert body["success"] is False
    assert body["error"] == "RateLimitError"
    assert body["status_code"] == 429
    assert body["request_id"] == limited.headers["x-request-id"]
    details = body["details"]
    assert details["limit_type"] == "requests_per_minute"
    assert details["limit"] == 10
    assert 1 <= details["retry_after"] <= 60
    assert int(limited.headers["retry-after"]) == details["retry_after"]
    assert datetime.fromisoformat(details["reset_time"])
    emulator.set_tier("unlimited")
    assert client.post(CHAT, json=chat_body()).status_code == 200


def test_free_tier_tokens_per_hour_429(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_tier("free")
    big = " ".join(["word"] * 6000)
    assert client.post(CHAT, json=chat_body(big)).status_code == 200
    limited = client.post(CHAT, json=chat_body(big))
    assert limited.status_code == 429
    assert limited.json()["details"]["limit_type"] == "tokens_per_hour"
    assert limited.json()["details"]["limit"] == 10_000


def test_usage_report_sums_the_log(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    client.post(CHAT, json=chat_body("a"))
    client.post(CHAT, json=chat_body("b", model="anthropic/claude-3-haiku-20240307"))
    client.post(
        "/api/v1/embeddings", json={"model": "openai/text-embedding-3-small", "text": ["x y"]}
    )
    client.post(CHAT, json=chat_body(model="openai/nope"))  # 404: not counted
    client.post(CHAT, json=chat_body("c", byok_api_key=BYOK_OPENAI))
    report = client.get("/api/v1/user/usage").json()
    assert report == emulator.usage()
    ok = [r for r in emulator.requests if r.endpoint and 200 <= r.status < 300]
    assert report["total_requests"] == len(ok) == 4
    assert report["total_cost"] == sum(r.cost for r in ok)
    assert report["byok_requests"] == 1
    assert report["platform_requests"] == 3
    assert report["remaining_credits"] == emulator.credits
    assert report["endpoints"]["chat"]["requests"] == 3
    assert report["endpoints"]["embedding"]["requests"] == 1
    assert report["providers"]["anthropic"]["requests"] == 1
    assert report["models"]["openai/gpt-4o-mini"]["cost"] == sum(
        r.cost for r in ok if r.model == "openai/gpt-4o-mini"
    )
    total = sum(r.input_tokens + r.output_tokens for r in ok)
    assert report["total_tokens"]["total"] == total  # the documented TokenUsage
    assert report["total_tokens"]["input"] == sum(r.input_tokens for r in ok)
    assert report["endpoints"]["chat"]["tokens"].keys() == {"input", "output", "total"}
    assert report["daily_usage"][0]["requests"] == len(ok)
    assert report["daily_usage"][0]["tokens"]["total"] == total


def test_byok_request_is_free_marked_and_unlimited(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_tier("free")
    emulator.set_credits(0.0)
    for style in ("responses", "legacy", "openai"):
        emulator.set_response_style(style)
        for _ in range(5):
            response = client.post(CHAT, json=chat_body(byok_api_key=BYOK_OPENAI))
            assert response.status_code == 200
            assert response.headers["x-ratelimit-bypass"] == "BYOK API key used"
            assert response.json()["byok_api_key"] is True
    assert client.post(CHAT, json=chat_body("x", byok_api_key=BYOK_OPENAI, stream=True)).headers[
        "x-ratelimit-bypass"
    ]
    emulator.set_response_style("legacy")
    legacy = client.post(CHAT, json=chat_body(byok_api_key=BYOK_OPENAI)).json()
    assert legacy["usage"]["cost"] == 0
    assert emulator.credits == 0.0
    record = emulator.requests[-1]
    assert record.byok is True
    assert record.cost == 0.0
    assert record.byok_key_sha256 == hashlib.sha256(BYOK_OPENAI.encode()).hexdigest()
    assert record.json["byok_api_key"] == "sk-...6789"
    assert client.post(CHAT, json=chat_body()).status_code in (402, 429)


def test_byok_provider_mismatch_400(client: httpx.Client, chat_body: Body) -> None:
    response = client.post(CHAT, json=chat_body(byok_api_key=BYOK_ANTHROPIC))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("BYOK key does not belong to provider")
    assert BYOK_ANTHROPIC not in response.text
    ok = client.post(
        CHAT, json=chat_body(model="anthropic/claude-3-haiku-20240307", byok_api_key=BYOK_ANTHROPIC)
    )
    assert ok.status_code == 200


def test_byok_invalid_key_401_is_masked(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    key = "sk-invalid-CANARY-key-000000000000XXXX"
    response = client.post(CHAT, json=chat_body(byok_api_key=key))
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert detail == "Provider authentication failed: Incorrect API key provided: sk-...XXXX"
    assert key not in response.text
    assert emulator.requests[-1].status == 401


def test_request_log_never_holds_secrets(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    canary = "sk-CANARY-do-not-log-5e4d3c2b1a"
    client.post(CHAT, json=chat_body(byok_api_key=canary))
    client.post(CHAT, json=chat_body(model="openai/nope", byok_api_key=canary))
    client.post(CHAT, json={"messages": 3, "byok_api_key": canary})
    client.post(CHAT, json=chat_body(additional_params={"byok_api_key": canary}))
    client.post(CHAT, json=chat_body(byok_api_key=[canary]))
    files = {"file": ("a.wav", b"RIFF....", "audio/wav")}
    client.post(
        "/api/v1/audio/stt/transcriptions",
        files=files,
        data={"model": "openai/whisper-1", "byok_api_key": canary},
    )
    assert len(emulator.requests) == 6
    assert canary not in repr(emulator.requests)
    assert canary not in client.get("/_emulator/requests").text
    assert emulator.api_key not in repr(emulator.requests)
    assert "authorization" not in repr(emulator.requests).lower()

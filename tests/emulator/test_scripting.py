"""Scripted answers and faults, from Python and over the /_emulator HTTP routes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator

CHAT = "/api/v1/chat/completions"
Body = Callable[..., dict[str, Any]]
Sse = Callable[[str], list[Any]]


def test_fixed_status_json_and_headers(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.enqueue(
        "/chat/completions",
        status=503,
        json={"detail": "Model busy"},
        headers={"X-Extra": "yes"},
        times=2,
    )
    for _ in range(2):
        response = client.post(CHAT, json=chat_body())
        assert response.status_code == 503
        assert response.json() == {"detail": "Model busy"}
        assert response.headers["x-extra"] == "yes"
        assert response.headers["x-request-id"]
    assert client.post(CHAT, json=chat_body()).status_code == 200
    assert [r.status for r in emulator.requests] == [503, 503, 200]
    assert emulator.usage()["total_requests"] == 1


def test_raw_body_and_path_matching(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.enqueue("/embeddings", body=b"plain", headers={"content-type": "text/plain"})
    assert client.post(CHAT, json=chat_body()).status_code == 200  # another path
    scripted = client.post("/api/v1/embeddings", json={"model": "x"})
    assert scripted.content == b"plain"
    assert scripted.headers["content-type"].startswith("text/plain")


def test_path_none_matches_model_calls_only(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.enqueue(status=500)
    assert client.get("/api/v1/user/me").status_code == 200
    assert client.get("/api/v1/models/").status_code == 200
    failed = client.post(CHAT, json=chat_body())
    assert failed.status_code == 500
    assert failed.json() == {"detail": "Internal Server Error"}


def test_content_tool_calls_and_usage_overrides(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_response_style("legacy")
    emulator.enqueue(
        content="Scripted!",
        usage={"input_tokens": 100, "output_tokens": 50},
        headers={"X-Scripted": "1"},
    )
    response = client.post(CHAT, json=chat_body())
    assert response.headers["x-scripted"] == "1"
    body = response.json()
    assert body["data"] == "Scripted!"
    assert body["usage"]["tokens_prompt"] == 100
    assert body["usage"]["cost"] == 100 / 1000 * 0.00015 + 50 / 1000 * 0.0006
    emulator.enqueue(
        tool_calls=[{"name": "search", "arguments": {"q": "x"}, "id": "call_9"}],
        usage={"cost": 0.5},
    )
    body = client.post(CHAT, json=chat_body()).json()
    assert body["finish_reason"] == "tool_calls"
    assert body["tool_calls"] == [
        {
            "id": "call_9",
            "type": "function",
            "function": {"name": "search", "arguments": '{"q": "x"}'},
        }
    ]
    assert body["usage"]["cost"] == 0.5
    assert emulator.requests[-1].cost == 0.5


def test_override_in_a_stream(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body, sse: Sse
) -> None:
    emulator.enqueue(content="one two three")
    events = sse(client.post(CHAT, json=chat_body(stream=True)).text)
    deltas = [e["delta"] for e in events[:-1] if e["type"] == "response.content_part.delta"]
    assert deltas == ["one", " two", " three"]


def test_delay_fault(emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body) -> None:
    emulator.enqueue(fault="delay", delay=0.2)
    started = time.perf_counter()
    assert client.post(CHAT, json=chat_body()).status_code == 200
    assert time.perf_counter() - started >= 0.2
    with pytest.raises(httpx.ReadTimeout):
        emulator.enqueue(fault="delay", delay=0.5)
        client.post(CHAT, json=chat_body(), timeout=0.05)
    # The server still answers the abandoned request (and charges it) after the delay: wait
    # for it here, or it lands in the next test's log, credits and rate window.
    deadline = time.monotonic() + 10
    while len(emulator.requests) < 2 and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert len(emulator.requests) == 2


def test_drop_fault_is_a_connection_error(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    credits = emulator.credits
    emulator.enqueue(fault="drop")
    with pytest.raises(httpx.TransportError):
        client.post(CHAT, json=chat_body())
    assert client.post(CHAT, json=chat_body()).status_code == 200
    first, second = emulator.requests
    assert (first.status, first.cost) == (0, 0.0)
    assert emulator.credits == credits - second.cost


def test_cut_stream_fault(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body, sse: Sse
) -> None:
    emulator.enqueue(fault="cut_stream", after_events=3)
    events = sse(client.post(CHAT, json=chat_body(stream=True)).text)
    assert len(events) == 3
    assert "[DONE]" not in events
    assert all(e["type"] != "response.done" for e in events)
    emulator.enqueue(fault="cut_stream")
    truncated = client.post(CHAT, json=chat_body())
    with pytest.raises(json.JSONDecodeError):
        truncated.json()
    cut_stream, cut_body = emulator.requests[-2:]
    assert (cut_stream.fault, cut_stream.outcome) == ("cut_stream", "cut")
    assert (cut_body.fault, cut_body.outcome) == ("cut_stream", "cut")
    assert emulator.usage()["total_requests"] == 0  # a cut is not a completed, billed answer


def test_client_closing_a_stream_early_is_logged_quietly(
    emulator: IndoxHubEmulator, chat_body: Body, capfd: pytest.CaptureFixture[str]
) -> None:
    body = chat_body(stream=True)
    body["messages"][-1]["content"] = "word " * 3000
    body["additional_params"] = {"emulator_event_delay": 0.001}
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    with (
        httpx.Client(base_url=emulator.base_url, headers=headers) as own,
        own.stream("POST", CHAT, json=body) as response,
    ):
        for number, _ in enumerate(response.iter_lines()):
            if number > 2:
                break
    with httpx.Client(base_url=emulator.base_url) as control:
        for _ in range(500):  # the stream ends when the server notices the close
            if emulator.requests[0].outcome == "closed_by_client":
                break
            control.get("/_emulator/health")
    assert emulator.requests[0].outcome == "closed_by_client"
    assert "socket.send()" not in capfd.readouterr().err


def test_stream_error_fault(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body, sse: Sse
) -> None:
    emulator.enqueue(fault="stream_error", after_events=2)
    events = sse(client.post(CHAT, json=chat_body(stream=True)).text)
    assert len(events) == 3
    assert events[-1] == {"error": "Status 500: provider exploded"}
    emulator.enqueue(fault="stream_error")
    failed = client.post(CHAT, json=chat_body())
    assert failed.status_code == 500
    assert emulator.requests[-1].status == 500


def test_malformed_json_fault(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.enqueue(fault="malformed_json")
    response = client.post(CHAT, json=chat_body())
    assert response.status_code == 200
    assert response.text.startswith('{"id":')
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert emulator.requests[-1].cost == 0.0
    assert emulator.credits == 100.0


def test_latency_is_added_to_answers(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_latency(0.15)
    started = time.perf_counter()
    client.post(CHAT, json=chat_body())
    assert time.perf_counter() - started >= 0.15
    emulator.reset()
    started = time.perf_counter()
    client.post(CHAT, json=chat_body())
    assert time.perf_counter() - started < 0.15


def test_reset_restores_everything(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_credits(1.0)
    emulator.set_tier("free")
    emulator.set_response_style("legacy")
    emulator.enqueue(status=500)
    client.post(CHAT, json=chat_body())
    emulator.reset()
    assert (emulator.credits, emulator.tier, emulator.response_style) == (
        100.0,
        "unlimited",
        "responses",
    )
    assert emulator.requests == []
    assert emulator.usage()["total_requests"] == 0
    assert client.post(CHAT, json=chat_body()).status_code == 200


def test_http_control_routes(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    control = httpx.Client(base_url=emulator.base_url)  # no auth needed
    assert control.post("/_emulator/credits", json={"credits": 2.5}).json() == {"credits": 2.5}
    assert emulator.credits == 2.5
    assert control.post("/_emulator/tier", json={"tier": "standard"}).status_code == 200
    assert emulator.tier == "standard"
    assert control.post("/_emulator/style", json={"style": "openai"}).status_code == 200
    assert control.post("/_emulator/style", json={"style": "xml"}).status_code == 422
    assert control.post("/_emulator/tier", json={}).status_code == 422
    queued = control.post(
        "/_emulator/enqueue",
        json={
            "path": "/chat/completions",
            "status": 429,
            "json": {"detail": "slow"},
            "headers": {"Retry-After": "3"},
        },
    )
    assert queued.json()["queued"] is True
    limited = client.post(CHAT, json=chat_body())
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert control.post("/_emulator/enqueue", json={"fault": "nope"}).status_code == 422
    assert control.post("/_emulator/enqueue", json={"times": "x"}).status_code == 422
    control.post("/_emulator/enqueue", json={"content": "via http"})
    answer = client.post(CHAT, json=chat_body()).json()
    assert answer["choices"][0]["message"]["content"] == "via http"
    log = control.get("/_emulator/requests").json()
    assert [r["status"] for r in log] == [429, 200]
    assert log[1]["model"] == "openai/gpt-4o-mini"
    assert control.get("/_emulator/usage").json()["total_requests"] == 1
    token = client.post("/api/v1/auth/api-key", headers={"X-API-Key": emulator.api_key})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get("/api/v1/user/me", headers=bearer).status_code == 200
    control.post("/_emulator/expire-tokens")
    assert client.get("/api/v1/user/me", headers=bearer).status_code == 401
    assert control.post("/_emulator/reset").json() == {"reset": True}
    assert emulator.credits == 100.0
    assert control.get("/_emulator/files/missing.png").status_code == 404
    control.close()


def test_a_request_still_running_at_a_reset_stays_out_of_the_new_log(
    emulator: IndoxHubEmulator, chat_body: Body
) -> None:
    emulator.enqueue(fault="delay", delay=0.3)
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers) as slow:
        with pytest.raises(httpx.ReadTimeout):
            slow.post(CHAT, json=chat_body(), timeout=0.05)
        emulator.reset()  # the delayed request is still sleeping on the server
        credits = emulator.credits
        # a request made after the reset completes after the delayed one has finished too
        emulator.enqueue(fault="delay", delay=0.4)
        assert slow.post(CHAT, json=chat_body(), timeout=5).status_code == 200
    assert [r.status for r in emulator.requests] == [200]
    assert emulator.credits == credits - emulator.requests[0].cost

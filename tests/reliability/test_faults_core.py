"""Faults through the core clients (sync, async, sync stream, async stream).

Every documented status, dropped connections before and during an answer, cut streams, error
events, malformed and wrong-shape bodies, timeouts and expiring tokens. For each: the exception
class, the server's message, status and request id; retries exactly where design.md allows them
(counted in the emulator's log) with back-offs that honour ``Retry-After`` (recorded by the
``sleeps`` fixture instead of slept); never a partial answer reported as complete.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from indoxhub_integrations.core.wire import ChatResult
from indoxhub_integrations.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    IndoxHubError,
    InsufficientCreditsError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitError,
    ServiceUnavailableError,
    StreamInterruptedError,
)

from .conftest import (
    ALL_STATUSES,
    CHAT,
    RETRYABLE,
    aclient_for,
    client_for,
    exchanges,
    messages,
    model_calls,
    wait_for,
)

MODES = ("sync", "async", "stream", "astream")
STREAMING = ("stream", "astream")
CLASSES: dict[int, type[IndoxHubError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    404: ModelNotFoundError,
    422: InvalidRequestError,
    429: RateLimitError,
    500: ProviderError,
    502: ProviderError,
    503: ServiceUnavailableError,
    504: ProviderError,
}
PATH = "/chat/completions"


async def chat(
    emulator: Any, mode: str, text: str = "Tell me about the blue whale", **kw: Any
) -> tuple[ChatResult, list[Any]]:
    """One chat call in ``mode``; returns the result and the stream events seen (streams)."""
    seen: list[Any] = []
    call_kw = {k: kw.pop(k) for k in ("byok_api_key", "additional_params") if k in kw}
    if mode == "sync":
        return client_for(emulator, **kw).chat(messages(text), model=CHAT, **call_kw), seen
    if mode == "stream":
        for event in client_for(emulator, **kw).stream_chat(messages(text), model=CHAT, **call_kw):
            seen.append(event)
        assert seen[-1].type == "done" and seen[-1].result is not None
        return seen[-1].result, seen
    async with aclient_for(emulator, **kw) as client:
        if mode == "async":
            return await client.chat(messages(text), model=CHAT, **call_kw), seen
        async for event in await client.stream_chat(messages(text), model=CHAT, **call_kw):
            seen.append(event)
    assert seen[-1].type == "done" and seen[-1].result is not None
    return seen[-1].result, seen


async def failing(emulator: Any, mode: str, **kw: Any) -> tuple[IndoxHubError, list[Any]]:
    """Run a call that must fail; return its error and the stream events seen before it."""
    seen: list[Any] = []
    call_kw = {k: kw.pop(k) for k in ("byok_api_key", "additional_params") if k in kw}
    try:
        if mode in ("sync", "async"):
            await chat(emulator, mode, **call_kw, **kw)
        elif mode == "stream":
            for event in client_for(emulator, **kw).stream_chat(messages(), model=CHAT, **call_kw):
                seen.append(event)
        else:
            async with aclient_for(emulator, **kw) as client:
                async for event in await client.stream_chat(messages(), model=CHAT, **call_kw):
                    seen.append(event)
    except IndoxHubError as error:
        assert all(event.type != "done" for event in seen), "a partial answer was completed"
        return error, seen
    raise AssertionError(f"no error raised; events: {[e.type for e in seen]}")


def error_body(status: int, message: str, form: str) -> dict[str, Any]:
    if form == "envelope":
        return {
            "success": False,
            "error": "ScriptedError",
            "message": message,
            "status_code": status,
            "request_id": f"rid-{status}",
            "details": {"limit_type": "requests_per_minute", "limit": 10, "retry_after": 1}
            if status == 429
            else {},
        }
    if form == "validation":
        return {"detail": [{"loc": ["body", "messages"], "msg": message, "type": "value_error"}]}
    return {"detail": message}


# --------------------------------------------------------------------------- every status


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("form", ["envelope", "detail"])
async def test_every_status_maps_and_retries_as_designed(
    emulator: Any, sleeps: list[float], status: int, mode: str, form: str
) -> None:
    if form == "detail" and status == 422:
        form = "validation"
    message = f"scripted failure {status} for {mode}"
    emulator.enqueue(PATH, status=status, json=error_body(status, message, form), times=5)
    error, _ = await failing(emulator, mode, max_retries=2)

    assert type(error) is CLASSES[status]
    assert message in error.message and error.status_code == status
    sent = model_calls(emulator, PATH)
    expected_request_id = f"rid-{status}" if form == "envelope" else sent[-1].request_id
    assert error.request_id == expected_request_id
    if status in RETRYABLE:
        assert len(sent) == 3 and len(sleeps) == 2  # first attempt + max_retries
    elif status == 401:
        assert len(sent) == 2 and exchanges(emulator) == 1  # one re-authentication, no more
        assert sleeps == []
    else:
        assert len(sent) == 1 and sleeps == []  # 400, 402, 404, 422: never retried
    if status == 429:
        assert isinstance(error, RateLimitError) and error.source == "platform"
        if form == "envelope":
            assert error.retry_after == 1 and all(delay >= 1 for delay in sleeps)
    if form == "validation":
        assert error.details["errors"][0]["loc"] == ["body", "messages"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", RETRYABLE)
async def test_a_transient_status_is_retried_into_a_complete_answer(
    emulator: Any, sleeps: list[float], status: int, mode: str
) -> None:
    emulator.enqueue(PATH, status=status, json={"detail": "transient"}, times=2)
    result, _ = await chat(emulator, mode, text="marker-transient-7781", max_retries=2)
    assert "marker-transient-7781" in result.text
    assert [r.status for r in model_calls(emulator, PATH)] == [status, status, 200]
    assert len(sleeps) == 2


# --------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize("mode", MODES)
async def test_retry_after_header_is_honoured(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    emulator.enqueue(
        PATH, status=429, json={"detail": "slow down"}, headers={"Retry-After": "7"}, times=2
    )
    result, _ = await chat(emulator, mode, max_retries=3)
    assert result.text
    assert len(sleeps) == 2 and all(7 <= delay <= 60 for delay in sleeps)


@pytest.mark.parametrize("mode", MODES)
async def test_retry_after_in_details_wins_and_long_waits_are_not_slept(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    body = error_body(429, "rate limited", "envelope")
    body["details"]["retry_after"] = 12.5
    emulator.enqueue(PATH, status=429, json=body, headers={"Retry-After": "2"}, times=1)
    assert (await chat(emulator, mode, max_retries=1))[0].text
    assert len(sleeps) == 1 and sleeps[0] >= 12.5

    sleeps.clear()
    body["details"]["retry_after"] = 3600  # an hour: raise now instead of blocking
    emulator.enqueue(PATH, status=429, json=body, times=5)
    error, _ = await failing(emulator, mode, max_retries=5)
    assert isinstance(error, RateLimitError) and error.retry_after == 3600
    assert sleeps == [] and len(model_calls(emulator, PATH)) == 3


@pytest.mark.parametrize("mode", ["sync", "astream"])
async def test_the_emulators_real_tier_limit(
    emulator: Any, sleeps: list[float], byok_key: str, mode: str
) -> None:
    emulator.set_tier("free")  # 10 platform requests a minute
    client = client_for(emulator, max_retries=0)
    for _ in range(10):
        client.chat(messages(), model=CHAT)
    error, _ = await failing(emulator, mode, max_retries=1)
    assert isinstance(error, RateLimitError) and error.source == "platform"
    assert error.details["limit_type"] == "requests_per_minute"
    assert error.retry_after is not None and 1 <= error.retry_after <= 60
    assert sleeps and sleeps[0] >= error.retry_after - 1  # waited as long as it was told
    # BYOK requests are not counted against the platform limit
    assert (await chat(emulator, mode, byok_api_key=byok_key, max_retries=0))[0].meta.byok


@pytest.mark.parametrize("mode", MODES)
async def test_provider_and_platform_rate_limits_are_told_apart(
    emulator: Any, sleeps: list[float], byok_key: str, mode: str
) -> None:
    provider_body = {"detail": "Rate limit reached for gpt-4o-mini on requests per min"}
    emulator.enqueue(PATH, status=429, json=provider_body, times=3)
    byok_error, _ = await failing(emulator, mode, byok_api_key=byok_key, max_retries=2)
    assert isinstance(byok_error, RateLimitError) and byok_error.source == "provider"
    assert len(model_calls(emulator, PATH)) == 3  # provider limits are retried too

    emulator.reset()
    emulator.enqueue(PATH, status=429, json=provider_body, times=3)
    platform_error, _ = await failing(emulator, mode, max_retries=2)
    assert isinstance(platform_error, RateLimitError) and platform_error.source == "platform"

    emulator.reset()
    body = error_body(429, "Upstream provider limit", "envelope")
    body["details"]["limit_type"] = "provider_tokens_per_minute"
    emulator.enqueue(PATH, status=429, json=body, times=1)
    upstream, _ = await failing(emulator, mode, max_retries=0)
    assert isinstance(upstream, RateLimitError) and upstream.source == "provider"


# --------------------------------------------------------------------------- connections


@pytest.mark.parametrize("mode", MODES)
async def test_connection_dropped_before_the_answer(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    emulator.enqueue(PATH, fault="drop", times=3)
    error, _ = await failing(emulator, mode, max_retries=2)
    assert type(error) is APIConnectionError
    assert len(model_calls(emulator, PATH)) == 3 and len(sleeps) == 2

    emulator.enqueue(PATH, fault="drop", times=1)
    result, _ = await chat(emulator, mode, text="marker-after-drop-1234", max_retries=1)
    assert "marker-after-drop-1234" in result.text


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_connection_dropped_in_the_middle_of_the_body(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    # The server promises 4096 bytes and closes the connection after 17.
    partial = {"body": b'{"id": "x", "outp', "headers": {"content-length": "4096"}}
    emulator.enqueue(PATH, **partial, times=2)
    error, _ = await failing(emulator, mode, max_retries=1)
    assert type(error) is APIConnectionError
    assert len(model_calls(emulator, PATH)) == 2 and len(sleeps) == 1
    emulator.enqueue(PATH, **partial, times=1)
    assert (await chat(emulator, mode, max_retries=1))[0].text


def _sse(*events: Any) -> bytes:
    import json

    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


@pytest.mark.parametrize("mode", STREAMING)
async def test_stream_connection_dropped_after_events_is_not_retried(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    events = _sse(
        {"type": "response.created", "response": {"id": "r1", "status": "in_progress"}},
        {"type": "response.content_part.delta", "delta": "Half an ans"},
    )
    headers = {"content-type": "text/event-stream", "content-length": "100000"}
    emulator.enqueue(PATH, body=events, headers=headers, times=3)
    error, seen = await failing(emulator, mode, max_retries=2)
    assert type(error) is StreamInterruptedError
    assert "".join(e.text_delta for e in seen) == "Half an ans"
    assert len(model_calls(emulator, PATH)) == 1 and sleeps == []  # text was already seen


@pytest.mark.parametrize("mode", STREAMING)
async def test_stream_connection_dropped_before_any_event_is_retried(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    headers = {"content-type": "text/event-stream", "content-length": "100000"}
    emulator.enqueue(PATH, body=b'data: {"type": "resp', headers=headers, times=1)
    result, seen = await chat(emulator, mode, text="marker-stream-retry-55", max_retries=1)
    assert "marker-stream-retry-55" in result.text
    assert "".join(e.text_delta for e in seen) == result.text
    assert len(model_calls(emulator, PATH)) == 2 and len(sleeps) == 1


# --------------------------------------------------------------------------- streams


@pytest.mark.parametrize("mode", STREAMING)
@pytest.mark.parametrize("after", [0, 1, 3, 6])
@pytest.mark.parametrize("style", ["responses", "openai", "legacy"])
async def test_cut_stream_is_never_a_complete_answer(
    emulator: Any, sleeps: list[float], mode: str, after: int, style: str
) -> None:
    emulator.set_response_style(style)
    emulator.enqueue(PATH, fault="cut_stream", after_events=after)
    error, seen = await failing(emulator, mode, max_retries=2)
    assert type(error) is StreamInterruptedError
    assert error.request_id == model_calls(emulator, PATH)[-1].request_id
    assert len(model_calls(emulator, PATH)) == 1 and sleeps == []
    assert len(seen) <= after


@pytest.mark.parametrize("mode", STREAMING)
@pytest.mark.parametrize("after", [0, 2, 5])
async def test_error_event_mid_stream(
    emulator: Any, sleeps: list[float], mode: str, after: int
) -> None:
    emulator.enqueue(PATH, fault="stream_error", after_events=after)
    error, _ = await failing(emulator, mode, max_retries=2)
    assert type(error) is ProviderError and "provider exploded" in error.message
    assert error.request_id == model_calls(emulator, PATH)[-1].request_id
    assert len(model_calls(emulator, PATH)) == 1 and sleeps == []


@pytest.mark.parametrize("mode", STREAMING)
@pytest.mark.parametrize("after", [0, 3])
async def test_malformed_json_event_mid_stream(
    emulator: Any, sleeps: list[float], mode: str, after: int
) -> None:
    emulator.enqueue(PATH, fault="malformed_json", after_events=after)
    error, seen = await failing(emulator, mode, max_retries=2)
    assert type(error) is StreamInterruptedError and "not JSON" in error.message
    assert error.request_id == model_calls(emulator, PATH)[-1].request_id
    assert len(model_calls(emulator, PATH)) == 1 and sleeps == [] and len(seen) <= after


@pytest.mark.parametrize("mode", STREAMING)
async def test_error_event_echoing_a_key_is_masked(
    emulator: Any, mode: str, byok_key: str, platform_key: str
) -> None:
    text = f"Status 401: Incorrect API key provided: {byok_key} (account {platform_key})"
    emulator.enqueue(
        PATH, body=_sse({"error": text}), headers={"content-type": "text/event-stream"}
    )
    error, _ = await failing(emulator, mode, byok_api_key=byok_key, max_retries=0)
    assert type(error) is AuthenticationError and error.status_code == 401
    blob = f"{error} {error!r} {error.args!r} {error.message}"
    assert byok_key not in blob and platform_key not in blob
    assert "Incorrect API key provided" in error.message


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_non_stream_error_fault_is_a_retried_500(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    emulator.enqueue(PATH, fault="stream_error", times=2)
    error, _ = await failing(emulator, mode, max_retries=1)
    assert type(error) is ProviderError and error.status_code == 500
    assert len(model_calls(emulator, PATH)) == 2


# --------------------------------------------------------------------------- bodies

WRONG_BODIES = [
    {"json": {"unexpected": 1}},
    {"json": [1, 2, 3]},
    {"json": "just a string"},
    {"json": {"output": "not a list", "object": "response"}},
    {"body": b"<html>502 Bad Gateway</html>", "headers": {"content-type": "text/html"}},
    {"body": b"", "headers": {"content-type": "application/json"}},
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("fault", ["malformed_json", "cut_stream"])
async def test_malformed_json_is_a_provider_error_not_retried(
    emulator: Any, sleeps: list[float], mode: str, fault: str
) -> None:
    emulator.enqueue(PATH, fault=fault, times=3)
    error, _ = await failing(emulator, mode, max_retries=2)
    assert type(error) is ProviderError
    assert error.request_id == model_calls(emulator, PATH)[-1].request_id
    assert len(model_calls(emulator, PATH)) == 1 and sleeps == []


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("script", WRONG_BODIES, ids=lambda s: repr(s)[:30])
async def test_wrong_shape_body_is_a_provider_error_with_the_request_id(
    emulator: Any, sleeps: list[float], mode: str, script: dict[str, Any]
) -> None:
    emulator.enqueue(PATH, **script, times=3)
    error, _ = await failing(emulator, mode, max_retries=2)
    assert type(error) is ProviderError and error.status_code == 200
    assert error.request_id == model_calls(emulator, PATH)[-1].request_id
    assert len(model_calls(emulator, PATH)) == 1 and sleeps == []


@pytest.mark.parametrize("mode", STREAMING)
@pytest.mark.parametrize(
    "body",
    [b'{"data": "json, not events"}', b"data: {not json}\n\n", b"event: ping\n\n", b""],
)
async def test_stream_of_the_wrong_shape_is_interrupted(
    emulator: Any, sleeps: list[float], mode: str, body: bytes
) -> None:
    emulator.enqueue(PATH, body=body, headers={"content-type": "text/event-stream"}, times=3)
    error, _ = await failing(emulator, mode, max_retries=2)
    assert type(error) is StreamInterruptedError
    assert error.request_id == model_calls(emulator, PATH)[-1].request_id
    assert len(model_calls(emulator, PATH)) == 1


# --------------------------------------------------------------------------- timeouts


@pytest.mark.parametrize("mode", MODES)
async def test_slow_answer_past_the_timeout(emulator: Any, sleeps: list[float], mode: str) -> None:
    emulator.enqueue(PATH, fault="delay", delay=0.6, times=2)
    error, _ = await failing(emulator, mode, timeout=0.2, max_retries=1)
    assert type(error) is APITimeoutError and isinstance(error, APIConnectionError)
    assert len(sleeps) == 1
    # The server finishes (and logs) the abandoned requests after its delay.
    wait_for(lambda: len(model_calls(emulator, PATH)) == 2)


@pytest.mark.parametrize("mode", STREAMING)
async def test_stream_that_stalls_after_its_first_event(
    emulator: Any, sleeps: list[float], mode: str
) -> None:
    # the first event comes at once, the next one only after 5 s: far past the 1 s timeout
    stall = {"emulator_event_delay": 5.0}
    error, seen = await failing(emulator, mode, timeout=1.0, max_retries=2, additional_params=stall)
    assert type(error) is StreamInterruptedError and "timed out" in error.message
    assert seen and seen[0].type == "start"
    assert len(model_calls(emulator, PATH)) == 1 and sleeps == []


# --------------------------------------------------------------------------- tokens


def test_token_expiring_mid_run_sync_threads(emulator: Any) -> None:
    client = client_for(emulator, token_exchange=True)
    client.chat(messages(), model=CHAT)
    assert exchanges(emulator) == 1
    emulator.expire_tokens()
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        barrier.wait()
        results.append(client.chat(messages(f"marker-thread-{index}"), model=CHAT))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.text.split('"')[1] for r in results) == sorted(
        f"marker-thread-{i}" for i in range(8)
    )
    assert exchanges(emulator) == 2  # refreshed once, not once per thread


async def test_token_expiring_mid_run_async_tasks(emulator: Any) -> None:
    async with aclient_for(emulator, token_exchange=True) as client:
        await client.chat(messages(), model=CHAT)
        emulator.expire_tokens()
        results = await asyncio.gather(
            *(client.chat(messages(f"marker-task-{i}"), model=CHAT) for i in range(30))
        )
        assert [f"marker-task-{i}" in r.text for i in range(30) for r in [results[i]]] == [
            True
        ] * 30
        assert exchanges(emulator) == 2  # refreshed once, not once per task
        # an open stream outlives the token it started with
        stream = await client.stream_chat(messages("marker-long-stream"), model=CHAT)
        first = await stream.__anext__()
        emulator.expire_tokens()
        rest = [event async for event in stream]
        assert first.type == "start" and rest[-1].type == "done"
        assert "marker-long-stream" in rest[-1].result.text
        assert (await client.chat(messages(), model=CHAT)).text
        assert exchanges(emulator) == 3


@pytest.mark.parametrize("mode", MODES)
async def test_token_refresh_that_fails_raises_once(emulator: Any, mode: str) -> None:
    client = client_for(emulator, token_exchange=True)
    aclient = aclient_for(emulator, token_exchange=True)
    client.me()
    await aclient.me()
    emulator.expire_tokens()
    emulator.enqueue("/auth/api-key", status=401, json={"detail": "Invalid API key"}, times=5)
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        if mode == "sync":
            client.chat(messages(), model=CHAT)
        elif mode == "stream":
            list(client.stream_chat(messages(), model=CHAT))
        elif mode == "async":
            await aclient.chat(messages(), model=CHAT)
        else:
            async for _ in await aclient.stream_chat(messages(), model=CHAT):
                pass
    await aclient.aclose()
    # one rejected request, one rejected exchange: no loop
    assert [r.status for r in emulator.requests[-2:]] == [401, 401]
    assert len(model_calls(emulator, PATH)) == 1

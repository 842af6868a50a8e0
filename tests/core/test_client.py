"""The core clients against the emulator on loopback: every endpoint, sync and async."""

from __future__ import annotations

import io
import logging
import pickle
import wave
from typing import Any

import pytest

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.errors import (
    APIConnectionError,
    AuthenticationError,
    ByokProviderMismatchError,
    InsufficientCreditsError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitError,
    ServiceUnavailableError,
    StreamInterruptedError,
)

CHAT = "openai/gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Tell me about the blue whale"}]
ANTHROPIC_KEY = "sk-ant-api03-CANARYANTHROPICKEY000"


def client_for(emulator: Any, **kw: Any) -> IndoxHubClient:
    kw.setdefault("max_retries", 2)
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


def aclient_for(emulator: Any, **kw: Any) -> AsyncIndoxHubClient:
    kw.setdefault("max_retries", 2)
    return AsyncIndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


# --------------------------------------------------------------------------- endpoints, sync


def test_chat_platform_request_costs_credits(emulator: Any) -> None:
    client = client_for(emulator)
    before = client.me()["credits"]
    result = client.chat(MESSAGES, model=CHAT)
    assert result.text and "whale" in result.text.lower()
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert result.usage.cost is not None and result.usage.cost > 0
    assert result.meta.byok is False and result.meta.rate_limit_bypass is None
    assert result.meta.model == CHAT and result.meta.provider == "openai"
    assert result.meta.request_id
    after = client.me()["credits"]
    assert before - after == pytest.approx(result.usage.cost, abs=1e-12)


def test_chat_byok_costs_nothing(emulator: Any, byok_key: str) -> None:
    client = client_for(emulator)
    before = client.me()["credits"]
    result = client.chat(MESSAGES, model=CHAT, byok_api_key=byok_key)
    assert result.usage.cost == 0 and result.usage.cost_estimated is False
    assert result.meta.byok is True
    assert result.meta.rate_limit_bypass == "BYOK API key used"
    assert client.me()["credits"] == before
    log = emulator.requests
    chat_log = [r for r in log if r.path.endswith("/chat/completions")]
    assert chat_log[-1].byok is True


def test_byok_skips_platform_rate_limit(emulator: Any, byok_key: str) -> None:
    emulator.set_tier("free")
    client = client_for(emulator, max_retries=0)
    for _ in range(15):
        assert client.chat(MESSAGES, model=CHAT, byok_api_key=byok_key).meta.byok


def test_mismatch_raises_before_sending(emulator: Any) -> None:
    client = client_for(emulator)
    with pytest.raises(ByokProviderMismatchError):
        client.chat(MESSAGES, model=CHAT, byok_api_key=ANTHROPIC_KEY)
    assert emulator.requests == []


def test_per_provider_key_map_and_instance_key(emulator: Any, byok_key: str) -> None:
    client = client_for(emulator, byok_api_keys={"anthropic": ANTHROPIC_KEY})
    result = client.chat(MESSAGES, model="anthropic/claude-3-haiku-20240307")
    assert result.meta.byok
    assert client.chat(MESSAGES, model=CHAT).meta.byok is False
    chats = [r for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert [r.byok for r in chats] == [True, False]


def test_insufficient_credits(emulator: Any) -> None:
    emulator.set_credits(0)
    with pytest.raises(InsufficientCreditsError) as info:
        client_for(emulator).chat(MESSAGES, model=CHAT)
    assert info.value.status_code == 402


def test_unknown_model(emulator: Any) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        client_for(emulator).chat(MESSAGES, model="openai/no-such-model")
    assert info.value.status_code == 404


def test_rate_limit_retried_then_surfaced(emulator: Any) -> None:
    emulator.enqueue(
        "/chat/completions",
        status=429,
        json={"detail": "Rate limit exceeded"},
        headers={"Retry-After": "0"},
        times=1,
    )
    client = client_for(emulator)
    assert client.chat(MESSAGES, model=CHAT).text
    emulator.enqueue(
        "/chat/completions",
        status=429,
        json={
            "success": False, "error": "RateLimitError", "message": "Too many requests",
            "status_code": 429, "request_id": "rl-1",
            "details": {"limit_type": "requests_per_minute", "limit": 10, "retry_after": 0},
        },
        times=3,
    )  # fmt: skip
    with pytest.raises(RateLimitError) as info:
        client.chat(MESSAGES, model=CHAT)
    assert info.value.retry_after == 0 and info.value.source == "platform"
    assert info.value.request_id == "rl-1"
    statuses = [r.status for r in emulator.requests if r.path.endswith("/chat/completions")]
    assert statuses == [429, 200, 429, 429, 429]


def test_5xx_retried_then_raised(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", status=503, json={"detail": "Model busy"}, times=3)
    with pytest.raises(ServiceUnavailableError, match="Model busy"):
        client_for(emulator).chat(MESSAGES, model=CHAT)
    emulator.enqueue("/chat/completions", status=500, json={"detail": "oops"}, times=1)
    assert client_for(emulator).chat(MESSAGES, model=CHAT).text


def test_400_not_retried(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", status=400, json={"detail": "bad"}, times=3)
    with pytest.raises(InvalidRequestError):
        client_for(emulator).chat(MESSAGES, model=CHAT)
    assert len([r for r in emulator.requests if r.path.endswith("/chat/completions")]) == 1


def test_dropped_connection_raises_connection_error(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", fault="drop", times=5)
    with pytest.raises(APIConnectionError):
        client_for(emulator, max_retries=1).chat(MESSAGES, model=CHAT)


def test_malformed_json_is_a_provider_error(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", fault="malformed_json")
    with pytest.raises(ProviderError):
        client_for(emulator, max_retries=0).chat(MESSAGES, model=CHAT)


@pytest.mark.parametrize("style", ["responses", "legacy", "openai"])
def test_stream_chat(emulator: Any, style: str) -> None:
    emulator.set_response_style(style)
    client = client_for(emulator)
    events = list(client.stream_chat(MESSAGES, model=CHAT))
    assert events[-1].type == "done"
    assert [e for e in events if e.type == "done"] == [events[-1]]
    text = "".join(e.text_delta for e in events)
    final = events[-1]
    assert final.result is not None and final.result.text == text
    assert final.usage is not None and final.usage.output_tokens > 0
    assert final.usage.cost is not None and final.usage.cost > 0
    assert text == client.chat(MESSAGES, model=CHAT).text


def test_stream_cut_midway_raises(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", fault="cut_stream", after_events=3)
    client = client_for(emulator)
    seen = []
    with pytest.raises(StreamInterruptedError):
        for event in client.stream_chat(MESSAGES, model=CHAT):
            seen.append(event)
    assert all(event.type != "done" for event in seen)


def test_stream_error_event_raises(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", fault="stream_error", after_events=2)
    with pytest.raises(ProviderError, match="provider exploded"):
        list(client_for(emulator).stream_chat(MESSAGES, model=CHAT))


@pytest.mark.parametrize("style", ["responses", "legacy", "openai"])
def test_styles_give_equal_results(emulator: Any, style: str) -> None:
    reference = client_for(emulator).chat(MESSAGES, model=CHAT, max_tokens=50)
    emulator.set_response_style(style)
    result = client_for(emulator).chat(MESSAGES, model=CHAT, max_tokens=50)
    assert result.text == reference.text
    assert result.usage.input_tokens == reference.usage.input_tokens
    assert result.usage.output_tokens == reference.usage.output_tokens
    assert result.usage.cost == pytest.approx(reference.usage.cost, abs=1e-12)
    # Only the Responses style omits the cost: there it is estimated from catalog pricing.
    assert result.usage.cost_estimated is (style == "responses")


def test_tool_calls(emulator: Any) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the weather for a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    result = client_for(emulator).chat(messages, model=CHAT, tools=tools, tool_choice="auto")
    assert result.finish_reason == "tool_calls"
    assert result.tool_calls[0].name == "get_weather"
    assert isinstance(result.tool_calls[0].arguments.get("city"), str)
    sent = [r.json for r in emulator.requests if r.path.endswith("/chat/completions")][-1]
    assert sent["additional_params"]["tools"] == tools


def test_completion_and_stream_complete(emulator: Any) -> None:
    client = client_for(emulator)
    result = client.complete("Once upon a time", model=CHAT)
    assert result.text and result.meta.endpoint == "completion"
    events = list(client.stream_complete("Once upon a time", model=CHAT))
    assert "".join(e.text_delta for e in events) == result.text


def test_embeddings_in_order(emulator: Any) -> None:
    client = client_for(emulator)
    texts = ["the cat sat", "a dog ran", "the cat sat on the mat"]
    result = client.embed(texts, model="openai/text-embedding-3-small")
    assert len(result.vectors) == 3
    single = [client.embed(t, model="openai/text-embedding-3-small").vectors[0] for t in texts]
    assert result.vectors == single
    assert result.usage.input_tokens > 0 and result.usage.cost is not None


def test_image_speech_and_transcription(emulator: Any, tmp_path: Any) -> None:
    client = client_for(emulator)
    image = client.generate_image("a red fox", model="openai/dall-e-3", response_format="b64_json")
    assert image.images[0].data is not None and image.images[0].data.startswith(b"\x89PNG")
    speech = client.text_to_speech("hello from the emulator", model="openai/tts-1")
    assert speech.url and speech.audio is not None  # the documented URL answer, downloaded
    with wave.open(io.BytesIO(speech.audio)) as wav:
        assert wav.getnframes() > 0
    path = tmp_path / "speech.wav"
    path.write_bytes(speech.audio)
    transcript = client.speech_to_text(path, model="openai/whisper-1")
    assert transcript.text == "hello from the emulator"
    translated = client.translate_audio(speech.audio, model="openai/whisper-1")
    assert translated.text


def test_catalog_account_and_usage(emulator: Any) -> None:
    client = client_for(emulator)
    models = client.list_models()
    ids = {m.id for m in models}
    assert CHAT in ids and "anthropic/claude-3-haiku-20240307" in ids
    priced = client.get_model(CHAT)
    assert priced.prompt_price is not None and priced.price_unit_tokens == 1000
    assert {m.provider for m in client.list_models("openai")} == {"openai"}
    client.chat(MESSAGES, model=CHAT)
    report = client.usage()
    assert report["total_requests"] >= 1
    assert client.me()["account_tier"]


def test_token_exchange_and_refresh(emulator: Any) -> None:
    client = client_for(emulator, token_exchange=True)
    assert client.chat(MESSAGES, model=CHAT).text
    paths = [r.path for r in emulator.requests]
    assert paths[0].endswith("/auth/api-key")
    emulator.expire_tokens()
    assert client.chat(MESSAGES, model=CHAT).text
    paths = [r.path for r in emulator.requests]
    assert sum(p.endswith("/auth/api-key") for p in paths) == 2


def test_auto_exchange_when_bearer_key_rejected(platform_key: str) -> None:
    from indoxhub_integrations.emulator import IndoxHubEmulator

    with IndoxHubEmulator(api_key=platform_key, require_token_exchange=True) as server:
        client = client_for(server)
        assert client.chat(MESSAGES, model=CHAT).text
        paths = [r.path for r in server.requests]
        assert any(p.endswith("/auth/api-key") for p in paths)
        strict = client_for(server, token_exchange=False)
        with pytest.raises(AuthenticationError):
            strict.chat(MESSAGES, model=CHAT)


def test_wrong_platform_key(emulator: Any) -> None:
    client = IndoxHubClient(api_key="ixh-wrong", base_url=emulator.base_url, max_retries=0)
    with pytest.raises(AuthenticationError) as info:
        client.chat(MESSAGES, model=CHAT)
    assert "ixh-wrong" not in str(info.value)


def test_client_pickles_without_connections(emulator: Any) -> None:
    client = client_for(emulator)
    client.chat(MESSAGES, model=CHAT)
    clone = pickle.loads(pickle.dumps(client))
    assert clone.chat(MESSAGES, model=CHAT).text


# --------------------------------------------------------------------------- secrets


def test_canaries_never_leak(
    emulator: Any, platform_key: str, byok_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(emulator, byok_api_key=byok_key, max_retries=0)
    texts = [repr(client), str(client.settings), repr(client.settings)]
    client.chat(MESSAGES, model=CHAT)
    emulator.enqueue(
        "/chat/completions",
        status=401,
        json={"detail": f"Provider authentication failed: Incorrect API key {byok_key}"},
        times=2,
    )
    with pytest.raises(AuthenticationError) as info:
        client.chat(MESSAGES, model=CHAT)
    texts += [str(info.value), repr(info.value), repr(info.value.details), repr(info.value.args)]
    with pytest.raises(InvalidRequestError) as bad:
        client.chat([], model=CHAT)
    texts.append(str(bad.value))
    texts += [record.getMessage() for record in caplog.records]
    texts.append(repr(emulator.requests))
    texts.append(str([r.json for r in emulator.requests]))
    blob = "\n".join(texts)
    assert platform_key not in blob
    assert byok_key not in blob


# --------------------------------------------------------------------------- async


async def test_async_endpoints(emulator: Any, byok_key: str) -> None:
    async with aclient_for(emulator) as client:
        result = await client.chat(MESSAGES, model=CHAT)
        assert result.text and result.usage.cost
        byok = await client.chat(MESSAGES, model=CHAT, byok_api_key=byok_key)
        assert byok.meta.byok and byok.usage.cost == 0
        events = [e async for e in await client.stream_chat(MESSAGES, model=CHAT)]
        assert events[-1].type == "done" and events[-1].result is not None
        assert events[-1].result.text == result.text
        completion = await client.complete("Once upon a time", model=CHAT)
        assert completion.text
        streamed = [e async for e in await client.stream_complete("Once upon a time", model=CHAT)]
        assert "".join(e.text_delta for e in streamed) == completion.text
        vectors = await client.embed(["a", "b"], model="openai/text-embedding-3-small")
        assert len(vectors.vectors) == 2
        image = await client.generate_image("fox", model="openai/dall-e-3")
        assert image.images
        speech = await client.text_to_speech("async words", model="openai/tts-1")
        assert speech.audio
        heard = await client.speech_to_text(speech.audio, model="openai/whisper-1")
        assert heard.text == "async words"
        assert await client.list_models()
        assert (await client.me())["credits"] > 0


async def test_async_retry_and_cut_stream(emulator: Any) -> None:
    client = aclient_for(emulator)
    emulator.enqueue("/chat/completions", status=502, json={"detail": "bad gateway"}, times=1)
    assert (await client.chat(MESSAGES, model=CHAT)).text
    emulator.enqueue("/chat/completions", fault="cut_stream", after_events=2)
    with pytest.raises(StreamInterruptedError):
        async for _ in await client.stream_chat(MESSAGES, model=CHAT):
            pass
    with pytest.raises(ByokProviderMismatchError):
        await client.chat(MESSAGES, model=CHAT, byok_api_key=ANTHROPIC_KEY)
    await client.aclose()


def test_exchanged_token_never_logged(emulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(emulator, token_exchange=True)
    client.chat(MESSAGES, model=CHAT)
    token = client._token.token
    assert token is not None
    assert token.get_secret_value() not in caplog.text
    assert emulator.api_key not in caplog.text
    assert "set-cookie" in caplog.text.lower()  # httpcore did log the headers, masked

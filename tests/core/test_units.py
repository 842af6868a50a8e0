"""Pure core pieces: BYOK resolution, settings, payloads, errors, usage ledger, content."""

from __future__ import annotations

import pickle
import threading

import pytest
from pydantic import SecretStr

from indoxhub_integrations.core import byok, content, payloads
from indoxhub_integrations.core.errors import (
    AuthenticationError,
    ByokProviderMismatchError,
    ContextWindowExceededError,
    InsufficientCreditsError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitError,
    ServiceUnavailableError,
    error_from_response,
    error_from_stream_event,
)
from indoxhub_integrations.core.options import resolve_settings
from indoxhub_integrations.core.usage import UsageLedger, UsageRecord
from indoxhub_integrations.core.wire import GeneratedImage, ToolCall, ToolCallChunk

# --------------------------------------------------------------------------- BYOK


@pytest.mark.parametrize(
    ("key", "provider"),
    [
        ("sk-ant-api03-abc", "anthropic"),
        ("AIzaSyD-xyz", "google"),
        ("xai-123456", "xai"),
        ("gsk_abcdef", "groq"),
        ("sk-or-v1-abc", "openrouter"),
        ("sk-proj-abc", None),
        ("sk-abc", None),
        ("mistral-key-without-prefix", None),
    ],
)
def test_key_provider_prefixes(key: str, provider: str | None) -> None:
    assert byok.key_provider(key) == provider


def test_resolution_precedence() -> None:
    model = "openai/gpt-4o-mini"
    env = {"OPENAI_API_KEY": "sk-env"}
    kwargs = {
        "instance_key": "sk-instance",
        "instance_keys": {"openai": "sk-map"},
        "from_env": True,
        "environ": env,
    }
    assert byok.resolve_byok_key(model, per_call="sk-call", **kwargs) == "sk-call"  # type: ignore[arg-type]
    assert byok.resolve_byok_key(model, **kwargs) == "sk-instance"  # type: ignore[arg-type]
    kwargs["instance_key"] = None
    assert byok.resolve_byok_key(model, **kwargs) == "sk-map"  # type: ignore[arg-type]
    kwargs["instance_keys"] = {"anthropic": "sk-ant-x"}
    assert byok.resolve_byok_key(model, **kwargs) == "sk-env"  # type: ignore[arg-type]
    kwargs["from_env"] = False
    assert byok.resolve_byok_key(model, **kwargs) is None  # type: ignore[arg-type]


def test_resolution_reads_each_provider_env_var() -> None:
    env = {"GEMINI_API_KEY": "AIzaGemini"}
    key = byok.resolve_byok_key("google/gemini-1.5-pro", from_env=True, environ=env)
    assert key == "AIzaGemini"


def test_secretstr_keys_accepted() -> None:
    key = byok.resolve_byok_key("openai/gpt-4o", per_call=SecretStr("sk-secret"))
    assert key == "sk-secret"


def test_mismatch_raises_without_the_key() -> None:
    secret = "sk-ant-api03-TOPSECRETVALUE"
    with pytest.raises(ByokProviderMismatchError) as info:
        byok.resolve_byok_key("openai/gpt-4o-mini", per_call=secret)
    assert secret not in str(info.value)
    assert "anthropic" in str(info.value) and "openai" in str(info.value)
    assert isinstance(info.value, InvalidRequestError)


def test_plain_sk_key_is_never_anthropic() -> None:
    assert byok.resolve_byok_key("anthropic/claude-3-haiku", per_call="sk-plain") == "sk-plain"
    with pytest.raises(ByokProviderMismatchError):
        byok.check_key_matches("google/gemini-1.5-pro", "sk-ant-abc")


def test_model_without_provider_is_a_clear_error() -> None:
    with pytest.raises(InvalidRequestError, match="provider/model"):
        byok.split_model("gpt-4o")


def test_redact_masks_known_and_keylike_secrets() -> None:
    text = "bad key sk-proj-ABCDEFGHIJKLMNOP and ixh-platform-secret-123 and AIzaSyABCDEFGHIJKLMN"
    out = byok.redact(text, ["ixh-platform-secret-123"])
    assert "ABCDEFGHIJKLMNOP" not in out
    assert "ixh-platform-secret-123" not in out
    assert "AIzaSyABCDEFGHIJKLMN" not in out
    assert "MNOP" in out  # the last four characters stay, to recognise the key


# --------------------------------------------------------------------------- settings


def test_settings_env_precedence() -> None:
    env = {"INDOX_ROUTER_API_KEY": "legacy", "INDOXHUB_BASE_URL": "http://127.0.0.1:1"}
    settings = resolve_settings(environ=env)
    assert settings.api_key.get_secret_value() == "legacy"
    assert settings.base_url == "http://127.0.0.1:1"
    env["INDOXHUB_API_KEY"] = "new"
    assert resolve_settings(environ=env).api_key.get_secret_value() == "new"
    assert resolve_settings(api_key="arg", environ=env).api_key.get_secret_value() == "arg"


def test_missing_key_says_what_to_do() -> None:
    with pytest.raises(AuthenticationError, match="INDOXHUB_API_KEY"):
        resolve_settings(environ={})


def test_plain_http_to_remote_host_refused() -> None:
    with pytest.raises(InvalidRequestError, match="allow_insecure_http"):
        resolve_settings(api_key="k", base_url="http://example.com", environ={})
    ok = resolve_settings(
        api_key="k", base_url="http://example.com", allow_insecure_http=True, environ={}
    )
    assert ok.base_url == "http://example.com"
    loopback = resolve_settings(api_key="k", base_url="http://[::1]:8/api/v1/", environ={})
    assert loopback.base_url == "http://[::1]:8"


def test_settings_repr_hides_secrets() -> None:
    settings = resolve_settings(
        api_key="platform-SECRET",
        byok_api_key="sk-BYOKSECRET",
        byok_api_keys={"anthropic": "sk-ant-MAPSECRET"},
        environ={},
    )
    text = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in ("platform-SECRET", "sk-BYOKSECRET", "sk-ant-MAPSECRET"):
        assert secret not in text


# --------------------------------------------------------------------------- payloads


def test_chat_body_splits_top_level_and_additional_params() -> None:
    body = payloads.chat_body(
        [{"role": "user", "content": "hi"}],
        "openai/gpt-4o-mini",
        {"temperature": 0.2, "max_tokens": 5, "stop": ["x"], "seed": 1, "top_p": None},
        additional_params={"seed": 0, "user": "u1"},
        byok_key="sk-k",
    )
    assert body == {
        "messages": [{"role": "user", "content": "hi"}],
        "model": "openai/gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 5,
        "additional_params": {"seed": 1, "user": "u1", "stop": ["x"]},
        "byok_api_key": "sk-k",
    }


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([], "empty"),
        ("hello", "list"),
        ([{"role": "robot", "content": "x"}], "role"),
        ([{"role": "user"}], "no content"),
        ([{"role": "user", "content": 3}], "string or a list"),
        ([{"role": "tool", "content": "r"}], "tool_call_id"),
        ([{"role": "user", "content": [{"type": "image", "image": {}}]}], "image data"),
    ],
)
def test_bad_messages_rejected(messages: object, fragment: str) -> None:
    with pytest.raises(InvalidRequestError, match=fragment):
        payloads.chat_body(messages, "openai/gpt-4o-mini", {})


def test_bad_numbers_rejected() -> None:
    msgs = [{"role": "user", "content": "x"}]
    with pytest.raises(InvalidRequestError, match="max_tokens"):
        payloads.chat_body(msgs, "openai/gpt-4o-mini", {"max_tokens": 0})
    with pytest.raises(InvalidRequestError, match="finite"):
        payloads.chat_body(msgs, "openai/gpt-4o-mini", {"temperature": float("nan")})


def test_embedding_input_checks() -> None:
    assert payloads.embedding_body("a", "openai/e", {})["text"] == ["a"]
    with pytest.raises(InvalidRequestError, match="empty"):
        payloads.embedding_body([], "openai/e", {})
    with pytest.raises(InvalidRequestError, match="token arrays"):
        payloads.embedding_body([[1, 2]], "openai/e", {})


def test_image_provider_quirks() -> None:
    google = payloads.image_body("cat", "google/imagen-3.0-generate-002", {"size": "1792x1024"})
    assert google["aspect_ratio"] == "16:9" and "size" not in google
    with pytest.raises(InvalidRequestError, match="aspect_ratio"):
        payloads.image_body("cat", "google/imagen-3.0-generate-002", {"size": "512x512"})
    with pytest.raises(InvalidRequestError, match="xAI"):
        payloads.image_body("cat", "xai/grok-2-image", {"size": "1024x1024"})
    openai = payloads.image_body("cat", "openai/dall-e-3", {"size": "1024x1024", "foo": 1})
    assert openai["size"] == "1024x1024" and openai["additional_params"] == {"foo": 1}


def test_completion_prompt_must_be_text() -> None:
    with pytest.raises(InvalidRequestError, match="string"):
        payloads.completion_body(["a"], "openai/gpt-4o-mini", {})


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (404, ModelNotFoundError),
        (422, InvalidRequestError),
        (429, RateLimitError),
        (500, ProviderError),
        (502, ProviderError),
        (503, ServiceUnavailableError),
        (504, ProviderError),
    ],
)
def test_status_mapping(status: int, cls: type) -> None:
    error = error_from_response(status, {"detail": "boom"}, {"x-request-id": "r1"})
    assert type(error) is cls
    assert error.status_code == status and error.request_id == "r1" and error.message == "boom"


def test_rate_limit_envelope() -> None:
    body = {
        "success": False,
        "error": "RateLimitError",
        "message": "Too many requests",
        "status_code": 429,
        "request_id": "req-9",
        "details": {"limit_type": "requests_per_minute", "limit": 10, "retry_after": 7},
    }
    error = error_from_response(429, body, {"Retry-After": "3"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7 and error.source == "platform" and error.request_id == "req-9"
    assert error.details["limit"] == 10
    provider = error_from_response(429, {"detail": "slow down"}, {"retry-after": "2"}, byok=True)
    assert isinstance(provider, RateLimitError)
    assert provider.source == "provider" and provider.retry_after == 2


def test_validation_list_and_context_overflow() -> None:
    body = {"detail": [{"loc": ["body", "messages"], "msg": "field required", "type": "missing"}]}
    error = error_from_response(422, body)
    assert "body.messages: field required" in error.message
    assert error.details["errors"] == body["detail"]
    overflow = error_from_response(400, {"detail": "maximum context length is 8192 tokens"})
    assert isinstance(overflow, ContextWindowExceededError)


def test_stream_error_event_mapping_and_pickling() -> None:
    assert isinstance(error_from_stream_event("Status 401: bad key"), AuthenticationError)
    error = RateLimitError("x", retry_after=2.0, source="provider", status_code=429)
    clone = pickle.loads(pickle.dumps(error))
    assert isinstance(clone, RateLimitError)
    assert (clone.retry_after, clone.source, clone.status_code) == (2.0, "provider", 429)


# --------------------------------------------------------------------------- usage ledger


def _record(**kw: object) -> UsageRecord:
    base: dict[str, object] = {"endpoint": "chat", "model": "openai/gpt-4o-mini"}
    base.update(kw)
    return UsageRecord(**base)  # type: ignore[arg-type]


def test_ledger_totals_and_unknown_cost() -> None:
    ledger = UsageLedger()
    ledger.add(_record(input_tokens=10, output_tokens=5, total_tokens=15, cost=0.5))
    ledger.add(_record(input_tokens=1, output_tokens=1, total_tokens=2, cost=0.0, byok=True))
    ledger.add(_record(endpoint="embedding", model="openai/e", total_tokens=3, input_tokens=3))
    assert ledger.requests == 3 and ledger.byok_requests == 1 and ledger.platform_requests == 2
    assert ledger.total_cost == 0.5 and ledger.unknown_cost_requests == 1
    assert (ledger.prompt_tokens, ledger.completion_tokens, ledger.total_tokens) == (14, 6, 20)
    assert ledger.by_endpoint()["embedding"]["unknown_cost_requests"] == 1
    assert ledger.by_model()["openai/gpt-4o-mini"]["requests"] == 2
    assert "unknown cost for 1 request" in str(ledger)
    assert not ledger.cost_is_complete


def test_ledger_is_thread_safe() -> None:
    ledger = UsageLedger()

    def work() -> None:
        for _ in range(500):
            ledger.add(_record(total_tokens=1, cost=0.001))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ledger.requests == 4000 and ledger.total_tokens == 4000
    assert len(ledger.records) == 4000


# --------------------------------------------------------------------------- content helpers


def test_image_parts() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 8
    part = content.image_part_from_bytes(png)
    assert part["image"]["media_type"] == "image/png"
    from_url = content.image_part_from_url("data:image/jpeg;base64," + part["image"]["data"])
    assert from_url["image"] == {"data": part["image"]["data"], "media_type": "image/jpeg"}
    assert content.image_part_from_url("https://x/y.png") == {
        "type": "image",
        "image": {"url": "https://x/y.png"},
    }
    with pytest.raises(InvalidRequestError):
        content.image_part_from_url("ftp://x")


def test_tool_choice_forms() -> None:
    names = ["get_weather"]
    assert content.tool_choice_to_wire("auto", names) == "auto"
    assert content.tool_choice_to_wire(True, names) == "required"
    assert content.tool_choice_to_wire("any", names) == "required"
    forced = {"type": "function", "function": {"name": "get_weather"}}
    assert content.tool_choice_to_wire("get_weather", names) == forced
    assert content.tool_choice_to_wire({"name": "get_weather"}, names) == forced
    with pytest.raises(InvalidRequestError, match="not among"):
        content.tool_choice_to_wire("nope", names)


def test_tool_call_chunks_join_and_round_trip() -> None:
    chunks = [
        ToolCallChunk(index=0, id="c1", name="f", arguments_delta='{"a"'),
        ToolCallChunk(index=1, id="c2", name="g", arguments_delta=""),
        ToolCallChunk(index=0, arguments_delta=": 1}"),
    ]
    calls = content.join_tool_call_chunks(chunks)
    assert calls == [ToolCall(id="c1", name="f", arguments={"a": 1}), ToolCall(id="c2", name="g")]
    wire = content.tool_calls_to_wire(calls)
    assert wire[0]["function"] == {"name": "f", "arguments": '{"a": 1}'}
    assert content.parse_arguments("not json") == {"_raw": "not json"}


def test_merge_params_nested() -> None:
    merged = content.merge_params(
        {"temperature": 0.1, "additional_params": {"a": 1, "b": 1}},
        {"additional_params": {"b": 2}, "temperature": 0.5},
    )
    assert merged == {"temperature": 0.5, "additional_params": {"a": 1, "b": 2}}


def test_save_image_and_audio(tmp_path: object) -> None:
    png = b"\x89PNG\r\n\x1a\nabc"
    path = content.save_image(GeneratedImage(data=png), tmp_path, "img")  # type: ignore[arg-type]
    assert path is not None and path.read_bytes() == png and path.suffix == ".png"
    assert content.save_image(GeneratedImage(url="https://x"), tmp_path, "img") is None  # type: ignore[arg-type]
    audio = content.save_audio(b"RIFFxxxx", tmp_path, "speech", "wav")  # type: ignore[arg-type]
    assert audio.suffix == ".wav" and audio.read_bytes() == b"RIFFxxxx"


# --------------------------------------------------------------------------- log redaction


def test_http_debug_logs_never_show_tokens_or_keys(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from indoxhub_integrations.core.log_redaction import (
        install_http_log_redaction,
        mask_tokens,
    )

    token = "ixh-at-SECRETTOKEN0123456789abcdef"
    line = f"headers=[(b'set-cookie', b'access_token={token}; HttpOnly; Path=/')]"
    assert token not in mask_tokens(line)
    assert token not in mask_tokens(f'{{"access_token": "{token}"}}')
    assert token not in mask_tokens(f"Authorization: Bearer {token}")
    assert "cdef" in mask_tokens(line)  # the last four stay, to recognise the token
    install_http_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpcore.http11").debug("receive_response_headers %s", line)
    logging.getLogger("httpx").debug("key sk-proj-ABCDEFGHIJKLMNOPQRST in a line")
    text = caplog.text
    assert token not in text and "ABCDEFGHIJKLMNOPQRST" not in text
    assert "receive_response_headers" in text

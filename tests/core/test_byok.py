"""BYOK key resolution, provider checks and redaction."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from indoxhub_integrations.core import byok
from indoxhub_integrations.core.errors import (
    ByokProviderMismatchError,
    InvalidRequestError,
)


@pytest.mark.parametrize(
    ("key", "provider"),
    [
        ("sk-ant-api03-abc", "anthropic"),
        ("AIzaSyD-xyz", "google"),
        ("xai-123456", "xai"),
        ("gsk_abcdef", "groq"),
        ("sk-or-v1-abc", "openrouter"),
        ("sk-proj-abc", "openai"),
        ("sk-abc", None),
        ("mistral-key-without-prefix", None),
    ],
)
def test_key_provider_prefixes(key: str, provider: str | None) -> None:
    assert byok.key_provider(key) == provider


def _resolve(model: str, **kwargs: Any) -> str | None:
    """The resolved key's text (``resolve_byok_key`` keeps it a ``SecretStr``)."""
    key = byok.resolve_byok_key(model, **kwargs)
    assert key is None or isinstance(key, SecretStr)
    return byok.secret_value(key)


def test_resolution_precedence() -> None:
    model = "openai/gpt-4o-mini"
    env = {"OPENAI_API_KEY": "sk-env"}
    kwargs = {
        "instance_key": "sk-instance",
        "instance_keys": {"openai": "sk-map"},
        "from_env": True,
        "environ": env,
    }
    assert _resolve(model, per_call="sk-call", **kwargs) == "sk-call"
    assert _resolve(model, **kwargs) == "sk-instance"
    kwargs["instance_key"] = None
    assert _resolve(model, **kwargs) == "sk-map"
    kwargs["instance_keys"] = {"anthropic": "sk-ant-x"}
    assert _resolve(model, **kwargs) == "sk-env"
    kwargs["from_env"] = False
    assert _resolve(model, **kwargs) is None


def test_resolution_reads_each_provider_env_var() -> None:
    env = {"GEMINI_API_KEY": "AIzaGemini"}
    key = _resolve("google/gemini-1.5-pro", from_env=True, environ=env)
    assert key == "AIzaGemini"


def test_secretstr_keys_accepted() -> None:
    key = _resolve("openai/gpt-4o", per_call=SecretStr("sk-secret"))
    assert key == "sk-secret"


def test_mismatch_raises_without_the_key() -> None:
    secret = "sk-ant-api03-TOPSECRETVALUE"
    with pytest.raises(ByokProviderMismatchError) as info:
        byok.resolve_byok_key("openai/gpt-4o-mini", per_call=secret)
    assert secret not in str(info.value)
    assert "anthropic" in str(info.value) and "openai" in str(info.value)
    assert isinstance(info.value, InvalidRequestError)


@pytest.mark.parametrize("key", ["sk-plain-openai-key", "sk-proj-abcdef123456"])
def test_plain_sk_key_is_never_anthropic(key: str) -> None:
    with pytest.raises(ByokProviderMismatchError, match=r"an openai/\.\.\. model"):
        _resolve("anthropic/claude-3-haiku", per_call=key)
    with pytest.raises(ByokProviderMismatchError):
        byok.check_key_matches("google/gemini-1.5-pro", SecretStr("sk-ant-abc"))
    assert _resolve("deepseek/deepseek-chat", per_call="sk-plain") == "sk-plain"


def test_mismatch_message_uses_the_right_article() -> None:
    with pytest.raises(ByokProviderMismatchError) as info:
        byok.check_key_matches("openai/gpt-4o", SecretStr("sk-ant-api03-abcdefgh"))
    assert "an anthropic/... model" in str(info.value) and "a anthropic" not in str(info.value)


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

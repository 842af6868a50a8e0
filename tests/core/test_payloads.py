"""Request bodies: parameter placement and input validation."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from indoxhub_integrations.core import payloads
from indoxhub_integrations.core.errors import (
    InvalidRequestError,
)


def test_chat_body_splits_top_level_and_additional_params() -> None:
    body = payloads.chat_body(
        [{"role": "user", "content": "hi"}],
        "openai/gpt-4o-mini",
        {"temperature": 0.2, "max_tokens": 5, "stop": ["x"], "seed": 1, "top_p": None},
        additional_params={"seed": 0, "user": "u1"},
        byok_key=SecretStr("sk-k"),
    )
    assert isinstance(body.pop("byok_api_key"), SecretStr)  # unwrapped only when serialized
    assert body == {
        "messages": [{"role": "user", "content": "hi"}],
        "model": "openai/gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 5,
        "additional_params": {"seed": 1, "user": "u1", "stop": ["x"]},
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

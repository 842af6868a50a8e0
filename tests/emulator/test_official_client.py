"""Contract test: the official ``indoxhub`` client (0.2.2) driven against the emulator.

Every endpoint the client has (video aside: the emulator does not serve it yet), with and
without ``byok_api_key``, reading the fields the service docs read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator

indoxhub = pytest.importorskip("indoxhub")

BYOK = "sk-proj-CANARY-official-client-0123456789"
MESSAGES = [{"role": "user", "content": "Tell me about the blue whale"}]


@pytest.fixture
def official(emulator: IndoxHubEmulator) -> Iterator[Any]:
    with indoxhub.Client(api_key=emulator.api_key, base_url=emulator.base_url) as client:
        yield client


def _last(emulator: IndoxHubEmulator) -> Any:
    return [r for r in emulator.requests if r.endpoint][-1]


@pytest.mark.parametrize("byok", [None, BYOK])
def test_model_endpoints(emulator: IndoxHubEmulator, official: Any, byok: str | None) -> None:
    kw = {"byok_api_key": byok} if byok else {}
    chat = official.chat(MESSAGES, model="openai/gpt-4o-mini", **kw)
    assert "whale" in chat["output"][0]["content"][0]["text"].lower()
    assert chat["usage"]["total_tokens"] > 0
    assert _last(emulator).byok is bool(byok)
    events = list(official.chat(MESSAGES, model="openai/gpt-4o-mini", stream=True, **kw))
    assert events[-1]["type"] == "response.done"
    assert all(e["response_id"] for e in events[1:])
    done = official.completion("Once upon a time", model="openai/gpt-3.5-turbo-instruct", **kw)
    assert done["output"][0]["content"][0]["text"]
    vectors = official.embeddings("hello", model="openai/text-embedding-3-small", **kw)
    assert len(vectors["data"][0]["embedding"]) == 1536

    image = official.images("a red fox", model="openai/dall-e-3", **kw)
    assert image["success"] is True and image["request_id"]
    assert image["data"][0]["url"].startswith(emulator.base_url)
    assert image["usage"]["cost"] == (0.0 if byok else 0.04)
    assert image.get("byok_api_key", False) is bool(byok)

    speech = official.text_to_speech("hello from the official client", model="openai/tts-1", **kw)
    assert speech["success"] is True and speech["request_id"]
    assert speech["usage"]["characters"] == len("hello from the official client")
    assert speech["usage"]["cost"] == 0.0 if byok else speech["usage"]["cost"] > 0
    audio = httpx.get(speech["data"]["url"]).content
    assert audio[:4] == b"RIFF"

    heard = official.speech_to_text(audio, model="openai/whisper-1", **kw)
    assert heard["data"]["text"] == "hello from the official client"
    assert _last(emulator).byok is bool(byok)
    translated = official.translate_audio(audio, model="openai/whisper-1", **kw)
    assert translated["data"]["text"]


def test_account_and_catalog_endpoints(emulator: IndoxHubEmulator, official: Any) -> None:
    official.chat(MESSAGES, model="openai/gpt-4o-mini")
    providers = official.models()
    assert {"openai", "anthropic"} <= {p["id"] for p in providers}
    assert official.models("openai")["id"] == "openai"
    info = official.get_model_info("openai", "gpt-4o-mini")
    assert info["pricing"]["input"] == 0.00015 and info["pricing"]["unit"] == "1K tokens"
    usage = official.get_usage()
    assert usage["total_requests"] == 1 and usage["total_tokens"]["total"] > 0
    assert usage["endpoints"]["chat"]["tokens"]["input"] > 0
    assert usage["daily_usage"][0]["requests"] == 1
    assert official.test_connection()["status"] == "connected"


def test_a_mismatched_byok_key_is_refused(official: Any) -> None:
    with pytest.raises(indoxhub.exceptions.IndoxHubError):
        official.chat(MESSAGES, model="anthropic/claude-3-haiku-20240307", byok_api_key=BYOK)

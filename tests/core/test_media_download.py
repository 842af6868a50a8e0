"""The media URL download helper: the core's transport rules, a size limit, no redirects."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.core.media_download import (
    afetch_images,
    download_media,
    fetch_speech,
)
from indoxhub_integrations.core.wire import SpeechResult
from indoxhub_integrations.errors import InvalidRequestError, ProviderError


def test_downloads_the_emulators_speech_url(emulator: Any) -> None:
    client = IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)
    speech = client.text_to_speech("hello", model="openai/tts-1")
    assert speech.url and speech.audio is not None  # the client downloads it already
    fetched = fetch_speech(speech.model_copy(update={"audio": None}))
    assert fetched.audio is not None and fetched.audio[:4] == b"RIFF"
    assert fetched.url == speech.url and fetched.format == "wav"
    files = [r for r in emulator.requests if "/_emulator/files/" in r.path]
    assert not files or all("authorization" not in str(r).lower() for r in files)


async def test_async_image_download(emulator: Any) -> None:
    async with AsyncIndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url) as client:
        result = await client.generate_image("a fox", model="openai/dall-e-3")
    assert result.images[0].url and result.images[0].data is None
    fetched = await afetch_images(result)
    assert fetched.images[0].data is not None and fetched.images[0].data[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "url", ["http://example.com/a.mp3", "ftp://example.com/a.mp3", "file:///etc/passwd", "x"]
)
def test_refuses_plain_http_off_loopback_and_other_schemes(url: str) -> None:
    with pytest.raises(InvalidRequestError):
        download_media(url)


def test_a_failed_download_leaves_the_url(caplog: pytest.LogCaptureFixture) -> None:
    speech = SpeechResult(url="http://example.com/speech.mp3")
    assert fetch_speech(speech, soft=True).audio is None
    assert "not downloaded" in caplog.text
    with pytest.raises(InvalidRequestError):
        fetch_speech(speech)


def test_size_limit(emulator: Any) -> None:
    client = IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)
    url = client.text_to_speech("a longer sentence to speak", model="openai/tts-1").url
    assert url
    with pytest.raises(ProviderError, match="larger than the limit"):
        download_media(url, max_bytes=100)


def test_redirects_are_not_followed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "https://elsewhere.example/x"})

    with pytest.raises(ProviderError, match=r"redirects to elsewhere\.example"):
        download_media("https://media.example/a.png", transport=httpx.MockTransport(answer))

"""Embeddings, images, text to speech and speech to text."""

from __future__ import annotations

import base64
import io
import math
import struct
import wave
import zlib

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator

EMBED = "/api/v1/embeddings"
IMAGES = "/api/v1/images/generations"
TTS = "/api/v1/audio/tts/generations"
STT = "/api/v1/audio/stt/transcriptions"


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _embed(client: httpx.Client, texts: list[str], **extra: object) -> list[list[float]]:
    body = client.post(
        EMBED, json={"model": "openai/text-embedding-3-small", "text": texts, **extra}
    ).json()
    return [item["embedding"] for item in sorted(body["data"], key=lambda i: i["index"])]


def test_embeddings_are_deterministic_unit_vectors(client: httpx.Client) -> None:
    first = _embed(client, ["the cat sat on the mat", "hello"])
    assert len(first) == 2 and all(len(v) == 1536 for v in first)
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, abs_tol=1e-5) for v in first)
    assert _embed(client, ["the cat sat on the mat", "hello"]) == first


def test_similar_texts_score_higher(client: httpx.Client) -> None:
    base, near, far = _embed(
        client,
        [
            "the quick brown fox jumps over the lazy dog",
            "a quick brown fox jumped over a lazy dog",
            "quarterly revenue grew in european markets",
        ],
    )
    assert _cosine(base, near) > 0.5
    assert _cosine(base, near) > _cosine(base, far)


def test_embedding_dimensions_and_styles(emulator: IndoxHubEmulator, client: httpx.Client) -> None:
    assert len(_embed(client, ["x"], dimensions=16)[0]) == 16
    assert len(_embed(client, ["x"], additional_params={"dimensions": 8})[0]) == 8
    single = client.post(EMBED, json={"model": "openai/text-embedding-3-small", "text": "solo"})
    assert len(single.json()["data"]) == 1
    reversed_body = client.post(
        EMBED,
        json={
            "model": "mistral/mistral-embed",
            "text": ["a", "b", "c"],
            "additional_params": {"emulator_reverse_order": True},
        },
    ).json()
    assert [i["index"] for i in reversed_body["data"]] == [2, 1, 0]
    emulator.set_response_style("legacy")
    legacy = client.post(
        EMBED, json={"model": "google/text-embedding-004", "text": ["a b", "c"]}
    ).json()
    assert legacy["dimensions"] == 768  # google text-embedding-004: the real size
    assert isinstance(legacy["data"][0], list) and len(legacy["data"]) == 2
    assert legacy["usage"]["tokens_prompt"] == 3
    assert legacy["usage"]["cost"] == 3 / 1000 * 0.00001
    emulator.set_response_style("openai")
    openai = client.post(
        EMBED, json={"model": "openai/text-embedding-3-small", "text": ["a"]}
    ).json()
    assert openai["data"][0]["object"] == "embedding"
    assert openai["usage"]["prompt_tokens"] == 1


def test_embedding_errors(client: httpx.Client) -> None:
    assert client.post(EMBED, json={"model": "openai/gpt-4o", "text": ["x"]}).status_code == 400
    assert (
        client.post(EMBED, json={"model": "openai/text-embedding-3-small", "text": []}).status_code
        == 422
    )
    assert (
        client.post(EMBED, json={"model": "openai/text-embedding-3-small", "text": [1]}).status_code
        == 422
    )
    assert (
        client.post(
            EMBED, json={"model": "openai/text-embedding-3-small", "text": ["x"], "dimensions": 0}
        ).status_code
        == 422
    )


def _check_png(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    assert zlib.crc32(data[12:29]) & 0xFFFFFFFF == struct.unpack(">I", data[29:33])[0]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_images_as_urls_and_base64(emulator: IndoxHubEmulator, client: httpx.Client) -> None:
    body = client.post(
        IMAGES,
        json={"model": "openai/dall-e-3", "prompt": "a red barn", "n": 2, "size": "1792x1024"},
    ).json()
    assert len(body["data"]) == 2
    urls = [item["url"] for item in body["data"]]
    assert all(url.startswith(emulator.base_url + "/_emulator/files/") for url in urls)
    images = [client.get(url).content for url in urls]
    assert [_check_png(image) for image in images] == [(512, 293), (512, 293)]  # capped at 512
    assert images[0] != images[1]
    assert body["data"][0]["revised_prompt"] == "a red barn"
    assert body["usage"]["cost_breakdown"]["total_cost"] == 2 * 0.04
    assert emulator.requests[-1].cost == 2 * 0.04
    b64 = client.post(
        IMAGES,
        json={"model": "openai/dall-e-3", "prompt": "a red barn", "response_format": "b64_json"},
    ).json()
    assert _check_png(base64.b64decode(b64["data"][0]["b64_json"])) == (512, 512)


def test_image_provider_quirks(client: httpx.Client) -> None:
    google = {"model": "google/imagen-3.0-generate-002", "prompt": "sky"}
    assert client.post(IMAGES, json={**google, "aspect_ratio": "16:9"}).status_code == 200
    sized = client.post(IMAGES, json={**google, "size": "1024x1024"})
    assert sized.status_code == 422
    assert sized.json()["detail"][0]["loc"] == ["body", "size"]
    assert client.post(IMAGES, json={**google, "aspect_ratio": "2:1"}).status_code == 422
    xai = {"model": "xai/grok-2-image", "prompt": "sky"}
    assert client.post(IMAGES, json=xai).status_code == 200
    assert client.post(IMAGES, json={**xai, "size": "1024x1024"}).status_code == 422
    assert (
        client.post(
            IMAGES, json={"model": "openai/dall-e-3", "prompt": "x", "size": "big"}
        ).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("style", "key"), [("responses", "b64_json"), ("legacy", "audio"), ("openai", "audio_base64")]
)
def test_tts_wav_and_stt_round_trip(
    emulator: IndoxHubEmulator, client: httpx.Client, style: str, key: str
) -> None:
    emulator.set_response_style(style)
    text = "The quick brown fox says hello."
    asked = {"model": "openai/tts-1", "input": text, "voice": "alloy"}
    asked["additional_params"] = {"emulator_audio_base64": True}  # base64 as a style
    body = client.post(TTS, json=asked).json()
    assert body["data"]["format"] == "wav"
    audio = base64.b64decode(body["data"][key])
    with wave.open(io.BytesIO(audio)) as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth()) == (1, 8000, 2)
        assert reader.getnframes() > 0
    assert body["usage"]["characters"] == len(text)
    assert body["usage"]["cost"] == len(text) / 1000 * 0.015
    files = {"file": ("speech.wav", audio, "audio/wav")}
    answer = client.post(STT, files=files, data={"model": "openai/whisper-1", "language": "en"})
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert (data if style == "legacy" else data["text"]) == text


def test_tts_url_and_errors(client: httpx.Client) -> None:
    body = client.post(
        TTS,
        json={
            "model": "openai/tts-1",
            "input": "hi",
            "additional_params": {"emulator_audio_url": True},
        },
    ).json()
    assert client.get(body["data"]["url"]).content[:4] == b"RIFF"
    documented = client.post(TTS, json={"model": "openai/tts-1", "input": "hi"}).json()
    assert documented["success"] is True and documented["request_id"]  # the TTS guide's shape
    assert set(documented["usage"]) >= {"characters", "cost"}
    assert client.get(documented["data"]["url"]).content[:4] == b"RIFF"
    assert client.post(TTS, json={"model": "openai/tts-1", "input": ""}).status_code == 422
    assert client.post(TTS, json={"model": "openai/whisper-1", "input": "x"}).status_code == 400


def test_stt_other_audio_translation_and_errors(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    files = {"file": ("noise.mp3", b"\x00" * 123, "audio/mpeg")}
    answer = client.post(STT, files=files, data={"model": "openai/whisper-1"}).json()
    assert answer["data"]["text"] == answer["text"] == "Audio of 123 bytes."
    assert answer["usage"]["cost"] == 0.006 and "duration_seconds" in answer["usage"]
    assert answer["success"] is True and answer["request_id"]  # the STT guide's shape
    translated = client.post(
        "/api/v1/audio/stt/translations", files=files, data={"model": "openai/whisper-1"}
    )
    assert translated.json()["message"] == "Audio translated"
    assert emulator.requests[-1].endpoint == "translation"
    assert emulator.requests[-1].json["file"]["size"] == 123
    missing = client.post(STT, data={"model": "openai/whisper-1"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "file"]
    as_text = client.post(STT, data={"model": "openai/whisper-1", "file": "not a file"})
    assert as_text.status_code == 422
    bad_temperature = client.post(
        STT, files=files, data={"model": "openai/whisper-1", "temperature": "hot"}
    )
    assert bad_temperature.status_code == 422
    broken = client.post(
        STT, content=b"--x\r\nnope", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert 400 <= broken.status_code < 500

"""The dashboard's page and the JSON routes it reads (no browser: see test_dashboard_browser.py),
and the media it shows (pictures of the prompt, audible speech)."""

from __future__ import annotations

import base64
import fnmatch
import io
import math
import re
import struct
import wave
import zlib
from array import array
from importlib import resources
from pathlib import Path

import httpx
import pytest
import tomllib

from indoxhub_integrations.emulator import IndoxHubEmulator, media, picture
from indoxhub_integrations.emulator import state as state_module
from indoxhub_integrations.emulator.state import EmulatorState, RequestRecord

CHAT = "/api/v1/chat/completions"
IMAGES = "/api/v1/images/generations"
TTS = "/api/v1/audio/tts/generations"
BYOK = "sk-dashboardtest-openai-5678"
ROOT = Path(__file__).resolve().parents[2]


def _chat(client: httpx.Client, text: str = "Hello there", **extra: object) -> httpx.Response:
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    return client.post(CHAT, json={**body, **extra})


def test_page_and_assets_are_served_with_a_strict_policy(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert '<script src="/_emulator/dashboard/dashboard.js"' in page.text
    script = client.get("/_emulator/dashboard/dashboard.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert client.get("/_emulator/dashboard/dashboard.css").status_code == 200
    assert client.get("/_emulator/dashboard/secret.py").status_code == 404


def test_the_page_needs_no_other_host_and_ships_as_package_data() -> None:
    static = resources.files("indoxhub_integrations.emulator").joinpath("static")
    names = sorted(item.name for item in static.iterdir())
    assert names == ["dashboard.css", "dashboard.html", "dashboard.js"]
    for name in names:
        text = static.joinpath(name).read_text()
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (name, urls)  # a namespace, not fetched
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["indoxhub_integrations"]
    for name in names:
        assert any(fnmatch.fnmatch(f"emulator/static/{name}", p) for p in patterns)


def test_account_reports_the_limits_and_their_use(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    emulator.set_tier("free")
    emulator.enqueue(status=503)
    assert _chat(client).status_code == 503  # scripted: not counted against the limit
    for _ in range(3):
        assert _chat(client).status_code == 200
    emulator.enqueue(fault="delay", delay=0.0, times=2)
    account = client.get("/_emulator/account").json()
    assert account["tier"] == "free" and account["credits"] == emulator.credits
    assert account["rate_limit"] == {"requests_per_minute": 10, "tokens_per_hour": 10_000}
    assert account["requests_this_minute"] == 3
    assert account["tokens_this_hour"] > 0
    assert account["pending"] == [{"what": "delay", "path": None, "times": 2}]
    assert account["log_size"] == 4 and account["last_seq"] == emulator.requests[-1].seq
    emulator.set_tier("unlimited")
    assert client.get("/_emulator/account").json()["rate_limit"] is None


def test_spend_splits_platform_and_byok_and_adds_up_to_usage(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    _chat(client, "Same question")
    _chat(client, "Same question", byok_api_key=BYOK)
    _chat(client, "Same question", byok_api_key=BYOK)
    client.post(IMAGES, json={"model": "openai/dall-e-3", "prompt": "a barn"})
    _chat(client, model="openai/nope")  # 404: neither usage nor spend counts it
    spend = client.get("/_emulator/spend").json()
    usage = emulator.usage()
    totals = spend["totals"]
    assert totals["platform"]["requests"] == usage["platform_requests"] == 2
    assert totals["byok"]["requests"] == usage["byok_requests"] == 2
    assert math.isclose(totals["platform"]["cost"], usage["total_cost"])
    assert totals["byok"]["cost"] == 0
    # what the BYOK requests would have cost on the platform (paid to the provider instead)
    one = emulator.requests[0].cost
    assert one > 0
    assert math.isclose(totals["byok"]["provider_cost_estimate"], 2 * one)
    chat = spend["models"]["openai/gpt-4o-mini"]
    assert (chat["platform"]["requests"], chat["byok"]["requests"]) == (1, 2)
    assert set(spend["endpoints"]) == {"chat", "image"}
    buckets = spend["over_time"]
    assert buckets and spend["bucket_seconds"] >= 1
    assert math.isclose(sum(b["platform"]["cost"] for b in buckets), totals["platform"]["cost"])
    assert sum(b["byok"]["requests"] for b in buckets) == 2


def test_log_records_time_latency_fault_and_masked_keys(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    _chat(client, byok_api_key=BYOK)
    emulator.enqueue(status=429, headers={"Retry-After": "1"})
    assert _chat(client).status_code == 429
    emulator.enqueue(fault="cut_stream", after_events=1)
    _chat(client, stream=True)
    records = client.get("/_emulator/requests").json()
    assert [r["fault"] for r in records] == [None, "status 429", "cut_stream"]
    assert all(r["duration_ms"] is not None and r["created"] > 0 for r in records)
    assert records[0]["json"]["byok_api_key"] == "sk-...5678"
    assert BYOK not in client.get("/_emulator/requests").text
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs)
    newer = client.get("/_emulator/requests", params={"after": seqs[0]}).json()
    assert [r["seq"] for r in newer] == seqs[1:]
    assert client.get("/_emulator/requests", params={"after": "x"}).status_code == 422
    assert "response" not in records[0]  # bodies only in the one-request route


def test_one_request_has_the_response_body(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    answer = _chat(client, byok_api_key=BYOK)
    _chat(client, stream=True)
    first, streamed = emulator.requests
    detail = client.get(f"/_emulator/requests/{first.request_id}").json()
    assert detail["response"] == answer.text and detail["response_stream"] is False
    assert detail["json"]["byok_api_key"] == "sk-...5678"
    stream = client.get(f"/_emulator/requests/{streamed.request_id}").json()
    assert stream["response_stream"] is True and stream["response"].startswith("data: ")
    assert client.get("/_emulator/requests/req_nope").status_code == 404
    emulator.enqueue(fault="drop")
    with pytest.raises(httpx.TransportError):
        _chat(client)
    dropped = client.get(f"/_emulator/requests/{emulator.requests[-1].request_id}").json()
    assert dropped["response"] is None and "dropped" in dropped["response_note"]


def test_only_the_last_answers_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "MAX_KEPT_RESPONSES", 2)
    state = EmulatorState.create(
        credits=1.0, tier="unlimited", style="responses", latency=0.0, api_key="k"
    )
    for number in range(3):
        state.record(RequestRecord("POST", "/x", request_id=f"r{number}", response=b"{}"))
    assert [r.response for r in state.requests()] == [None, b"{}", b"{}"]
    assert "last 2 answers" in state.requests()[0].response_json()["response_note"]


def test_generated_images_are_kept_for_thumbnails(
    emulator: IndoxHubEmulator, client: httpx.Client
) -> None:
    body = {"model": "openai/dall-e-3", "prompt": "a lighthouse", "response_format": "b64_json"}
    data = base64.b64decode(client.post(IMAGES, json=body).json()["data"][0]["b64_json"])
    (path,) = emulator.requests[-1].images
    assert path.startswith("/_emulator/files/") and client.get(path).content == data


def _pixels(png: bytes) -> tuple[int, int, bytes]:
    width, height = struct.unpack(">II", png[16:24])
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        if png[offset + 4 : offset + 8] == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(data)
    stride = width * 3 + 1
    rows = b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))
    return width, height, rows


def test_pictures_are_deterministic_sized_and_carry_the_words() -> None:
    image = picture.picture("a red barn", 320, 200)
    assert image == picture.picture("a red barn", 320, 200)
    assert image != picture.picture("a blue barn", 320, 200)
    assert image != picture.picture("a red barn", 320, 200, index=1)
    width, height, rows = _pixels(image)
    assert (width, height) == (320, 200)
    colours = {rows[i : i + 3] for i in range(0, len(rows), 3)}
    assert len(colours) > 20  # a gradient and shapes, not a solid fill
    band = rows[(height - 10) * width * 3 : (height - 9) * width * 3]
    assert b"\xf5\xf5\xf0" in band and b"\x19\x19\x23" in band  # text drawn on the caption band


def test_speech_is_audible_and_longer_for_longer_text() -> None:
    short, long = media.wav("Hello."), media.wav("Hello there, this is a longer sentence.")
    assert media.wav_seconds(long) > media.wav_seconds(short) > 0.2
    with wave.open(io.BytesIO(long)) as reader:
        samples = array("h", reader.readframes(reader.getnframes()))
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    assert rms > 1000  # audible, not a whisper of noise
    quarter = len(samples) // 4
    assert samples[:quarter] != samples[quarter : 2 * quarter]  # syllables differ
    capped = media.wav("word " * 2000)
    assert media.wav_seconds(capped) == pytest.approx(30.0)  # the documented cap
    assert media.wav_text(capped) == "word " * 2000  # the text is whole


def test_speech_from_the_endpoint_round_trips(client: httpx.Client) -> None:
    text = "Every request shows up on the dashboard."
    body = client.post(TTS, json={"model": "openai/tts-1", "input": text}).json()
    audio = client.get(body["data"]["url"]).content  # the documented answer is a URL
    assert media.wav_seconds(audio) > 1.0
    files = {"file": ("speech.wav", audio, "audio/wav")}
    answer = client.post("/api/v1/audio/stt/transcriptions", files=files,
                         data={"model": "openai/whisper-1"})  # fmt: skip
    assert answer.json()["data"]["text"] == text

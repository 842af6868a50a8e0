"""Record and replay: an emulator forwarding to a second emulator (standing in for the real
service) records the exchanges without any secret; a third one replays them offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indoxhub_integrations import IndoxHubClient
from indoxhub_integrations.emulator import IndoxHubEmulator
from indoxhub_integrations.emulator.__main__ import main as emulator_cli
from indoxhub_integrations.emulator.recording import (
    REDACTED,
    Cassette,
    RecordedRequest,
    RecordedResponse,
    Recorder,
    recorded_response,
    scrub_body,
)
from indoxhub_integrations.errors import (
    InsufficientCreditsError,
    ProviderError,
    RateLimitError,
)

from ..conftest import CANARY_BYOK_KEY, CANARY_PLATFORM_KEY

CHAT = "openai/gpt-4o-mini"
EMBED = "openai/text-embedding-3-small"


def ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="module")
def upstream() -> Iterator[IndoxHubEmulator]:
    """The 'real service': an emulator whose platform key is the canary."""
    with IndoxHubEmulator(api_key=CANARY_PLATFORM_KEY) as server:
        yield server


@pytest.fixture
def real(upstream: IndoxHubEmulator) -> IndoxHubEmulator:
    upstream.reset()
    return upstream


def _client(emulator: IndoxHubEmulator, **kw: Any) -> IndoxHubClient:
    kw.setdefault("max_retries", 0)
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


def _session(client: IndoxHubClient) -> dict[str, Any]:
    """The calls recorded and then replayed: chat, BYOK chat, stream, embeddings, audio."""
    speech = client.text_to_speech("replay me", model="openai/tts-1")
    assert speech.audio
    return {
        "chat": client.chat(ask("Hello"), model=CHAT).text,
        "byok": client.chat(ask("Hello"), model=CHAT, byok_api_key=CANARY_BYOK_KEY).meta.byok,
        "stream": [e.text_delta for e in client.stream_chat(ask("Stream it"), model=CHAT)],
        "vectors": client.embed(["a whale", "a ship"], model=EMBED).vectors,
        "heard": client.speech_to_text(speech.audio, model="openai/whisper-1").text,
    }


@pytest.fixture
def recording(real: IndoxHubEmulator, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A recorded session (the client used the proxy's own key; the upstream got the canary)."""
    answers = tmp_path / "answers.jsonl"
    with IndoxHubEmulator(
        upstream=real.base_url, upstream_api_key=CANARY_PLATFORM_KEY, record_to=answers
    ) as proxy:
        client = _client(proxy, token_exchange=True)
        results = _session(client)
        real.set_credits(0)
        with pytest.raises(InsufficientCreditsError):
            client.chat(ask("No credits left"), model=CHAT)
        real.set_tier("free")
        assert proxy.requests[0].path == "/api/v1/auth/api-key"
        byok = [r for r in proxy.requests if r.byok]
        assert len(byok) == 1 and byok[0].json["byok_api_key"] == REDACTED
    assert any(r.path.endswith("/auth/api-key") for r in real.requests)  # really forwarded
    assert results["byok"] is True and "Hello" in results["chat"]
    assert results["heard"] == "replay me"
    return answers, results


def test_the_recording_holds_no_secret(recording: tuple[Path, dict[str, Any]]) -> None:
    answers, _ = recording
    text = answers.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) >= 8
    for secret in (CANARY_PLATFORM_KEY, CANARY_BYOK_KEY, "ixh-at-", "access_token=", "CANARY"):
        assert secret not in text
    assert "ixh-emulator-key" not in text  # not even the proxy's own key
    exchange = next(e for e in lines if e["request"]["path"].endswith("/auth/api-key"))
    assert exchange["response"]["json"]["access_token"] == REDACTED
    assert all("set-cookie" not in e["response"]["headers"] for e in lines)
    byok = [e for e in lines if (e["request"]["body"] or {}).get("byok_api_key")]
    assert [e["request"]["body"]["byok_api_key"] for e in byok] == [REDACTED]
    stream = next(e for e in lines if (e["request"]["body"] or {}).get("stream"))
    assert stream["response"]["events"][-1] == "data: [DONE]"


def test_replay_answers_offline_as_recorded(recording: tuple[Path, dict[str, Any]]) -> None:
    answers, recorded = recording
    with IndoxHubEmulator(replay=answers) as player:
        client = _client(player, token_exchange=True)
        # a different placeholder BYOK key matches: keys are never part of the match
        replayed = _session(client)
        assert replayed == recorded
        with pytest.raises(InsufficientCreditsError):
            client.chat(ask("No credits left"), model=CHAT)
        assert player.requests[-1].status == 402


def test_an_unrecorded_request_is_a_clear_error(recording: tuple[Path, dict[str, Any]]) -> None:
    answers, _ = recording
    with IndoxHubEmulator(replay=answers) as player:
        client = _client(player)
        with pytest.raises(ProviderError) as caught:
            client.chat(ask("Never recorded"), model=CHAT)
        message = str(caught.value)
        assert caught.value.status_code == 501
        assert "no recorded answer for POST /api/v1/chat/completions" in message
        assert "Never recorded" in message and str(answers) in message
        assert [r.status for r in player.requests] == [501]


def test_identical_requests_replay_in_order_then_repeat(tmp_path: Path) -> None:
    answers = tmp_path / "a.jsonl"
    request = RecordedRequest("POST", "/api/v1/chat/completions", "", {"model": CHAT})
    for status in (429, 200):
        Recorder(answers).write(request, RecordedResponse(status, json={"n": status}))
    cassette = Cassette(answers)
    assert [cassette.answer(request).status for _ in range(3)] == [429, 200, 200]  # type: ignore[union-attr]
    cassette.rewind()
    assert cassette.answer(request).status == 429  # type: ignore[union-attr]
    assert cassette.answer(RecordedRequest("GET", "/api/v1/models/")) is None


def test_reset_replays_from_the_first_answer(real: IndoxHubEmulator, tmp_path: Path) -> None:
    answers = tmp_path / "a.jsonl"
    real.set_tier("free")
    with IndoxHubEmulator(
        upstream=real.base_url, upstream_api_key=CANARY_PLATFORM_KEY, record_to=answers
    ) as proxy:
        client = _client(proxy)
        for _ in range(10):
            client.chat(ask("again"), model=CHAT)
        with pytest.raises(RateLimitError):
            client.chat(ask("again"), model=CHAT)
    with IndoxHubEmulator(replay=answers) as player:
        client = _client(player)
        for _ in range(2):
            player.reset()
            for _ in range(10):
                client.chat(ask("again"), model=CHAT)
            with pytest.raises(RateLimitError) as caught:
                client.chat(ask("again"), model=CHAT)
            assert caught.value.retry_after
            with pytest.raises(RateLimitError):  # past the last answer, it repeats
                client.chat(ask("again"), model=CHAT)


def test_without_an_upstream_key_the_clients_credentials_pass_through(
    real: IndoxHubEmulator, tmp_path: Path
) -> None:
    answers = tmp_path / "a.jsonl"
    with IndoxHubEmulator(upstream=real.base_url + "/api/v1/", record_to=answers) as proxy:
        client = IndoxHubClient(api_key=CANARY_PLATFORM_KEY, base_url=proxy.base_url)
        assert client.chat(ask("Hello"), model=CHAT).text
        assert [r.status for r in real.requests if r.endpoint == "chat"] == [200]
    assert CANARY_PLATFORM_KEY not in answers.read_text()


def test_a_secret_echoed_by_the_service_is_not_recorded() -> None:
    body = json.dumps(
        {"detail": f"Invalid key {CANARY_BYOK_KEY}", "access_token": "ixh-at-abcdefghijkl"}
    ).encode()
    headers = {
        "content-type": "application/json",
        "set-cookie": "access_token=ixh-at-abcdefghijkl; HttpOnly",
        "x-request-id": "req_1",
        "x-echo": CANARY_PLATFORM_KEY,
    }
    answer = recorded_response(401, headers, body, [CANARY_PLATFORM_KEY, CANARY_BYOK_KEY])
    text = json.dumps(answer.to_json())
    assert CANARY_BYOK_KEY not in text and CANARY_PLATFORM_KEY not in text
    assert "ixh-at-abcdefghijkl" not in text and "set-cookie" not in answer.headers
    assert answer.headers["x-request-id"] == "req_1"
    nested = {"additional_params": {"byok_api_key": "sk-x"}, "byok_api_keys": {"openai": "k"}}
    assert scrub_body(nested) == {
        "additional_params": {"byok_api_key": REDACTED},
        "byok_api_keys": REDACTED,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"upstream": "http://api.example.com"}, "plain http to api.example.com"),
        ({"upstream": "ftp://api.example.com"}, "not an http"),
        ({"record_to": "a.jsonl"}, "record_to= needs upstream="),
        ({"replay": "a.jsonl", "upstream": "https://x.example"}, "cannot be combined"),
    ],
)
def test_bad_record_and_replay_options_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IndoxHubEmulator(**kwargs)


def test_replaying_a_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="record them first"):
        IndoxHubEmulator(replay=tmp_path / "missing.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"request": {}}\n')
    with pytest.raises(ValueError, match=r"broken\.jsonl:1 is not a recorded exchange"):
        IndoxHubEmulator(replay=broken)


@pytest.mark.parametrize(
    "argv",
    [["--record-to", "a.jsonl"], ["--replay", "a.jsonl", "--upstream", "https://x.example"]],
)
def test_cli_flag_combinations(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        emulator_cli(argv)
    assert "--upstream" in capsys.readouterr().err

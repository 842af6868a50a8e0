"""Transport and input guards found on an attacker's tour (issue 13): the whole-attempt
deadline, bounded bodies, redirects as errors, base URL and path checks, proxies, bad
constructor and call arguments refused before anything is sent, and the media files."""

from __future__ import annotations

import base64
import math
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.core.content import file_under_root, save_audio, save_image
from indoxhub_integrations.core.wire import GeneratedImage
from indoxhub_integrations.errors import (
    APITimeoutError,
    IndoxHubError,
    InvalidRequestError,
    ProviderError,
)

from ..conftest import CANARY_BYOK_KEY, CANARY_PLATFORM_KEY

CHAT = "openai/gpt-4o-mini"
HI = [{"role": "user", "content": "hi"}]


def client(emulator: Any, **kw: Any) -> IndoxHubClient:
    kw.setdefault("max_retries", 0)
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


# --------------------------------------------------------------------------- deadline


@pytest.fixture
def drip_server() -> Iterator[str]:
    """A server that answers 200 and then drips one body byte every 0.4 s (for 40 s)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
            )
            for _ in range(100):
                if stop.wait(0.4):  # the server's behaviour: a byte every 0.4 s
                    return
                try:
                    conn.sendall(b" ")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


def test_timeout_is_a_deadline_for_the_whole_attempt(drip_server: str) -> None:
    http = IndoxHubClient(api_key="k", base_url=drip_server, timeout=1, max_retries=0)
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="timeout=1"):
        http.chat(HI, model=CHAT)
    assert time.monotonic() - started < 10  # generous: the server would drip for 40 s


async def test_async_timeout_is_a_deadline_for_the_whole_attempt(drip_server: str) -> None:
    http = AsyncIndoxHubClient(api_key="k", base_url=drip_server, timeout=1, max_retries=0)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await http.chat(HI, model=CHAT)
    assert time.monotonic() - started < 10


# --------------------------------------------------------------------------- bodies


def test_body_over_the_limit_is_a_typed_error(emulator: Any) -> None:
    body = b'{"pad": "' + b"x" * 5000 + b'"}'
    emulator.enqueue("/chat/completions", body=body, headers={"content-type": "application/json"})
    with pytest.raises(ProviderError, match="max_response_bytes"):
        client(emulator, max_response_bytes=1000).chat(HI, model=CHAT)
    assert client(emulator).settings.max_response_bytes == 64 * 1024 * 1024


async def test_async_body_over_the_limit_is_a_typed_error(emulator: Any) -> None:
    emulator.enqueue("/chat/completions", json={"pad": "x" * 5000})
    http = AsyncIndoxHubClient(
        api_key=emulator.api_key, base_url=emulator.base_url, max_response_bytes=1000
    )
    with pytest.raises(ProviderError, match="max_response_bytes"):
        await http.chat(HI, model=CHAT)


def test_deep_json_is_a_typed_error_not_recursion(emulator: Any) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    emulator.enqueue("/chat/completions", body=deep, headers={"content-type": "application/json"})
    with pytest.raises(ProviderError, match="nested"):
        client(emulator).chat(HI, model=CHAT)


def test_redirect_is_an_error_and_not_followed(emulator: Any) -> None:
    answer = {"choices": [{"message": {"role": "assistant", "content": "hijacked"}}]}
    emulator.enqueue(
        "/chat/completions", status=302, json=answer, headers={"location": "http://evil.test/"}
    )
    with pytest.raises(ProviderError, match="redirect") as info:
        client(emulator).chat(HI, model=CHAT)
    assert info.value.status_code == 302


# --------------------------------------------------------------------------- URLs and paths


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/?tenant=1", "http://127.0.0.1:1/#x", "https://u:p@api.test"]
)
def test_base_url_with_query_fragment_or_credentials_is_refused(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="base_url"):
        IndoxHubClient(api_key="k", base_url=url)


def test_path_parameters_are_escaped_and_empty_ones_refused(emulator: Any) -> None:
    http = client(emulator)
    sent: list[str] = []
    http.http.event_hooks["request"] = [lambda request: sent.append(request.url.raw_path.decode())]
    with pytest.raises(IndoxHubError):
        http.stop_stream("../../user/me")
    assert sent == ["/api/v1/chat/stop-stream/..%2F..%2Fuser%2Fme"]
    before = len(emulator.requests)
    for bad in ("", "..", "."):
        with pytest.raises(InvalidRequestError, match="stream_id"):
            http.stop_stream(bad)
    with pytest.raises(InvalidRequestError, match="provider"):
        http.get_model("openai")
    with pytest.raises(InvalidRequestError):
        http.get_model("openai/../../user/me")
    assert len(emulator.requests) == before  # nothing was sent


# --------------------------------------------------------------------------- proxies


@pytest.mark.parametrize("var", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"])
def test_loopback_server_is_never_reached_through_a_proxy(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    monkeypatch.setenv(var, "http://proxy.invalid:3128")
    http = client(emulator)
    assert http.chat(HI, model=CHAT, byok_api_key=CANARY_BYOK_KEY).text
    assert http.http.trust_env is False  # direct: the keys never cross a network in clear


def test_trust_env_option(emulator: Any) -> None:
    remote = IndoxHubClient(api_key="k", base_url="https://api.indoxhub.test", trust_env=False)
    assert remote.http.trust_env is False
    assert IndoxHubClient(api_key="k", base_url="https://api.indoxhub.test").http.trust_env
    with pytest.raises(InvalidRequestError, match="plain http"):
        IndoxHubClient(api_key="k", base_url="http://api.indoxhub.test")


# --------------------------------------------------------------------------- bad input

BAD_TIMEOUTS = [math.nan, math.inf, -1, 0, "1", True]
BAD_RETRIES = [-1, 1.5, "2", True]


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS)
def test_bad_timeout_refused(timeout: Any) -> None:
    with pytest.raises(InvalidRequestError, match="timeout"):
        IndoxHubClient(api_key="k", base_url="http://127.0.0.1:1", timeout=timeout)


@pytest.mark.parametrize("retries", BAD_RETRIES)
def test_bad_max_retries_refused(retries: Any) -> None:
    with pytest.raises(InvalidRequestError, match="max_retries"):
        IndoxHubClient(api_key="k", base_url="http://127.0.0.1:1", max_retries=retries)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"api_key": CANARY_PLATFORM_KEY.encode()}, "api_key"),
        ({"api_key": "k", "byok_api_keys": ["sk-x"]}, "byok_api_keys"),
        ({"api_key": "k", "byok_api_keys": {"openai": 1}}, "byok_api_keys"),
        ({"api_key": "k", "byok_api_keys": {"openai": b"sk-x"}}, "byok_api_keys"),
    ],
)
def test_bad_keys_refused(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidRequestError, match=fragment) as info:
        IndoxHubClient(base_url="http://127.0.0.1:1", **kwargs)
    assert CANARY_PLATFORM_KEY not in str(info.value)


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": t} for t in BAD_TIMEOUTS]
    + [{"max_retries": r} for r in BAD_RETRIES]
    + [{"api_key": b"ixh-bytes"}, {"byok_api_keys": ["sk-x"]}, {"byok_api_keys": {"openai": 1}}],
)
def test_frameworks_refuse_bad_settings_at_construction(
    framework: str, kwargs: dict[str, Any]
) -> None:
    from pydantic import ValidationError

    if framework == "langchain":
        pytest.importorskip("langchain_core")
        from indoxhub_integrations.langchain import ChatIndoxHub as Model
    else:
        pytest.importorskip("llama_index.core")
        from indoxhub_integrations.llama_index import IndoxHub as Model  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        Model(model=CHAT, base_url="http://127.0.0.1:1", **kwargs)


def test_bad_call_arguments_refused_before_sending(emulator: Any, tmp_path: Path) -> None:
    http = client(emulator)
    before = len(emulator.requests)
    with pytest.raises(InvalidRequestError, match="stream"):
        http.chat(HI, model=CHAT, stream=True)
    with pytest.raises(InvalidRequestError, match="stream"):
        http.embed("x", model="openai/text-embedding-3-small", stream=True)
    with pytest.raises(InvalidRequestError, match="speed"):
        http.text_to_speech("hi", model="openai/tts-1", speed=math.nan)
    with pytest.raises(InvalidRequestError, match="temperature"):
        http.speech_to_text(b"RIFFxxxx", model="openai/whisper-1", temperature=math.nan)
    with pytest.raises(InvalidRequestError, match="provider"):
        http.get_model("openai")
    assert len(emulator.requests) == before


# --------------------------------------------------------------------------- media files


def test_undecodable_image_base64_is_a_typed_parser_error(emulator: Any) -> None:
    emulator.enqueue("/images/generations", json={"data": [{"b64_json": "!!not base64!!"}]})
    with pytest.raises(ProviderError, match="base64"):
        client(emulator).generate_image("a fox", model="openai/dall-e-3")


def test_langchain_image_tool_maps_bad_base64(emulator: Any, tmp_path: Path) -> None:
    pytest.importorskip("langchain_core")
    from indoxhub_integrations.langchain import IndoxHubImageGenerationTool

    tool = IndoxHubImageGenerationTool(
        api_key=emulator.api_key, base_url=emulator.base_url, output_dir=str(tmp_path)
    )
    emulator.enqueue("/images/generations", json={"data": [{"b64_json": "%%%"}]})
    # A provider's bad answer is a typed error, which the tool hands to the agent's model
    # (issue 21: recoverable failures come back as the tool's answer, not as a crash).
    assert "base64" in tool.invoke({"prompt": "a fox"})


def test_save_image_writes_the_decoded_bytes_and_sanitizes_extensions(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    image = GeneratedImage(b64_json="not-the-data", data=png, media_type="../../x")
    path = save_image(image, tmp_path, "image")
    assert path is not None and path.read_bytes() == png
    assert path.parent == tmp_path and path.suffix == ".png"
    audio = save_audio(b"ID3data", tmp_path, "speech", "../../../etc/evil")
    assert audio.parent == tmp_path and audio.suffix == ".mp3"
    assert save_audio(b"ID3", tmp_path, "speech", "WAV").suffix == ".wav"
    assert base64  # (kept for symmetry with the parser tests)


def test_file_under_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = tmp_path / "a.wav"
    inside.write_bytes(b"RIFF")
    assert file_under_root("a.wav", tmp_path) == inside.resolve()
    assert file_under_root(str(inside), tmp_path) == inside.resolve()
    for bad in ("../a.wav", "/etc/passwd", str(tmp_path.parent / "x.wav"), "sub/../../a"):
        with pytest.raises(InvalidRequestError, match="root_dir"):
            file_under_root(bad, tmp_path)
    monkeypatch.chdir(tmp_path)
    assert file_under_root("a.wav", None) == inside.resolve()


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_speech_to_text_tools_read_only_under_root_dir(
    framework: str, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    speech = client(emulator).text_to_speech("hello", model="openai/tts-1")
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.wav").write_bytes(speech.audio or b"")
    (tmp_path / "secret.wav").write_bytes(speech.audio or b"")
    conn = {"api_key": emulator.api_key, "base_url": emulator.base_url}
    if framework == "langchain":
        pytest.importorskip("langchain_core")
        from indoxhub_integrations.langchain import IndoxHubSpeechToTextTool

        # handle_tool_error=False: raise instead of telling the agent's model (issue 21)
        tool = IndoxHubSpeechToTextTool(root_dir=str(root), handle_tool_error=False, **conn)

        def run(path: str) -> Any:
            return tool.invoke({"audio_path": path})
    else:
        pytest.importorskip("llama_index.core")
        from indoxhub_integrations.llama_index import IndoxHubToolSpec

        spec = IndoxHubToolSpec(root_dir=root, **conn)

        def run(path: str) -> Any:
            return spec.speech_to_text(path)

    assert run("ok.wav")
    before = len(emulator.requests)
    refused: Any = IndoxHubError
    if framework == "langchain":
        from langchain_core.tools import ToolException

        refused = (IndoxHubError, ToolException)
    for bad in ("../secret.wav", str(tmp_path / "secret.wav")):
        with pytest.raises(refused, match="root_dir"):
            run(bad)
    assert len(emulator.requests) == before
    monkeypatch.chdir(root)  # default root: the working directory
    conn_tool: Any = (
        IndoxHubSpeechToTextTool(handle_tool_error=False, **conn)
        if framework == "langchain"
        else IndoxHubToolSpec(**conn)
    )
    with pytest.raises(refused, match="root_dir"):
        if framework == "langchain":
            conn_tool.invoke({"audio_path": str(tmp_path / "secret.wav")})
        else:
            conn_tool.speech_to_text(str(tmp_path / "secret.wav"))
    assert SecretStr  # keep import used

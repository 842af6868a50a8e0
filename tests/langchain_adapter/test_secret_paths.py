"""LangChain paths a key could take out of the process (issue 13): a chain holding
``.bind(byok_api_key=...)`` serialized with ``dumps`` and restored with ``loads``, and a
per-request key through ``configurable_fields`` traced to LangSmith (a local capture server)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

pytest.importorskip("langchain_core")

from langchain_core.load import dumpd, dumps, loads
from langchain_core.runnables import ConfigurableField

from indoxhub_integrations.langchain import ChatIndoxHub

from ..conftest import CANARY_BYOK_KEY, CANARY_PLATFORM_KEY

CHAT = "openai/gpt-4o-mini"
SECRETS = {"INDOXHUB_API_KEY": CANARY_PLATFORM_KEY, "INDOXHUB_BYOK_API_KEY": CANARY_BYOK_KEY}


def test_bound_key_dumps_as_a_secret_reference_and_round_trips(emulator: Any) -> None:
    chat = ChatIndoxHub(model=CHAT, api_key=CANARY_PLATFORM_KEY, base_url=emulator.base_url)
    bound = chat.bind(byok_api_key=CANARY_BYOK_KEY)
    text = dumps(bound)
    assert CANARY_BYOK_KEY not in text and CANARY_PLATFORM_KEY not in text
    assert '"id": ["INDOXHUB_BYOK_API_KEY"]' in text
    assert CANARY_BYOK_KEY not in str(dumpd(bound))
    restored = loads(
        text,
        secrets_map=SECRETS,
        valid_namespaces=["indoxhub_integrations"],
        allowed_objects="all",
    )
    assert CANARY_BYOK_KEY not in repr(restored)
    assert restored.invoke("Hello").content
    sent = [r for r in emulator.requests if r.endpoint]
    assert sent[-1].byok  # the restored chain sent the bound key


class _Capture(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("content-length") or 0))
        encoding = (self.headers.get("content-encoding") or "").lower()
        if encoding == "gzip":
            data = gzip.decompress(data)
        elif encoding == "zstd":
            import zstandard

            data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
        self.bodies.append(data)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_PATCH = do_POST

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def langsmith_capture() -> Iterator[str]:
    _Capture.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_configurable_secret_key_never_reaches_langsmith(
    emulator: Any, langsmith_capture: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    langsmith = pytest.importorskip("langsmith")
    from langchain_core.tracers.langchain import LangChainTracer

    monkeypatch.setenv("LANGSMITH_DISABLE_RUN_COMPRESSION", "true")
    client = langsmith.Client(api_url=langsmith_capture, api_key="ls-test-key")
    tracer = LangChainTracer(client=client, project_name="canary")
    chat = ChatIndoxHub(
        model=CHAT, api_key=CANARY_PLATFORM_KEY, base_url=emulator.base_url
    ).configurable_fields(byok_api_key=ConfigurableField(id="byok_api_key"))
    answer = chat.invoke(
        "Hello configurable canary",
        config={
            "callbacks": [tracer],
            "configurable": {"byok_api_key": SecretStr(CANARY_BYOK_KEY)},
        },
    )
    assert answer.content
    tracer.wait_for_futures()
    client.flush()
    uploaded = b"\n".join(_Capture.bodies)
    assert b"configurable canary" in uploaded  # the run really was uploaded, readably
    assert CANARY_BYOK_KEY.encode() not in uploaded
    assert CANARY_PLATFORM_KEY.encode() not in uploaded
    assert [r for r in emulator.requests if r.endpoint][-1].byok  # and the key was used

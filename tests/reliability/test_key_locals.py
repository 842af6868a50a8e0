"""Keys stay ``SecretStr`` until the request body is serialized (issue 13): an error raised
before sending (a NaN temperature, a provider mismatch) must not put a key into tracebacks that
capture local variables: ``traceback.TracebackException(capture_locals=True)``, rich's
``show_locals``, Sentry's default exception capture and pytest ``--showlocals``.

The calls are made through module-level helpers, so the test's own frames hold no key."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import textwrap
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from indoxhub_integrations import IndoxHubClient

from ..conftest import CANARY_ANTHROPIC_KEY, CANARY_BYOK_KEY, CANARY_PLATFORM_KEY

CHAT = "openai/gpt-4o-mini"
HI = [{"role": "user", "content": "hi"}]
URL = "http://127.0.0.1:9"  # nothing is sent: every case fails before the request
SECRETS = (CANARY_PLATFORM_KEY, CANARY_BYOK_KEY, CANARY_ANTHROPIC_KEY)


def _core_instance() -> None:
    IndoxHubClient(api_key=CANARY_PLATFORM_KEY, base_url=URL, byok_api_key=CANARY_BYOK_KEY).chat(
        HI, model=CHAT, temperature=math.nan
    )


def _core_per_call_nan() -> None:
    IndoxHubClient(api_key=CANARY_PLATFORM_KEY, base_url=URL).chat(
        HI, model=CHAT, byok_api_key=CANARY_BYOK_KEY, temperature=math.nan
    )


def _core_per_call_mismatch() -> None:
    IndoxHubClient(api_key=CANARY_PLATFORM_KEY, base_url=URL).chat(
        HI, model=CHAT, byok_api_key=CANARY_ANTHROPIC_KEY
    )


def _core_instance_map_mismatch() -> None:
    IndoxHubClient(
        api_key=CANARY_PLATFORM_KEY, base_url=URL, byok_api_keys={"openai": CANARY_ANTHROPIC_KEY}
    ).embed("x", model="openai/text-embedding-3-small")


def _core_stt_nan() -> None:
    IndoxHubClient(api_key=CANARY_PLATFORM_KEY, base_url=URL).speech_to_text(
        b"RIFF", model="openai/whisper-1", byok_api_key=CANARY_BYOK_KEY, temperature=math.nan
    )


def _core_video_quirk() -> None:
    IndoxHubClient(api_key=CANARY_PLATFORM_KEY, base_url=URL).generate_video(
        "a kite", model="openai/sora-2", byok_api_key=CANARY_BYOK_KEY, seconds=5
    )


def _langchain_instance() -> None:
    from indoxhub_integrations.langchain import ChatIndoxHub

    ChatIndoxHub(
        model=CHAT, api_key=CANARY_PLATFORM_KEY, base_url=URL, byok_api_key=CANARY_BYOK_KEY
    ).invoke("hi", temperature=math.nan)


def _langchain_per_call() -> None:
    from indoxhub_integrations.langchain import ChatIndoxHub

    ChatIndoxHub(model=CHAT, api_key=CANARY_PLATFORM_KEY, base_url=URL).invoke(
        "hi", byok_api_key=SecretStr(CANARY_ANTHROPIC_KEY)
    )


def _langchain_bound() -> None:
    from indoxhub_integrations.langchain import ChatIndoxHub

    ChatIndoxHub(model=CHAT, api_key=CANARY_PLATFORM_KEY, base_url=URL).bind(
        byok_api_key=CANARY_ANTHROPIC_KEY
    ).invoke("hi")


def _llama_instance() -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from indoxhub_integrations.llama_index import IndoxHub

    IndoxHub(
        model=CHAT, api_key=CANARY_PLATFORM_KEY, base_url=URL, byok_api_key=CANARY_ANTHROPIC_KEY
    ).chat([ChatMessage(role="user", content="hi")])


def _llama_per_call() -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from indoxhub_integrations.llama_index import IndoxHub

    IndoxHub(model=CHAT, api_key=CANARY_PLATFORM_KEY, base_url=URL).chat(
        [ChatMessage(role="user", content="hi")], byok_api_key=SecretStr(CANARY_BYOK_KEY),
        temperature=math.nan,
    )  # fmt: skip


CASES: dict[str, Callable[[], None]] = {
    "core instance key": _core_instance,
    "core per-call key, NaN": _core_per_call_nan,
    "core per-call key, mismatch": _core_per_call_mismatch,
    "core byok_api_keys, mismatch": _core_instance_map_mismatch,
    "core speech to text": _core_stt_nan,
    "core video, provider limit": _core_video_quirk,
    "langchain instance key": _langchain_instance,
    "langchain per-call SecretStr": _langchain_per_call,
    "langchain bound key": _langchain_bound,
    "llama_index instance key": _llama_instance,
    "llama_index per-call SecretStr": _llama_per_call,
}


def _raise(name: str) -> BaseException:
    if name.startswith("langchain"):
        pytest.importorskip("langchain_core")
    if name.startswith("llama"):
        pytest.importorskip("llama_index.core")
    try:
        CASES[name]()
    except Exception as exc:  # the library's error (or the framework's mapping of it)
        return exc
    raise AssertionError(f"{name} did not fail")


def _assert_clean(where: str, text: str) -> None:
    assert len(text) > 200, f"{where} captured nothing"
    for secret in SECRETS:
        assert secret not in text, f"a key leaked into {where}"


@pytest.mark.parametrize("name", list(CASES))
def test_traceback_locals_hold_no_key(name: str) -> None:
    error = _raise(name)
    text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    assert "byok" in text or "key" in text  # the frames and their locals are there
    _assert_clean("TracebackException(capture_locals=True)", text)


@pytest.mark.parametrize("name", list(CASES))
def test_rich_show_locals_holds_no_key(name: str) -> None:
    rich = pytest.importorskip("rich")
    from rich.console import Console
    from rich.traceback import Traceback

    error = _raise(name)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    console.print(
        Traceback.from_exception(type(error), error, error.__traceback__, show_locals=True)
    )
    assert rich
    _assert_clean("rich show_locals", out.getvalue())


@pytest.mark.parametrize("name", list(CASES))
def test_sentry_default_capture_holds_no_key(name: str) -> None:
    sentry_sdk = pytest.importorskip("sentry_sdk")
    from sentry_sdk.transport import Transport

    captured: list[str] = []

    class Memory(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            for item in envelope.items:
                captured.append(json.dumps(item.payload.json, default=str))

    error = _raise(name)
    with warnings.catch_warnings():  # init's guard as a context manager is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        with sentry_sdk.init(
            dsn="http://public@127.0.0.1:9/1", transport=Memory, default_integrations=False
        ):  # include_local_variables defaults to True
            sentry_sdk.capture_exception(error)
            sentry_sdk.flush()
    text = "\n".join(captured)
    assert '"vars"' in text  # locals really were captured
    _assert_clean("Sentry event", text)


def test_pytest_showlocals_holds_no_key(tmp_path: Path) -> None:
    test = tmp_path / "test_inner.py"
    test.write_text(
        textwrap.dedent(
            f"""
            import math
            from indoxhub_integrations import IndoxHubClient

            def helper():
                return IndoxHubClient(api_key={CANARY_PLATFORM_KEY!r}[:0] or __import__("os")
                    .environ["K"], base_url="http://127.0.0.1:9",
                    byok_api_key=__import__("os").environ["B"])

            def test_fails():
                helper().chat([{{"role": "user", "content": "hi"}}], model="openai/gpt-4o-mini",
                              byok_api_key=__import__("os").environ["A"])
            """
        )
    )
    env = {
        **__import__("os").environ,
        "K": CANARY_PLATFORM_KEY,
        "B": CANARY_BYOK_KEY,
        "A": CANARY_ANTHROPIC_KEY,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--showlocals", "-p", "no:randomly", "-p",
         "no:cacheprovider", "-q", str(test)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert "ByokProviderMismatchError" in result.stdout, result.stdout[-2000:]
    assert "byok_api_key" in result.stdout  # locals were shown
    _assert_clean("pytest --showlocals", result.stdout + result.stderr)

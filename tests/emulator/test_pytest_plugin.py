"""The pytest plugin (``indoxhub_integrations.pytest_plugin``), exercised through ``pytester``:
its fixtures, the reset between tests, the ``indoxhub`` marker's scenes, pytest-asyncio,
pytest-xdist, record/replay options, and its coexistence with this suite's own fixtures."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.emulator import IndoxHubEmulator
from indoxhub_integrations.langchain import ChatIndoxHub

from ..conftest import CANARY_PLATFORM_KEY

pytest_plugins = ["pytester"]

_INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """``pytester`` with an ini file that keeps pytest-asyncio quiet."""
    pytester.makeini(_INI)
    return pytester


_QUIET = ("-p", "no:cacheprovider", "-p", "no:randomly")
"""Inner runs: no cache files, and the tests in file order (some check what came before)."""


@pytest.fixture(scope="module", autouse=True)
def _import_before_inner_runs(_indoxhub_emulator_server: Any) -> None:
    """Make every request kind once in this process before any inner run.

    pytester's in-process runs remove the modules first imported during the run when it ends.
    httpx imports httpcore lazily and maps its exception classes once: were httpcore first
    imported inside an inner run, later runs (and the rest of this session) would see
    httpcore's re-imported exceptions escape unmapped.
    """
    emulator = _indoxhub_emulator_server
    messages = [{"role": "user", "content": "warm up"}]
    kw: dict[str, Any] = {"api_key": emulator.api_key, "base_url": emulator.base_url}
    with IndoxHubClient(**kw) as client:
        client.chat(messages, model="openai/gpt-4o-mini")
        list(client.stream_chat(messages, model="openai/gpt-4o-mini"))

    async def run_async() -> None:
        async with AsyncIndoxHubClient(**kw) as client:
            await client.chat(messages, model="openai/gpt-4o-mini")
            async for _ in await client.stream_chat(messages, model="openai/gpt-4o-mini"):
                pass
        await ChatIndoxHub(model="openai/gpt-4o-mini", **kw).ainvoke("warm up")

    ChatIndoxHub(model="openai/gpt-4o-mini", **kw).invoke("warm up")
    asyncio.run(run_async())
    emulator.reset()


def _passed(result: pytest.RunResult, count: int) -> None:
    result.assert_outcomes(passed=count)


def test_the_plugin_coexists_with_this_suites_fixtures(emulator: Any, indoxhub_emulator: Any):
    # tests/conftest.py sets the plugin's options (the canary key) and builds its ``emulator``
    # on ``indoxhub_emulator``; this folder's conftest keeps a server of its own.
    assert indoxhub_emulator.api_key == CANARY_PLATFORM_KEY
    assert indoxhub_emulator.credits == 1000.0
    assert emulator is not indoxhub_emulator and emulator.api_key != CANARY_PLATFORM_KEY


def test_importing_the_plugin_starts_and_imports_nothing_heavy():
    code = (
        "import sys, threading, indoxhub_integrations.pytest_plugin\n"
        "heavy = ('langchain', 'llama_index', 'uvicorn', 'starlette', 'httpx', 'pydantic')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(heavy)}))\n"
        "print(threading.active_count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "1"


def _emulator_threads() -> int:
    return sum(t.name.startswith("indoxhub-emulator") for t in threading.enumerate())


def test_the_plugin_is_registered_through_its_entry_point(pytester: pytest.Pytester):
    pytester.makepyfile(
        f"""
        import threading

        def test_nothing_starts_unless_requested(request):
            assert request.config.pluginmanager.has_plugin("indoxhub")
            names = [t.name for t in threading.enumerate()]
            assert sum(n.startswith("indoxhub-emulator") for n in names) == {_emulator_threads()}
        """
    )
    _passed(pytester.runpytest(*_QUIET), 1)
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.indoxhub(credits=None, tier=None, *"])


def test_fixtures_share_one_server_and_reset_before_each_test(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import os

        from indoxhub_integrations import IndoxHubClient

        SEEN = []
        MESSAGES = [{"role": "user", "content": "Hello"}]

        def test_first(indoxhub_emulator):
            SEEN.append(indoxhub_emulator.base_url)
            indoxhub_emulator.set_credits(1.0)
            indoxhub_emulator.enqueue(content="scripted")
            client = IndoxHubClient(
                api_key=indoxhub_emulator.api_key, base_url=indoxhub_emulator.base_url
            )
            assert client.chat(MESSAGES, model="openai/gpt-4o-mini").text == "scripted"
            chats = [r for r in indoxhub_emulator.requests if r.endpoint == "chat"]
            assert len(chats) == 1

        def test_second_sees_a_fresh_state(indoxhub_env):
            SEEN.append(indoxhub_env.base_url)
            assert SEEN[0] == SEEN[1]  # the same server
            assert indoxhub_env.credits == 100.0 and indoxhub_env.requests == []
            assert os.environ["INDOXHUB_BASE_URL"] == indoxhub_env.base_url
            assert os.environ["INDOXHUB_API_KEY"] == indoxhub_env.api_key
            text = IndoxHubClient().chat(MESSAGES, model="openai/gpt-4o-mini").text
            assert text != "scripted"  # the script of the first test is gone

        def test_env_is_restored_after_the_test():
            assert os.environ.get("INDOXHUB_BASE_URL") is None
        """
    )
    _passed(pytester.runpytest(*_QUIET), 3)


def test_indoxhub_env_sets_placeholder_byok_keys(pytester: pytest.Pytester, monkeypatch):
    monkeypatch.setenv("INDOXHUB_BYOK_API_KEY", "sk-a-real-key-from-the-shell")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-another-real-key-from-the-shell")
    pytester.makepyfile(
        """
        import os

        from indoxhub_integrations.langchain import ChatIndoxHub
        from indoxhub_integrations.pytest_plugin import PLACEHOLDER_PROVIDER_KEYS

        def test_byok_from_env_uses_the_placeholder(indoxhub_env):
            assert "INDOXHUB_BYOK_API_KEY" not in os.environ
            assert os.environ["OPENAI_API_KEY"] == PLACEHOLDER_PROVIDER_KEYS["OPENAI_API_KEY"]
            ChatIndoxHub(model="openai/gpt-4o-mini").invoke("platform")
            ChatIndoxHub(model="openai/gpt-4o-mini", byok_from_env=True).invoke("byok")
            ChatIndoxHub(model="anthropic/claude-3-haiku-20240307", byok_from_env=True).invoke("a")
            chats = [r for r in indoxhub_env.requests if r.endpoint == "chat"]
            assert [(r.byok, r.status) for r in chats] == [(False, 200), (True, 200), (True, 200)]
        """
    )
    _passed(pytester.runpytest(*_QUIET), 1)


def test_marker_scenes(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        from indoxhub_integrations.errors import (
            APIConnectionError,
            InsufficientCreditsError,
            RateLimitError,
            ServiceUnavailableError,
        )
        from indoxhub_integrations.langchain import ChatIndoxHub

        def chat(**kw):
            kw.setdefault("max_retries", 0)
            return ChatIndoxHub(model="openai/gpt-4o-mini", **kw)

        @pytest.mark.indoxhub(credits=0)
        def test_no_credits_is_402(indoxhub_env):
            with pytest.raises(InsufficientCreditsError) as caught:
                chat().invoke("Hello")
            assert caught.value.status_code == 402
            assert [r.status for r in indoxhub_env.requests] == [402]

        @pytest.mark.indoxhub(credits=0)
        def test_byok_needs_no_credits(indoxhub_env):
            assert chat(byok_from_env=True).invoke("Hello").response_metadata["byok"] is True

        @pytest.mark.indoxhub(tier="free")
        def test_free_tier_is_rate_limited(indoxhub_env):
            model = chat()
            with pytest.raises(RateLimitError) as caught:
                for _ in range(11):
                    model.invoke("Hello")
            assert caught.value.status_code == 429 and caught.value.retry_after
            assert caught.value.source == "platform"
            assert [r.status for r in indoxhub_env.requests][-1] == 429

        @pytest.mark.indoxhub(style="legacy")
        def test_legacy_style(indoxhub_env):
            assert indoxhub_env.response_style == "legacy"
            assert "Hello" in chat().invoke("Hello").content

        @pytest.mark.indoxhub(faults=["drop"])
        def test_dropped_connection(indoxhub_env):
            with pytest.raises(APIConnectionError):
                chat().invoke("Hello")
            assert "Hello" in chat().invoke("Hello").content  # the fault was used up

        @pytest.mark.indoxhub(faults=[{"status": 503, "times": 2}, "cut_stream"])
        def test_scripted_faults_in_order(indoxhub_env):
            with pytest.raises(ServiceUnavailableError):
                chat(max_retries=1).invoke("Hello")
            with pytest.raises(Exception, match="ended before"):
                list(chat().stream("Hello"))

        def test_no_marker_is_the_default_scene(indoxhub_emulator):
            assert indoxhub_emulator.credits == 100.0
            assert indoxhub_emulator.tier == "unlimited"
            assert indoxhub_emulator.response_style == "responses"

        @pytest.mark.indoxhub(credits=5, tier="standard")
        class TestClassScene:
            @pytest.mark.indoxhub(credits=1)
            def test_closest_marker_wins_per_argument(self, indoxhub_emulator):
                assert indoxhub_emulator.credits == 1.0
                assert indoxhub_emulator.tier == "standard"
        """
    )
    result = pytester.runpytest(*_QUIET, "--strict-markers")
    _passed(result, 8)


def test_marker_misuse_is_a_clear_error(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.indoxhub(credit=0)
        def test_typo(indoxhub_emulator):
            pass

        @pytest.mark.indoxhub(faults=[42])
        def test_bad_fault(indoxhub_emulator):
            pass
        """
    )
    result = pytester.runpytest(*_QUIET)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*unknown argument(s) ?'credit'?; use credits, tier, style*"])
    result.stdout.fnmatch_lines(["*each fault is a name such as 'drop' or a dict*got 42*"])


def test_a_dropped_connection_scene(indoxhub_emulator: Any):
    from indoxhub_integrations.errors import APIConnectionError
    from indoxhub_integrations.pytest_plugin import apply_scene

    apply_scene(indoxhub_emulator, {"faults": "drop"})
    client = IndoxHubClient(
        api_key=indoxhub_emulator.api_key, base_url=indoxhub_emulator.base_url, max_retries=0
    )
    with pytest.raises(APIConnectionError):
        client.chat([{"role": "user", "content": "Hi"}], model="openai/gpt-4o-mini")
    assert client.chat([{"role": "user", "content": "Hi"}], model="openai/gpt-4o-mini").text


def test_works_with_pytest_asyncio(pytester: pytest.Pytester):
    pytester.makeini(_INI + "asyncio_mode = auto\n")
    pytester.makepyfile(
        """
        import pytest

        from indoxhub_integrations import AsyncIndoxHubClient
        from indoxhub_integrations.errors import InsufficientCreditsError
        from indoxhub_integrations.langchain import ChatIndoxHub

        MESSAGES = [{"role": "user", "content": "Hello"}]

        async def test_async_client(indoxhub_env):
            async with AsyncIndoxHubClient() as client:
                result = await client.chat(MESSAGES, model="openai/gpt-4o-mini")
            assert "Hello" in result.text

        @pytest.mark.indoxhub(credits=0)
        async def test_async_chain_402(indoxhub_env):
            with pytest.raises(InsufficientCreditsError):
                await ChatIndoxHub(model="openai/gpt-4o-mini").ainvoke("Hello")

        async def test_async_stream(indoxhub_env):
            chunks = [c async for c in ChatIndoxHub(model="openai/gpt-4o-mini").astream("Hi")]
            assert "".join(c.content for c in chunks)
        """
    )
    _passed(pytester.runpytest(*_QUIET), 3)


def test_one_emulator_per_xdist_worker(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "seen.txt"
    pytester.makepyfile(
        f"""
        import os

        import pytest

        from indoxhub_integrations.langchain import ChatIndoxHub

        @pytest.mark.parametrize("n", range(3))
        def test_chat(indoxhub_env, n):
            assert "Hello" in ChatIndoxHub(model="openai/gpt-4o-mini").invoke("Hello").content
            chats = [r for r in indoxhub_env.requests if r.endpoint == "chat"]
            assert len(chats) == 1  # reset per test, per worker
            with open({str(out)!r}, "a") as f:
                f.write(os.environ["PYTEST_XDIST_WORKER"] + " " + indoxhub_env.base_url + "\\n")
        """
    )
    # Only the two plugins under test, so that three interpreters start in reasonable time.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    plugins = ("-p", "xdist.plugin", "-p", "indoxhub_integrations.pytest_plugin")
    result = pytester.runpytest_subprocess(*plugins, "-n", "2", "--dist", "each")
    _passed(result, 6)
    seen = [line.split() for line in out.read_text().splitlines()]
    by_worker: dict[str, set[str]] = {}
    for worker, url in seen:
        by_worker.setdefault(worker, set()).add(url)
    assert sorted(by_worker) == ["gw0", "gw1"]
    assert all(len(urls) == 1 for urls in by_worker.values())  # one server per worker...
    assert by_worker["gw0"] != by_worker["gw1"]  # ...and not shared between workers


def test_record_then_replay_through_the_pytest_options(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    answers = tmp_path / "answers.jsonl"
    pytester.makepyfile(
        """
        from indoxhub_integrations.langchain import ChatIndoxHub

        def test_chain(indoxhub_env):
            answer = ChatIndoxHub(model="openai/gpt-4o-mini").invoke("What is indoxhub?")
            assert "indoxhub" in answer.content
        """
    )
    with IndoxHubEmulator(api_key="ixh-UPSTREAM-secret-key-0042") as real:
        monkeypatch.setenv("INDOXHUB_UPSTREAM_API_KEY", real.api_key)
        recorded = pytester.runpytest(
            *_QUIET,
            f"--indoxhub-upstream={real.base_url}",
            f"--indoxhub-record-to={answers}",
        )
        _passed(recorded, 1)
        assert "/api/v1/chat/completions" in [r.path for r in real.requests]
    assert "ixh-UPSTREAM-secret-key-0042" not in answers.read_text()
    monkeypatch.delenv("INDOXHUB_UPSTREAM_API_KEY")
    _passed(pytester.runpytest(*_QUIET, f"--indoxhub-replay={answers}"), 1)
    pytester.makepyfile(
        """
        import pytest

        from indoxhub_integrations.errors import ProviderError
        from indoxhub_integrations.langchain import ChatIndoxHub

        def test_unrecorded(indoxhub_env):
            with pytest.raises(ProviderError, match="no recorded answer for POST"):
                ChatIndoxHub(model="openai/gpt-4o-mini").invoke("Something new")
        """
    )
    _passed(pytester.runpytest(*_QUIET, f"--indoxhub-replay={answers}"), 1)

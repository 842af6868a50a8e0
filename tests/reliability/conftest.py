"""Shared helpers for the reliability suite: clients on the session emulator, a recording
clock for the retry layer, log filters and a bounded wait for server-side bookkeeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from indoxhub_integrations import AsyncIndoxHubClient, IndoxHubClient
from indoxhub_integrations.core import async_client as async_client_module
from indoxhub_integrations.core import client as client_module

CHAT = "openai/gpt-4o-mini"
EMBED = "openai/text-embedding-3-small"
ANTHROPIC = "anthropic/claude-3-haiku-20240307"
RETRYABLE = (429, 500, 502, 503, 504)
NOT_RETRYABLE = (400, 402, 404, 422)
ALL_STATUSES = (400, 401, 402, 404, 422, 429, 500, 502, 503, 504)


def messages(text: str = "Tell me about the blue whale") -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def client_for(emulator: Any, **kw: Any) -> IndoxHubClient:
    kw.setdefault("max_retries", 2)
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


def aclient_for(emulator: Any, **kw: Any) -> AsyncIndoxHubClient:
    kw.setdefault("max_retries", 2)
    return AsyncIndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **kw)


def model_calls(emulator: Any, path: str = "") -> list[Any]:
    """The emulator's log of model calls (optionally only those whose path ends with ``path``)."""
    return [r for r in emulator.requests if r.endpoint and r.path.endswith(path)]


def exchanges(emulator: Any) -> int:
    return sum(r.path.endswith("/auth/api-key") for r in emulator.requests)


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (server-side bookkeeping of an abandoned request).

    This waits for a state, never for a duration: it returns as soon as the state is reached
    and fails the test if it is not reached within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


class _Clock:
    """Stands in for ``time``/``asyncio`` in the client modules: sleeps are recorded, not slept.

    The retry layer's decisions (how often, how long, honouring ``Retry-After``) are then
    observable without making the test wait or depend on timing.
    """

    def __init__(self, real: Any, sleeps: list[float], is_async: bool) -> None:
        self._real = real
        self._sleeps = sleeps
        self._is_async = is_async

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def sleep(self, seconds: float) -> Any:
        self._sleeps.append(seconds)
        if self._is_async:
            return asyncio.sleep(0)
        return None


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every retry back-off the core clients asked for (sync and async), without sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(client_module, "time", _Clock(time, recorded, False))
    monkeypatch.setattr(async_client_module, "asyncio", _Clock(asyncio, recorded, True))
    yield recorded

"""Lazily created, pickle-safe clients for the adapters' models.

Adapters keep a :class:`LazyClients` in a private attribute: constructing a model does no I/O
and builds no client; the first request builds the settings (raising a clear error for a
missing key) and the client; pickling drops the live clients, so models can be shipped to
worker processes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from .client import AsyncIndoxHubClient, IndoxHubClient
from .config import ClientSettings, resolve_settings


class LazyClients:
    """A sync and an async client built on first use from the same settings."""

    def __init__(
        self,
        *,
        api_key: SecretStr | str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        byok_api_key: SecretStr | str | None = None,
        byok_api_keys: Mapping[str, SecretStr | str] | None = None,
        byok_from_env: bool = False,
        **options: Any,
    ) -> None:
        self._kwargs: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "byok_api_key": byok_api_key,
            "byok_api_keys": byok_api_keys,
            "byok_from_env": byok_from_env,
            **options,
        }
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._settings: ClientSettings | None = None
        self._sync: IndoxHubClient | None = None
        self._async: AsyncIndoxHubClient | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_kwargs": self._kwargs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._kwargs = state["_kwargs"]
        self._reset()

    def __repr__(self) -> str:
        return f"LazyClients(base_url={self._kwargs.get('base_url')!r})"

    @property
    def settings(self) -> ClientSettings:
        """The resolved settings (arguments, then env vars, then defaults)."""
        if self._settings is None:
            with self._lock:
                if self._settings is None:
                    self._settings = resolve_settings(**self._kwargs)
        return self._settings

    @property
    def sync(self) -> IndoxHubClient:
        """The synchronous client."""
        if self._sync is None:
            settings = self.settings
            with self._lock:
                if self._sync is None:
                    self._sync = IndoxHubClient(settings=settings)
        return self._sync

    @property
    def async_(self) -> AsyncIndoxHubClient:
        """The asynchronous client of the running event loop.

        httpx connection pools belong to one event loop, so a model used from another loop
        (a new ``asyncio.run``, a notebook, a worker thread) gets a client of its own; the
        token and catalog caches are rebuilt cheaply.
        """
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self._async is None or self._async_loop is not loop:
            settings = self.settings
            with self._lock:
                if self._async is None or self._async_loop is not loop:
                    self._async = AsyncIndoxHubClient(settings=settings)
                    self._async_loop = loop
        return self._async

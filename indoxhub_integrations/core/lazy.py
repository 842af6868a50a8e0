"""Lazily created, pickle-safe clients for one configuration of :class:`IndoxHubOptions`.

:attr:`IndoxHubOptions.clients <indoxhub_integrations.core.options.IndoxHubOptions.clients>`
keeps one :class:`LazyClients`: constructing a model does no I/O and builds no client; the
first request resolves the settings (raising a clear error for a missing key) and builds the
client. Pickling and deep copies drop the live clients.

httpx connection pools belong to one event loop, so each running loop gets its own async
client; when that loop shuts down (``asyncio.run`` finishing, ``loop.shutdown_asyncgens()``)
its client's connections are closed on the loop, before it closes. All the clients of one
configuration share one model catalog, fetched once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncGenerator
from typing import Any

from .async_client import AsyncIndoxHubClient
from .client import IndoxHubClient
from .options import ClientSettings, resolve_settings


async def _close_at_shutdown(client: AsyncIndoxHubClient) -> AsyncGenerator[None, None]:
    """An async generator the loop finalizes at shutdown, closing ``client`` on that loop."""
    try:
        yield
    finally:
        await client.aclose()


class LazyClients:
    """A sync client and one async client per event loop, built on first use from one set of
    option values."""

    def __init__(self, values: dict[str, Any], key: tuple[Any, ...] | None = None) -> None:
        self._values = values
        self._key = key
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._settings: ClientSettings | None = None
        self._sync: IndoxHubClient | None = None
        self._loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[AsyncIndoxHubClient, Any]
        ] = weakref.WeakKeyDictionary()
        self._no_loop: AsyncIndoxHubClient | None = None
        self._last: tuple[asyncio.AbstractEventLoop | None, AsyncIndoxHubClient] | None = None
        self._catalog_owner: IndoxHubClient | AsyncIndoxHubClient | None = None

    def built_from(self, key: tuple[Any, ...]) -> bool:
        """Whether these clients were built from exactly these option values (the rebuild
        rule: any other value, of any option, means new clients)."""
        return self._key is not None and self._key == key

    def __getstate__(self) -> dict[str, Any]:
        return {"_values": None}  # never pickle live clients; the owner rebuilds on next use

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = state["_values"] or {}
        self._key = None
        self._reset()

    def __repr__(self) -> str:
        return f"LazyClients(base_url={self._values.get('base_url')!r})"

    @property
    def settings(self) -> ClientSettings:
        """The resolved settings (option values, then env vars, then defaults)."""
        if self._settings is None:
            with self._lock:
                if self._settings is None:
                    self._settings = resolve_settings(**self._values)
        return self._settings

    def _adopt(self, client: IndoxHubClient | AsyncIndoxHubClient) -> None:
        """Share one catalog between every client of this configuration (under the lock)."""
        if self._catalog_owner is None:
            self._catalog_owner = client
        else:
            client.share_catalog(self._catalog_owner)

    @property
    def sync(self) -> IndoxHubClient:
        """The synchronous client."""
        client = self._sync
        if client is None:
            settings = self.settings
            with self._lock:
                if self._sync is None:
                    self._sync = IndoxHubClient(settings=settings)
                    self._adopt(self._sync)
                client = self._sync
        return client

    @property
    def async_(self) -> AsyncIndoxHubClient:
        """The asynchronous client of the running event loop (one per loop, closed with it)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        last = self._last
        if last is not None and last[0] is loop:
            return last[1]
        settings = self.settings
        with self._lock:
            if loop is None:
                if self._no_loop is None:
                    self._no_loop = AsyncIndoxHubClient(settings=settings)
                    self._adopt(self._no_loop)
                client = self._no_loop
            else:
                entry = self._loops.get(loop)
                if entry is None:
                    client = AsyncIndoxHubClient(settings=settings)
                    self._adopt(client)
                    entry = (client, self._register_close(client))
                    self._loops[loop] = entry
                client = entry[0]
            self._last = (loop, client)
        return client

    @staticmethod
    def _register_close(client: AsyncIndoxHubClient) -> Any:
        """Start a finalizer generator on the running loop (it tracks first-iterated async
        generators and closes them at shutdown); the returned generator must be kept alive."""
        closer = _close_at_shutdown(client)
        step = closer.asend(None)
        with contextlib.suppress(StopIteration):
            step.send(None)
        return closer

"""A bounded soak on loopback: 2,000 async calls at concurrency 200.

Chat, streaming chat and embeddings, platform and BYOK, with ~5% injected faults (statuses,
dropped connections, cut streams, error events, malformed JSON, slow answers). Every call ends
in a result or a typed error; every answer is matched to its request by a unique marker; the
client's ledger equals the emulator's usage report (minus the answers the client rightly
rejected, which the emulator served for free); client memory and connections return to their
baseline. It stops by itself: the number of calls is fixed.

The emulator runs in its own process (``python -m indoxhub_integrations.emulator``), scripted
over its ``/_emulator/*`` routes, so that client and server each have a core and the client's
memory is measured alone.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import subprocess
import sys
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from indoxhub_integrations import AsyncIndoxHubClient
from indoxhub_integrations.core.usage import UsageLedger, record_from_result
from indoxhub_integrations.core.wire import ChatResult, EmbeddingResult, StreamEvent
from indoxhub_integrations.emulator.catalog import MODELS
from indoxhub_integrations.emulator.model import _feature
from indoxhub_integrations.emulator.model import embed as emulator_embed
from indoxhub_integrations.errors import IndoxHubError

from ..conftest import CANARY_BYOK_KEY, CANARY_PLATFORM_KEY
from .conftest import CHAT, EMBED

EMBED_SIZE = int(MODELS[EMBED].extra["dimensions"])  # the real size of the model's vectors

CALLS = 2000
CONCURRENCY = 200
FAULT_SCRIPTS: list[dict[str, Any]] = [
    {"status": 500, "json": {"detail": "upstream hiccup"}},
    {"status": 503, "json": {"detail": "model busy"}},
    {"status": 429, "json": {"detail": "slow down"}, "headers": {"Retry-After": "0"}},
    {"fault": "drop"},
    {"fault": "cut_stream", "after_events": 2},
    {"fault": "stream_error", "after_events": 1},
    {"fault": "malformed_json"},
    {"fault": "delay", "delay": 0.05},
]
HANG_GUARD = 60.0
"""Seconds after which a call counts as hung (it fails the test; it is not a timing target)."""


class RemoteEmulator:
    """The emulator CLI in a child process, driven over its ``/_emulator/*`` control routes."""

    def __init__(self) -> None:
        self.api_key = CANARY_PLATFORM_KEY
        command = [
            sys.executable,
            "-m",
            "indoxhub_integrations.emulator",
            "--port",
            "0",
            "--credits",
            "1000000",
            "--api-key",
            self.api_key,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip().split(": ", 1)[1]
        self.port = int(self.base_url.rsplit(":", 1)[1])
        self.control = httpx.Client(base_url=self.base_url, timeout=30)
        # the socket listens before the CLI prints its address: this waits for the app itself
        assert self.control.get("/_emulator/health").json() == {"status": "ok"}

    def enqueue(self, **script: Any) -> None:
        self.control.post("/_emulator/enqueue", json=script).raise_for_status()

    def usage(self) -> dict[str, Any]:
        return self.control.get("/_emulator/usage").json()

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.control.get("/_emulator/requests").json()

    def reset(self) -> None:
        self.control.post("/_emulator/reset").raise_for_status()

    def close(self) -> None:
        self.control.close()
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def soak_server() -> Iterator[RemoteEmulator]:
    server = RemoteEmulator()
    try:
        yield server
    finally:
        server.close()


def established_to(port: int) -> int:
    """Client-side TCP connections to ``port`` that are open (ESTABLISHED) right now."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("counting open connections needs Linux's /proc/net/tcp")
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == port and fields[3] == "01":
            count += 1
    return count


def traced_bytes(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes still allocated, leaving out tracemalloc's own bookkeeping."""
    own = tracemalloc.Filter(False, tracemalloc.__file__)
    return sum(trace.size for trace in snapshot.filter_traces([own]).traces)


class Soak:
    """Runs the calls and keeps every outcome."""

    def __init__(self, client: AsyncIndoxHubClient) -> None:
        self.client = client
        self.ledger = UsageLedger()
        self.outcomes: Counter[str] = Counter()
        self.failed_request_ids: set[str] = set()
        self.peak_connections = 0

    async def one(self, index: int, port: int) -> None:
        kind = ("chat", "stream", "embed")[index % 3]
        byok = CANARY_BYOK_KEY if index % 4 == 0 else None
        marker = f"marker{index:05d}x"
        try:
            result = await asyncio.wait_for(self._call(kind, marker, byok, index), HANG_GUARD)
        except IndoxHubError as error:
            self.outcomes[f"{kind}:{type(error).__name__}"] += 1
            if error.request_id:
                self.failed_request_ids.add(error.request_id)
            return
        assert result.meta.byok is (byok is not None)
        self.ledger.add(record_from_result(result))
        self.outcomes[f"{kind}:ok"] += 1
        if index % 50 == 0:
            self.peak_connections = max(self.peak_connections, established_to(port))

    async def _call(self, kind: str, marker: str, byok: str | None, index: int) -> Any:
        text = f"Please remember the code {marker} for me"
        messages = [{"role": "user", "content": text}]
        if kind == "chat":
            result = await self.client.chat(messages, model=CHAT, byok_api_key=byok)
            assert marker in result.text, "an answer reached the wrong request"
            return result
        if kind == "stream":
            deltas: list[str] = []
            final = None
            async for event in await self.client.stream_chat(
                messages, model=CHAT, byok_api_key=byok
            ):
                deltas.append(event.text_delta)
                final = event
            assert final is not None and final.type == "done" and final.result is not None
            assert "".join(deltas) == final.result.text and marker in final.result.text
            return final.result
        texts = [f"{marker} alpha {index}", f"beta {marker}", f"{marker} gamma"]
        params = {"emulator_reverse_order": True} if index % 2 else None
        result = await self.client.embed(
            texts, model=EMBED, byok_api_key=byok, additional_params=params
        )
        assert result.vectors == [emulator_embed(t, EMBED_SIZE) for t in texts]
        return result


async def soak(server: RemoteEmulator, calls: int, faults: int) -> Soak:
    rng = random.Random(7)
    for _ in range(faults):
        server.enqueue(**rng.choice(FAULT_SCRIPTS))
    client = AsyncIndoxHubClient(
        api_key=server.api_key, base_url=server.base_url, timeout=10.0, max_retries=3
    )
    run = Soak(client)
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def bounded(index: int) -> None:
        async with semaphore:
            await run.one(index, server.port)

    await asyncio.gather(*(bounded(i) for i in range(calls)))
    await client.aclose()
    return run


LEAK_TYPES = (
    AsyncIndoxHubClient,
    ChatResult,
    EmbeddingResult,
    StreamEvent,
    httpx.Response,
    httpx.AsyncClient,
    httpcore.AsyncHTTPConnection,
)


def live_objects() -> Counter[str]:
    """Objects of the client's own kinds still alive (after a full collection)."""
    gc.collect()
    return Counter(type(o).__name__ for o in gc.get_objects() if isinstance(o, LEAK_TYPES))


async def test_soak(soak_server: RemoteEmulator) -> None:
    server = soak_server
    await soak(server, 60, 0)  # warm up: imports, catalog, caches
    server.reset()
    objects_before = live_objects()
    connections_before = established_to(server.port)
    run = await soak(server, CALLS, CALLS // 20)
    report = server.usage()
    log = [r for r in server.requests if r["endpoint"]]

    # every call ended, in an answer or a typed error
    assert sum(run.outcomes.values()) == CALLS
    failures = {k: v for k, v in run.outcomes.items() if not k.endswith(":ok")}
    assert 0 < sum(failures.values()) <= CALLS // 20, failures
    assert run.ledger.requests == CALLS - sum(failures.values())
    assert 0 < run.peak_connections <= 200  # the pool's bound held

    # the ledger equals the emulator's report, once the answers the client rejected
    # (cut streams, error events, malformed bodies: served for free) are set aside
    served = {r["request_id"]: r for r in log if 200 <= r["status"] < 300}
    rejected = [served[i] for i in run.failed_request_ids if i in served]
    ledger_ids = {record.request_id for record in run.ledger.records}
    assert ledger_ids == set(served) - run.failed_request_ids
    # the report already leaves out faulted answers (logged with their fault and outcome)
    counted = [r for r in rejected if r["outcome"] in ("completed", "closed_by_client")]
    assert report["total_requests"] - len(counted) == run.ledger.requests
    assert report["byok_requests"] - sum(r["byok"] for r in counted) == run.ledger.byok_requests
    rejected_tokens = sum(r["input_tokens"] + r["output_tokens"] for r in counted)
    assert report["total_tokens"]["total"] - rejected_tokens == run.ledger.total_tokens
    assert report["total_cost"] == pytest.approx(run.ledger.total_cost, rel=1e-9)
    assert all(r["cost"] == 0 for r in rejected)
    assert run.ledger.unknown_cost_requests == 0
    by_endpoint = run.ledger.by_endpoint()
    for endpoint, group in report["endpoints"].items():
        rejected_here = sum(1 for r in counted if r["endpoint"] == endpoint)
        assert group["requests"] - rejected_here == by_endpoint[endpoint]["requests"]
    for record in run.ledger.records:
        expected = served[record.request_id]
        assert (record.input_tokens, record.output_tokens, record.byok) == (
            expected["input_tokens"],
            expected["output_tokens"],
            expected["byok"],
        )
        assert record.cost == pytest.approx(expected["cost"], rel=1e-9, abs=1e-15)

    # nothing of the run is left: no results, responses, clients or connections
    del run, report, log, served, rejected
    assert live_objects() <= objects_before
    assert established_to(server.port) <= connections_before


async def test_memory_returns_to_baseline(soak_server: RemoteEmulator) -> None:
    server = soak_server
    await soak(server, 200, 10)  # warm up: every code path once, caches filled
    server.reset()
    _feature.cache_clear()
    gc.collect()
    tracemalloc.start(1)
    try:
        baseline = traced_bytes(tracemalloc.take_snapshot())
        run = await soak(server, 400, 20)
        assert sum(run.outcomes.values()) == 400
        del run
        server.reset()
        _feature.cache_clear()
        gc.collect()
        retained = traced_bytes(tracemalloc.take_snapshot()) - baseline
    finally:
        tracemalloc.stop()
    assert retained < 256 * 1024, f"{retained} bytes retained after 400 calls"

"""A minimal, fast HTTP/1.1 server for the benchmarks (raw asyncio, loopback only).

Every answer is precomputed bytes, so the server's cost per request is the same for every
contender. The first path segment picks the variant; the rest is the API route:

- ``/c/...``: invoke answers (and short streams when asked to stream)
- ``/n200/...``, ``/n2000/...``: streams of 200 or 2,000 text chunks
- ``/big1/...``, ``/big10/...``: streams of a 1 MB or 10 MB answer (1 KB per chunk)

Routes: ``api/v1/chat/completions`` and ``api/v1/completions`` (indoxhub), ``v1/chat/completions``
(OpenAI), ``api/v1/embeddings`` and ``v1/embeddings`` (one vector per input text, any count).
A body with ``"stream": true`` gets SSE in chunked encoding, one HTTP chunk per event (as a
real server flushes them). ``GET /_stats`` returns the request count per route, so the harness
can check that no client made extra requests (catalog lookups, token exchanges, retries).

Run it in its own process (``python -m bench.server``), so that its CPU time does not count
against the client being measured; :func:`start` does that and returns the base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import shapes

STREAM_VARIANTS = shapes.STREAM_VARIANTS


def _response(body: bytes, content_type: bytes = b"application/json") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: " + content_type
        + b"\r\nx-request-id: req_bench_0001\r\ncontent-length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


def _chunked(events: list[bytes]) -> bytes:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"x-request-id: req_bench_0001\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    parts = [head]
    for event in events:
        parts += [b"%x\r\n" % len(event), event, b"\r\n"]
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 23\r\n\r\n"
    b'{"detail": "not found"}'
)


@dataclass
class Answers:
    """All precomputed answers."""

    chat_indox: bytes
    chat_openai: bytes
    streams: dict[tuple[str, str], bytes]
    embeddings: dict[tuple[str, int], bytes]

    @classmethod
    def build(cls, variants: list[str]) -> Answers:
        indox, openai = shapes.chat_answers()
        streams: dict[tuple[str, str], bytes] = {}
        for name in variants:
            chunks, size = STREAM_VARIANTS[name]
            a, b = shapes.stream_events(chunks, size)
            streams[name, "indox"], streams[name, "openai"] = _chunked(a), _chunked(b)
        return cls(_response(indox), _response(openai), streams, {})

    def embedding(self, style: str, count: int) -> bytes:
        key = (style, count)
        answer = self.embeddings.get(key)
        if answer is None:
            indox, openai = shapes.embedding_answers(count)
            self.embeddings["indox", count] = _response(indox)
            self.embeddings["openai", count] = _response(openai)
            answer = self.embeddings[key]
        return answer


class Handler(asyncio.Protocol):
    """One keep-alive connection: parse requests with Content-Length, write answers."""

    answers: Answers
    stats: Counter[str]
    latency: float = 0.0
    latency_all: bool = False
    """Delay every answer (but ``/_stats``), not only embeddings (``bench/concurrency.py``)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            method, target = head.split(b" ", 2)[:2]
            answer = self.route(method, target.decode(), body)
            delayed = self.latency_all and not target.startswith(b"/_stats")
            if self.latency and (delayed or b"embeddings" in target):
                asyncio.get_running_loop().call_later(self.latency, self._write, answer)
            else:
                self.transport.write(answer)

    def _write(self, answer: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(answer)

    def route(self, method: bytes, target: str, body: bytes) -> bytes:
        path = target.split("?", 1)[0]
        if path == "/_stats":
            return _response(json.dumps(self.stats).encode())
        variant, _, route = path.lstrip("/").partition("/")
        self.stats[route] += 1
        style = "openai" if route.startswith("v1/") else "indox"
        if route.endswith(("chat/completions", "/completions")):
            if b'"stream":true' in body or b'"stream": true' in body:
                stream = self.answers.streams.get((variant, style))
                return stream if stream is not None else _NOT_FOUND
            return self.answers.chat_openai if style == "openai" else self.answers.chat_indox
        if route.endswith("embeddings"):
            request = json.loads(body)
            texts = request.get("input" if style == "openai" else "text")
            count = len(texts) if isinstance(texts, list) else 1
            return self.answers.embedding(style, count)
        self.stats["404 " + route] += 1
        return _NOT_FOUND


async def _spin(stop: asyncio.Event) -> None:
    """Keep the loop polling (never sleeping in the selector) until ``stop`` is set.

    On a virtual machine an idle process takes ~300 us to wake up, which would pad every
    request of every contender alike and squash the ratios; a busy server answers in ~30 us.
    """
    while not stop.is_set():
        await asyncio.sleep(0)


async def serve(
    port: int, variants: list[str], latency: float, ready: int | None, spin: bool = False,
    latency_all: bool = False,
) -> None:
    Handler.answers = Answers.build(variants)
    Handler.stats = Counter()
    Handler.latency = latency
    Handler.latency_all = latency_all
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Handler, "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    line = f"{bound}\n".encode()
    if ready is not None:
        os.write(ready, line)
    else:
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
    stop = asyncio.Event()
    spinner = asyncio.ensure_future(_spin(stop)) if spin else None
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    if spinner is not None:
        await spinner


class Server:
    """A bench server running in a child process; ``url(variant)`` is a base URL."""

    def __init__(
        self, variants: list[str] | None = None, latency_ms: float = 0.0, spin: bool = False,
        latency_all: bool = False,
    ) -> None:
        variants = variants or list(STREAM_VARIANTS)
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        command = [sys.executable, "-m", "bench.server", "--port", "0",
                   "--variants", ",".join(variants), "--latency-ms", str(latency_ms)]  # fmt: skip
        if spin:
            command.append("--spin")
        if latency_all:
            command.append("--latency-all")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=root)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the bench server did not start")
        self.port = int(line)
        self.origin = f"http://127.0.0.1:{self.port}"

    def url(self, variant: str = "c") -> str:
        return f"{self.origin}/{variant}"

    def stats(self) -> dict[str, int]:
        import httpx

        return dict(httpx.get(self.origin + "/_stats").json())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9060)
    parser.add_argument("--variants", default=",".join(STREAM_VARIANTS))
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="delay every embeddings answer (models a real server)")  # fmt: skip
    parser.add_argument("--spin", action="store_true",
                        help="busy-poll when idle (needs a free core)")  # fmt: skip
    parser.add_argument("--latency-all", action="store_true",
                        help="apply --latency-ms to every route, not only embeddings")  # fmt: skip
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    latency = args.latency_ms / 1000.0
    asyncio.run(serve(args.port, variants, latency, None, args.spin, args.latency_all))


if __name__ == "__main__":
    main()

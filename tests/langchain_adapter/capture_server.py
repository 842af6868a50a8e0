"""A loopback HTTP server that records every request and answers with a fixed JSON body.

It stands in for services a test must not reach (the LangSmith API) or for a server whose
received headers a test must read (the emulator does not keep headers).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Captured:
    """One request as received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text (gzip or zstd-free bodies only; gzip is undone)."""
        data = self.body
        if self.headers.get("content-encoding", "").lower() == "gzip":
            data = gzip.decompress(data)
        return data.decode("utf-8", "replace")


@dataclass
class CaptureServer:
    """Handle of a running capture server."""

    base_url: str
    requests: list[Captured] = field(default_factory=list)


Answer = Callable[[Captured], tuple[int, Any]]


@contextmanager
def capture_server(answer: Answer) -> Iterator[CaptureServer]:
    """Run a capture server on a free loopback port; ``answer`` gives (status, JSON)."""
    handle = CaptureServer(base_url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            captured = Captured(
                self.command,
                self.path,
                {key.lower(): value for key, value in self.headers.items()},
                body,
            )
            with lock:
                handle.requests.append(captured)
            status, payload = answer(captured)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    handle.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handle
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

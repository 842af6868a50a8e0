"""A loopback HTTP server that records every request and answers with a fixed JSON body.

It stands in for services a test must not reach (the LangSmith API) or for a server whose
received headers a test must read (the emulator does not keep headers).
"""

from __future__ import annotations

import email.parser
import email.policy
import gzip
import io
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
    def data(self) -> bytes:
        """The body with its content encoding (gzip, zstd) undone."""
        encoding = self.headers.get("content-encoding", "").lower()
        if encoding == "gzip":
            return gzip.decompress(self.body)
        if encoding == "zstd":
            import zstandard  # langsmith compresses only when zstandard is installed

            return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(self.body)).read()
        return self.body

    @property
    def text(self) -> str:
        """The body as text, decoded."""
        return self.data.decode("utf-8", "replace")

    def parts(self) -> list[tuple[str, bytes]]:
        """The ``(name, payload)`` parts of a multipart/form-data body (``[]`` otherwise)."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/"):
            return []
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(head + self.data)
        return [
            (
                str(part.get_param("name", header="content-disposition")),
                part.get_payload(decode=True),
            )
            for part in message.iter_parts()  # type: ignore[attr-defined]
        ]


def langsmith_runs(requests: list[Captured]) -> dict[str, dict[str, Any]]:
    """The runs a LangSmith client uploaded, by id, each as its last state.

    Reads every form the client sends: multipart ``/runs/multipart`` (parts
    ``post.<id>``, ``patch.<id>.<field>``...), ``/runs/batch`` and single ``/runs`` posts and
    patches (JSON).
    """
    runs: dict[str, dict[str, Any]] = {}

    def merge(run_id: str, fields: dict[str, Any]) -> None:
        runs.setdefault(run_id, {}).update(fields)

    for request in requests:
        if request.method not in ("POST", "PATCH") or not request.body:
            continue
        parts = request.parts()
        if parts:
            for name, payload in parts:
                _, run_id, *field_name = name.split(".", 2)
                value = json.loads(payload)
                merge(run_id, {field_name[0]: value} if field_name else value)
            continue
        if not request.path.rstrip("/").split("/")[-1] or "runs" not in request.path:
            continue
        body = json.loads(request.data)
        if request.path.endswith("/runs/batch"):
            for run in [*body.get("post", []), *body.get("patch", [])]:
                merge(str(run["id"]), run)
        elif request.method == "PATCH":
            merge(request.path.rstrip("/").split("/")[-1], body)
        elif isinstance(body, dict) and "id" in body:
            merge(str(body["id"]), body)
    return runs


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

"""Recorded exchanges: the JSON-lines file of record and replay, with every secret removed.

One line per exchange::

    {"request": {"method": "POST", "path": "/api/v1/chat/completions", "query": "",
                 "body": {"model": "openai/gpt-4o-mini", "messages": [...]}},
     "response": {"status": 200, "headers": {"content-type": "application/json", ...},
                  "json": {...}}}

The response keeps its body as ``json``, ``events`` (the SSE events of a stream, in order),
``text`` or ``base64``. Requests are matched on method, path, query and body, with secret
fields replaced by ``"<redacted>"`` (so a replay matches whatever placeholder key CI uses, and
a BYOK request never matches a platform one). Never written: request headers (the platform
key, access tokens, cookies), secret body fields, ``Set-Cookie`` and any access token or key
the answer echoes.

Pure functions and two small file classes; the HTTP side is in :mod:`.proxy`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indoxhub_integrations.core.byok import redact

REDACTED = "<redacted>"
SECRET_BODY_FIELDS = frozenset({"byok_api_key", "byok_api_keys", "api_key", "access_token"})
"""Body fields whose values are secrets, at any depth of a request or response body."""
TOKEN_FIELDS = ("access_token", "refresh_token", "token")
"""Response fields holding credentials (the token exchange's answer)."""
DROPPED_RESPONSE_HEADERS = frozenset(
    {"set-cookie", "content-length", "content-encoding", "transfer-encoding", "connection",
     "keep-alive", "date", "server", "www-authenticate", "authorization"}
)  # fmt: skip
"""Response headers never recorded: credentials, and what the replaying server sets itself."""
_MIN_SECRET = 8


def scrub_body(value: Any) -> Any:
    """``value`` with every secret field's value replaced by ``"<redacted>"`` (a copy)."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if k in SECRET_BODY_FIELDS and v else scrub_body(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_body(item) for item in value]
    return value


def secret_values(value: Any) -> list[str]:
    """Every string held in a secret field of ``value`` (to remove them wherever they recur)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_BODY_FIELDS or key in TOKEN_FIELDS:
                found.extend(_strings(item))
            else:
                found.extend(secret_values(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(secret_values(item))
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credentials a request's headers carry: bearer token, ``X-API-Key``, cookie values."""
    found: list[str] = []
    for name, value in headers.items():
        lower = name.lower()
        if lower == "authorization":
            found.append(value.partition(" ")[2].strip() or value)
        elif lower in ("x-api-key", "api-key"):
            found.append(value)
        elif lower == "cookie":
            found.extend(part.partition("=")[2].strip() for part in value.split(";"))
    return [secret for secret in found if secret]


def form_view(fields: Iterable[tuple[str, str | tuple[str | None, bytes]]]) -> dict[str, Any]:
    """The recorded view of a multipart form: files (``(filename, content)``) by name and
    SHA-256, secret fields redacted."""
    view: dict[str, Any] = {}
    for name, value in fields:
        if isinstance(value, tuple):
            filename, content = value
            view[name] = {"filename": filename, "sha256": hashlib.sha256(content).hexdigest()}
        elif name in SECRET_BODY_FIELDS and value:
            view[name] = REDACTED
        else:
            view[name] = value
    return view


def body_view(raw: bytes, content_type: str) -> Any:
    """The recorded (and matched) view of a non-form request body."""
    if not raw:
        return None
    if "json" in content_type or raw[:1] in (b"{", b"["):
        try:
            return scrub_body(json.loads(raw))
        except ValueError:
            pass
    return {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}


@dataclass(frozen=True)
class RecordedRequest:
    """The matched part of a request."""

    method: str
    path: str
    query: str = ""
    body: Any = None

    @property
    def key(self) -> str:
        """The identity replay matches on."""
        return json.dumps(
            [self.method.upper(), self.path, self.query, self.body],
            sort_keys=True,
            separators=(",", ":"),
        )

    def describe(self) -> str:
        """A one-line description for error messages: method, path, model and body."""
        target = self.path + (f"?{self.query}" if self.query else "")
        body = json.dumps(self.body, sort_keys=True) if self.body is not None else "no body"
        return f"{self.method.upper()} {target} with {body}"

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "query": self.query, "body": self.body}


@dataclass
class RecordedResponse:
    """A recorded answer: status, headers and one of ``json``, ``events``, ``text``, ``data``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    events: list[str] | None = None
    text: str | None = None
    data: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "headers": self.headers}
        if self.events is not None:
            out["events"] = self.events
        elif self.text is not None:
            out["text"] = self.text
        elif self.data is not None:
            out["base64"] = base64.b64encode(self.data).decode()
        else:
            out["json"] = self.json
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RecordedResponse:
        data = raw.get("base64")
        return cls(
            status=int(raw["status"]),
            headers=dict(raw.get("headers") or {}),
            json=raw.get("json"),
            events=raw.get("events"),
            text=raw.get("text"),
            data=base64.b64decode(data) if isinstance(data, str) else None,
        )

    def body_bytes(self) -> bytes:
        """The body to send when replaying (a stream's events joined)."""
        if self.events is not None:
            return "".join(f"{event}\n\n" for event in self.events).encode()
        if self.text is not None:
            return self.text.encode()
        if self.data is not None:
            return self.data
        return json.dumps(self.json, separators=(",", ":")).encode()


def sse_events(text: str) -> list[str]:
    """The events of an SSE body, each without its terminating blank line."""
    normalized = text.replace("\r\n", "\n")
    return [event for event in normalized.split("\n\n") if event.strip()]


def recorded_response(
    status: int, headers: Mapping[str, str], content: bytes, secrets: Iterable[str]
) -> RecordedResponse:
    """The recorded form of an upstream answer, with ``secrets`` (and tokens) removed.

    Args:
        status: The HTTP status.
        headers: The response headers (credential and hop-by-hop headers are dropped).
        content: The decoded body.
        secrets: Exact strings to remove wherever they occur (keys, tokens from the request).
    """
    known = [s for s in secrets if s and len(s) >= _MIN_SECRET]
    content_type = headers.get("content-type", "")
    parsed: Any = None
    if "json" in content_type:
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
        else:
            known.extend(s for s in secret_values(parsed) if len(s) >= _MIN_SECRET)
    kept = {
        name.lower(): redact(value, known)
        for name, value in headers.items()
        if name.lower() not in DROPPED_RESPONSE_HEADERS
    }
    response = RecordedResponse(status, kept)
    if "text/event-stream" in content_type:
        text = redact(content.decode("utf-8", "replace"), known)
        response.events = sse_events(text)
    elif parsed is not None:
        response.json = json.loads(redact(json.dumps(scrub_tokens(parsed)), known))
    elif content_type.startswith("text/") or "json" in content_type:
        response.text = redact(content.decode("utf-8", "replace"), known)
    else:
        response.data = content
    return response


def scrub_tokens(value: Any) -> Any:
    """``value`` with credential fields (``access_token``...) replaced by ``"<redacted>"``."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if (k in TOKEN_FIELDS or k in SECRET_BODY_FIELDS) and v
                else scrub_tokens(v))
            for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [scrub_tokens(item) for item in value]
    return value


class Recorder:
    """Appends exchanges to a JSON-lines file, one ``write`` per line (safe across processes)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, request: RecordedRequest, response: RecordedResponse) -> None:
        line = json.dumps(
            {"request": request.to_json(), "response": response.to_json()},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


class Cassette:
    """Recorded exchanges read back for replay.

    Identical requests get their recorded answers in recording order; past the last one, the
    last answer repeats. :meth:`rewind` starts every request's sequence afresh.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(
                f"no recorded exchanges at {self.path}: record them first with "
                "IndoxHubEmulator(upstream=..., record_to=...)"
            )
        self._answers: dict[str, list[RecordedResponse]] = {}
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                request = RecordedRequest(**entry["request"])
                response = RecordedResponse.from_json(entry["response"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{self.path}:{number} is not a recorded exchange: {exc}") from exc
            self._answers.setdefault(request.key, []).append(response)
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return sum(len(answers) for answers in self._answers.values())

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        """The next recorded answer to ``request``, or ``None`` when it was never recorded."""
        answers = self._answers.get(request.key)
        if not answers:
            return None
        with self._lock:
            index = self._next.get(request.key, 0)
            self._next[request.key] = index + 1
        return answers[min(index, len(answers) - 1)]

    def rewind(self) -> None:
        with self._lock:
            self._next.clear()

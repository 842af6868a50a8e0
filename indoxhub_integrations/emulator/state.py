"""The emulator's mutable state: account, tokens, rate limits, request log and scripted queue.

Every method is thread-safe: the server runs in its own thread while tests call the handle.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

STYLES = ("responses", "legacy", "openai")
TIERS: dict[str, tuple[int, int] | None] = {
    "free": (10, 10_000),
    "standard": (60, 100_000),
    "enterprise": (500, 1_000_000),
    "unlimited": None,
}
"""Tier -> (requests per minute, tokens per hour); ``None`` means no platform limit."""

FAULTS = ("delay", "drop", "cut_stream", "stream_error", "malformed_json")
_MAX_FILES = 512


@dataclass
class RequestRecord:
    """One request as the emulator saw it. Secrets are masked; headers are not kept."""

    method: str
    path: str
    json: Any = None
    byok: bool = False
    byok_key_sha256: str | None = None
    status: int = 0
    model: str | None = None
    cost: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str = ""
    stream: bool = False
    endpoint: str | None = None
    """The usage endpoint (``chat``, ``completion``, ``embedding``, ``image``,
    ``text_to_speech``, ``speech_to_text``, ``translation``); ``None`` for requests that are
    not model calls (auth, catalog, account)."""

    def to_json(self) -> dict[str, Any]:
        """The record as the ``/_emulator/requests`` JSON."""
        return asdict(self)


@dataclass
class Script:
    """A scripted answer or fault for the next ``times`` matching requests."""

    path: str | None = None
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] | None = None
    content: str | None = None
    tool_calls: list[Any] | None = None
    usage: dict[str, Any] | None = None
    fault: str | None = None
    after_events: int = 0
    delay: float = 0.0
    times: int = 1

    @property
    def fixed(self) -> bool:
        """True when the script answers with a fixed status and body."""
        return self.fault is None and (
            self.json is not None or self.body is not None or self.status != 200
        )

    def matches(self, path: str, model_call: bool) -> bool:
        if self.path is None:
            return model_call
        return path.endswith(self.path)


@dataclass
class RateLimited:
    """Why a request was refused by the tier's rate limit."""

    limit_type: str
    limit: int
    retry_after: int
    reset_time: str


@dataclass
class _Settings:
    credits: float
    tier: str
    style: str
    latency: float


@dataclass
class EmulatorState:
    """Account, tokens, limits, log and script queue of one emulator."""

    initial: _Settings
    api_key: str
    require_token_exchange: bool = False
    token_ttl: float | None = None
    current: _Settings = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    log: list[RequestRecord] = field(default_factory=list, repr=False)
    scripts: list[Script] = field(default_factory=list, repr=False)
    tokens: dict[str, float | None] = field(default_factory=dict, repr=False)
    files: OrderedDict[str, tuple[bytes, str]] = field(default_factory=OrderedDict, repr=False)
    streams: dict[str, bool] = field(default_factory=dict, repr=False)
    _minute: deque[float] = field(default_factory=deque, repr=False)
    _hour: deque[tuple[float, int]] = field(default_factory=deque, repr=False)
    _hour_tokens: int = 0

    def __post_init__(self) -> None:
        self.current = _Settings(**asdict(self.initial))

    @classmethod
    def create(
        cls,
        *,
        credits: float,
        tier: str,
        style: str,
        latency: float,
        api_key: str,
        require_token_exchange: bool = False,
        token_ttl: float | None = None,
    ) -> EmulatorState:
        check_tier(tier)
        check_style(style)
        settings = _Settings(float(credits), tier, style, float(latency))
        return cls(settings, api_key, require_token_exchange, token_ttl)

    # --- settings ---------------------------------------------------------------------------

    @property
    def style(self) -> str:
        return self.current.style

    @property
    def latency(self) -> float:
        return self.current.latency

    @property
    def tier(self) -> str:
        return self.current.tier

    @property
    def credits(self) -> float:
        return self.current.credits

    def set_credits(self, usd: float) -> None:
        with self.lock:
            self.current.credits = float(usd)

    def set_tier(self, name: str) -> None:
        check_tier(name)
        with self.lock:
            self.current.tier = name
            self._clear_windows()

    def set_style(self, style: str) -> None:
        check_style(style)
        with self.lock:
            self.current.style = style

    def set_latency(self, seconds: float) -> None:
        with self.lock:
            self.current.latency = float(seconds)

    def reset(self) -> None:
        """Credits, tier, style, latency, scripts, log and usage back to their start values."""
        with self.lock:
            self.current = _Settings(**asdict(self.initial))
            self.log.clear()
            self.scripts.clear()
            self.files.clear()
            self.streams.clear()
            self._clear_windows()

    def _clear_windows(self) -> None:
        self._minute.clear()
        self._hour.clear()
        self._hour_tokens = 0

    # --- auth -------------------------------------------------------------------------------

    def issue_token(self) -> str:
        token = "ixh-at-" + secrets.token_urlsafe(24)
        expiry = time.monotonic() + self.token_ttl if self.token_ttl is not None else None
        with self.lock:
            self.tokens[token] = expiry
        return token

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def authenticate(self, bearer: str) -> bool:
        """True when ``bearer`` is the API key (unless exchange is required) or a live token."""
        if bearer == self.api_key and not self.require_token_exchange:
            return True
        with self.lock:
            if bearer not in self.tokens:
                return False
            expiry = self.tokens[bearer]
            if expiry is not None and time.monotonic() >= expiry:
                del self.tokens[bearer]
                return False
            return True

    # --- scripts ----------------------------------------------------------------------------

    def enqueue(self, script: Script) -> None:
        if script.fault is not None and script.fault not in FAULTS:
            raise ValueError(f"unknown fault {script.fault!r}; expected one of {FAULTS}")
        if script.times < 1:
            raise ValueError("times must be at least 1")
        with self.lock:
            self.scripts.append(script)

    def take_script(self, path: str, model_call: bool) -> Script | None:
        """Consume one use of the first script matching ``path``."""
        if not self.scripts:
            return None
        with self.lock:
            for index, script in enumerate(self.scripts):
                if script.matches(path, model_call):
                    script.times -= 1
                    if script.times <= 0:
                        del self.scripts[index]
                    return script
        return None

    # --- accounting -------------------------------------------------------------------------

    def check_rate(self, tokens: int) -> RateLimited | None:
        """Admit one platform request (counting it), or say which limit refuses it."""
        with self.lock:
            limits = TIERS[self.current.tier]
            if limits is None:
                return None
            per_minute, per_hour = limits
            now = time.monotonic()
            minute, hour = self._minute, self._hour
            while minute and minute[0] <= now - 60:
                minute.popleft()
            while hour and hour[0][0] <= now - 3600:
                self._hour_tokens -= hour.popleft()[1]
            if len(minute) >= per_minute:
                return _limited("requests_per_minute", per_minute, minute[0] + 60 - now)
            if hour and self._hour_tokens + tokens > per_hour:
                return _limited("tokens_per_hour", per_hour, hour[0][0] + 3600 - now)
            minute.append(now)
            return None

    def charge(self, cost: float, tokens: int) -> float | None:
        """Deduct ``cost`` if the account can pay it; return the shortfall's balance otherwise."""
        with self.lock:
            balance = self.current.credits
            if balance <= 0 or balance < cost:
                return balance
            self.current.credits = balance - cost
            if TIERS[self.current.tier] is not None:
                self._hour.append((time.monotonic(), tokens))
                self._hour_tokens += tokens
            return None

    def record(self, record: RequestRecord) -> None:
        with self.lock:
            self.log.append(record)

    def requests(self) -> list[RequestRecord]:
        with self.lock:
            return list(self.log)

    def usage(self) -> dict[str, Any]:
        """The ``/api/v1/user/usage`` report, summed over the log's successful model calls."""
        with self.lock:
            records = [r for r in self.log if r.endpoint and 200 <= r.status < 300]
            credits = self.current.credits
            tier = self.current.tier
        report: dict[str, Any] = {
            "total_requests": len(records),
            "total_cost": sum(r.cost for r in records),
            "total_tokens": sum(r.input_tokens + r.output_tokens for r in records),
            "input_tokens": sum(r.input_tokens for r in records),
            "output_tokens": sum(r.output_tokens for r in records),
            "remaining_credits": credits,
            "account_tier": tier,
            "byok_requests": sum(1 for r in records if r.byok),
            "platform_requests": sum(1 for r in records if not r.byok),
        }
        for key, attribute in (
            ("endpoints", "endpoint"),
            ("providers", "provider"),
            ("models", "model"),
        ):
            groups: dict[str, dict[str, Any]] = {}
            for r in records:
                if attribute == "provider":
                    name = (r.model or "").partition("/")[0] or "unknown"
                else:
                    name = getattr(r, attribute) or "unknown"
                group = groups.setdefault(name, {"requests": 0, "cost": 0.0, "tokens": 0})
                group["requests"] += 1
                group["cost"] += r.cost
                group["tokens"] += r.input_tokens + r.output_tokens
            report[key] = groups
        return report

    # --- files and streams ------------------------------------------------------------------

    def store_file(self, data: bytes, media_type: str) -> str:
        file_id = secrets.token_hex(8)
        with self.lock:
            self.files[file_id] = (data, media_type)
            while len(self.files) > _MAX_FILES:
                self.files.popitem(last=False)
        return file_id

    def get_file(self, file_id: str) -> tuple[bytes, str] | None:
        with self.lock:
            return self.files.get(file_id)

    def open_stream(self, stream_id: str) -> None:
        with self.lock:
            self.streams[stream_id] = False

    def close_stream(self, stream_id: str) -> None:
        with self.lock:
            self.streams.pop(stream_id, None)

    def stop_stream(self, stream_id: str) -> bool:
        """Ask an open stream to stop; False when no such stream is open."""
        with self.lock:
            if stream_id not in self.streams:
                return False
            self.streams[stream_id] = True
            return True

    def stream_stopped(self, stream_id: str) -> bool:
        return self.streams.get(stream_id, False)


def _limited(limit_type: str, limit: int, seconds: float) -> RateLimited:
    retry_after = max(1, math.ceil(seconds))
    reset = datetime.fromtimestamp(time.time() + retry_after, tz=timezone.utc)
    return RateLimited(limit_type, limit, retry_after, reset.isoformat())


def check_tier(name: str) -> None:
    if name not in TIERS:
        raise ValueError(f"unknown tier {name!r}; expected one of {tuple(TIERS)}")


def check_style(style: str) -> None:
    if style not in STYLES:
        raise ValueError(f"unknown response style {style!r}; expected one of {STYLES}")

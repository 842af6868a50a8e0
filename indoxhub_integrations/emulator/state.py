"""The emulator's mutable state: account, tokens, rate limits, request log and scripted queue.

Every method is thread-safe: the server runs in its own thread while tests call the handle.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from .catalog import Catalog, CatalogModel

STYLES = ("responses", "legacy", "openai")
TIERS: dict[str, tuple[int, int] | None] = {
    "free": (10, 10_000),
    "standard": (60, 100_000),
    "enterprise": (500, 1_000_000),
    "unlimited": None,
}
"""Tier -> (requests per minute, tokens per hour); ``None`` means no platform limit."""

FAULTS = (
    "delay", "drop", "cut_stream", "stream_error", "malformed_json", "video_failed", "video_stuck"
)
_MAX_FILES = 512
MAX_KEPT_RESPONSES = 500
"""The log keeps the answer bodies of this many most recent requests (the records stay)."""


_BILLED_OUTCOMES = frozenset({"completed", "closed_by_client"})
"""Outcomes of answers that count in the usage and spend reports."""


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
    created: float = field(default_factory=time.time)
    """When the request arrived (Unix seconds)."""
    duration_ms: float | None = None
    """Milliseconds from arrival to the start of the answer (``None`` until answered)."""
    fault: str | None = None
    """What was scripted for this request: a fault (``delay``, ``drop``, ``cut_stream``, ...),
    ``status 429`` for a fixed answer, ``scripted`` for overridden content; ``None`` otherwise."""
    provider_cost_estimate: float | None = None
    """BYOK only: what the request would cost at the catalog's prices (paid to the provider,
    never taken from the credits)."""
    images: list[str] = field(default_factory=list)
    """Paths (``/_emulator/files/...``) of the images the answer generated."""
    seq: int = 0
    """The record's position in the log, counted from 1 since the emulator started (a reset
    does not restart it, so ``?after=`` polling never misses or repeats a record)."""
    response: bytes | list[bytes] | None = field(default=None, repr=False)
    """The answer's body as sent (JSON bytes, or the SSE events of a stream); served by
    ``/_emulator/requests/{request_id}``, not in the list. Only the last
    :data:`MAX_KEPT_RESPONSES` records keep theirs."""
    outcome: str = "completed"
    """How the answer ended: ``completed``, ``cut`` (a ``cut_stream`` fault ended the stream
    or body early), ``error_event``, ``malformed``, ``dropped`` (no answer), or
    ``closed_by_client`` (the client closed a stream before its end). The ``status`` is the
    HTTP status that was sent (a cut stream's is 200: its headers went out first); answers
    that did not complete are left out of the usage and spend reports."""

    generation: int = field(default=-1, repr=False)
    """The state's reset count when the request arrived (``-1``: not stamped). A request that
    was still running when the emulator was reset belongs to the old log: it is not recorded
    (nor charged) into the new one."""

    def to_json(self) -> dict[str, Any]:
        """The record as the ``/_emulator/requests`` JSON (without the response body)."""
        data = asdict(replace(self, response=None))
        del data["response"], data["generation"]
        return data

    def response_json(self) -> dict[str, Any]:
        """The record with the answer's body as text (``/_emulator/requests/{request_id}``)."""
        raw = self.response
        text = b"".join(raw) if isinstance(raw, list) else raw
        data = self.to_json()
        data["response"] = None if text is None else text.decode("utf-8", errors="replace")
        data["response_stream"] = isinstance(raw, list)
        if text is None:
            data["response_note"] = (
                "no answer: the connection was dropped"
                if self.fault == "drop"
                else f"not kept: the log keeps the last {MAX_KEPT_RESPONSES} answers"
            )
        return data


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
    catalog: Catalog = field(default_factory=Catalog)
    strict_schema: bool = False
    """Drop message fields the documented ``ChatMessage`` schema does not declare."""
    current: _Settings = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    log: list[RequestRecord] = field(default_factory=list, repr=False)
    scripts: list[Script] = field(default_factory=list, repr=False)
    tokens: dict[str, float | None] = field(default_factory=dict, repr=False)
    files: OrderedDict[str, tuple[bytes, str]] = field(default_factory=OrderedDict, repr=False)
    streams: dict[str, bool] = field(default_factory=dict, repr=False)
    video_jobs: dict[str, Any] = field(default_factory=dict, repr=False)
    """Video generation jobs by id (see :mod:`.video_endpoints`)."""
    video_steps: int = 2
    """Polls a video job spends in progress before it completes (0: done at the first poll)."""
    _minute: deque[float] = field(default_factory=deque, repr=False)
    _hour: deque[tuple[float, int]] = field(default_factory=deque, repr=False)
    _hour_tokens: int = 0
    _seq: int = 0
    _generation: int = 0

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
        models: Sequence[str | CatalogModel] = (),
        strict_schema: bool = False,
    ) -> EmulatorState:
        check_tier(tier)
        check_style(style)
        settings = _Settings(float(credits), tier, style, float(latency))
        catalog = Catalog().with_models(list(models)) if models else Catalog()
        return cls(settings, api_key, require_token_exchange, token_ttl, catalog, strict_schema)

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
            self.video_jobs.clear()
            self._clear_windows()
            self._generation += 1

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
            self._prune(now)
            minute, hour = self._minute, self._hour
            if len(minute) >= per_minute:
                return _limited("requests_per_minute", per_minute, minute[0] + 60 - now)
            if hour and self._hour_tokens + tokens > per_hour:
                return _limited("tokens_per_hour", per_hour, hour[0][0] + 3600 - now)
            minute.append(now)
            return None

    def _prune(self, now: float) -> None:
        """Forget requests older than a minute and tokens older than an hour (lock held)."""
        minute, hour = self._minute, self._hour
        while minute and minute[0] <= now - 60:
            minute.popleft()
        while hour and hour[0][0] <= now - 3600:
            self._hour_tokens -= hour.popleft()[1]

    def account(self) -> dict[str, Any]:
        """Credits, tier, its limits and their use now, pending scripts and the log's size.

        The ``/_emulator/account`` JSON (what the dashboard's account panel shows).
        """
        with self.lock:
            self._prune(time.monotonic())
            limits = TIERS[self.current.tier]
            return {
                "credits": self.current.credits,
                "tier": self.current.tier,
                "tiers": list(TIERS),
                "rate_limit": None
                if limits is None
                else {"requests_per_minute": limits[0], "tokens_per_hour": limits[1]},
                "requests_this_minute": len(self._minute),
                "tokens_this_hour": self._hour_tokens,
                "style": self.current.style,
                "latency": self.current.latency,
                "pending": [_pending(script) for script in self.scripts],
                "log_size": len(self.log),
                "last_seq": self._seq,
                "generation": self._generation,
            }

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

    @property
    def generation(self) -> int:
        """How many times the state was reset (requests are stamped with it on arrival)."""
        return self._generation

    def stale(self, record: RequestRecord) -> bool:
        """True when ``record``'s request arrived before the latest reset."""
        return record.generation >= 0 and record.generation != self._generation

    def record(self, record: RequestRecord) -> None:
        with self.lock:
            if self.stale(record):  # it began before a reset: not part of the new log
                return
            self._seq += 1
            record.seq = self._seq
            self.log.append(record)
            if len(self.log) > MAX_KEPT_RESPONSES:
                self.log[-MAX_KEPT_RESPONSES - 1].response = None

    def requests(self, after: int = 0) -> list[RequestRecord]:
        """The log (the records numbered above ``after`` when given)."""
        with self.lock:
            if not after:
                return list(self.log)
            return [r for r in self.log if r.seq > after]

    def find_request(self, request_id: str) -> RequestRecord | None:
        with self.lock:
            return next((r for r in self.log if r.request_id == request_id), None)

    def _billed(self) -> list[RequestRecord]:
        """The successful model calls: what usage and spend reports sum over (a cut stream,
        an error event or a malformed body is not one)."""
        with self.lock:
            return [
                r
                for r in self.log
                if r.endpoint and 200 <= r.status < 300 and r.outcome in _BILLED_OUTCOMES
            ]

    def usage(self) -> dict[str, Any]:
        """The ``/api/v1/user/usage`` report (the documented ``UsageResponse``).

        ``total_tokens`` and each group's ``tokens`` are ``{"input", "output", "total"}``;
        ``daily_usage`` has one entry per day. Beyond the schema, the report adds
        ``input_tokens``, ``output_tokens``, ``byok_requests``, ``platform_requests`` and
        ``account_tier`` (extra fields; a client must ignore what it does not know).
        """
        records = self._billed()
        credits, tier = self.current.credits, self.current.tier
        totals = _stats(records)
        report: dict[str, Any] = {
            "total_requests": totals["requests"],
            "total_cost": totals["cost"],
            "remaining_credits": credits,
            "total_tokens": totals["tokens"],
            "input_tokens": sum(r.input_tokens for r in records),
            "output_tokens": sum(r.output_tokens for r in records),
            "account_tier": tier,
            "byok_requests": sum(1 for r in records if r.byok),
            "platform_requests": sum(1 for r in records if not r.byok),
        }
        for key, attribute in (
            ("endpoints", "endpoint"),
            ("providers", "provider"),
            ("models", "model"),
        ):
            report[key] = {
                name: _stats(group) for name, group in _group(records, attribute).items()
            }
        days: dict[str, list[RequestRecord]] = {}
        for r in records:
            days.setdefault(time.strftime("%Y-%m-%d", time.gmtime(r.created)), []).append(r)
        report["daily_usage"] = [{"date": day, **_stats(group)} for day, group in days.items()]
        return report

    def spend(self, buckets: int = 30) -> dict[str, Any]:
        """Spend over time and by model and endpoint, platform and BYOK apart.

        The ``/_emulator/spend`` JSON (the dashboard's charts). Sums the same records as
        :meth:`usage`, so its platform and BYOK totals add up to the usage report's.

        Args:
            buckets: At most this many time buckets (their width is picked from a ladder of
                round durations so that the whole log fits).
        """
        records = self._billed()

        def apart(group: list[RequestRecord]) -> dict[str, dict[str, Any]]:
            return {
                "platform": _tally([r for r in group if not r.byok]),
                "byok": _tally([r for r in group if r.byok], estimate=True),
            }

        width = _bucket_width(records, buckets)
        timeline: dict[int, list[RequestRecord]] = {}
        for r in records:
            timeline.setdefault(int(r.created // width), []).append(r)
        return {
            "totals": apart(records),
            "models": {name: apart(g) for name, g in _group(records, "model").items()},
            "endpoints": {name: apart(g) for name, g in _group(records, "endpoint").items()},
            "bucket_seconds": width,
            "over_time": [
                {"start": index * width, **apart(group)}
                for index, group in sorted(timeline.items())
            ],
        }

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


_BUCKET_LADDER = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 21600, 86400)


def _bucket_width(records: list[RequestRecord], buckets: int) -> int:
    """The smallest round bucket width (seconds) that spans ``records`` in ``buckets``."""
    if not records:
        return _BUCKET_LADDER[0]
    span = max(r.created for r in records) - min(r.created for r in records)
    return next((w for w in _BUCKET_LADDER if span / w < buckets - 1), _BUCKET_LADDER[-1])


def _group(records: list[RequestRecord], attribute: str) -> dict[str, list[RequestRecord]]:
    """``records`` grouped by ``endpoint``, ``model`` or ``provider`` (``unknown`` if unset)."""
    groups: dict[str, list[RequestRecord]] = {}
    for r in records:
        if attribute == "provider":
            name = (r.model or "").partition("/")[0] or "unknown"
        else:
            name = getattr(r, attribute) or "unknown"
        groups.setdefault(name, []).append(r)
    return groups


def _stats(records: list[RequestRecord]) -> dict[str, Any]:
    """The documented ``UsageStats``: ``requests``, ``cost`` and ``tokens`` as
    ``{"input", "output", "total"}`` (``TokenUsage``)."""
    inputs = sum(r.input_tokens for r in records)
    outputs = sum(r.output_tokens for r in records)
    return {
        "requests": len(records),
        "cost": sum(r.cost for r in records),
        "tokens": {"input": inputs, "output": outputs, "total": inputs + outputs},
    }


def _tally(records: list[RequestRecord], *, estimate: bool = False) -> dict[str, Any]:
    """Requests, cost and tokens of ``records`` (with ``estimate``, also what their BYOK
    requests cost at the provider: ``provider_cost_estimate``)."""
    tally: dict[str, Any] = {
        "requests": len(records),
        "cost": sum(r.cost for r in records),
        "tokens": sum(r.input_tokens + r.output_tokens for r in records),
    }
    if estimate:
        tally["provider_cost_estimate"] = sum(
            r.provider_cost_estimate or 0.0 for r in records if r.byok
        )
    return tally


def _pending(script: Script) -> dict[str, Any]:
    """A queued script as the dashboard lists it."""
    return {
        "what": describe_script(script),
        "path": script.path,
        "times": script.times,
    }


def describe_script(script: Script) -> str:
    """A short label for what a script does to a request (the log's ``fault`` column)."""
    if script.fault is not None:
        return script.fault
    if script.fixed:
        return f"status {script.status}"
    return "scripted"


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

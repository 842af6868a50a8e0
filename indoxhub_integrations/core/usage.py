"""Per-request usage records and a thread-safe ledger that aggregates them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from .wire import ChatResult, EmbeddingResult, ImageResult, SpeechResult, TranscriptionResult

AnyResult = ChatResult | EmbeddingResult | ImageResult | SpeechResult | TranscriptionResult


class UsageRecord(BaseModel):
    """What one indoxhub request used and cost."""

    model_config = ConfigDict(frozen=True)

    endpoint: str
    """``chat``, ``completion``, ``embedding``, ``image``, ``text_to_speech``..."""
    model: str | None = None
    """The model in ``provider/model`` form."""
    provider: str | None = None
    """The provider that served the request."""
    request_id: str | None = None
    """The server's request id."""
    input_tokens: int = 0
    """Prompt tokens."""
    output_tokens: int = 0
    """Completion tokens."""
    total_tokens: int = 0
    """Input plus output tokens."""
    cached_tokens: int = 0
    """Input tokens read from the prompt cache."""
    reasoning_tokens: int = 0
    """Output tokens spent on reasoning."""
    characters: int | None = None
    """Characters synthesised (text to speech)."""
    images: int = 0
    """Images generated."""
    cost: float | None = None
    """USD; ``None`` when unknown (never a made-up 0); 0 for BYOK."""
    cost_estimated: bool = False
    """True when the cost was computed from catalog pricing."""
    byok: bool = False
    """True when the request used the caller's own provider key."""
    rate_limit_bypass: str | None = None
    """The ``X-RateLimit-Bypass`` header, when present."""
    duration_ms: float | None = None
    """How long the request took."""


def record_from_result(result: AnyResult) -> UsageRecord:
    """Build the :class:`UsageRecord` of one normalized result."""
    usage, meta = result.usage, result.meta
    images = len(result.images) if isinstance(result, ImageResult | ChatResult) else 0
    return UsageRecord(
        endpoint=meta.endpoint or "chat",
        model=meta.model,
        provider=meta.provider,
        request_id=meta.request_id,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        cached_tokens=usage.cached_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        characters=usage.characters,
        images=images,
        cost=usage.cost,
        cost_estimated=usage.cost_estimated,
        byok=meta.byok,
        rate_limit_bypass=meta.rate_limit_bypass,
        duration_ms=meta.duration_ms,
    )


class _Bucket:
    __slots__ = ("byok_requests", "cost", "requests", "tokens", "unknown_cost_requests")

    def __init__(self) -> None:
        self.requests = 0
        self.byok_requests = 0
        self.tokens = 0
        self.cost = 0.0
        self.unknown_cost_requests = 0

    def add(self, record: UsageRecord) -> None:
        self.requests += 1
        self.byok_requests += record.byok
        self.tokens += record.total_tokens
        if record.cost is None:
            self.unknown_cost_requests += 1
        else:
            self.cost += record.cost

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "byok_requests": self.byok_requests,
            "tokens": self.tokens,
            "cost": self.cost,
            "unknown_cost_requests": self.unknown_cost_requests,
        }


class UsageLedger:
    """Thread-safe totals over :class:`UsageRecord` s.

    ``total_cost`` sums the known costs only; ``unknown_cost_requests`` counts the requests whose
    cost is unknown, so an unknown cost is never mistaken for 0.
    """

    def __init__(self, records: Iterable[UsageRecord] = ()) -> None:
        self._lock = threading.Lock()
        self._records: list[UsageRecord] = []
        self._total = _Bucket()
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._estimated_cost_requests = 0
        self._by_model: dict[str, _Bucket] = {}
        self._by_endpoint: dict[str, _Bucket] = {}
        for record in records:
            self.add(record)

    def add(self, record: UsageRecord) -> None:
        """Count one request."""
        with self._lock:
            self._records.append(record)
            self._total.add(record)
            self._prompt_tokens += record.input_tokens
            self._completion_tokens += record.output_tokens
            self._estimated_cost_requests += record.cost_estimated
            self._by_model.setdefault(record.model or "unknown", _Bucket()).add(record)
            self._by_endpoint.setdefault(record.endpoint, _Bucket()).add(record)

    def reset(self) -> None:
        """Forget every record."""
        with self._lock:
            self.__init__()  # type: ignore[misc]

    @property
    def records(self) -> list[UsageRecord]:
        """A copy of the records, in arrival order."""
        with self._lock:
            return list(self._records)

    @property
    def total_cost(self) -> float:
        """USD over the requests whose cost is known (BYOK counts 0)."""
        return self._total.cost

    @property
    def platform_cost(self) -> float:
        """USD spent on platform credits (known costs of non-BYOK requests)."""
        with self._lock:
            return sum(r.cost or 0.0 for r in self._records if not r.byok)

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self._total.tokens

    @property
    def prompt_tokens(self) -> int:
        """Input tokens."""
        return self._prompt_tokens

    @property
    def completion_tokens(self) -> int:
        """Output tokens."""
        return self._completion_tokens

    @property
    def requests(self) -> int:
        """Requests counted."""
        return self._total.requests

    @property
    def byok_requests(self) -> int:
        """Requests that went through a BYOK key."""
        return self._total.byok_requests

    @property
    def platform_requests(self) -> int:
        """Requests billed to platform credits."""
        return self._total.requests - self._total.byok_requests

    @property
    def unknown_cost_requests(self) -> int:
        """Requests whose cost is unknown (not in the response and not estimable)."""
        return self._total.unknown_cost_requests

    @property
    def estimated_cost_requests(self) -> int:
        """Requests whose cost was estimated from catalog pricing."""
        return self._estimated_cost_requests

    @property
    def cost_is_complete(self) -> bool:
        """True when every request's cost is known."""
        return self._total.unknown_cost_requests == 0

    def by_model(self) -> dict[str, dict[str, Any]]:
        """Totals per ``provider/model``."""
        with self._lock:
            return {name: bucket.as_dict() for name, bucket in self._by_model.items()}

    def by_endpoint(self) -> dict[str, dict[str, Any]]:
        """Totals per endpoint."""
        with self._lock:
            return {name: bucket.as_dict() for name, bucket in self._by_endpoint.items()}

    def summary(self) -> dict[str, Any]:
        """Every total as a plain dict."""
        return {
            "requests": self.requests,
            "platform_requests": self.platform_requests,
            "byok_requests": self.byok_requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "total_cost": self.total_cost,
            "unknown_cost_requests": self.unknown_cost_requests,
            "estimated_cost_requests": self.estimated_cost_requests,
        }

    def __str__(self) -> str:
        cost = f"${self.total_cost:.6f}"
        if self.unknown_cost_requests:
            cost += f" (+ unknown cost for {self.unknown_cost_requests} request(s))"
        if self.estimated_cost_requests:
            cost += f" ({self.estimated_cost_requests} estimated from catalog pricing)"
        lines = [
            f"Requests: {self.requests} ({self.platform_requests} platform, "
            f"{self.byok_requests} BYOK)",
            f"Tokens: {self.total_tokens} (prompt {self.prompt_tokens}, "
            f"completion {self.completion_tokens})",
            f"Total cost (USD): {cost}",
        ]
        for name, bucket in sorted(self.by_model().items()):
            lines.append(
                f"  {name}: {bucket['requests']} request(s), {bucket['tokens']} tokens, "
                f"${bucket['cost']:.6f}"
                + (f", {bucket['byok_requests']} BYOK" if bucket["byok_requests"] else "")
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"UsageLedger(requests={self.requests}, byok_requests={self.byok_requests}, "
            f"total_tokens={self.total_tokens}, total_cost={self.total_cost!r}, "
            f"unknown_cost_requests={self.unknown_cost_requests})"
        )

"""Per-request usage records and a thread-safe ledger that aggregates them."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

from .budget import Budget
from .server_usage import ServerUsageCheck, check_client
from .wire import (
    ChatResult,
    EmbeddingResult,
    ImageResult,
    ResponseMeta,
    SpeechResult,
    TranscriptionResult,
    Usage,
    UsageRecord,
    VideoJob,
)

AnyResult = (
    ChatResult | EmbeddingResult | ImageResult | SpeechResult | TranscriptionResult | VideoJob
)


def record_from_result(result: AnyResult, *, status: int | None = None) -> UsageRecord:
    """The :class:`UsageRecord` of one normalized result: the core's own when it carries one."""
    if result.meta.record is not None:
        return result.meta.record
    images = len(result.images) if isinstance(result, ImageResult | ChatResult) else 0
    return record_from_parts(result.usage, result.meta, images=images, status=status)


def record_from_parts(
    usage: Usage, meta: ResponseMeta, *, images: int = 0, status: int | None = None
) -> UsageRecord:
    """Build the :class:`UsageRecord` of a completed request from its usage and meta."""
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
        status=status,
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
        self.server_check: ServerUsageCheck | None = None
        """The server's usage snapshots around the scope, when it was opened with
        ``verify_with_server``; see :attr:`server_cost`."""
        self._clear()
        for record in records:
            self.add(record)

    def _clear(self) -> None:
        self._records: list[UsageRecord] = []
        self._failed_requests = 0
        self._total = _Bucket()
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._estimated_cost_requests = 0
        self._byok_provider_cost = 0.0
        self._by_model: dict[str, _Bucket] = {}
        self._by_endpoint: dict[str, _Bucket] = {}

    def add(self, record: UsageRecord) -> None:
        """Count one request."""
        with self._lock:
            self._records.append(record)
            if record.outcome == "failed":  # an answered error: an attempt, not spend
                self._failed_requests += 1
                return
            self._total.add(record)
            self._prompt_tokens += record.input_tokens
            self._completion_tokens += record.output_tokens
            self._estimated_cost_requests += record.cost_estimated
            if record.provider_cost_estimate is not None:
                self._byok_provider_cost += record.provider_cost_estimate
            self._by_model.setdefault(record.model or "unknown", _Bucket()).add(record)
            self._by_endpoint.setdefault(record.endpoint, _Bucket()).add(record)

    def reset(self) -> None:
        """Forget every record."""
        with self._lock:  # the same lock: concurrent adds wait, none is lost mid-reset
            self._clear()

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
    def byok_provider_cost(self) -> float:
        """USD your BYOK requests cost at the provider's list price (an estimate from the
        catalog, billed to your own key, never part of :attr:`total_cost`)."""
        return self._byok_provider_cost

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
    def failed_requests(self) -> int:
        """Attempts the server answered with an error (not counted in :attr:`requests`)."""
        return self._failed_requests

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

    @property
    def server_cost(self) -> float | None:
        """USD the account spent between the scope's two usage snapshots, as the server counts
        it (``verify_with_server``); None when not verified. An upper bound for the scope:
        other use of the same account in that time is included."""
        return self.server_check.server_cost if self.server_check is not None else None

    @property
    def server_requests(self) -> int | None:
        """Requests the account made between the scope's two snapshots (see
        :attr:`server_cost`); None when not verified."""
        return self.server_check.server_requests if self.server_check is not None else None

    @property
    def server_gap(self) -> float | None:
        """``server_cost - total_cost``: what the local totals (estimates included) missed;
        None when not verified."""
        check = self.server_check
        return check.gap(self.total_cost) if check is not None else None

    def summary(self) -> dict[str, Any]:
        """Every total as a plain dict (with the server's figures when verified)."""
        verified = {}
        if self.server_check is not None:
            verified = {
                "server_cost": self.server_cost,
                "server_requests": self.server_requests,
                "server_gap": self.server_gap,
            }
        return {**self._summary(), **verified}

    def _summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "platform_requests": self.platform_requests,
            "byok_requests": self.byok_requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "total_cost": self.total_cost,
            "byok_provider_cost": self.byok_provider_cost,
            "unknown_cost_requests": self.unknown_cost_requests,
            "estimated_cost_requests": self.estimated_cost_requests,
            "failed_requests": self.failed_requests,
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
            f"Total cost (USD, indoxhub credits): {cost}",
            f"BYOK provider cost (USD, list-price estimate billed to your own keys): "
            f"${self.byok_provider_cost:.6f}",
        ]
        for name, bucket in sorted(self.by_model().items()):
            lines.append(
                f"  {name}: {bucket['requests']} request(s), {bucket['tokens']} tokens, "
                f"${bucket['cost']:.6f}"
                + (f", {bucket['byok_requests']} BYOK" if bucket["byok_requests"] else "")
            )
        if self.server_check is not None:
            lines.append(self.server_check.summary(self.total_cost, self.requests))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"UsageLedger(requests={self.requests}, byok_requests={self.byok_requests}, "
            f"total_tokens={self.total_tokens}, total_cost={self.total_cost!r}, "
            f"unknown_cost_requests={self.unknown_cost_requests})"
        )


class LedgerView:
    """The totals of a :class:`UsageLedger`, read through (the usage handlers of both
    frameworks are views over their ledger: one definition of every total)."""

    def _view_ledger(self) -> UsageLedger:
        ledger: UsageLedger = self.ledger  # type: ignore[attr-defined]
        return ledger

    @property
    def cost_is_complete(self) -> bool:
        """True when every request's cost is known."""
        return self._view_ledger().cost_is_complete

    @property
    def records(self) -> list[UsageRecord]:
        """The records, in arrival order."""
        return self._view_ledger().records

    @property
    def total_cost(self) -> float:
        """USD over the requests whose cost is known (BYOK counts 0)."""
        return self._view_ledger().total_cost

    @property
    def platform_cost(self) -> float:
        """USD billed to indoxhub credits."""
        return self._view_ledger().platform_cost

    @property
    def byok_provider_cost(self) -> float:
        """USD the BYOK requests cost at the provider's list price (an estimate, billed to
        your own key; never part of :attr:`total_cost`)."""
        return self._view_ledger().byok_provider_cost

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self._view_ledger().total_tokens

    @property
    def prompt_tokens(self) -> int:
        """Input tokens."""
        return self._view_ledger().prompt_tokens

    @property
    def completion_tokens(self) -> int:
        """Output tokens."""
        return self._view_ledger().completion_tokens

    @property
    def requests(self) -> int:
        """Requests counted."""
        return self._view_ledger().requests

    @property
    def successful_requests(self) -> int:
        """Alias of :attr:`requests`, as in ``get_openai_callback()``."""
        return self._view_ledger().requests

    @property
    def byok_requests(self) -> int:
        """Requests that went through a BYOK key."""
        return self._view_ledger().byok_requests

    @property
    def platform_requests(self) -> int:
        """Requests billed to platform credits."""
        return self._view_ledger().platform_requests

    @property
    def unknown_cost_requests(self) -> int:
        """Requests whose cost is unknown (reported as unknown, never as 0)."""
        return self._view_ledger().unknown_cost_requests

    @property
    def failed_requests(self) -> int:
        """Attempts the server answered with an error (not spend; not in ``requests``)."""
        return self._view_ledger().failed_requests

    @property
    def estimated_cost_requests(self) -> int:
        """Requests whose cost was estimated from catalog pricing."""
        return self._view_ledger().estimated_cost_requests

    @property
    def server_cost(self) -> float | None:
        """USD the account spent in the block as the server counts it (``verify_with_server``);
        None when not verified. An upper bound: other use of the account counts too."""
        return self._view_ledger().server_cost

    @property
    def server_requests(self) -> int | None:
        """Requests the server counted in the block (``verify_with_server``), else None."""
        return self._view_ledger().server_requests

    @property
    def server_gap(self) -> float | None:
        """``server_cost - total_cost`` (``verify_with_server``), else None."""
        return self._view_ledger().server_gap

    def by_model(self) -> dict[str, dict[str, Any]]:
        """Totals per ``provider/model``."""
        return self._view_ledger().by_model()

    def by_endpoint(self) -> dict[str, dict[str, Any]]:
        """Totals per endpoint (``chat``, ``completion``, ``embedding``, ``image``...)."""
        return self._view_ledger().by_endpoint()

    def summary(self) -> dict[str, Any]:
        """Every total as a plain dict."""
        return self._view_ledger().summary()

    def __str__(self) -> str:
        return str(self._view_ledger())


UsageScope = Literal["context", "process"]
"""Which requests a usage scope counts: ``"context"`` those made in the scope's context
(asyncio tasks and LangChain/LlamaIndex threads started in it), ``"process"`` every request of
the process while the scope is open (plain threads and thread pools too)."""

Counter = UsageLedger | Budget
"""What a usage scope feeds: its ledger, and its budget when it has one."""

_CONTEXT_LEDGERS: ContextVar[tuple[Counter, ...]] = ContextVar("indoxhub_usage_ledgers", default=())
_process_ledgers: tuple[Counter, ...] = ()
_process_lock = threading.Lock()


def context_scopes() -> tuple[Counter, ...]:
    """The context usage scopes open here, to carry into a stream read elsewhere."""
    return _CONTEXT_LEDGERS.get()


class counted_in:
    """Within the block, records count in ``scopes`` too (besides the scopes open there).

    Adapters wrap each step of a stream (and its closing) in this with the scopes that were
    open when the stream was created, so a stream created inside a tracking block and read
    (or abandoned) after it still counts there, and once only (a scope that is open at both
    places counts the record once). A plain class, not a generator: it runs once per chunk.
    """

    __slots__ = ("_scopes", "_token")

    def __init__(self, scopes: tuple[Counter, ...]) -> None:
        self._scopes = scopes
        self._token: Any = None

    def __enter__(self) -> None:
        if self._scopes:
            current = _CONTEXT_LEDGERS.get()
            extra = tuple(ledger for ledger in self._scopes if ledger not in current)
            if extra:
                self._token = _CONTEXT_LEDGERS.set(current + extra)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _CONTEXT_LEDGERS.reset(self._token)
            self._token = None


def emit_usage(record: UsageRecord, extra: tuple[Budget, ...] = ()) -> None:
    """Give one attempt's record to every usage scope (and budget) that counts it, each once
    (called by the core; ``extra``: the sending client's own budget)."""
    targets = _CONTEXT_LEDGERS.get() + _process_ledgers + extra
    if not targets:
        return
    seen: set[int] = set()
    for ledger in targets:
        if id(ledger) not in seen:
            seen.add(id(ledger))
            ledger.add(record)


def active_budgets(extra: tuple[Budget, ...] = ()) -> tuple[Budget, ...]:
    """The budgets a request made here must pass: those of the open usage scopes that see
    it, and ``extra`` (the client's own), each once."""
    found: list[Budget] = []
    for item in _CONTEXT_LEDGERS.get() + _process_ledgers + extra:
        if isinstance(item, Budget) and all(item is not seen for seen in found):
            found.append(item)
    return tuple(found)


@contextmanager
def usage_scope(
    scope: UsageScope = "context",
    ledger: UsageLedger | None = None,
    *,
    verify_with_server: Any = None,
    budget: Budget | None = None,
) -> Iterator[UsageLedger]:
    """Count the core's usage records while the block runs.

    Args:
        scope: ``"context"`` (default) or ``"process"``; see :data:`UsageScope`.
        ledger: The ledger to add to (a new one by default).
        verify_with_server: Also read the account's usage report (``GET /api/v1/user/usage``)
            when the block opens and closes, and report the difference as the ledger's
            ``server_cost``/``server_requests``/``server_gap``: ``True`` (a client from the
            environment), an ``IndoxHubClient``, or an indoxhub model/tool whose account to
            check. The figures are snapshots: other use of the account in that time counts too.
        budget: A budget every request the scope sees must pass before it is sent (and
            which counts those requests' records).

    Yields:
        The ledger. Scopes nest: a record counts in every open scope that sees it.

    Raises:
        ValueError: For an unknown ``scope``.
    """
    if scope not in ("context", "process"):
        raise ValueError(f"scope must be 'context' or 'process', got {scope!r}.")
    target = ledger if ledger is not None else UsageLedger()
    if not verify_with_server:
        with _subscribed(scope, target, budget):
            yield target
        return
    check = ServerUsageCheck(check_client(verify_with_server))
    target.server_check = check
    check.open()
    try:
        with _subscribed(scope, target, budget):
            yield target
    except BaseException:
        check.close_quietly(local_requests=target.requests)  # the block's error goes first
        raise
    check.close(local_requests=target.requests)


@contextmanager
def _subscribed(scope: UsageScope, target: UsageLedger, budget: Budget | None) -> Iterator[None]:
    global _process_ledgers
    added: tuple[Counter, ...] = (target,) if budget is None else (target, budget)
    if scope == "process":
        with _process_lock:
            _process_ledgers = (*_process_ledgers, *added)
        try:
            yield
        finally:
            with _process_lock:
                _process_ledgers = _without(_process_ledgers, added)
        return
    token = _CONTEXT_LEDGERS.set((*_CONTEXT_LEDGERS.get(), *added))
    try:
        yield
    finally:
        try:
            _CONTEXT_LEDGERS.reset(token)
        except ValueError:  # exited in another context than entered: drop ours there
            _CONTEXT_LEDGERS.set(_without(_CONTEXT_LEDGERS.get(), added))


def _without(items: tuple[Counter, ...], removed: tuple[Counter, ...]) -> tuple[Counter, ...]:
    """``items`` less one occurrence of each of ``removed`` (a budget may be open twice)."""
    result = list(items)
    for item in removed:
        for index in range(len(result) - 1, -1, -1):
            if result[index] is item:
                del result[index]
                break
    return tuple(result)

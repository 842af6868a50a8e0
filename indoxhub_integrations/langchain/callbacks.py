"""Cost, token and BYOK accounting for LangChain runs: a callback handler over a ``UsageLedger``.

``get_indoxhub_callback()`` subscribes a handler's core :class:`UsageLedger` to the core's
usage records (one per HTTP attempt that reached the server, see
:func:`~indoxhub_integrations.core.usage.usage_scope`). An ``IndoxHubCallbackHandler`` passed
in ``callbacks=[...]`` instead reads the core record each indoxhub answer carries in
``on_llm_end`` (chat and text completion models, streams included); embeddings and tools
have no LLM callback, so they hand their records to such handlers with :func:`report_usage`.
``get_indoxhub_callback()`` works like LangChain's ``get_openai_callback()``::

    with get_indoxhub_callback() as cb:
        chain.batch(inputs)
    print(cb.total_cost, cb.byok_requests)
    print(cb)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGeneration, Generation, LLMResult
from langchain_core.tracers.context import register_configure_hook

from ..core.budget import Budget, BudgetMode, UnknownCost, budget_from_options
from ..core.usage import LedgerView, UsageLedger, UsageRecord, UsageScope, usage_scope
from .messages import MODEL_PROVIDER, USAGE_RECORD_KEY

__all__ = [
    "IndoxHubCallbackHandler",
    "get_indoxhub_callback",
    "record_from_generation",
    "report_usage",
]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _record(
    meta: Mapping[str, Any], usage: Mapping[str, Any], default_endpoint: str
) -> UsageRecord:
    input_details = usage.get("input_token_details") or {}
    output_details = usage.get("output_token_details") or {}
    cost = meta.get("cost")
    return UsageRecord(
        endpoint=str(meta.get("endpoint") or default_endpoint),
        model=meta.get("model_name"),
        provider=meta.get("provider"),
        request_id=meta.get("request_id"),
        input_tokens=_int(usage.get("input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        total_tokens=_int(usage.get("total_tokens")),
        cached_tokens=_int(input_details.get("cache_read", usage.get("cached_tokens"))),
        reasoning_tokens=_int(output_details.get("reasoning", usage.get("reasoning_tokens"))),
        cost=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
        cost_estimated=bool(meta.get("cost_estimated")),
        byok=bool(meta.get("byok")),
        rate_limit_bypass=meta.get("rate_limit_bypass"),
        duration_ms=meta.get("duration_ms"),
    )


def record_from_generation(generation: Generation) -> UsageRecord | None:
    """The usage record of one generation, or ``None`` when it is not an indoxhub answer.

    The core's record carried in ``response_metadata`` (chat) or ``generation_info`` (text
    completion) under ``"usage_record"`` is used as is; metadata without it (built by hand,
    loaded from old dumps) is read field by field. A chat answer replayed from a LangChain cache
    made no request and is skipped (see :func:`is_cache_hit`).
    """
    if isinstance(generation, ChatGeneration):
        message = generation.message
        meta = message.response_metadata
        usage: Mapping[str, Any] = getattr(message, "usage_metadata", None) or {}
        if meta.get("model_provider") != MODEL_PROVIDER or is_cache_hit(usage):
            return None
        return _carried(meta) or _record(meta, usage, "chat")
    info = generation.generation_info or {}
    if info.get("model_provider") != MODEL_PROVIDER:
        return None
    return _carried(info) or _record(info, info.get("usage") or {}, "completion")


def is_cache_hit(usage: Mapping[str, Any]) -> bool:
    """Whether a chat answer's ``usage_metadata`` is that of a LangChain cache hit.

    langchain-core marks a replayed answer with an integer ``total_cost`` of 0; the costs
    indoxhub puts there (``ChatIndoxHub.cost_in_usage_metadata``) are always floats (``0.0``
    for BYOK), so an integer there is the cache's mark.
    """
    cost = usage.get("total_cost")
    return isinstance(cost, int) and not isinstance(cost, bool)


def _carried(meta: Mapping[str, Any]) -> UsageRecord | None:
    """The core's own record carried in the metadata (images and characters included)."""
    carried = meta.get(USAGE_RECORD_KEY)
    return UsageRecord.model_validate(carried) if isinstance(carried, Mapping) else None


class IndoxHubCallbackHandler(LedgerView, BaseCallbackHandler):
    """Counts indoxhub requests, tokens and cost; a view over a core ``UsageLedger``.

    Attributes:
        ledger: The records and their thread-safe totals.
        parent: The handler of an enclosing ``get_indoxhub_callback()`` block, which receives
            every record too (so nested blocks all count).
    """

    run_inline = True
    """Handle events inline (no executor hop on async runs)."""

    def __init__(
        self,
        ledger: UsageLedger | None = None,
        *,
        parent: IndoxHubCallbackHandler | None = None,
    ) -> None:
        """Create a handler.

        Args:
            ledger: An existing ledger to add to (a new one by default).
            parent: A handler that should receive every record as well.
        """
        super().__init__()
        self.ledger = ledger if ledger is not None else UsageLedger()
        self.parent = parent
        self.budget: Budget | None = None
        """The budget of ``get_indoxhub_callback(max_cost=...)`` (or ``budget=``), if any."""
        self.subscribed = False
        """True for the handler of ``get_indoxhub_callback()``: its ledger receives the
        core's records directly, so it ignores the run events (no double count)."""

    # LangChain copies handlers in places; all copies must count into the same ledger.
    def __copy__(self) -> IndoxHubCallbackHandler:
        return self

    def __deepcopy__(self, memo: Any) -> IndoxHubCallbackHandler:
        return self

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Record every indoxhub answer of a finished chat or LLM run."""
        if self.subscribed:
            return
        for generations in response.generations:
            for generation in generations:
                record = record_from_generation(generation)
                if record is not None:
                    self.add_record(record)

    def add_record(self, record: UsageRecord) -> None:
        """Count one request here and in the enclosing handlers."""
        handler: IndoxHubCallbackHandler | None = self
        seen: set[int] = set()
        while handler is not None and id(handler) not in seen:
            seen.add(id(handler))
            handler.ledger.add(record)
            handler = handler.parent

    def reset(self) -> None:
        """Forget every record of this handler (enclosing handlers keep theirs)."""
        self.ledger.reset()

    def __repr__(self) -> str:
        return f"IndoxHubCallbackHandler({self.ledger!r})"


_current_handler: ContextVar[IndoxHubCallbackHandler | None] = ContextVar(
    "indoxhub_callback", default=None
)
register_configure_hook(_current_handler, inheritable=True)


@contextmanager
def get_indoxhub_callback(
    scope: UsageScope = "context",
    *,
    verify_with_server: Any = None,
    max_cost: float | None = None,
    budget_mode: BudgetMode = "spent",
    include_byok: bool = False,
    unknown_cost: UnknownCost = "allow",
    max_byok_requests: int | None = None,
    budget: Budget | None = None,
) -> Iterator[IndoxHubCallbackHandler]:
    """Count every indoxhub request made in the block, and optionally cap its spend.

    The handler's ledger subscribes to the core's usage records: one per HTTP attempt that
    reached the server (completed, streams closed early, timeouts with unknown cost; answered
    errors as failed attempts). Nestable: a request counts in every enclosing block.

    Args:
        scope: ``"context"`` (default): requests made in this block's context, asyncio tasks
            and LangChain's own threads included; ``"process"``: every request of the process
            while the block is open, plain ``threading.Thread`` and ``ThreadPoolExecutor``
            work included (and other concurrent work too).
        verify_with_server: Also snapshot the account's usage report when the block opens and
            closes; the handler then reports ``server_cost``, ``server_requests`` and
            ``server_gap`` (the server's figure minus the local total) beside the local totals.
            ``True`` uses a client from ``INDOXHUB_API_KEY``/``INDOXHUB_BASE_URL``; pass a model
            (``ChatIndoxHub``...) or an ``IndoxHubClient`` to check its account. Snapshots of a
            whole account: other use of it in that time is included (an upper bound).
        max_cost: A limit in USD for the block: the request that would pass it raises
            ``BudgetExceededError`` (``IndoxHubBudgetExceededError``, a langchain-core
            ``ModelError``) before it is sent; the handler's totals stay readable.
        budget_mode: ``"spent"`` (default) or ``"strict"`` (see
            :class:`~indoxhub_integrations.core.budget.Budget`).
        include_byok: Count BYOK requests at their provider cost estimate.
        unknown_cost: ``"allow"`` (default) or ``"block"``.
        max_byok_requests: Refuse BYOK requests after this many.
        budget: A shared :class:`~indoxhub_integrations.core.budget.Budget` instead of the
            limit arguments.

    Yields:
        The handler, whose totals are complete when the block ends (its ``budget`` attribute
        holds the block's budget).

    Raises:
        InvalidRequestError: For ``budget=`` together with limit arguments, or a bad limit.
    """
    chosen = budget_from_options(
        budget, max_cost=max_cost, budget_mode=budget_mode, include_byok=include_byok,
        unknown_cost=unknown_cost, max_byok_requests=max_byok_requests,
    )  # fmt: skip
    parent = _current_handler.get()
    handler = IndoxHubCallbackHandler(parent=parent)
    handler.subscribed = True
    handler.budget = chosen
    token = _current_handler.set(handler)
    try:
        with usage_scope(
            scope, handler.ledger, verify_with_server=verify_with_server, budget=chosen
        ):
            yield handler
    finally:
        try:
            _current_handler.reset(token)
        except ValueError:  # exited in another context than it was entered
            _current_handler.set(parent)


def report_usage(record: UsageRecord, handlers: Iterable[Any] = ()) -> None:
    """Give a request's record to the active indoxhub handlers (embeddings and tools).

    Args:
        record: The request's usage record.
        handlers: Callback handlers of the current run (a tool's run manager); the
            indoxhub handlers among them count the record, as does the handler of the
            innermost ``get_indoxhub_callback()`` block.
    """
    targets: list[IndoxHubCallbackHandler] = []
    for handler in (*handlers, _current_handler.get()):
        if (
            isinstance(handler, IndoxHubCallbackHandler)
            and not handler.subscribed
            and all(handler is not seen for seen in targets)
        ):
            targets.append(handler)
    for handler in targets:
        handler.add_record(record)

"""Usage and cost through LlamaIndex instrumentation.

Every indoxhub request made through the adapter (LLM, embedding, tool) dispatches one
:class:`IndoxHubUsageEvent` carrying the core ``UsageRecord``. :class:`IndoxHubUsageHandler`
aggregates them in a core ``UsageLedger`` (the same totals as the LangChain handler).
:func:`track_indoxhub_usage` counts one block of code::

    with track_indoxhub_usage() as usage:
        index = VectorStoreIndex.from_documents(docs)
        index.as_query_engine().query("...")
    print(usage)  # requests, BYOK requests, tokens, cost

How "inside the block" is decided: the block's ledger subscribes to the core's usage records
(:func:`~indoxhub_integrations.core.usage.usage_scope`), one per HTTP attempt that reached the
server. With ``scope="context"`` (default) the subscription lives in a ``ContextVar``, which
follows asyncio tasks (tasks copy the context they are created in) and LlamaIndex's own
threads (``asyncio.to_thread``, ``llama_index.core.types.Thread``, the thread ``asyncio_run``
uses), so work started inside the block is counted wherever it runs, and concurrent work
outside the block is not. A thread you start yourself sees the block if it runs in a copy of
the context (``executor.submit(contextvars.copy_context().run, fn)``); with
``scope="process"`` every request of the process counts while the block is open, plain
``threading.Thread`` and ``ThreadPoolExecutor`` work included. A standalone
:class:`IndoxHubUsageHandler` added to a dispatcher counts the :class:`IndoxHubUsageEvent` s
instead (completed requests; each event carries the core's record).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.dispatcher import Dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler, NullEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from pydantic import Field, PrivateAttr

from ..core.budget import Budget, BudgetMode, UnknownCost, budget_from_options
from ..core.usage import (
    AnyResult,
    LedgerView,
    UsageLedger,
    UsageRecord,
    UsageScope,
    record_from_result,
    usage_scope,
)

dispatcher = get_dispatcher("indoxhub_integrations.llama_index")

_ACTIVE_SCOPES: ContextVar[tuple[int, ...]] = ContextVar("indoxhub_usage_scopes", default=())
_SCOPE_IDS = itertools.count(1)


class IndoxHubUsageEvent(BaseEvent):
    """One indoxhub request's usage, cost and BYOK marker."""

    record: UsageRecord
    """The request's usage record (tokens, cost, BYOK, provider, request id...)."""
    scopes: tuple[int, ...] = Field(default_factory=lambda: _ACTIVE_SCOPES.get())
    """The ``track_indoxhub_usage()`` blocks active where the request was made."""

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "IndoxHubUsageEvent"


def dispatch_usage(result: AnyResult) -> UsageRecord:
    """Dispatch the :class:`IndoxHubUsageEvent` of one finished request and return its record.

    The event is made only when some handler on the dispatcher's propagation chain would
    receive it (LlamaIndex's ``NullEventHandler`` and the handlers of
    ``track_indoxhub_usage()``, which get the core's records directly, do not count).
    """
    record = record_from_result(result)
    if _has_listeners(dispatcher):
        dispatcher.event(IndoxHubUsageEvent(record=record))
    return record


def _has_listeners(start: Dispatcher) -> bool:
    """Whether an event dispatched on ``start`` reaches a handler that may use it (the chain
    :meth:`Dispatcher.event` walks)."""
    current: Dispatcher | None = start
    while current is not None:
        for handler in current.event_handlers:
            if type(handler) is NullEventHandler:  # a subclass may handle events
                continue
            if isinstance(handler, IndoxHubUsageHandler) and handler._subscribed:
                continue
            return True
        current = current.parent if current.propagate else None
    return False


class IndoxHubUsageHandler(LedgerView, BaseEventHandler):
    """An instrumentation event handler that totals indoxhub usage.

    Add it to a dispatcher to count every request
    (``get_dispatcher().add_event_handler(IndoxHubUsageHandler())``), or let
    :func:`track_indoxhub_usage` add one for a block of code. Unknown costs are never counted
    as 0: see :attr:`unknown_cost_requests`.
    """

    _ledger: UsageLedger = PrivateAttr(default_factory=UsageLedger)
    _scope: int | None = PrivateAttr(default=None)
    _subscribed: bool = PrivateAttr(default=False)
    _budget: Budget | None = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "IndoxHubUsageHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Count ``event`` when it is an :class:`IndoxHubUsageEvent` in this handler's scope."""
        if self._subscribed or not isinstance(event, IndoxHubUsageEvent):
            return  # a track_indoxhub_usage() handler gets the core's records directly
        if self._scope is not None and self._scope not in event.scopes:
            return
        self._ledger.add(event.record)

    @property
    def ledger(self) -> UsageLedger:
        """The underlying ledger."""
        return self._ledger

    @property
    def budget(self) -> Budget | None:
        """The budget of ``track_indoxhub_usage(max_cost=...)`` (or ``budget=``), if any."""
        return self._budget

    def reset(self) -> None:
        """Forget everything counted so far."""
        self._ledger.reset()

    def __repr__(self) -> str:
        return f"IndoxHubUsageHandler({self._ledger!r})"


def _remove_handler(target: Dispatcher, handler: BaseEventHandler) -> None:
    target.event_handlers = [h for h in target.event_handlers if h is not handler]


@contextmanager
def track_indoxhub_usage(
    target: Dispatcher | None = None,
    *,
    scope: UsageScope = "context",
    verify_with_server: Any = None,
    max_cost: float | None = None,
    budget_mode: BudgetMode = "spent",
    include_byok: bool = False,
    unknown_cost: UnknownCost = "allow",
    max_byok_requests: int | None = None,
    budget: Budget | None = None,
) -> Iterator[IndoxHubUsageHandler]:
    """Count the indoxhub requests made inside a ``with`` block.

    Yields an :class:`IndoxHubUsageHandler` attached to the root dispatcher (or ``target``)
    for the block and detached afterwards, also when the block raises. Only requests made in
    the block's context count: asyncio tasks and LlamaIndex threads started in it included,
    concurrent work elsewhere excluded (see the module docstring). Blocks nest: a request
    counts in every enclosing block.

    The handler's ledger subscribes to the core's usage records: one per HTTP attempt that
    reached the server (completed, streams closed early, timeouts with unknown cost; answered
    errors as failed attempts).

    Args:
        target: The dispatcher to attach to (default: the root dispatcher).
        scope: ``"context"`` (default): requests made in the block's context (see the module
            docstring); ``"process"``: every request of the process while the block is open,
            plain ``threading.Thread`` and ``ThreadPoolExecutor`` work included.
        verify_with_server: Also snapshot the account's usage report when the block opens and
            closes; the handler then reports ``server_cost``, ``server_requests`` and
            ``server_gap`` beside the local totals. ``True`` uses a client from
            ``INDOXHUB_API_KEY``/``INDOXHUB_BASE_URL``; pass an ``IndoxHub`` (or any indoxhub
            class) or an ``IndoxHubClient`` to check its account. Snapshots of a whole account:
            other use of it in that time is included (an upper bound).
        max_cost: A limit in USD for the block: the request that would pass it raises
            ``BudgetExceededError`` before it is sent; the handler's totals stay readable.
        budget_mode: ``"spent"`` (default) or ``"strict"`` (see
            :class:`~indoxhub_integrations.core.budget.Budget`).
        include_byok: Count BYOK requests at their provider cost estimate.
        unknown_cost: ``"allow"`` (default) or ``"block"``.
        max_byok_requests: Refuse BYOK requests after this many.
        budget: A shared :class:`~indoxhub_integrations.core.budget.Budget` instead of the
            limit arguments.

    Raises:
        InvalidRequestError: For ``budget=`` together with limit arguments, or a bad limit.
    """
    chosen = budget_from_options(
        budget, max_cost=max_cost, budget_mode=budget_mode, include_byok=include_byok,
        unknown_cost=unknown_cost, max_byok_requests=max_byok_requests,
    )  # fmt: skip
    handler = IndoxHubUsageHandler()
    handler._scope = next(_SCOPE_IDS)
    handler._subscribed = True
    handler._budget = chosen
    subscription = usage_scope(
        scope, handler._ledger, verify_with_server=verify_with_server, budget=chosen
    )
    subscription.__enter__()
    where = target if target is not None else get_dispatcher()
    token = _ACTIVE_SCOPES.set((*_ACTIVE_SCOPES.get(), handler._scope))
    where.add_event_handler(handler)
    try:
        yield handler
    finally:
        subscription.__exit__(*sys.exc_info())
        _remove_handler(where, handler)
        try:
            _ACTIVE_SCOPES.reset(token)
        except ValueError:  # exited in another context than entered: drop our id there
            scopes = _ACTIVE_SCOPES.get()
            _ACTIVE_SCOPES.set(tuple(s for s in scopes if s != handler._scope))

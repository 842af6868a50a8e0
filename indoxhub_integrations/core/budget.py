"""Spending limits checked before every request: :class:`Budget` and the worst-case estimate.

A budget is fed the same usage records as the usage scopes (one per HTTP attempt that reached
the server) and is asked, before each model request is sent, whether the request may go out.
The check happens in one place of the core (``BaseClient._admit``), for sync and async calls,
streams and every retry alike; a refused request raises :class:`BudgetExceededError` and is
never sent.

Concurrency bound: in ``"spent"`` mode a request is admitted while the known spend is under the
limit, so concurrent requests admitted together can pass it: the overspend is at most the cost
of the requests in flight when the limit was crossed (each of which started under the limit;
:attr:`Budget.in_flight_at_limit` says how many there were). No request starts after that.
In ``"strict"`` mode each admitted request reserves its worst case until its record arrives, so
concurrent requests cannot overspend as long as the worst cases hold (the prompt is counted
with the emulator's rule; see :mod:`indoxhub_integrations.core.tokens`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Literal

from pydantic_core import core_schema

from .errors import BudgetExceededError, InvalidRequestError
from .tokens import count_tokens, prompt_tokens
from .wire import ModelInfo, UsageRecord

BudgetMode = Literal["spent", "strict"]
"""``"spent"``: check what was spent so far; ``"strict"``: also the request's worst case."""
UnknownCost = Literal["allow", "block"]
"""``"allow"``: a request of unknown cost is reported, not blocking; ``"block"``: it stops."""


def worst_case_cost(body: Mapping[str, Any] | None, info: ModelInfo | None) -> float | None:
    """The most a request can cost at the catalog's prices: its prompt tokens (counted offline)
    plus ``max_tokens`` completion tokens. ``None`` when the catalog lists no price for it.

    Raises:
        InvalidRequestError: A chat or completion request without ``max_tokens`` (its answer
            has no bound, so no worst case).
    """
    if body is None or info is None:
        return None
    if info.prompt_price is None and info.completion_price is None:
        return None
    unit = info.price_unit_tokens or 1
    if "messages" in body:
        tools = (body.get("additional_params") or {}).get("tools") or body.get("tools")
        tokens = prompt_tokens(body["messages"], tools)
    elif "prompt" in body:
        tokens = count_tokens(str(body["prompt"]))
    else:  # embeddings: input only
        texts = body.get("text", body.get("input", ""))
        texts = texts if isinstance(texts, list) else [texts]
        return sum(count_tokens(str(t)) for t in texts) * (info.prompt_price or 0.0) / unit
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int):
        raise InvalidRequestError(
            "budget_mode='strict' needs max_tokens to bound each answer's cost: set "
            "max_tokens=... on the model or the call (or use budget_mode='spent')."
        )
    prompt, completion = info.prompt_price or 0.0, info.completion_price or 0.0
    return (tokens * prompt + max_tokens * completion) / unit


class Budget:
    """A spending limit that several clients, models and usage scopes can share.

    Args:
        max_cost: The limit in USD over indoxhub credits (``None``: no cost limit).
        budget_mode: ``"spent"`` (default) refuses a request once the spend reached the limit;
            ``"strict"`` refuses it when the spend plus its worst case (prompt tokens plus
            ``max_tokens`` at catalog prices) would pass the limit.
        include_byok: Count BYOK requests at their ``provider_cost_estimate`` (the provider's
            list price) too, so one limit covers credits and provider bills together.
        unknown_cost: ``"allow"`` (default): a request whose cost is unknown is counted in
            :attr:`unknown_cost_requests` and does not stop the budget; ``"block"``: the next
            request after one of unknown cost is refused.
        max_byok_requests: Refuse BYOK requests after this many were sent.

    Raises:
        InvalidRequestError: For a negative limit or an unknown mode.
    """

    def __init__(
        self,
        max_cost: float | None = None,
        *,
        budget_mode: BudgetMode = "spent",
        include_byok: bool = False,
        unknown_cost: UnknownCost = "allow",
        max_byok_requests: int | None = None,
    ) -> None:
        if max_cost is not None and (isinstance(max_cost, bool) or not max_cost >= 0):
            raise InvalidRequestError(f"max_cost must be 0 or more USD, got {max_cost!r}.")
        if budget_mode not in ("spent", "strict"):
            raise InvalidRequestError(
                f"budget_mode must be 'spent' or 'strict', got {budget_mode!r}."
            )
        if unknown_cost not in ("allow", "block"):
            raise InvalidRequestError(
                f"unknown_cost must be 'allow' or 'block', got {unknown_cost!r}."
            )
        if max_byok_requests is not None and max_byok_requests < 0:
            raise InvalidRequestError(
                f"max_byok_requests must be 0 or more, got {max_byok_requests!r}."
            )
        self.max_cost = None if max_cost is None else float(max_cost)
        self.budget_mode: BudgetMode = budget_mode
        self.include_byok = include_byok
        self.unknown_cost: UnknownCost = unknown_cost
        self.max_byok_requests = max_byok_requests
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget what was counted (the limits stay)."""
        with getattr(self, "_lock", threading.Lock()):
            self.platform_cost = 0.0
            """USD of known credit costs counted."""
            self.byok_provider_cost = 0.0
            """USD of BYOK requests at the provider's list price (an estimate)."""
            self.requests = 0
            """Requests counted (answered errors excluded)."""
            self.byok_requests = 0
            """BYOK requests counted."""
            self.byok_tokens = 0
            """Tokens of BYOK requests."""
            self.unknown_cost_requests = 0
            """Requests whose cost is unknown (credits, or BYOK price with ``include_byok``)."""
            self.refused = 0
            """Requests refused by this budget."""
            self.in_flight_at_limit: int | None = None
            """How many admitted requests were still in flight when the spend reached
            ``max_cost`` (the crossing one included): the spent-mode overspend bound."""
            self._byok_started = 0
            self._reserved: dict[int, float] = {}
            self._in_flight: set[int] = set()

    # pydantic: a Budget is a plain field value of the options models, shared, never copied
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(cls)

    def __deepcopy__(self, memo: Any) -> Budget:
        return self  # a copied model keeps sharing its budget

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def spent(self) -> float:
        """What counts against ``max_cost``: credits, plus BYOK provider cost with
        ``include_byok``."""
        return self.platform_cost + (self.byok_provider_cost if self.include_byok else 0.0)

    @property
    def remaining(self) -> float | None:
        """USD left under ``max_cost`` (never below 0), ``None`` without a cost limit."""
        return None if self.max_cost is None else max(self.max_cost - self.spent, 0.0)

    @property
    def exceeded(self) -> bool:
        """Whether the spend reached the limit."""
        return self.max_cost is not None and self.spent >= self.max_cost

    # ------------------------------------------------------------------ fed by the core
    def add(self, record: UsageRecord) -> None:
        """Count one attempt's record (the core calls this; answered errors are no spend)."""
        if record.outcome == "failed":
            return
        with self._lock:
            self.requests += 1
            if record.byok:
                self.byok_requests += 1
                self.byok_tokens += record.total_tokens
                if record.provider_cost_estimate is not None:
                    self.byok_provider_cost += record.provider_cost_estimate
                elif self.include_byok:
                    self.unknown_cost_requests += 1
            elif record.cost is None:
                self.unknown_cost_requests += 1
            else:
                self.platform_cost += record.cost
            if self.in_flight_at_limit is None and self.exceeded:
                self.in_flight_at_limit = len(self._in_flight)

    @property
    def in_flight(self) -> int:
        """Admitted request attempts whose record has not arrived yet."""
        return len(self._in_flight)

    def needs_estimate(self, byok: bool) -> bool:
        """Whether admitting a request needs its worst case (strict mode, counted kind)."""
        return (
            self.budget_mode == "strict"
            and self.max_cost is not None
            and (self.include_byok or not byok)
        )

    def admit(self, key: int, *, byok: bool, estimate: float | None = None) -> None:
        """Let one request attempt go out, or raise :class:`BudgetExceededError`.

        Args:
            key: Identifies the attempt; its reservation is released by :meth:`release`.
            byok: Whether the request carries a BYOK key.
            estimate: The request's worst case in USD (strict mode), ``None`` when unknown.
        """
        with self._lock:
            self._reserved.pop(key, None)  # a retry replaces the attempt's reservation
            self._in_flight.discard(key)
            spent = self.spent
            message = self._refusal(byok, spent, estimate)
            if message is not None:
                self.refused += 1
                raise BudgetExceededError(
                    message, spent=spent, limit=self.max_cost,
                    estimate=estimate if self.budget_mode == "strict" else None,
                )  # fmt: skip
            if byok:
                self._byok_started += 1
            self._in_flight.add(key)
            if estimate is not None and self.needs_estimate(byok):
                self._reserved[key] = estimate

    def _refusal(self, byok: bool, spent: float, estimate: float | None) -> str | None:
        """Why a request must not go out (under the lock), or ``None``."""
        if self.unknown_cost == "block" and self.unknown_cost_requests:
            return (
                f"Budget stopped the request: {self.unknown_cost_requests} earlier request(s) "
                f"had an unknown cost and unknown_cost='block' (spent ${spent:.6f} known)."
            )
        limit = self.max_byok_requests
        if byok and limit is not None and self._byok_started >= limit:
            return (
                f"Budget stopped the request: max_byok_requests={limit} BYOK requests were "
                "already sent."
            )
        if self.max_cost is None:
            return None
        if self.needs_estimate(byok):
            if estimate is None:
                if self.unknown_cost == "block":
                    return (
                        "Budget stopped the request: its worst case is unknown (the catalog "
                        f"lists no price for it) and unknown_cost='block' (spent ${spent:.6f})."
                    )
                estimate = 0.0
            reserved = sum(self._reserved.values())
            if spent + reserved + estimate > self.max_cost:
                return (
                    f"Budget exceeded: spent ${spent:.6f} (+ ${reserved:.6f} in flight) of the "
                    f"${self.max_cost:.6f} limit; this request could cost up to "
                    f"${estimate:.6f} (budget_mode='strict'). Raise max_cost or shorten the "
                    "request (max_tokens)."
                )
            return None
        if (not byok or self.include_byok) and spent >= self.max_cost:
            return (
                f"Budget exceeded: spent ${spent:.6f} of the ${self.max_cost:.6f} limit "
                "(budget_mode='spent'); no further request is sent. Raise max_cost or start "
                "a new budget."
            )
        return None

    def release(self, key: int) -> None:
        """End an attempt's reservation (its record arrived, or it was never sent)."""
        with self._lock:
            self._reserved.pop(key, None)
            self._in_flight.discard(key)

    def summary(self) -> dict[str, Any]:
        """Limits and counts as a plain dict."""
        return {
            "max_cost": self.max_cost,
            "budget_mode": self.budget_mode,
            "spent": self.spent,
            "platform_cost": self.platform_cost,
            "byok_provider_cost": self.byok_provider_cost,
            "requests": self.requests,
            "byok_requests": self.byok_requests,
            "byok_tokens": self.byok_tokens,
            "unknown_cost_requests": self.unknown_cost_requests,
            "refused": self.refused,
        }

    def __repr__(self) -> str:
        return (
            f"Budget(max_cost={self.max_cost!r}, budget_mode={self.budget_mode!r}, "
            f"spent={self.spent!r}, requests={self.requests}, refused={self.refused})"
        )


_DEFAULTS: dict[str, Any] = {
    "max_cost": None, "budget_mode": "spent", "include_byok": False, "unknown_cost": "allow",
    "max_byok_requests": None,
}  # fmt: skip


def budget_from_options(budget: Budget | None, **limits: Any) -> Budget | None:
    """The budget of a client or scope: ``budget`` as given, else one built from the limit
    options when any differs from its default, else ``None``.

    Raises:
        InvalidRequestError: ``budget=`` together with limit options (which would be ignored).
    """
    given = {name: value for name, value in limits.items() if value != _DEFAULTS[name]}
    if budget is not None:
        if given:
            raise InvalidRequestError(
                f"Pass either budget=... or the limit options ({', '.join(sorted(given))}), "
                "not both: a shared Budget carries its own limits."
            )
        return budget
    return Budget(**given) if given else None

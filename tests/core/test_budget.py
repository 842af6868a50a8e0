"""Budgets against the emulator: refused before sending, strict worst cases at the catalog's
prices, unknown costs, BYOK provider cost, shared budgets and the concurrency bound."""

from __future__ import annotations

import asyncio
import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from indoxhub_integrations import AsyncIndoxHubClient, Budget, IndoxHubClient
from indoxhub_integrations.core.budget import worst_case_cost
from indoxhub_integrations.core.tokens import prompt_tokens
from indoxhub_integrations.core.usage import UsageLedger, usage_scope
from indoxhub_integrations.errors import BudgetExceededError, IndoxHubError, InvalidRequestError

MODEL = "openai/gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Tell me a short story about a lighthouse keeper."}]


def client(emulator: Any, **options: Any) -> IndoxHubClient:
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **options)


def aclient(emulator: Any, **options: Any) -> AsyncIndoxHubClient:
    return AsyncIndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url, **options)


def chats(emulator: Any) -> list[Any]:
    """The model calls the emulator received."""
    return [r for r in emulator.requests if r.endpoint is not None]


def test_spent_mode_refuses_before_sending(emulator: Any) -> None:
    hub = client(emulator, max_cost=1e-9)
    first = hub.chat(MESSAGES, model=MODEL)  # spent 0: admitted
    with pytest.raises(BudgetExceededError) as info:
        hub.chat(MESSAGES, model=MODEL)
    error = info.value
    assert isinstance(error, IndoxHubError)
    assert error.spent == pytest.approx(first.usage.cost) and error.limit == 1e-9
    assert f"${first.usage.cost:.6f}" in str(error) and "$0.000000 limit" in str(error)
    assert len(chats(emulator)) == 1  # the refused request never reached the server
    budget = hub.settings.budget
    assert budget is not None and budget.requests == 1 and budget.refused == 1
    assert pickle.loads(pickle.dumps(error)).spent == error.spent


def test_streams_and_async_pass_the_same_check(emulator: Any) -> None:
    hub = client(emulator, max_cost=1e-9)
    list(hub.stream_chat(MESSAGES, model=MODEL))
    with pytest.raises(BudgetExceededError):
        list(hub.stream_chat(MESSAGES, model=MODEL))

    async def run() -> None:
        ahub = aclient(emulator, budget=hub.settings.budget)  # one budget, two clients
        with pytest.raises(BudgetExceededError):
            await ahub.chat(MESSAGES, model=MODEL)
        with pytest.raises(BudgetExceededError):
            async for _ in await ahub.stream_chat(MESSAGES, model=MODEL):
                pass
        await ahub.aclose()

    asyncio.run(run())
    assert len(chats(emulator)) == 1


def test_strict_mode_prices_the_worst_case_from_the_catalog(emulator: Any) -> None:
    info = client(emulator).get_model(MODEL)
    assert info.prompt_price and info.completion_price  # real catalog prices
    unit = info.price_unit_tokens
    tokens = prompt_tokens(MESSAGES)
    expected = (tokens * info.prompt_price + 40 * info.completion_price) / unit
    body = {"messages": MESSAGES, "max_tokens": 40}
    assert worst_case_cost(body, info) == pytest.approx(expected)

    tight = client(emulator, max_cost=expected * 0.99, budget_mode="strict")
    with pytest.raises(BudgetExceededError) as refused:
        tight.chat(MESSAGES, model=MODEL, max_tokens=40)
    assert refused.value.estimate == pytest.approx(expected)
    assert f"${expected:.6f}" in str(refused.value)
    assert chats(emulator) == []  # refused with nothing spent: strict looks ahead

    enough = client(emulator, max_cost=expected * 1.01, budget_mode="strict")
    result = enough.chat(MESSAGES, model=MODEL, max_tokens=40)
    assert result.usage.input_tokens == tokens  # the client counts the prompt as billed
    assert result.usage.cost is not None and result.usage.cost <= expected
    assert len(chats(emulator)) == 1


def test_strict_mode_without_max_tokens_says_what_to_do(emulator: Any) -> None:
    hub = client(emulator, max_cost=1.0, budget_mode="strict")
    with pytest.raises(InvalidRequestError, match="max_tokens"):
        hub.chat(MESSAGES, model=MODEL)
    assert chats(emulator) == []


def test_unknown_cost_is_reported_or_blocks(emulator: Any) -> None:
    lenient = client(emulator, max_cost=1.0, estimate_cost=False)
    emulator.enqueue("chat/completions", usage={"cost": None}, times=3)
    lenient.chat(MESSAGES, model=MODEL)
    lenient.chat(MESSAGES, model=MODEL)  # unknown cost does not stop the default budget
    assert lenient.settings.budget is not None
    assert lenient.settings.budget.unknown_cost_requests == 2
    blocking = client(emulator, max_cost=1.0, estimate_cost=False, unknown_cost="block")
    blocking.chat(MESSAGES, model=MODEL)
    with pytest.raises(BudgetExceededError, match="unknown cost"):
        blocking.chat(MESSAGES, model=MODEL)
    assert len(chats(emulator)) == 3


def test_byok_counts_zero_credits_and_its_provider_cost_apart(emulator: Any, byok_key: str) -> None:
    info = client(emulator).get_model(MODEL)
    hub = client(emulator, byok_api_key=byok_key, max_cost=1e-9)
    with usage_scope() as ledger:
        first = hub.chat(MESSAGES, model=MODEL)
        hub.chat(MESSAGES, model=MODEL)  # BYOK spends no credits: the budget lets it go
    record = first.meta.record
    assert record is not None and record.byok and record.cost == 0.0
    expected = (
        record.input_tokens * (info.prompt_price or 0)
        + record.output_tokens * (info.completion_price or 0)
    ) / info.price_unit_tokens
    assert record.provider_cost_estimate == pytest.approx(expected) and expected > 0
    assert ledger.total_cost == 0.0
    assert ledger.byok_provider_cost == pytest.approx(2 * expected)
    assert "BYOK provider cost" in str(ledger)
    assert ledger.summary()["byok_provider_cost"] == pytest.approx(2 * expected)
    budget = hub.settings.budget
    assert budget is not None and budget.byok_requests == 2 and budget.byok_tokens > 0
    assert budget.spent == 0.0 and budget.byok_provider_cost == pytest.approx(2 * expected)

    counted = client(emulator, byok_api_key=byok_key, max_cost=1e-9, include_byok=True)
    counted.chat(MESSAGES, model=MODEL)
    with pytest.raises(BudgetExceededError):
        counted.chat(MESSAGES, model=MODEL)
    assert len(chats(emulator)) == 3


def test_max_byok_requests_caps_byok_only(emulator: Any, byok_key: str) -> None:
    shared = Budget(max_byok_requests=1)
    byok = client(emulator, byok_api_key=byok_key, budget=shared)
    platform = client(emulator, budget=shared)
    byok.chat(MESSAGES, model=MODEL)
    with pytest.raises(BudgetExceededError, match="max_byok_requests=1"):
        byok.chat(MESSAGES, model=MODEL)
    platform.chat(MESSAGES, model=MODEL)
    assert shared.byok_requests == 1 and shared.requests == 2
    assert [r.byok for r in chats(emulator)] == [True, False]


def test_a_scope_budget_stops_every_client_in_it(emulator: Any) -> None:
    budget = Budget(max_cost=1e-9)
    a, b = client(emulator), client(emulator)
    with usage_scope(ledger=UsageLedger(), budget=budget) as ledger:
        a.chat(MESSAGES, model=MODEL)
        with pytest.raises(BudgetExceededError):
            b.chat(MESSAGES, model=MODEL)
    b.chat(MESSAGES, model=MODEL)  # outside the scope: no budget
    assert ledger.requests == 1 and budget.requests == 1
    assert len(chats(emulator)) == 2


def test_bad_budget_options_are_refused_before_any_request(emulator: Any) -> None:
    with pytest.raises(InvalidRequestError, match="either budget"):
        client(emulator, budget=Budget(max_cost=1.0), max_cost=2.0)
    with pytest.raises(InvalidRequestError, match="max_cost"):
        Budget(max_cost=-1)
    with pytest.raises(InvalidRequestError, match="budget_mode"):
        Budget(max_cost=1, budget_mode="loose")  # type: ignore[arg-type]
    assert emulator.requests == []


def test_fifty_concurrent_calls_spent_mode_bound(emulator: Any) -> None:
    """Spent mode: admitted requests started under the limit; overspend is at most the cost
    of the requests in flight when the limit was reached."""
    hub = client(emulator, max_cost=3e-5)

    def call(_: int) -> Any:
        try:
            return hub.chat(MESSAGES, model=MODEL, max_tokens=20)
        except BudgetExceededError as error:
            return error

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(call, range(50)))
    done = [o for o in outcomes if not isinstance(o, BudgetExceededError)]
    refused = [o for o in outcomes if isinstance(o, BudgetExceededError)]
    budget = hub.settings.budget
    assert budget is not None and budget.in_flight == 0
    assert len(done) + len(refused) == 50 and len(done) == len(chats(emulator))
    assert budget.requests == len(done) and budget.refused == len(refused)
    most = max(r.usage.cost for r in done)
    assert budget.in_flight_at_limit is not None
    assert budget.spent < budget.max_cost + most * budget.in_flight_at_limit  # type: ignore[operator]
    with pytest.raises(BudgetExceededError):
        hub.chat(MESSAGES, model=MODEL)
    assert len(chats(emulator)) == len(done)


def test_fifty_concurrent_calls_strict_mode_never_overspends(emulator: Any) -> None:
    info = client(emulator).get_model(MODEL)
    worst = worst_case_cost({"messages": MESSAGES, "max_tokens": 20}, info)
    assert worst is not None
    limit = worst * 7.5

    async def run() -> list[Any]:
        hub = aclient(emulator, max_cost=limit, budget_mode="strict")
        # the catalog first, so all 50 tasks are admitted before any answer arrives
        hub._store_catalog(await hub.list_models())
        calls = [hub.chat(MESSAGES, model=MODEL, max_tokens=20) for _ in range(50)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert hub.settings.budget is not None
        assert hub.settings.budget.spent <= limit
        await hub.aclose()
        return list(outcomes)

    outcomes = asyncio.run(run())
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    assert all(isinstance(o, BudgetExceededError) for o in outcomes if o not in done)
    assert len(done) == 7  # floor(limit / worst case): the reservations held them back
    assert len(chats(emulator)) == 7

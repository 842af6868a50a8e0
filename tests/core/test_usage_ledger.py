"""The usage ledger: totals, unknown cost and thread safety."""

from __future__ import annotations

import threading

from indoxhub_integrations.core.usage import UsageLedger, UsageRecord


def _record(**kw: object) -> UsageRecord:
    base: dict[str, object] = {"endpoint": "chat", "model": "openai/gpt-4o-mini"}
    base.update(kw)
    return UsageRecord(**base)  # type: ignore[arg-type]


def test_ledger_totals_and_unknown_cost() -> None:
    ledger = UsageLedger()
    ledger.add(_record(input_tokens=10, output_tokens=5, total_tokens=15, cost=0.5))
    ledger.add(_record(input_tokens=1, output_tokens=1, total_tokens=2, cost=0.0, byok=True))
    ledger.add(_record(endpoint="embedding", model="openai/e", total_tokens=3, input_tokens=3))
    assert ledger.requests == 3 and ledger.byok_requests == 1 and ledger.platform_requests == 2
    assert ledger.total_cost == 0.5 and ledger.unknown_cost_requests == 1
    assert (ledger.prompt_tokens, ledger.completion_tokens, ledger.total_tokens) == (14, 6, 20)
    assert ledger.by_endpoint()["embedding"]["unknown_cost_requests"] == 1
    assert ledger.by_model()["openai/gpt-4o-mini"]["requests"] == 2
    assert "unknown cost for 1 request" in str(ledger)
    assert not ledger.cost_is_complete


def test_ledger_is_thread_safe() -> None:
    ledger = UsageLedger()

    def work() -> None:
        for _ in range(500):
            ledger.add(_record(total_tokens=1, cost=0.001))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ledger.requests == 4000 and ledger.total_tokens == 4000
    assert len(ledger.records) == 4000

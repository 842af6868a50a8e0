"""The account's analytics and the server-usage snapshots, against the emulator."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

import pytest

from indoxhub_integrations import IndoxHubClient
from indoxhub_integrations.core.server_usage import (
    ServerUsageCheck,
    ServerUsageSnapshot,
    check_client,
)
from indoxhub_integrations.errors import InvalidRequestError

MESSAGES = [{"role": "user", "content": "Tell me about whales"}]


def client_for(emulator: Any) -> IndoxHubClient:
    return IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)


def test_analytics_groups_and_filters_the_accounts_requests(emulator: Any) -> None:
    client = client_for(emulator)
    client.chat(MESSAGES, model="openai/gpt-4o-mini")
    client.chat(MESSAGES, model="anthropic/claude-3-haiku-20240307")
    client.embed(["a", "b"], model="openai/text-embedding-3-small")
    by_provider = client.analytics_usage(group_by="provider")
    assert {row["key"]: row["requests"] for row in by_provider["data"]} == {
        "anthropic": 1, "openai": 2,
    }  # fmt: skip
    assert by_provider["total_cost"] == pytest.approx(emulator.usage()["total_cost"])
    today = datetime.datetime.now(datetime.timezone.utc).date()
    only_chat = client.analytics_usage(endpoint="chat", start_date=today, end_date=today)
    assert only_chat["total_requests"] == 2 and only_chat["data"][0]["key"] == today.isoformat()
    tomorrow = today + datetime.timedelta(days=1)
    assert client.analytics_usage(start_date=tomorrow.isoformat())["total_requests"] == 0
    one_model = client.analytics_usage(group_by="model", model="openai/gpt-4o-mini")
    assert [row["key"] for row in one_model["data"]] == ["openai/gpt-4o-mini"]


@pytest.mark.parametrize(
    "filters",
    [
        {"group_by": "weekday"},
        {"start_date": "last tuesday"},
        {"start_date": 3},
        {"provider": ""},
        {"include_content": "yes"},
    ],
)
def test_bad_analytics_filters_are_refused_before_sending(
    emulator: Any, filters: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequestError):
        client_for(emulator).analytics_usage(**filters)
    assert emulator.requests == []


def test_snapshots_measure_what_a_block_spent(emulator: Any) -> None:
    client = client_for(emulator)
    client.chat(MESSAGES, model="openai/gpt-4o-mini")  # before the block: not counted
    check = ServerUsageCheck(client)
    check.open()
    assert check.server_cost is None and "pending" in check.summary(0.0, 0)
    results = [client.chat(MESSAGES, model="openai/gpt-4o-mini") for _ in range(3)]
    local = sum(r.usage.cost or 0 for r in results)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: the server saw exactly this block's calls
        check.close(local_requests=3)
    assert check.server_requests == 3
    assert check.server_cost == pytest.approx(local)
    assert check.gap(local) == pytest.approx(0.0, abs=1e-12)
    assert "upper bound" in check.summary(local, 3)


def test_other_use_of_the_account_is_warned_about(emulator: Any) -> None:
    client = client_for(emulator)
    check = ServerUsageCheck(client)
    check.open()
    client.chat(MESSAGES, model="openai/gpt-4o-mini")
    client_for(emulator).chat(MESSAGES, model="openai/gpt-4o-mini")  # "someone else"
    with pytest.warns(RuntimeWarning, match="upper bound"):
        check.close(local_requests=1)
    assert check.server_requests == 2


def test_reports_without_figures_give_unknown_not_zero() -> None:
    snapshot = ServerUsageSnapshot.from_report({"total_cost": float("nan")})
    assert snapshot.total_cost is None and snapshot.total_requests is None
    assert ServerUsageSnapshot.from_report("not a report").remaining_credits is None


def test_which_client_is_checked(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(emulator)
    assert check_client(client) is client
    monkeypatch.setenv("INDOXHUB_API_KEY", emulator.api_key)
    monkeypatch.setenv("INDOXHUB_BASE_URL", emulator.base_url)
    assert check_client(True).usage()["total_requests"] == 0
    with pytest.raises(InvalidRequestError, match="verify_with_server"):
        check_client("yes")


def test_a_scope_verified_with_the_server_equals_the_emulators_ledger(emulator: Any) -> None:
    from indoxhub_integrations.core.usage import usage_scope

    client = client_for(emulator)
    client.chat(MESSAGES, model="openai/gpt-4o-mini")  # outside the scope
    with usage_scope(verify_with_server=client) as ledger:
        assert ledger.server_cost is None  # not closed yet
        client.chat(MESSAGES, model="openai/gpt-4o-mini")
        client.chat(MESSAGES, model="openai/gpt-4o-mini", byok_api_key="sk-CANARYBYOK-x1")
        client.generate_video("a kite", model="openai/sora-2")
    report = emulator.usage()
    inside = [r for r in emulator.requests if r.endpoint][1:]
    assert ledger.server_requests == len(inside) == ledger.requests == 3
    assert ledger.server_cost == pytest.approx(sum(r.cost for r in inside))
    assert ledger.server_cost == pytest.approx(report["total_cost"] - emulator.requests[0].cost)
    assert ledger.server_gap == pytest.approx(0.0, abs=1e-9)
    assert ledger.summary()["server_requests"] == 3
    assert "Server-verified (usage snapshots): 3 request(s)" in str(ledger)


def test_a_failing_block_keeps_its_own_error(emulator: Any) -> None:
    from indoxhub_integrations.core.usage import usage_scope

    client = client_for(emulator)
    with pytest.raises(KeyError), usage_scope(verify_with_server=client) as ledger:
        client.chat(MESSAGES, model="openai/gpt-4o-mini")
        raise KeyError("the block's own failure")
    assert ledger.server_requests == 1

"""The closing usage report: requests, tokens and cost by model and endpoint, platform vs BYOK."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.usage import UsageLedger, UsageRecord
from .console import Console

HEADERS = (
    "model", "endpoint", "billing", "requests", "tokens", "cost (USD)", "BYOK provider cost (USD)",
)  # fmt: skip


@dataclass
class UsageRow:
    """Totals of the requests of one model, endpoint and billing (platform or BYOK)."""

    model: str
    endpoint: str
    byok: bool
    requests: int = 0
    tokens: int = 0
    cost: float = 0.0
    unknown_cost: int = 0
    estimated: int = 0
    provider_cost: float = 0.0
    provider_unknown: int = 0

    def add(self, record: UsageRecord) -> None:
        """Count one request."""
        self.requests += 1
        self.tokens += record.total_tokens
        if record.cost is None:
            self.unknown_cost += 1
        else:
            self.cost += record.cost
            self.estimated += record.cost_estimated
        if record.byok and record.provider_cost_estimate is None:
            self.provider_unknown += 1
        elif record.provider_cost_estimate is not None:
            self.provider_cost += record.provider_cost_estimate


def usage_rows(records: Iterable[UsageRecord]) -> list[UsageRow]:
    """One row per (model, endpoint, billing), sorted by model, endpoint, platform first."""
    rows: dict[tuple[str, str, bool], UsageRow] = {}
    for record in records:
        key = (record.model or "unknown", record.endpoint, record.byok)
        rows.setdefault(key, UsageRow(*key)).add(record)
    return [rows[key] for key in sorted(rows)]


def format_cost(cost: float, unknown: int = 0, estimated: int = 0, byok: bool = False) -> str:
    """``$0.000123``; ``~`` when estimated from pricing; ``+?`` when some costs are unknown."""
    if byok and cost == 0 and not unknown:
        return "$0 (BYOK)"
    text = ("~" if estimated else "") + f"${cost:.6f}"
    if unknown:
        text += f" +{unknown} unknown"
    return text


def format_provider_cost(row: UsageRow) -> str:
    """What a BYOK row cost at the provider's list price (``~``: an estimate); ``-`` for
    platform rows."""
    if not row.byok:
        return "-"
    text = f"~${row.provider_cost:.6f}"
    return text + (f" +{row.provider_unknown} unknown" if row.provider_unknown else "")


def table_cells(rows: Sequence[UsageRow]) -> list[list[str]]:
    """The rows as table cells."""
    return [
        [
            row.model,
            row.endpoint,
            "BYOK" if row.byok else "platform",
            str(row.requests),
            str(row.tokens),
            format_cost(row.cost, row.unknown_cost, row.estimated, row.byok),
            format_provider_cost(row),
        ]
        for row in rows
    ]


def print_report(console: Console, ledger: UsageLedger) -> None:
    """Print the table and the platform/BYOK totals of everything the tour did."""
    records = ledger.records
    if not records:
        console.info("No requests were made.")
        return
    rows = usage_rows(records)
    total = ["total", "", "", str(ledger.requests), str(ledger.total_tokens),
             format_cost(ledger.total_cost, ledger.unknown_cost_requests,
                         ledger.estimated_cost_requests),
             f"~${ledger.byok_provider_cost:.6f}" if ledger.byok_requests else "-"]  # fmt: skip
    console.table(HEADERS, [*table_cells(rows), total])
    console.print()
    console.info(
        f"platform: {ledger.platform_requests} request(s), ${ledger.platform_cost:.6f} of "
        f"credits; BYOK: {ledger.byok_requests} request(s), no credits, about "
        f"${ledger.byok_provider_cost:.6f} billed by the provider to your own key (an estimate "
        "at the catalog's list price)"
    )
    if ledger.estimated_cost_requests:
        console.info(
            "~ marks costs estimated from the model catalog's pricing (the answer carried none)."
        )
    if ledger.unknown_cost_requests:
        console.info(
            f"{ledger.unknown_cost_requests} request(s) have an unknown cost: counted apart, "
            "never as 0."
        )
    if ledger.server_check is not None and ledger.server_check.end is not None:
        console.info(ledger.server_check.summary(ledger.total_cost, ledger.requests))

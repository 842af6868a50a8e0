"""The server's own account of what a block of code spent: snapshots of ``GET /api/v1/user/usage``.

Chat answers in the current response format carry no cost, so the per-request figures the
ledger totals for them are estimates from catalog prices. The account's usage report is the
truth: :class:`ServerUsageCheck` reads it when a tracking scope opens and when it closes, and
reports the difference (``server_cost``, ``server_requests``) beside the local totals.

The difference counts everything the account did between the two snapshots: requests made
elsewhere with the same key in that window are included, so it is an upper bound for the block.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol


class _UsageSource(Protocol):
    def usage(self) -> dict[str, Any]: ...


UPPER_BOUND_NOTE = (
    "the server's figures are the account's difference between two snapshots: requests made "
    "with the same account elsewhere in that time are included, so they are an upper bound "
    "for this block"
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class ServerUsageSnapshot:
    """The account's totals at one moment, as ``GET /api/v1/user/usage`` reported them."""

    total_requests: int | None
    """Requests the account has made in all (None when the report lacks the figure)."""
    total_cost: float | None
    """USD the account has spent in all (None when the report lacks the figure)."""
    remaining_credits: float | None
    """Credits left (None when not reported)."""
    taken_at: datetime
    """When the snapshot was taken (UTC)."""

    @classmethod
    def from_report(cls, report: Mapping[str, Any] | Any) -> ServerUsageSnapshot:
        """Read a usage report (the documented ``UsageResponse``; unknown fields ignored)."""
        body = report if isinstance(report, Mapping) else {}
        requests = _number(body.get("total_requests"))
        return cls(
            total_requests=int(requests) if requests is not None else None,
            total_cost=_number(body.get("total_cost")),
            remaining_credits=_number(body.get("remaining_credits")),
            taken_at=datetime.now(timezone.utc),
        )


def _difference(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


class ServerUsageCheck:
    """Two snapshots of the account's usage report around a block, and their difference.

    Args:
        client: Anything with a ``usage()`` method returning the report: an
            ``IndoxHubClient`` (its account is the one checked).
    """

    def __init__(self, client: _UsageSource) -> None:
        self.client = client
        self.start: ServerUsageSnapshot | None = None
        """The snapshot taken when the block opened."""
        self.end: ServerUsageSnapshot | None = None
        """The snapshot taken when the block closed (None while it is open)."""

    def open(self) -> None:
        """Take the opening snapshot."""
        self.start = ServerUsageSnapshot.from_report(self.client.usage())
        self.end = None

    def close(self, local_requests: int | None = None) -> None:
        """Take the closing snapshot; warn when the server saw more requests than this block
        made (someone else used the account meanwhile, or the usage report lags)."""
        self.end = ServerUsageSnapshot.from_report(self.client.usage())
        requests = self.server_requests
        if local_requests is not None and requests is not None and requests > local_requests:
            warnings.warn(
                f"The server counted {requests} requests in this block, this process "
                f"{local_requests}: {UPPER_BOUND_NOTE}.",
                RuntimeWarning,
                stacklevel=3,
            )

    def close_quietly(self, local_requests: int | None = None) -> None:
        """:meth:`close`, turning a failure to read the report into a warning (used when the
        block itself raised, so that its error is the one the caller sees)."""
        from .errors import IndoxHubError

        try:
            self.close(local_requests)
        except IndoxHubError as error:
            warnings.warn(
                f"The closing usage snapshot failed ({error.message}); server figures unknown.",
                RuntimeWarning,
                stacklevel=3,
            )

    @property
    def server_cost(self) -> float | None:
        """USD the account spent between the snapshots (None until closed, or not reported)."""
        if self.start is None or self.end is None:
            return None
        return _difference(self.end.total_cost, self.start.total_cost)

    @property
    def server_requests(self) -> int | None:
        """Requests the account made between the snapshots (None until closed)."""
        if self.start is None or self.end is None:
            return None
        diff = _difference(self.end.total_requests, self.start.total_requests)
        return int(diff) if diff is not None else None

    def gap(self, local_cost: float | None) -> float | None:
        """``server_cost - local_cost``: what the local totals missed (or over-estimated)."""
        return _difference(self.server_cost, local_cost)

    def summary(self, local_cost: float | None, local_requests: int) -> str:
        """Lines for a usage report: the server's figures beside the local ones."""
        if self.end is None:
            return "Server-verified: pending (the block is still open)"
        cost = self.server_cost
        gap = self.gap(local_cost)
        cost_text = "unknown" if cost is None else f"${cost:.6f}"
        gap_text = "" if gap is None else f" (local total off by ${gap:+.6f})"
        return (
            f"Server-verified (usage snapshots): {self.server_requests} request(s), "
            f"{cost_text}{gap_text} vs. {local_requests} local request(s); {UPPER_BOUND_NOTE}"
        )


def check_client(source: Any) -> Any:
    """The client whose account ``verify_with_server=`` checks.

    ``True`` means a client from the environment (``INDOXHUB_API_KEY``/``INDOXHUB_BASE_URL``);
    a client (anything with ``usage()``) is used as is; an indoxhub framework class (LangChain
    or LlamaIndex; anything with ``clients``) lends its sync client.
    """
    if source is True:
        from .client import IndoxHubClient

        return IndoxHubClient()
    clients = getattr(source, "clients", None)
    if clients is not None and hasattr(clients, "sync"):
        return clients.sync
    if callable(getattr(source, "usage", None)):
        return source
    from .errors import InvalidRequestError

    raise InvalidRequestError(
        "verify_with_server takes True (a client from INDOXHUB_API_KEY/INDOXHUB_BASE_URL), an "
        f"IndoxHubClient, or an indoxhub model or tool; got {type(source).__name__}."
    )

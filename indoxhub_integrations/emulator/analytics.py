"""``GET /api/v1/analytics/usage``: the request log grouped and filtered, as the service's
analytics endpoint takes its query (the answer's shape is not documented; this one is the
emulator's, built from the same records as ``/api/v1/user/usage``)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from .errors import detail
from .pipeline import Answer, Call
from .state import RequestRecord

GROUPS = ("date", "model", "provider", "endpoint", "session_id", "client_ip")
_TEXT_FILTERS = ("provider", "model", "endpoint", "session_id")


def _day(record: RequestRecord) -> str:
    return datetime.fromtimestamp(record.created, timezone.utc).date().isoformat()


def _key(record: RequestRecord, group: str) -> str:
    if group == "date":
        return _day(record)
    if group == "provider":
        return (record.model or "").partition("/")[0] or "unknown"
    if group in ("model", "endpoint"):
        return str(getattr(record, group) or "unknown")
    return "emulator" if group == "session_id" else "127.0.0.1"


def _date(query: Any, name: str) -> date | None:
    value = query.get(name)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise detail(422, f"{name} must be an ISO date such as 2025-01-31") from None


def _matches(record: RequestRecord, filters: dict[str, str]) -> bool:
    for name, wanted in filters.items():
        if _key(record, name) != wanted and not (name == "model" and record.model == wanted):
            return False
    return True


async def usage(call: Call, _: Any) -> Answer:
    """The successful model calls of the log, filtered by the query and grouped by ``group_by``
    (``date`` when absent)."""
    query = call.request.query_params
    group = query.get("group_by") or "date"
    if group not in GROUPS:
        raise detail(422, f"group_by must be one of {', '.join(GROUPS)}")
    start, end = _date(query, "start_date"), _date(query, "end_date")
    filters = {name: query[name] for name in _TEXT_FILTERS if query.get(name)}
    rows: dict[str, dict[str, Any]] = {}
    total_requests, total_cost = 0, 0.0
    for record in call.state.requests():
        if not record.endpoint or not 200 <= record.status < 300:
            continue
        day = date.fromisoformat(_day(record))
        if (start and day < start) or (end and day > end) or not _matches(record, filters):
            continue
        row = rows.setdefault(
            _key(record, group),
            {"requests": 0, "cost": 0.0, "tokens": {"input": 0, "output": 0, "total": 0}},
        )
        row["requests"] += 1
        row["cost"] += record.cost
        tokens = row["tokens"]
        tokens["input"] += record.input_tokens
        tokens["output"] += record.output_tokens
        tokens["total"] += record.input_tokens + record.output_tokens
        total_requests += 1
        total_cost += record.cost
    return Answer(
        body={
            "group_by": group,
            "start_date": start.isoformat() if start else None,
            "end_date": end.isoformat() if end else None,
            "filters": filters,
            "total_requests": total_requests,
            "total_cost": total_cost,
            "data": [{"key": key, **row} for key, row in sorted(rows.items())],
        }
    )

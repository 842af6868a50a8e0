"""A matplotlib chart of cost by model, platform and BYOK apart (used by the notebooks).

Needs matplotlib (the ``notebooks`` extra)::

    from indoxhub_integrations.demo.charts import plot_cost_by_model

    with get_indoxhub_callback() as cb:  # or: with track_indoxhub_usage() as cb
        ...
    plot_cost_by_model(cb.records)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core.usage import UsageRecord


@dataclass
class ModelSpend:
    """Cost and requests of one model, platform and BYOK apart."""

    platform_cost: float = 0.0
    byok_cost: float = 0.0
    platform_requests: int = 0
    byok_requests: int = 0
    unknown_cost_requests: int = 0


def spend_by_model(records: Iterable[UsageRecord]) -> dict[str, ModelSpend]:
    """Per ``provider/model``: known cost and requests, platform and BYOK apart."""
    spend: dict[str, ModelSpend] = {}
    for record in records:
        row = spend.setdefault(record.model or "unknown", ModelSpend())
        if record.cost is None:
            row.unknown_cost_requests += 1
        if record.byok:
            row.byok_requests += 1
            row.byok_cost += record.cost or 0.0
        else:
            row.platform_requests += 1
            row.platform_cost += record.cost or 0.0
    return dict(sorted(spend.items()))


def plot_cost_by_model(records: Iterable[UsageRecord], title: str = "indoxhub usage") -> Any:
    """A figure with two bar charts per model: cost (USD) and requests, platform vs BYOK.

    BYOK requests cost no credits, so their cost bars are 0: the request bars show how many
    went through your own key. Returns the matplotlib ``Figure``.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plot_cost_by_model needs matplotlib: pip install 'indoxhub-integrations[notebooks]'"
        ) from exc
    spend = spend_by_model(records)
    models = list(spend) or ["(no requests)"]
    rows = [spend.get(model, ModelSpend()) for model in models]
    positions = list(range(len(models)))
    width = 0.38
    figure, (cost_axis, count_axis) = plt.subplots(
        1, 2, figsize=(11, 0.6 * len(models) + 2.2), sharey=True
    )
    for axis, platform, byok, label in (
        (cost_axis, [r.platform_cost for r in rows], [r.byok_cost for r in rows], "cost (USD)"),
        (count_axis, [r.platform_requests for r in rows], [r.byok_requests for r in rows],
         "requests"),
    ):  # fmt: skip
        bars = axis.barh([p - width / 2 for p in positions], platform, width, label="platform")
        axis.bar_label(bars, fmt="%.6g", padding=3, fontsize=8)
        bars = axis.barh([p + width / 2 for p in positions], byok, width, label="BYOK")
        axis.bar_label(bars, fmt="%.6g", padding=3, fontsize=8)
        axis.set_xlabel(label)
        axis.margins(x=0.25)
    cost_axis.set_yticks(positions, models)
    cost_axis.invert_yaxis()
    count_axis.legend(loc="lower right")
    unknown = sum(r.unknown_cost_requests for r in rows)
    note = f" ({unknown} request(s) of unknown cost not shown)" if unknown else ""
    figure.suptitle(f"{title}: cost by model, platform vs BYOK{note}")
    figure.tight_layout()
    return figure

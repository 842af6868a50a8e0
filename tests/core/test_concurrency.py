"""gather_or_cancel: results in order; the first failure cancels the rest."""

from __future__ import annotations

import asyncio

import pytest

from indoxhub_integrations.core.concurrency import gather_or_cancel


async def test_results_in_input_order() -> None:
    async def value(n: int) -> int:
        await asyncio.sleep(0)
        return n

    assert await gather_or_cancel(value(n) for n in range(5)) == [0, 1, 2, 3, 4]
    assert await gather_or_cancel([]) == []


async def test_first_failure_cancels_the_others() -> None:
    started: list[int] = []
    cancelled: list[int] = []
    gate = asyncio.Event()

    async def waits(n: int) -> int:
        started.append(n)
        try:
            await gate.wait()
        except asyncio.CancelledError:
            cancelled.append(n)
            raise
        return n

    async def fails() -> int:
        await asyncio.sleep(0)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await gather_or_cancel([waits(0), fails(), waits(2)])
    assert sorted(cancelled) == sorted(started) == [0, 2]

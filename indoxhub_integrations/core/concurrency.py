"""Running a batch of coroutines so that the first failure stops the rest (framework-free)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


async def gather_or_cancel(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Await every awaitable concurrently; results in input order.

    Unlike ``asyncio.gather``, the first exception cancels the others (and waits for them to
    finish cancelling) before it is raised, so no request that had not started yet is sent
    (and billed) after the caller got the error. Works on Python 3.10 (no ``TaskGroup``).

    Raises:
        BaseException: The first exception raised by any of them.
    """
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    if not tasks:
        return []
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:  # the caller was cancelled: take the batch down with it
        await _cancel(tasks)
        raise
    if pending:
        await _cancel(list(pending))
    for task in tasks:  # the first failure in input order among those that finished
        if task in done and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return [task.result() for task in tasks]


async def _cancel(tasks: Sequence[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

"""Helpers for the LlamaIndex adapter tests: event and span recorders, emulator settings."""

from __future__ import annotations

import base64
from typing import Any

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from pydantic import PrivateAttr


class EventRecorder(BaseEventHandler):
    """Keeps every instrumentation event."""

    _events: list[BaseEvent] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self._events.append(event)

    @property
    def events(self) -> list[BaseEvent]:
        return list(self._events)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self._events if isinstance(e, kind)]


class SpanRecorder(BaseSpanHandler[Any]):
    """Keeps the arguments every span was entered with."""

    _bound: list[str] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "SpanRecorder"

    def new_span(self, id_: str, bound_args: Any, instance: Any = None, **kwargs: Any) -> None:
        self._bound.append(f"{id_} {bound_args.arguments!r}")
        return None

    def prepare_to_exit_span(self, *args: Any, **kwargs: Any) -> None:
        return None

    def prepare_to_drop_span(self, *args: Any, **kwargs: Any) -> None:
        return None

    @property
    def bound(self) -> list[str]:
        return list(self._bound)


def connection(emulator: Any) -> dict[str, Any]:
    """Shared fields pointing at the emulator."""
    return {"api_key": emulator.api_key, "base_url": emulator.base_url, "max_retries": 0}


def model_calls(emulator: Any) -> list[Any]:
    """The emulator's log of model calls (no catalog, auth or account requests)."""
    return [r for r in emulator.requests if r.endpoint]


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
"""A 1x1 PNG."""

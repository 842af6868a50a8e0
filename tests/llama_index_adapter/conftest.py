"""Fixtures for the LlamaIndex adapter: models bound to the emulator, event recorders."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llama_index.core")
# --import-mode=importlib leaves sys.path alone: make this folder's helper module importable.
sys.path.insert(0, str(Path(__file__).parent))

from li_support import EventRecorder, SpanRecorder, connection
from llama_index.core.instrumentation import get_dispatcher

from indoxhub_integrations.llama_index import (
    IndoxHub,
    IndoxHubEmbedding,
    IndoxHubToolSpec,
)


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    """Every instrumentation event dispatched during the test."""
    handler = EventRecorder()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not handler]


@pytest.fixture
def spans() -> Iterator[SpanRecorder]:
    """The bound arguments of every span entered during the test."""
    handler = SpanRecorder()
    root = get_dispatcher()
    root.add_span_handler(handler)
    try:
        yield handler
    finally:
        root.span_handlers = [h for h in root.span_handlers if h is not handler]


@pytest.fixture
def llm(emulator: Any) -> IndoxHub:
    """An ``IndoxHub`` LLM on the emulator."""
    return IndoxHub(model="openai/gpt-4o-mini", **connection(emulator))


@pytest.fixture
def embed_model(emulator: Any) -> IndoxHubEmbedding:
    """An ``IndoxHubEmbedding`` on the emulator."""
    return IndoxHubEmbedding(
        model="openai/text-embedding-3-small", embed_batch_size=4, **connection(emulator)
    )


@pytest.fixture
def tool_spec(emulator: Any, tmp_path: Path) -> IndoxHubToolSpec:
    """An ``IndoxHubToolSpec`` on the emulator writing into ``tmp_path``."""
    return IndoxHubToolSpec(
        output_dir=tmp_path / "media", root_dir=tmp_path, **connection(emulator)
    )

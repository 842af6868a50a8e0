"""``IndoxHubEmbedding``: a LlamaIndex ``BaseEmbedding`` over indoxhub's embeddings endpoint."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..core.byok import split_model
from ..core.wire import EmbeddingResult
from ._fields import IndoxHubConnection
from .instrumentation import dispatch_usage

DEFAULT_EMBEDDING_MODEL = "openai/text-embedding-3-small"
"""The embedding model used when none is given."""


class _LoopSemaphores:
    """One semaphore per event loop (asyncio primitives belong to one loop); pickles empty."""

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def get(self, limit: int) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = self._by_loop[loop] = asyncio.Semaphore(limit)
        return semaphore


class IndoxHubEmbedding(IndoxHubConnection, BaseEmbedding):
    """indoxhub embeddings for LlamaIndex indexes, retrievers and ingestion pipelines.

    Each batch of ``embed_batch_size`` texts is one request; async batches run concurrently,
    at most ``max_concurrency`` at a time, and vectors always come back in input order. Every
    request dispatches an ``IndoxHubUsageEvent`` with its tokens, cost and BYOK marker.

    Example:
        .. code-block:: python

            from llama_index.core import Settings
            from indoxhub_integrations.llama_index import IndoxHubEmbedding

            Settings.embed_model = IndoxHubEmbedding(model="openai/text-embedding-3-small")
    """

    model: str = DEFAULT_EMBEDDING_MODEL
    """The embedding model, as ``provider/model``."""
    embed_batch_size: int = Field(default=100, gt=0, le=2048)
    """Texts per request."""
    dimensions: int | None = Field(default=None, gt=0)
    """Vector length to ask for (models that support shortening); ``None``: the model's own."""
    max_concurrency: int = Field(default=4, gt=0)
    """Most batch requests in flight at once in the async methods."""
    additional_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other embedding options, sent in ``additional_params``."""

    _semaphores: _LoopSemaphores = PrivateAttr(default_factory=lambda: _LoopSemaphores())

    @field_validator("model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        split_model(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _model_name_follows_model(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("model_name"):
            data = {**data, "model_name": data.get("model") or DEFAULT_EMBEDDING_MODEL}
        return data

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "IndoxHubEmbedding"

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"model": self.model, **self.additional_kwargs}
        if self.dimensions is not None:
            options["dimensions"] = self.dimensions
        return options

    def _finish(self, result: EmbeddingResult) -> list[Embedding]:
        dispatch_usage(result)
        return result.vectors

    # ------------------------------------------------------------------ sync
    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        if not texts:
            return []
        return self._finish(self.clients.sync.embed(list(texts), **self._options()))

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embeddings([query])[0]

    # ------------------------------------------------------------------ async
    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        if not texts:
            return []
        async with self._semaphores.get(self.max_concurrency):
            result = await self.clients.async_.embed(list(texts), **self._options())
        return self._finish(result)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aget_text_embeddings([query]))[0]

"""``IndoxHubEmbeddings``: indoxhub embedding models as LangChain ``Embeddings``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import Field

from ..core.concurrency import gather_or_cancel
from ..core.usage import record_from_result
from ..core.wire import EmbeddingResult
from ._fields import LC_NAMESPACE, ExtraParamsFields, IndoxHubFields
from .callbacks import report_usage
from .errors import IndoxHubInvalidRequestError, map_errors


def check_texts(texts: Any) -> None:
    """Refuse input that is not a list of texts (a bare string would embed its letters)."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise IndoxHubInvalidRequestError(
            f"Embeddings take a list of strings, got {type(texts).__name__}: use "
            "embed_query(text) for one text."
        )


def batches(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of ``texts`` of at most ``size`` items."""
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


class IndoxHubEmbeddings(IndoxHubFields, ExtraParamsFields, Embeddings):
    """indoxhub embedding models (OpenAI, Google, Mistral...) as LangChain embeddings.

    Texts are sent raw (never as token arrays) in batches of ``chunk_size``; the async path
    runs up to ``max_concurrency`` batches at once; vectors come back in input order. The
    usage and cost of every request is reported to the active ``get_indoxhub_callback()``.

    Example:
        .. code-block:: python

            from langchain_core.vectorstores import InMemoryVectorStore
            from indoxhub_integrations.langchain import IndoxHubEmbeddings

            embeddings = IndoxHubEmbeddings(model="openai/text-embedding-3-small")
            store = InMemoryVectorStore.from_texts(["indoxhub routes models"], embeddings)
    """

    model: str = Field(default="openai/text-embedding-3-small", alias="model_name")
    """The embedding model in ``provider/model`` form (``model_name`` is accepted too)."""

    chunk_size: int = Field(default=100, gt=0)
    """The most texts sent in one request."""

    max_concurrency: int = Field(default=4, gt=0)
    """The most requests in flight at once on the async path."""

    dimensions: int | None = None
    """Vector length, for models that can shorten their vectors."""

    show_progress_bar: bool = False
    """Show a ``tqdm`` progress bar over the batches (needs ``tqdm``)."""

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The serialization namespace: ``indoxhub_integrations.langchain.embeddings``."""
        return [*LC_NAMESPACE, "embeddings"]

    def _params(self) -> dict[str, Any]:
        params = dict(self.model_kwargs)
        if self.dimensions is not None:
            params["dimensions"] = self.dimensions
        return params

    def _progress(self, total: int) -> Any:
        if not self.show_progress_bar:
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError as exc:
            raise ImportError("show_progress_bar=True needs tqdm: pip install tqdm") from exc
        return tqdm(total=total, desc="indoxhub embeddings", unit="text")

    def _vectors(self, result: EmbeddingResult) -> list[list[float]]:
        report_usage(record_from_result(result))
        return result.vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts, in batches of ``chunk_size``; one vector per text, in order."""
        if not texts:
            return []
        check_texts(texts)
        vectors: list[list[float]] = []
        params = self._params()
        progress = self._progress(len(texts))
        try:
            with map_errors():
                client = self.clients.sync
                for batch in batches(texts, self.chunk_size):
                    result = client.embed(batch, model=self.model, **params)
                    vectors.extend(self._vectors(result))
                    if progress is not None:
                        progress.update(len(batch))
        finally:
            if progress is not None:
                progress.close()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one query text."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts concurrently (at most ``max_concurrency`` requests); order preserved.

        When one batch fails, the batches not sent yet are cancelled before the error is
        raised: nothing more is sent (or billed) after the caller got the error.
        """
        if not texts:
            return []
        check_texts(texts)
        params = self._params()
        progress = self._progress(len(texts))
        semaphore = asyncio.Semaphore(self.max_concurrency)
        failed = False

        async def run(batch: list[str]) -> list[list[float]]:
            nonlocal failed
            async with semaphore:
                if failed:  # a batch failed while this one waited: send nothing more
                    return []
                try:
                    result = await client.embed(batch, model=self.model, **params)
                except BaseException:
                    failed = True
                    raise
            if progress is not None:
                progress.update(len(batch))
            return self._vectors(result)

        try:
            with map_errors():
                client = self.clients.async_
                parts = await gather_or_cancel(
                    run(batch) for batch in batches(texts, self.chunk_size)
                )
        finally:
            if progress is not None:
                progress.close()
        return [vector for part in parts for vector in part]

    async def aembed_query(self, text: str) -> list[float]:
        """Embed one query text asynchronously."""
        return (await self.aembed_documents([text]))[0]

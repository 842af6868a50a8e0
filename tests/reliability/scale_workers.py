"""Work done in other processes (ProcessPoolExecutor workers, Ray actors) by the scale-out tests.

Kept free of pytest and of the test modules so that a spawned worker imports only this and the
package under test. Every function receives a pickled model and returns plain data.
"""

from __future__ import annotations

import os
from typing import Any


def langchain_chat(model: Any, marker: str) -> dict[str, Any]:
    """Invoke a (pickled) ``ChatIndoxHub`` or ``IndoxHubLLM`` and stream it too."""
    answer = model.invoke(f"remember {marker}")
    streamed = "".join(str(getattr(c, "content", c)) for c in model.stream(f"again {marker}"))
    text = answer if isinstance(answer, str) else str(answer.content)
    return {"pid": os.getpid(), "text": text, "streamed": streamed}


def langchain_embed(model: Any, texts: list[str]) -> dict[str, Any]:
    return {"pid": os.getpid(), "vectors": model.embed_documents(texts)}


def llama_index_chat(model: Any, marker: str) -> dict[str, Any]:
    from llama_index.core.base.llms.types import ChatMessage

    reply = model.chat([ChatMessage(role="user", content=f"remember {marker}")])
    completion = model.complete(f"again {marker}")
    return {"pid": os.getpid(), "text": str(reply.message.content), "streamed": completion.text}


def llama_index_embed(model: Any, texts: list[str]) -> dict[str, Any]:
    return {"pid": os.getpid(), "vectors": model.get_text_embedding_batch(texts)}


class EmbedBatch:
    """A Ray Data ``map_batches`` callable: embeds the ``text`` column of each batch.

    Built once per actor from a pickled embeddings model (its clients are created lazily in
    the actor, on the first batch, and reused for the next ones).
    """

    def __init__(self, embeddings: Any) -> None:
        self.embeddings = embeddings

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(text) for text in batch["text"]]
        if hasattr(self.embeddings, "embed_documents"):  # LangChain
            vectors = self.embeddings.embed_documents(texts)
        else:  # LlamaIndex
            vectors = self.embeddings.get_text_embedding_batch(texts)
        return {"text": texts, "vector": vectors, "pid": [os.getpid()] * len(texts)}

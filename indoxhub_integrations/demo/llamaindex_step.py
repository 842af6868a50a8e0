"""Step 2: retrieval-augmented generation over the sample documents with LlamaIndex."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from .cli import EMBEDDING_MODEL
from .console import shorten
from .context import Tour
from .documents import QUESTION, rough_tokens, sample_documents
from .report import format_cost

if TYPE_CHECKING:
    from llama_index.core.base.response.schema import RESPONSE_TYPE

ANSWER_TOKENS = 200
"""Most tokens the answer may use."""


def _describe(response: RESPONSE_TYPE) -> list[str]:
    lines = []
    for node in response.source_nodes:
        name = node.node.metadata.get("file_name", "?")
        score = f"{node.score:.2f}" if node.score is not None else "n/a"
        lines.append(f"{name} (similarity {score})")
    return lines


def run(tour: Tour, number: int) -> None:
    """Index the bundled documents with ``IndoxHubEmbedding``, answer with ``IndoxHub``."""
    console, options = tour.console, tour.options
    console.step(number, "RAG with LlamaIndex: VectorStoreIndex + IndoxHubEmbedding + IndoxHub")
    documents = sample_documents()
    corpus_tokens = sum(rough_tokens(text) for text in documents.values())
    embed_cost = tour.estimate_tokens(EMBEDDING_MODEL, corpus_tokens, 0)
    answer_cost = tour.estimate_tokens(options.model, corpus_tokens // 2 + 300, ANSWER_TOKENS)
    estimate = None if embed_cost is None or answer_cost is None else embed_cost + answer_cost
    if not tour.spend.allow("the RAG step", estimate):
        return
    with console.progress("importing LlamaIndex"):
        from llama_index.core import Document, VectorStoreIndex

        from ..llama_index import IndoxHub, IndoxHubEmbedding, track_indoxhub_usage

    embed_model = IndoxHubEmbedding(model=EMBEDDING_MODEL, **tour.connection)
    llm = IndoxHub(model=options.model, max_tokens=ANSWER_TOKENS, **tour.connection)
    docs = [Document(text=text, metadata={"file_name": name}) for name, text in documents.items()]
    with track_indoxhub_usage() as usage:
        with console.progress(f"embedding {len(docs)} sample documents into a VectorStoreIndex"):
            index = VectorStoreIndex.from_documents(docs, embed_model=embed_model)
        engine = index.as_query_engine(llm=llm, similarity_top_k=2)
        with console.progress("retrieving and answering with the query engine"):
            response = engine.query(QUESTION)
    tour.record(usage.records)
    console.info(f"question: {QUESTION}")
    console.info(f"answer:   {shorten(str(response), 300)}")
    console.info("sources:  " + "; ".join(_describe(response)))
    by_endpoint = ", ".join(
        f"{bucket['requests']} {endpoint}" for endpoint, bucket in usage.by_endpoint().items()
    )
    console.info(
        f"usage (track_indoxhub_usage): {usage.requests} request(s) ({by_endpoint}), "
        f"{usage.total_tokens} tokens, ${usage.total_cost:.6f}"
    )
    if not options.langchain and tour.byok_key:
        _byok_answer(tour, index, llm.model)


def _byok_answer(tour: Tour, index: object, model: str) -> None:
    """The same question answered with the BYOK key (shown when the LangChain step is off)."""
    from llama_index.core import VectorStoreIndex

    from ..llama_index import IndoxHub, track_indoxhub_usage

    assert isinstance(index, VectorStoreIndex)
    byok_llm = IndoxHub(
        model=model,
        max_tokens=ANSWER_TOKENS,
        byok_api_key=SecretStr(tour.byok_key or ""),
        **tour.connection,
    )
    with (
        track_indoxhub_usage() as usage,
        tour.console.progress(f"answering again with your own key ({tour.byok_label})"),
    ):
        index.as_query_engine(llm=byok_llm, similarity_top_k=2).query(QUESTION)
    tour.record(usage.records)
    for record in (r for r in usage.records if r.endpoint == "chat"):
        tour.console.info(
            f"BYOK answer: byok={record.byok}, X-RateLimit-Bypass={record.rate_limit_bypass!r}, "
            f"cost {format_cost(record.cost or 0.0, byok=record.byok)}"
        )

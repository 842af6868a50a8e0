"""``IndoxHubEmbedding`` batching and concurrency, indexes, query engines and ingestion."""

from __future__ import annotations

import pickle
from typing import Any

from li_support import EventRecorder, connection, model_calls
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter

from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding, IndoxHubUsageEvent

TEXTS = [f"document number {i} about topic {i % 3}" for i in range(10)]


def test_real_batching_and_order(embed_model: IndoxHubEmbedding, emulator: Any) -> None:
    vectors = embed_model.get_text_embedding_batch(TEXTS)
    calls = model_calls(emulator)
    assert [len(r.json["text"]) for r in calls] == [4, 4, 2]
    assert [t for r in calls for t in r.json["text"]] == TEXTS
    singles = [embed_model.get_text_embedding(t) for t in TEXTS[:3]]
    assert vectors[:3] == singles
    assert embed_model.get_query_embedding(TEXTS[5]) == vectors[5]


async def test_async_batches_are_bounded_and_ordered(emulator: Any) -> None:
    model = IndoxHubEmbedding(embed_batch_size=2, max_concurrency=2, **connection(emulator))
    sync_vectors = model.get_text_embedding_batch(TEXTS)
    emulator.reset()
    emulator.set_latency(0.05)
    in_flight = peak = 0
    original = model.clients.async_.embed

    async def counting_embed(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(*args, **kwargs)
        finally:
            in_flight -= 1

    model.clients.async_.embed = counting_embed  # type: ignore[method-assign]
    vectors = await model.aget_text_embedding_batch(TEXTS)
    assert vectors == sync_vectors
    assert peak == 2
    assert len(model_calls(emulator)) == 5
    assert await model.aget_query_embedding(TEXTS[1]) == sync_vectors[1]


def test_dimensions_and_options_reach_additional_params(emulator: Any) -> None:
    model = IndoxHubEmbedding(
        dimensions=32, additional_kwargs={"user": "u1"}, **connection(emulator)
    )
    model.get_text_embedding("hi")
    assert model_calls(emulator)[-1].json["additional_params"] == {"user": "u1", "dimensions": 32}
    assert model.model_name == "openai/text-embedding-3-small"


def test_each_request_dispatches_usage(
    embed_model: IndoxHubEmbedding, recorder: EventRecorder
) -> None:
    embed_model.get_text_embedding_batch(TEXTS)
    records = [e.record for e in recorder.of(IndoxHubUsageEvent)]
    assert [r.endpoint for r in records] == ["embedding"] * 3
    assert all(r.cost is not None and r.cost > 0 for r in records)


def test_pickles(embed_model: IndoxHubEmbedding) -> None:
    embed_model.get_text_embedding("warm up")
    clone = pickle.loads(pickle.dumps(embed_model))
    assert clone.get_text_embedding("warm up") == embed_model.get_text_embedding("warm up")


def test_vector_index_and_query_engine(
    llm: IndoxHub, embed_model: IndoxHubEmbedding, emulator: Any
) -> None:
    docs = [
        Document(text="The lighthouse keeper lives on a rocky island."),
        Document(text="Bananas are rich in potassium."),
    ]
    index = VectorStoreIndex.from_documents(docs, embed_model=embed_model, show_progress=True)
    retriever = index.as_retriever(similarity_top_k=1)
    (hit,) = retriever.retrieve("Where does the lighthouse keeper live?")
    assert "lighthouse" in hit.get_content()
    answer = index.as_query_engine(llm=llm, similarity_top_k=1).query("Who is the keeper?")
    assert str(answer)
    endpoints = {r.endpoint for r in model_calls(emulator)}
    assert endpoints == {"embedding", "chat"}


async def test_async_index_with_settings(
    llm: IndoxHub, embed_model: IndoxHubEmbedding, emulator: Any
) -> None:
    previous = Settings._llm, Settings._embed_model
    Settings.llm, Settings.embed_model = llm, embed_model
    try:
        docs = [Document(text=t) for t in TEXTS]
        index = VectorStoreIndex.from_documents(docs, use_async=True, show_progress=True)
        answer = await index.as_query_engine().aquery("topic 1")
        assert str(answer)
    finally:
        Settings._llm, Settings._embed_model = previous


def test_ingestion_pipeline(embed_model: IndoxHubEmbedding) -> None:
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=64, chunk_overlap=8), embed_model]
    )
    nodes = pipeline.run(documents=[Document(text=" ".join(TEXTS))])
    assert nodes and all(n.embedding and len(n.embedding) > 0 for n in nodes)


async def test_ingestion_pipeline_async(embed_model: IndoxHubEmbedding) -> None:
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=64, chunk_overlap=8), embed_model]
    )
    nodes = await pipeline.arun(documents=[Document(text=" ".join(TEXTS))])
    assert nodes and all(n.embedding for n in nodes)

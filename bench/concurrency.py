"""Throughput under concurrency: N requests, C at a time, against a server that answers every
request after 50 ms; each result is a ratio to the ideal wall time N / C x 50 ms.

    .venv/bin/python -m bench.concurrency                  # every case, 3 interleaved rounds
    .venv/bin/python -m bench.concurrency --cases 400x50 --rounds 5 --only "raw,abatch"
    .venv/bin/python -m bench.concurrency --profile "core achat (aiohttp)" --cases 1000x200

Every contender runs on one long-lived event loop (its connections stay warm between samples,
as in a real application), after one warm-up run; the rounds interleave the contenders, the
order rotating each round; reported: the median ratio and the median seconds, with the load
average of the machine during the run (the ratios only compare runs taken together).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench import shapes
from bench.contenders import KEY, ROUTES, close_async_clients
from bench.server import Server

LATENCY_MS = 50.0
TEXTS_PER_REQUEST = 10
Op = Callable[[], Awaitable[Any]]


def _bounded(one: Callable[[], Awaitable[Any]], n: int, c: int) -> Op:
    """``n`` calls of ``one`` via ``asyncio.gather``, at most ``c`` in flight."""

    async def run() -> Any:
        semaphore = asyncio.Semaphore(c)

        async def limited() -> Any:
            async with semaphore:
                return await one()

        return await asyncio.gather(*(limited() for _ in range(n)))

    return run


def _raw(server: Server, transport: str, n: int, c: int, style: str = "indox") -> Op:
    from indoxhub_integrations.core.base import LIMITS

    path, body = ROUTES["raw httpx (openai)" if style == "openai" else "raw httpx"]
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        client = httpx.AsyncClient(base_url=server.url(), transport=AiohttpTransport(limits=LIMITS))
    else:
        limits = httpx.Limits(max_connections=LIMITS.max_connections, max_keepalive_connections=20)
        client = httpx.AsyncClient(
            base_url=server.url(), limits=LIMITS if transport == "httpx" else limits
        )
    payload = body()

    async def one() -> Any:
        return (await client.post(path, json=payload)).json()

    return _bounded(one, n, c)


def _options(transport: str) -> dict[str, Any]:
    return {"api_key": KEY, "max_retries": 0, "http_transport": transport}


def _core_achat(server: Server, transport: str, n: int, c: int) -> Op:
    from indoxhub_integrations import AsyncIndoxHubClient

    client = AsyncIndoxHubClient(base_url=server.url(), **_options(transport))
    return _bounded(lambda: client.chat(shapes.MESSAGES, model=shapes.MODEL), n, c)


def _li_achat(server: Server, transport: str, n: int, c: int) -> Op:
    from llama_index.core.llms import ChatMessage

    from indoxhub_integrations.llama_index import IndoxHub

    llm = IndoxHub(model=shapes.MODEL, base_url=server.url(), **_options(transport))
    messages = [ChatMessage(role="user", content=shapes.PROMPT)]
    return _bounded(lambda: llm.achat(messages), n, c)


def _lc_abatch(server: Server, transport: str, n: int, c: int) -> Op:
    from indoxhub_integrations.langchain import ChatIndoxHub

    chat = ChatIndoxHub(model=shapes.MODEL, base_url=server.url(), **_options(transport))
    prompts = [shapes.PROMPT] * n
    return lambda: chat.abatch(prompts, config={"max_concurrency": c})


def _aembed(server: Server, transport: str, n: int, c: int, framework: str) -> Op:
    """``n`` embedding requests of ``TEXTS_PER_REQUEST`` texts, ``c`` in flight."""
    texts = [f"text {i}" for i in range(n * TEXTS_PER_REQUEST)]
    kw = {"model": shapes.EMBED_MODEL, "base_url": server.url(), "max_concurrency": c}
    if framework == "langchain":
        from indoxhub_integrations.langchain import IndoxHubEmbeddings

        lc = IndoxHubEmbeddings(**kw, chunk_size=TEXTS_PER_REQUEST, **_options(transport))
        return lambda: lc.aembed_documents(texts)
    from indoxhub_integrations.llama_index import IndoxHubEmbedding

    li = IndoxHubEmbedding(**kw, embed_batch_size=TEXTS_PER_REQUEST, **_options(transport))
    return lambda: li.aget_text_embedding_batch(texts)


def _lc_aembed(server: Server, transport: str, n: int, c: int) -> Op:
    return _aembed(server, transport, n, c, "langchain")


def _li_aembed(server: Server, transport: str, n: int, c: int) -> Op:
    return _aembed(server, transport, n, c, "llama_index")


def _peer_lc(server: Server, n: int, c: int) -> Op:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model=shapes.OPENAI_MODEL, api_key=KEY, base_url=server.url() + "/v1")
    prompts = [shapes.PROMPT] * n
    return lambda: chat.abatch(prompts, config={"max_concurrency": c})


def _peer_li(server: Server, n: int, c: int) -> Op:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(
        model=shapes.OPENAI_MODEL, api_key=KEY, api_base=server.url() + "/v1",
        is_chat_model=True, context_window=128000,
    )  # fmt: skip
    messages = [ChatMessage(role="user", content=shapes.PROMPT)]
    return _bounded(lambda: llm.achat(messages), n, c)


def _floor_lc_abatch(server: Server, n: int, c: int) -> Op:
    """The thinnest LangChain chat model (bench/floor.py) on an aiohttp-backed httpx client:
    what LangChain's own ``abatch`` machinery costs, the limit for any LangChain model."""
    from bench.floor import FloorChat

    chat = FloorChat(base_url=server.url())
    prompts = [shapes.PROMPT] * n
    return lambda: chat.abatch(prompts, config={"max_concurrency": c})


def _floor_lc_batch_threads(server: Server, n: int, c: int) -> Op:
    """The floor chat model's sync ``batch`` on ``c`` threads (one httpx pool): what
    LangChain's thread-pool ``batch`` costs by itself."""
    from bench.floor import FloorChat

    chat = FloorChat(base_url=server.url())
    prompts = [shapes.PROMPT] * n

    async def run() -> Any:
        return chat.batch(prompts, config={"max_concurrency": c})

    return run


def _floor_li_achat(server: Server, n: int, c: int) -> Op:
    """The thinnest LlamaIndex LLM (``bench.contenders.li_floor``: LlamaIndex's own callback
    and span decorators) with its aiohttp-backed ``achat``: the limit for any LlamaIndex LLM."""
    from llama_index.core.llms import ChatMessage

    from bench.contenders import li_floor

    llm = li_floor(server, "c")
    messages = [ChatMessage(role="user", content=shapes.PROMPT)]
    return _bounded(lambda: llm.achat(messages), n, c)


def _floor_li_aembed(server: Server, n: int, c: int) -> Op:
    """The thinnest LlamaIndex embedding model (a ``BaseEmbedding`` posting with an
    aiohttp-backed httpx client, ``c`` requests in flight) under LlamaIndex's own
    ``aget_text_embedding_batch``: the limit for any LlamaIndex embedding model."""
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from bench.floor import async_client

    client = async_client(server.url())
    semaphore = asyncio.Semaphore(c)

    async def post(texts: list[str]) -> list[list[float]]:
        async with semaphore:
            body = {"model": shapes.EMBED_MODEL, "text": texts}
            answer = (await client.post("/api/v1/embeddings", json=body)).json()
        return [item["embedding"] for item in answer["data"]]

    class FloorEmbedding(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            raise NotImplementedError

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return (await post([query]))[0]

        def _get_text_embedding(self, text: str) -> list[float]:
            raise NotImplementedError

        async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return await post(texts)

    embedding = FloorEmbedding(model_name=shapes.EMBED_MODEL, embed_batch_size=TEXTS_PER_REQUEST)
    texts = [f"text {i}" for i in range(n * TEXTS_PER_REQUEST)]
    return lambda: embedding.aget_text_embedding_batch(texts)


def _lc_batch_threads(server: Server, transport: str, n: int, c: int) -> Op:
    from indoxhub_integrations.langchain import ChatIndoxHub

    chat = ChatIndoxHub(model=shapes.MODEL, base_url=server.url(), **_options(transport))
    prompts = [shapes.PROMPT] * n

    async def run() -> Any:  # the sync path, off the loop (threads, one shared pool)
        return chat.batch(prompts, config={"max_concurrency": c})

    return run


def contenders(server: Server, n: int, c: int) -> dict[str, Op | Callable[[], Op]]:
    """Every contender of one (N, C) case, built lazily (a missing peer becomes a skip)."""
    table: dict[str, Callable[[], Op]] = {
        "raw httpx (native, core limits)": lambda: _raw(server, "httpx", n, c),
        "raw httpx (native, 20 keep-alive)": lambda: _raw(server, "httpx20", n, c),
        "raw httpx (aiohttp transport)": lambda: _raw(server, "aiohttp", n, c),
    }
    ours: list[tuple[str, Callable[[Server, str, int, int], Op]]] = [
        ("core achat", _core_achat),
        ("IndoxHub.achat", _li_achat),
        ("ChatIndoxHub.abatch", _lc_abatch),
        ("IndoxHubEmbeddings.aembed_documents", _lc_aembed),
        ("IndoxHubEmbedding.aget_text_embedding_batch", _li_aembed),
    ]
    for name, build in ours:
        for transport in ("httpx", "aiohttp"):
            table[f"{name} ({transport})"] = (
                lambda b=build, t=transport: b(server, t, n, c)  # type: ignore[misc]
            )
    table["floor BaseChatModel.abatch (aiohttp)"] = lambda: _floor_lc_abatch(server, n, c)
    table["floor CustomLLM.achat (aiohttp)"] = lambda: _floor_li_achat(server, n, c)
    table["floor BaseChatModel.batch (threads)"] = lambda: _floor_lc_batch_threads(server, n, c)
    table["floor BaseEmbedding.aget_text_embedding_batch (aiohttp)"] = lambda: _floor_li_aembed(
        server, n, c
    )
    table["peer ChatOpenAI.abatch"] = lambda: _peer_lc(server, n, c)
    table["peer OpenAILike.achat"] = lambda: _peer_li(server, n, c)
    table["ChatIndoxHub.batch (threads)"] = lambda: _lc_batch_threads(server, "auto", n, c)
    return dict(table)


def run(cases: list[tuple[int, int]], rounds: int, only: list[str], profile: str | None) -> None:
    """Run the cases and print one table per case."""
    loop = asyncio.new_event_loop()
    with Server(latency_ms=LATENCY_MS, latency_all=True) as server:
        for n, c in cases:
            ideal = n / c * LATENCY_MS / 1000.0
            ops: dict[str, Op] = {}
            skipped: dict[str, str] = {}
            for name, build in contenders(server, n, c).items():
                if only and not any(word.lower() in name.lower() for word in only):
                    continue
                try:
                    op = build()
                    loop.run_until_complete(op())  # warm-up: connections, imports, catalogs
                except Exception as exc:  # a missing peer or adapter is a skip
                    skipped[name] = f"{type(exc).__name__}: {exc}"[:100]
                    continue
                ops[name] = op  # type: ignore[assignment]
            if profile:
                _profile(loop, ops[profile], profile, n, c)
                continue
            samples: dict[str, list[float]] = {name: [] for name in ops}
            loads: list[float] = []
            names = list(ops)
            for r in range(rounds):
                order = names[r % len(names) :] + names[: r % len(names)]
                if r % 2:
                    order.reverse()
                for name in order:
                    started = time.perf_counter()
                    loop.run_until_complete(ops[name]())
                    samples[name].append(time.perf_counter() - started)
                loads.append(os.getloadavg()[0])
            print(
                f"\n## N={n} requests, C={c} at a time: ideal {ideal:.3f} s "
                f"({rounds} rounds, load average {statistics.median(loads):.1f} on "
                f"{os.cpu_count()} cores)\n"
            )
            print("| contender | median s | ratio to ideal |")
            print("|---|---|---|")
            for name in names:
                median = statistics.median(samples[name])
                print(f"| {name} | {median:.3f} | {median / ideal:.2f}x |")
            for name, why in skipped.items():
                print(f"| {name} | skipped: {why} | |")
            loop.run_until_complete(close_async_clients())  # before the next case's connections
    loop.run_until_complete(loop.shutdown_asyncgens())  # closes the clients of the loop
    loop.close()


def _profile(loop: asyncio.AbstractEventLoop, op: Op, name: str, n: int, c: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    loop.run_until_complete(op())
    profiler.disable()
    print(f"\n## profile of {name}, N={n} C={c}")
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(
        int(os.environ.get("BENCH_PROFILE_TOP", "18"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="100x10,400x50,1000x200",
                        help="comma-separated NxC (requests x concurrency)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated name fragments")
    parser.add_argument("--profile", default=None, help="cProfile one contender (exact name)")
    args = parser.parse_args()
    cases = [tuple(int(x) for x in case.split("x")) for case in args.cases.split(",")]
    only = [word for word in args.only.split(",") if word]
    run(cases, args.rounds, only, args.profile)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()

"""The contenders of each case: how each one performs one unit of work.

A builder takes the bench :class:`~bench.server.Server` and returns the operation: a plain
callable for a sync case, a coroutine function for an async one. A builder that fails
(adapter not written yet, peer not installed) makes the contender a skip with the reason.
Every contender of a case does the same HTTP exchange; peers talk to the OpenAI-shaped routes
and are compared with raw httpx on those routes.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench import shapes
from bench.server import Server

KEY = "ixh-bench-key"
"""Any key: the bench server does not check it."""

RAW = "raw httpx"
RAW_COMPLETION = "raw httpx (completions)"
RAW_OPENAI = "raw httpx (openai)"
FLOOR_LC = "floor BaseChatModel (raw httpx)"
LI_VS_FLOOR = "IndoxHub.chat (llama-index) x floor"
"""``IndoxHub.chat`` again, as its own row whose ratio column is to the LlamaIndex floor (for
the target check; the ``IndoxHub.chat`` row notes the same ratio, from its own samples)."""


@dataclass
class Contender:
    """One contender of one case."""

    name: str
    baseline: str
    """The raw contender this one is compared with (the same route and body)."""
    build: Callable[[Server], Any]
    floor: str | None = None
    """A floor contender of the same case: the report adds the median ratio to it."""


@dataclass
class Case:
    """One benchmark: the variant of the server it uses and its contenders."""

    name: str
    kind: str
    """``sync`` or ``async``."""
    variant: str
    contenders: list[Contender]
    note: str = ""
    warmup: int | None = None
    """Warm-up runs per contender (None: the mode's default)."""


# --------------------------------------------------------------------------- helpers


async def close_async_clients() -> None:
    """Close every aiohttp-backed async HTTP client the contenders built (the raw and floor
    ones have no owner that would), so their sessions do not outlive the case nor warn at
    exit. Clients on httpx's own transport are left open: langchain-openai shares one
    module-level client between its instances, which a later case still uses."""
    for obj in gc.get_objects():
        if not isinstance(obj, httpx.AsyncClient) or obj.is_closed:
            continue
        if any("aiohttp" in kind.__module__ for kind in type(obj._transport).__mro__):
            await obj.aclose()


def _messages_lc() -> str:
    return shapes.PROMPT


def _messages_li() -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content=shapes.PROMPT)]


def _core(server: Server, variant: str) -> Any:
    from indoxhub_integrations import IndoxHubClient

    return IndoxHubClient(api_key=KEY, base_url=server.url(variant), max_retries=0)


def _acore(server: Server, variant: str) -> Any:
    from indoxhub_integrations import AsyncIndoxHubClient

    return AsyncIndoxHubClient(api_key=KEY, base_url=server.url(variant), max_retries=0)


def floor_chat(server: Server, variant: str) -> Any:
    from bench.floor import FloorChat

    return FloorChat(base_url=server.url(variant))


def chat_indoxhub(server: Server, variant: str) -> Any:
    from indoxhub_integrations.langchain import ChatIndoxHub

    return ChatIndoxHub(model=shapes.MODEL, api_key=KEY, base_url=server.url(variant))


def llm_indoxhub(server: Server, variant: str) -> Any:
    from indoxhub_integrations.langchain import IndoxHubLLM

    return IndoxHubLLM(model=shapes.MODEL, api_key=KEY, base_url=server.url(variant))


def li_indoxhub(server: Server, variant: str) -> Any:
    from indoxhub_integrations.llama_index import IndoxHub

    # Metadata given as for the peer (the bench server has no model catalog to read it from).
    return IndoxHub(
        model=shapes.MODEL, api_key=KEY, base_url=server.url(variant),
        context_window=128000, num_output=1024, is_function_calling_model=True,
    )  # fmt: skip


def chat_openai(server: Server, variant: str) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=shapes.OPENAI_MODEL, api_key=KEY, base_url=server.url(variant) + "/v1")


def li_openai_like(server: Server, variant: str) -> Any:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=shapes.OPENAI_MODEL, api_key=KEY, api_base=server.url(variant) + "/v1",
        is_chat_model=True, is_function_calling_model=True, context_window=128000,
    )  # fmt: skip


FLOOR_LI = "floor CustomLLM.chat (llama-index)"
"""The thinnest LlamaIndex LLM there can be: what any LlamaIndex LLM costs at least."""


def li_floor(server: Server, variant: str) -> Any:
    """The floor contender for LlamaIndex: a ``CustomLLM`` whose ``chat`` posts the request
    with raw httpx and returns a ``ChatResponse``, decorated with LlamaIndex's own
    ``llm_chat_callback`` (as any LLM is: events, span, callback manager). No options, no
    usage, no error handling: what every LlamaIndex LLM pays before doing anything useful.
    Its ``achat`` does the same with an aiohttp-backed ``httpx.AsyncClient``
    (``bench/concurrency.py``)."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        LLMMetadata,
    )
    from llama_index.core.llms import CustomLLM
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

    from bench.floor import async_client

    client = httpx.Client(base_url=server.url(variant))
    aclient = async_client(server.url(variant))
    path = "/api/v1/chat/completions"

    def body(messages: Any) -> dict[str, Any]:
        wire = [{"role": m.role.value, "content": m.content} for m in messages]
        return {"messages": wire, "model": shapes.MODEL}

    def response(answer: dict[str, Any]) -> ChatResponse:
        text = answer.get("data") or ""
        return ChatResponse(message=ChatMessage(role="assistant", content=text), raw=answer)

    class FloorLLM(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True, model_name=shapes.MODEL)

        @llm_chat_callback()
        def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
            return response(client.post(path, json=body(messages)).json())

        @llm_chat_callback()
        async def achat(self, messages: Any, **kwargs: Any) -> ChatResponse:
            return response((await aclient.post(path, json=body(messages))).json())

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            return CompletionResponse(text="")

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            raise NotImplementedError

    return FloorLLM()


def _stream_text(obj: dict[str, Any]) -> str:
    """The text of one event, by hand: a Responses delta or an OpenAI chunk."""
    if obj.get("type") == "response.content_part.delta":
        return str(obj.get("delta") or "")
    choices = obj.get("choices")
    if choices:
        return str(choices[0].get("delta", {}).get("content") or "")
    return ""


def raw_read_stream(lines: Any, keep: list[str] | None) -> None:
    """Consume SSE lines by hand: decode each ``data:`` payload, pick its text."""
    for line in lines:
        if line.startswith("data: ") and line != "data: [DONE]":
            text = _stream_text(json.loads(line[6:]))
            if keep is not None:
                keep.append(text)


# --------------------------------------------------------------------------- invoke


ROUTES = {
    RAW: ("/api/v1/chat/completions", shapes.indoxhub_chat_request),
    RAW_COMPLETION: ("/api/v1/completions", shapes.indoxhub_completion_request),
    RAW_OPENAI: ("/v1/chat/completions", shapes.openai_chat_request),
}


def _raw_invoke(name: str) -> Contender:
    path, body = ROUTES[name]

    def build(server: Server) -> Any:
        client = httpx.Client(base_url=server.url("c"))
        payload = body()
        return lambda: client.post(path, json=payload).json()

    return Contender(name, name, build)


def _araw_invoke(name: str, concurrency: int, variant: str = "c") -> Contender:
    path, body = ROUTES[name]

    def build(server: Server) -> Any:
        # The core's pool limits (the openai SDK keeps 100 connections alive too): httpx's
        # default keeps 20, and would reconnect 44 of 64 connections on every batch.
        client = httpx.AsyncClient(base_url=server.url(variant), limits=_core_limits())
        payload = body()

        async def one() -> Any:
            return (await client.post(path, json=payload)).json()

        return _fan_out(one, concurrency)

    return Contender(name, name, build)


def _core_limits() -> httpx.Limits:
    try:
        from indoxhub_integrations.core.client import LIMITS
    except ImportError:  # pragma: no cover - the core always imports
        return httpx.Limits(max_connections=200, max_keepalive_connections=100)
    return LIMITS


def _fan_out(one: Callable[[], Any], concurrency: int) -> Callable[[], Any]:
    if concurrency == 1:
        return one

    async def many() -> Any:
        return await asyncio.gather(*(one() for _ in range(concurrency)))

    return many


def invoke_contenders() -> list[Contender]:
    def core(server: Server) -> Any:
        client = _core(server, "c")
        return lambda: client.chat(shapes.MESSAGES, model=shapes.MODEL)

    def lc_chat(server: Server) -> Any:
        model = chat_indoxhub(server, "c")
        return lambda: model.invoke(_messages_lc())

    def lc_llm(server: Server) -> Any:
        model = llm_indoxhub(server, "c")
        return lambda: model.invoke(_messages_lc())

    def li_chat(server: Server) -> Any:
        llm, messages = li_indoxhub(server, "c"), _messages_li()
        return lambda: llm.chat(messages)

    def peer_lc(server: Server) -> Any:
        model = chat_openai(server, "c")
        return lambda: model.invoke(_messages_lc())

    def peer_li(server: Server) -> Any:
        llm, messages = li_openai_like(server, "c"), _messages_li()
        return lambda: llm.chat(messages)

    def floor_lc(server: Server) -> Any:
        model = floor_chat(server, "c")
        return lambda: model.invoke(_messages_lc())

    def floor_li(server: Server) -> Any:
        llm, messages = li_floor(server, "c"), _messages_li()
        return lambda: llm.chat(messages)

    return [
        _raw_invoke(RAW),
        Contender("core IndoxHubClient.chat", RAW, core),
        Contender(FLOOR_LC, RAW, floor_lc),
        Contender("ChatIndoxHub.invoke", RAW, lc_chat, floor=FLOOR_LC),
        Contender(FLOOR_LI, RAW, floor_li),
        Contender("IndoxHub.chat (llama-index)", RAW, li_chat, floor=FLOOR_LI),
        Contender(LI_VS_FLOOR, FLOOR_LI, li_chat),
        _raw_invoke(RAW_COMPLETION),
        Contender("IndoxHubLLM.invoke", RAW_COMPLETION, lc_llm),
        _raw_invoke(RAW_OPENAI),
        Contender("peer ChatOpenAI.invoke", RAW_OPENAI, peer_lc),
        Contender("peer OpenAILike.chat", RAW_OPENAI, peer_li),
    ]


def ainvoke_contenders(concurrency: int) -> list[Contender]:
    def core(server: Server) -> Any:
        client = _acore(server, "c")

        async def one() -> Any:
            return await client.chat(shapes.MESSAGES, model=shapes.MODEL)

        return _fan_out(one, concurrency)

    def lc(factory: Callable[[Server, str], Any]) -> Callable[[Server], Any]:
        def build(server: Server) -> Any:
            model = factory(server, "c")

            async def one() -> Any:
                return await model.ainvoke(_messages_lc())

            return _fan_out(one, concurrency)

        return build

    def li(factory: Callable[[Server, str], Any]) -> Callable[[Server], Any]:
        def build(server: Server) -> Any:
            llm, messages = factory(server, "c"), _messages_li()

            async def one() -> Any:
                return await llm.achat(messages)

            return _fan_out(one, concurrency)

        return build

    return [
        _araw_invoke(RAW, concurrency),
        Contender("core AsyncIndoxHubClient.chat", RAW, core),
        Contender("ChatIndoxHub.ainvoke", RAW, lc(chat_indoxhub)),
        Contender("IndoxHub.achat (llama-index)", RAW, li(li_indoxhub)),
        _araw_invoke(RAW_COMPLETION, concurrency),
        Contender("IndoxHubLLM.ainvoke", RAW_COMPLETION, lc(llm_indoxhub)),
        _araw_invoke(RAW_OPENAI, concurrency),
        Contender("peer ChatOpenAI.ainvoke", RAW_OPENAI, lc(chat_openai)),
        Contender("peer OpenAILike.achat", RAW_OPENAI, li(li_openai_like)),
    ]


# --------------------------------------------------------------------------- streams


def _raw_stream(name: str, variant: str, keep: bool = False) -> Contender:
    path, body = ROUTES[name]

    def build(server: Server) -> Any:
        client = httpx.Client(base_url=server.url(variant))
        payload = body(stream=True) if name != RAW_COMPLETION else {**body(), "stream": True}

        def run() -> Any:
            texts: list[str] | None = [] if keep else None
            with client.stream("POST", path, json=payload) as response:
                raw_read_stream(response.iter_lines(), texts)
            return "".join(texts) if texts is not None else None

        return run

    return Contender(name, name, build)


def stream_contenders(variant: str, keep_text: bool = False) -> list[Contender]:
    """Consume a whole stream. ``keep_text``: raw keeps and joins the text (memory cases)."""

    def core(server: Server) -> Any:
        client = _core(server, variant)

        def run() -> Any:
            for _ in client.stream_chat(shapes.MESSAGES, model=shapes.MODEL):
                pass

        return run

    def lc(factory: Callable[[Server, str], Any]) -> Callable[[Server], Any]:
        def build(server: Server) -> Any:
            model = factory(server, variant)

            def run() -> Any:
                for _ in model.stream(_messages_lc()):
                    pass

            return run

        return build

    def li(factory: Callable[[Server, str], Any]) -> Callable[[Server], Any]:
        def build(server: Server) -> Any:
            llm, messages = factory(server, variant), _messages_li()

            def run() -> Any:
                for _ in llm.stream_chat(messages):
                    pass

            return run

        return build

    return [
        _raw_stream(RAW, variant, keep_text),
        Contender("core IndoxHubClient.stream_chat", RAW, core),
        Contender(FLOOR_LC, RAW, lc(floor_chat)),
        Contender("ChatIndoxHub.stream", RAW, lc(chat_indoxhub), floor=FLOOR_LC),
        Contender("IndoxHub.stream_chat (llama-index)", RAW, li(li_indoxhub)),
        _raw_stream(RAW_COMPLETION, variant, keep_text),
        Contender("IndoxHubLLM.stream", RAW_COMPLETION, lc(llm_indoxhub)),
        _raw_stream(RAW_OPENAI, variant, keep_text),
        Contender("peer ChatOpenAI.stream", RAW_OPENAI, lc(chat_openai)),
        Contender("peer OpenAILike.stream_chat", RAW_OPENAI, li(li_openai_like)),
    ]


# --------------------------------------------------------------------------- embeddings


def _batches(texts: list[str]) -> list[list[str]]:
    size = shapes.EMBED_BATCH
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def _raw_embed(name: str, texts: list[str], is_async: bool) -> Contender:
    openai = name == RAW_OPENAI
    path = "/v1/embeddings" if openai else "/api/v1/embeddings"
    field, model = ("input", shapes.OPENAI_EMBED_MODEL) if openai else ("text", shapes.EMBED_MODEL)
    bodies = [{field: batch, "model": model} for batch in _batches(texts)]

    def build(server: Server) -> Any:
        if not is_async:
            client = httpx.Client(base_url=server.url("c"))

            def run() -> list[list[float]]:
                vectors: list[list[float]] = []
                for body in bodies:
                    data = client.post(path, json=body).json()["data"]
                    vectors.extend(item["embedding"] for item in data)
                return vectors

            return run
        aclient = httpx.AsyncClient(base_url=server.url("c"))

        async def arun() -> list[list[float]]:
            semaphore = asyncio.Semaphore(shapes.EMBED_CONCURRENCY)

            async def one(body: dict[str, Any]) -> list[list[float]]:
                async with semaphore:
                    response = await aclient.post(path, json=body)
                return [item["embedding"] for item in response.json()["data"]]

            parts = await asyncio.gather(*(one(body) for body in bodies))
            return [vector for part in parts for vector in part]

        return arun

    return Contender(name, name, build)


def embed_contenders(count: int, is_async: bool) -> list[Contender]:
    texts = shapes.embed_texts(count)

    def core(server: Server) -> Any:
        if not is_async:
            client = _core(server, "c")

            def run() -> list[list[float]]:
                vectors: list[list[float]] = []
                for batch in _batches(texts):
                    vectors.extend(client.embed(batch, model=shapes.EMBED_MODEL).vectors)
                return vectors

            return run
        aclient = _acore(server, "c")

        async def arun() -> list[list[float]]:
            semaphore = asyncio.Semaphore(shapes.EMBED_CONCURRENCY)

            async def one(batch: list[str]) -> list[list[float]]:
                async with semaphore:
                    return (await aclient.embed(batch, model=shapes.EMBED_MODEL)).vectors

            parts = await asyncio.gather(*(one(batch) for batch in _batches(texts)))
            return [vector for part in parts for vector in part]

        return arun

    def lc_ours(server: Server) -> Any:
        from indoxhub_integrations.langchain import IndoxHubEmbeddings

        emb = IndoxHubEmbeddings(
            model=shapes.EMBED_MODEL, api_key=KEY, base_url=server.url("c"),
            chunk_size=shapes.EMBED_BATCH, max_concurrency=shapes.EMBED_CONCURRENCY,
        )  # fmt: skip
        return (lambda: emb.aembed_documents(texts)) if is_async else (
            lambda: emb.embed_documents(texts)
        )

    def li_ours(server: Server) -> Any:
        from indoxhub_integrations.llama_index import IndoxHubEmbedding

        emb = IndoxHubEmbedding(
            model=shapes.EMBED_MODEL, api_key=KEY, base_url=server.url("c"),
            embed_batch_size=shapes.EMBED_BATCH, max_concurrency=shapes.EMBED_CONCURRENCY,
        )  # fmt: skip
        return (lambda: emb.aget_text_embedding_batch(texts)) if is_async else (
            lambda: emb.get_text_embedding_batch(texts)
        )

    def lc_peer(server: Server) -> Any:
        from langchain_openai import OpenAIEmbeddings

        emb = OpenAIEmbeddings(
            model=shapes.OPENAI_EMBED_MODEL, api_key=KEY, base_url=server.url("c") + "/v1",
            chunk_size=shapes.EMBED_BATCH, check_embedding_ctx_length=False,
        )  # type: ignore[call-arg]  # fmt: skip
        return (lambda: emb.aembed_documents(texts)) if is_async else (
            lambda: emb.embed_documents(texts)
        )

    def li_peer(server: Server) -> Any:
        from llama_index.embeddings.openai import OpenAIEmbedding

        emb = OpenAIEmbedding(
            model_name=shapes.OPENAI_EMBED_MODEL, api_key=KEY, api_base=server.url("c") + "/v1",
            embed_batch_size=shapes.EMBED_BATCH, num_workers=shapes.EMBED_CONCURRENCY,
        )  # fmt: skip
        return (lambda: emb.aget_text_embedding_batch(texts)) if is_async else (
            lambda: emb.get_text_embedding_batch(texts)
        )

    suffix = "aembed_documents" if is_async else "embed_documents"
    li_suffix = "aget_text_embedding_batch" if is_async else "get_text_embedding_batch"
    core_name = "core AsyncIndoxHubClient.embed" if is_async else "core IndoxHubClient.embed"
    return [
        _raw_embed(RAW, texts, is_async),
        Contender(core_name, RAW, core),
        Contender(f"IndoxHubEmbeddings.{suffix}", RAW, lc_ours),
        Contender(f"IndoxHubEmbedding.{li_suffix}", RAW, li_ours),
        _raw_embed(RAW_OPENAI, texts, is_async),
        Contender(f"peer OpenAIEmbeddings.{suffix}", RAW_OPENAI, lc_peer),
        Contender(f"peer OpenAIEmbedding.{li_suffix} (llama-index)", RAW_OPENAI, li_peer),
    ]

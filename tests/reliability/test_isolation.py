"""Key isolation: concurrent calls with different per-call BYOK keys, on shared objects, in
threads and in asyncio tasks, through the core and both frameworks. The emulator's log
(``byok_key_sha256``) must show that every request carried exactly its own key, and that calls
without a key carried none (or the instance's own)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .conftest import CHAT, EMBED, aclient_for, client_for, messages

MARKER = re.compile(r"iso\d{4}q")


def key_for(index: int) -> str | None:
    """A distinct OpenAI-shaped key per call; every fifth call has none (platform)."""
    return None if index % 5 == 4 else f"sk-proj-ISOLATION{index:04d}{'k' * 24}"


def marker(index: int) -> str:
    return f"iso{index:04d}q"


def sha(key: str | None) -> str | None:
    return hashlib.sha256(key.encode()).hexdigest() if key else None


def check_log(emulator: Any, expected: dict[str, str | None], calls: int) -> None:
    """Every logged model call carried the key its marker was sent with, and only that key."""
    records = [r for r in emulator.requests if r.endpoint]
    seen: dict[str, int] = {}
    for record in records:
        found = set(MARKER.findall(json.dumps(record.json)))
        assert len(found) == 1, f"one marker per request, got {found}"
        (mark,) = found
        seen[mark] = seen.get(mark, 0) + 1
        assert record.byok_key_sha256 == sha(expected[mark]), f"{mark} carried another key"
        assert record.byok is (expected[mark] is not None)
        assert record.status == 200
    assert len(seen) == calls == len(expected)


# --------------------------------------------------------------------------- core


def test_core_threads_share_one_client(emulator: Any) -> None:
    client = client_for(emulator, max_retries=0)
    expected = {marker(i): key_for(i) for i in range(48)}

    def work(index: int) -> None:
        key, text = key_for(index), f"remember {marker(index)}"
        if index % 3 == 0:
            assert marker(index) in client.chat(messages(text), model=CHAT, byok_api_key=key).text
        elif index % 3 == 1:
            events = list(client.stream_chat(messages(text), model=CHAT, byok_api_key=key))
            assert marker(index) in events[-1].result.text
        else:
            assert client.embed([text], model=EMBED, byok_api_key=key).meta.byok is bool(key)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(work, range(48)))
    check_log(emulator, expected, 48)


async def test_core_tasks_share_one_client_with_an_instance_key(
    emulator: Any, byok_key: str
) -> None:
    # calls without a per-call key use the instance's key; per-call keys win
    expected = {marker(i): key_for(i) or byok_key for i in range(60)}
    async with aclient_for(emulator, max_retries=0, byok_api_key=byok_key) as client:

        async def work(index: int) -> None:
            key, text = key_for(index), f"remember {marker(index)}"
            if index % 3 == 0:
                result = await client.chat(messages(text), model=CHAT, byok_api_key=key)
                assert marker(index) in result.text
            elif index % 3 == 1:
                events = [
                    e
                    async for e in await client.stream_chat(
                        messages(text), model=CHAT, byok_api_key=key
                    )
                ]
                assert marker(index) in events[-1].result.text
            else:
                await client.complete(text, model=CHAT, byok_api_key=key)

        await asyncio.gather(*(work(i) for i in range(60)))
    check_log(emulator, expected, 60)


# --------------------------------------------------------------------------- LlamaIndex


def test_llama_index_threads(emulator: Any) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.base.llms.types import ChatMessage

    from indoxhub_integrations.llama_index import IndoxHub

    llm = IndoxHub(model=CHAT, api_key=emulator.api_key, base_url=emulator.base_url)
    expected = {marker(i): key_for(i) for i in range(40)}

    def work(index: int) -> None:
        text = f"remember {marker(index)}"
        kw = {"byok_api_key": key_for(index)} if key_for(index) else {}
        if index % 4 == 0:
            reply = llm.chat([ChatMessage(role="user", content=text)], **kw).message.content
        elif index % 4 == 1:
            reply = list(llm.stream_chat([ChatMessage(role="user", content=text)], **kw))[-1]
            reply = reply.message.content
        elif index % 4 == 2:
            reply = llm.complete(text, **kw).text
        else:
            reply = list(llm.stream_complete(text, **kw))[-1].text
        assert marker(index) in str(reply)

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(work, range(40)))
    check_log(emulator, expected, 40)


async def test_llama_index_tasks_and_embedding_instances(emulator: Any) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.base.llms.types import ChatMessage

    from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding

    conn = {"api_key": emulator.api_key, "base_url": emulator.base_url}
    llm = IndoxHub(model=CHAT, **conn)
    embedders = {
        i: IndoxHubEmbedding(model=EMBED, byok_api_key=key_for(i), **conn) for i in range(40, 52)
    }  # embeddings take keys per instance
    expected = {marker(i): key_for(i) for i in range(52)}

    async def work(index: int) -> None:
        text = f"remember {marker(index)}"
        kw = {"byok_api_key": key_for(index)} if key_for(index) else {}
        if index >= 40:
            await embedders[index].aget_text_embedding_batch([text])
        elif index % 2:
            response = await llm.achat([ChatMessage(role="user", content=text)], **kw)
            assert marker(index) in str(response.message.content)
        else:
            chunks = [c async for c in await llm.astream_complete(text, **kw)]
            assert marker(index) in chunks[-1].text

    await asyncio.gather(*(work(i) for i in range(52)))
    check_log(emulator, expected, 52)


# --------------------------------------------------------------------------- LangChain


def test_langchain_threads(emulator: Any) -> None:
    pytest.importorskip("langchain_core")
    from indoxhub_integrations.langchain import ChatIndoxHub, IndoxHubLLM

    conn = {"api_key": emulator.api_key, "base_url": emulator.base_url}
    chat, llm = ChatIndoxHub(model=CHAT, **conn), IndoxHubLLM(model=CHAT, **conn)
    bound = {i: chat.bind(byok_api_key=key_for(i)) for i in range(30, 40) if key_for(i)}
    expected = {marker(i): key_for(i) for i in range(40)}

    def work(index: int) -> None:
        text = f"remember {marker(index)}"
        kw = {"byok_api_key": key_for(index)} if key_for(index) else {}
        if index in bound:
            reply = bound[index].invoke(text).content
        elif index % 3 == 0:
            reply = chat.invoke(text, **kw).content
        elif index % 3 == 1:
            reply = "".join(str(c.content) for c in chat.stream(text, **kw))
        else:
            reply = llm.invoke(text, **kw)
        assert marker(index) in str(reply)

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(work, range(40)))
    check_log(emulator, expected, 40)


async def test_langchain_tasks_and_embedding_instances(emulator: Any) -> None:
    pytest.importorskip("langchain_core")
    from indoxhub_integrations.langchain import ChatIndoxHub, IndoxHubEmbeddings

    conn = {"api_key": emulator.api_key, "base_url": emulator.base_url}
    chat = ChatIndoxHub(model=CHAT, **conn)
    embedders = {
        i: IndoxHubEmbeddings(model=EMBED, byok_api_key=key_for(i), **conn) for i in range(40, 50)
    }
    expected = {marker(i): key_for(i) for i in range(50)}

    async def work(index: int) -> None:
        text = f"remember {marker(index)}"
        kw = {"byok_api_key": key_for(index)} if key_for(index) else {}
        if index >= 40:
            await embedders[index].aembed_query(text)
        elif index % 2:
            assert marker(index) in str((await chat.ainvoke(text, **kw)).content)
        else:
            chunks = [str(c.content) async for c in chat.astream(text, **kw)]
            assert marker(index) in "".join(chunks)

    await asyncio.gather(*(work(i) for i in range(50)))
    # batch() runs its inputs in threads with one set of kwargs: each input is still its own
    results = chat.batch([f"remember {marker(i)}" for i in range(50, 56)], byok_api_key=key_for(50))
    assert all(marker(50 + n) in str(r.content) for n, r in enumerate(results))
    expected.update({marker(i): key_for(50) for i in range(50, 56)})
    check_log(emulator, expected, 56)

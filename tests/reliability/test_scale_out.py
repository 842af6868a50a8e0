"""Scale-out: models, LLMs and embeddings of both frameworks pickle without their live clients
or locks, and work in a ``ProcessPoolExecutor`` (spawn) and in a Ray Data ``map_batches`` job,
against the emulator on loopback."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import pickletools
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from indoxhub_integrations.emulator.catalog import MODELS
from indoxhub_integrations.emulator.model import embed as emulator_embed

from .conftest import CHAT, EMBED, client_for, messages

sys.path.insert(0, str(Path(__file__).parent))  # workers import scale_workers by name
import scale_workers

EMBED_SIZE = int(MODELS[EMBED].extra["dimensions"])  # the real size of the model's vectors

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LIVE = ("httpx", "httpcore", "_thread", "threading", "asyncio", "ssl", "socket", "anyio")
"""Modules whose objects (clients, pools, locks, loops, sockets) must never be pickled."""


def globals_in(data: bytes) -> set[str]:
    """The modules of every class or function a pickle refers to."""
    found: set[str] = set()
    strings: list[str] = []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(str(arg))
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add(strings[-2])
        elif opcode.name == "GLOBAL":
            found.add(str(arg).split()[0])
    return found


def models(emulator: Any) -> dict[str, Any]:
    conn = {"api_key": emulator.api_key, "base_url": emulator.base_url, "max_retries": 1}
    found: dict[str, Any] = {}
    try:
        from indoxhub_integrations.langchain import ChatIndoxHub, IndoxHubEmbeddings, IndoxHubLLM

        found["lc_chat"] = ChatIndoxHub(model=CHAT, **conn)
        found["lc_llm"] = IndoxHubLLM(model=CHAT, **conn)
        found["lc_embed"] = IndoxHubEmbeddings(model=EMBED, chunk_size=4, **conn)
    except ImportError:
        pass
    try:
        from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding

        found["li_llm"] = IndoxHub(model=CHAT, **conn)
        found["li_embed"] = IndoxHubEmbedding(model=EMBED, embed_batch_size=4, **conn)
    except ImportError:
        pass
    return found


async def warm_up(name: str, model: Any) -> None:
    """Use a model sync and async, so that its live clients, pools and locks exist."""
    if name in ("lc_chat", "lc_llm"):
        model.invoke("hi")
        await model.ainvoke("hi")
    elif name == "lc_embed":
        model.embed_documents(["a"])
        await model.aembed_documents(["b"])
    elif name == "li_llm":
        model.complete("hi")
        await model.acomplete("hi")
    else:
        model.get_text_embedding("a")
        await model.aget_text_embedding("b")


async def test_used_models_pickle_without_live_state(emulator: Any) -> None:
    found = models(emulator)
    found["core"] = client_for(emulator)
    found["core"].chat(messages(), model=CHAT)
    for name, model in found.items():
        if name != "core":
            await warm_up(name, model)
        data = pickle.dumps(model)
        live = {module for module in globals_in(data) if module.split(".")[0] in LIVE}
        assert not live, f"{name} pickled live objects from {live}"
        clone = pickle.loads(data)
        assert repr(clone) == repr(model) or type(clone) is type(model)
    assert len(found) >= 2


def test_process_pool_with_spawn(emulator: Any) -> None:
    found = models(emulator)
    if not found:
        pytest.skip("neither framework is installed")
    texts = [f"scale document {i} about whales" for i in range(10)]
    jobs = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        for index, (name, model) in enumerate(found.items()):
            if name in ("lc_chat", "lc_llm"):
                jobs.append(
                    (
                        name,
                        f"proc{index}x",
                        pool.submit(scale_workers.langchain_chat, model, f"proc{index}x"),
                    )
                )
            elif name == "li_llm":
                jobs.append(
                    (
                        name,
                        f"proc{index}x",
                        pool.submit(scale_workers.llama_index_chat, model, f"proc{index}x"),
                    )
                )
            elif name == "lc_embed":
                jobs.append((name, None, pool.submit(scale_workers.langchain_embed, model, texts)))
            else:
                jobs.append(
                    (name, None, pool.submit(scale_workers.llama_index_embed, model, texts))
                )
        outputs = [(name, marker, job.result(timeout=120)) for name, marker, job in jobs]
    expected = [emulator_embed(text, EMBED_SIZE) for text in texts]
    for name, marker, output in outputs:
        assert output["pid"] != os.getpid()  # the work really ran in another process
        if marker is None:
            assert output["vectors"] == expected, name
        else:
            assert marker in output["text"] and marker in output["streamed"], name
    calls = [r for r in emulator.requests if r.endpoint]
    assert all(r.status == 200 for r in calls) and len(calls) >= len(outputs)


# --------------------------------------------------------------------------- Ray


@pytest.fixture(scope="module")
def ray_runtime() -> Any:
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    # Ray workers do not share this process's sys.path: ship the worker module by value.
    ray.cloudpickle.register_pickle_by_value(scale_workers)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.mark.parametrize("name", ["lc_embed", "li_embed"])
def test_ray_data_map_batches_embeds_a_corpus(emulator: Any, ray_runtime: Any, name: str) -> None:
    import ray.data

    embeddings = models(emulator).get(name)
    if embeddings is None:
        pytest.skip("the framework is not installed")
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    corpus = [
        {"text": f"ray document {i} on {('whales', 'ships', 'tides')[i % 3]}"} for i in range(120)
    ]
    rows = (
        ray.data.from_items(corpus)
        .map_batches(
            scale_workers.EmbedBatch,
            fn_constructor_args=(embeddings,),
            batch_size=40,
            compute=ray.data.ActorPoolStrategy(size=1),
        )
        .take_all()
    )
    assert sorted(row["text"] for row in rows) == sorted(item["text"] for item in corpus)
    for row in rows:
        assert list(row["vector"]) == pytest.approx(emulator_embed(row["text"], EMBED_SIZE))
    assert os.getpid() not in {row["pid"] for row in rows}  # embedded in the Ray actor
    calls = [r for r in emulator.requests if r.endpoint == "embedding"]
    assert sum(len(r.json["text"]) for r in calls) == len(corpus)

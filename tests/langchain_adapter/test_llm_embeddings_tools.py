"""IndoxHubLLM, IndoxHubEmbeddings and the media tools against the emulator."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from indoxhub_integrations.langchain import (
    IndoxHubEmbeddings,
    IndoxHubImageGenerationTool,
    IndoxHubLLM,
    IndoxHubSpeechToTextTool,
    IndoxHubTextToSpeechTool,
    get_indoxhub_callback,
)


def _conn(emulator: Any) -> dict[str, Any]:
    return {"base_url": emulator.base_url, "api_key": emulator.api_key}


def _calls(emulator: Any, endpoint: str) -> list[Any]:
    return [r for r in emulator.requests if r.endpoint == endpoint]


# ---------------------------------------------------------------- IndoxHubLLM
async def test_llm_sync_async_streaming(emulator: Any, byok_key: str) -> None:
    llm = IndoxHubLLM(temperature=0.4, stop=["zzz"], **_conn(emulator))
    text = llm.invoke("Once upon a time")
    assert "Once upon a time" in text
    body = _calls(emulator, "completion")[-1].json
    assert body["prompt"] == "Once upon a time"
    assert body["temperature"] == 0.4
    assert body["additional_params"]["stop"] == ["zzz"]
    assert await llm.ainvoke("Hello") == llm.invoke("Hello")
    assert "".join(llm.stream("Hello")) == llm.invoke("Hello")
    assert "".join([t async for t in llm.astream("Hello")]) == llm.invoke("Hello")
    llm.invoke("Hello", byok_api_key=byok_key)
    assert _calls(emulator, "completion")[-1].byok is True
    list(llm.stream("Hello", byok_api_key=byok_key))
    assert _calls(emulator, "completion")[-1].byok is True


def test_llm_generation_info_and_batch(emulator: Any) -> None:
    llm = IndoxHubLLM(**_conn(emulator))
    result = llm.generate(["a", "b"])
    info = result.generations[0][0].generation_info
    assert info is not None
    assert info["model_provider"] == "indoxhub"
    assert info["endpoint"] == "completion"
    assert info["cost"] is not None and info["byok"] is False
    assert info["usage"]["input_tokens"] > 0
    assert result.llm_output is not None
    assert result.llm_output["token_usage"]["total_tokens"] > 0
    with get_indoxhub_callback() as cb:
        assert len(llm.batch(["x", "y", "z"])) == 3
    assert cb.by_endpoint()["completion"]["requests"] == 3


# ---------------------------------------------------------------- IndoxHubEmbeddings
def test_embeddings_batches_order_and_dimensions(emulator: Any) -> None:
    texts = [f"document number {i} about topic {i % 3}" for i in range(7)]
    embeddings = IndoxHubEmbeddings(chunk_size=3, dimensions=32, **_conn(emulator))
    vectors = embeddings.embed_documents(texts)
    calls = _calls(emulator, "embedding")
    assert [len(r.json["text"]) for r in calls] == [3, 3, 1]
    assert [t for r in calls for t in r.json["text"]] == texts
    assert all(r.json["additional_params"] == {"dimensions": 32} for r in calls)
    assert len(vectors) == 7
    assert vectors[4] == embeddings.embed_query(texts[4])
    assert embeddings.embed_documents([]) == []


async def test_async_embeddings_preserve_order_and_report(emulator: Any) -> None:
    texts = [f"text {i}" for i in range(10)]
    embeddings = IndoxHubEmbeddings(chunk_size=2, max_concurrency=3, **_conn(emulator))
    with get_indoxhub_callback() as cb:
        vectors = await embeddings.aembed_documents(texts)
    assert vectors == embeddings.embed_documents(texts)
    assert cb.requests == 5
    assert cb.by_endpoint()["embedding"]["requests"] == 5
    assert cb.total_cost == pytest.approx(
        sum(r.cost for r in _calls(emulator, "embedding")[:5]), abs=1e-12
    )


def test_similar_texts_score_similar(emulator: Any) -> None:
    embeddings = IndoxHubEmbeddings(**_conn(emulator))
    cat, kitten, tax = embeddings.embed_documents(
        ["the cat sat on the mat", "a cat sat on a mat", "quarterly tax filing deadlines"]
    )

    def cosine(a: list[float], b: list[float]) -> float:
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))

    assert cosine(cat, kitten) > cosine(cat, tax)


def test_embeddings_progress_bar(emulator: Any, capsys: pytest.CaptureFixture[str]) -> None:
    embeddings = IndoxHubEmbeddings(chunk_size=2, show_progress_bar=True, **_conn(emulator))
    assert len(embeddings.embed_documents(["a", "b", "c"])) == 3
    assert "indoxhub embeddings" in capsys.readouterr().err


# ---------------------------------------------------------------- tools
def test_image_tool(emulator: Any, tmp_path: Path) -> None:
    tool = IndoxHubImageGenerationTool(output_dir=str(tmp_path), **_conn(emulator))
    with get_indoxhub_callback() as cb:
        message = tool.invoke(
            {"type": "tool_call", "id": "1", "name": tool.name, "args": {"prompt": "a fox"}}
        )
    assert isinstance(message, ToolMessage)
    assert message.artifact and len(message.artifact) == 1
    image = message.artifact[0]
    assert image["url"] or image["path"]
    if image["path"]:
        assert Path(image["path"]).read_bytes().startswith(b"\x89PNG")
        assert message.content == image["path"]
    record = _calls(emulator, "image")[-1]
    assert cb.by_endpoint()["image"]["requests"] == 1
    assert cb.total_cost == pytest.approx(record.cost)
    assert cb.records[0].images == 1


async def test_image_tool_async_google_size_and_byok(emulator: Any, tmp_path: Path) -> None:
    tool = IndoxHubImageGenerationTool(
        model="google/imagen-3.0-generate-002", output_dir=str(tmp_path), **_conn(emulator)
    )
    await tool.ainvoke({"prompt": "a lake", "size": "1792x1024"})
    body = _calls(emulator, "image")[-1].json
    assert body["aspect_ratio"] == "16:9" and "size" not in body
    byok = IndoxHubImageGenerationTool(
        byok_api_key="sk-test-openai-abcdefgh", output_dir=str(tmp_path), **_conn(emulator)
    )
    with get_indoxhub_callback() as cb:
        byok.invoke({"prompt": "a lake"})
    assert cb.byok_requests == 1 and cb.total_cost == 0.0


def test_speech_round_trip(emulator: Any, tmp_path: Path) -> None:
    speak = IndoxHubTextToSpeechTool(
        output_dir=str(tmp_path), audio_format="wav", voice="alloy", **_conn(emulator)
    )
    listen = IndoxHubSpeechToTextTool(root_dir=str(tmp_path), **_conn(emulator))
    with get_indoxhub_callback() as cb:
        message = speak.invoke(
            {"type": "tool_call", "id": "1", "name": speak.name, "args": {"text": "hello world"}}
        )
        path = Path(message.content)  # the documented URL answer, downloaded into output_dir
        assert path.parent == tmp_path and message.artifact["path"] == str(path)
        assert message.artifact["url"].startswith(emulator.base_url)
        assert path.read_bytes()[:4] == b"RIFF"
        transcript = listen.invoke({"audio_path": str(path)})
    assert "hello world" in transcript.lower()
    assert _calls(emulator, "text_to_speech")[-1].json["voice"] == "alloy"
    assert set(cb.by_endpoint()) == {"text_to_speech", "speech_to_text"}
    assert cb.records[0].characters == len("hello world")


def test_tools_report_to_explicit_handlers(emulator: Any, tmp_path: Path) -> None:
    from indoxhub_integrations.langchain import IndoxHubCallbackHandler

    handler = IndoxHubCallbackHandler()
    tool = IndoxHubImageGenerationTool(output_dir=str(tmp_path), **_conn(emulator))
    tool.invoke({"prompt": "a fox"}, config={"callbacks": [handler]})
    assert handler.requests == 1


def test_import_does_not_pull_llama_index() -> None:
    import subprocess

    code = (
        "import sys, indoxhub_integrations.langchain as m; "
        "bad = [n for n in sys.modules if n.startswith(('llama_index', 'llama_'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_async_embeddings_concurrency_is_bounded(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    embeddings = IndoxHubEmbeddings(chunk_size=1, max_concurrency=2, **_conn(emulator))
    client = embeddings.clients.async_
    real_embed = client.embed
    in_flight = peak = 0

    async def counting_embed(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.01)
            return await real_embed(*args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(client, "embed", counting_embed)
    vectors = await embeddings.aembed_documents([f"t{i}" for i in range(8)])
    assert len(vectors) == 8
    assert peak == 2


@pytest.mark.parametrize("max_concurrency", [1, 4])
async def test_aembed_documents_cancels_the_other_batches_on_failure(
    emulator: Any, max_concurrency: int
) -> None:
    from indoxhub_integrations.errors import InvalidRequestError

    embeddings = IndoxHubEmbeddings(
        base_url=emulator.base_url,
        api_key=emulator.api_key,
        chunk_size=1,
        max_concurrency=max_concurrency,
    )
    emulator.enqueue("/embeddings", status=400, json={"detail": "bad batch"})
    with pytest.raises(InvalidRequestError):
        await embeddings.aembed_documents([f"text {i}" for i in range(20)])

    # One more round trip on the same client: anything left running would have sent by now.
    await embeddings.aembed_query("later")
    batches = [
        r for r in emulator.requests
        if r.path.endswith("/embeddings") and r.json.get("text") != ["later"]
    ]  # fmt: skip
    # Only what was already in flight when the first batch failed (those may still be logged
    # by the server after the error reached us, so the count is a bound, not an exact number).
    assert 1 <= len(batches) <= max_concurrency

"""Canary sweep: the platform key and BYOK keys never show up outside the HTTP request."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from langchain_core.runnables import ConfigurableField
from langchain_core.tools import tool
from pydantic import BaseModel, SecretStr

from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubEmbeddings,
    IndoxHubImageGenerationTool,
    IndoxHubLLM,
    IndoxHubTextToSpeechTool,
    get_indoxhub_callback,
)

from ..conftest import CANARY_ANTHROPIC_KEY


def _make_recorder() -> type[BaseCallbackHandler]:
    names = {
        name
        for base in (BaseCallbackHandler, AsyncCallbackHandler)
        for name in dir(base)
        if name.startswith("on_")
    }

    def record(name: str) -> Any:
        def method(self: Any, *args: Any, **kwargs: Any) -> None:
            self.seen.append(f"{name} {args!r} {kwargs!r}")

        return method

    namespace: dict[str, Any] = {name: record(name) for name in names}
    namespace["__init__"] = lambda self: setattr(self, "seen", [])
    return type("Recorder", (BaseCallbackHandler,), namespace)


Recorder = _make_recorder()


class Answer(BaseModel):
    """An answer."""

    text: str


@tool
def lookup(query: str) -> str:
    """Look something up."""
    return "found"


def _texts_without(canaries: list[str], texts: dict[str, str]) -> None:
    for where, text in texts.items():
        for canary in canaries:
            assert canary not in text, f"a key leaked into {where}"


async def test_canary_sweep(
    emulator: Any,
    platform_key: str,
    byok_key: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    config: Any = {"callbacks": [recorder]}
    conn = {"base_url": emulator.base_url, "api_key": platform_key}
    assert emulator.api_key == platform_key
    byok_secret = SecretStr(byok_key)
    outputs: list[Any] = []

    chat = ChatIndoxHub(**conn)
    chat_byok = ChatIndoxHub(byok_api_key=byok_key, **conn)
    bound = chat.bind(byok_api_key=byok_key)
    with get_indoxhub_callback() as cb:
        outputs.append(chat.invoke("Hello", config=config, byok_api_key=byok_key))
        outputs.append(chat.invoke("Hello", config=config, byok_api_key=byok_secret))
        outputs.extend(bound.stream("Hello", config=config))
        outputs.append(await bound.ainvoke("Hello", config=config))
        outputs.extend([c async for c in chat.astream("Hi", config=config, byok_api_key=byok_key)])
        outputs.extend(chat.batch(["a", "b"], config=config, byok_api_key=byok_key))
        outputs.append(chat_byok.invoke("Hello", config=config))
        outputs.extend(
            [e async for e in chat.astream_events("Hi", config=config, byok_api_key=byok_key)]
        )
        outputs.extend([e async for e in bound.astream_events("Hi", config=config)])
        v3 = chat.stream_events("Hello", config=config, version="v3", byok_api_key=byok_key)
        outputs.extend(list(v3))
        outputs.append(v3.output)
        tools_model = chat.bind_tools([lookup], tool_choice="any").bind(byok_api_key=byok_key)
        outputs.append(tools_model.invoke("look up otters", config=config))
        structured = chat_byok.with_structured_output(Answer, include_raw=True)
        outputs.append(structured.invoke("Hello", config=config))
        configurable = chat.configurable_fields(byok_api_key=ConfigurableField(id="byok"))
        outputs.append(
            configurable.invoke("Hello", config={**config, "configurable": {"byok": byok_secret}})
        )
        llm = IndoxHubLLM(**conn)
        outputs.append(llm.invoke("Hello", config=config, byok_api_key=byok_key))
        outputs.extend(llm.stream("Hello", config=config, byok_api_key=byok_key))
        outputs.extend([t async for t in llm.astream("Hi", config=config, byok_api_key=byok_key)])
        outputs.append(llm.generate(["x"], callbacks=[recorder], byok_api_key=byok_key))
        embeddings = IndoxHubEmbeddings(byok_api_key=byok_key, **conn)
        outputs.append(embeddings.embed_documents(["a", "b"]))
        outputs.append(await embeddings.aembed_query("c"))
        image = IndoxHubImageGenerationTool(byok_api_key=byok_key, output_dir=str(tmp_path), **conn)
        speech = IndoxHubTextToSpeechTool(byok_api_key=byok_key, output_dir=str(tmp_path), **conn)
        outputs.append(image.invoke({"prompt": "a fox"}, config=config))
        outputs.append(await speech.ainvoke({"text": "hello"}, config=config))
    assert cb.byok_requests >= 15
    assert [r.path for r in emulator.requests if r.endpoint and not r.byok] == []

    errors: list[BaseException] = []
    emulator.enqueue(
        status=401,
        json={"detail": f"Incorrect API key provided: {byok_key} (account {platform_key})"},
        times=2,  # the core re-authenticates once after a 401
    )
    with pytest.raises(Exception) as caught:
        chat.invoke("Hello", config=config, byok_api_key=byok_key)
    errors.append(caught.value)
    with pytest.raises(Exception) as caught:
        chat.invoke("Hello", byok_api_key=CANARY_ANTHROPIC_KEY, config=config)
    errors.append(caught.value)
    with pytest.raises(Exception) as caught:
        list(chat.stream("Hello", byok_api_key=byok_key + "-invalid", config=config))
    errors.append(caught.value)

    models = [chat, chat_byok, bound, llm, embeddings, image, speech, configurable, tools_model]
    texts = {
        "repr/str": "\n".join(f"{m!r} {m}" for m in models),
        "dumpd/dumps": "\n".join(
            f"{dumpd(m)} {dumps(m)}" for m in (chat, chat_byok, bound, llm, tools_model)
        ),
        "callback payloads": "\n".join(recorder.seen),
        "outputs and stream events": repr(outputs),
        "handler": f"{cb} {cb!r} {cb.records!r}",
        "exceptions": "\n".join(
            f"{e!r} {e} {e.args!r} {vars(e)!r} "
            + "".join(traceback.format_exception(type(e), e, e.__traceback__))
            for e in errors
        ),
        "DEBUG logs": caplog.text,
        "emulator request log": repr(emulator.requests),
    }
    assert recorder.seen and "on_chat_model_start" in texts["callback payloads"]
    assert "'byok': True" in texts["callback payloads"]  # the marker that replaces the key
    assert "byok=True" in caplog.text  # DEBUG logging was on and captured
    _texts_without([platform_key, byok_key, CANARY_ANTHROPIC_KEY], texts)

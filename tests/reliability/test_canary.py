"""Canary sweep: the platform key, BYOK keys (instance and per call) and the exchanged access
token appear nowhere but in the HTTP request itself.

Every public entry point of the core and of both adapters runs, succeeding and failing (the
server echoing keys back in 400/401/422/429 bodies and in a stream's error event), with the
root logger at DEBUG (``httpx``/``httpcore`` included), warnings and stdout/stderr captured,
recording callback handlers, LangChain ``astream_events`` and LLM cache keys, LlamaIndex event,
span and legacy callback handlers, serialization, ``repr``, the ``repr`` of unpickled copies,
pickled bytes (which may carry the configured keys, never a per-call key or a token) and full
exception tracebacks. Sending keys over plain http to a non-loopback host is refused unless
opted in.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import pickle
import socket
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from indoxhub_integrations.errors import IndoxHubError, InvalidRequestError

from ..conftest import CANARY_ANTHROPIC_KEY
from .conftest import CHAT, EMBED, aclient_for, client_for, messages, wait_for

PER_CALL_KEY = "sk-CANARYPERCALL-openai-77a1b2c3d4e5f6a7"
INVALID_KEY = "sk-CANARYINVALID-invalid-5e6f7a8b9c0d1e2f"  # the provider rejects it (401)
LOGGERS = (
    "",
    "httpx",
    "httpcore",
    "indoxhub_integrations",
    "langchain_core",
    "llama_index",
    "uvicorn",
    "asyncio",
)


class Sweep:
    """Everything a user or a tool could see, gathered as text."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.errors: list[BaseException] = []

    def add(self, where: str, value: Any) -> None:
        self.texts.append((where, value if isinstance(value, str) else repr(value)))

    def fails(self, where: str, call: Callable[[], Any]) -> IndoxHubError:
        try:
            call()
        except IndoxHubError as error:
            self.errors.append(error)
            return error
        raise AssertionError(f"{where} did not fail")

    async def afails(self, where: str, call: Callable[[], Any]) -> IndoxHubError:
        try:
            await call()
        except IndoxHubError as error:
            self.errors.append(error)
            return error
        raise AssertionError(f"{where} did not fail")

    def objects(self, where: str, *objects: Any) -> None:
        """``repr``/``str`` of objects, and of copies that went through pickle."""
        for obj in objects:
            self.add(f"{where} repr", f"{obj!r} {obj}")
            self.add(f"{where} unpickled repr", repr(pickle.loads(pickle.dumps(obj))))

    def check(self, secrets: list[str], pickled: list[Any], configured: int) -> None:
        """No secret anywhere; pickles of ``pickled`` hold only the first ``configured``
        secrets (the configured keys, which worker processes need), never the others."""
        for error in self.errors:
            self.add("exception", f"{error} {error!r} {error.args!r} {vars(error)!r}")
            self.add("traceback", "".join(traceback.format_exception(error)))
        assert len(self.texts) > 20
        for where, text in self.texts:
            for secret in secrets:
                assert secret not in text, f"a key leaked into {where}"
                assert secret[-12:] not in text, f"part of a key leaked into {where}"
        for obj in pickled:  # pickles keep configured keys, never per-call keys or tokens
            data = pickle.dumps(obj)
            for secret in secrets[configured:]:
                assert secret.encode() not in data, f"{secret[:12]} pickled with {obj!r}"


@pytest.fixture
def sweep(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> Iterator[Sweep]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    found = Sweep()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield found
        found.add("warnings", [str(w.message) for w in caught])
    out, err = capfd.readouterr()
    found.add("stdout/stderr", out + err)
    records = caplog.get_records("setup") + caplog.get_records("call")
    found.add("DEBUG logs", "\n".join(f"{r.name} {r.getMessage()}" for r in records))
    assert any(r.name.startswith("httpcore") for r in records)  # DEBUG really was on


def echo_failures(emulator: Any, key: str, platform_key: str) -> list[dict[str, Any]]:
    """Scripted error answers that echo the keys back, as careless servers do."""
    text = f"Incorrect API key provided: {key} (account {platform_key})"
    return [
        {"status": 401, "json": {"detail": text}, "times": 2},  # +1: the re-authentication
        {"status": 400, "json": {"detail": f"Bad BYOK key: {key}"}},
        {
            "status": 422,
            "json": {
                "detail": [
                    {
                        "loc": ["body", "byok_api_key"],
                        "msg": text,
                        "type": "value_error",
                        "input": key,
                    }
                ]
            },
        },
        {
            "status": 429,
            "json": {
                "success": False,
                "error": "RateLimitError",
                "message": text,
                "status_code": 429,
                "request_id": "r",
                "details": {"retry_after": 3600, "key": key},
            },
        },
    ]


def stream_echo(key: str, platform_key: str) -> dict[str, Any]:
    body = f'data: {{"error": "Status 401: bad key {key} for {platform_key}"}}\n\n'.encode()
    return {"body": body, "headers": {"content-type": "text/event-stream"}}


# --------------------------------------------------------------------------- core


async def test_core_sweep(
    emulator: Any, sweep: Sweep, platform_key: str, byok_key: str, tmp_path: Path
) -> None:
    client = client_for(emulator, byok_api_key=byok_key, token_exchange=True, max_retries=0)
    plain = client_for(emulator, token_exchange=True, max_retries=0)
    aclient = aclient_for(emulator, byok_api_keys={"openai": byok_key}, max_retries=0)
    hi = messages("Hello canary")
    results: list[Any] = [
        client.chat(hi, model=CHAT),
        client.chat(hi, model=CHAT, byok_api_key=PER_CALL_KEY),
        list(client.stream_chat(hi, model=CHAT, byok_api_key=PER_CALL_KEY)),
        client.complete("Once", model=CHAT, byok_api_key=SecretStr(PER_CALL_KEY)),
        list(client.stream_complete("Once", model=CHAT)),
        client.embed(["a", "b"], model=EMBED, byok_api_key=PER_CALL_KEY),
        client.generate_image("a fox", model="openai/dall-e-3", byok_api_key=PER_CALL_KEY),
        speech := client.text_to_speech("hello canary", model="openai/tts-1"),
        client.speech_to_text(speech.audio, model="openai/whisper-1", byok_api_key=PER_CALL_KEY),
        client.translate_audio(io.BytesIO(speech.audio), model="openai/whisper-1"),
        client.list_models(),
        client.get_model(CHAT),
        client.me(),
        client.usage(),
        plain.chat(hi, model=CHAT, byok_api_key=PER_CALL_KEY),
        await aclient.chat(hi, model=CHAT),
        [e async for e in await aclient.stream_chat(hi, model=CHAT, byok_api_key=PER_CALL_KEY)],
        await aclient.embed("c", model=EMBED),
    ]
    tokens = [client._token.token.get_secret_value()]  # the exchanged access tokens
    sweep.fails("stop_stream", lambda: client.stop_stream("no-such-stream"))
    for script in echo_failures(emulator, PER_CALL_KEY, platform_key):
        emulator.enqueue("/chat/completions", **script)
        error = sweep.fails("echo", lambda: client.chat(hi, model=CHAT, byok_api_key=PER_CALL_KEY))
        assert "errors" not in error.details or error.details["errors"][0]["input"] != PER_CALL_KEY
    tokens.append(client._token.token.get_secret_value())  # the 401 refreshed it
    emulator.enqueue("/chat/completions", **stream_echo(byok_key, tokens[-1]))
    sweep.fails("stream echo", lambda: list(client.stream_chat(hi, model=CHAT)))
    emulator.enqueue("/chat/completions", **stream_echo(PER_CALL_KEY, platform_key))
    await sweep.afails(
        "async stream echo",
        lambda: _drain(aclient.stream_chat(hi, model=CHAT, byok_api_key=PER_CALL_KEY)),
    )
    sweep.fails("invalid key", lambda: client.chat(hi, model=CHAT, byok_api_key=INVALID_KEY))
    sweep.fails("mismatch", lambda: client.chat(hi, model=CHAT, byok_api_key=CANARY_ANTHROPIC_KEY))
    emulator.enqueue("/chat/completions", fault="drop")
    sweep.fails("drop", lambda: plain.chat(hi, model=CHAT))
    emulator.enqueue("/chat/completions", fault="delay", delay=0.5)
    logged = len(emulator.requests)
    sweep.fails(
        "timeout",
        lambda: client_for(emulator, timeout=0.1, max_retries=0).chat(
            hi, model=CHAT, byok_api_key=PER_CALL_KEY
        ),
    )
    wait_for(lambda: len(emulator.requests) > logged)  # the abandoned request is logged
    sweep.fails("bad input", lambda: client.chat([{"role": "user"}], model=CHAT))
    emulator.expire_tokens()
    emulator.enqueue(
        "/auth/api-key", status=401, json={"detail": f"Invalid API key {platform_key}"}
    )
    sweep.fails("exchange", lambda: client.chat(hi, model=CHAT))
    await aclient.aclose()

    sweep.add("results", results)
    sweep.objects("clients", client, plain, aclient, client.settings)
    sweep.add("emulator log", emulator.requests)
    secrets = [platform_key, byok_key, PER_CALL_KEY, INVALID_KEY, CANARY_ANTHROPIC_KEY, *tokens]
    sweep.check(secrets, pickled=[client, plain, aclient], configured=2)


async def _drain(stream: Any) -> None:
    async for _ in await stream:
        pass


# --------------------------------------------------------------------------- LlamaIndex


async def test_llama_index_sweep(
    emulator: Any, sweep: Sweep, platform_key: str, byok_key: str, tmp_path: Path
) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
    from llama_index.core.tools import FunctionTool

    from indoxhub_integrations.llama_index import (
        IndoxHub,
        IndoxHubEmbedding,
        IndoxHubToolSpec,
        IndoxHubUsageHandler,
        track_indoxhub_usage,
    )

    class Events(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            sweep.add("instrumentation event", f"{event!r} {event.model_dump_json(fallback=repr)}")

    root = get_dispatcher()
    events, spans, usage_handler = Events(), SimpleSpanHandler(), IndoxHubUsageHandler()
    root.add_event_handler(events)
    root.add_event_handler(usage_handler)
    root.add_span_handler(spans)
    debug = LlamaDebugHandler()
    conn = {
        "api_key": platform_key,
        "base_url": emulator.base_url,
        "max_retries": 0,
        "callback_manager": CallbackManager([debug]),
    }
    try:
        llm = IndoxHub(model=CHAT, **conn)
        byok_llm = IndoxHub(model=CHAT, byok_api_key=byok_key, **conn)
        embed = IndoxHubEmbedding(model=EMBED, byok_api_keys={"openai": byok_key}, **conn)
        spec = IndoxHubToolSpec(
            api_key=platform_key,
            base_url=emulator.base_url,
            byok_api_key=byok_key,
            output_dir=tmp_path,
        )
        hi = [ChatMessage(role="user", content="Hello canary")]
        kw = {"byok_api_key": PER_CALL_KEY}
        tool = FunctionTool.from_defaults(
            fn=lambda city: f"{city} is sunny", name="weather", description="Weather for a city"
        )
        outputs: list[Any] = []
        with track_indoxhub_usage() as usage:
            outputs += [llm.chat(hi, **kw), await llm.achat(hi, **kw), byok_llm.chat(hi)]
            outputs += list(llm.stream_chat(hi, **kw))
            outputs += [c async for c in await llm.astream_chat(hi, **kw)]
            outputs += [llm.complete("Once", **kw), await llm.acomplete("Once", **kw)]
            outputs += list(llm.stream_complete("Once", **kw))
            outputs += [c async for c in await llm.astream_complete("Once", **kw)]
            outputs += [llm.chat_with_tools([tool], user_msg="weather in Oslo", **kw)]
            outputs += [llm.predict_and_call([tool], user_msg="weather in Oslo", **kw)]
            outputs += [
                embed.get_text_embedding_batch(["a", "b"]),
                await embed.aget_query_embedding("q"),
            ]
            image = spec.generate_image("a fox")
            outputs += [image, spec.text_to_speech("hello canary")]
            for script in echo_failures(emulator, PER_CALL_KEY, platform_key):
                emulator.enqueue(**script)
                sweep.fails("echo", lambda: llm.chat(hi, **kw))
            emulator.enqueue(**stream_echo(PER_CALL_KEY, platform_key))
            sweep.fails("stream echo", lambda: list(llm.stream_chat(hi, **kw)))
            emulator.enqueue(**stream_echo(byok_key, platform_key))
            await sweep.afails("astream echo", lambda: _adrain(byok_llm.astream_chat(hi)))
            sweep.fails("invalid", lambda: llm.chat(hi, byok_api_key=INVALID_KEY))
            sweep.fails("mismatch", lambda: llm.complete("x", byok_api_key=CANARY_ANTHROPIC_KEY))
            emulator.enqueue(status=401, json={"detail": f"no {byok_key}"}, times=2)
            sweep.fails("embedding echo", lambda: embed.get_text_embedding("x"))
        assert usage.requests >= 15 and usage_handler.requests >= 15
    finally:
        root.event_handlers = [h for h in root.event_handlers if h not in (events, usage_handler)]
        root.span_handlers = [h for h in root.span_handlers if h is not spans]

    assert any(where == "instrumentation event" for where, _ in sweep.texts)
    assert spans.completed_spans and debug.get_events()
    sweep.add("outputs", outputs)
    sweep.add("usage", f"{usage} {usage!r} {usage.records!r} {usage_handler!r}")
    sweep.add("spans", [repr(s) for s in spans.completed_spans + spans.dropped_spans])
    sweep.add("legacy callbacks", [repr(e) for e in debug.get_events()])
    for model in (llm, byok_llm, embed):
        sweep.add("serialization", f"{model.to_dict()} {model.to_json()} {model.model_dump()}")
    sweep.objects("models", llm, byok_llm, embed, spec)
    secrets = [platform_key, byok_key, PER_CALL_KEY, INVALID_KEY, CANARY_ANTHROPIC_KEY]
    sweep.check(secrets, pickled=[llm, embed], configured=2)


async def _adrain(stream: Any) -> None:
    async for _ in await stream:
        pass


# --------------------------------------------------------------------------- LangChain


async def test_langchain_sweep(
    emulator: Any, sweep: Sweep, platform_key: str, byok_key: str, tmp_path: Path
) -> None:
    pytest.importorskip("langchain_core")
    from langchain_core.caches import InMemoryCache
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.globals import set_llm_cache
    from langchain_core.load import dumpd, dumps

    from indoxhub_integrations.langchain import (
        ChatIndoxHub,
        IndoxHubEmbeddings,
        IndoxHubImageGenerationTool,
        IndoxHubLLM,
        IndoxHubSpeechToTextTool,
        IndoxHubTextToSpeechTool,
        get_indoxhub_callback,
    )

    class Recorder(BaseCallbackHandler):
        def __getattribute__(self, name: str) -> Any:
            if name.startswith("on_"):
                return lambda *args, **kwargs: sweep.add(f"callback {name}", f"{args!r} {kwargs!r}")
            return super().__getattribute__(name)

    config: Any = {"callbacks": [Recorder()], "metadata": {"run": "canary"}}
    conn = {"api_key": platform_key, "base_url": emulator.base_url, "max_retries": 0}
    chat = ChatIndoxHub(model=CHAT, **conn)
    chat_byok = ChatIndoxHub(model=CHAT, byok_api_key=byok_key, **conn)
    bound = chat.bind(byok_api_key=PER_CALL_KEY)
    llm = IndoxHubLLM(model=CHAT, byok_api_keys={"openai": byok_key}, **conn)
    embeddings = IndoxHubEmbeddings(model=EMBED, byok_api_key=byok_key, **conn)
    tools = [
        IndoxHubImageGenerationTool(byok_api_key=byok_key, output_dir=str(tmp_path), **conn),
        IndoxHubTextToSpeechTool(byok_api_key=byok_key, output_dir=str(tmp_path), **conn),
        IndoxHubSpeechToTextTool(byok_api_key=byok_key, root_dir=str(tmp_path), **conn),
    ]
    kw = {"byok_api_key": PER_CALL_KEY}
    cache = InMemoryCache()
    outputs: list[Any] = []
    set_llm_cache(cache)
    try:
        with get_indoxhub_callback() as cb:
            outputs += [chat.invoke("Hello canary", config=config, **kw)]
            outputs += [await chat.ainvoke("Hello canary", config=config, **kw)]
            outputs += [chat_byok.invoke("Hi", config=config), bound.invoke("Hi", config=config)]
            outputs += list(chat.stream("Stream canary", config=config, **kw))
            outputs += [c async for c in bound.astream("Stream canary", config=config)]
            outputs += [
                e
                async for e in chat.astream_events(
                    "Events canary", config=config, version="v2", **kw
                )
            ]
            outputs += [
                e async for e in bound.astream_events("Events", config=config, version="v1")
            ]
            outputs += chat.batch(["a", "b"], config=config, **kw)
            outputs += [
                llm.invoke("Once", config=config, **kw),
                await llm.ainvoke("Once", config=config),
            ]
            outputs += list(llm.stream("Once", config=config, **kw))
            outputs += [embeddings.embed_documents(["a", "b"]), await embeddings.aembed_query("q")]
            image_path = tools[0].invoke({"prompt": "a fox"}, config=config)
            speech = await tools[1].ainvoke({"text": "hello canary"}, config=config)
            outputs += [image_path, speech]
            audio = next(Path(tmp_path).glob("*.wav"))
            outputs += [tools[2].invoke({"audio_path": str(audio)}, config=config)]
            for script in echo_failures(emulator, PER_CALL_KEY, platform_key):
                emulator.enqueue(**script)
                sweep.fails("echo", lambda: chat.invoke("x", config=config, **kw))
            emulator.enqueue(**stream_echo(PER_CALL_KEY, platform_key))
            sweep.fails("stream echo", lambda: list(chat.stream("x", config=config, **kw)))
            emulator.enqueue(**stream_echo(byok_key, platform_key))
            await sweep.afails(
                "astream echo", lambda: _lc_drain(chat_byok.astream("x", config=config))
            )
            sweep.fails(
                "invalid", lambda: chat.invoke("x", config=config, byok_api_key=INVALID_KEY)
            )
            sweep.fails("mismatch", lambda: llm.invoke("x", byok_api_key=CANARY_ANTHROPIC_KEY))
            emulator.enqueue(status=401, json={"detail": f"no {byok_key}"}, times=2)
            sweep.fails("embedding echo", lambda: embeddings.embed_query("x"))
        assert cb.requests >= 15
    finally:
        set_llm_cache(None)
    seen = {where for where, _ in sweep.texts}
    assert {
        "callback on_chat_model_start",
        "callback on_llm_end",
        "callback on_llm_error",
        "callback on_tool_start",
    } <= seen
    assert cache._cache  # the cache keys (prompt + llm string) were built and are checked
    sweep.add("llm cache keys", list(cache._cache))
    sweep.add("outputs and events", outputs)
    sweep.add("handler", f"{cb} {cb!r} {cb.records!r}")
    models = [chat, chat_byok, bound, llm, embeddings, *tools]
    for model in (chat, chat_byok, bound, llm, embeddings):
        sweep.add("dumpd/dumps", f"{dumpd(model)} {dumps(model)}")
    sweep.add("model_dump", [m.model_dump() for m in (chat, chat_byok, llm, embeddings)])
    sweep.objects("models", *models)
    secrets = [platform_key, byok_key, PER_CALL_KEY, INVALID_KEY, CANARY_ANTHROPIC_KEY]
    sweep.check(secrets, pickled=[chat, llm, embeddings], configured=2)  # `bound` keeps its key


async def _lc_drain(stream: Any) -> None:
    async for _ in stream:
        pass


# --------------------------------------------------------------------------- plain http


def _outbound_address() -> str | None:
    """This machine's non-loopback address, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


REMOTE_HTTP = [
    "http://example.com",
    "http://10.1.2.3:9050",
    "http://0.0.0.0:1",
    "http://localhost.example.com",
    "http://127.0.0.1.nip.io",
    "http://[::ffff:7f00:1]:1",
]


@pytest.mark.parametrize("url", REMOTE_HTTP)
def test_plain_http_to_a_remote_host_is_refused_everywhere(url: str, platform_key: str) -> None:
    with pytest.raises(InvalidRequestError, match="plain http"):
        client_for_url(url, platform_key)
    if _has("llama_index.core"):
        from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding

        for model in (
            IndoxHub(api_key=platform_key, base_url=url),
            IndoxHubEmbedding(api_key=platform_key, base_url=url),
        ):
            with pytest.raises(InvalidRequestError, match="plain http"):
                model.clients.sync  # noqa: B018  (first use resolves the settings)
    if _has("langchain_core"):
        from indoxhub_integrations.langchain import ChatIndoxHub, IndoxHubEmbeddings

        with pytest.raises(InvalidRequestError, match="plain http"):
            ChatIndoxHub(api_key=platform_key, base_url=url).invoke("hi")
        with pytest.raises(InvalidRequestError, match="plain http"):
            IndoxHubEmbeddings(api_key=platform_key, base_url=url).embed_query("hi")


def client_for_url(url: str, key: str, **kw: Any) -> Any:
    from indoxhub_integrations import IndoxHubClient

    return IndoxHubClient(api_key=key, base_url=url, **kw)


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_plain_http_opt_in_reaches_a_non_loopback_host(platform_key: str, byok_key: str) -> None:
    address = _outbound_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    from indoxhub_integrations.emulator import IndoxHubEmulator

    with IndoxHubEmulator(api_key=platform_key, host="0.0.0.0") as server:
        url = f"http://{address}:{server.port}"
        with pytest.raises(InvalidRequestError):
            client_for_url(url, platform_key)
        client = client_for_url(url, platform_key, allow_insecure_http=True)
        assert client.chat(messages(), model=CHAT, byok_api_key=byok_key).meta.byok
        if _has("llama_index.core"):
            from llama_index.core.base.llms.types import ChatMessage

            from indoxhub_integrations.llama_index import IndoxHub

            refused = IndoxHub(api_key=platform_key, base_url=url)
            with pytest.raises(InvalidRequestError):
                refused.chat([ChatMessage(role="user", content="hi")])
            allowed = IndoxHub(api_key=platform_key, base_url=url, allow_insecure_http=True)
            assert allowed.chat([ChatMessage(role="user", content="hi")]).message.content
        if _has("langchain_core"):
            from indoxhub_integrations.langchain import ChatIndoxHub

            with pytest.raises(InvalidRequestError):
                ChatIndoxHub(api_key=platform_key, base_url=url).invoke("hi")
            opted = ChatIndoxHub(api_key=platform_key, base_url=url, allow_insecure_http=True)
            assert opted.invoke("hi").content
        # only the opted-in calls reached the server
        assert len([r for r in server.requests if r.endpoint]) == 1 + _has(
            "llama_index.core"
        ) + _has("langchain_core")


# --------------------------------------------------------------------------- issue 13 paths


async def test_transport_and_locals_sweep(
    emulator: Any, sweep: Sweep, platform_key: str, byok_key: str
) -> None:
    """The paths the attacker's tour found: redirects, oversized and deep bodies, the
    whole-attempt deadline, escaped path parameters, bad input, locals of every error's
    traceback, and a bound key serialized with ``dumps``."""
    import math

    client = client_for(emulator, byok_api_key=byok_key, max_retries=0, max_response_bytes=4096)
    aclient = aclient_for(emulator, byok_api_key=byok_key, max_retries=0)
    hi = messages("Hello canary")
    kw = {"byok_api_key": PER_CALL_KEY}
    echo = {"detail": f"moved {PER_CALL_KEY} {platform_key}"}
    emulator.enqueue("/chat/completions", status=302, json=echo, headers={"location": "/x"})
    sweep.fails("redirect", lambda: client.chat(hi, model=CHAT, **kw))
    emulator.enqueue("/chat/completions", json={"detail": f"{PER_CALL_KEY} " * 400})
    sweep.fails("too large", lambda: client.chat(hi, model=CHAT, **kw))
    deep = b"[" * 100_000 + b"]" * 100_000
    emulator.enqueue("/chat/completions", body=deep, headers={"content-type": "application/json"})
    sweep.fails("deep json", lambda: client.chat(hi, model=CHAT, **kw))
    sweep.fails("escaped path", lambda: client.stop_stream("../../user/me"))
    sweep.fails("nan", lambda: client.chat(hi, model=CHAT, temperature=math.nan, **kw))
    sweep.fails("stream kwarg", lambda: client.chat(hi, model=CHAT, stream=True, **kw))
    sweep.fails("mismatch", lambda: client.chat(hi, model=CHAT, byok_api_key=CANARY_ANTHROPIC_KEY))
    emulator.enqueue("/chat/completions", status=307, json=echo, headers={"location": "/x"})
    await sweep.afails("async redirect", lambda: aclient.chat(hi, model=CHAT, **kw))
    sweep.add("results", [client.chat(hi, model=CHAT, **kw), await aclient.chat(hi, model=CHAT)])
    await aclient.aclose()
    for error in sweep.errors:  # the library's frames' locals, as Sentry or rich would show
        frames = traceback.TracebackException.from_exception(error, capture_locals=True)
        ours = [f for f in frames.stack if "indoxhub_integrations" in f.filename]
        assert ours
        sweep.add("traceback locals", repr([(f.name, f.locals) for f in ours]))
    if importlib.util.find_spec("langchain_core") is not None:
        from langchain_core.load import dumps

        from indoxhub_integrations.langchain import ChatIndoxHub

        chat = ChatIndoxHub(model=CHAT, api_key=platform_key, base_url=emulator.base_url)
        sweep.add("dumps of a bound key", dumps(chat.bind(byok_api_key=PER_CALL_KEY)))
    sweep.objects("clients", client, aclient, client.settings)
    secrets = [platform_key, byok_key, PER_CALL_KEY, CANARY_ANTHROPIC_KEY]
    sweep.check(secrets, pickled=[client, aclient], configured=2)

"""Bad input, property-based: malformed messages, content parts, tool schemas, parameters,
model names and keys fed to the public methods of the core client and both adapters.

For every input, one of:
- the call raises ``InvalidRequestError`` and nothing reaches the server;
- or, for the adapters, the framework's own input checks refuse it: whatever the exception's
  type, it was raised inside LangChain / LlamaIndex / pydantic code (not ours) and nothing
  reaches the server;
- the request goes out and the server accepts it (2xx), or refuses it for a reason the client
  cannot know (an unknown model: 404; a model of the wrong kind: 400; a key the provider
  rejects: 401) -- never a 422 the client could have foreseen;
never another exception.
"""

from __future__ import annotations

import asyncio
import math
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from indoxhub_integrations.errors import IndoxHubError, InvalidRequestError

from ..conftest import scaled
from .conftest import CHAT, aclient_for, client_for

SETTINGS = settings(
    max_examples=scaled(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FOREIGN_REFUSALS = {400: "needs a", 401: "Provider authentication failed", 404: "not found"}
"""Refusals the client cannot foresee, with a fragment of the server's message."""

# --------------------------------------------------------------------------- strategies

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.binary(max_size=6)
    | st.just(object())
    | st.just(SecretStr("x"))
)
junk = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(["type", "text", "role"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)
texts = st.text(max_size=30)
parts = (
    texts
    | st.fixed_dictionaries({"type": st.just("text"), "text": texts | junk})
    | st.fixed_dictionaries(
        {
            "type": st.just("image"),
            "image": junk
            | st.fixed_dictionaries({"url": st.just("https://example.com/a.png") | junk}),
        }
    )
    | st.fixed_dictionaries(
        {"type": st.sampled_from(["image_url", "audio", "x"])}, optional={"text": texts}
    )
    | junk
)
tool_calls = st.lists(
    st.fixed_dictionaries(
        {
            "id": texts,
            "type": st.just("function"),
            "function": st.fixed_dictionaries({"name": texts | junk, "arguments": texts | junk}),
        }
    )
    | junk,
    max_size=2,
)
message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["system", "user", "assistant", "tool", "developer", "robot", ""])
        | junk
    },
    optional={
        "content": texts | st.lists(parts, max_size=3) | junk,
        "tool_calls": tool_calls,
        "tool_call_id": texts | junk,
        "name": texts | junk,
    },
)
messages = st.lists(message | junk, max_size=3) | junk
schemas = st.recursive(
    st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "object", "weird"])})
    | junk,
    lambda inner: st.fixed_dictionaries(
        {"type": st.just("object"), "properties": st.dictionaries(texts, inner, max_size=2)}
    ),
    max_leaves=5,
)
tools = (
    st.lists(
        st.fixed_dictionaries(
            {
                "type": st.just("function"),
                "function": st.fixed_dictionaries(
                    {"name": st.from_regex(r"[a-z_]{1,12}", fullmatch=True) | junk},
                    optional={"description": texts | junk, "parameters": schemas},
                ),
            }
        )
        | junk,
        max_size=2,
    )
    | junk
)
params = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(-1, 3) | junk,
        "top_p": st.floats(-0.5, 1.5) | junk,
        "max_tokens": st.integers(-3, 10**6) | junk,
        "frequency_penalty": st.floats(-3, 3) | junk,
        "presence_penalty": st.floats(-3, 3) | junk,
        "tools": tools,
        "tool_choice": st.sampled_from(["auto", "none", "required", "any", "lookup"]) | junk,
        "stop": texts | st.lists(texts, max_size=2) | junk,
        "response_format": st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "json_object", "json_schema", "yaml"])}
        )
        | junk,
        "seed": st.integers(0, 2**31) | junk,
        "user": texts | junk,
    },
)
models = (
    st.sampled_from(
        [
            CHAT,
            "anthropic/claude-3-haiku-20240307",
            "openai/text-embedding-3-small",
            "gpt-4o-mini",
            "",
            "openai/",
            "/gpt-4o",
            "acme/x",
            "openai/no-such-model",
            "OPENAI/gpt-4o-mini",
        ]
    )
    | junk
)
keys = (
    st.sampled_from(
        [
            None,
            "",
            "   ",
            "sk-proj-FUZZKEY0123456789abcdef",
            "sk-ant-FUZZ0123456789abcdef",
            "AIzaFUZZ0123456789abcdefghij",
            "xai-FUZZ0123456789abc",
            "sk-FUZZ-invalid-0123456789",
            "\nsk-proj-FUZZ-newline-0123456789\n",
        ]
    )
    | st.builds(SecretStr, texts)
    | junk
)


# --------------------------------------------------------------------------- the property


def assert_outcome(
    emulator: Any, outcome: BaseException | None, *, framework: bool = False
) -> None:
    """The property above, for one call whose exception (or ``None``) is ``outcome``;
    ``framework``: the call went through an adapter, whose framework may refuse the input."""
    sent = [r for r in emulator.requests if r.endpoint]
    if outcome is None:  # (nothing to send, e.g. no texts to embed, is a success too)
        assert len(sent) <= 1 and all(r.status == 200 for r in sent)
        return
    if isinstance(outcome, InvalidRequestError) and outcome.status_code is None:
        assert sent == [], f"refused ({outcome}) but still sent"
        return
    if isinstance(outcome, IndoxHubError) and outcome.status_code is not None:
        assert len(sent) == 1, sent
        fragment = FOREIGN_REFUSALS.get(outcome.status_code)
        assert fragment and fragment in outcome.message, (
            f"the server refused what the client sent: {outcome.status_code} {outcome}\n"
            f"{sent[0].json!r}"
        )
        return
    if framework and _from_framework(outcome):
        assert sent == [], f"framework validation error ({outcome!r}) but still sent"
        return
    where = "".join(traceback.format_tb(outcome.__traceback__)[-2:])
    raise AssertionError(f"unrelated {type(outcome).__name__}: {outcome}\n{where}") from outcome


FRAMEWORKS = (
    "/langchain_core/",
    "/llama_index/core/",
    "/llama_index_instrumentation/",
    "/pydantic/",
    "/pydantic_core/",
)


def _from_framework(error: BaseException) -> bool:
    """True when ``error`` was raised by the framework's (or pydantic's) own code, not by this
    package: judged by where it was raised, whatever its type.

    The deepest frame that belongs to this package or to a framework decides; standard-library
    and builtin frames below it do not count (a framework calling ``dict()`` on junk is still
    the framework refusing it). An error raised in our code is never the framework's.
    """
    tb, owner = error.__traceback__, ""
    while tb is not None:  # the deepest frame that is ours or the framework's decides
        name, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
        if "/indoxhub_integrations/" in name:
            owner = "ours"
        elif any(part in name for part in FRAMEWORKS):
            owner = "framework"
    return owner == "framework"


def outcome_of(call: Any) -> BaseException | None:
    try:
        call()
    except Exception as error:
        return error
    return None


# --------------------------------------------------------------------------- core


@SETTINGS
@given(messages=messages, model=models, params=params, key=keys)
def test_core_chat(emulator: Any, messages: Any, model: Any, params: Any, key: Any) -> None:
    emulator.reset()
    client = client_for(emulator, max_retries=0)
    assert_outcome(
        emulator, outcome_of(lambda: client.chat(messages, model=model, byok_api_key=key, **params))
    )


@SETTINGS
@given(messages=messages, model=models, params=params, key=keys)
def test_core_stream_chat_async(
    emulator: Any, messages: Any, model: Any, params: Any, key: Any
) -> None:
    emulator.reset()

    async def call() -> None:
        async with aclient_for(emulator, max_retries=0) as client:
            async for _ in await client.stream_chat(
                messages, model=model, byok_api_key=key, **params
            ):
                pass

    assert_outcome(emulator, outcome_of(lambda: asyncio.run(call())))


@SETTINGS
@given(
    prompt=texts | junk,
    texts_=st.lists(texts, max_size=3) | junk,
    model=models,
    extra=junk | st.dictionaries(texts, junk, max_size=2),
    key=keys,
)
def test_core_complete_embed_image_speech(
    emulator: Any, prompt: Any, texts_: Any, model: Any, extra: Any, key: Any
) -> None:
    client = client_for(emulator, max_retries=0)
    for method, first in (
        (client.complete, prompt),
        (client.embed, texts_),
        (client.generate_image, prompt),
        (client.text_to_speech, prompt),
    ):
        emulator.reset()
        assert_outcome(
            emulator,
            outcome_of(
                lambda m=method, f=first: m(
                    f, model=model, byok_api_key=key, additional_params=extra
                )
            ),
        )


@SETTINGS
@given(audio=st.binary(max_size=40) | texts | junk, model=models, key=keys, language=texts | junk)
def test_core_speech_to_text(
    emulator: Any, audio: Any, model: Any, key: Any, language: Any
) -> None:
    emulator.reset()
    client = client_for(emulator, max_retries=0)
    assert_outcome(
        emulator,
        outcome_of(
            lambda: client.speech_to_text(audio, model=model, byok_api_key=key, language=language)
        ),
    )


# --------------------------------------------------------------------------- LlamaIndex


@SETTINGS
@given(
    messages=messages,
    model=models,
    params=params,
    key=keys,
    prompt=texts | junk,
    batch=st.lists(texts, max_size=3) | junk,
)
def test_llama_index(
    emulator: Any, messages: Any, model: Any, params: Any, key: Any, prompt: Any, batch: Any
) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.base.llms.types import ChatMessage

    from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding

    conn = {"api_key": emulator.api_key, "base_url": emulator.base_url, "max_retries": 0}
    built = outcome_of(lambda: IndoxHub(model=model, **conn))  # no I/O: valid or refused
    assert built is None or isinstance(built, ValidationError | InvalidRequestError), built
    llm = IndoxHub(model=CHAT, **conn)
    chat_messages = [
        ChatMessage(
            role="user", content=m.get("content") if isinstance(m.get("content"), str) else "hi"
        )
        if isinstance(m, dict)
        else m
        for m in (messages if isinstance(messages, list) else [messages])
    ]
    for call in (
        lambda: llm.chat(messages, byok_api_key=key, **params),
        lambda: llm.chat(chat_messages, byok_api_key=key, **params),
        lambda: list(llm.stream_chat(chat_messages, byok_api_key=key, **params)),
        lambda: llm.complete(prompt, byok_api_key=key, **params),
        lambda: IndoxHubEmbedding(model=model, **conn).get_text_embedding_batch(batch),
    ):
        emulator.reset()
        assert_outcome(emulator, outcome_of(call), framework=True)


# --------------------------------------------------------------------------- LangChain


@SETTINGS
@given(
    messages=messages,
    model=models,
    params=params,
    key=keys,
    tools_=tools,
    batch=st.lists(texts, max_size=3) | junk,
)
def test_langchain(
    emulator: Any, messages: Any, model: Any, params: Any, key: Any, tools_: Any, batch: Any
) -> None:
    pytest.importorskip("langchain_core")
    from indoxhub_integrations.langchain import ChatIndoxHub, IndoxHubEmbeddings, IndoxHubLLM

    conn = {"api_key": emulator.api_key, "base_url": emulator.base_url, "max_retries": 0}
    emulator.reset()
    assert_outcome(
        emulator,
        outcome_of(lambda: ChatIndoxHub(model=model, **conn).invoke("hi")),
        framework=True,
    )
    chat = ChatIndoxHub(model=CHAT, **conn)
    for call in (
        lambda: chat.invoke(messages, byok_api_key=key, **params),
        lambda: list(chat.stream(messages, byok_api_key=key, **params)),
        lambda: chat.bind_tools(tools_ if isinstance(tools_, list) else [tools_]).invoke("hi"),
        lambda: IndoxHubLLM(model=CHAT, **conn).invoke(batch, byok_api_key=key),
        lambda: IndoxHubEmbeddings(model=model, **conn).embed_documents(batch),
    ):
        emulator.reset()
        assert_outcome(emulator, outcome_of(call), framework=True)


def test_nan_and_infinite_numbers_never_leave(emulator: Any) -> None:
    client = client_for(emulator, max_retries=0)
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(InvalidRequestError):
            client.chat([{"role": "user", "content": "x"}], model=CHAT, temperature=value)
    assert emulator.requests == []


def test_langchain_stop_given_as_one_string_is_one_sequence(emulator: Any) -> None:
    pytest.importorskip("langchain_core")
    from indoxhub_integrations.langchain import ChatIndoxHub

    chat = ChatIndoxHub(model=CHAT, api_key=emulator.api_key, base_url=emulator.base_url)
    chat.invoke("Say something", stop="END")
    sent = [r.json for r in emulator.requests if r.endpoint]
    assert sent[-1]["additional_params"]["stop"] == ["END"]  # not ["E", "N", "D"]
    with pytest.raises(InvalidRequestError):
        chat.invoke("Say something", stop=42)
    assert len([r for r in emulator.requests if r.endpoint]) == 1


def test_a_framework_refusal_is_judged_by_where_it_was_raised(emulator: Any) -> None:
    """langchain-core raises ``AttributeError`` building an ``AIMessage`` whose ``tool_calls``
    is a list of lists (the CI failure that led to judging by origin, not by type)."""
    pytest.importorskip("langchain_core")
    from indoxhub_integrations.langchain import ChatIndoxHub

    chat = ChatIndoxHub(model=CHAT, api_key=emulator.api_key, base_url=emulator.base_url)
    bad = [{"role": "assistant", "content": "x", "tool_calls": [[1, 2]]}]
    outcome = outcome_of(lambda: chat.invoke(bad))
    assert outcome is not None and _from_framework(outcome)
    assert_outcome(emulator, outcome, framework=True)
    # ...while the same kind of error raised in this package is never the framework's
    ours = outcome_of(lambda: client_for(emulator).chat(None, model=CHAT))
    assert ours is not None and not _from_framework(ours)

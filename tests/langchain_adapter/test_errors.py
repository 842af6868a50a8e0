"""Errors: core classes that are also langchain_core exceptions; one retry layer (the core's)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelRateLimitError,
)

from indoxhub_integrations import errors as core_errors
from indoxhub_integrations.langchain import ChatIndoxHub, IndoxHubEmbeddings, IndoxHubLLM
from indoxhub_integrations.langchain.errors import convert_error


def _chat(emulator: Any, **kwargs: Any) -> ChatIndoxHub:
    return ChatIndoxHub(base_url=emulator.base_url, api_key=emulator.api_key, **kwargs)


def _rate_limit_body() -> dict[str, Any]:
    return {
        "success": False,
        "error": "RateLimitError",
        "message": "Rate limit exceeded",
        "status_code": 429,
        "details": {"limit_type": "requests_per_minute", "retry_after": 0},
    }


@pytest.mark.parametrize(
    ("status", "body", "core_type", "lc_type"),
    [
        (429, _rate_limit_body(), core_errors.RateLimitError, ModelRateLimitError),
        (401, {"detail": "Invalid API key"}, core_errors.AuthenticationError,
         ModelAuthenticationError),
        (400, {"detail": "This model's maximum context length is 8192 tokens"},
         core_errors.ContextWindowExceededError, ContextOverflowError),
        (404, {"detail": "Model not found"}, core_errors.ModelNotFoundError, ModelNotFoundError),
        (422, {"detail": [{"loc": ["body", "x"], "msg": "bad", "type": "value_error"}]},
         core_errors.InvalidRequestError, ModelInvalidRequestError),
        (500, {"detail": "provider exploded"}, core_errors.ProviderError, ModelAPIError),
    ],
)  # fmt: skip
def test_status_maps_to_both_hierarchies(
    emulator: Any, status: int, body: Any, core_type: type, lc_type: type
) -> None:
    emulator.enqueue(status=status, json=body, times=5)
    llm = _chat(emulator, max_retries=0)
    with pytest.raises(core_type) as caught:
        llm.invoke("Hello")
    assert isinstance(caught.value, lc_type)
    assert caught.value.status_code == status
    with pytest.raises(lc_type):
        list(llm.stream("Hello"))


def test_rate_limit_attributes_and_single_retry_layer(emulator: Any) -> None:
    emulator.enqueue(status=429, json=_rate_limit_body(), times=1)
    llm = _chat(emulator, max_retries=0)
    with pytest.raises(ModelRateLimitError) as caught:
        llm.invoke("Hello")
    error = caught.value
    assert isinstance(error, core_errors.RateLimitError)
    assert error.retry_after == 0
    assert error.source == "platform"
    assert error.is_retryable
    chat_calls = [r for r in emulator.requests if r.endpoint == "chat"]
    assert len(chat_calls) == 1  # no retry on top of the core's (max_retries=0)


def test_core_retries_then_succeeds(emulator: Any) -> None:
    emulator.enqueue(status=429, json=_rate_limit_body(), times=1)
    assert _chat(emulator, max_retries=1).invoke("Hello").content
    assert len([r for r in emulator.requests if r.endpoint == "chat"]) == 2


def test_langchain_retry_and_fallbacks_recognise_errors(emulator: Any) -> None:
    emulator.enqueue(status=429, json=_rate_limit_body(), times=1)
    llm = _chat(emulator, max_retries=0)
    retrying = llm.with_retry(
        retry_if_exception_type=(ModelRateLimitError,), stop_after_attempt=2,
        wait_exponential_jitter=False,
    )  # fmt: skip
    assert retrying.invoke("Hello").content
    emulator.enqueue(status=400, json={"detail": "maximum context length exceeded"}, times=1)
    fallback = _chat(emulator, model="anthropic/claude-3-haiku-20240307")
    chain = llm.with_fallbacks([fallback], exceptions_to_handle=(ContextOverflowError,))
    answer = chain.invoke("Hello")
    assert answer.response_metadata["model_name"] == "anthropic/claude-3-haiku-20240307"


def test_stream_cut_is_an_error_not_an_answer(emulator: Any) -> None:
    emulator.enqueue(fault="cut_stream", after_events=3)
    with pytest.raises(core_errors.StreamInterruptedError) as caught:
        list(_chat(emulator, max_retries=0).stream("Hello"))
    assert isinstance(caught.value, ModelConnectionError)


async def test_async_and_other_models_map_errors(emulator: Any) -> None:
    emulator.enqueue(status=401, json={"detail": "Invalid API key"}, times=10)
    with pytest.raises(ModelAuthenticationError):
        await _chat(emulator, max_retries=0).ainvoke("Hello")
    llm = IndoxHubLLM(base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0)
    with pytest.raises(ModelAuthenticationError):
        llm.invoke("Hello")
    with pytest.raises(ModelAuthenticationError):
        async for _ in llm.astream("Hello"):
            pass
    embeddings = IndoxHubEmbeddings(
        base_url=emulator.base_url, api_key=emulator.api_key, max_retries=0
    )
    with pytest.raises(ModelAuthenticationError):
        await embeddings.aembed_query("Hello")


def test_missing_key_fails_on_first_request_not_in_constructor() -> None:
    llm = ChatIndoxHub()
    with pytest.raises(ModelAuthenticationError, match="INDOXHUB_API_KEY"):
        llm.invoke("Hello")


def test_bad_input_is_invalid_request() -> None:
    with pytest.raises(ModelInvalidRequestError, match="provider"):
        ChatIndoxHub(model="gpt-4o", api_key="k").invoke("Hello")


def test_converted_errors_pickle() -> None:
    import pickle

    error = convert_error(core_errors.RateLimitError("slow", retry_after=3.0, status_code=429))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.retry_after == 3.0
    assert isinstance(copy, ModelRateLimitError)

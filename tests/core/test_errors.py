"""Error mapping from status codes, envelopes and stream events."""

from __future__ import annotations

import pickle

import pytest

from indoxhub_integrations.core.errors import (
    AuthenticationError,
    ContextWindowExceededError,
    InsufficientCreditsError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitError,
    ServiceUnavailableError,
    error_from_response,
    error_from_stream_event,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (404, ModelNotFoundError),
        (422, InvalidRequestError),
        (429, RateLimitError),
        (500, ProviderError),
        (502, ProviderError),
        (503, ServiceUnavailableError),
        (504, ProviderError),
    ],
)
def test_status_mapping(status: int, cls: type) -> None:
    error = error_from_response(status, {"detail": "boom"}, {"x-request-id": "r1"})
    assert type(error) is cls
    assert error.status_code == status and error.request_id == "r1" and error.message == "boom"


def test_rate_limit_envelope() -> None:
    body = {
        "success": False,
        "error": "RateLimitError",
        "message": "Too many requests",
        "status_code": 429,
        "request_id": "req-9",
        "details": {"limit_type": "requests_per_minute", "limit": 10, "retry_after": 7},
    }
    error = error_from_response(429, body, {"Retry-After": "3"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7 and error.source == "platform" and error.request_id == "req-9"
    assert error.details["limit"] == 10
    provider = error_from_response(429, {"detail": "slow down"}, {"retry-after": "2"}, byok=True)
    assert isinstance(provider, RateLimitError)
    assert provider.source == "provider" and provider.retry_after == 2


def test_validation_list_and_context_overflow() -> None:
    body = {"detail": [{"loc": ["body", "messages"], "msg": "field required", "type": "missing"}]}
    error = error_from_response(422, body)
    assert "body.messages: field required" in error.message
    assert error.details["errors"] == body["detail"]
    overflow = error_from_response(400, {"detail": "maximum context length is 8192 tokens"})
    assert isinstance(overflow, ContextWindowExceededError)


def test_stream_error_event_mapping_and_pickling() -> None:
    assert isinstance(error_from_stream_event("Status 401: bad key"), AuthenticationError)
    error = RateLimitError("x", retry_after=2.0, source="provider", status_code=429)
    clone = pickle.loads(pickle.dumps(error))
    assert isinstance(clone, RateLimitError)
    assert (clone.retry_after, clone.source, clone.status_code) == (2.0, "provider", 429)

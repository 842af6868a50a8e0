"""Exception hierarchy and the mapping from HTTP status and body to exceptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal


class IndoxHubError(Exception):
    """Base class of every error raised by indoxhub-integrations.

    Attributes:
        account_level: ``True`` for failures of the account itself (authentication, no
            credits, a budget exceeded): no model can fix them and every later call would fail
            too, so tools raise them to the caller instead of telling the agent.
        message: The server's (masked) message or the client's explanation.
        status_code: HTTP status, when the error came from a response.
        request_id: The server's request id, when known.
        details: Structured details from the error body (``limit_type``, ``available_models``...).
    """

    account_level: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        parts = [self.message]
        if self.status_code is not None:
            parts.append(f"(status {self.status_code}")
            parts[-1] += f", request {self.request_id})" if self.request_id else ")"
        return " ".join(parts)

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (
                type(self),
                self.message,
                self.status_code,
                self.request_id,
                self.details,
                self._extra(),
            ),
        )

    def _extra(self) -> dict[str, Any]:
        return {}


def _rebuild(
    cls: type[IndoxHubError],
    message: str,
    status_code: int | None,
    request_id: str | None,
    details: dict[str, Any],
    extra: dict[str, Any],
) -> IndoxHubError:
    error = cls.__new__(cls)
    IndoxHubError.__init__(
        error, message, status_code=status_code, request_id=request_id, details=details
    )
    for key, value in extra.items():
        setattr(error, key, value)
    return error


class BudgetExceededError(IndoxHubError):
    """A request was refused before sending because it would pass a :class:`Budget`.

    Attributes:
        spent: What the budget had counted (USD) when the request was refused.
        limit: The budget's ``max_cost`` (USD), or ``None`` for a non-cost limit.
        estimate: The refused request's worst case (USD) in strict mode, else ``None``.
    """

    def __init__(
        self, message: str, *, spent: float = 0.0, limit: float | None = None,
        estimate: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.spent = spent
        self.limit = limit
        self.estimate = estimate

    def _extra(self) -> dict[str, Any]:
        return {"spent": self.spent, "limit": self.limit, "estimate": self.estimate}


class AuthenticationError(IndoxHubError):
    """401: the platform key (or a BYOK key, as judged by the provider) was rejected."""

    account_level = True


class InsufficientCreditsError(IndoxHubError):
    """402: the account has no credits left for a platform request."""

    account_level = True


class RateLimitError(IndoxHubError):
    """429: a rate limit was hit.

    Attributes:
        retry_after: Seconds to wait before retrying, when the server said.
        source: ``"platform"`` for indoxhub's tier limits, ``"provider"`` for the provider's own
            limits (the only kind a BYOK request can hit).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        source: Literal["platform", "provider"] = "platform",
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.source = source

    def _extra(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after, "source": self.source}


class ModelNotFoundError(IndoxHubError):
    """404: the provider or model does not exist (``details.available_models`` may list some)."""


class InvalidRequestError(IndoxHubError):
    """400/422, or bad input caught before sending."""


class ContextWindowExceededError(InvalidRequestError):
    """The prompt does not fit the model's context window."""


class ByokProviderMismatchError(InvalidRequestError):
    """A BYOK key that provably belongs to another provider than the model's."""


class ProviderError(IndoxHubError):
    """500/502/504: the provider or the gateway failed."""


class InvalidToolCallError(ProviderError):
    """The model asked for a tool call whose arguments are not a JSON object (cut off by
    ``max_tokens`` or malformed), so it must not run; ``details`` has ``tool_name``,
    ``tool_call_id``, ``arguments`` (the raw text) and ``error``."""


class ServiceUnavailableError(IndoxHubError):
    """503: the model is temporarily unavailable."""


class APIConnectionError(IndoxHubError):
    """The server could not be reached, or the connection dropped."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class StreamInterruptedError(IndoxHubError):
    """A stream ended before its completion marker: the answer is incomplete."""


class _VideoJobError:
    """Mixin: the video job an error is about (``job_id``)."""

    job_id: str | None = None

    def _extra(self) -> dict[str, Any]:
        return {"job_id": self.job_id}


class VideoGenerationError(_VideoJobError, ProviderError):
    """A video job ended with status ``failed``; the message is the job's own error."""

    def __init__(self, message: str, *, job_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id


class VideoJobCancelledError(_VideoJobError, IndoxHubError):
    """A video job that was being waited for was cancelled."""

    def __init__(self, message: str, *, job_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id


class VideoWaitTimeout(_VideoJobError, APITimeoutError):
    """``wait_for_video`` gave up waiting; the job keeps running and can be waited for again."""

    def __init__(self, message: str, *, job_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id


class IndoxHubWarning(UserWarning):
    """Something in the server's answer differs from what was assumed (a warning, not an error).

    For example a BYOK key that the server did not use, or a cost it reported as NaN.
    """


RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Statuses the retry layer retries."""

_CONTEXT_HINTS = ("context length", "context window", "maximum context", "too many tokens")


def tool_error_message(error: IndoxHubError) -> str:
    """What an agent's model is told when a tool's request failed in a way it may recover from.

    The text is the error's (already masked) message with what kind of failure it was, so the
    model can retry with other arguments or explain; it never holds a key.
    """
    kind = {
        "InvalidRequestError": "the request was refused",
        "ContextWindowExceededError": "the input is too long",
        "ModelNotFoundError": "the model does not exist",
        "RateLimitError": "rate limited; try again later",
        "ProviderError": "the provider failed",
        "ServiceUnavailableError": "the model is temporarily unavailable",
        "APIConnectionError": "the service could not be reached",
        "APITimeoutError": "the request timed out",
    }
    for cls in type(error).__mro__:
        if cls.__name__ in kind:
            return f"Tool error ({kind[cls.__name__]}): {error}"
    return f"Tool error: {error}"


def _message_from_body(body: Any, fallback: str) -> str:
    if isinstance(body, Mapping):
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if isinstance(detail, list):
            return "; ".join(_validation_item(item) for item in detail) or fallback
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                return str(value["message"])
    elif isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return fallback


def _validation_item(item: Any) -> str:
    if not isinstance(item, Mapping):
        return str(item)
    loc = item.get("loc")
    where = ".".join(str(part) for part in loc) if isinstance(loc, Iterable) else ""
    msg = str(item.get("msg", "invalid value"))
    return f"{where}: {msg}" if where else msg


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def error_from_response(
    status_code: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    byok: bool = False,
) -> IndoxHubError:
    """Build the exception for an error response.

    Args:
        status_code: The HTTP status.
        body: The decoded JSON body (or text when it was not JSON).
        headers: Response headers (``Retry-After``, ``X-Request-ID``).
        byok: Whether the request carried a BYOK key (a 429 then comes from the provider).

    Returns:
        The matching :class:`IndoxHubError` subclass, not raised.
    """
    headers = headers or {}
    message = _message_from_body(body, f"indoxhub answered HTTP {status_code}")
    details: dict[str, Any] = {}
    request_id = headers.get("x-request-id") or headers.get("X-Request-ID")
    if isinstance(body, Mapping):
        raw_details = body.get("details")
        if isinstance(raw_details, Mapping):
            details = dict(raw_details)
        if isinstance(body.get("detail"), list):
            details["errors"] = body["detail"]
        request_id = body.get("request_id") or request_id
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "request_id": request_id,
        "details": details,
    }
    if status_code == 401:
        return AuthenticationError(message, **kwargs)
    if status_code == 402:
        return InsufficientCreditsError(message, **kwargs)
    if status_code == 404:
        return ModelNotFoundError(message, **kwargs)
    if status_code == 429:
        retry_after = _float_or_none(details.get("retry_after"))
        if retry_after is None:
            retry_after = _float_or_none(headers.get("retry-after") or headers.get("Retry-After"))
        limit_type = str(details.get("limit_type", ""))
        provider_side = byok or "provider" in limit_type or "provider" in message.lower()
        return RateLimitError(
            message,
            retry_after=retry_after,
            source="provider" if provider_side else "platform",
            **kwargs,
        )
    if status_code in (400, 413, 422):
        if any(hint in message.lower() for hint in _CONTEXT_HINTS):
            return ContextWindowExceededError(message, **kwargs)
        return InvalidRequestError(message, **kwargs)
    if status_code == 503:
        return ServiceUnavailableError(message, **kwargs)
    if status_code >= 500:
        return ProviderError(message, **kwargs)
    return IndoxHubError(message, **kwargs)


def error_from_stream_event(message: str) -> IndoxHubError:
    """Build the exception for an ``{"error": ...}`` event inside a stream."""
    if "Status 401" in message or "authentication" in message.lower():
        return AuthenticationError(message, status_code=401)
    if "Status 429" in message:
        return RateLimitError(message, status_code=429)
    if "Status 402" in message:
        return InsufficientCreditsError(message, status_code=402)
    return ProviderError(message)

"""The exception hierarchy (re-exported from :mod:`indoxhub_integrations.core.errors`)."""

from .core.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ByokProviderMismatchError,
    ContextWindowExceededError,
    IndoxHubError,
    InsufficientCreditsError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderError,
    RateLimitError,
    ServiceUnavailableError,
    StreamInterruptedError,
    VideoGenerationError,
    VideoJobCancelledError,
    VideoWaitTimeout,
)

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "ByokProviderMismatchError",
    "ContextWindowExceededError",
    "IndoxHubError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "ModelNotFoundError",
    "ProviderError",
    "RateLimitError",
    "ServiceUnavailableError",
    "StreamInterruptedError",
    "VideoGenerationError",
    "VideoJobCancelledError",
    "VideoWaitTimeout",
]

"""Core errors, re-raised as classes that are also the matching ``langchain_core`` exceptions.

Every class here subclasses the core error (so ``except indoxhub_integrations.errors.
RateLimitError`` keeps working) and the ``langchain_core.exceptions`` type for the same
condition (so ``with_retry(retry_if_exception_type=(ModelRateLimitError,))``, fallbacks and
agents recognise it). Retries themselves happen once, in the core client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from langchain_core import exceptions as lc

from ..core import errors as core

__all__ = [
    "IndoxHubAPIConnectionError",
    "IndoxHubAPITimeoutError",
    "IndoxHubAuthenticationError",
    "IndoxHubBudgetExceededError",
    "IndoxHubByokProviderMismatchError",
    "IndoxHubContextOverflowError",
    "IndoxHubInsufficientCreditsError",
    "IndoxHubInvalidRequestError",
    "IndoxHubLangChainError",
    "IndoxHubModelNotFoundError",
    "IndoxHubProviderError",
    "IndoxHubRateLimitError",
    "IndoxHubServiceUnavailableError",
    "IndoxHubStreamInterruptedError",
    "IndoxHubVideoGenerationError",
    "IndoxHubVideoJobCancelledError",
    "IndoxHubVideoWaitTimeout",
    "convert_error",
    "map_errors",
]


class IndoxHubLangChainError(core.IndoxHubError, lc.ModelError):
    """Any indoxhub error, as a LangChain ``ModelError``."""


class IndoxHubAuthenticationError(core.AuthenticationError, lc.ModelAuthenticationError):
    """401: the platform key or a BYOK key was rejected."""


class IndoxHubBudgetExceededError(core.BudgetExceededError, lc.ModelError):
    """A budget refused the request before sending (langchain-core has no narrower type)."""


class IndoxHubInsufficientCreditsError(core.InsufficientCreditsError, lc.ModelError):
    """402: no credits left for a platform request."""


class IndoxHubRateLimitError(core.RateLimitError, lc.ModelRateLimitError):
    """429: a platform or provider rate limit (``retry_after``, ``source``)."""


class IndoxHubModelNotFoundError(core.ModelNotFoundError, lc.ModelNotFoundError):
    """404: unknown provider or model."""


class IndoxHubInvalidRequestError(core.InvalidRequestError, lc.ModelInvalidRequestError):
    """400/422, or bad input caught before sending."""


class IndoxHubContextOverflowError(
    core.ContextWindowExceededError, IndoxHubInvalidRequestError, lc.ContextOverflowError
):
    """The prompt does not fit the model's context window."""


class IndoxHubByokProviderMismatchError(
    core.ByokProviderMismatchError, IndoxHubInvalidRequestError
):
    """A BYOK key that provably belongs to another provider than the model's."""


class IndoxHubProviderError(core.ProviderError, lc.ModelAPIError):
    """500/502/504: the provider or the gateway failed."""


class IndoxHubServiceUnavailableError(core.ServiceUnavailableError, lc.ModelAPIError):
    """503: the model is temporarily unavailable."""


class IndoxHubAPIConnectionError(core.APIConnectionError, lc.ModelConnectionError):
    """The server could not be reached."""


class IndoxHubAPITimeoutError(
    core.APITimeoutError, IndoxHubAPIConnectionError, lc.ModelTimeoutError
):
    """The request timed out."""


class IndoxHubStreamInterruptedError(core.StreamInterruptedError, lc.ModelConnectionError):
    """A stream broke off before its end: the answer is incomplete."""


class IndoxHubVideoGenerationError(core.VideoGenerationError, IndoxHubProviderError):
    """A video job failed (``job_id``; the job's own message)."""


class IndoxHubVideoJobCancelledError(core.VideoJobCancelledError, lc.ModelError):
    """A video job that was being waited for was cancelled (``job_id``)."""


class IndoxHubVideoWaitTimeout(core.VideoWaitTimeout, IndoxHubAPITimeoutError):
    """Waiting for a video job timed out; the job keeps running (``job_id``)."""


# Most specific first: the first match wins.
_MAPPING: tuple[tuple[type[core.IndoxHubError], type[core.IndoxHubError]], ...] = (
    (core.VideoGenerationError, IndoxHubVideoGenerationError),
    (core.VideoJobCancelledError, IndoxHubVideoJobCancelledError),
    (core.VideoWaitTimeout, IndoxHubVideoWaitTimeout),
    (core.AuthenticationError, IndoxHubAuthenticationError),
    (core.BudgetExceededError, IndoxHubBudgetExceededError),
    (core.InsufficientCreditsError, IndoxHubInsufficientCreditsError),
    (core.RateLimitError, IndoxHubRateLimitError),
    (core.ModelNotFoundError, IndoxHubModelNotFoundError),
    (core.ContextWindowExceededError, IndoxHubContextOverflowError),
    (core.ByokProviderMismatchError, IndoxHubByokProviderMismatchError),
    (core.InvalidRequestError, IndoxHubInvalidRequestError),
    (core.ServiceUnavailableError, IndoxHubServiceUnavailableError),
    (core.ProviderError, IndoxHubProviderError),
    (core.APITimeoutError, IndoxHubAPITimeoutError),
    (core.APIConnectionError, IndoxHubAPIConnectionError),
    (core.StreamInterruptedError, IndoxHubStreamInterruptedError),
    (core.IndoxHubError, IndoxHubLangChainError),
)
_LC_CLASSES = frozenset(target for _, target in _MAPPING)


def convert_error(error: core.IndoxHubError) -> core.IndoxHubError:
    """Return ``error`` as the matching LangChain-aware class (same message and attributes)."""
    if type(error) in _LC_CLASSES:
        return error
    for source, target in _MAPPING:
        if isinstance(error, source):
            converted = target.__new__(target)
            converted.__dict__.update(error.__dict__)
            converted.args = error.args
            return converted
    return error  # pragma: no cover - every core error is an IndoxHubError


@contextmanager
def map_errors() -> Iterator[None]:
    """Re-raise core errors raised inside the block as their LangChain-aware classes."""
    try:
        yield
    except core.IndoxHubError as error:
        converted = convert_error(error)
        if converted is error:
            raise
        raise converted.with_traceback(error.__traceback__) from None

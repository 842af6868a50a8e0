"""Expected failures of the tour, turned into one clear message and a hint (no traceback)."""

from __future__ import annotations

from ..errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ByokProviderMismatchError,
    IndoxHubError,
    InsufficientCreditsError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitError,
    ServiceUnavailableError,
)


class DemoError(Exception):
    """A failure the tour explains to the user and exits on (exit code 1)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def find_indoxhub_error(exc: BaseException) -> IndoxHubError | None:
    """``exc`` itself or the first indoxhub error in its cause/context chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, IndoxHubError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def core_name(error: IndoxHubError) -> str:
    """The name of the core exception class (the LangChain adapter raises subclasses)."""
    for cls in type(error).__mro__:
        if cls.__module__.endswith("core.errors"):
            return cls.__name__
    return type(error).__name__


def explain(
    error: IndoxHubError, *, where: str, byok_env: str | None, byok: bool | None = None
) -> DemoError:
    """The message and hint for an indoxhub error raised while doing ``where``.

    Args:
        error: The error.
        where: What the tour was doing ("Step 1 (LangChain chain with BYOK)").
        byok_env: The env var the BYOK key came from, if any.
        byok: Whether the failing request carried a BYOK key (``None``: unknown).
    """
    message = f"{where} failed: {core_name(error)}: {error}"
    return DemoError(message, _hint(error, byok_env, byok))


def _hint(error: IndoxHubError, byok_env: str | None, byok: bool | None) -> str:
    key_source = f"the provider key in ${byok_env}" if byok_env else "your BYOK key"
    if isinstance(error, ByokProviderMismatchError):
        return (
            f"{key_source} belongs to another provider than the model: pass a key of the "
            "model's provider (--byok-key-env NAME) or pick a model of the key's provider "
            "(--model provider/model)."
        )
    if isinstance(error, AuthenticationError):
        if byok:
            rejected = f"the provider rejected {key_source}"
        elif byok is False:
            rejected = "the indoxhub API key (INDOXHUB_API_KEY) was rejected"
        else:
            rejected = f"the indoxhub API key (INDOXHUB_API_KEY) or {key_source} was rejected"
        return f"{rejected}: check that it is complete and still active."
    if isinstance(error, InsufficientCreditsError):
        return (
            "your indoxhub account has no credits left for this request: top up, or bring "
            "your own provider key (BYOK, --byok-key-env NAME): BYOK requests spend no credits."
        )
    if isinstance(error, RateLimitError):
        wait = f" in {error.retry_after:.0f} s" if error.retry_after else " in a minute"
        side = "indoxhub's tier limit" if error.source == "platform" else "the provider's limit"
        return f"rate limited by {side}: try again{wait}, or use BYOK to bypass platform limits."
    if isinstance(error, ModelNotFoundError):
        return "check the model name (--model provider/model) against the model catalog."
    if isinstance(error, APITimeoutError | APIConnectionError):
        return "the server could not be reached: check --base-url and your network."
    if isinstance(error, ServiceUnavailableError):
        return "the model is temporarily unavailable: try again later or pick another --model."
    if isinstance(error, InvalidRequestError):
        return "the request was rejected as invalid: check --model and the options given."
    return "see the message above; rerun with the same options once the cause is fixed."

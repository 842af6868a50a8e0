"""Constructor fields and helpers shared by ``IndoxHub``, ``IndoxHubEmbedding`` and
``IndoxHubToolSpec``.

The connection fields are the core's
:class:`~indoxhub_integrations.core.options.IndoxHubOptions`: they resolve from the
environment at construction (no network I/O); the clients are built on first use and never
pickled. Secrets are ``SecretStr`` and are left out of ``to_dict()``/``to_json()`` (a model
rebuilt from its dict reads them from the environment).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import SecretStr

from ..core.options import IndoxHubOptions

BYOK_KWARG = "byok_api_key"
"""The per-call keyword that carries a request's own provider key."""


class CallSecret(SecretStr):
    """A per-call key: masked in every ``repr`` like any ``SecretStr``, and never pickled.

    Handlers that keep payloads (``LlamaDebugHandler``...) keep this object; pickling them (or
    a model that holds them) stores the mask, not the key, so a per-call key cannot travel to
    disk or to worker processes. In-memory copies keep the key.
    """

    def __reduce__(self) -> Any:
        return (SecretStr, ("**********",))

    def __copy__(self) -> CallSecret:
        return self

    def __deepcopy__(self, memo: Any) -> CallSecret:
        return self


def protect_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of call kwargs whose per-call BYOK key is a ``SecretStr``.

    LlamaIndex copies call kwargs into instrumentation events, span arguments and legacy
    callback payloads; as a ``SecretStr`` the key shows as ``'**********'`` in every ``repr``
    and serialization. ``llm_kwargs`` (structured prediction) is protected the same way.
    """
    protected = dict(kwargs)
    key = protected.get(BYOK_KWARG)
    if isinstance(key, str | SecretStr) and not isinstance(key, CallSecret):
        protected[BYOK_KWARG] = CallSecret(
            key.get_secret_value() if isinstance(key, SecretStr) else key
        )
    nested = protected.get("llm_kwargs")
    if isinstance(nested, Mapping):
        protected["llm_kwargs"] = protect_kwargs(nested)
    return protected


_CALL_KEY: ContextVar[SecretStr | None] = ContextVar("indoxhub_call_key", default=None)


def pop_call_key(kwargs: dict[str, Any]) -> CallSecret | None:
    """Remove ``byok_api_key`` from ``kwargs`` (prompt template arguments) and protect it."""
    key = kwargs.pop(BYOK_KWARG, None)
    if key is None:
        return None
    if not isinstance(key, str | SecretStr):
        raise TypeError(f"{BYOK_KWARG} must be a string or SecretStr, got {type(key).__name__}.")
    protected = protect_kwargs({BYOK_KWARG: key})[BYOK_KWARG]
    assert isinstance(protected, CallSecret)
    return protected


@contextmanager
def call_key(key: SecretStr | None) -> Iterator[None]:
    """Within the block, requests without a per-call key of their own use ``key``.

    ``predict``/``stream``/``apredict``/``astream`` take the key out of the prompt arguments
    (where LlamaIndex would format it into the prompt and copy it into its events and spans)
    and hold it here while LlamaIndex builds and sends the request.
    """
    if key is None:
        yield
        return
    token = _CALL_KEY.set(key)
    try:
        yield
    finally:
        _CALL_KEY.reset(token)


def current_call_key() -> SecretStr | None:
    """The key held by :func:`call_key` in this context, if any."""
    return _CALL_KEY.get()


class IndoxHubConnection(IndoxHubOptions):
    """The shared connection options (documented once, on
    :class:`~indoxhub_integrations.core.options.IndoxHubOptions`) as a LlamaIndex mixin."""

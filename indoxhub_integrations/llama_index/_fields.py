"""Constructor fields and helpers shared by ``IndoxHub``, ``IndoxHubEmbedding`` and
``IndoxHubToolSpec``.

The connection fields resolve from the environment at construction (no network I/O); the
clients are built on first use by :class:`~indoxhub_integrations.core.lazy.LazyClients`, kept
in a private attribute and never pickled. Secrets are ``SecretStr`` and are left out of
``to_dict()``/``to_json()`` (a model rebuilt from its dict reads them from the environment).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, SecretStr

from ..core.config import (
    API_KEY_ENV_VARS,
    BASE_URL_ENV_VAR,
    BYOK_KEY_ENV_VAR,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from ..core.lazy import LazyClients

BYOK_KWARG = "byok_api_key"
"""The per-call keyword that carries a request's own provider key."""


def _secret_from_env(*names: str) -> Callable[[], SecretStr | None]:
    def read() -> SecretStr | None:
        for name in names:
            value = os.environ.get(name)
            if value:
                return SecretStr(value)
        return None

    return read


def _base_url_from_env() -> str:
    return os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL


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


_CONNECTION_FIELDS = frozenset(
    {"api_key", "base_url", "byok_api_key", "byok_api_keys", "byok_from_env", "timeout",
     "max_retries", "allow_insecure_http"}
)  # fmt: skip


class IndoxHubConnection(BaseModel):
    """Where and how to reach indoxhub, and which BYOK keys to use (a mixin)."""

    api_key: SecretStr | None = Field(
        default_factory=_secret_from_env(*API_KEY_ENV_VARS), exclude=True
    )
    """The indoxhub platform key (env ``INDOXHUB_API_KEY``, then ``INDOX_ROUTER_API_KEY``)."""
    base_url: str = Field(default_factory=_base_url_from_env)
    """Server root (env ``INDOXHUB_BASE_URL``, default ``https://api.indoxhub.com``)."""
    byok_api_key: SecretStr | None = Field(
        default_factory=_secret_from_env(BYOK_KEY_ENV_VAR), exclude=True
    )
    """Your own provider key for every request (env ``INDOXHUB_BYOK_API_KEY``); no credits
    are spent and the platform rate limit does not apply."""
    byok_api_keys: dict[str, SecretStr] = Field(default_factory=dict, exclude=True)
    """Your own provider keys by provider name (``{"openai": ..., "anthropic": ...}``), used
    for models of that provider when no ``byok_api_key`` applies."""
    byok_from_env: bool = False
    """Read BYOK keys from the providers' usual env vars (``OPENAI_API_KEY``...)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds before a request (or a pause in a stream) times out."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries for 429, 5xx and connection failures (streams: before their first event)."""
    allow_insecure_http: bool = False
    """Allow sending keys over plain ``http://`` to a host other than loopback."""

    _lazy: LazyClients | None = PrivateAttr(default=None)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("api_key", "byok_api_key") and isinstance(value, str):
            value = SecretStr(value)  # assigned keys stay secret in repr and dumps
        elif name == "byok_api_keys" and isinstance(value, Mapping):
            value = {k: SecretStr(v) if isinstance(v, str) else v for k, v in value.items()}
        super().__setattr__(name, value)
        if name in _CONNECTION_FIELDS:
            self._lazy = None  # the next request builds clients from the new settings

    @property
    def clients(self) -> LazyClients:
        """The sync and async indoxhub clients, built on first use."""
        if self._lazy is None:
            self._lazy = LazyClients(
                api_key=self.api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                byok_api_key=self.byok_api_key,
                byok_api_keys=dict(self.byok_api_keys),
                byok_from_env=self.byok_from_env,
                allow_insecure_http=self.allow_insecure_http,
            )
        return self._lazy

"""The constructor fields every LangChain indoxhub class shares, and the helpers built on them.

``IndoxHubFields`` holds the connection and BYOK fields (``model``, ``api_key``, ``base_url``,
``byok_api_key``, ``byok_api_keys``, ``byok_from_env``, ``timeout``, ``max_retries``) and a
private, lazily built :class:`~indoxhub_integrations.core.lazy.LazyClients`, so constructing a
model does no network I/O, never fails for a missing key, and pickles cleanly.
``SamplingFields`` adds the sampling parameters of the chat and text completion models.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from ..core.byok import PROVIDER_ENV_VARS, secret_value
from ..core.config import API_KEY_ENV_VARS, BASE_URL_ENV_VAR, BYOK_KEY_ENV_VAR
from ..core.errors import InvalidRequestError
from ..core.lazy import LazyClients

try:  # langchain-core is an optional extra; the adapter needs it.
    from langchain_core.utils import from_env, secret_from_env
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "indoxhub_integrations.langchain needs langchain-core: "
        "pip install 'indoxhub-integrations[langchain]'"
    ) from exc

LC_NAMESPACE = ["indoxhub_integrations", "langchain"]
"""The serialization namespace prefix of every class of the adapter."""

BYOK_PER_CALL = "byok_api_key"
"""The per-call keyword that carries a BYOK key (``invoke(..., byok_api_key=...)``)."""

_CLIENT_FIELDS = (
    "api_key",
    "base_url",
    "timeout",
    "max_retries",
    "byok_api_key",
    "byok_api_keys",
    "byok_from_env",
    "allow_insecure_http",
)

SAMPLING_FIELDS = ("temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty")
"""Sampling parameters sent as top-level request fields."""


def register_for_load(cls: type[Any]) -> None:
    """Let ``load(..., allowed_objects="all")`` revive ``cls`` like a partner integration.

    LangChain's ``"all"`` allowlist is built from its own mapping of partner classes; this adds
    the class's own path to it (and drops the cached allowlist). Explicit
    ``allowed_objects=[cls]`` works without it. Best effort: a langchain-core without these
    internals keeps its default behaviour.
    """
    try:
        lc_load = importlib.import_module("langchain_core.load.load")
        path = tuple(cls.lc_id())
        lc_load.ALL_SERIALIZABLE_MAPPINGS.setdefault(path, path)
        lc_load._default_class_paths_cache.pop("all", None)
    except (AttributeError, ImportError, TypeError):  # pragma: no cover - other versions
        pass


def mask_per_call_key(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return ``kwargs`` with a per-call BYOK key wrapped in ``SecretStr`` (masked in repr)."""
    value = kwargs.get(BYOK_PER_CALL)
    if isinstance(value, str):
        return {**kwargs, BYOK_PER_CALL: SecretStr(value)}
    return kwargs


_SECRET_KWARGS = frozenset({BYOK_PER_CALL, "api_key"})
_DROPPED_KWARGS = ("stream", "ls_structured_output_format", "structured_output_format")


def sanitize_params(params: Mapping[str, Any], *, byok: bool) -> dict[str, Any]:
    """Copy tracing parameters without any key: a per-call BYOK key becomes ``byok: True``."""
    clean = {key: value for key, value in params.items() if key not in _SECRET_KWARGS}
    if byok or params.get(BYOK_PER_CALL):
        clean["byok"] = True
    return clean


class IndoxHubFields(BaseModel):
    """Connection, authentication and BYOK fields shared by every indoxhub LangChain class."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    model: str = Field(default="openai/gpt-4o-mini", alias="model_name")
    """The model in ``provider/model`` form (``model_name`` is accepted as an alias)."""

    api_key: SecretStr | None = Field(
        default_factory=secret_from_env(list(API_KEY_ENV_VARS), default=None)
    )
    """The indoxhub platform key; defaults to ``INDOXHUB_API_KEY``, then
    ``INDOX_ROUTER_API_KEY``. A missing key is reported on the first request, not here."""

    base_url: str | None = Field(default_factory=from_env(BASE_URL_ENV_VAR, default=None))
    """Server root; defaults to ``INDOXHUB_BASE_URL``, else ``https://api.indoxhub.com``."""

    byok_api_key: SecretStr | None = Field(
        default_factory=secret_from_env(BYOK_KEY_ENV_VAR, default=None)
    )
    """Your own provider key for every request (``INDOXHUB_BYOK_API_KEY``); BYOK requests
    spend no indoxhub credits and skip the platform rate limit."""

    byok_api_keys: dict[str, SecretStr] | None = Field(default=None, exclude=True)
    """Your own provider keys by provider (``{"openai": ..., "anthropic": ...}``), used when no
    per-call key and no ``byok_api_key`` applies. Never serialized: after ``load``, pass them
    again or use ``byok_from_env=True``."""

    byok_from_env: bool = False
    """Read BYOK keys from the providers' usual env vars (``OPENAI_API_KEY``...)."""

    timeout: float | None = None
    """Seconds before a request times out (core default: 60)."""

    max_retries: int | None = None
    """Retries for 429, 5xx and connection errors, done once in the core (default: 2)."""

    allow_insecure_http: bool = False
    """Allow sending keys over plain ``http://`` to a host other than loopback."""

    _lazy: LazyClients | None = PrivateAttr(default=None)
    _lazy_fingerprint: tuple[Any, ...] | None = PrivateAttr(default=None)

    @property
    def model_name(self) -> str:
        """The model, under the name some LangChain code looks for."""
        return self.model

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Secret fields and the env vars they are reloaded from by ``load``."""
        return {"api_key": API_KEY_ENV_VARS[0], "byok_api_key": BYOK_KEY_ENV_VAR}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """indoxhub models serialize with ``dumpd``/``dumps`` (secrets as references)."""
        return True

    def _fingerprint(self) -> tuple[Any, ...]:
        keys = self.byok_api_keys
        return tuple(
            tuple(sorted(keys.items())) if name == "byok_api_keys" and keys else getattr(self, name)
            for name in _CLIENT_FIELDS
        )

    @property
    def clients(self) -> LazyClients:
        """The sync and async core clients, built on first use from the current fields."""
        fingerprint = self._fingerprint()
        lazy = self._lazy
        if lazy is None or fingerprint != self._lazy_fingerprint:
            lazy = LazyClients(
                api_key=self.api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                byok_api_key=self.byok_api_key,
                byok_api_keys=self.byok_api_keys,
                byok_from_env=self.byok_from_env,
                allow_insecure_http=self.allow_insecure_http,
            )
            self._lazy, self._lazy_fingerprint = lazy, fingerprint
        return lazy

    def byok_configured(self, per_call: Any = None, model: str | None = None) -> bool:
        """Whether a request would carry a BYOK key (for tracing markers; never the key)."""
        if secret_value(per_call) or self.byok_api_key is not None:
            return True
        provider = (model or self.model).partition("/")[0].lower()
        if self.byok_api_keys and provider in {name.lower() for name in self.byok_api_keys}:
            return True
        if self.byok_from_env:
            names = PROVIDER_ENV_VARS.get(provider, (f"{provider.upper()}_API_KEY",))
            return any(os.environ.get(name) for name in names)
        return False


class ExtraParamsFields(BaseModel):
    """Extra request parameters, and the collection of unknown constructor arguments."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    model_kwargs: dict[str, Any] = Field(default_factory=dict, alias="additional_params")
    """Extra parameters sent in ``additional_params`` with every request (per-call values
    win). Unknown constructor arguments land here too."""

    @model_validator(mode="before")
    @classmethod
    def _collect_extra(cls, values: Any) -> Any:
        """Move unknown constructor arguments into ``model_kwargs``, with a warning."""
        if not isinstance(values, dict):
            return values
        known: set[str] = set()
        for name, field in cls.model_fields.items():
            known.add(name)
            if field.alias:
                known.add(field.alias)
        extra = {key: values[key] for key in list(values) if key not in known}
        if not extra:
            return values
        values = {key: value for key, value in values.items() if key not in extra}
        existing = values.get("model_kwargs", values.get("additional_params")) or {}
        for key in extra:
            warnings.warn(
                f"{key!r} is not a {cls.__name__} field; it is sent in additional_params.",
                stacklevel=4,
            )
        values["model_kwargs"] = {**existing, **extra}
        values.pop("additional_params", None)
        return values


class SamplingFields(ExtraParamsFields):
    """Sampling parameters and stop sequences of the chat and text completion models."""

    temperature: float | None = None
    """Sampling temperature."""

    max_tokens: int | None = None
    """The most tokens to generate."""

    top_p: float | None = None
    """Nucleus sampling probability mass."""

    frequency_penalty: float | None = None
    """Penalty for tokens by their frequency so far."""

    presence_penalty: float | None = None
    """Penalty for tokens already present."""

    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences (``stop_sequences`` is accepted as an alias)."""

    def sampling_params(self) -> dict[str, Any]:
        """The instance's sampling parameters that are set."""
        return {
            name: value for name in SAMPLING_FIELDS if (value := getattr(self, name)) is not None
        }

    def ls_params(
        self, model_type: str, stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """LangSmith's ``ls_*`` parameters (``ls_provider="indoxhub"``) for one call."""
        model = kwargs.get("model")
        params: dict[str, Any] = {
            "ls_provider": "indoxhub",
            "ls_model_name": model if isinstance(model, str) else getattr(self, "model", None),
            "ls_model_type": model_type,
        }
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if ls_stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = ls_stop
        return params

    def call_params(
        self, default_model: str, stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any], Any]:
        """Model, request parameters and per-call BYOK key of one request.

        Precedence, lowest first: the instance's sampling fields, its ``model_kwargs``, the
        call's ``additional_params``/``model_kwargs``, the call's other keyword arguments.
        Stop sequences: the call's ``stop``, else the instance's.
        """
        call = dict(kwargs)
        for name in _DROPPED_KWARGS:
            call.pop(name, None)
        if "api_key" in call:
            raise InvalidRequestError(
                "api_key cannot be passed per call: set it on the model, or pass your own "
                "provider key per call as byok_api_key=..."
            )
        byok = call.pop(BYOK_PER_CALL, None)
        model = call.pop("model", None) or default_model
        extra = {
            **(call.pop("model_kwargs", None) or {}),
            **(call.pop("additional_params", None) or {}),
        }
        params = {**self.sampling_params(), **self.model_kwargs, **extra, **call}
        call_stop = params.pop("stop", None)
        stop = stop if stop is not None else call_stop if call_stop is not None else self.stop
        if isinstance(stop, str):  # one stop sequence, not one per character
            stop = [stop]
        if stop:
            if not isinstance(stop, list | tuple):
                raise InvalidRequestError(
                    f"stop must be a string or a list of strings, got {type(stop).__name__}."
                )
            params["stop"] = list(stop)
        return model, params, byok

"""The constructor fields every LangChain indoxhub class shares, and the helpers built on them.

``IndoxHubFields`` is the core's :class:`~indoxhub_integrations.core.options.IndoxHubOptions`
(connection and BYOK options, lazily built clients: constructing a model does no network I/O,
never fails for a missing key, and pickles cleanly) plus ``model`` and LangChain's
serialization hooks.
``SamplingFields`` adds the sampling parameters of the chat and text completion models.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from ..core.config import API_KEY_ENV_VARS, BYOK_KEY_ENV_VAR
from ..core.errors import InvalidRequestError
from ..core.options import IndoxHubOptions

try:  # langchain-core is an optional extra; the adapter needs it.
    from langchain_core.load.serializable import Serializable
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "indoxhub_integrations.langchain needs langchain-core: "
        "pip install 'indoxhub-integrations[langchain]'"
    ) from exc

LC_NAMESPACE = ["indoxhub_integrations", "langchain"]
"""The serialization namespace prefix of every class of the adapter."""

BYOK_PER_CALL = "byok_api_key"
"""The per-call keyword that carries a BYOK key (``invoke(..., byok_api_key=...)``)."""

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


class BoundByokKey(Serializable):
    """A BYOK key bound with ``.bind(byok_api_key=...)``: masked in every ``repr`` and dumped by
    ``dumps``/``dumpd`` as a secret reference (``INDOXHUB_BYOK_API_KEY``), never as text.

    ``loads(text, secrets_map={"INDOXHUB_BYOK_API_KEY": key},
    valid_namespaces=["indoxhub_integrations"], allowed_objects="all")`` restores it.
    """

    key: SecretStr
    """The bound key."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Bound keys serialize, as a secret reference."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The serialization namespace: ``indoxhub_integrations.langchain._fields``."""
        return [*LC_NAMESPACE, "_fields"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The key is dumped as a reference to ``INDOXHUB_BYOK_API_KEY``."""
        return {"key": BYOK_KEY_ENV_VAR}


register_for_load(BoundByokKey)


def per_call_key(value: Any) -> Any:
    """A per-call BYOK key as the core takes it (a bound key unwrapped to its ``SecretStr``)."""
    return value.key if isinstance(value, BoundByokKey) else value


def mask_per_call_key(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return ``kwargs`` with a bound BYOK key wrapped in :class:`BoundByokKey` (masked in
    ``repr``, a secret reference when serialized)."""
    value = kwargs.get(BYOK_PER_CALL)
    if isinstance(value, str | SecretStr):
        key = SecretStr(value) if isinstance(value, str) else value
        return {**kwargs, BYOK_PER_CALL: BoundByokKey(key=key)}
    return kwargs


_SECRET_KWARGS = frozenset({BYOK_PER_CALL, "api_key"})
_DROPPED_KWARGS = ("stream", "ls_structured_output_format", "structured_output_format")


def sanitize_params(params: Mapping[str, Any], *, byok: bool) -> dict[str, Any]:
    """Copy tracing parameters without any key: a per-call BYOK key becomes ``byok: True``."""
    clean = {key: value for key, value in params.items() if key not in _SECRET_KWARGS}
    per_call = per_call_key(params.get(BYOK_PER_CALL))
    if isinstance(per_call, SecretStr):
        per_call = per_call.get_secret_value()
    if byok or (isinstance(per_call, str) and per_call.strip()):
        clean["byok"] = True
    return clean


class IndoxHubFields(IndoxHubOptions):
    """The shared connection options plus the LangChain specifics: ``model``/``model_name``,
    ``lc_secrets`` and serializability. The options themselves are documented once, on
    :class:`~indoxhub_integrations.core.options.IndoxHubOptions`."""

    model: str = Field(default="openai/gpt-4o-mini", alias="model_name")
    """The model in ``provider/model`` form (``model_name`` is accepted as an alias)."""

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

    def configurable_fields(self, **kwargs: Any) -> Any:
        """Make fields configurable at run time; aliases work too (``model_name`` for
        ``model``, ``max_completion_tokens`` for ``max_tokens``...), as on ``ChatOpenAI``."""
        by_alias = {
            field.alias: name for name, field in type(self).model_fields.items() if field.alias
        }
        named = {by_alias.get(key, key): value for key, value in kwargs.items()}
        return super().configurable_fields(**named)  # type: ignore[misc]


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

    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    """The most tokens to generate (``max_completion_tokens`` is accepted as an alias)."""

    top_p: float | None = None
    """Nucleus sampling probability mass."""

    frequency_penalty: float | None = None
    """Penalty for tokens by their frequency so far."""

    presence_penalty: float | None = None
    """Penalty for tokens already present."""

    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences (``stop_sequences`` is accepted as an alias)."""

    n: int | None = None
    """Answers per prompt. indoxhub returns one answer per request, so only ``1`` (or unset)
    is accepted; anything else is refused before sending (use ``batch`` for several)."""

    extra_body: dict[str, Any] | None = None
    """Extra request fields (as on ``ChatOpenAI``): the schema's top-level fields go top-level,
    the rest into ``additional_params``. Per-call ``extra_body`` is merged over it."""

    stream_usage: bool = True
    """Put token usage (``usage_metadata``) on the last streamed chunk. The cost stays in its
    ``response_metadata`` either way."""

    def sampling_params(self) -> dict[str, Any]:
        """The instance's sampling parameters that are set."""
        return {
            name: value for name in SAMPLING_FIELDS if (value := getattr(self, name)) is not None
        }

    def ls_params(
        self, model_type: str, stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """LangSmith's ``ls_*`` parameters (``ls_provider="indoxhub"``) for one call, as known
        before the answer: the tracer replaces ``ls_provider``/``ls_model_name`` with the
        provider and model that answered (the answer's gateway metadata)."""
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
        byok = per_call_key(call.pop(BYOK_PER_CALL, None))
        model = call.pop("model", None) or default_model
        if "max_completion_tokens" in call:  # ChatOpenAI's name for it
            call["max_tokens"] = call.pop("max_completion_tokens")
        call.pop("stream_usage", None)  # usage always rides on the last chunk
        answers = call.pop("n", self.n)
        if answers not in (None, 1):
            raise InvalidRequestError(
                f"n={answers!r}: indoxhub returns one answer per chat request. Send the prompt "
                "several times instead (llm.batch([prompt] * n))."
            )
        extra = {
            **(self.extra_body or {}),
            **(call.pop("extra_body", None) or {}),
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

"""The connection options every indoxhub class shares, defined once.

:class:`IndoxHubOptions` is a framework-free pydantic model. The core client resolves it into
:class:`ClientSettings`; every LangChain and LlamaIndex class inherits it and adds only its
framework's specifics (aliases, ``lc_secrets``, serialization exclusions).

Adding an option: declare one field on :class:`IndoxHubOptions` with a default and a docstring
(read the environment in a ``default_factory`` if it has an env var), and read it from
``client.settings`` in the core. Nothing else changes: every framework class gains the field,
the clients are rebuilt when it changes (the one rule below), and copies and pickles carry it.

The rebuild rule: the cached clients are keyed by the values of all option fields; reading
:attr:`IndoxHubOptions.clients` after any of them changed (assignment, ``model_copy(update=)``,
``copy.deepcopy``, unpickling) builds fresh clients from the new values. Live clients are never
pickled nor deep-copied.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    TypeAdapter,
    ValidationError,
)

from .budget import Budget, BudgetMode, UnknownCost, budget_from_options
from .byok import byok_applies
from .config import (
    API_KEY_ENV_VARS,
    BASE_URL_ENV_VAR,
    BYOK_KEY_ENV_VAR,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ApiKeyField,
    ByokKeysField,
    MaxResponseBytesField,
    MaxRetriesField,
    TimeoutField,
    check_transport_security,
    first_env,
    to_secret,
)
from .errors import AuthenticationError, InvalidRequestError
from .transport import env_transport

if TYPE_CHECKING:
    from .lazy import LazyClients


def env_secret(*names: str) -> Callable[[], SecretStr | None]:
    """A default factory: the first non-empty env var of ``names`` as a ``SecretStr``."""

    def read() -> SecretStr | None:
        value = first_env(names, os.environ)
        return SecretStr(value) if value else None

    return read


def _env_base_url() -> str | None:
    return os.environ.get(BASE_URL_ENV_VAR) or None


class IndoxHubOptions(BaseModel):
    """Where and how to reach indoxhub, and which BYOK keys to use.

    Constructing an instance does no I/O and never fails for a missing key: the key is checked
    on the first request. Secrets are ``SecretStr`` (plain strings are wrapped, also on
    assignment and in ``model_copy(update=...)``) and are excluded from ``model_dump``.
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    api_key: ApiKeyField = Field(default_factory=env_secret(*API_KEY_ENV_VARS), exclude=True)
    """The indoxhub platform key; defaults to ``INDOXHUB_API_KEY``, then
    ``INDOX_ROUTER_API_KEY``. A missing key is reported on the first request, not here."""

    base_url: str | None = Field(default_factory=_env_base_url)
    """Server root; defaults to ``INDOXHUB_BASE_URL``, else ``https://api.indoxhub.com``."""

    byok_api_key: ApiKeyField = Field(default_factory=env_secret(BYOK_KEY_ENV_VAR), exclude=True)
    """Your own provider key for every request (``INDOXHUB_BYOK_API_KEY``; a blank value is
    no key); BYOK requests spend no indoxhub credits and skip the platform rate limit."""

    byok_api_keys: ByokKeysField = Field(default_factory=dict, exclude=True)
    """Your own provider keys by provider (``{"openai": ..., "anthropic": ...}``), used when no
    per-call key and no ``byok_api_key`` applies. Never serialized."""

    byok_from_env: bool = False
    """Read BYOK keys from the providers' usual env vars (``OPENAI_API_KEY``...)."""

    timeout: TimeoutField = DEFAULT_TIMEOUT
    """Seconds one attempt may take, the whole answer included (a stream: its opening, then
    each pause between events); ``None`` means 60. NaN, infinity, zero, negative numbers and
    strings are refused."""

    max_retries: MaxRetriesField = DEFAULT_MAX_RETRIES
    """Retries after the first attempt for 429, 5xx and connection errors (streams: before
    their first event); ``None`` means 2."""

    default_headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers sent with every request."""

    token_exchange: bool | None = None
    """``True``: exchange the key for an access token first; ``False``: bearer key only;
    ``None`` (default): bearer key, exchanging it only when the server answers 401."""

    estimate_cost: bool = True
    """Estimate cost from the model catalog's pricing when a response reports none (marked
    ``cost_estimated``)."""

    allow_insecure_http: bool = False
    """Allow sending keys over plain ``http://`` to a host other than loopback."""

    trust_env: bool = True
    """Use the environment's proxy settings (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``,
    ``NO_PROXY``) for remote servers. Loopback servers are always reached directly, so plain
    http to a local server never travels through a proxy."""

    max_response_bytes: MaxResponseBytesField = None
    """The largest answer body read (``None``: 64 MiB); a larger one, or JSON nested deeper
    than any real answer, ends in a ``ProviderError``."""

    tool_history: Literal["native", "text", "auto"] = "auto"
    """How tool calls and results in a conversation are sent: ``native`` (``tool_calls`` on
    assistant turns, ``tool_call_id`` on tool turns), ``text`` (folded into assistant/user
    text, for a server that keeps only ``role`` and ``content``), or ``auto``: native, and
    once the server rejects that, one retry folded to text, remembered per base URL (with one
    warning). See ``docs/fidelity.md``."""

    max_cost: float | None = None
    """A spending limit in USD for the requests of this object: once reached, the next request
    raises ``BudgetExceededError`` before it is sent (see ``docs/budgets.md``). Changing any
    option later starts a new budget; share a :class:`~indoxhub_integrations.core.budget.Budget`
    through ``budget=`` to count across objects."""

    budget_mode: BudgetMode = "spent"
    """``"spent"`` (default): refuse once the spend reached ``max_cost``; ``"strict"``: refuse a
    request whose worst case (prompt tokens plus ``max_tokens`` at catalog prices) would pass
    it."""

    include_byok: bool = False
    """Count BYOK requests toward ``max_cost`` at the provider's list price (an estimate)."""

    unknown_cost: UnknownCost = "allow"
    """``"allow"`` (default): a request of unknown cost is reported, not counted as 0 and not
    blocking; ``"block"``: the budget stops at the first one."""

    max_byok_requests: int | None = None
    """Refuse BYOK requests after this many were sent."""

    budget: Budget | None = Field(default=None, exclude=True)
    """A :class:`~indoxhub_integrations.core.budget.Budget` shared with other clients, models
    and usage scopes (instead of the limit options above). Never serialized nor copied."""

    http_transport: Literal["auto", "httpx", "aiohttp"] = Field(default_factory=env_transport)
    """The async HTTP transport (``INDOXHUB_HTTP_TRANSPORT``): ``"auto"`` (default) uses
    aiohttp under httpx when ``httpx-aiohttp`` is installed (the ``aiohttp`` extra; several
    times faster at high concurrency) and no environment proxy applies, else httpx's own;
    ``"httpx"`` forces httpx's own, ``"aiohttp"`` requires aiohttp. Sync clients always use
    httpx's own."""

    _clients: LazyClients | None = PrivateAttr(default=None)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in option_names():
            value = coerce_option(name, value)
        super().__setattr__(name, value)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy; option values in ``update`` are validated (plain keys become secrets)."""
        if update:
            names = option_names()
            update = {
                name: coerce_option(name, value) if name in names else value
                for name, value in update.items()
            }
        return super().model_copy(update=update, deep=deep)

    def option_values(self) -> dict[str, Any]:
        """The current value of every option field, by name."""
        return {name: getattr(self, name) for name in option_names()}

    @property
    def clients(self) -> LazyClients:
        """The sync and async core clients for the current option values, built on first use."""
        key = _option_getter()(self)
        lazy = self._clients
        if lazy is None or not lazy.built_from(key):
            from .lazy import LazyClients  # the clients import this module

            lazy = LazyClients(self.option_values(), key)
            self._clients = lazy
        return lazy

    def uses_byok(self, model: str, per_call: Any = None) -> bool:
        """Whether a request for ``model`` would carry a BYOK key (never the key itself).

        The answer comes from the same precedence as the request: a per-call key, then
        ``byok_api_key``, ``byok_api_keys[provider]``, the provider's env var with
        ``byok_from_env``; blank keys are no keys.
        """
        return byok_applies(
            model,
            per_call=per_call,
            instance_key=self.byok_api_key,
            instance_keys=self.byok_api_keys,
            from_env=self.byok_from_env,
        )


@cache
def option_names() -> frozenset[str]:
    """The names of the option fields."""
    return frozenset(IndoxHubOptions.model_fields)


@cache
def _option_getter() -> Callable[[Any], tuple[Any, ...]]:
    """Reads every option value of a model as one tuple (the key of its cached clients)."""
    return attrgetter(*sorted(option_names()))


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    return TypeAdapter(IndoxHubOptions.model_fields[name].rebuild_annotation())


def coerce_option(name: str, value: Any) -> Any:
    """Validate one option value as its field would (``"key"`` becomes ``SecretStr("key")``)."""
    return _adapter(name).validate_python(value)


def _checked(name: str, value: Any) -> Any:
    """:func:`coerce_option` for the core client: a bad value is an ``InvalidRequestError``
    that says what to pass (never echoing the value, which may be a key)."""
    try:
        return coerce_option(name, value)
    except ValidationError as exc:
        message = str(exc.errors()[0].get("msg", "invalid value")).removeprefix("Value error, ")
        raise InvalidRequestError(f"{name}: {message}") from None


class ClientSettings(IndoxHubOptions):
    """The resolved options a client runs with: the key is present and checked, the base URL
    normalized, ``timeout``/``max_retries`` numbers, provider names lower case."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr = Field(exclude=True)
    """The indoxhub platform key."""
    base_url: str = DEFAULT_BASE_URL
    """Server root, without ``/api/v1``."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds before a request (or a pause in a stream) times out."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first attempt for 429, 5xx and connection errors."""
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """The largest answer body read."""

    def __setattr__(self, name: str, value: Any) -> None:
        BaseModel.__setattr__(self, name, value)  # frozen: raises

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name == "byok_api_keys" and isinstance(value, dict):
                yield name, {provider: "**********" for provider in value}
            elif name == "default_headers" and isinstance(value, dict):
                yield name, sorted(value)
            else:
                yield name, value


BUDGET_LIMITS = ("max_cost", "budget_mode", "include_byok", "unknown_cost", "max_byok_requests")


def resolve_settings(*, environ: Mapping[str, str] | None = None, **options: Any) -> ClientSettings:
    """Resolve client settings from option values, then env vars, then defaults.

    Args:
        environ: The environment to read (default ``os.environ``).
        **options: Values of :class:`IndoxHubOptions` fields; ``None`` means "not given".

    Raises:
        TypeError: For a name that is not an option.
        AuthenticationError: When no platform key is given or found in the environment.
        InvalidRequestError: For a malformed base URL, plain http to a remote host, a
            non-positive timeout or negative retries.
    """
    unknown = set(options) - option_names()
    if unknown:
        raise TypeError(f"Unknown indoxhub option(s): {', '.join(sorted(unknown))}.")
    env = os.environ if environ is None else environ
    given = {
        name: _checked(name, value) for name, value in options.items() if value is not None
    }
    key = given.get("api_key")
    if key is None or not key.get_secret_value():
        found = first_env(API_KEY_ENV_VARS, env)
        key = SecretStr(found) if found else None
    if key is None:
        raise AuthenticationError(
            "No indoxhub API key: pass api_key=... or set the INDOXHUB_API_KEY environment "
            "variable (INDOX_ROUTER_API_KEY is read too). For offline work, start "
            "indoxhub_integrations.emulator.IndoxHubEmulator and use its base_url and api_key."
        )
    url = given.get("base_url") or env.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
    byok = given.get("byok_api_key")
    if byok is None and env.get(BYOK_KEY_ENV_VAR):
        byok = to_secret(env[BYOK_KEY_ENV_VAR])
    timeout, retries = given.get("timeout"), given.get("max_retries")
    if timeout is not None and timeout <= 0:
        raise InvalidRequestError(f"timeout must be positive seconds, got {timeout!r}.")
    if retries is not None and retries < 0:
        raise InvalidRequestError(f"max_retries must be 0 or more, got {retries!r}.")
    allow_http = bool(given.get("allow_insecure_http", False))
    given["budget"] = budget_from_options(
        given.get("budget"), **{name: given[name] for name in BUDGET_LIMITS if name in given}
    )
    given.update(
        api_key=key,
        base_url=check_transport_security(url, allow_http),
        byok_api_key=byok,
        byok_api_keys={p.lower(): s for p, s in (given.get("byok_api_keys") or {}).items()},
        timeout=DEFAULT_TIMEOUT if timeout is None else float(timeout),
        max_retries=DEFAULT_MAX_RETRIES if retries is None else int(retries),
        max_response_bytes=given.get("max_response_bytes") or DEFAULT_MAX_RESPONSE_BYTES,
    )
    return ClientSettings(**given)

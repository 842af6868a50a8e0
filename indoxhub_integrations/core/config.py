"""Settings resolution: explicit arguments first, then environment variables, then defaults."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .errors import AuthenticationError, InvalidRequestError

DEFAULT_BASE_URL = "https://api.indoxhub.com"
"""The production indoxhub server."""
API_KEY_ENV_VARS = ("INDOXHUB_API_KEY", "INDOX_ROUTER_API_KEY")
"""Env vars read for the platform key, in order."""
BASE_URL_ENV_VAR = "INDOXHUB_BASE_URL"
"""Env var read for the base URL."""
BYOK_KEY_ENV_VAR = "INDOXHUB_BYOK_API_KEY"
"""Env var read for a default BYOK key."""
DEFAULT_TIMEOUT = 60.0
"""Seconds before a request times out."""
DEFAULT_MAX_RETRIES = 2
"""Retries after the first attempt for retryable failures."""


class ClientSettings(BaseModel):
    """Everything a client needs to talk to indoxhub; secrets are ``SecretStr``."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr
    """The indoxhub platform key."""
    base_url: str = DEFAULT_BASE_URL
    """Server root, without ``/api/v1``."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds before a request (or a pause in a stream) times out."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first attempt for 429, 5xx and connection errors."""
    token_exchange: bool | None = None
    """``True``: exchange the key for an access token first; ``False``: bearer key only;
    ``None`` (default): bearer key, exchanging it only when the server answers 401."""
    byok_api_key: SecretStr | None = None
    """The default BYOK key for every request."""
    byok_api_keys: dict[str, SecretStr] = Field(default_factory=dict)
    """BYOK keys per provider, used when no other key applies."""
    byok_from_env: bool = False
    """Read BYOK keys from the providers' usual env vars (``OPENAI_API_KEY``...)."""
    estimate_cost: bool = True
    """Estimate cost from the model catalog's pricing when a response reports none."""
    allow_insecure_http: bool = False
    """Allow sending keys over plain ``http://`` to a host other than loopback."""
    default_headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers sent with every request."""

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name == "byok_api_keys" and isinstance(value, dict):
                yield name, {provider: "**********" for provider in value}
            elif name == "default_headers" and isinstance(value, dict):
                yield name, sorted(value)
            else:
                yield name, value


def _first_env(names: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def _to_secret(value: str | SecretStr | None) -> SecretStr | None:
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(value)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``)."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport_security(base_url: str, allow_insecure_http: bool) -> str:
    """Validate ``base_url`` and refuse plain http to a non-loopback host unless allowed.

    Returns:
        The base URL without a trailing slash or ``/api/v1`` suffix.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(
            f"base_url {base_url!r} is not an http(s) URL; use e.g. 'https://api.indoxhub.com'."
        )
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise InvalidRequestError(
            f"Refusing to send API keys over plain http to {parts.hostname}: use https, or pass "
            "allow_insecure_http=True if this network is trusted."
        )
    url = base_url.rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url


def resolve_settings(
    *,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    token_exchange: bool | None = None,
    byok_api_key: str | SecretStr | None = None,
    byok_api_keys: Mapping[str, str | SecretStr] | None = None,
    byok_from_env: bool = False,
    estimate_cost: bool = True,
    allow_insecure_http: bool = False,
    default_headers: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Resolve client settings from arguments, then env vars, then defaults.

    Raises:
        AuthenticationError: When no platform key is given or found in the environment.
        InvalidRequestError: For a malformed base URL or plain http to a remote host.
    """
    env = os.environ if environ is None else environ
    key = _to_secret(api_key)
    if key is None or not key.get_secret_value():
        found = _first_env(API_KEY_ENV_VARS, env)
        key = SecretStr(found) if found else None
    if key is None:
        raise AuthenticationError(
            "No indoxhub API key: pass api_key=... or set the INDOXHUB_API_KEY environment "
            "variable (INDOX_ROUTER_API_KEY is read too). For offline work, start "
            "indoxhub_integrations.emulator.IndoxHubEmulator and use its base_url and api_key."
        )
    url = base_url or env.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
    byok = _to_secret(byok_api_key)
    if byok is None and env.get(BYOK_KEY_ENV_VAR):
        byok = SecretStr(env[BYOK_KEY_ENV_VAR])
    keys = {
        provider.lower(): secret
        for provider, value in (byok_api_keys or {}).items()
        if (secret := _to_secret(value)) is not None
    }
    if timeout is not None and timeout <= 0:
        raise InvalidRequestError(f"timeout must be positive seconds, got {timeout!r}.")
    if max_retries is not None and max_retries < 0:
        raise InvalidRequestError(f"max_retries must be 0 or more, got {max_retries!r}.")
    return ClientSettings(
        api_key=key,
        base_url=check_transport_security(url, allow_insecure_http),
        timeout=DEFAULT_TIMEOUT if timeout is None else float(timeout),
        max_retries=DEFAULT_MAX_RETRIES if max_retries is None else int(max_retries),
        token_exchange=token_exchange,
        byok_api_key=byok,
        byok_api_keys=keys,
        byok_from_env=byok_from_env,
        estimate_cost=estimate_cost,
        allow_insecure_http=allow_insecure_http,
        default_headers=dict(default_headers or {}),
    )

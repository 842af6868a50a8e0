"""Connection constants, env var names and the transport-security check.

The option list itself lives once, in :mod:`indoxhub_integrations.core.options`.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, SecretStr

from .errors import InvalidRequestError

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
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The largest answer body read (64 MiB): a few large base64 images fit, a runaway body not."""


def check_timeout(value: object) -> float | None:
    """A timeout in seconds: a positive, finite number (``None``: the default).

    Raises:
        InvalidRequestError: For NaN, infinity, zero, negative numbers, strings and booleans.
    """
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidRequestError(
            f"timeout must be a positive, finite number of seconds (e.g. timeout=30), "
            f"got {value!r:.40}."
        )
    return float(value)


def check_max_retries(value: object) -> int | None:
    """A retry count: an ``int`` of 0 or more (``None``: the default).

    Raises:
        InvalidRequestError: For negative numbers, floats, strings and booleans.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(
            f"max_retries must be a whole number of 0 or more (e.g. max_retries=2), "
            f"got {value!r:.40}."
        )
    return value


def check_max_response_bytes(value: object) -> int | None:
    """A body size limit in bytes: a positive ``int`` (``None``: the default)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(
            f"max_response_bytes must be a positive number of bytes, got {value!r:.40}."
        )
    return value


def check_api_key(value: object) -> SecretStr | None:
    """The platform key as a ``SecretStr``; it must be text (bytes would be sent as ``b'...'``).

    Raises:
        InvalidRequestError: When the key is not a ``str`` or a ``SecretStr``.
    """
    if value is None or isinstance(value, SecretStr):
        return value
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"api_key must be a string or a SecretStr, got {type(value).__name__} "
            "(decode bytes first: api_key=key.decode())."
        )
    return SecretStr(value)


def check_byok_keys(value: object) -> dict[str, SecretStr]:
    """BYOK keys per provider: a mapping of provider names to key strings or ``SecretStr``
    (``None``: no keys).

    Raises:
        InvalidRequestError: For anything else (a list, a string, non-text keys or values).
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestError(
            "byok_api_keys must be a dict of provider name to key, e.g. "
            f"byok_api_keys={{'openai': 'sk-...'}}; got {type(value).__name__}."
        )
    keys: dict[str, SecretStr] = {}
    for provider, key in value.items():
        if not isinstance(provider, str) or not isinstance(key, str | SecretStr):
            raise InvalidRequestError(
                "byok_api_keys must map provider names (str) to keys (str or SecretStr); "
                f"the entry for {provider!r:.40} is a {type(key).__name__}."
            )
        keys[provider.lower()] = key if isinstance(key, SecretStr) else SecretStr(key)
    return keys


def _pydantic(check: Callable[[Any], Any]) -> BeforeValidator:
    """A pydantic validator running ``check`` (its error becomes a ``ValidationError``)."""

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except InvalidRequestError as exc:
            raise ValueError(exc.message) from None

    return BeforeValidator(validate)


TimeoutField = Annotated[float | None, _pydantic(check_timeout)]
"""A constructor field for ``timeout`` that refuses what :func:`check_timeout` refuses."""
MaxRetriesField = Annotated[int | None, _pydantic(check_max_retries)]
"""A constructor field for ``max_retries`` that refuses what :func:`check_max_retries` refuses."""
MaxResponseBytesField = Annotated[int | None, _pydantic(check_max_response_bytes)]
"""A constructor field for ``max_response_bytes``."""
ApiKeyField = Annotated[SecretStr | None, _pydantic(check_api_key)]
"""A constructor field for a key that refuses bytes and other non-text values."""
ByokKeysField = Annotated[dict[str, SecretStr], _pydantic(check_byok_keys)]
"""A constructor field for ``byok_api_keys`` (a mapping of provider names to keys)."""


def first_env(names: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    """The first non-empty value among the env vars ``names``."""
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def to_secret(value: str | SecretStr | None) -> SecretStr | None:
    """Wrap a plain string in ``SecretStr`` (``None`` and secrets pass through)."""
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
    if not isinstance(base_url, str):
        raise InvalidRequestError(f"base_url must be a string, got {type(base_url).__name__}.")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(
            f"base_url {base_url!r} is not an http(s) URL; use e.g. 'https://api.indoxhub.com'."
        )
    if parts.query or parts.fragment or base_url.rstrip().endswith(("?", "#")):
        raise InvalidRequestError(
            f"base_url {base_url!r} has a query or fragment, which would end up in the middle "
            "of every request path: pass the server root only, e.g. 'https://api.indoxhub.com'."
        )
    if parts.username or parts.password:
        raise InvalidRequestError(
            "base_url must not carry credentials (user:password@): pass the key as api_key."
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

"""Connection constants, env var names and the transport-security check.

The option list itself lives once, in :mod:`indoxhub_integrations.core.options`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import SecretStr

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

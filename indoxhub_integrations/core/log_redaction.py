"""Masks secrets in the DEBUG records of the HTTP libraries the clients use.

httpcore logs every response's headers at DEBUG, so the ``Set-Cookie: access_token=...`` of
indoxhub's token exchange would land in a user's logs. The clients attach one filter to the
httpx and httpcore loggers (once per process) that masks access tokens, bearer values and
anything shaped like a provider key before a record is emitted.
"""

from __future__ import annotations

import logging
import re
import threading

from .byok import mask_secret, redact

HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)
"""The loggers httpx and httpcore write request and response details to."""

_TOKENS = re.compile(
    r"(access_token=|\"access_token\"\s*:\s*\"|'access_token'\s*:\s*'|[Bb]earer\s+)"
    r"([^;\"'\s,)]+)"
)


def mask_tokens(text: str) -> str:
    """Mask access tokens, bearer values and provider-shaped keys in ``text``."""
    return redact(_TOKENS.sub(lambda m: m.group(1) + mask_secret(m.group(2)), text))


class SecretRedactingFilter(logging.Filter):
    """A logging filter that rewrites a record's message with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's formatted message in place; never drops a record."""
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_installed = False
_lock = threading.Lock()


def install_http_log_redaction() -> None:
    """Attach the filter to the HTTP libraries' loggers (idempotent, cheap after the first)."""
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        redacting = SecretRedactingFilter()
        for name in HTTP_LOGGERS:
            logging.getLogger(name).addFilter(redacting)
        _installed = True

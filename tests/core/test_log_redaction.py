"""Secrets masked in the HTTP libraries' DEBUG logs."""

from __future__ import annotations

import pytest


def test_http_debug_logs_never_show_tokens_or_keys(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from indoxhub_integrations.core.log_redaction import (
        install_http_log_redaction,
        mask_tokens,
    )

    token = "ixh-at-SECRETTOKEN0123456789abcdef"
    line = f"headers=[(b'set-cookie', b'access_token={token}; HttpOnly; Path=/')]"
    assert token not in mask_tokens(line)
    assert token not in mask_tokens(f'{{"access_token": "{token}"}}')
    assert token not in mask_tokens(f"Authorization: Bearer {token}")
    assert "cdef" in mask_tokens(line)  # the last four stay, to recognise the token
    install_http_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpcore.http11").debug("receive_response_headers %s", line)
    logging.getLogger("httpx").debug("key sk-proj-ABCDEFGHIJKLMNOPQRST in a line")
    text = caplog.text
    assert token not in text and "ABCDEFGHIJKLMNOPQRST" not in text
    assert "receive_response_headers" in text

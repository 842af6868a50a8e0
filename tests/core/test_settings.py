"""Settings resolution: arguments, env vars, defaults and transport security."""

from __future__ import annotations

import pytest

from indoxhub_integrations.core.errors import (
    AuthenticationError,
    InvalidRequestError,
)
from indoxhub_integrations.core.options import resolve_settings


def test_settings_env_precedence() -> None:
    env = {"INDOX_ROUTER_API_KEY": "legacy", "INDOXHUB_BASE_URL": "http://127.0.0.1:1"}
    settings = resolve_settings(environ=env)
    assert settings.api_key.get_secret_value() == "legacy"
    assert settings.base_url == "http://127.0.0.1:1"
    env["INDOXHUB_API_KEY"] = "new"
    assert resolve_settings(environ=env).api_key.get_secret_value() == "new"
    assert resolve_settings(api_key="arg", environ=env).api_key.get_secret_value() == "arg"


def test_missing_key_says_what_to_do() -> None:
    with pytest.raises(AuthenticationError, match="INDOXHUB_API_KEY"):
        resolve_settings(environ={})


def test_plain_http_to_remote_host_refused() -> None:
    with pytest.raises(InvalidRequestError, match="allow_insecure_http"):
        resolve_settings(api_key="k", base_url="http://example.com", environ={})
    ok = resolve_settings(
        api_key="k", base_url="http://example.com", allow_insecure_http=True, environ={}
    )
    assert ok.base_url == "http://example.com"
    loopback = resolve_settings(api_key="k", base_url="http://[::1]:8/api/v1/", environ={})
    assert loopback.base_url == "http://[::1]:8"


def test_settings_repr_hides_secrets() -> None:
    settings = resolve_settings(
        api_key="platform-SECRET",
        byok_api_key="sk-BYOKSECRET",
        byok_api_keys={"anthropic": "sk-ant-MAPSECRET"},
        environ={},
    )
    text = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in ("platform-SECRET", "sk-BYOKSECRET", "sk-ant-MAPSECRET"):
        assert secret not in text

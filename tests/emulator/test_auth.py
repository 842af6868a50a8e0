"""Authentication: bearer API key, key exchange for access tokens, expiry."""

from __future__ import annotations

import httpx

from indoxhub_integrations.emulator import IndoxHubEmulator

CHAT = "/api/v1/chat/completions"
BODY = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


def test_bearer_api_key_is_accepted(emulator: IndoxHubEmulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    response = httpx.post(emulator.base_url + CHAT, json=BODY, headers=headers)
    assert response.status_code == 200


def test_missing_and_wrong_auth_get_401(emulator: IndoxHubEmulator) -> None:
    missing = httpx.post(emulator.base_url + CHAT, json=BODY)
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Not authenticated"}
    wrong = httpx.post(
        emulator.base_url + CHAT, json=BODY, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Invalid or expired token"}
    assert wrong.headers["x-request-id"]
    assert [r.status for r in emulator.requests] == [401, 401]


def test_key_exchange_token_and_cookie(emulator: IndoxHubEmulator) -> None:
    exchange = httpx.post(
        emulator.base_url + "/api/v1/auth/api-key", headers={"X-API-Key": emulator.api_key}
    )
    assert exchange.status_code == 200
    token = exchange.json()["access_token"]
    assert exchange.json()["token_type"] == "bearer"
    assert exchange.cookies["access_token"] == token
    assert token != emulator.api_key
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(emulator.base_url + CHAT, json=BODY, headers=headers).status_code == 200
    with httpx.Client(base_url=emulator.base_url, cookies={"access_token": token}) as client:
        assert client.get("/api/v1/user/me").status_code == 200
    emulator.expire_tokens()
    expired = httpx.post(emulator.base_url + CHAT, json=BODY, headers=headers)
    assert expired.status_code == 401
    assert expired.json() == {"detail": "Invalid or expired token"}


def test_key_exchange_with_a_wrong_key_is_refused(emulator: IndoxHubEmulator) -> None:
    response = httpx.post(
        emulator.base_url + "/api/v1/auth/api-key", headers={"X-API-Key": "ixh-wrong"}
    )
    assert response.status_code == 401
    assert "access_token" not in response.json()


def test_require_token_exchange_refuses_the_raw_key() -> None:
    with IndoxHubEmulator(require_token_exchange=True) as emulator:
        raw = {"Authorization": f"Bearer {emulator.api_key}"}
        refused = httpx.post(emulator.base_url + CHAT, json=BODY, headers=raw)
        assert refused.status_code == 401
        token = httpx.post(
            emulator.base_url + "/api/v1/auth/api-key", headers={"X-API-Key": emulator.api_key}
        ).json()["access_token"]
        accepted = httpx.post(
            emulator.base_url + CHAT,
            json=BODY,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert accepted.status_code == 200


def test_tokens_expire_after_their_ttl() -> None:
    with IndoxHubEmulator(token_ttl=0.0) as emulator:
        token = httpx.post(
            emulator.base_url + "/api/v1/auth/api-key", headers={"X-API-Key": emulator.api_key}
        ).json()["access_token"]
        response = httpx.get(
            emulator.base_url + "/api/v1/user/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401


def test_control_routes_need_no_auth(emulator: IndoxHubEmulator) -> None:
    assert httpx.get(emulator.base_url + "/_emulator/requests").json() == []

"""The catalog: providers, models and pricing."""

from __future__ import annotations

import httpx

EXPECTED = {
    "openai": {
        "gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "dall-e-3", "tts-1", "whisper-1",
        "sora-2", "sora-2-pro",
    },
    "anthropic": {"claude-3-5-sonnet-20241022", "claude-3-haiku-20240307"},
    "google": {
        "gemini-1.5-pro",
        "gemini-2.0-flash",
        "text-embedding-004",
        "imagen-3.0-generate-002",
        "veo-3.0-generate-001",
        "veo-3.0-fast-generate-001",
    },
    "mistral": {"mistral-large-latest", "mistral-embed"},
    "deepseek": {"deepseek-chat", "deepseek-reasoner"},
    "xai": {"grok-2", "grok-2-image"},
    "amazon": {"nova-reel"},
}


def test_list_models(client: httpx.Client) -> None:
    providers = client.get("/api/v1/models/").json()
    assert {p["name"]: {m["name"] for m in p["models"]} for p in providers} == EXPECTED
    openai = next(p for p in providers if p["name"] == "openai")
    assert openai["display_name"] == "OpenAI"
    mini = next(m for m in openai["models"] if m["name"] == "gpt-4o-mini")
    assert mini["id"] == "openai/gpt-4o-mini"
    assert mini["type"] == "chat"
    assert mini["context_window"] == 128000
    assert mini["pricing"] == {"prompt": 0.00015, "completion": 0.0006, "unit": "1K tokens"}
    assert client.get("/api/v1/models").json() == providers


def test_price_units_by_model_type(client: httpx.Client) -> None:
    get = client.get
    assert get("/api/v1/models/openai/dall-e-3").json()["pricing"] == {
        "image": 0.04,
        "unit": "image",
    }
    assert get("/api/v1/models/openai/tts-1").json()["pricing"] == {
        "characters": 0.015,
        "unit": "1K characters",
    }
    assert get("/api/v1/models/openai/whisper-1").json()["pricing"]["unit"] == "request"
    assert get("/api/v1/models/deepseek/deepseek-reasoner").json()["reasoning"] is True


def test_provider_and_model_routes(client: httpx.Client) -> None:
    provider = client.get("/api/v1/models/anthropic").json()
    assert provider["name"] == "anthropic"
    assert len(provider["models"]) == 2
    model = client.get("/api/v1/models/google/gemini-2.0-flash").json()
    assert model["id"] == "google/gemini-2.0-flash"
    unknown_model = client.get("/api/v1/models/google/gemini-9")
    assert unknown_model.status_code == 404
    assert "gemini-9" in unknown_model.json()["detail"]
    assert "google/gemini-1.5-pro" in unknown_model.json()["details"]["available_models"]
    unknown_provider = client.get("/api/v1/models/acme")
    assert unknown_provider.status_code == 404
    assert "acme" in unknown_provider.json()["message"]

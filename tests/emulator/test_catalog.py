"""The catalog: providers, models and pricing, in the documented published form."""

from __future__ import annotations

import httpx

from indoxhub_integrations import IndoxHubClient
from indoxhub_integrations.emulator import IndoxHubEmulator

DOCUMENTED = {  # every model the service docs use in examples (chat, media, embeddings)
    "openai/gpt-4o-mini", "openai/gpt-4o", "openai/gpt-4", "openai/gpt-3.5-turbo",
    "openai/gpt-3.5-turbo-instruct", "openai/text-embedding-3-small",
    "openai/text-embedding-3-large", "openai/text-embedding-ada-002", "openai/dall-e-3",
    "openai/dall-e-2", "openai/tts-1", "openai/tts-1-hd", "openai/whisper-1",
    "anthropic/claude-3-sonnet-20240229", "anthropic/claude-3-opus-20240229",
    "anthropic/claude-3-haiku-20240307", "anthropic/claude-sonnet-4.5",
    "anthropic/claude-opus-4.1", "google/gemini-1.5-pro", "google/gemini-2.0-flash",
    "google/text-embedding-gecko", "google/imagen-3.0-generate-002",
    "google/gemini-2.5-flash-image", "mistral/mistral-large-latest", "mistral/mistral-embed",
    "mistral/ministral-8b-latest", "deepseek/deepseek-chat", "deepseek/deepseek-coder",
}  # fmt: skip


def _ids(providers: list[dict]) -> set[str]:
    return {f"{p['id']}/{m['id']}" for p in providers for m in p["models"]}


def test_list_models_in_the_published_form(client: httpx.Client) -> None:
    providers = client.get("/api/v1/models/").json()
    assert _ids(providers) >= DOCUMENTED
    openai = next(p for p in providers if p["id"] == "openai")
    assert openai["name"] == "OpenAI" and "chat" in openai["capabilities"]
    mini = next(m for m in openai["models"] if m["id"] == "gpt-4o-mini")
    assert (mini["name"], mini["provider"], mini["type"]) == ("gpt-4o-mini", "openai", "chat")
    assert mini["context_window"] == 128000
    assert mini["pricing"] == {
        "input": 0.00015, "output": 0.0006, "currency": "USD", "unit": "1K tokens"
    }  # fmt: skip
    assert client.get("/api/v1/models").json() == providers


def test_price_units_by_model_type(client: httpx.Client) -> None:
    get = client.get
    assert get("/api/v1/models/openai/dall-e-3").json()["pricing"] == {
        "image": 0.04,
        "currency": "USD",
        "unit": "image",
    }
    assert get("/api/v1/models/openai/tts-1").json()["pricing"]["unit"] == "1K characters"
    assert get("/api/v1/models/openai/whisper-1").json()["pricing"]["unit"] == "request"
    assert get("/api/v1/models/deepseek/deepseek-reasoner").json()["reasoning"] is True


def test_provider_and_model_routes(client: httpx.Client) -> None:
    provider = client.get("/api/v1/models/anthropic").json()
    assert provider["id"] == "anthropic" and provider["name"] == "Anthropic"
    model = client.get("/api/v1/models/google/gemini-2.0-flash").json()
    assert (model["id"], model["provider"]) == ("gemini-2.0-flash", "google")
    unknown_model = client.get("/api/v1/models/google/gemini-9")
    assert unknown_model.status_code == 404
    assert "gemini-9" in unknown_model.json()["detail"]
    assert "google/gemini-1.5-pro" in unknown_model.json()["details"]["available_models"]
    unknown_provider = client.get("/api/v1/models/acme")
    assert unknown_provider.status_code == 404
    assert "acme" in unknown_provider.json()["message"]


def test_docs_models_work_and_embeddings_have_real_sizes(emulator: IndoxHubEmulator) -> None:
    client = IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)
    done = client.complete("Once upon a time", model="openai/gpt-3.5-turbo-instruct")
    assert done.text and done.usage.cost is not None
    sizes = {
        name: len(client.embed(["hello"], model=name).vectors[0])
        for name in ("openai/text-embedding-3-small", "openai/text-embedding-3-large",
                     "google/text-embedding-004", "mistral/mistral-embed")
    }  # fmt: skip
    assert sizes == {
        "openai/text-embedding-3-small": 1536, "openai/text-embedding-3-large": 3072,
        "google/text-embedding-004": 768, "mistral/mistral-embed": 1024,
    }  # fmt: skip
    estimates = {m.id: m for m in client.list_models()}
    assert estimates["openai/gpt-4o-mini"].prompt_price == 0.00015


def test_user_models_are_served() -> None:
    names = ["openai/my-finetune", "acme/chat-1", "acme/vectors-embed"]
    with IndoxHubEmulator(models=names) as emulator:
        client = IndoxHubClient(api_key=emulator.api_key, base_url=emulator.base_url)
        assert client.chat([{"role": "user", "content": "hi"}], model="acme/chat-1").text
        assert client.chat([{"role": "user", "content": "hi"}], model="openai/my-finetune").text
        assert len(client.embed(["x"], model="acme/vectors-embed").vectors[0]) == 1536
        assert {"acme/chat-1", "openai/gpt-4o-mini"} <= {m.id for m in client.list_models()}


def test_cli_accepts_models_and_strict_schema() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "indoxhub_integrations.emulator", "--help"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "--model" in done.stdout and "--strict-schema" in done.stdout

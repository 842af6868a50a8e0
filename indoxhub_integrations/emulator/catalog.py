"""The emulator's model catalog and pricing, served by ``/api/v1/models/``.

Prices are USD, in the units the ``pricing`` object names:

- chat and embedding models: ``{"prompt", "completion", "unit": "1K tokens"}``;
- image models: ``{"image", "unit": "image"}`` (per generated image);
- text to speech: ``{"characters", "unit": "1K characters"}``;
- speech to text: ``{"request", "unit": "request"}`` (a flat price per transcription);
- video models: ``{"second", "unit": "second"}`` (per second of generated video).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHAT = "chat"
EMBEDDING = "embedding"
IMAGE = "image"
TTS = "tts"
STT = "stt"
VIDEO = "video"


@dataclass(frozen=True)
class CatalogModel:
    """One model the emulator serves."""

    provider: str
    name: str
    type: str
    context_window: int | None
    pricing: dict[str, Any]
    reasoning: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The ``provider/model`` name."""
        return f"{self.provider}/{self.name}"

    def token_cost(self, input_tokens: int, output_tokens: int) -> tuple[float, float]:
        """Return the (input, output) cost of a token-priced request, unrounded."""
        prompt = float(self.pricing.get("prompt", 0.0))
        completion = float(self.pricing.get("completion", 0.0))
        return input_tokens / 1000 * prompt, output_tokens / 1000 * completion

    def to_json(self) -> dict[str, Any]:
        """The model object of ``GET /api/v1/models/...``."""
        data: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "provider": self.provider,
            "type": self.type,
            "context_window": self.context_window,
            "pricing": dict(self.pricing),
        }
        if self.reasoning:
            data["reasoning"] = True
        data.update(self.extra)
        return data


def _tokens(prompt: float, completion: float) -> dict[str, Any]:
    return {"prompt": prompt, "completion": completion, "unit": "1K tokens"}


def _image(price: float) -> dict[str, Any]:
    return {"image": price, "unit": "image"}


def _video(price: float) -> dict[str, Any]:
    return {"second": price, "unit": "second"}


PROVIDER_NAMES: dict[str, str] = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "mistral": "Mistral AI",
    "deepseek": "DeepSeek",
    "xai": "xAI",
    "amazon": "Amazon",
}

_MODELS: tuple[CatalogModel, ...] = (
    CatalogModel("openai", "gpt-4o-mini", CHAT, 128000, _tokens(0.00015, 0.0006)),
    CatalogModel("openai", "gpt-4o", CHAT, 128000, _tokens(0.0025, 0.01)),
    CatalogModel(
        "openai",
        "text-embedding-3-small",
        EMBEDDING,
        8191,
        _tokens(0.00002, 0.0),
        extra={"dimensions": 64},
    ),
    CatalogModel("openai", "dall-e-3", IMAGE, None, _image(0.04)),
    CatalogModel(
        "openai",
        "tts-1",
        TTS,
        None,
        {"characters": 0.015, "unit": "1K characters"},
        extra={"voices": ["alloy", "echo", "fable", "onyx", "nova", "shimmer"]},
    ),
    CatalogModel("openai", "whisper-1", STT, None, {"request": 0.006, "unit": "request"}),
    CatalogModel("anthropic", "claude-3-5-sonnet-20241022", CHAT, 200000, _tokens(0.003, 0.015)),
    CatalogModel("anthropic", "claude-3-haiku-20240307", CHAT, 200000, _tokens(0.00025, 0.00125)),
    CatalogModel("google", "gemini-1.5-pro", CHAT, 2000000, _tokens(0.00125, 0.005)),
    CatalogModel("google", "gemini-2.0-flash", CHAT, 1000000, _tokens(0.0001, 0.0004)),
    CatalogModel(
        "google",
        "text-embedding-004",
        EMBEDDING,
        2048,
        _tokens(0.00001, 0.0),
        extra={"dimensions": 64},
    ),
    CatalogModel("google", "imagen-3.0-generate-002", IMAGE, None, _image(0.03)),
    CatalogModel("mistral", "mistral-large-latest", CHAT, 128000, _tokens(0.002, 0.006)),
    CatalogModel(
        "mistral",
        "mistral-embed",
        EMBEDDING,
        8192,
        _tokens(0.0001, 0.0),
        extra={"dimensions": 64},
    ),
    CatalogModel("deepseek", "deepseek-chat", CHAT, 64000, _tokens(0.00027, 0.0011)),
    CatalogModel(
        "deepseek", "deepseek-reasoner", CHAT, 64000, _tokens(0.00055, 0.00219), reasoning=True
    ),
    CatalogModel("xai", "grok-2", CHAT, 131072, _tokens(0.002, 0.01)),
    CatalogModel("xai", "grok-2-image", IMAGE, None, _image(0.07)),
    CatalogModel("openai", "sora-2", VIDEO, None, _video(0.10)),
    CatalogModel("openai", "sora-2-pro", VIDEO, None, _video(0.30)),
    CatalogModel("google", "veo-3.0-generate-001", VIDEO, None, _video(0.40)),
    CatalogModel("google", "veo-3.0-fast-generate-001", VIDEO, None, _video(0.15)),
    CatalogModel("amazon", "nova-reel", VIDEO, None, _video(0.08)),
)

MODELS: dict[str, CatalogModel] = {model.id: model for model in _MODELS}
"""Every model, by ``provider/model``."""

_BY_PROVIDER: dict[str, list[CatalogModel]] = {}
for _model in _MODELS:
    _BY_PROVIDER.setdefault(_model.provider, []).append(_model)


def providers() -> list[str]:
    """The provider names, in catalog order."""
    return list(_BY_PROVIDER)


def provider_models(provider: str) -> list[CatalogModel]:
    """The models of one provider (empty when the provider is unknown)."""
    return list(_BY_PROVIDER.get(provider, ()))


def find(provider: str, name: str) -> CatalogModel | None:
    """Return a model by provider and name, or ``None``."""
    return MODELS.get(f"{provider}/{name}")


def find_bare(name: str) -> CatalogModel | None:
    """Return the only model called ``name`` in any provider (OpenAI-compatible routes)."""
    matches = [model for model in _MODELS if model.name == name]
    return matches[0] if len(matches) == 1 else None


def provider_json(provider: str) -> dict[str, Any]:
    """The provider object of ``GET /api/v1/models/{provider}``."""
    return {
        "name": provider,
        "display_name": PROVIDER_NAMES.get(provider, provider),
        "models": [model.to_json() for model in _BY_PROVIDER.get(provider, ())],
    }


def catalog_json() -> list[dict[str, Any]]:
    """The list answered by ``GET /api/v1/models/``."""
    return [provider_json(provider) for provider in _BY_PROVIDER]

"""The emulator's model catalog and pricing, served by ``/api/v1/models/``.

Models: every model the service docs use in examples (``openai/gpt-3.5-turbo-instruct`` for
completions...) and current flagship and small models of each provider; embedding models have
their real dimensions. Prices approximate the providers' public list prices: they are for
testing cost accounting, not a quote. ``IndoxHubEmulator(models=[...])`` adds a user's own
model names (see :func:`user_model`).

Prices are USD, in the units the ``pricing`` object names:

- chat and embedding models: ``{"input", "output", "currency": "USD", "unit": "1K tokens"}``
  (the published form; the client also reads ``prompt``/``completion`` and the stored
  ``inputPricePer1KTokens`` form);
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

CAPABILITIES: dict[str, tuple[str, ...]] = {
    CHAT: ("chat", "completion"),
    EMBEDDING: ("embedding",),
    IMAGE: ("image_generation",),
    TTS: ("text_to_speech",),
    STT: ("speech_to_text",),
    VIDEO: ("video_generation",),
}


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
    max_output_tokens: int | None = None
    capabilities: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The ``provider/model`` name."""
        return f"{self.provider}/{self.name}"

    def token_cost(self, input_tokens: int, output_tokens: int) -> tuple[float, float]:
        """Return the (input, output) cost of a token-priced request, unrounded."""
        prompt = float(self.pricing.get("input", 0.0))
        completion = float(self.pricing.get("output", 0.0))
        return input_tokens / 1000 * prompt, output_tokens / 1000 * completion

    def to_json(self) -> dict[str, Any]:
        """The model object of ``GET /api/v1/models/...``, in the documented published form.

        ``id`` and ``name`` are the bare model name and ``provider`` names the provider (as in
        the docs' example, ``"id": "gpt-4"``, ``"provider": "openai"``); ``pricing`` is
        ``{input, output, currency, unit}`` for token-priced models. ``type`` and
        ``capabilities`` say what the model does; built-in chat models also state
        ``supports_function_calling`` and ``supports_vision`` (``false`` included).
        """
        data: dict[str, Any] = {
            "id": self.name,
            "name": self.name,
            "provider": self.provider,
            "type": self.type,
            "capabilities": list(CAPABILITIES[self.type]),
            "context_window": self.context_window,
            "pricing": dict(self.pricing),
        }
        if self.reasoning:
            data["reasoning"] = True
        if self.max_output_tokens is not None:
            data["max_output_tokens"] = self.max_output_tokens
        if self.capabilities:  # a list names what a model does; the flags also say what not
            data["capabilities"] = list(self.capabilities)
            data["supports_function_calling"] = "function_calling" in self.capabilities
            data["supports_vision"] = "vision" in self.capabilities
        data.update(self.extra)
        return data


def _tokens(prompt: float, completion: float) -> dict[str, Any]:
    return {"input": prompt, "output": completion, "currency": "USD", "unit": "1K tokens"}


def _image(price: float) -> dict[str, Any]:
    return {"image": price, "currency": "USD", "unit": "image"}


def _video(price: float) -> dict[str, Any]:
    return {"second": price, "unit": "second"}


def _chat(provider: str, name: str, window: int, prompt: float, completion: float,
          reasoning: bool = False) -> CatalogModel:  # fmt: skip
    return CatalogModel(
        provider, name, CHAT, window, _tokens(prompt, completion), reasoning,
        max_output_tokens=_OUTPUT_LIMITS.get(name, 8192),
        capabilities=_capabilities(provider, name),
    )  # fmt: skip


_OUTPUT_LIMITS = {"gpt-4o-mini": 16384, "gpt-4o": 16384, "gpt-4.1": 32768, "gpt-4.1-mini": 32768,
                  "gpt-5": 128000, "gpt-5-mini": 128000, "o4-mini": 100000, "gpt-4": 8192,
                  "gpt-3.5-turbo": 4096, "gpt-3.5-turbo-instruct": 4096,
                  "claude-3-haiku-20240307": 4096, "claude-3-opus-20240229": 4096,
                  "claude-3-sonnet-20240229": 4096, "grok-2": 32768}  # fmt: skip
"""Most output tokens per chat model (8192 for the others), listed as ``max_output_tokens``."""


def _capabilities(provider: str, name: str) -> tuple[str, ...]:
    """``capabilities`` of a chat model: tools everywhere but DeepSeek's reasoner and the
    instruct model, images for OpenAI's GPT-4o/4.1/5 family, Anthropic and Google."""
    if name in ("deepseek-reasoner", "gpt-3.5-turbo-instruct"):
        return ("chat",)
    reads_images = provider in ("anthropic", "google") or name.startswith(
        ("gpt-4o", "gpt-4.1", "gpt-5", "o4")
    )
    return TOOLS_VISION if reads_images else TOOLS


def _embedding(provider: str, name: str, window: int, price: float, dims: int) -> CatalogModel:
    return CatalogModel(
        provider, name, EMBEDDING, window, _tokens(price, 0.0), extra={"dimensions": dims}
    )


_VOICES = {"voices": ["alloy", "echo", "fable", "onyx", "nova", "shimmer"]}
_TTS_PRICE = {"characters": 0.015, "currency": "USD", "unit": "1K characters"}
_TTS_HD_PRICE = {**_TTS_PRICE, "characters": 0.03}

PROVIDER_NAMES: dict[str, str] = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "mistral": "Mistral AI",
    "deepseek": "DeepSeek",
    "xai": "xAI",
    "amazon": "Amazon",
}

TOOLS = ("chat", "function_calling")
"""Capabilities of a chat model that calls tools (listed in ``capabilities``)."""
TOOLS_VISION = (*TOOLS, "vision")
"""... and reads images."""

_MODELS: tuple[CatalogModel, ...] = (
    _chat("openai", "gpt-4o-mini", 128000, 0.00015, 0.0006),
    _chat("openai", "gpt-4o", 128000, 0.0025, 0.01),
    _chat("openai", "gpt-4.1", 1047576, 0.002, 0.008),
    _chat("openai", "gpt-4.1-mini", 1047576, 0.0004, 0.0016),
    _chat("openai", "gpt-5", 400000, 0.00125, 0.01, reasoning=True),
    _chat("openai", "gpt-5-mini", 400000, 0.00025, 0.002, reasoning=True),
    _chat("openai", "o4-mini", 200000, 0.0011, 0.0044, reasoning=True),
    _chat("openai", "gpt-4", 8192, 0.03, 0.06),
    _chat("openai", "gpt-3.5-turbo", 16385, 0.0005, 0.0015),
    _chat("openai", "gpt-3.5-turbo-instruct", 4096, 0.0015, 0.002),
    _embedding("openai", "text-embedding-3-small", 8191, 0.00002, 1536),
    _embedding("openai", "text-embedding-3-large", 8191, 0.00013, 3072),
    _embedding("openai", "text-embedding-ada-002", 8191, 0.0001, 1536),
    CatalogModel("openai", "dall-e-3", IMAGE, None, _image(0.04)),
    CatalogModel("openai", "dall-e-2", IMAGE, None, _image(0.02)),
    CatalogModel("openai", "gpt-image-1", IMAGE, None, _image(0.04)),
    CatalogModel("openai", "tts-1", TTS, None, _TTS_PRICE, extra=_VOICES),
    CatalogModel("openai", "tts-1-hd", TTS, None, _TTS_HD_PRICE, extra=_VOICES),
    CatalogModel("openai", "whisper-1", STT, None, {"request": 0.006, "unit": "request"}),
    _chat("anthropic", "claude-3-5-sonnet-20241022", 200000, 0.003, 0.015),
    _chat("anthropic", "claude-3-haiku-20240307", 200000, 0.00025, 0.00125),
    _chat("anthropic", "claude-3-sonnet-20240229", 200000, 0.003, 0.015),
    _chat("anthropic", "claude-3-opus-20240229", 200000, 0.015, 0.075),
    _chat("anthropic", "claude-3-5-haiku-20241022", 200000, 0.0008, 0.004),
    _chat("anthropic", "claude-sonnet-4.5", 200000, 0.003, 0.015, reasoning=True),
    _chat("anthropic", "claude-opus-4.1", 200000, 0.015, 0.075, reasoning=True),
    _chat("anthropic", "claude-haiku-4.5", 200000, 0.001, 0.005),
    _chat("google", "gemini-1.5-pro", 2000000, 0.00125, 0.005),
    _chat("google", "gemini-2.0-flash", 1000000, 0.0001, 0.0004),
    _chat("google", "gemini-2.5-pro", 1048576, 0.00125, 0.01, reasoning=True),
    _chat("google", "gemini-2.5-flash", 1048576, 0.0003, 0.0025, reasoning=True),
    _chat("google", "gemini-2.5-flash-lite", 1048576, 0.0001, 0.0004),
    _embedding("google", "text-embedding-004", 2048, 0.00001, 768),
    _embedding("google", "text-embedding-gecko", 3072, 0.00001, 768),
    CatalogModel("google", "imagen-3.0-generate-002", IMAGE, None, _image(0.03)),
    CatalogModel("google", "gemini-2.5-flash-image", IMAGE, None, _image(0.039)),
    _chat("mistral", "mistral-large-latest", 128000, 0.002, 0.006),
    _chat("mistral", "mistral-medium-latest", 128000, 0.0004, 0.002),
    _chat("mistral", "mistral-small-latest", 128000, 0.0001, 0.0003),
    _chat("mistral", "ministral-8b-latest", 128000, 0.0001, 0.0001),
    _embedding("mistral", "mistral-embed", 8192, 0.0001, 1024),
    _chat("deepseek", "deepseek-chat", 64000, 0.00027, 0.0011),
    _chat("deepseek", "deepseek-reasoner", 64000, 0.00055, 0.00219, reasoning=True),
    _chat("deepseek", "deepseek-coder", 64000, 0.00027, 0.0011),
    _chat("xai", "grok-2", 131072, 0.002, 0.01),
    _chat("xai", "grok-4", 256000, 0.003, 0.015, reasoning=True),
    _chat("xai", "grok-3-mini", 131072, 0.0003, 0.0005, reasoning=True),
    CatalogModel("xai", "grok-2-image", IMAGE, None, _image(0.07)),
    CatalogModel("openai", "sora-2", VIDEO, None, _video(0.10)),
    CatalogModel("openai", "sora-2-pro", VIDEO, None, _video(0.30)),
    CatalogModel("google", "veo-3.0-generate-001", VIDEO, None, _video(0.40)),
    CatalogModel("google", "veo-3.0-fast-generate-001", VIDEO, None, _video(0.15)),
    CatalogModel("amazon", "nova-reel", VIDEO, None, _video(0.08)),
)

_KIND_HINTS: tuple[tuple[str, str], ...] = (
    ("embed", EMBEDDING),
    ("tts", TTS),
    ("whisper", STT),
    ("transcribe", STT),
    ("dall-e", IMAGE),
    ("image", IMAGE),
    ("imagen", IMAGE),
)


def user_model(spec: str | CatalogModel) -> CatalogModel:
    """A model a user adds by name (``IndoxHubEmulator(models=[...])`` or ``--model``).

    ``"provider/name"`` becomes a chat model priced like ``openai/gpt-4o-mini``, unless its
    name says otherwise (``embed`` -> embedding with 1536 dimensions, ``tts`` -> speech,
    ``whisper``/``transcribe`` -> transcription, ``dall-e``/``image`` -> image). Append
    ``:<type>`` (``chat``, ``embedding``, ``image``, ``tts``, ``stt``) to choose the type.

    Raises:
        ValueError: The name has no provider, or the type is unknown.
    """
    if isinstance(spec, CatalogModel):
        return spec
    name, _, kind = spec.partition(":")
    provider, _, bare = name.partition("/")
    if not provider or not bare:
        raise ValueError(f"Emulator model {spec!r}: name it 'provider/model'.")
    if not kind:
        lowered = bare.lower()
        kind = next((k for hint, k in _KIND_HINTS if hint in lowered), CHAT)
    template = {
        CHAT: _chat(provider, bare, 128000, 0.00015, 0.0006),
        EMBEDDING: _embedding(provider, bare, 8191, 0.00002, 1536),
        IMAGE: CatalogModel(provider, bare, IMAGE, None, _image(0.04)),
        TTS: CatalogModel(provider, bare, TTS, None, _TTS_PRICE, extra=_VOICES),
        STT: CatalogModel(provider, bare, STT, None, {"request": 0.006, "unit": "request"}),
    }.get(kind)
    if template is None:
        raise ValueError(f"Emulator model {spec!r}: unknown type {kind!r}.")
    return CatalogModel(provider.lower(), bare, kind, template.context_window,
                        template.pricing, extra=template.extra)  # fmt: skip


class Catalog:
    """The models one emulator serves: the built-in ones plus any the user added."""

    def __init__(self, models: tuple[CatalogModel, ...] = _MODELS) -> None:
        self.models: dict[str, CatalogModel] = {model.id: model for model in models}
        self._by_provider: dict[str, list[CatalogModel]] = {}
        for model in self.models.values():
            self._by_provider.setdefault(model.provider, []).append(model)

    def with_models(self, specs: list[str | CatalogModel] | tuple[str, ...]) -> Catalog:
        """A catalog with ``specs`` added (a name already served is replaced)."""
        added = {m.id: m for m in map(user_model, specs)}
        return Catalog((*[m for m in self.models.values() if m.id not in added], *added.values()))

    def providers(self) -> list[str]:
        """The provider names, in catalog order."""
        return list(self._by_provider)

    def provider_models(self, provider: str) -> list[CatalogModel]:
        """The models of one provider (empty when the provider is unknown)."""
        return list(self._by_provider.get(provider, ()))

    def find(self, provider: str, name: str) -> CatalogModel | None:
        """Return a model by provider and name, or ``None``."""
        return self.models.get(f"{provider}/{name}")

    def find_bare(self, name: str) -> CatalogModel | None:
        """Return the only model called ``name`` in any provider (OpenAI-compatible routes)."""
        matches = [model for model in self.models.values() if model.name == name]
        return matches[0] if len(matches) == 1 else None

    def provider_json(self, provider: str) -> dict[str, Any]:
        """The provider object of ``GET /api/v1/models/{provider}`` (the published form)."""
        models = self._by_provider.get(provider, [])
        capabilities = sorted({c for m in models for c in CAPABILITIES[m.type]})
        return {
            "id": provider,
            "name": PROVIDER_NAMES.get(provider, provider),
            "capabilities": capabilities,
            "models": [model.to_json() for model in models],
        }

    def catalog_json(self) -> list[dict[str, Any]]:
        """The list answered by ``GET /api/v1/models/``."""
        return [self.provider_json(provider) for provider in self._by_provider]


DEFAULT = Catalog()
"""The built-in catalog."""
MODELS: dict[str, CatalogModel] = DEFAULT.models
"""Every built-in model, by ``provider/model``."""

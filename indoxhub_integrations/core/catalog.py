"""The model catalog (``GET /api/v1/models/...``) and cost estimates from its pricing.

Pure functions, no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ._values import as_map, as_num, as_str, first_str, shape_error
from .wire import ModelInfo, Usage

_TYPE_GROUPS = {
    "text_completions": "chat",
    "embeddings": "embedding",
    "image_generation": "image",
    "text_to_speech": "tts",
    "speech_to_text": "stt",
    "video_generation": "video",
}
"""Per-type model lists of a provider entry, as the docs' index reads them."""
_MODEL_NAME_KEYS = ("modelName", "id", "name", "model")
_CONTEXT_KEYS = ("context_window", "context_length", "contextWindow", "max_context_tokens",
                 "max_input_tokens")  # fmt: skip
_OUTPUT_KEYS = ("max_output_tokens", "max_completion_tokens", "output_limit", "maxOutputTokens",
                "max_tokens")  # fmt: skip
_TOOL_WORDS = frozenset({"function_calling", "functions", "tools", "tool_calling", "tool_use",
                         "tool_choice"})  # fmt: skip
_VISION_WORDS = frozenset({"vision", "image_input", "images", "multimodal"})
_TOOL_FLAGS = ("supports_function_calling", "supports_tools", "function_calling", "tool_calling")
_VISION_FLAGS = ("supports_vision", "vision", "supports_images")
_UNIT = re.compile(r"^\s*(?:per\s+)?(\d+(?:\.\d+)?)?\s*([km])?\s*(?:tokens?)?\s*$", re.I)


# --------------------------------------------------------------------------- model catalog


def _unit_tokens(unit: Any) -> int | None:
    """``"1K tokens"`` -> 1000, ``"1M tokens"`` -> 1_000_000, ``"token"`` -> 1.

    An absent unit is the documented ``1K tokens``; a unit that cannot be read (``"per
    request"``) is None, which makes the prices unknown rather than guessed.
    """
    if unit is None or (isinstance(unit, str) and not unit.strip()):
        return 1000
    number = as_num(unit)
    match = _UNIT.match(unit) if number is None and as_str(unit) else None
    if number is None and match is None:
        return None
    if number is not None and not (math.isfinite(number) and number > 0):
        return None
    if match is not None:
        scale = {"k": 1000, "m": 1_000_000}.get((match.group(2) or "").lower(), 1)
        number = float(match.group(1) or 1) * scale
    return max(int(number or 1), 1)


def _positive_int(entry: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        number = as_num(entry.get(key))
        if number is not None and number > 0:
            return int(number)
    return None


def _capability(
    entry: Mapping[str, Any], flags: tuple[str, ...], words: frozenset[str]
) -> bool | None:
    """A capability from a boolean flag, else from a ``capabilities`` list (or mapping of
    flags) or ``supported_parameters``; vision also from ``"image"`` in ``input_modalities``.
    ``None`` when the entry says nothing."""
    for flag in flags:
        if isinstance(entry.get(flag), bool):
            return bool(entry[flag])
    listed: set[str] = set()
    said = False
    for key in ("capabilities", "supported_parameters", "input_modalities"):
        value = entry.get(key)
        if isinstance(value, Mapping):
            items = [k for k, on in value.items() if on]
        elif isinstance(value, list):
            items = value
        else:
            continue
        said = True
        named = {str(item).lower() for item in items}
        if key == "input_modalities" and words is _VISION_WORDS and "image" in named:
            return True
        listed |= named
    return bool(listed & words) if said else None


def _model_info(entry: Mapping[str, Any], provider: str | None) -> ModelInfo:
    name = first_str(entry, _MODEL_NAME_KEYS)
    provider = as_str(entry.get("provider")) or provider
    if name and provider and name.startswith(provider + "/"):
        name = name[len(provider) + 1 :]
    elif name and provider is None and "/" in name:
        provider, name = name.split("/", 1)
    if name is None or provider is None:
        raise shape_error(entry, "model catalog entry (no model name or provider)")
    prompt, completion, unit = _prices(entry)
    kind = as_str(entry.get("type")) or as_str(entry.get("model_type"))
    return ModelInfo(
        id=f"{provider}/{name}",
        provider=provider,
        name=name,
        type=kind,
        prompt_price=_price(prompt) if unit else None,
        completion_price=_price(completion) if unit else None,
        price_unit_tokens=unit or 1000,
        context_window=_positive_int(entry, _CONTEXT_KEYS),
        max_output_tokens=_positive_int(entry, _OUTPUT_KEYS),
        function_calling=_capability(entry, _TOOL_FLAGS, _TOOL_WORDS),
        vision=_capability(entry, _VISION_FLAGS, _VISION_WORDS),
        raw=dict(entry),
    )


def _prices(entry: Mapping[str, Any]) -> tuple[Any, Any, int | None]:
    """``(input price, output price, tokens per price)`` of any catalog form.

    The published form has ``pricing: {input, output, currency, unit}`` (older catalogs say
    ``prompt``/``completion``); the stored form has ``inputPricePer1KTokens`` and
    ``outputPricePer1KTokens`` (or ``...Per1MTokens``).
    """
    pricing = as_map(entry.get("pricing"))
    if pricing:
        prompt = pricing.get("prompt", pricing.get("input"))
        completion = pricing.get("completion", pricing.get("output"))
        return prompt, completion, _unit_tokens(pricing.get("unit"))
    for suffix, unit in (("Per1KTokens", 1000), ("Per1MTokens", 1_000_000)):
        prompt, completion = entry.get(f"inputPrice{suffix}"), entry.get(f"outputPrice{suffix}")
        if prompt is not None or completion is not None:
            return prompt, completion, unit
    return None, None, 1000


def _price(value: Any) -> float | None:
    """A price as a finite, non-negative float; None (unknown, never 0) for anything else."""
    number = as_num(value)
    return number if number is not None and math.isfinite(number) and number >= 0 else None


def _catalog_items(items: list[Any], provider: str | None, body: Any) -> list[ModelInfo]:
    models: list[ModelInfo] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise shape_error(body, "model catalog")
        groups = [key for key in _TYPE_GROUPS if isinstance(item.get(key), list)]
        if isinstance(item.get("models"), list) or groups:
            name = first_str(item, ("id", "provider", "name"))
            models += _catalog_items(item.get("models") or [], name or provider, body)
            for key in groups:  # the docs' index: {"name", "text_completions": [...], ...}
                typed = [{"type": _TYPE_GROUPS[key], **m} if isinstance(m, Mapping) else m
                         for m in item[key]]  # fmt: skip
                models += _catalog_items(typed, name or provider, body)
        else:
            models.append(_model_info(item, provider))
    return models


def parse_model_catalog(body: Any, *, provider: str | None = None) -> list[ModelInfo]:
    """Parse ``GET /models/``, ``/models/{provider}`` or ``/models/{provider}/{model}``.

    Accepts a list of providers (each with ``models``), ``{"providers": [...]}``,
    ``{"data": [...]}``, a single provider, a single model, and flat model lists whose models
    carry ``id: "provider/model"`` or a ``provider`` field. Prices are read from
    ``pricing.prompt``/``pricing.completion`` (or ``input``/``output``) per ``pricing.unit``
    (``"1K tokens"``, ``"1M tokens"``, ``"token"``; 1K when absent).

    Args:
        body: The decoded JSON.
        provider: The provider the request named, for entries that do not say.

    Raises:
        ProviderError: The body is none of these.
    """
    if isinstance(body, list):
        return _catalog_items(body, provider, body)
    if not isinstance(body, Mapping):
        raise shape_error(body, "model catalog")
    for key in ("providers", "data"):
        if isinstance(body.get(key), list | Mapping):
            return parse_model_catalog(body[key], provider=provider)
    if isinstance(body.get("models"), list) or first_str(body, _MODEL_NAME_KEYS):
        return _catalog_items([body], provider, body)
    raise shape_error(body, "model catalog")


def estimate_cost(usage: Usage, model: ModelInfo) -> float | None:
    """Estimate a request's cost from the model's catalog pricing (no rounding).

    Returns:
        ``input_tokens * prompt_price / unit + output_tokens * completion_price / unit``, or None
        when the model lists no price, or none for a kind of token the request used.
    """
    if model.prompt_price is None and model.completion_price is None:
        return None
    prompt, completion = model.prompt_price, model.completion_price
    if (usage.input_tokens and prompt is None) or (usage.output_tokens and completion is None):
        return None
    unit = model.price_unit_tokens or 1
    return (
        usage.input_tokens * (prompt or 0.0) / unit
        + usage.output_tokens * (completion or 0.0) / unit
    )


_PROFILE_NUMBERS = {
    "max_input_tokens": ("max_input_tokens", "context_window", "contextWindow", "context_length"),
    "max_output_tokens": ("max_output_tokens", "maxOutputTokens", "max_completion_tokens"),
}
_PROFILE_FLAGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "tool_calling": (
        ("supports_tools", "tool_calling", "function_calling"),
        ("tools", "tool_calling", "function_calling"),
    ),
    "structured_output": (
        ("supports_json", "structured_output", "json_mode"),
        ("json", "json_mode", "structured_output"),
    ),
    "image_inputs": (
        ("supports_vision", "vision", "image_inputs"),
        ("vision", "image", "image_input", "image_inputs"),
    ),
    "reasoning_output": (("reasoning", "supports_reasoning"), ("reasoning",)),
}
"""Profile flags: (boolean fields of the entry, words of its ``capabilities`` list)."""


def model_profile(model: ModelInfo) -> dict[str, Any]:
    """What the catalog says a model can do, as LangChain ``ModelProfile`` keys.

    Only what the entry states is set: ``max_input_tokens`` (its context window),
    ``max_output_tokens``, and ``tool_calling``, ``structured_output``, ``image_inputs``,
    ``reasoning_output`` from boolean fields or a ``capabilities`` list. A capability the
    entry does not mention stays unset (unknown), never ``False``.
    """
    raw = model.raw
    profile: dict[str, Any] = {}
    for key, names in _PROFILE_NUMBERS.items():
        for name in names:
            value = raw.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                profile[key] = value
                break
    listed = raw.get("capabilities")
    capabilities = {str(item).lower() for item in listed} if isinstance(listed, list) else set()
    for key, (fields, words) in _PROFILE_FLAGS.items():
        flags = [raw[name] for name in fields if isinstance(raw.get(name), bool)]
        if flags:
            profile[key] = flags[0]
        elif capabilities & set(words):
            profile[key] = True
    return profile

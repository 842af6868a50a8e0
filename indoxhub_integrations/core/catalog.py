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
_INPUT_KEYS = ("max_input_tokens", "maxInputTokens")
_OUTPUT_KEYS = ("max_output_tokens", "max_completion_tokens", "output_limit", "maxOutputTokens",
                "max_tokens")  # fmt: skip
_NONE: frozenset[str] = frozenset()
_CAPABILITIES: dict[str, tuple[tuple[str, ...], frozenset[str], frozenset[str]]] = {
    "function_calling": (
        ("supports_function_calling", "supports_tools", "function_calling", "tool_calling"),
        frozenset({"function_calling", "functions", "tools", "tool_calling", "tool_use",
                   "tool_choice"}),
        _NONE,
    ),
    "vision": (
        ("supports_vision", "vision", "supports_images", "image_inputs"),
        frozenset({"vision", "image_input", "image_inputs", "multimodal"}),
        frozenset({"image", "images"}),
    ),
    "structured_output": (
        ("supports_json", "structured_output", "json_mode"),
        frozenset({"json", "json_mode", "structured_output"}),
        _NONE,
    ),
    "reasoning": (("reasoning", "supports_reasoning"), frozenset({"reasoning"}), _NONE),
}  # fmt: skip
"""Each capability field of :class:`ModelInfo`: (boolean fields of the entry that state it,
words that name it in a ``capabilities`` list or mapping, ``supported_parameters`` or
``input_modalities``, words that name it in ``input_modalities`` only). ``"image"`` says
vision only in ``input_modalities``: in a ``capabilities`` list it may be an endpoint kind
(image generation)."""
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
    entry: Mapping[str, Any],
    flags: tuple[str, ...],
    words: frozenset[str],
    modalities: frozenset[str] = _NONE,
) -> bool | None:
    """One capability as the entry states it; ``None`` when it does not say.

    A boolean field (``supports_tools: false``) says yes or no, and wins; so does a
    ``capabilities`` mapping of flags (``{"vision": false}``). A list (``capabilities``,
    ``supported_parameters``, ``input_modalities``) that names the capability says yes; a list
    that does not name it says nothing: the service's lists name endpoint kinds
    (``["chat", "completion"]`` for ``gpt-4`` in its docs), not everything a model can do.
    ``modalities`` name it in ``input_modalities`` only (``"image"``: vision).
    """
    for flag in flags:
        if isinstance(entry.get(flag), bool):
            return bool(entry[flag])
    mapping = entry.get("capabilities")
    if isinstance(mapping, Mapping):
        stated = [bool(on) for key, on in mapping.items() if str(key).lower() in words]
        if stated:
            return any(stated)
    for key in ("capabilities", "supported_parameters", "input_modalities"):
        value = entry.get(key)
        named = words | modalities if key == "input_modalities" else words
        if isinstance(value, list) and named & {str(item).lower() for item in value}:
            return True
    return None


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
        max_input_tokens=_positive_int(entry, _INPUT_KEYS),
        **{field: _capability(entry, *rule) for field, rule in _CAPABILITIES.items()},
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


_PROFILE_KEYS = {
    "max_input_tokens": "context_window",
    "max_output_tokens": "max_output_tokens",
    "tool_calling": "function_calling",
    "structured_output": "structured_output",
    "image_inputs": "vision",
    "reasoning_output": "reasoning",
}
"""LangChain ``ModelProfile`` key -> the :class:`ModelInfo` field it reads."""


def model_profile(model: ModelInfo) -> dict[str, Any]:
    """What the catalog says a model can do, as LangChain ``ModelProfile`` keys.

    Reads the fields :func:`parse_model_catalog` filled (one rule for both frameworks):
    ``max_input_tokens`` (the catalog's own, else the context window), ``max_output_tokens``,
    ``tool_calling``, ``structured_output``, ``image_inputs``, ``reasoning_output``. What the
    catalog does not say (a ``None`` field) stays unset, never ``False``.
    """
    profile: dict[str, Any] = {}
    for key, field in _PROFILE_KEYS.items():
        value = getattr(model, field)
        if value is not None:
            profile[key] = value
    if model.max_input_tokens is not None:  # listed apart from (below) the context window
        profile["max_input_tokens"] = model.max_input_tokens
    return profile

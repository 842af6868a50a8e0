"""The steps every model call shares: model lookup, BYOK checks, rate limits and credits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from indoxhub_integrations.core.byok import foreign_key_provider, mask_secret

from .catalog import Catalog, CatalogModel
from .errors import detail, envelope
from .model import Reply, ToolCall
from .shapes import Bill, Meta
from .state import EmulatorState, RequestRecord, Script

SECRET_FIELDS = ("byok_api_key", "api_key")


@dataclass
class Call:
    """One request on its way through a handler."""

    state: EmulatorState
    record: RequestRecord
    started: float
    base_url: str
    script: Script | None = None
    byok_key: str | None = None
    request: Any = None
    """The Starlette request (for handlers that read headers or path parameters)."""

    @property
    def charged(self) -> bool:
        """Faults (other than ``delay`` and the video job outcomes) are answered for free,
        whatever the account says."""
        return self.script is None or self.script.fault in (
            None, "delay", "video_failed", "video_stuck"
        )

    def meta(self, model: CatalogModel) -> Meta:
        return Meta(self.record.request_id, model, self.started, byok=self.byok_key is not None)


@dataclass
class Answer:
    """What a handler produced: a JSON body or a list of SSE events, plus headers."""

    body: Any = None
    events: list[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    event_delay: float = 0.0
    """Seconds between SSE events (``additional_params.emulator_event_delay``)."""


def mask_value(value: Any) -> Any:
    """The logged form of a secret field."""
    return mask_secret(value) if isinstance(value, str) else "***"


def masked(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with secret fields masked (a copy only when there is something to mask)."""
    params = body.get("additional_params")
    nested = isinstance(params, dict) and any(k in params for k in SECRET_FIELDS)
    if not nested and not any(k in body for k in SECRET_FIELDS):
        return body
    copy = {k: mask_value(v) if k in SECRET_FIELDS else v for k, v in body.items()}
    if nested and isinstance(params, dict):
        copy["additional_params"] = {
            k: mask_value(v) if k in SECRET_FIELDS else v for k, v in params.items()
        }
    return copy


def resolve(
    body: dict[str, Any], kind: str, *, catalog: Catalog, bare_ok: bool = False
) -> CatalogModel:
    """The catalog model a body names (``provider/model`` or ``provider`` + ``model``)."""
    name = body.get("model") or ""
    provider = body.get("provider")
    if "/" in name:
        provider, _, name = name.partition("/")
    elif not provider and bare_ok:
        found = catalog.find_bare(name)
        if found is not None:
            provider, name = found.provider, found.name
    if not provider:
        raise envelope(
            404,
            "ProviderNotFoundError",
            f"Model '{name}' not found: name models as 'provider/model', "
            "for example 'openai/gpt-4o-mini'",
            {"available_providers": catalog.providers()},
        )
    provider = provider.lower()
    models = catalog.provider_models(provider)
    if not models:
        raise envelope(
            404,
            "ProviderNotFoundError",
            f"Provider '{provider}' not found",
            {"available_providers": catalog.providers()},
        )
    model = catalog.find(provider, name)
    if model is None:
        raise envelope(
            404,
            "ModelNotFoundError",
            f"Model '{provider}/{name}' not found for provider '{provider}'",
            {"available_models": [m.id for m in models]},
        )
    if model.type != kind:
        raise detail(
            400,
            f"Model '{model.id}' is a {model.type} model; this endpoint needs a {kind} model",
        )
    return model


def check_byok(call: Call, key: Any, model: CatalogModel) -> None:
    """Record and check the request's BYOK key (the key itself is never echoed)."""
    call.record.model = model.id
    if not isinstance(key, str) or not key:
        return
    call.record.byok = True
    call.record.byok_key_sha256 = hashlib.sha256(key.encode()).hexdigest()
    proven = foreign_key_provider(key, model.provider)
    if proven is not None:
        raise detail(
            400,
            f"BYOK key does not belong to provider '{model.provider}': it is a {proven} key. "
            f"Pass a {model.provider} key for model '{model.id}'.",
        )
    if "invalid" in key.lower():
        raise detail(
            401,
            f"Provider authentication failed: Incorrect API key provided: {mask_secret(key)}",
        )
    call.byok_key = key


def admit(call: Call, model: CatalogModel, bill: Bill, input_tokens: int, tokens: int) -> Bill:
    """Apply the tier's rate limit and charge the credits; return what the answer reports.

    BYOK requests and faults are free and not rate-limited.
    """
    record = call.record
    if call.byok_key is not None or not call.charged:
        record.cost = 0.0
        if call.byok_key is not None and call.charged:
            record.provider_cost_estimate = bill.total
        return Bill()
    state = call.state
    limited = state.check_rate(input_tokens)
    if limited is not None:
        unit = (
            "requests per minute"
            if limited.limit_type == "requests_per_minute"
            else ("tokens per hour")
        )
        raise envelope(
            429,
            "RateLimitError",
            f"Rate limit exceeded: {limited.limit} {unit} on the '{state.tier}' tier",
            {
                "limit_type": limited.limit_type,
                "limit": limited.limit,
                "reset_time": limited.reset_time,
                "retry_after": limited.retry_after,
            },
            {"Retry-After": str(limited.retry_after)},
        )
    if state.stale(record):  # arrived before a reset: the account it belonged to is gone
        record.cost = 0.0
        return Bill()
    balance = state.charge(bill.total, tokens)
    if balance is not None:
        raise detail(
            402,
            f"Insufficient credits: this request costs ${bill.total:.6f} but the account has "
            f"${max(balance, 0.0):.6f} left",
        )
    record.cost = bill.total
    return bill


def byok_headers(call: Call) -> dict[str, str]:
    return {"X-RateLimit-Bypass": "BYOK API key used"} if call.byok_key is not None else {}


# --- scripted overrides ------------------------------------------------------------------------

_USAGE_ALIASES = {
    "input_tokens": ("input_tokens", "prompt_tokens", "tokens_prompt"),
    "output_tokens": ("output_tokens", "completion_tokens", "tokens_completion"),
    "reasoning_tokens": ("reasoning_tokens",),
}


def apply_overrides(script: Script | None, reply: Reply) -> float | None:
    """Put a script's ``content``/``tool_calls``/``usage`` into ``reply``; return a set cost."""
    if script is None or script.fixed:
        return None
    if script.content is not None or script.tool_calls is not None:
        reply.text = script.content or ""
        reply.tool_calls = [_tool_call(c, i) for i, c in enumerate(script.tool_calls or [])]
        reply.finish_reason = "tool_calls" if reply.tool_calls else "stop"
        reply.count_output()
    usage = script.usage or {}
    for target, names in _USAGE_ALIASES.items():
        for name in names:
            if isinstance(usage.get(name), int):
                setattr(reply, target, usage[name])
                break
    cost = usage.get("cost")
    return float(cost) if isinstance(cost, (int, float)) else None


def _tool_call(spec: Any, index: int) -> ToolCall:
    if not isinstance(spec, dict):
        return ToolCall(id=f"call_scripted_{index}", name=str(spec), arguments="{}")
    nested = spec.get("function")
    function: dict[str, Any] = nested if isinstance(nested, dict) else spec
    arguments = function.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    call_id = spec.get("id") or spec.get("call_id") or f"call_scripted_{index}"
    return ToolCall(id=str(call_id), name=str(function.get("name", "")), arguments=arguments)

"""Every documented indoxhub response shape -> the normalized models of :mod:`.wire`.

Pure functions, no I/O. Chat and completion answers come in three shapes (Responses style with
``object: "response"``, the legacy ``data`` shape, and OpenAI ``choices``); usage comes in three
vocabularies; the model catalog in several layouts. A body of a shape none of these match is a
server problem and raises :class:`~indoxhub_integrations.core.errors.ProviderError` naming the
body's top-level keys (never its values).

Tool-call arguments are parsed from their JSON string; text that is not a JSON object (invalid
or truncated JSON) makes an invalid call: empty ``arguments``, the text in ``raw_arguments`` and
the parse error in ``arguments_error`` (see :func:`tool_call`), which adapters must not run.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any, Literal, get_args

import pydantic_core

from ._values import (
    BYPASS_HEADERS,
    EMPTY,
    as_int,
    as_map,
    as_num,
    as_str,
    b64decode,
    first_str,
    get_path,
    lower_headers,
    shape_error,
    sniff_image_type,
)
from .errors import IndoxHubWarning
from .wire import (
    ChatResult,
    Endpoint,
    GeneratedImage,
    ResponseMeta,
    ToolCall,
    Usage,
)

RAW_ARGUMENTS_KEY = "_raw"
"""Key under which :func:`parse_arguments` keeps argument text that is not a JSON object."""

_ENDPOINTS: dict[str, Endpoint] = {name: name for name in get_args(Endpoint)}
_ENDPOINTS.update(completions="completion", embeddings="embedding", images="image")
_ENDPOINTS.update(tts="text_to_speech", stt="speech_to_text")
_COST_PARTS = (
    "input_tokens",
    "output_tokens",
    "cache_read",
    "cache_write",
    "reasoning",
    "web_search",
    "request",
)


def as_endpoint(endpoint: str) -> Endpoint:
    try:
        return _ENDPOINTS[endpoint]
    except KeyError:
        raise ValueError(f"unknown indoxhub endpoint {endpoint!r}") from None


def check_arguments(value: Any) -> tuple[dict[str, Any], str | None, str | None]:
    """Parse tool-call arguments: ``(arguments, raw_text, error)``.

    ``raw_text`` and ``error`` are ``None`` for a JSON object (or nothing); otherwise
    ``arguments`` is empty, ``raw_text`` is the text as received and ``error`` says why it
    was rejected (the JSON error, or the type it parsed to).
    """
    if value is None or value == "":
        return {}, None, None
    if isinstance(value, Mapping):
        return dict(value), None, None
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        return {}, text, f"invalid JSON in tool-call arguments: {exc}"
    if isinstance(parsed, dict):
        return parsed, None, None
    return {}, text, f"tool-call arguments must be a JSON object, got {type(parsed).__name__}"


def parse_arguments(value: Any) -> dict[str, Any]:
    """Parse arguments a framework hands back; text that is not an object stays under ``"_raw"``.

    For answers from the server use :func:`tool_call`, which marks such calls invalid.
    """
    arguments, raw, _ = check_arguments(value)
    return {RAW_ARGUMENTS_KEY: raw} if raw is not None else arguments


def tool_call(call_id: str, name: str, value: Any) -> ToolCall:
    """A :class:`ToolCall` of the server's answer; unparseable arguments make it invalid."""
    arguments, raw, error = check_arguments(value)
    return ToolCall(
        id=call_id, name=name, arguments=arguments, raw_arguments=raw, arguments_error=error
    )


def parse_partial_arguments(text: str) -> dict[str, Any]:
    """The arguments a streamed tool call holds so far: an unfinished JSON object is read up
    to its last complete member (a trailing string as far as it goes), as streaming parsers of
    structured output expect. Text that is not the start of a JSON object gives ``{}``.
    """
    if not text.strip():
        return {}
    try:
        parsed = pydantic_core.from_json(text, allow_partial="trailing-strings")
    except ValueError:
        return {}
    return dict(parsed) if isinstance(parsed, dict) else {}


def text_of(value: Any) -> str:
    """Text of a string, or of a list of text parts (``{"type": "text", "text": ...}``)."""
    if isinstance(value, list):
        return "".join(text_of(part) for part in value)
    return value if isinstance(value, str) else as_str(as_map(value).get("text")) or ""


def _reasoning_text(value: Any) -> str:
    """Reasoning as a string, or a list of summary/content parts joined by newlines."""
    if isinstance(value, list):
        return "\n".join(text for text in map(_reasoning_text, value) if text)
    if isinstance(value, Mapping):
        return _reasoning_text(value.get("text", value.get("summary")))
    return value if isinstance(value, str) else ""


# --------------------------------------------------------------------------- usage and meta


def cookie_token(headers: Mapping[str, str] | None) -> str | None:
    """The ``access_token`` cookie a token-exchange answer set, if any.

    The public client falls back on this cookie when the answer's body has no token.

    Args:
        headers: The response headers (``httpx.Headers`` keeps every ``Set-Cookie``).
    """
    if not headers:
        return None
    getter = getattr(headers, "get_list", None)
    values = getter("set-cookie") if callable(getter) else [
        value for key, value in headers.items() if str(key).lower() == "set-cookie"
    ]
    for value in values:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:
            continue
        if "access_token" in jar and jar["access_token"].value:
            return jar["access_token"].value
    return None


def _cost(value: Any) -> float | None:
    """A cost the server reported, validated: NaN, infinities and negatives are unknown.

    An invalid cost is never added to a total; a warning says the server sent one.
    """
    number = as_num(value)
    if number is None or (math.isfinite(number) and number >= 0):
        return number
    warnings.warn(
        f"indoxhub reported an invalid cost ({number!r}); it is counted as unknown (None).",
        IndoxHubWarning,
        stacklevel=2,
    )
    return None


def decide_byok(marked: bool, byok_sent: bool, reported_cost: float | None) -> bool:
    """Whether a request went through the user's own key, as the server's answer says.

    The server marks a BYOK answer with ``"byok_api_key": true``, the ``X-RateLimit-Bypass``
    header and a cost of 0. A request that sent a key but whose answer has no marker and a
    non-zero cost was billed to the platform (an endpoint or provider route without BYOK
    support): it is not BYOK, and a warning says the key was not used. Without a marker and
    without a cost, the key sent is all we know, so the request counts as BYOK.

    Args:
        marked: The answer carries a BYOK marker (body flag or bypass header).
        byok_sent: The request carried a BYOK key.
        reported_cost: The cost the answer reported (validated), or None.
    """
    if marked:
        return True
    if byok_sent and reported_cost:
        warnings.warn(
            f"A BYOK key was sent but the server billed the request (cost {reported_cost!r}, "
            "no BYOK marker): the key was not used, and the request counts against your "
            "credits. This endpoint or provider may not support BYOK.",
            IndoxHubWarning,
            stacklevel=2,
        )
        return False
    return byok_sent


def parse_usage(usage: Mapping[str, Any] | None, *, byok: bool) -> Usage:
    """Normalize a usage object of any documented vocabulary.

    Args:
        usage: The ``usage`` object (Responses ``input_tokens``..., legacy ``tokens_*``, or
            OpenAI ``prompt_tokens``...), or None when the answer had none.
        byok: Whether the request went through the user's own key; its cost is then 0.

    Returns:
        The usage. ``cost`` is ``usage.cost``, else ``cost_breakdown.total_cost``, else the sum
        of the numeric ``cost_breakdown`` parts, else None (unknown, never 0).
        ``input_cost``/``output_cost`` are the breakdown's ``input_tokens``/``output_tokens``
        parts when present (0 for BYOK).
    """
    if not isinstance(usage, Mapping):
        if byok:
            return Usage(cost=0.0, input_cost=0.0, output_cost=0.0, reported=False)
        return Usage(reported=False)
    get = usage.get
    inputs = as_int(get("input_tokens"), get("tokens_prompt"), get("prompt_tokens")) or 0
    outputs = as_int(get("output_tokens"), get("tokens_completion"), get("completion_tokens")) or 0
    total = as_int(get("total_tokens"), get("tokens_total"))
    cached = as_int(
        get_path(usage, "input_tokens_details", "cached_tokens"),
        get_path(usage, "prompt_tokens_details", "cached_tokens"),
        get("cache_read_tokens"),
    )
    reasoning = as_int(
        get_path(usage, "output_tokens_details", "reasoning_tokens"),
        get_path(usage, "completion_tokens_details", "reasoning_tokens"),
        get("reasoning_tokens"),
    )
    breakdown = as_map(get("cost_breakdown"))
    cost = _cost(get("cost"))
    cost = cost if cost is not None else _cost(breakdown.get("total_cost"))
    if cost is None:
        parts = [n for n in (_cost(breakdown.get(key)) for key in _COST_PARTS) if n is not None]
        cost = sum(parts) if parts else None
    return Usage(
        input_tokens=inputs,
        output_tokens=outputs,
        total_tokens=total if total is not None else inputs + outputs,
        cached_tokens=cached or 0,
        reasoning_tokens=reasoning or 0,
        characters=as_int(get("characters")),
        cost=0.0 if byok else cost,
        input_cost=0.0 if byok else as_num(breakdown.get("input_tokens")),
        output_cost=0.0 if byok else as_num(breakdown.get("output_tokens")),
    )


def _normalise_model(
    model: Any, provider: Any, requested_model: str | None
) -> tuple[str | None, str | None]:
    """Return ``(provider, "provider/model")`` from a body's ``model``/``provider`` fields."""
    prov, name = as_str(provider), as_str(model) or requested_model
    if prov is None and name and requested_model and "/" in requested_model:
        req_provider, req_name = requested_model.split("/", 1)
        if "/" not in name or name in (requested_model, req_name):
            prov = req_provider
    if name is None or prov is None:
        return (name.split("/", 1)[0] if name and "/" in name else prov), name
    return prov, name if name.startswith(prov + "/") else f"{prov}/{name}"


def parse_meta(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    endpoint: str,
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
    reported_cost: float | None = None,
) -> ResponseMeta:
    """Read the response metadata from a body and its headers.

    Args:
        body: The response JSON (any shape; only metadata fields are read).
        headers: The response headers, any Mapping; names are matched case-insensitively.
        endpoint: Which endpoint answered (an :data:`~.wire.Endpoint`; plurals accepted).
        requested_model: The ``provider/model`` the request asked for (fallback for ``model``).
        byok_sent: Whether the request carried a BYOK key.
        elapsed_ms: Client-measured duration, used when the body has no ``duration_ms``.
        reported_cost: The cost the answer reported; with ``byok_sent`` and no BYOK marker,
            a non-zero cost means the key was not used (see :func:`decide_byok`).

    Returns:
        The metadata, with ``model`` in ``provider/model`` form where the provider is known.
    """
    lowered = lower_headers(headers)
    body = as_map(body)
    request_id = body.get("request_id") or body.get("id") or lowered.get("x-request-id")
    provider, model = _normalise_model(body.get("model"), body.get("provider"), requested_model)
    bypass = next((lowered[name] for name in BYPASS_HEADERS if name in lowered), None)
    duration = as_num(body.get("duration_ms"))
    return ResponseMeta(
        endpoint=as_endpoint(endpoint),
        request_id=str(request_id) if request_id is not None else None,
        provider=provider,
        model=model,
        byok=decide_byok(
            body.get("byok_api_key") is True or bypass is not None, byok_sent, reported_cost
        ),
        rate_limit_bypass=bypass,
        duration_ms=duration if duration is not None else elapsed_ms,
    )


def common_fields(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    endpoint: str,
    model: str | None,
    byok_sent: bool,
    elapsed: float | None,
) -> dict[str, Any]:
    """The ``usage``, ``meta`` and ``raw`` fields of a result."""
    context: dict[str, Any] = {
        "requested_model": model,
        "byok_sent": byok_sent,
        "elapsed_ms": elapsed,
    }
    usage = parse_usage(body.get("usage"), byok=False)
    meta = parse_meta(body, headers, endpoint=endpoint, reported_cost=usage.cost, **context)
    if meta.byok:
        usage = usage.model_copy(update={"cost": 0.0})
    return {"usage": usage, "meta": meta, "raw": dict(body)}


# --------------------------------------------------------------------------- chat


def _tool_call(item: Any, index: int) -> ToolCall:
    """A tool call in OpenAI chat form, flat form, or Responses ``function_call`` form."""
    item = as_map(item)
    function = as_map(item.get("function")) or item
    position = as_int(item.get("index"))
    return tool_call(
        first_str(item, ("call_id", "id")) or f"call_{index if position is None else position}",
        as_str(function.get("name")) or "",
        function.get("arguments"),
    )


def _tool_calls(value: Any, message: Mapping[str, Any] = EMPTY) -> list[ToolCall]:
    calls = [_tool_call(item, i) for i, item in enumerate(value)] if isinstance(value, list) else []
    if not calls and isinstance(message.get("function_call"), Mapping):  # pre-tools OpenAI form
        calls.append(_tool_call({"function": message["function_call"]}, 0))
    return calls


def parse_image(item: Any) -> GeneratedImage | None:
    """One generated image from ``{url|b64_json|result|image_url, revised_prompt}`` or a URL."""
    if isinstance(item, str):
        item = {"b64_json": item} if item.startswith("data:") else {"url": item}
    if not isinstance(item, Mapping):
        return None
    url = as_str(item.get("url")) or as_str(get_path(item, "image_url", "url"))
    b64 = first_str(item, ("b64_json", "b64", "result"))
    if url and url.startswith("data:"):
        b64, url = url, None
    data = b64decode(b64) if b64 else None
    declared = first_str(item, ("media_type", "mime_type"))
    return GeneratedImage(
        url=url,
        b64_json=b64.split(",", 1)[-1] if b64 and b64.startswith("data:") else b64,
        revised_prompt=as_str(item.get("revised_prompt")),
        data=data,
        media_type=(sniff_image_type(data) if data else None) or declared,
    )


def _images(items: Any) -> list[GeneratedImage]:
    if not isinstance(items, list):
        return []
    if all(as_num(as_map(item).get("index")) is not None for item in items):
        items = sorted(items, key=lambda item: as_num(item["index"]) or 0)
    return [image for image in map(parse_image, items) if image is not None]


def finish_from_status(status: Any, body: Mapping[str, Any]) -> str | None:
    """Map a Responses ``status`` to a chat ``finish_reason``."""
    if status == "incomplete":
        reason = get_path(body, "incomplete_details", "reason")
        return "content_filter" if reason == "content_filter" else "length"
    return "stop" if status == "completed" else as_str(status)


def _fields(
    text: str, reasoning: str, calls: list[ToolCall], finish: Any, images: list[GeneratedImage]
) -> dict[str, Any]:
    fields = dict(text=text, reasoning=reasoning or None, tool_calls=calls, images=images)
    return {**fields, "finish_reason": as_str(finish) or ("tool_calls" if calls else None)}


def chat_fields_from_output(body: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of a Responses-style answer (its ``output`` items)."""
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    images: list[GeneratedImage] = []
    for item in body.get("output") or []:
        kind = as_map(item).get("type")
        if kind == "message":
            content = item.get("content")
            parts = content if isinstance(content, list) else [{"text": content}]
            kinds = ("output_text", "text")
            texts += [text_of(p) for p in parts if as_map(p).get("type", "output_text") in kinds]
            reasoning.append(_reasoning_text(item.get("reasoning")))
        elif kind == "reasoning":
            reasoning += [
                _reasoning_text(item.get("summary")),
                _reasoning_text(item.get("content")),
            ]
        elif kind == "function_call":
            calls.append(_tool_call(item, len(calls)))
        elif kind == "image_generation_call":
            image = parse_image(item)
            images += [image] if image is not None and (image.url or image.b64_json) else []
    text = "".join(texts) or as_str(body.get("output_text")) or ""
    finish = "tool_calls" if calls else finish_from_status(body.get("status"), body)
    return _fields(text, _reasoning_text(reasoning), calls, finish, images)


def _chat_from_choices(body: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of an OpenAI chat-completions (or completions) answer."""
    choices = body["choices"]
    choice = as_map(choices[0] if choices else None)
    message = as_map(choice.get("message"))
    text = text_of(message.get("content")) if message else text_of(choice.get("text"))
    calls = _tool_calls(message.get("tool_calls"), message)
    reasoning = _reasoning_text(message.get("reasoning_content") or message.get("reasoning"))
    images = _images(message.get("images"))
    return _fields(text, reasoning, calls, choice.get("finish_reason"), images)


def _chat_from_legacy(body: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of the legacy ``ChatResponse``/``CompletionResponse`` (``data`` is the text)."""
    reasoning = _reasoning_text(body.get("reasoning") or body.get("reasoning_content"))
    calls = _tool_calls(body.get("tool_calls"))
    images = _images(body.get("images"))
    return _fields(text_of(body.get("data")), reasoning, calls, body.get("finish_reason"), images)


def parse_chat(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    endpoint: Literal["chat", "completion"] = "chat",
    requested_model: str | None = None,
    byok_sent: bool = False,
    elapsed_ms: float | None = None,
) -> ChatResult:
    """Parse a chat or text-completion answer of any documented shape.

    Calls without an id get ``call_<index>``; arguments that are not a JSON object make an
    invalid call (``arguments_error`` set, the text in ``raw_arguments``). ``finish_reason``
    is ``tool_calls`` when a Responses-style answer
    calls functions, else mapped from ``status`` (``completed`` -> ``stop``, ``incomplete`` ->
    ``length``) or taken as given.

    Args:
        body: The response JSON (Responses style, legacy ``data`` or OpenAI ``choices``).
        headers: The response headers.
        endpoint: ``"chat"`` or ``"completion"``.
        requested_model: The ``provider/model`` the request asked for.
        byok_sent: Whether the request carried a BYOK key.
        elapsed_ms: Client-measured duration in milliseconds.

    Returns:
        The normalized answer.

    Raises:
        ProviderError: The body matches none of the documented shapes.
    """
    if not isinstance(body, Mapping):
        raise shape_error(body, endpoint)
    if body.get("object") == "response" or isinstance(body.get("output"), list):
        if not isinstance(body.get("output", []), list) or not (
            "output" in body or "output_text" in body
        ):  # a Responses-style answer without its output list is not an (empty) answer
            raise shape_error(body, endpoint)
        fields = chat_fields_from_output(body)
    elif isinstance(body.get("choices"), list):
        fields = _chat_from_choices(body)
    elif "data" in body and (body["data"] is None or isinstance(body["data"], str)):
        fields = _chat_from_legacy(body)
    else:
        raise shape_error(body, endpoint)
    common = common_fields(body, headers, endpoint, requested_model, byok_sent, elapsed_ms)
    return ChatResult(**fields, **common)

"""Account, catalog and auth handlers, and the unauthenticated ``/_emulator/*`` control routes."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import catalog
from .errors import ApiError, Problems, detail, envelope
from .pipeline import Answer, Call
from .state import EmulatorState, Script

# --- /api/v1 handlers (run by the dispatcher) ---------------------------------------------------


async def exchange_key(call: Call, _: Any) -> Answer:
    """``POST /api/v1/auth/api-key`` with ``X-API-Key``: an access token, also as a cookie."""
    state = call.state
    key = call.request.headers.get("x-api-key") if call.request is not None else None
    if not key or key != state.api_key:
        raise detail(401, "Invalid API key", {"WWW-Authenticate": "Bearer"})
    token = state.issue_token()
    body = {"access_token": token, "token_type": "bearer", "expires_in": state.token_ttl}
    cookie = f"access_token={token}; HttpOnly; Path=/; SameSite=lax"
    return Answer(body=body, headers={"Set-Cookie": cookie})


async def list_models(call: Call, _: Any) -> Answer:
    """``GET /api/v1/models/``: every provider with its models and pricing."""
    return Answer(body=call.state.catalog.catalog_json())


def _provider(call: Call) -> str:
    provider = str(call.request.path_params["provider"]).lower()
    served = call.state.catalog
    if not served.provider_models(provider):
        raise envelope(
            404,
            "ProviderNotFoundError",
            f"Provider '{provider}' not found",
            {"available_providers": served.providers()},
        )
    return provider


async def get_provider(call: Call, _: Any) -> Answer:
    """``GET /api/v1/models/{provider}``."""
    return Answer(body=call.state.catalog.provider_json(_provider(call)))


TYPE_ROUTES = {
    "text_completions": catalog.CHAT,
    "embeddings": catalog.EMBEDDING,
    "image_generation": catalog.IMAGE,
    "text_to_speech": catalog.TTS,
    "speech_to_text": catalog.STT,
    "video_generation": catalog.VIDEO,
}
"""``GET /api/v1/models/{provider}/{type}``: the documented type names -> catalog types."""


def _stored(model: catalog.CatalogModel) -> dict[str, Any]:
    """A model "exactly as stored" (the raw record form the type routes answer with)."""
    return {"modelName": model.name, "type": model.type, "pricing": dict(model.pricing),
            **model.extra}  # fmt: skip


async def get_model(call: Call, _: Any) -> Answer:
    """``GET /api/v1/models/{provider}/{model}``."""
    provider = _provider(call)
    name = str(call.request.path_params["model"])
    served = call.state.catalog
    kind = TYPE_ROUTES.get(name)
    if kind is not None and served.find(provider, name) is None:
        models = served.provider_models(provider)
        return Answer(body=[_stored(model) for model in models if model.type == kind])
    model = served.find(provider, name)
    if model is None:
        raise envelope(
            404,
            "ModelNotFoundError",
            f"Model '{provider}/{name}' not found for provider '{provider}'",
            {"available_models": [m.id for m in served.provider_models(provider)]},
        )
    return Answer(body=model.to_json())


async def me(call: Call, _: Any) -> Answer:
    """``GET /api/v1/user/me``."""
    state = call.state
    return Answer(
        body={
            "id": 1,
            "username": "emulator",
            "email": "emulator@localhost",
            "first_name": "IndoxHub",
            "last_name": "Emulator",
            "is_active": True,
            "credits": state.credits,
            "app_credit": 0,
            "account_tier": state.tier,
            "created_at": "2024-01-01T00:00:00+00:00",
        }
    )


async def usage(call: Call, _: Any) -> Answer:
    """``GET /api/v1/user/usage``: totals and breakdowns over the successful model calls."""
    return Answer(body=call.state.usage())


async def stop_stream(call: Call, _: Any) -> Answer:
    """``POST /api/v1/{chat,completions}/stop-stream/{stream_id}``."""
    stream_id = str(call.request.path_params["stream_id"])
    if not call.state.stop_stream(stream_id):
        raise detail(404, f"Stream '{stream_id}' not found")
    return Answer(body={"success": True, "message": "Stream stopped", "stream_id": stream_id})


# --- /_emulator control routes ------------------------------------------------------------------

_SCRIPT_FIELDS: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "status": (int,),
    "headers": (dict,),
    "content": (str,),
    "tool_calls": (list,),
    "usage": (dict,),
    "fault": (str,),
    "after_events": (int,),
    "delay": (int, float),
    "times": (int,),
}


def script_from_json(data: Any) -> Script:
    """A :class:`Script` from the JSON of ``POST /_emulator/enqueue`` (422 on bad fields)."""
    problems = Problems()
    if not isinstance(data, dict):
        problems.wrong_type(("body",), "dict")
        problems.raise_if_any()
    fields: dict[str, Any] = {}
    for name, types in _SCRIPT_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, types) or isinstance(value, bool):
            problems.add(
                ("body", name), f"Input should be of type {types[0].__name__}", "type_error"
            )
        else:
            fields[name] = value
    if "json" in data:
        fields["json"] = data["json"]
    body = data.get("body")
    if isinstance(body, str):
        fields["body"] = body.encode()
    elif body is not None:
        problems.wrong_type(("body", "body"), "str")
    encoded = data.get("body_base64")
    if isinstance(encoded, str):
        try:
            fields["body"] = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            problems.add(("body", "body_base64"), "Invalid base64", "value_error")
    problems.raise_if_any()
    return Script(**fields)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise detail(422, "Body is not valid JSON") from exc


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body).encode(), status, media_type="application/json")


def emulator_routes(state: EmulatorState) -> list[BaseRoute]:
    """The ``/_emulator/*`` routes (no authentication: the emulator's own control plane)."""

    async def guarded(request: Request, action: Any) -> Response:
        try:
            return await action(request)
        except ApiError as error:
            return _json(error.body, error.status)
        except ValueError as error:
            return _json({"detail": str(error)}, 422)

    async def enqueue(request: Request) -> Response:
        state.enqueue(script_from_json(await _json_body(request)))
        return _json({"queued": True, "pending": len(state.scripts)})

    def setter(name: str, apply: Any, kinds: tuple[type, ...]) -> Any:
        async def handler(request: Request) -> Response:
            data = await _json_body(request)
            value = data.get(name) if isinstance(data, dict) else None
            if not isinstance(value, kinds) or isinstance(value, bool):
                raise detail(422, f"Expected a JSON object with '{name}'")
            apply(value)
            return _json({name: value})

        return handler

    async def requests(request: Request) -> Response:
        after = request.query_params.get("after", "0")
        if not after.isdigit():
            raise detail(422, "'after' must be a record number (the 'seq' of a record)")
        return _json([record.to_json() for record in state.requests(int(after))])

    async def one_request(request: Request) -> Response:
        found = state.find_request(str(request.path_params["request_id"]))
        if found is None:
            return _json({"detail": "Request not found in the log"}, 404)
        return _json(found.response_json())

    async def usage_report(_: Request) -> Response:
        return _json(state.usage())

    async def account(_: Request) -> Response:
        return _json(state.account())

    async def spend(_: Request) -> Response:
        return _json(state.spend())

    async def reset(_: Request) -> Response:
        state.reset()
        return _json({"reset": True})

    async def expire(_: Request) -> Response:
        state.expire_tokens()
        return _json({"expired": True})

    async def health(_: Request) -> Response:
        return _json({"status": "ok"})

    async def file(request: Request) -> Response:
        name = str(request.path_params["name"])
        found = state.get_file(name.rsplit(".", 1)[0])
        if found is None:
            return _json({"detail": "File not found"}, 404)
        return Response(found[0], media_type=found[1])

    actions: list[tuple[str, str, Any]] = [
        ("/_emulator/enqueue", "POST", enqueue),
        ("/_emulator/credits", "POST", setter("credits", state.set_credits, (int, float))),
        ("/_emulator/tier", "POST", setter("tier", state.set_tier, (str,))),
        ("/_emulator/style", "POST", setter("style", state.set_style, (str,))),
        ("/_emulator/latency", "POST", setter("latency", state.set_latency, (int, float))),
        ("/_emulator/requests", "GET", requests),
        ("/_emulator/requests/{request_id}", "GET", one_request),
        ("/_emulator/usage", "GET", usage_report),
        ("/_emulator/account", "GET", account),
        ("/_emulator/spend", "GET", spend),
        ("/_emulator/reset", "POST", reset),
        ("/_emulator/expire-tokens", "POST", expire),
        ("/_emulator/health", "GET", health),
        ("/_emulator/files/{name}", "GET", file),
    ]
    routes: list[BaseRoute] = []
    for path, method, action in actions:

        async def endpoint(request: Request, action: Any = action) -> Response:
            return await guarded(request, action)

        routes.append(Route(path, endpoint, methods=[method]))
    return routes

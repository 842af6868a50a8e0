"""The OpenAPI 3.0 document of the emulator's ``/api/v1`` and ``/v1`` routes (``/openapi.json``).

Built from the app's own route table (:data:`~indoxhub_integrations.emulator.app.API_ROUTES`)
and the same field specs the emulator validates requests with
(:mod:`~indoxhub_integrations.emulator.validation`), so the document, the routes and the checks
cannot drift apart. It describes what a well-formed request looks like; schema-driven fuzzers
(schemathesis) use it to send well-formed and malformed requests, and every malformed one must
be answered with a 4xx, never a 5xx.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import validation
from .validation import Spec

if TYPE_CHECKING:
    from .app import ApiRoute

_KINDS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "dict": {"type": "object"},
    "list": {"type": "array", "items": {}},
    "text": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "input": {
        "oneOf": [
            {"type": "string"},
            {"type": "array", "minItems": 1, "items": {"type": "string"}},
            {"type": "array", "minItems": 1, "items": {"type": "integer"}},
        ]
    },
}
_REF = "#/components/schemas/"
_FIELD_REFS: dict[str, dict[str, Any]] = {
    "messages": {"type": "array", "minItems": 1, "items": {"$ref": _REF + "Message"}},
    "additional_params": {"$ref": _REF + "AdditionalParams"},
}

_COMPONENTS: dict[str, Any] = {
    "Part": {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": ["text", "image"]},
            "text": {"type": "string"},
            "image": {
                "type": "object",
                "properties": {
                    "data": {"type": "string"},
                    "media_type": {"type": "string"},
                    "url": {"type": "string"},
                },
            },
        },
    },
    "ToolCall": {
        "type": "object",
        "required": ["function"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string", "enum": ["function"]},
            "function": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "arguments": {"type": "string"}},
            },
        },
    },
    "Message": {
        "type": "object",
        "required": ["role", "content"],
        "properties": {
            "role": {"type": "string", "enum": sorted(validation.ROLES)},
            "content": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"$ref": _REF + "Part"}},
                ]
            },
            "tool_calls": {"type": "array", "items": {"$ref": _REF + "ToolCall"}},
            "tool_call_id": {"type": "string"},
            "name": {"type": "string"},
        },
    },
    "Tool": {
        "type": "object",
        "required": ["type", "function"],
        "properties": {
            "type": {"type": "string", "enum": ["function"]},
            "function": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "parameters": {"type": "object"},
                },
            },
        },
    },
    "AdditionalParams": {
        "type": "object",
        "properties": {
            "tools": {"type": "array", "items": {"$ref": _REF + "Tool"}},
            "tool_choice": {
                "oneOf": [
                    {"type": "string", "enum": ["auto", "none", "required"]},
                    {"type": "object"},
                ]
            },
            "stop": _KINDS["text"],
            "response_format": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "enum": ["text", "json_object", "json_schema"]}
                },
            },
            "reasoning_effort": {"type": "string"},
            "dimensions": {"type": "integer", "minimum": 1, "maximum": 4096},
        },
    },
    "Error": {
        "type": "object",
        "description": "{'detail': text}, FastAPI's {'detail': [{'loc', 'msg', 'type'}]} or "
        "the envelope {'success': false, 'error', 'message', 'status_code', 'request_id', "
        "'details'}.",
    },
}


def _field(name: str, kind: str) -> dict[str, Any]:
    if name in _FIELD_REFS:
        return dict(_FIELD_REFS[name])
    schema = dict(_KINDS[kind])
    if name in validation._RANGES:
        low, high = validation._RANGES[name]
        schema.update(minimum=low, maximum=high)
    return schema


def body_schema(spec: Spec) -> dict[str, Any]:
    """The JSON schema of a request body described by a validation spec."""
    return {
        "type": "object",
        "required": [name for name, (_, required) in spec.items() if required],
        "properties": {name: _field(name, kind) for name, (kind, _) in spec.items()},
    }


def _responses(*success: str) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": _REF + "Error"}}}}
    content: dict[str, Any] = {kind: {"schema": {}} for kind in success}
    responses: dict[str, Any] = {"200": {"description": "The answer", "content": content}}
    for status, text in (
        ("400", "Invalid parameters"),
        ("401", "Authentication failed"),
        ("402", "Insufficient credits"),
        ("404", "Provider, model or stream not found"),
        ("422", "Request validation failed"),
        ("429", "Rate limited"),
    ):
        responses[status] = {"description": text, **error}
    return responses


def _json_post(spec: Spec, summary: str, stream: bool = False) -> dict[str, Any]:
    kinds = ("application/json", "text/event-stream") if stream else ("application/json",)
    return {
        "post": {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": body_schema(spec)}},
            },
            "responses": _responses(*kinds),
        }
    }


def _form_post(summary: str, translate: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "file": {"type": "string", "format": "binary"},
        "model": {"type": "string"},
        "provider": {"type": "string"},
        "prompt": {"type": "string"},
        "response_format": {"type": "string"},
        "temperature": {"type": "number"},
        "timestamp_granularities": {"type": "string"},
        "byok_api_key": {"type": "string"},
    }
    if not translate:
        fields["language"] = {"type": "string"}
    schema = {"type": "object", "required": ["file", "model"], "properties": fields}
    return {
        "post": {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": schema}},
            },
            "responses": _responses("application/json"),
        }
    }


def _get(summary: str, *params: str) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": _responses("application/json")}
    if params:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in params
        ]
    return {"get": operation}


def _stop(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [
                {"name": "stream_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": _responses("application/json"),
        }
    }


def _exchange(summary: str) -> dict[str, Any]:
    header = {"name": "X-API-Key", "in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "post": {
            "summary": summary,
            "security": [],
            "parameters": [header],
            "responses": _responses("application/json"),
        }
    }


def _operation(route: ApiRoute) -> tuple[str, dict[str, Any]]:
    """The OpenAPI path and path item of one route of the app's table."""
    names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
    path = re.sub(r"{(\w+):\w+}", r"{\1}", route.path)
    if not route.auth:
        return path, _exchange(route.summary)
    if "GET" in route.methods:
        return path, _get(route.summary, *names)
    if route.body == "form":
        return path, _form_post(route.summary, translate=route.endpoint == "translation")
    if route.spec is not None:
        return path, _json_post(route.spec, route.summary, stream=route.stream)
    return path, _stop(route.summary)


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    from .app import API_ROUTES  # the app's own route table

    paths = dict(_operation(route) for route in API_ROUTES if route.documented)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "indoxhub emulator",
            "version": "0.2.0",
            "description": "A local indoxhub-compatible API (see indoxhub-api.md).",
        },
        "paths": paths,
        "components": {
            "schemas": _COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy the caller may change)."""
    import copy

    return copy.deepcopy(_document())

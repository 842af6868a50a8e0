"""Chat and text completions: the deterministic model and every response style."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator

CHAT = "/api/v1/chat/completions"
TOKEN = re.compile(r"\w+|[^\w\s]")
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather forecast for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer", "minimum": 1},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "detailed": {"type": "boolean"},
                "note": {"type": "string"},
            },
            "required": ["city", "days", "unit", "detailed"],
        },
    },
}
MULTIPLY = {
    "type": "function",
    "function": {
        "name": "multiply",
        "description": "Multiply two numbers",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
}

Body = Callable[..., dict[str, Any]]


def _tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def test_responses_style(client: httpx.Client, chat_body: Body) -> None:
    response = client.post(CHAT, json=chat_body("What is the capital of France?"))
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "response"
    assert body["id"] == response.headers["x-request-id"]
    assert body["status"] == "completed"
    assert (body["model"], body["provider"]) == ("gpt-4o-mini", "openai")
    [item] = body["output"]
    text = item["content"][0]["text"]
    assert item["type"] == "message" and item["role"] == "assistant"
    assert text == 'Echo from openai/gpt-4o-mini: you said "What is the capital of France?".'
    usage = body["usage"]
    assert usage["input_tokens"] == 4 + _tokens("What is the capital of France?")
    assert usage["output_tokens"] == _tokens(text)
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert "cost" not in usage
    assert "byok_api_key" not in body


def test_legacy_style(emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body) -> None:
    emulator.set_response_style("legacy")
    response = client.post(CHAT, json=chat_body("Hello"))
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["success"] is True
    assert body["data"] == 'Echo from openai/gpt-4o-mini: you said "Hello".'
    assert body["finish_reason"] == "stop"
    assert body["images"] is None
    usage = body["usage"]
    assert usage["tokens_total"] == usage["tokens_prompt"] + usage["tokens_completion"]
    breakdown = usage["cost_breakdown"]
    assert usage["cost"] == pytest.approx(breakdown["input_tokens"] + breakdown["output_tokens"])
    assert usage["cost"] == usage["tokens_prompt"] / 1000 * 0.00015 + (
        usage["tokens_completion"] / 1000 * 0.0006
    )


def test_openai_style(emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body) -> None:
    emulator.set_response_style("openai")
    response = client.post(CHAT, json=chat_body("Hello"))
    body = response.json()
    assert body["id"] == response.headers["x-request-id"]
    assert body["object"] == "chat.completion"
    assert body["model"] == "openai/gpt-4o-mini"
    choice = body["choices"][0]
    assert choice["message"]["content"].startswith("Echo from openai/gpt-4o-mini")
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["cost_breakdown"]["total_cost"] == emulator.requests[-1].cost > 0


def test_replies_are_deterministic(client: httpx.Client, chat_body: Body) -> None:
    first = client.post(CHAT, json=chat_body("Same question")).json()
    second = client.post(CHAT, json=chat_body("Same question")).json()
    assert first["id"] != second["id"]
    assert first["output"][0]["content"] == second["output"][0]["content"]
    assert first["usage"] == second["usage"]
    other = client.post(CHAT, json=chat_body("Another question")).json()
    assert other["output"][0]["content"] != first["output"][0]["content"]


def test_system_and_history_use_the_last_user_message(
    client: httpx.Client,
) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "second"},
                {"type": "image", "image": {"url": "https://x/y.png"}},
            ],
        },
    ]
    body = client.post(
        CHAT, json={"model": "anthropic/claude-3-haiku-20240307", "messages": messages}
    ).json()
    text = body["output"][0]["content"][0]["text"]
    assert text == (
        'Echo from anthropic/claude-3-haiku-20240307: I see 1 image. You said "second".'
    )
    assert body["usage"]["input_tokens"] == 4 * 4 + 3 + 1 + 1 + 1 + 85


def test_stop_and_max_tokens(client: httpx.Client, chat_body: Body) -> None:
    stopped = client.post(CHAT, json=chat_body("Hello", additional_params={"stop": [":"]})).json()
    assert stopped["output"][0]["content"][0]["text"] == "Echo from openai/gpt-4o-mini"
    capped = client.post(CHAT, json=chat_body("Hello", max_tokens=3)).json()
    assert capped["output"][0]["content"][0]["text"] == "Echo from openai"
    assert capped["usage"]["output_tokens"] == 3
    assert capped["status"] == "incomplete"
    assert capped["incomplete_details"] == {"reason": "max_output_tokens"}


def test_max_tokens_finish_reason_length_in_other_styles(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    emulator.set_response_style("legacy")
    assert client.post(CHAT, json=chat_body(max_tokens=2)).json()["finish_reason"] == "length"
    emulator.set_response_style("openai")
    body = client.post(CHAT, json=chat_body(max_tokens=2)).json()
    assert body["choices"][0]["finish_reason"] == "length"


def test_tool_call_from_schema(client: httpx.Client, chat_body: Body) -> None:
    body = client.post(
        CHAT,
        json=chat_body(
            'What is the weather in "Paris" for the next 3 days?',
            additional_params={"tools": [MULTIPLY, WEATHER]},
        ),
    ).json()
    [call] = body["output"]
    assert call["type"] == "function_call"
    assert call["name"] == "get_weather"
    assert call["call_id"].startswith("call_")
    assert json.loads(call["arguments"]) == {
        "city": "Paris",
        "days": 3,
        "unit": "celsius",
        "detailed": True,
    }


def test_tool_numbers_nested_and_forced_choice(client: httpx.Client, chat_body: Body) -> None:
    body = client.post(
        CHAT, json=chat_body("multiply 6 by 7", additional_params={"tools": [WEATHER, MULTIPLY]})
    ).json()
    assert json.loads(body["output"][0]["arguments"]) == {"a": 6, "b": 7}
    nested = {
        "type": "function",
        "function": {
            "name": "book",
            "parameters": {
                "type": "object",
                "properties": {
                    "guests": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string"}},
                            "required": ["name"],
                        },
                        "minItems": 2,
                    },
                    "when": {"$ref": "#/$defs/When"},
                },
                "required": ["guests", "when"],
                "$defs": {
                    "When": {
                        "type": "object",
                        "properties": {"date": {"type": "string", "format": "date"}},
                        "required": ["date"],
                    }
                },
            },
        },
    }
    params = {
        "tools": [WEATHER, nested],
        "tool_choice": {"type": "function", "function": {"name": "book"}},
    }
    forced = client.post(CHAT, json=chat_body("weather for name: Ada", additional_params=params))
    arguments = json.loads(forced.json()["output"][0]["arguments"])
    assert arguments == {
        "guests": [{"name": "Ada"}, {"name": "Ada"}],
        "when": {"date": "2024-01-01"},
    }


def test_tool_choice_none_and_tool_results(client: httpx.Client, chat_body: Body) -> None:
    none = client.post(
        CHAT,
        json=chat_body("weather?", additional_params={"tools": [WEATHER], "tool_choice": "none"}),
    ).json()
    assert none["output"][0]["type"] == "message"
    messages = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
    ]
    answer = client.post(
        CHAT,
        json={
            "model": "openai/gpt-4o-mini",
            "messages": messages,
            "additional_params": {"tools": [WEATHER]},
        },
    ).json()
    [item] = answer["output"]
    assert item["type"] == "message"
    assert "Sunny, 21 C" in item["content"][0]["text"]


def test_tool_calls_in_legacy_and_openai_styles(
    emulator: IndoxHubEmulator, client: httpx.Client, chat_body: Body
) -> None:
    request = chat_body(
        "multiply 2 and 5", additional_params={"tools": [MULTIPLY], "tool_choice": "required"}
    )
    emulator.set_response_style("legacy")
    legacy = client.post(CHAT, json=request).json()
    assert legacy["finish_reason"] == "tool_calls"
    assert legacy["tool_calls"][0]["function"]["name"] == "multiply"
    assert json.loads(legacy["tool_calls"][0]["function"]["arguments"]) == {"a": 2, "b": 5}
    emulator.set_response_style("openai")
    openai = client.post(CHAT, json=request).json()
    message = openai["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"][0]["type"] == "function"
    assert openai["choices"][0]["finish_reason"] == "tool_calls"


def test_json_object_and_json_schema(
    client: httpx.Client, chat_body: Body, schema_errors: Callable[[Any, Any], list[str]]
) -> None:
    fmt = {"type": "json_object"}
    answer = client.post(CHAT, json=chat_body("hi", additional_params={"response_format": fmt}))
    assert "answer" in json.loads(answer.json()["output"][0]["content"][0]["text"])
    asks = "Return a JSON object with 'setup' and \"punchline\" keys."
    keyed = client.post(CHAT, json=chat_body(asks, additional_params={"response_format": fmt}))
    parsed = json.loads(keyed.json()["output"][0]["content"][0]["text"])
    assert list(parsed) == ["setup", "punchline"]
    assert all(isinstance(value, str) for value in parsed.values())
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 3},
            "age": {"type": "integer", "minimum": 18},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "role": {"enum": ["admin", "user"]},
            "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "address": {"$ref": "#/$defs/Address"},
            "score": {"type": "number", "maximum": 1},
        },
        "required": ["name", "age", "tags", "role", "address"],
        "additionalProperties": False,
        "$defs": {
            "Address": {
                "type": "object",
                "properties": {
                    "street": {"type": "string"},
                    "zip": {"type": "string", "maxLength": 5},
                },
                "required": ["street", "zip"],
                "additionalProperties": False,
            }
        },
    }
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "person", "schema": schema, "strict": True},
    }
    response = client.post(
        CHAT,
        json=chat_body("Extract: name: Bob, 42 years", additional_params={"response_format": fmt}),
    )
    value = json.loads(response.json()["output"][0]["content"][0]["text"])
    assert schema_errors(value, schema) == []
    assert value["name"] == "Bob"
    assert value["age"] == 42


def test_reasoning_models_and_reasoning_effort(client: httpx.Client, chat_body: Body) -> None:
    body = client.post(CHAT, json=chat_body("Think", model="deepseek/deepseek-reasoner")).json()
    item = body["output"][0]
    assert item["reasoning"].startswith("The user asked")
    details = body["usage"]["output_tokens_details"]
    assert details["reasoning_tokens"] == _tokens(item["reasoning"]) > 0
    effort = client.post(CHAT, json=chat_body(additional_params={"reasoning_effort": "low"}))
    assert "reasoning" in effort.json()["output"][0]
    plain = client.post(CHAT, json=chat_body())
    assert "reasoning" not in plain.json()["output"][0]


def test_text_completions_in_each_style(emulator: IndoxHubEmulator, client: httpx.Client) -> None:
    request = {"model": "mistral/mistral-large-latest", "prompt": "Once upon a time"}
    responses = client.post("/api/v1/completions", json=request).json()
    text = 'Echo from mistral/mistral-large-latest: you said "Once upon a time".'
    assert responses["output"][0]["content"][0]["text"] == text
    emulator.set_response_style("legacy")
    assert client.post("/api/v1/completions", json=request).json()["data"] == text
    emulator.set_response_style("openai")
    openai = client.post("/api/v1/completions", json=request).json()
    assert openai["object"] == "text_completion"
    assert openai["choices"][0]["text"] == text


def test_chat_with_image_output(client: httpx.Client, chat_body: Body) -> None:
    body = client.post(
        CHAT,
        json=chat_body(
            "draw a cat",
            model="google/gemini-2.0-flash",
            additional_params={"modalities": ["text", "image"]},
        ),
    )
    image = body.json()["output"][-1]
    assert image["type"] == "image_generation_call"
    assert client.get(image["url"]).content.startswith(b"\x89PNG")


def test_model_errors(client: httpx.Client, chat_body: Body) -> None:
    unknown = client.post(CHAT, json=chat_body(model="openai/gpt-9"))
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Model 'openai/gpt-9' not found for provider 'openai'"
    assert "openai/gpt-4o-mini" in unknown.json()["details"]["available_models"]
    assert unknown.json()["request_id"] == unknown.headers["x-request-id"]
    no_provider = client.post(CHAT, json=chat_body(model="gpt-4o-mini"))
    assert no_provider.status_code == 404
    assert "provider/model" in no_provider.json()["detail"]
    split = client.post(CHAT, json={**chat_body(model="gpt-4o-mini"), "provider": "openai"})
    assert split.status_code == 200
    wrong_kind = client.post(CHAT, json=chat_body(model="openai/dall-e-3"))
    assert wrong_kind.status_code == 400


def test_validation_errors_have_fastapi_form(client: httpx.Client) -> None:
    cases: list[tuple[Any, list[Any]]] = [
        ({"model": "openai/gpt-4o-mini"}, ["body", "messages"]),
        ({"model": "openai/gpt-4o-mini", "messages": []}, ["body", "messages"]),
        (
            {"model": "openai/gpt-4o-mini", "messages": [{"content": "x"}]},
            ["body", "messages", 0, "role"],
        ),
        ({"model": 5, "messages": [{"role": "user", "content": "x"}]}, ["body", "model"]),
        (
            {
                "model": "openai/gpt-4o-mini",
                "messages": [{"role": "user", "content": "x"}],
                "max_tokens": "ten",
            },
            ["body", "max_tokens"],
        ),
        (
            {
                "model": "openai/gpt-4o-mini",
                "messages": [{"role": "user", "content": "x"}],
                "additional_params": {"tools": "nope"},
            },
            ["body", "additional_params", "tools"],
        ),
    ]
    for body, loc in cases:
        response = client.post(CHAT, json=body)
        assert response.status_code == 422, body
        [problem] = response.json()["detail"]
        assert problem["loc"] == loc
        assert problem["msg"] and problem["type"]
    for raw in (b"", b"{not json", b"[1, 2]", b"null"):
        response = client.post(CHAT, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][0] == "body"


def test_unknown_route_is_json_404(client: httpx.Client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}

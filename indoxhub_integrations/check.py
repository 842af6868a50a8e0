"""``python -m indoxhub_integrations check``: what the real service answers, shape by shape.

A few cheap live requests (a short chat, a short stream, the catalog, the account, a tool
turn, and a BYOK chat when a BYOK key is set) whose answers are classified: response shapes,
cost fields, BYOK markers, the auth form and how a tool turn is handled, each beside what the
emulator does by default, so that anyone can see at once where the emulator differs. It asks
before sending anything and shows the expected cost; without a key it says what it would
check and exits 0. The classifiers are pure functions (tested against the emulator).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx

from .core.config import API_KEY_ENV_VARS, BASE_URL_ENV_VAR, BYOK_KEY_ENV_VAR, DEFAULT_BASE_URL

MODEL = "openai/gpt-4o-mini"
EXPECTED_COST = 0.001
"""An upper bound, in USD, of what the platform requests of a check cost (a few tiny chats)."""

CHECKS = (
    ("auth", "whether the key works as a bearer token or needs the token exchange, and "
             "whether the exchange answers with the token in the body or only as a cookie"),
    ("chat shape", "which chat answer shape comes back (Responses style, legacy data, OpenAI)"),
    ("chat cost", "which cost field a chat answer carries (usage.cost, cost_breakdown, none)"),
    ("stream", "the stream's event types, response_id on events, and whether usage arrives"),
    ("catalog", "the model catalog's form (published, stored, other) and its price keys"),
    ("account", "the /user/usage shape (total_tokens as an object) and /user/me app_credit"),
    ("tool turn", "whether a conversation with tool_calls/tool_call_id is accepted as sent"),
    ("byok", "the BYOK markers (body flag, X-RateLimit-Bypass header, cost 0), with a BYOK key"),
)  # fmt: skip

EMULATOR_DEFAULTS = {
    "auth": "bearer key accepted; exchange returns the token in the body and as a cookie",
    "chat shape": "responses",
    "chat cost": "none (Responses style carries no cost)",
    "stream": "responses events with response_id, usage in response.done",
    "catalog": "published",
    "account": "total_tokens object; app_credit present",
    "tool turn": "accepted (rejected with IndoxHubEmulator(strict_schema=True))",
    "byok": "body flag, header and cost 0",
}
"""What the emulator answers by default, for each check."""


# ---------------------------------------------------------------------- pure classifiers


def chat_shape(body: Any) -> str:
    """``responses``, ``legacy``, ``openai`` or ``unknown`` for a chat answer body."""
    if not isinstance(body, Mapping):
        return "unknown"
    if body.get("object") == "response" or isinstance(body.get("output"), list):
        return "responses"
    if isinstance(body.get("choices"), list):
        return "openai"
    if "data" in body and (body["data"] is None or isinstance(body["data"], str)):
        return "legacy"
    return "unknown"


def cost_fields(body: Any) -> str:
    """Which cost fields a body's ``usage`` carries (comma separated), or ``none``."""
    usage = body.get("usage") if isinstance(body, Mapping) else None
    if not isinstance(usage, Mapping):
        return "none (no usage)"
    found = ["usage.cost"] if "cost" in usage else []
    breakdown = usage.get("cost_breakdown")
    if isinstance(breakdown, Mapping):
        found.append(
            "cost_breakdown.total_cost" if "total_cost" in breakdown else "cost_breakdown parts"
        )
    return ", ".join(found) or "none"


def catalog_form(body: Any) -> str:
    """``published``, ``stored``, ``prompt/completion`` or ``other`` for a catalog body."""
    providers = body.get("providers", body.get("data", body)) if isinstance(body, Mapping) else body
    models: list[Any] = []
    for item in providers if isinstance(providers, list) else []:
        if isinstance(item, Mapping):
            models += item.get("models", [item]) if isinstance(item.get("models"), list) else [item]
    sample = next((m for m in models if isinstance(m, Mapping)), None)
    if sample is None:
        return "other"
    pricing = sample.get("pricing")
    if isinstance(pricing, Mapping) and {"input", "output"} <= set(pricing):
        return "published"
    if isinstance(pricing, Mapping) and {"prompt", "completion"} <= set(pricing):
        return "prompt/completion"
    if "inputPricePer1KTokens" in sample:
        return "stored"
    return "other"


def stream_summary(events: Iterable[Mapping[str, Any]]) -> str:
    """The event types of a stream, whether they carry ``response_id``, and where usage was."""
    events = list(events)
    kinds = sorted({str(e.get("type") or ("choices" in e and "choices") or "data") for e in events})
    with_id = all("response_id" in e for e in events[1:]) if len(events) > 1 else False
    usage = any(
        isinstance(e.get("usage"), Mapping)
        or isinstance((e.get("response") or {}).get("usage"), Mapping)
        for e in events
    )
    return f"types {kinds}; response_id on events: {with_id}; usage: {usage}"


def byok_markers(body: Any, headers: Mapping[str, str]) -> str:
    """The BYOK markers an answer carries."""
    found = []
    if isinstance(body, Mapping) and body.get("byok_api_key") is True:
        found.append("body flag")
    bypass = {k.lower(): v for k, v in headers.items()}.get("x-ratelimit-bypass")
    if bypass:
        found.append(f"header {bypass!r}")
    usage = body.get("usage") if isinstance(body, Mapping) else None
    if isinstance(usage, Mapping) and usage.get("cost") == 0:
        found.append("cost 0")
    return ", ".join(found) or "no marker"


# ---------------------------------------------------------------------- live requests


def _sse(lines: Iterable[str]) -> list[dict[str, Any]]:
    events = []
    for line in lines:
        if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
            try:
                events.append(json.loads(line[5:]))
            except ValueError:
                events.append({"type": "unparseable"})
    return events


def run_checks(http: httpx.Client, api_key: str, byok_key: str | None) -> dict[str, str]:
    """Send the check's requests and classify the answers (``http`` has the base URL set)."""
    found: dict[str, str] = {}
    bearer = {"Authorization": f"Bearer {api_key}"}
    me = http.get("/api/v1/user/me", headers=bearer)
    exchange = http.post("/api/v1/auth/api-key", headers={"X-API-Key": api_key})
    token_in = "body" if "access_token" in _json(exchange) else (
        "cookie only" if "access_token" in exchange.cookies else "missing"
    )  # fmt: skip
    found["auth"] = (
        f"bearer key: {me.status_code}; exchange: {exchange.status_code}, token in {token_in}"
    )
    if me.status_code == 401 and token_in != "missing":
        token = _json(exchange).get("access_token") or exchange.cookies.get("access_token")
        bearer = {"Authorization": f"Bearer {token}"}
        me = http.get("/api/v1/user/me", headers=bearer)
    ask = {"model": MODEL, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 5}
    chat = http.post("/api/v1/chat/completions", headers=bearer, json=ask)
    found["chat shape"] = f"{chat.status_code}: {chat_shape(_json(chat))}"
    found["chat cost"] = cost_fields(_json(chat))
    with http.stream(
        "POST", "/api/v1/chat/completions", headers=bearer, json={**ask, "stream": True}
    ) as stream:
        found["stream"] = stream_summary(_sse(stream.iter_lines()))
    found["catalog"] = catalog_form(_json(http.get("/api/v1/models/", headers=bearer)))
    usage = _json(http.get("/api/v1/user/usage", headers=bearer))
    found["account"] = (
        f"total_tokens {type(usage.get('total_tokens')).__name__}; "
        f"app_credit {'present' if 'app_credit' in _json(me) else 'absent'}"
    )
    found["tool turn"] = _tool_turn(http, bearer)
    if byok_key:
        byok = http.post(
            "/api/v1/chat/completions", headers=bearer, json={**ask, "byok_api_key": byok_key}
        )
        found["byok"] = f"{byok.status_code}: {byok_markers(_json(byok), byok.headers)}"
    else:
        found["byok"] = "skipped (no INDOXHUB_BYOK_API_KEY)"
    return found


def _tool_turn(http: httpx.Client, bearer: Mapping[str, str]) -> str:
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_time", "arguments": "{}"}}  # fmt: skip
    tool = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    body = {
        "model": MODEL,
        "max_tokens": 5,
        "messages": [
            {"role": "user", "content": "What time is it?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "12:00"},
        ],
        "additional_params": {"tools": [tool]},
    }
    answer = http.post("/api/v1/chat/completions", headers=bearer, json=body)
    if answer.status_code == 200:
        return "accepted as sent (native tool history works)"
    detail = str(_json(answer).get("detail") or _json(answer).get("message") or "")[:160]
    return f"rejected {answer.status_code}: {detail} (use tool_history='text')"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"_list": body}


# ---------------------------------------------------------------------- command line


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    ask: Callable[[str], str] = input,
    out: Callable[[str], None] = print,
) -> int:
    """Run the check; returns the exit status (0 also when there is nothing to check)."""
    parser = argparse.ArgumentParser(
        prog="python -m indoxhub_integrations check",
        description="Compare what the real indoxhub service answers with the emulator.",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask before sending")
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    key = next((env[name] for name in API_KEY_ENV_VARS if env.get(name)), None)
    base_url = env.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
    if not key:
        out("No INDOXHUB_API_KEY set: nothing was sent. With a key, this check would look at:")
        for name, what in CHECKS:
            out(f"  - {name}: {what}")
        out("Set INDOXHUB_API_KEY (and optionally INDOXHUB_BYOK_API_KEY) and run it again.")
        return 0
    out(f"This sends about 7 small requests to {base_url} with model {MODEL}.")
    out(f"Expected cost: under ${EXPECTED_COST:.3f} in platform credits (BYOK chat: 0).")
    if not args.yes and ask("Proceed? [y/N] ").strip().lower() not in ("y", "yes"):
        out("Nothing sent.")
        return 0
    with httpx.Client(base_url=base_url, timeout=60.0) as http:
        found = run_checks(http, key, env.get(BYOK_KEY_ENV_VAR) or None)
    out(f"{'check':<11} {'the service answered':<60} emulator default")
    for name, _ in CHECKS:
        out(f"{name:<11} {found.get(name, '-'):<60} {EMULATOR_DEFAULTS[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

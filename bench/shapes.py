"""Precomputed request and response bodies shared by the bench server and the raw contenders.

indoxhub answers are the legacy shape with ``usage.cost`` (so no client ever needs the model
catalog) and Responses-style SSE streams; OpenAI answers are ``chat.completion`` objects,
``chat.completion.chunk`` streams and ``embedding`` lists. Each indoxhub body is padded to the
byte length of its OpenAI twin (an ``obfuscation`` field, as OpenAI's own streams carry), so
every contender reads the same number of bytes and the server does the same work for all.
"""

from __future__ import annotations

import json
from typing import Any

MODEL = "openai/gpt-4o-mini"
"""The indoxhub model name (``provider/model``)."""
OPENAI_MODEL = "gpt-4o-mini"
"""The same model as the OpenAI-compatible routes name it."""
EMBED_MODEL = "openai/text-embedding-3-small"
OPENAI_EMBED_MODEL = "text-embedding-3-small"
EMBED_DIM = 64
"""Floats per vector. Small enough that 50,000 texts fit the time budget; every contender
decodes the same floats, so the ratios do not depend on it."""
EMBED_BATCH = 100
"""Texts per embedding request, for every contender."""
EMBED_CONCURRENCY = 4
"""Requests in flight at once on every async embedding path."""
STREAM_VARIANTS = {"c": (20, 0), "n200": (200, 0), "n2000": (2000, 0),
                   "big1": (1024, 1024), "big10": (10240, 1024)}  # fmt: skip
"""Server variant -> (chunks, characters per chunk; 0 for one short token per chunk)."""

ANSWER = ("The quick brown fox jumps over the lazy dog. " * 20).strip()
"""The invoke answer (~900 characters, about 200 tokens)."""
PROMPT = "Write two sentences about foxes."
MESSAGES = [{"role": "user", "content": PROMPT}]
STREAM_TOKENS = ("The ", "quick ", "brown ", "fox ", "jumps ", "over ", "the ", "lazy ", "dog. ")

USAGE_LEGACY = {
    "tokens_prompt": 14,
    "tokens_completion": 200,
    "tokens_total": 214,
    "cost": 0.000123,
    "latency": 0.42,
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "reasoning_tokens": 0,
}
USAGE_OPENAI = {"prompt_tokens": 14, "completion_tokens": 200, "total_tokens": 214}


def dumps(obj: Any) -> bytes:
    """Compact JSON, as a server writes it."""
    return json.dumps(obj, separators=(",", ":")).encode()


def pad_to(obj: dict[str, Any], size: int) -> bytes:
    """``obj`` as JSON grown to ``size`` bytes with an ``obfuscation`` string (when shorter)."""
    body = dumps(obj)
    if len(body) >= size:
        return body
    filler = size - len(body) - len(b',"obfuscation":""')
    return dumps({**obj, "obfuscation": "x" * max(filler, 0)})


def equalize(a: dict[str, Any], b: dict[str, Any]) -> tuple[bytes, bytes]:
    """Both objects as JSON of the same length (the shorter padded)."""
    size = max(len(dumps(a)), len(dumps(b)))
    return pad_to(a, size), pad_to(b, size)


# --------------------------------------------------------------------------- request bodies


def indoxhub_chat_request(stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": MESSAGES, "model": MODEL}
    if stream:
        body["stream"] = True
    return body


def indoxhub_completion_request() -> dict[str, Any]:
    return {"prompt": PROMPT, "model": MODEL}


def openai_chat_request(stream: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"messages": MESSAGES, "model": OPENAI_MODEL}
    if stream:
        body["stream"] = True
    return body


def embed_texts(count: int) -> list[str]:
    """``count`` short, distinct texts."""
    return [f"document number {i} is about foxes and dogs" for i in range(count)]


# --------------------------------------------------------------------------- answers


def chat_answers() -> tuple[bytes, bytes]:
    """(indoxhub legacy chat answer with cost, OpenAI ``chat.completion``), equal length."""
    legacy = {
        "request_id": "req_bench_0001",
        "created_at": "2025-01-01T00:00:00Z",
        "duration_ms": 420.0,
        "provider": "openai",
        "model": "gpt-4o-mini",
        "success": True,
        "message": "",
        "data": ANSWER,
        "finish_reason": "stop",
        "images": None,
        "raw_response": None,
        "usage": USAGE_LEGACY,
    }
    openai = {
        "id": "chatcmpl-bench0001",
        "object": "chat.completion",
        "created": 1735689600,
        "model": OPENAI_MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE_OPENAI,
    }
    return equalize(legacy, openai)


def _responses_delta(seq: int, delta: str) -> dict[str, Any]:
    return {
        "type": "response.content_part.delta",
        "item_id": "msg_bench_0001",
        "output_index": 0,
        "content_index": 0,
        "sequence_number": seq,
        "delta": delta,
    }


def _openai_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench0001",
        "object": "chat.completion.chunk",
        "created": 1735689600,
        "model": OPENAI_MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def stream_deltas(chunks: int, delta_size: int = 0) -> list[str]:
    """The text pieces of a stream: ``chunks`` tokens, or pieces of ``delta_size`` chars."""
    if delta_size:
        piece = ("fox " * (delta_size // 4 + 1))[:delta_size]
        return [piece] * chunks
    return [STREAM_TOKENS[i % len(STREAM_TOKENS)] for i in range(chunks)]


def answer_bytes(variant: str) -> int:
    """The length of the streamed answer of a server variant."""
    return len("".join(stream_deltas(*STREAM_VARIANTS[variant])))


def stream_events(chunks: int, delta_size: int = 0) -> tuple[list[bytes], list[bytes]]:
    """(indoxhub Responses-style SSE events, OpenAI chunk SSE events), each ``data: ...``.

    The text deltas are the same in both and each indoxhub delta event has the byte length of
    its OpenAI twin. The indoxhub stream ends with ``response.done`` carrying usage with cost;
    the OpenAI stream with a usage chunk; both with ``data: [DONE]``.
    """
    deltas = stream_deltas(chunks, delta_size)
    indox: list[dict[str, Any] | bytes] = []
    openai: list[dict[str, Any] | bytes] = []
    created = {"type": "response.created", "sequence_number": 0,
               "response": {"id": "resp_bench_0001", "object": "response",
                            "status": "in_progress", "model": "gpt-4o-mini",
                            "provider": "openai"}}  # fmt: skip
    item = {"id": "msg_bench_0001", "type": "message", "role": "assistant", "status": "in_progress",
            "content": []}  # fmt: skip
    indox += [
        created,
        {"type": "response.output_item.added", "output_index": 0, "sequence_number": 1,
         "item": item},
        {"type": "response.content_part.added", "item_id": "msg_bench_0001", "output_index": 0,
         "content_index": 0, "sequence_number": 2, "part": {"type": "output_text", "text": ""}},
    ]  # fmt: skip
    openai.append(_openai_chunk({"role": "assistant", "content": ""}))
    for seq, delta in enumerate(deltas, start=3):
        a, b = equalize(_responses_delta(seq, delta), _openai_chunk({"content": delta}))
        indox.append(a)
        openai.append(b)
    usage = {"input_tokens": 14, "output_tokens": chunks, "total_tokens": 14 + chunks,
             "cost": 0.000123}  # fmt: skip
    indox += [
        {"type": "response.output_item.done", "output_index": 0,
         "sequence_number": chunks + 3,
         "item": {**item, "status": "completed", "content": []}},
        {"type": "response.done", "sequence_number": chunks + 4,
         "response": {"id": "resp_bench_0001", "object": "response", "status": "completed",
                      "model": "gpt-4o-mini", "provider": "openai", "usage": usage}},
    ]  # fmt: skip
    openai.append(_openai_chunk({}, "stop"))
    openai.append(
        {
            "id": "chatcmpl-bench0001",
            "object": "chat.completion.chunk",
            "created": 1735689600,
            "model": OPENAI_MODEL,
            "choices": [],
            "usage": {
                "prompt_tokens": 14,
                "completion_tokens": chunks,
                "total_tokens": 14 + chunks,
            },
        }
    )

    def sse(events: list[dict[str, Any] | bytes]) -> list[bytes]:
        out = [b"data: " + (e if isinstance(e, bytes) else dumps(e)) + b"\n\n" for e in events]
        return [*out, b"data: [DONE]\n\n"]

    return sse(indox), sse(openai)


def embedding_answers(count: int) -> tuple[bytes, bytes]:
    """(indoxhub embedding answer with cost, OpenAI ``list`` of embeddings), equal length.

    Both carry ``data`` as ``{"embedding": [...], "index": i}`` items (a documented indoxhub
    shape), so the vectors are the same bytes.
    """
    items = [
        {
            "object": "embedding",
            "index": i,
            "embedding": [
                round(((i * 31 + j * 17) % 1000) / 1000.0 - 0.5, 6) for j in range(EMBED_DIM)
            ],
        }
        for i in range(count)
    ]
    tokens = 9 * count
    indox = {
        "request_id": "req_bench_emb",
        "created_at": "2025-01-01T00:00:00Z",
        "duration_ms": 12.0,
        "provider": "openai",
        "model": "text-embedding-3-small",
        "success": True,
        "message": "",
        "data": items,
        "dimensions": EMBED_DIM,
        "usage": {"tokens_prompt": tokens, "tokens_completion": 0, "tokens_total": tokens,
                  "cost": tokens * 2e-8},
    }  # fmt: skip
    openai = {
        "object": "list",
        "data": items,
        "model": OPENAI_EMBED_MODEL,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return equalize(indox, openai)

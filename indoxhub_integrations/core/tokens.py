"""Offline token counts: a documented approximation, the same rule the emulator bills by.

No tokenizer ships with the package and none is downloaded: a token is a run of word
characters or one punctuation character (``re.findall(r"\\w+|[^\\w\\s]", text)``). For English
prose this is within about 20% of OpenAI's tokenizers (it counts fewer tokens for long or rare
words and for non-Latin scripts). A chat prompt counts ``4`` per message, plus its text, ``85``
per image, and the names and arguments of its tool calls, plus ``json.dumps(tools)`` when tools
are offered. Against the emulator the counts are exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

TOKEN = re.compile(r"\w+|[^\w\s]")
"""One approximate token: a run of word characters, or one other non-space character."""
MESSAGE_TOKENS = 4
"""Tokens counted for each message's role and framing."""
IMAGE_TOKENS = 85
"""Tokens counted for each image part (OpenAI's low-detail image cost)."""


def count_tokens(text: str) -> int:
    """The approximate token count of ``text``."""
    return len(TOKEN.findall(text)) if text else 0


def content_text(content: Any) -> tuple[str, int]:
    """The text of a message's content (string or parts) and how many images it has."""
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        return "", 0
    texts: list[str] = []
    images = 0
    for part in content:
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text") and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind in ("image", "image_url", "input_image"):
            images += 1
    return " ".join(texts), images


def prompt_tokens(messages: Iterable[Mapping[str, Any]], tools: list[Any] | None = None) -> int:
    """The approximate input tokens of a chat request's wire ``messages`` (and ``tools``)."""
    total = 0
    for message in messages:
        text, images = content_text(message.get("content"))
        total += MESSAGE_TOKENS + count_tokens(text) + IMAGE_TOKENS * images
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                function = call.get("function") if isinstance(call, Mapping) else None
                if isinstance(function, Mapping):
                    total += count_tokens(str(function.get("name", "")))
                    total += count_tokens(str(function.get("arguments", "")))
    if tools:
        total += count_tokens(json.dumps(tools, default=str))
    return total

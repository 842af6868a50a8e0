"""Tool-call history as plain text, for a server that keeps only ``role`` and ``content``.

The API reference's ``ChatMessage`` schema declares only ``role`` and ``content``. A server
that drops the undeclared ``tool_calls`` (assistant turns) and ``tool_call_id`` (tool turns)
leaves the provider a tool turn without the call it answers, which providers reject with a
400. The client then retries once with the history folded into text (see :func:`fold`),
remembers that for the base URL, and says so once in a warning.

The folded format (documented in ``docs/fidelity.md``):

- an assistant turn that called tools keeps its text and adds one line per call::

      [tool call call_1] get_weather({"city": "Paris"})

- a tool turn (or an older ``function`` turn) becomes a user turn::

      [tool result call_1 get_weather]
      22 degrees and sunny

Pure functions, no I/O; the emulator reads the same format through :func:`is_folded_result`.
"""

from __future__ import annotations

import json
import re
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .errors import IndoxHubError, IndoxHubWarning, InvalidRequestError

ToolHistory = Literal["native", "text", "auto"]
"""``native``: send ``tool_calls``/``tool_call_id`` as they are; ``text``: always fold the
history into text; ``auto`` (default): native, folding once the server rejects it."""

CALL_PREFIX = "[tool call "
RESULT_PREFIX = "[tool result "

_REJECTION = re.compile(
    r"(role\s*'?\"?tool'?\"?.{0,80}(preced|follow|response to)|tool_call_id|tool_use_id|"
    r"tool[_ ]result.{0,60}(corresponding|preced|tool[_ ]use)|"
    r"function[_ ]response.{0,60}function[_ ]call)",
    re.IGNORECASE | re.DOTALL,
)

_folded_urls: set[str] = set()
_warned_urls: set[str] = set()
_lock = threading.Lock()


def has_tool_history(messages: Sequence[Any]) -> bool:
    """Whether a conversation carries tool calls or tool results in native form."""
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        if message.get("role") in ("tool", "function") or message.get("tool_calls"):
            return True
    return False


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, Mapping)]
        return "\n".join(t for t in texts if isinstance(t, str) and t)
    return "" if content is None else str(content)


def _call_line(call: Mapping[str, Any]) -> str:
    nested = call.get("function")
    function: Mapping[str, Any] = nested if isinstance(nested, Mapping) else call
    name = function.get("name") or "tool"
    arguments = function.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return f"{CALL_PREFIX}{call.get('id') or 'call'}] {name}({arguments})"


def fold(messages: Sequence[Any]) -> list[dict[str, Any]]:
    """The conversation with its tool history written as assistant and user text.

    Messages without tool history are returned unchanged (same content, same order); nothing
    a tool returned is dropped or shortened. Consecutive folded results stay separate turns.
    """
    names: dict[str, str] = {}
    folded: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, Mapping):
            folded.append(message)
            continue
        role = message.get("role")
        calls = message.get("tool_calls")
        if role == "assistant" and calls:
            lines = [_content_text(message.get("content"))] if message.get("content") else []
            for call in calls:
                if isinstance(call, Mapping):
                    function = call.get("function")
                    name = function.get("name") if isinstance(function, Mapping) else None
                    names[str(call.get("id"))] = str(name or call.get("name") or "tool")
                    lines.append(_call_line(call))
            folded.append({"role": "assistant", "content": "\n".join(lines)})
        elif role in ("tool", "function"):
            call_id = str(message.get("tool_call_id") or message.get("name") or "call")
            name = names.get(call_id) or str(message.get("name") or "tool")
            head = f"{RESULT_PREFIX}{call_id} {name}]"
            folded.append(
                {"role": "user", "content": f"{head}\n{_content_text(message.get('content'))}"}
            )
        else:
            folded.append(dict(message))
    return folded


def is_folded_result(text: str) -> bool:
    """Whether a user turn's text is a tool result in the folded format."""
    return text.startswith(RESULT_PREFIX)


def folded_result_text(text: str) -> str:
    """The tool's output of a folded result (the text after its header line)."""
    return text.split("\n", 1)[1] if "\n" in text else ""


def is_tool_history_rejection(error: IndoxHubError) -> bool:
    """Whether an error is the provider's rejection of a tool turn without its call."""
    return isinstance(error, InvalidRequestError) and bool(_REJECTION.search(str(error)))


def should_fold(mode: ToolHistory, base_url: str) -> bool:
    """Whether to send the history folded right away (``text``, or ``auto`` once rejected)."""
    if mode == "text":
        return True
    with _lock:
        return mode == "auto" and base_url in _folded_urls


def remember_rejection(base_url: str) -> None:
    """Remember that ``base_url`` rejects native tool history; warn once per base URL."""
    with _lock:
        _folded_urls.add(base_url)
        first = base_url not in _warned_urls
        _warned_urls.add(base_url)
    if first:
        warnings.warn(
            f"The server at {base_url} rejected the tool-call history (it seems to keep only "
            "each message's role and content), so the conversation was resent with tool calls "
            "and results written as text, and will be for this server from now on. Pass "
            "tool_history='text' to skip the first attempt, or 'native' to turn this off.",
            IndoxHubWarning,
            stacklevel=4,
        )


def outgoing(mode: ToolHistory, base_url: str, body: Mapping[str, Any]) -> Any:
    """The messages a chat body sends: folded when ``mode`` (and the server) call for it."""
    messages = body.get("messages")
    if messages and has_tool_history(messages) and should_fold(mode, base_url):
        return fold(messages)
    return messages


def retry_folded(
    mode: ToolHistory, base_url: str, body: Mapping[str, Any] | None, error: IndoxHubError
) -> list[dict[str, Any]] | None:
    """The folded messages to resend once after ``error``, or ``None`` when not to retry.

    Only in ``auto`` mode, for a chat body with native tool history, and for the provider's
    rejection of a tool turn without its call; the base URL is then remembered (one warning).
    """
    messages = body.get("messages") if body else None
    if mode != "auto" or not messages or not has_tool_history(messages):
        return None
    if not is_tool_history_rejection(error):
        return None
    remember_rejection(base_url)
    return fold(messages)


def forget_rejections() -> None:
    """Forget every remembered base URL (tests, or after the server changed)."""
    with _lock:
        _folded_urls.clear()
        _warned_urls.clear()

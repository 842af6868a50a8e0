"""ReAct replies for the emulator's deterministic model.

Agents that do not use function calling (LlamaIndex's ``ReActAgent``, LangChain's ReAct
prompts) describe their tools in the system prompt and expect plain text in the ReAct format::

    Thought: ...
    Action: tool_name
    Action Input: {"arg": "value"}

and, once an ``Observation: ...`` came back, ``Thought: ...`` then ``Answer: ...``.
:func:`react_reply` produces exactly that from the conversation alone (pure and deterministic):
it picks the described tool whose name and description best match the user's question, builds
its arguments from the tool's JSON schema and the question (as the function-calling model does),
and after an observation answers with a sentence that uses it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .schema_values import ValueSource, build_value

_TOOL_NAME = "> Tool Name:"
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "could", "do", "does", "for",
        "from", "how", "i", "in", "is", "it", "me", "my", "of", "on", "or", "please", "should",
        "that", "the", "this", "to", "use", "using", "what", "when", "which", "who", "why",
        "will", "with", "you", "your", "tool", "tools",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ReactTool:
    """A tool as the ReAct system prompt describes it."""

    name: str
    """The tool's name (what goes after ``Action:``)."""
    description: str = ""
    """The tool's description, possibly several lines."""
    parameters: dict[str, Any] = field(default_factory=dict)
    """The JSON schema of the tool's arguments (``{}`` when it could not be read)."""


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a chat message whose ``content`` is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                texts.append(part["text"])
        return "\n".join(texts)
    return ""


def is_react_prompt(text: str) -> bool:
    """True when ``text`` carries ReAct instructions (the format lines an agent expects)."""
    return "Thought:" in text and "Action Input:" in text and "Action:" in text


def parse_react_tools(text: str) -> list[ReactTool]:
    """Read the tools a ReAct system prompt describes.

    LlamaIndex writes each tool as::

        > Tool Name: add
        Tool Description: add(a: int, b: int) -> int
        Add two numbers.
        Tool Args: {"properties": {...}, "required": [...], "type": "object"}
    """
    tools: list[ReactTool] = []
    chunks = text.split(_TOOL_NAME)[1:]
    for chunk in chunks:
        name_line, _, rest = chunk.partition("\n")
        name = name_line.strip()
        if not name:
            continue
        description = ""
        parameters: dict[str, Any] = {}
        desc_start = rest.find("Tool Description:")
        args_start = rest.find("Tool Args:")
        if desc_start >= 0:
            end = args_start if args_start > desc_start else len(rest)
            description = rest[desc_start + len("Tool Description:") : end].strip()
        if args_start >= 0:
            args_line = rest[args_start + len("Tool Args:") :].split("\n", 1)[0].strip()
            try:
                value = json.loads(args_line)
            except ValueError:
                value = None
            if isinstance(value, dict):
                parameters = value
        tools.append(ReactTool(name=name, description=description, parameters=parameters))
    return tools


def _words(text: str) -> set[str]:
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS:
            continue
        words.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return words


def best_tool(tools: Sequence[ReactTool], question: str) -> ReactTool:
    """The tool that best matches ``question``: name words count 3, description words 1.

    Ties go to the tool listed first, so the choice is deterministic.
    """
    asked = _words(question)
    best, best_score = tools[0], -1
    for tool in tools:
        name_words = _words(tool.name.replace("_", " ").replace("-", " "))
        score = 3 * len(asked & name_words) + len(asked & _words(tool.description))
        if score > best_score:
            best, best_score = tool, score
    return best


def _is_observation(message: Mapping[str, Any]) -> bool:
    if message.get("role") == "tool":
        return True
    if message.get("role") not in ("user", "function"):
        return False
    return message_text(message).lstrip().startswith("Observation:")


def _observation_text(message: Mapping[str, Any]) -> str:
    text = message_text(message).strip()
    if text.startswith("Observation:"):
        text = text[len("Observation:") :].strip()
    return text


def react_reply(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The ReAct-format reply to a conversation, or ``None`` when it carries no ReAct prompt.

    Args:
        messages: The request's messages in indoxhub's form (``role``, ``content``).

    Returns:
        ``Thought``/``Action``/``Action Input`` calling the best-matching tool when the latest
        user question has no observation yet; ``Thought``/``Answer`` using the observation once
        one came back (or when no tools are described); ``None`` for an ordinary conversation.
    """
    prompt_index = next(
        (
            index
            for index, message in enumerate(messages)
            if message.get("role") in ("system", "developer", "user")
            and is_react_prompt(message_text(message))
        ),
        None,
    )
    if prompt_index is None:
        return None
    tools = parse_react_tools(message_text(messages[prompt_index]))
    rest = [m for i, m in enumerate(messages) if i != prompt_index]
    question = next(
        (
            message_text(m).strip()
            for m in reversed(rest)
            if m.get("role") == "user" and not _is_observation(m)
        ),
        "",
    )
    if rest and _is_observation(rest[-1]):
        observation = _observation_text(rest[-1])
        return (
            "Thought: I can answer without using any more tools. I'll use the user's language "
            f"to answer\nAnswer: The tool returned: {observation}"
        )
    if not tools:
        answer = f"Here is my answer to: {question}" if question else "Hello!"
        return f"Thought: I can answer without using any more tools.\nAnswer: {answer}"
    tool = best_tool(tools, question)
    arguments = build_value(tool.parameters or {"type": "object"}, ValueSource(question))
    if not isinstance(arguments, dict):
        arguments = {}
    return (
        "Thought: The current language of the user is: English. I need to use a tool to help "
        f"me answer the question.\nAction: {tool.name}\nAction Input: {json.dumps(arguments)}"
    )

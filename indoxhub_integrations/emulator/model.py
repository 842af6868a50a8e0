"""The emulator's deterministic "model": replies, token counts, tool calls and embeddings.

Everything here is a pure function of the request: the same input always gives the same
text, the same tokens and the same vectors.

Chat replies: a tool call when tools are offered (see :func:`choose_tool`), ReAct-format text
when the conversation carries a ReAct prompt (:mod:`.react`), a sentence using the tool result
after one, JSON for ``response_format`` (JSON mode answers with the keys the prompt names in
quotes, else ``{"answer": ...}``), JSON that fits a prompt asking for JSON in prose
(:mod:`.prose_json`: LlamaIndex's text-completion programs, selectors, sub-question
generator), else ``Echo from <provider/model>: you said "...".``

Token counting is :mod:`indoxhub_integrations.core.tokens` (``len(re.findall(r"\\w+|[^\\w\\s]",
text))``; a chat prompt adds 4 per message, 85 per image and the tool calls and tools), so
the adapters' offline counts match the emulator's bills. Output tokens are the tokens of the
text, the reasoning and each tool call's name and arguments.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..core.tokens import TOKEN, content_text, count_tokens, prompt_tokens
from ..core.tool_history import folded_result_text, is_folded_result
from .catalog import CatalogModel
from .prose_json import handoff_target, prose_json_reply
from .react import react_reply
from .schema_values import ValueSource, build_value

_WORD = re.compile(r"[a-z0-9]+")
_PIECE = re.compile(r"\s*\S+")
_SUMMARY_WORDS = 40
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "for", "from", "get",
        "give", "how", "i", "in", "is", "it", "me", "my", "of", "on", "or", "please", "the",
        "this", "to", "what", "whats", "when", "where", "which", "who", "why", "will", "with",
        "you", "your",
    }
)  # fmt: skip
_FILLER = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit")


@dataclass
class ToolCall:
    """A function call in a reply; ``arguments`` is a JSON string."""

    id: str
    name: str
    arguments: str


@dataclass
class Reply:
    """A generated answer, before it is rendered in a response style."""

    text: str
    input_tokens: int
    finish_reason: str = "stop"
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    image_prompt: str | None = None
    chunks: int | None = None
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def count_output(self) -> None:
        """Recount ``output_tokens`` and ``reasoning_tokens`` from the reply's content."""
        self.reasoning_tokens = count_tokens(self.reasoning or "")
        calls = sum(count_tokens(c.name) + count_tokens(c.arguments) for c in self.tool_calls)
        self.output_tokens = count_tokens(self.text) + self.reasoning_tokens + calls


def summary(text: str) -> str:
    """The first words of ``text``, whitespace collapsed."""
    words = text.split()
    if len(words) > _SUMMARY_WORDS:
        return " ".join(words[:_SUMMARY_WORDS]) + "..."
    return " ".join(words)


def _echo(model: CatalogModel, text: str, images: int) -> str:
    said = summary(text)
    seen = f"I see {images} image{'s' if images != 1 else ''}. " if images else ""
    if not said:
        return f"Echo from {model.id}: {seen}there was no text in the user message."
    return f'Echo from {model.id}: {seen}{"You" if seen else "you"} said "{said}".'


def chat_reply(
    model: CatalogModel,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    max_tokens: int | None,
) -> Reply:
    """Answer a chat request (``params`` is ``additional_params``, already validated)."""
    tools = params.get("tools") or None
    reply = Reply(text="", input_tokens=prompt_tokens(messages, tools))
    last_user = -1
    for index, message in enumerate(messages):
        if message.get("role") == "user" and not _folded(message):
            last_user = index
    user_text, images = ("", 0)
    if last_user >= 0:
        user_text, images = content_text(messages[last_user].get("content"))
    results = [_result_text(m) for m in messages[last_user + 1 :] if _is_result(m)]
    if _reasons(model, params):
        reply.reasoning = f'The user asked: "{summary(user_text)}". A short, direct answer fits.'
    choice = params.get("tool_choice", "auto")
    if tools and choice != "none" and not results:
        tool = choose_tool(tools, choice, user_text)
        if tool is not None:
            reply.tool_calls = [make_call(tool, user_text, len(messages))]
            reply.finish_reason = "tool_calls"
            reply.count_output()
            return reply
    # Agents that describe their tools in a ReAct prompt get ReAct-format text.
    text = None if tools else react_reply(messages)
    if text is None and results:
        joined = "; ".join(summary(r) if len(r) > 2000 else r for r in results)
        text = f'Echo from {model.id}: the tool returned "{joined}".'
    if text is None:
        text = _json_answer(params.get("response_format"), model, user_text, images)
    if text is None and not tools:
        text = prose_json_reply(_prompt_text(messages))
    if text is None:
        text = _echo(model, user_text, images)
    modalities = params.get("modalities")
    if isinstance(modalities, list) and "image" in modalities:
        reply.image_prompt = user_text or model.id
    _finish(reply, text, params, max_tokens)
    return reply


def _folded(message: dict[str, Any]) -> bool:
    """A user turn that is a tool result folded into text (the client's text tool history)."""
    return is_folded_result(content_text(message.get("content"))[0])


def _is_result(message: dict[str, Any]) -> bool:
    role = message.get("role")
    return role in ("tool", "function") or (role == "user" and _folded(message))


def _result_text(message: dict[str, Any]) -> str:
    text = content_text(message.get("content"))[0]
    return folded_result_text(text) if message.get("role") == "user" else text


def completion_reply(
    model: CatalogModel, prompt: str, params: dict[str, Any], max_tokens: int | None
) -> Reply:
    """Answer a text-completion request."""
    reply = Reply(text="", input_tokens=4 + count_tokens(prompt))
    if _reasons(model, params):
        reply.reasoning = f'The prompt was: "{summary(prompt)}". A short, direct answer fits.'
    text = prose_json_reply(prompt) or _echo(model, prompt, 0)
    _finish(reply, text, params, max_tokens)
    return reply


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    """The system and user text of a conversation, for prompts that state an output format."""
    return "\n".join(
        content_text(m.get("content"))[0] for m in messages if m.get("role") in ("system", "user")
    )


def _reasons(model: CatalogModel, params: dict[str, Any]) -> bool:
    return model.reasoning or params.get("reasoning_effort") is not None


def _finish(reply: Reply, text: str, params: dict[str, Any], max_tokens: int | None) -> None:
    chunks = params.get("emulator_chunks")
    if isinstance(chunks, int) and chunks > 0:
        reply.chunks = chunks
        missing = chunks - len(text.split())
        if missing > 0:
            text += " " + " ".join(_FILLER[i % len(_FILLER)] for i in range(missing))
    stops = params.get("stop")
    if isinstance(stops, str):
        stops = [stops]
    if isinstance(stops, list):
        cuts = [text.find(s) for s in stops if isinstance(s, str) and s and s in text]
        if cuts:
            text = text[: min(cuts)]
    if max_tokens is not None:
        matches = list(TOKEN.finditer(text))
        if len(matches) > max_tokens:
            text = text[: matches[max_tokens - 1].end()] if max_tokens > 0 else ""
            reply.finish_reason = "length"
    reply.text = text
    reply.count_output()


_QUOTED_KEY = re.compile(r"""['"`]([A-Za-z_][A-Za-z0-9_]{0,63})['"`]""")


def requested_keys(text: str) -> list[str]:
    """The keys a JSON-mode prompt asks for: quoted identifiers in a prompt that mentions
    JSON (``Return a JSON with 'setup' and 'punchline' keys`` -> ``setup``, ``punchline``)."""
    if "json" not in text.lower():
        return []
    return list(dict.fromkeys(_QUOTED_KEY.findall(text)))


def _json_answer(fmt: Any, model: CatalogModel, text: str, images: int) -> str | None:
    if not isinstance(fmt, dict):
        return None
    kind = fmt.get("type")
    if kind == "json_object":
        keys = requested_keys(text)
        if keys:
            topic = summary(text)
            return json.dumps({key: f"{key.replace('_', ' ')}: {topic}" for key in keys})
        return json.dumps({"answer": _echo(model, text, images)})
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else fmt.get("schema")
        return json.dumps(build_value(schema or {}, ValueSource(text), all_properties=True))
    return None


# --- tools ----------------------------------------------------------------------------------


def tool_function(tool: Any) -> dict[str, Any]:
    """The ``{"name", "description", "parameters"}`` of an offered tool (OpenAI or flat form)."""
    if isinstance(tool, dict):
        function = tool.get("function")
        return function if isinstance(function, dict) else tool
    return {}


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return {_stem(w) for w in _WORD.findall(spaced.lower()) if w not in _STOPWORDS}


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def choose_tool(tools: list[Any], choice: Any, text: str) -> dict[str, Any] | None:
    """The tool to call: the forced one, else the best match for ``text`` (first on ties)."""
    functions = [tool_function(t) for t in tools]
    functions = [f for f in functions if isinstance(f.get("name"), str)]
    if not functions:
        return None
    if isinstance(choice, dict):
        forced = choice.get("function")
        name = forced.get("name") if isinstance(forced, dict) else choice.get("name")
        for function in functions:
            if function["name"] == name:
                return function
    wanted = _words(text)
    lowered = text.lower()

    def score(function: dict[str, Any]) -> int:
        name = function["name"]
        description = function.get("description")
        value = 3 * len(wanted & _words(name.replace("_", " ")))
        if isinstance(description, str):
            value += len(wanted & _words(description))
        if name.lower() in lowered:
            value += 5
        return value

    return max(functions, key=score)


def make_call(function: dict[str, Any], text: str, salt: int) -> ToolCall:
    """A call of ``function`` with arguments built from its JSON schema and ``text``."""
    parameters = function.get("parameters")
    if not isinstance(parameters, dict):
        parameters = {"type": "object", "properties": {}}
    arguments = build_value(parameters, ValueSource(text))
    if not isinstance(arguments, dict):
        arguments = {}
    agent = handoff_target(function, text)
    if agent is not None:
        arguments["to_agent"] = agent
    encoded = json.dumps(arguments)
    digest = hashlib.sha1(f"{function['name']}|{encoded}|{salt}".encode()).hexdigest()
    return ToolCall(id=f"call_{digest[:24]}", name=function["name"], arguments=encoded)


# --- streaming pieces -------------------------------------------------------------------------


def pieces(text: str, count: int | None = None) -> list[str]:
    """Split ``text`` into word-sized pieces (or into ``count`` groups of words)."""
    parts = _PIECE.findall(text)
    rest = text[sum(len(p) for p in parts) :]
    if rest:
        if parts:
            parts[-1] += rest
        else:
            parts.append(rest)
    if count is None or count <= 0 or count >= len(parts):
        return parts
    size, extra = divmod(len(parts), count)
    grouped: list[str] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        grouped.append("".join(parts[start:end]))
        start = end
    return grouped


# --- embeddings --------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _feature(word: str, dimensions: int) -> tuple[int, float]:
    value = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
    return value % dimensions, 1.0 if (value >> 40) & 1 else -1.0


def embed(text: str, dimensions: int) -> list[float]:
    """A deterministic unit vector from hashed word features of ``text``."""
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        index, sign = _feature(word, dimensions)
        vector[index] += sign
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return [round(x / norm, 7) for x in vector]

"""Answers to prompts that ask for JSON in prose, as framework components send them.

LlamaIndex's ``LLMTextCompletionProgram`` (``Here's a JSON schema to follow: ...``), its
``LLMSingleSelector``/``LLMMultiSelector`` (a numbered list of choices and ``The output should
be ONLY JSON``) and its default sub-question generator (``<Tools>`` as JSON, ``<User
Question>``, ``<Output>``) parse the model's text as JSON. The emulator answers them with JSON
that fits the schema or the output format the prompt states, built from the prompt's own
words, so these components can be tested offline. AgentWorkflow handoff calls name an agent
the handoff tool lists (:func:`handoff_target`).

Pure functions of the prompt text, like the rest of the emulator's model.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .react import _words as words  # the ReAct tool matcher's words: no stopwords, no plurals
from .schema_values import ValueSource, build_value

_SCHEMA_START = "Here's a JSON schema to follow:"
_SCHEMA_END = "Output a valid JSON object"
_SELECT_MARK = "The output should be ONLY JSON formatted as a JSON instance."
_SELECT_CHOICES = re.compile(r"^\((\d+)\)\s*(.*)$", re.MULTILINE)
_SELECT_QUESTION = re.compile(r"relevant to the question: '(.*)'", re.DOTALL)
_SELECT_MAX = re.compile(r"no more than (\d+)")
_SUBQ_MARK = "output a list of relevant sub-questions"
_SUBQ_TOOLS = re.compile(r"<Tools>\s*```json\s*(.*?)```", re.DOTALL)
_SUBQ_QUESTION = re.compile(r"<User Question>\s*(.*?)\s*<Output>", re.DOTALL)
_AGENTS_MARK = "Currently available agents:"


def best_match(candidates: Sequence[str], text: str) -> int:
    """The index of the candidate sharing most words with ``text`` (the first on ties)."""
    wanted = words(text)
    scores = [len(wanted & words(candidate)) for candidate in candidates]
    return scores.index(max(scores)) if scores else 0


def prose_json_reply(text: str) -> str | None:
    """The JSON answer a prompt asks for in prose, or ``None`` for any other prompt."""
    if _SCHEMA_START in text and _SCHEMA_END in text:
        return _schema_answer(text)
    if _SELECT_MARK in text:
        return _selection_answer(text)
    if _SUBQ_MARK in text:
        return _sub_question_answer(text)
    return None


def _schema_answer(text: str) -> str | None:
    start = text.rindex(_SCHEMA_START)
    end = text.find(_SCHEMA_END, start)
    stated = text[start + len(_SCHEMA_START) : end]
    try:
        schema = json.loads(stated)
    except ValueError:  # LlamaIndex may send the template's escaped braces as they are
        try:
            schema = json.loads(stated.replace("{{", "{").replace("}}", "}"))
        except ValueError:
            return None
    if not isinstance(schema, dict):
        return None
    source = ValueSource(text[:start].strip())
    return json.dumps(build_value(schema, source, all_properties=True))


def _selection_answer(text: str) -> str | None:
    choices = [(int(number), summary) for number, summary in _SELECT_CHOICES.findall(text)]
    if not choices:
        return None
    match = _SELECT_QUESTION.search(text)
    question = match.group(1) if match else text
    best = best_match([summary for _, summary in choices], question)
    number, summary = choices[best]
    answers = [{"choice": number, "reason": f"Choice {number} is about: {summary[:80]}"}]
    most = _SELECT_MAX.search(text)
    if most and int(most.group(1)) > 1:  # a multi-selector: add the other matching choices
        wanted = words(question)
        for other, (other_number, other_summary) in enumerate(choices):
            if other != best and wanted & words(other_summary):
                answers.append(
                    {"choice": other_number, "reason": f"Also about: {other_summary[:80]}"}
                )
        answers = answers[: int(most.group(1))]
    return json.dumps(answers)


def _sub_question_answer(text: str) -> str | None:
    tool_blocks = _SUBQ_TOOLS.findall(text)
    questions = _SUBQ_QUESTION.findall(text)
    if not tool_blocks or not questions:
        return None
    try:
        tools = json.loads(tool_blocks[-1])  # the last block: the user's tools, not the example
    except ValueError:
        return None
    if not isinstance(tools, Mapping) or not tools:
        return None
    question = questions[-1].strip()
    wanted = words(question)
    relevant = [name for name, about in tools.items() if wanted & words(f"{name} {about}")]
    items = [
        {"sub_question": f"{question} ({name})", "tool_name": name}
        for name in relevant or list(tools)
    ]
    return "```json\n" + json.dumps({"items": items}, indent=4) + "\n```"


def listed_agents(description: str) -> dict[str, str]:
    """The agents a LlamaIndex handoff tool's description lists (name: description)."""
    if _AGENTS_MARK not in description:
        return {}
    listing = description.split(_AGENTS_MARK, 1)[1].strip()
    try:
        agents = ast.literal_eval(listing)
    except (ValueError, SyntaxError):
        lines = (line.partition(":") for line in listing.splitlines() if ":" in line)
        return {name.strip(" -*"): about.strip() for name, _, about in lines}
    if not isinstance(agents, dict):
        return {}
    return {str(name): str(about) for name, about in agents.items()}


def handoff_target(function: Mapping[str, Any], text: str) -> str | None:
    """For a handoff tool (a ``to_agent`` parameter, agents listed in its description): the
    listed agent that best fits ``text``; ``None`` for any other tool."""
    parameters = function.get("parameters")
    properties = parameters.get("properties") if isinstance(parameters, Mapping) else None
    description = function.get("description")
    if not isinstance(properties, Mapping) or "to_agent" not in properties:
        return None
    agents = listed_agents(description) if isinstance(description, str) else {}
    if not agents:
        return None
    names = list(agents)
    return names[best_match([f"{name} {about}" for name, about in agents.items()], text)]

"""The emulator answers prompts that ask for JSON in prose with JSON that fits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from indoxhub_integrations.emulator.catalog import MODELS
from indoxhub_integrations.emulator.model import chat_reply, completion_reply, make_call
from indoxhub_integrations.emulator.prose_json import (
    handoff_target,
    listed_agents,
    prose_json_reply,
)

MINI = MODELS["openai/gpt-4o-mini"]

SCHEMA_PROMPT = """Extract the person: name: Ada, age: 36

Here's a JSON schema to follow:
{"properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age",
"type": "integer"}}, "required": ["name", "age"], "title": "Person", "type": "object"}

Output a valid JSON object but do not repeat the schema.
"""

SELECT_PROMPT = """Some choices are given below. It is provided in a numbered list (1 to 2), \
where each item in the list corresponds to a summary.
---------------------
(1) Useful for questions about bananas and fruit

(2) Useful for questions about lighthouses and the sea
---------------------
Using only the choices above and not prior knowledge, return the choice that is most \
relevant to the question: 'Who keeps the lighthouse?'


The output should be ONLY JSON formatted as a JSON instance.
"""


def test_a_schema_prompt_gets_an_object_that_fits() -> None:
    answer = json.loads(prose_json_reply(SCHEMA_PROMPT) or "")
    assert answer == {"name": "Ada", "age": 36}


def test_a_selector_prompt_gets_the_matching_choice() -> None:
    (answer,) = json.loads(prose_json_reply(SELECT_PROMPT) or "")
    assert answer["choice"] == 2 and answer["reason"]


def test_a_multi_selector_prompt_gets_at_most_the_allowed_choices() -> None:
    prompt = SELECT_PROMPT.replace(
        "return the choice that is most relevant",
        "return the top choices (no more than 1, but only select what is needed) that are most "
        "relevant",
    )
    assert len(json.loads(prose_json_reply(prompt) or "")) == 1


def test_a_sub_question_prompt_names_existing_tools() -> None:
    prompts = pytest.importorskip("llama_index.core.question_gen.prompts")
    tools = {"fruit_docs": "About bananas", "sea_docs": "About lighthouses and the sea"}
    prompt = prompts.DEFAULT_SUB_QUESTION_PROMPT_TMPL.replace(
        "{tools_str}", json.dumps(tools, indent=4)
    ).replace("{query_str}", "Who keeps the lighthouse by the sea?")
    text = prose_json_reply(prompt) or ""
    assert text.startswith("```json")
    items = json.loads(text.strip("`").removeprefix("json"))["items"]
    assert [item["tool_name"] for item in items] == ["sea_docs"]


def test_other_prompts_are_left_alone() -> None:
    assert prose_json_reply("Hello there") is None
    broken = "Here's a JSON schema to follow: not json. Output a valid JSON object"
    assert prose_json_reply(broken) is None


def test_chat_and_completion_replies_use_it() -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": SCHEMA_PROMPT}]
    assert json.loads(chat_reply(MINI, messages, {}, None).text)["name"] == "Ada"
    assert json.loads(completion_reply(MINI, SELECT_PROMPT, {}, None).text)[0]["choice"] == 2


def test_handoff_calls_name_a_listed_agent() -> None:
    description = (
        "Useful for handing off to another agent.\n\nCurrently available agents:\n"
        "{'researcher': 'Finds facts about lighthouses', 'writer': 'Writes a poem'}\n"
    )
    assert listed_agents(description) == {
        "researcher": "Finds facts about lighthouses", "writer": "Writes a poem",
    }  # fmt: skip
    function = {
        "name": "handoff",
        "description": description,
        "parameters": {
            "type": "object",
            "properties": {"to_agent": {"type": "string"}, "reason": {"type": "string"}},
            "required": ["to_agent", "reason"],
        },
    }
    call = make_call(function, "Please write a poem about the sea", 1)
    assert json.loads(call.arguments)["to_agent"] == "writer"
    assert handoff_target({"name": "other", "parameters": {}}, "x") is None

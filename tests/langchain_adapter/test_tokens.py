"""Offline token counting: no ImportError, counts that match the emulator's bills."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages
from langchain_core.tools import tool

from indoxhub_integrations.langchain import ChatIndoxHub, IndoxHubLLM


@tool
def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return city


def test_counts_without_any_tokenizer_install() -> None:
    llm = ChatIndoxHub()
    assert llm.get_num_tokens("Hello, world!") == 4  # Hello , world !
    assert IndoxHubLLM().get_num_tokens("Hello, world!") == 4
    messages = [SystemMessage("Be brief."), HumanMessage("Hello there")]
    assert llm.get_num_tokens_from_messages(messages) == (4 + 3) + (4 + 2)
    assert llm.get_num_tokens_from_messages(messages, tools=[get_weather]) > 13


def test_message_count_matches_the_emulator(emulator: Any) -> None:
    llm = ChatIndoxHub(base_url=emulator.base_url, api_key=emulator.api_key)
    messages = [
        SystemMessage("You are terse."),
        HumanMessage("What is the capital of France, and why?"),
        AIMessage("Paris."),
        HumanMessage("And of Italy?"),
    ]
    answer = llm.invoke(messages)
    assert answer.usage_metadata is not None
    assert llm.get_num_tokens_from_messages(messages) == answer.usage_metadata["input_tokens"]


def test_trim_messages_with_the_model_as_counter() -> None:
    llm = ChatIndoxHub()
    history = [SystemMessage("Be brief.")] + [
        message
        for i in range(10)
        for message in (HumanMessage(f"question number {i}"), AIMessage(f"answer {i}"))
    ]
    trimmed = trim_messages(
        history, max_tokens=40, token_counter=llm, strategy="last", include_system=True
    )
    assert trimmed[0].content == "Be brief." and trimmed[-1].content == "answer 9"
    assert llm.get_num_tokens_from_messages(trimmed) <= 40 < llm.get_num_tokens_from_messages(
        history
    )


def test_custom_tokenizer_wins() -> None:
    llm = ChatIndoxHub(custom_get_token_ids=lambda text: list(range(len(text))))
    assert llm.get_num_tokens("abcd") == 4


def test_profile_from_the_catalog(emulator: Any) -> None:
    llm = ChatIndoxHub(
        model="deepseek/deepseek-reasoner", base_url=emulator.base_url, api_key=emulator.api_key
    )
    assert llm.profile is None  # constructors do no I/O
    profile = llm.load_profile()
    # the emulator's catalog states the output limit and says no tools, no images
    assert profile == {
        "max_input_tokens": 64000, "max_output_tokens": 8192, "reasoning_output": True,
        "tool_calling": False, "image_inputs": False,
    }  # fmt: skip
    assert llm.profile == profile
    assert "structured_output" not in profile  # the catalog does not say: unknown, not False

"""Offline token counting for the LangChain models (no ``transformers``, no download)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from ..core.tokens import count_tokens, prompt_tokens
from .messages import messages_to_wire


class TokenCounting:
    """``get_num_tokens``, ``get_num_tokens_from_messages`` (and so ``trim_messages(...,
    token_counter=llm)``) that work offline with nothing extra installed.

    With ``custom_get_token_ids`` set (your own tokenizer), LangChain's own counting uses it.
    Otherwise the counts are an approximation, not a tokenizer: a token is a run of word
    characters or one punctuation character, plus 4 per message, 85 per image, and the tool
    calls' names and arguments and the offered tools' JSON (see
    :mod:`indoxhub_integrations.core.tokens`). It is within about 20% of OpenAI's tokenizers
    on English prose and exact against the emulator. No tokenizer is downloaded (``tiktoken``
    fetches its encodings from the network, ``transformers`` is a large install).
    """

    custom_get_token_ids: Any

    def get_num_tokens(self, text: str) -> int:
        """Approximate tokens in ``text`` (exact with ``custom_get_token_ids``)."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return count_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Approximate input tokens of ``messages`` (and ``tools``) as one chat request."""
        if self.custom_get_token_ids is not None:
            return super().get_num_tokens_from_messages(messages, tools)  # type: ignore[misc]
        wire_tools = [convert_to_openai_tool(tool) for tool in tools or ()]
        return prompt_tokens(messages_to_wire(messages), wire_tools or None)

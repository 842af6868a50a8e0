"""Public entry points that protect a per-call BYOK key before LlamaIndex instruments a call.

LlamaIndex copies call kwargs into instrumentation events (``LLMChatStartEvent``...), span
arguments and legacy callback payloads. Each wrapper here turns ``byok_api_key`` (also inside
``llm_kwargs``) into a ``SecretStr`` and then calls the instrumented implementation, so those
copies show ``'**********'``. The wrappers are marked as already traced, so LlamaIndex's span
mixin does not wrap them (a span around them would capture the plain key).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
)
from llama_index.core.instrumentation import DISPATCHER_SPAN_DECORATED_ATTR
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.structured_llm import StructuredLLM

from ._fields import protect_kwargs

if TYPE_CHECKING:
    from llama_index.core.chat_engine.types import AgentChatResponse
    from llama_index.core.tools.types import BaseTool

    _ToolCallingBase = FunctionCallingLLM
else:
    _ToolCallingBase = object

_F = TypeVar("_F", bound=Callable[..., Any])


def public(method: _F) -> _F:
    """Mark a thin public wrapper as traced already, so the span mixin leaves it alone."""
    setattr(method, DISPATCHER_SPAN_DECORATED_ATTR, True)
    return method


class ProtectedToolCalls(_ToolCallingBase):
    """``*_with_tools``, ``predict_and_call`` and ``structured_predict`` with protected kwargs."""

    @public
    def chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Chat offering ``tools``; ``byok_api_key=...`` applies to this call only."""
        return super().chat_with_tools(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required,
            **protect_kwargs(kwargs),
        )  # fmt: skip

    @public
    async def achat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Async :meth:`chat_with_tools`."""
        return await super().achat_with_tools(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required,
            **protect_kwargs(kwargs),
        )  # fmt: skip

    @public
    def stream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseGen:
        """Stream a chat offering ``tools``; chunks carry the tool calls received so far."""
        return super().stream_chat_with_tools(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required,
            **protect_kwargs(kwargs),
        )  # fmt: skip

    @public
    async def astream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat_with_tools`."""
        return await super().astream_chat_with_tools(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required,
            **protect_kwargs(kwargs),
        )  # fmt: skip

    @public
    def predict_and_call(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        error_on_no_tool_call: bool = True,
        error_on_tool_error: bool = False,
        **kwargs: Any,
    ) -> AgentChatResponse:
        """Let the model pick a tool and call it; ``byok_api_key=...`` for this call only."""
        return super().predict_and_call(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls,
            error_on_no_tool_call, error_on_tool_error, **protect_kwargs(kwargs),
        )  # fmt: skip

    @public
    async def apredict_and_call(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        error_on_no_tool_call: bool = True,
        error_on_tool_error: bool = False,
        **kwargs: Any,
    ) -> AgentChatResponse:
        """Async :meth:`predict_and_call`."""
        return await super().apredict_and_call(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls,
            error_on_no_tool_call, error_on_tool_error, **protect_kwargs(kwargs),
        )  # fmt: skip

    @public
    def structured_predict(self, *args: Any, **kwargs: Any) -> Any:
        """Predict a pydantic object (function calling); ``llm_kwargs`` may carry
        ``byok_api_key``."""
        return super().structured_predict(*args, **protect_kwargs(kwargs))

    @public
    async def astructured_predict(self, *args: Any, **kwargs: Any) -> Any:
        """Async :meth:`structured_predict`."""
        return await super().astructured_predict(*args, **protect_kwargs(kwargs))

    @public
    def stream_structured_predict(self, *args: Any, **kwargs: Any) -> Any:
        """Stream partial pydantic objects."""
        return super().stream_structured_predict(*args, **protect_kwargs(kwargs))

    @public
    async def astream_structured_predict(self, *args: Any, **kwargs: Any) -> Any:
        """Async :meth:`stream_structured_predict`."""
        return await super().astream_structured_predict(*args, **protect_kwargs(kwargs))


class IndoxHubStructuredLLM(StructuredLLM):
    """``llm.as_structured_llm(Model)`` for ``IndoxHub``: per-call kwargs protected too."""

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "IndoxHubStructuredLLM"

    @public
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Chat, answering with the output class as JSON (``raw``: the object)."""
        return super().chat(messages, **protect_kwargs(kwargs))

    @public
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async :meth:`chat`."""
        return await super().achat(messages, **protect_kwargs(kwargs))

    @public
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream partial objects."""
        return super().stream_chat(messages, **protect_kwargs(kwargs))

    @public
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat`."""
        return await super().astream_chat(messages, **protect_kwargs(kwargs))

    @public
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete, answering with the output class as JSON."""
        return super().complete(prompt, formatted, **protect_kwargs(kwargs))

    @public
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async :meth:`complete`."""
        return await super().acomplete(prompt, formatted, **protect_kwargs(kwargs))

    @public
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Not supported by LlamaIndex's structured LLM."""
        return super().stream_complete(prompt, formatted, **protect_kwargs(kwargs))

    @public
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`."""
        return await super().astream_complete(prompt, formatted, **protect_kwargs(kwargs))

"""``IndoxHub``: a LlamaIndex ``FunctionCallingLLM`` over the indoxhub gateway.

Per-call BYOK keys: ``llm.chat(messages, byok_api_key="sk-...")``. LlamaIndex copies call
kwargs into ``LLMChatStartEvent.additional_kwargs``, span arguments and legacy callback
payloads, so every public entry point (``chat``... ``complete``..., the ``*_with_tools``
methods, ``predict_and_call``, ``structured_predict``...) is an undecorated wrapper that turns
the key into a ``SecretStr`` before the instrumented implementation sees it; the key is never
stored on the model.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.structured_llm import StructuredLLM
from pydantic import BaseModel, Field, field_validator

from ..core.byok import split_model
from ..core.content import merge_params, tool_choice_to_wire
from ..core.errors import IndoxHubError, InvalidToolCallError
from ..core.usage import Counter, context_scopes, counted_in
from ..core.wire import ChatResult, ModelInfo, StreamEvent
from ._fields import BYOK_KWARG, IndoxHubConnection, current_call_key, protect_kwargs
from ._protected import IndoxHubStructuredLLM, ProtectedToolCalls, public
from .instrumentation import dispatch_usage
from .messages import (
    INVALID_TOOL_CALLS_KEY,
    ChatStream,
    CompletionStream,
    chat_response,
    completion_response,
    messages_to_wire,
    tool_call_arguments,
    tools_to_wire,
)

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

dispatcher = get_dispatcher(__name__)

DEFAULT_MODEL = "openai/gpt-4o-mini"
"""The model used when none is given."""
DEFAULT_CONTEXT_WINDOW = 8192
"""The context window assumed for a model the catalog does not list (or lists without one)."""
DEFAULT_NUM_OUTPUT = 1024
"""Tokens reserved for the answer when neither ``num_output``, ``max_tokens`` nor the
catalog's output limit is known."""

_F = TypeVar("_F", bound=Callable[..., Any])


def model_metadata(
    info: ModelInfo | None,
    *,
    model: str,
    context_window: int | None,
    num_output: int | None,
    function_calling: bool | None,
) -> LLMMetadata:
    """``LLMMetadata`` from the user's settings, else the catalog entry's parsed fields (the
    ones LangChain's profile reads too), else the defaults (``None``: the catalog does not
    say)."""
    window = context_window or (info and info.context_window) or DEFAULT_CONTEXT_WINDOW
    output = num_output or (info and info.max_output_tokens) or DEFAULT_NUM_OUTPUT
    tools = function_calling
    if tools is None and info is not None:
        tools = info.function_calling
    return LLMMetadata(
        context_window=window,
        num_output=min(output, window // 2) if num_output is None else output,
        is_chat_model=True,
        is_function_calling_model=True if tools is None else tools,
        model_name=model,
    )


def _feed(stream: Any, event: StreamEvent) -> Any:
    """The chunk for ``event`` (or ``None``); the ``done`` event reports the usage once."""
    chunk = stream.feed(event)
    if event.type == "done" and stream.result is not None:
        dispatch_usage(stream.result)
    return chunk


def relay(
    events: Iterator[StreamEvent], stream: Any, scopes: tuple[Counter, ...]
) -> Iterator[Any]:
    """Turn core stream events into LlamaIndex chunks; report usage once, at ``done``.

    Each step, and the closing of the core stream (also when the consumer stops early), runs
    with the usage scopes that were open when the stream was created (see
    :class:`~indoxhub_integrations.core.usage.counted_in`), so ``track_indoxhub_usage()``
    counts a stream created in its block wherever it is read or abandoned. ``scopes`` is
    :func:`~indoxhub_integrations.core.usage.context_scopes` taken when the stream is created.
    """
    counted = counted_in(scopes)
    try:
        while True:
            with counted:
                event = next(events, None)
            if event is None:
                return
            chunk = _feed(stream, event)
            if chunk is not None:
                yield chunk
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            with counted:
                close()


async def arelay(
    events: AsyncIterator[StreamEvent], stream: Any, scopes: tuple[Counter, ...]
) -> AsyncGenerator[Any, None]:
    """Async :func:`relay` (the core stream is closed here, not left to the garbage
    collector, so an abandoned stream's usage record is emitted at once)."""
    counted = counted_in(scopes)
    try:
        while True:
            with counted:
                event = await anext(events, None)
            if event is None:
                return
            chunk = _feed(stream, event)
            if chunk is not None:
                yield chunk
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            with counted:
                await aclose()


_OPENED: ContextVar[list[AsyncGenerator[Any, None]] | None] = ContextVar(
    "indoxhub_opened_streams", default=None
)


def _opened(stream: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
    """Register an async relay with the public method that is creating it (see
    :func:`closing`)."""
    holder = _OPENED.get()
    if holder is not None:
        holder.append(stream)
    return stream


async def closing(
    wrapped: AsyncGenerator[Any, None], opened: list[AsyncGenerator[Any, None]]
) -> AsyncGenerator[Any, None]:
    """Yield from LlamaIndex's instrumented stream; when the consumer stops (or it ends),
    close our relays inside it too.

    LlamaIndex's async stream wrapper does not close the generator it wraps, so without this
    an abandoned stream's connection and usage record would wait for the garbage collector.
    """
    try:
        async for chunk in wrapped:
            yield chunk
    finally:
        await wrapped.aclose()
        for stream in opened:
            await stream.aclose()


def _traced(callback: Callable[[], Callable[[_F], _F]], name: str) -> Callable[[_F], _F]:
    """Apply LlamaIndex's LLM callback decorator and a span, named like the public method."""

    def decorate(method: _F) -> _F:
        method.__name__ = name
        method.__qualname__ = f"IndoxHub.{name}"
        return cast(_F, dispatcher.span(callback()(method)))

    return decorate


class IndoxHub(IndoxHubConnection, ProtectedToolCalls, FunctionCallingLLM):
    """indoxhub as a LlamaIndex LLM: any ``provider/model``, tools, streaming, BYOK and cost.

    Example:
        .. code-block:: python

            from llama_index.core import Settings
            from indoxhub_integrations.llama_index import IndoxHub

            Settings.llm = IndoxHub(model="anthropic/claude-3-5-sonnet-20241022")
            Settings.llm.chat(messages, byok_api_key="sk-ant-...")  # this call only

    Every response carries the body in ``raw`` and ``prompt_tokens``, ``completion_tokens``,
    ``total_tokens``, ``cost`` (``None`` when unknown), ``cost_estimated``, ``byok``,
    ``request_id``, ``provider`` and ``rate_limit_bypass`` in ``additional_kwargs`` (in a stream:
    on the last chunk).
    """

    model: str = DEFAULT_MODEL
    """The model, as ``provider/model`` (``openai/gpt-4o-mini``, ``mistral/...``)."""
    temperature: float | None = None
    """Sampling temperature; ``None`` leaves the provider's default."""
    max_tokens: int | None = None
    """Most tokens to generate; ``None`` leaves the provider's default."""
    additional_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other request options (``top_p``, ``stop``, ``seed``, ``response_format``...); per-call
    kwargs win over these, and everything but the top-level sampling fields reaches the API in
    ``additional_params``."""
    context_window: int | None = Field(default=None, gt=0)
    """The model's context window in tokens, for LlamaIndex's prompt packing; ``None`` (the
    default) reads it from the model catalog, else assumes 8192."""
    num_output: int | None = Field(default=None, gt=0)
    """Tokens LlamaIndex reserves for the answer (default: ``max_tokens``, else the catalog's
    output limit for the model, else 1024)."""
    is_function_calling_model: bool | None = None
    """Whether LlamaIndex may offer the model tools; ``None`` (the default) asks the catalog
    and assumes ``True`` when it does not say (an unlisted model, or an entry without a
    function-calling flag or word)."""

    @field_validator("model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        split_model(value)
        return value

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "IndoxHub"

    @property
    def model_info(self) -> ModelInfo | None:
        """The model's catalog entry, or ``None`` when the catalog does not list it or cannot
        be read (no key, server unreachable). Fetched once per client configuration."""
        try:
            return self.clients.sync.catalog_entry(self.model)
        except IndoxHubError:
            return None

    @property
    def supports_vision(self) -> bool | None:
        """Whether the catalog says the model reads images (``None``: it does not say)."""
        info = self.model_info
        return None if info is None else info.vision

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, output budget, chat and function-calling support, model name.

        Read from the model catalog (``context_window``, ``max_output_tokens``, capabilities)
        unless set on the instance; models the catalog does not describe get
        ``DEFAULT_CONTEXT_WINDOW``, ``DEFAULT_NUM_OUTPUT`` and function calling. LlamaIndex
        reads this on every call (its events carry it), so the catalog is fetched on the first
        call of a configuration (with the sync client, also inside an event loop: one small
        request), and not at all when ``context_window``, ``num_output`` (or ``max_tokens``)
        and ``is_function_calling_model`` are all set.
        """
        given = self.num_output or self.max_tokens
        complete = (
            self.context_window is not None
            and given is not None
            and self.is_function_calling_model is not None
        )
        return model_metadata(
            None if complete else self.model_info,
            model=self.model,
            context_window=self.context_window,
            num_output=given,
            function_calling=self.is_function_calling_model,
        )

    # ------------------------------------------------------------------ request building
    def _options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Client keyword arguments: model, BYOK key, ``additional_params`` and params."""
        base = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        merged = merge_params(base, self.additional_kwargs, kwargs)
        options: dict[str, Any] = {"model": self.model}
        options[BYOK_KWARG] = merged.pop(BYOK_KWARG, None) or current_call_key()
        options["additional_params"] = merged.pop("additional_params", None)
        merged.pop("formatted", None)
        options.update(merged)
        return options

    def _chat_request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> Any:
        return {"messages": messages_to_wire(messages), **self._options(kwargs)}

    def _prompt(self, prompt: str, formatted: bool) -> str:
        to_prompt = self.completion_to_prompt
        return prompt if formatted or to_prompt is None else to_prompt(prompt)

    # ------------------------------------------------------------------ chat
    @public
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Chat; ``byok_api_key=...`` uses your own provider key for this call only."""
        return self._chat(messages, **protect_kwargs(kwargs))

    @_traced(llm_chat_callback, "chat")
    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        result = self.clients.sync.chat(**self._chat_request(messages, kwargs))
        dispatch_usage(result)
        return chat_response(result)

    @public
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async :meth:`chat`."""
        return await self._achat(messages, **protect_kwargs(kwargs))

    @_traced(llm_chat_callback, "achat")
    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        result = await self.clients.async_.chat(**self._chat_request(messages, kwargs))
        dispatch_usage(result)
        return chat_response(result)

    @public
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream a chat answer; the last chunk carries usage, cost and BYOK markers."""
        return self._stream_chat(messages, **protect_kwargs(kwargs))

    @_traced(llm_chat_callback, "stream_chat")
    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        events = self.clients.sync.stream_chat(**self._chat_request(messages, kwargs))

        return relay(events, ChatStream(), context_scopes())  # type: ignore[return-value]

    @public
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat`."""
        opened: list[AsyncGenerator[Any, None]] = []
        token = _OPENED.set(opened)
        try:
            wrapped = await self._astream_chat(messages, **protect_kwargs(kwargs))
        finally:
            _OPENED.reset(token)
        return closing(wrapped, opened)  # type: ignore[return-value]

    @_traced(llm_chat_callback, "astream_chat")
    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        request = self._chat_request(messages, kwargs)
        events = await self.clients.async_.stream_chat(**request)

        return _opened(arelay(events, ChatStream(), context_scopes()))  # type: ignore[return-value]

    # ------------------------------------------------------------------ completions
    @public
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete ``prompt`` with indoxhub's text completions endpoint."""
        return self._complete(prompt, formatted=formatted, **protect_kwargs(kwargs))

    @_traced(llm_completion_callback, "complete")
    def _complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        options = self._options(kwargs)
        result: ChatResult = self.clients.sync.complete(self._prompt(prompt, formatted), **options)
        dispatch_usage(result)
        return completion_response(result)

    @public
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async :meth:`complete`."""
        return await self._acomplete(prompt, formatted=formatted, **protect_kwargs(kwargs))

    @_traced(llm_completion_callback, "acomplete")
    async def _acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        options = self._options(kwargs)
        result = await self.clients.async_.complete(self._prompt(prompt, formatted), **options)
        dispatch_usage(result)
        return completion_response(result)

    @public
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream a completion; the last chunk carries usage, cost and BYOK markers."""
        return self._stream_complete(prompt, formatted=formatted, **protect_kwargs(kwargs))

    @_traced(llm_completion_callback, "stream_complete")
    def _stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        options = self._options(kwargs)
        events = self.clients.sync.stream_complete(self._prompt(prompt, formatted), **options)

        return relay(events, CompletionStream(), context_scopes())  # type: ignore[return-value]

    @public
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`."""
        opened: list[AsyncGenerator[Any, None]] = []
        token = _OPENED.set(opened)
        try:
            wrapped = await self._astream_complete(
                prompt, formatted=formatted, **protect_kwargs(kwargs)
            )
        finally:
            _OPENED.reset(token)
        return closing(wrapped, opened)  # type: ignore[return-value]

    @_traced(llm_completion_callback, "astream_complete")
    async def _astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        options = self._options(kwargs)
        client = self.clients.async_
        events = await client.stream_complete(self._prompt(prompt, formatted), **options)

        stream = arelay(events, CompletionStream(), context_scopes())
        return _opened(stream)  # type: ignore[return-value]

    # ------------------------------------------------------------------ tool calling
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat kwargs offering ``tools`` (OpenAI form) with the right ``tool_choice``."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        specs = tools_to_wire(tools)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            names = [spec["function"]["name"] for spec in specs]
            wanted = tool_choice if tool_choice is not None else tool_required or "auto"
            prepared["tools"] = specs
            prepared["tool_choice"] = tool_choice_to_wire(wanted, names)
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls are allowed."""
        if not allow_parallel_tool_calls:
            blocks, seen = [], False
            for block in response.message.blocks:
                if isinstance(block, ToolCallBlock):
                    if seen:
                        continue
                    seen = True
                blocks.append(block)
            response.message.blocks = blocks
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls in a response (or in a streamed chunk: the calls so far).

        Raises:
            InvalidToolCallError: When the model's answer calls a tool with arguments that are
                not a JSON object (cut off by ``max_tokens`` or malformed): such a call is
                never turned into a selection, so an agent cannot run the tool with its
                default arguments. Raise ``max_tokens`` or ask again.
        """
        invalid = response.message.additional_kwargs.get(INVALID_TOOL_CALLS_KEY)
        if invalid:
            first = invalid[0]
            raise InvalidToolCallError(
                f"{self.model} called tool {first['name']!r} with arguments that are not a "
                f"JSON object ({first['error']}); the call was not run. Raise max_tokens if "
                "the answer was cut off, or ask again.",
                details={
                    "tool_name": first["name"],
                    "tool_call_id": first["id"],
                    "arguments": first["args"],
                    "error": first["error"],
                    "invalid_tool_calls": invalid,
                },
            )
        selections = [
            ToolSelection(
                tool_id=block.tool_call_id or f"call_{index}",
                tool_name=block.tool_name,
                tool_kwargs=tool_call_arguments(block),
            )
            for index, block in enumerate(
                b for b in response.message.blocks if isinstance(b, ToolCallBlock)
            )
        ]
        if not selections and error_on_no_tool_call:
            raise ValueError(
                f"Expected at least one tool call from {self.model}, got none: "
                f"{response.message.content!r}"
            )
        return selections

    def as_structured_llm(self, output_cls: type[BaseModel], **kwargs: Any) -> StructuredLLM:
        """An LLM whose answers are ``output_cls`` objects (per-call kwargs protected too)."""
        return IndoxHubStructuredLLM(llm=self, output_cls=output_cls, **kwargs)

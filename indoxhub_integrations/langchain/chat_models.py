"""``ChatIndoxHub``: every indoxhub chat model as a LangChain ``BaseChatModel``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.base import OutputParserLike
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableMap,
    RunnablePassthrough,
    ensure_config,
)
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_function, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from ..core.catalog import model_profile
from ..core.content import tool_choice_to_wire
from ._fields import (
    BYOK_PER_CALL,
    LC_NAMESPACE,
    IndoxHubFields,
    SamplingFields,
    mask_per_call_key,
    per_call_key,
    register_for_load,
    sanitize_params,
)
from ._langsmith import (
    CostIntoUsage,
    add_costs,
    configured_handlers,
    cost_in_usage,
    with_handler_first,
)
from ._tokens import TokenCounting
from .errors import IndoxHubInvalidRequestError, map_errors
from .messages import ChunkBuilder, generation_info, messages_to_wire, result_to_message

try:  # a typed RunnableBinding for chat models (langchain-core >= 1.x)
    from langchain_core.language_models.chat_models import _ChatModelBinding as _BindingBase
except ImportError:  # pragma: no cover - older langchain-core
    from langchain_core.runnables import RunnableBinding as _BindingBase  # type: ignore[assignment]


class _IndoxHubBinding(_BindingBase):  # type: ignore[misc, valid-type]
    """A binding that keeps a bound BYOK key wrapped in ``SecretStr`` through re-binding."""

    def bind(self, **kwargs: Any) -> Any:
        """Bind more keyword arguments (a ``byok_api_key`` string is masked)."""
        return super().bind(**mask_per_call_key(kwargs))


class ChatIndoxHub(TokenCounting, IndoxHubFields, SamplingFields, BaseChatModel):
    """indoxhub chat models (OpenAI, Anthropic, Google, Mistral, DeepSeek, xAI...) in LangChain.

    One indoxhub key reaches every provider; add your own provider key (BYOK) to spend no
    indoxhub credits. Every answer carries ``usage_metadata`` and ``response_metadata`` with
    the cost, whether it was BYOK, and the provider's request id.

    Example:
        .. code-block:: python

            from indoxhub_integrations.langchain import ChatIndoxHub, get_indoxhub_callback

            llm = ChatIndoxHub(model="openai/gpt-4o-mini")  # INDOXHUB_API_KEY
            with get_indoxhub_callback() as cb:
                llm.invoke("Hello")
                llm.invoke("Hello", byok_api_key="sk-...")  # your own OpenAI key
            print(cb.total_cost, cb.byok_requests)
    """

    streaming: bool = False
    """Stream by default: ``invoke`` then assembles the streamed chunks."""

    cost_in_usage_metadata: bool | None = None
    """Put indoxhub's cost in the answer's ``usage_metadata`` (``total_cost``, and
    ``input_cost``/``output_cost`` when the answer splits it; ``0.0`` for BYOK; left out when
    unknown), where LangSmith reads a run's cost. ``None`` (default, auto): only when the run
    is traced to LangSmith (a ``LangChainTracer`` among its callbacks) and no
    ``UsageMetadataCallbackHandler`` is (``get_usage_metadata_callback()`` sums usage with
    langchain-core's integer-only ``add_usage``, which raises on a second float cost; the cost
    is then left out, with a one-time warning). ``True``: always; ``False``: never. The cost
    is in ``response_metadata["cost"]`` either way."""

    @property
    def _llm_type(self) -> str:
        return "indoxhub-chat"

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The serialization namespace: ``indoxhub_integrations.langchain.chat_models``."""
        return [*LC_NAMESPACE, "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, **self.sampling_params(), **self.model_kwargs}

    def _get_invocation_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        params = super()._get_invocation_params(stop=stop, **kwargs)
        model = kwargs.get("model")
        byok = self.uses_byok(
            model if isinstance(model, str) else self.model,
            per_call_key(kwargs.get(BYOK_PER_CALL)),
        )
        return sanitize_params(params, byok=byok)

    def _get_llm_string(self, stop: list[str] | None = None, **kwargs: Any) -> str:
        return super()._get_llm_string(stop=stop, **sanitize_params(kwargs, byok=False))

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(**self.ls_params("chat", stop, kwargs))  # type: ignore[typeddict-item]

    # ------------------------------------------------------------------ cost in usage_metadata
    # The cost goes into the final message's usage_metadata, never into a stream chunk's
    # (langchain-core's chunk merge cannot add floats). langchain-core hands the run manager
    # to ``_generate`` but not to ``_stream``: ``invoke`` paths add the cost to the result of
    # ``_generate_with_cache`` (streamed or not); ``stream``/``astream`` put a handler first
    # among the run's callbacks that adds it to the merged message before the tracer reads it.
    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """Stream the answer (see ``BaseChatModel.stream``).

        A generator, as LangChain's: the run's callbacks (and so whether the cost goes in)
        are read when the stream starts, not when it is created."""
        yield from super().stream(input, self._stream_config(config), stop=stop, **kwargs)

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        """Stream the answer asynchronously (see ``BaseChatModel.astream``); the run's
        callbacks are read when the stream starts, as in :meth:`stream`."""
        async for chunk in super().astream(input, self._stream_config(config), stop=stop, **kwargs):
            yield chunk

    def _stream_config(self, config: RunnableConfig | None) -> RunnableConfig | None:
        """``config`` with a :class:`CostIntoUsage` handler first when the cost goes in."""
        if self.cost_in_usage_metadata is False:
            return config
        config = ensure_config(config)
        if not cost_in_usage(
            self.cost_in_usage_metadata,
            lambda: configured_handlers(config, self.callbacks, self.verbose),
        ):
            return config
        return with_handler_first(config, CostIntoUsage())

    def _generate_with_cache(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        result = super()._generate_with_cache(messages, stop, run_manager, **kwargs)
        if self._cost_in_usage(run_manager):
            add_costs([result.generations])
        return result

    async def _agenerate_with_cache(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        result = await super()._agenerate_with_cache(messages, stop, run_manager, **kwargs)
        if self._cost_in_usage(run_manager):
            add_costs([result.generations])
        return result

    def _cost_in_usage(self, run_manager: Any) -> bool:
        return cost_in_usage(self.cost_in_usage_metadata, lambda: _handlers(run_manager))

    @staticmethod
    def _chat_result(result: Any, model: str) -> ChatResult:
        """The LangChain result of one answer (its cost goes into ``usage_metadata``, per the
        setting, in ``_generate_with_cache``, which every invoke path passes through)."""
        message = result_to_message(result, model)
        info = generation_info(result.meta, model)
        return ChatResult(generations=[ChatGeneration(message=message, generation_info=info)])

    def _convert_cached_generations(self, cache_val: list[Any]) -> list[ChatGeneration]:
        """Cache hits: langchain-core sets ``total_cost`` to 0; the cost split goes to 0 too
        (a replayed answer cost nothing, and LangSmith must not show the original's split)."""
        generations = super()._convert_cached_generations(cache_val)
        return [_without_split_cost(generation) for generation in generations]

    # ------------------------------------------------------------------ requests
    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str, dict[str, Any], Any]:
        """Messages, model, parameters and per-call BYOK key of one request."""
        model, params, byok = self.call_params(self.model, stop, kwargs)
        return messages_to_wire(messages), model, params, byok

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with map_errors():
            wire, model, params, byok = self._request(messages, stop, kwargs)
            result = self.clients.sync.chat(wire, model=model, byok_api_key=byok, **params)
        return self._chat_result(result, model)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with map_errors():
            wire, model, params, byok = self._request(messages, stop, kwargs)
            client = self.clients.async_
            result = await client.chat(wire, model=model, byok_api_key=byok, **params)
        return self._chat_result(result, model)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with map_errors():
            wire, model, params, byok = self._request(messages, stop, kwargs)
            events = self.clients.sync.stream_chat(wire, model=model, byok_api_key=byok, **params)
            builder = ChunkBuilder(model, usage=kwargs.get("stream_usage", self.stream_usage))
            for event in events:
                chunk = builder.feed(event)
                if chunk is not None:
                    info = builder.generation_info
                    yield ChatGenerationChunk(message=chunk, generation_info=info)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        with map_errors():
            wire, model, params, byok = self._request(messages, stop, kwargs)
            client = self.clients.async_
            events = await client.stream_chat(wire, model=model, byok_api_key=byok, **params)
            builder = ChunkBuilder(model, usage=kwargs.get("stream_usage", self.stream_usage))
            async for event in events:
                chunk = builder.feed(event)
                if chunk is not None:
                    info = builder.generation_info
                    yield ChatGenerationChunk(message=chunk, generation_info=info)

    # ------------------------------------------------------------------ profile
    def load_profile(self) -> Any:
        """Fill ``profile`` from indoxhub's model catalog (one request) and return it.

        Constructors do no network I/O, so ``profile`` starts unset; call this once before
        handing the model to code that reads limits (agent middleware, summarization). Only
        what the catalog states is set (``max_input_tokens`` from the context window,
        ``max_output_tokens``, ``tool_calling``, ``structured_output``, ``image_inputs``,
        ``reasoning_output``); unknown capabilities stay unset.
        """
        with map_errors():
            info = self.clients.sync.get_model(self.model)
        self.profile = model_profile(info)  # type: ignore[assignment]
        return self.profile

    async def aload_profile(self) -> Any:
        """Async :meth:`load_profile`."""
        with map_errors():
            info = await self.clients.async_.get_model(self.model)
        self.profile = model_profile(info)  # type: ignore[assignment]
        return self.profile

    # ------------------------------------------------------------------ binding
    def bind(self, **kwargs: Any) -> Any:
        """Bind call arguments; a ``byok_api_key`` string is wrapped in ``SecretStr``."""
        return _IndoxHubBinding(bound=self, kwargs=mask_per_call_key(kwargs), config={})

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer tools to the model.

        Args:
            tools: LangChain tools, functions, pydantic models, TypedDicts or tool dicts.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (must call a
                tool), a tool name, or ``{"type": "function", "function": {"name": ...}}``.
            strict: Ask for strict schema adherence where the provider supports it.
            parallel_tool_calls: Allow or forbid several calls in one answer.
            **kwargs: More call arguments (``byok_api_key``...).
        """
        try:
            formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        except (AttributeError, KeyError, TypeError) as exc:  # malformed tool dicts
            raise IndoxHubInvalidRequestError(
                f"A tool could not be converted to the OpenAI tool form ({exc}): pass LangChain "
                "tools, functions, pydantic classes or {'type': 'function', 'function': {...}}."
            ) from None
        names = [tool["function"]["name"] for tool in formatted if "function" in tool]
        with map_errors():
            choice = tool_choice_to_wire(tool_choice, names)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return self.bind(tools=formatted, **kwargs)  # type: ignore[no-any-return]

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Return a runnable whose output follows ``schema``.

        Args:
            schema: A pydantic class, TypedDict, JSON schema or OpenAI tool schema.
            method: ``"function_calling"`` (a forced tool call, the most widely supported),
                ``"json_schema"`` (``response_format`` with the schema) or ``"json_mode"``
                (``response_format={"type": "json_object"}``; describe the keys in the prompt).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising on a
                parsing error.
            strict: Ask for strict schema adherence where supported.
            **kwargs: More call arguments (``byok_api_key``...).
        """
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        structured_kwargs = {"method": method, "strict": strict}
        parser: OutputParserLike
        if method == "function_calling":
            tool_name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools(
                [schema],
                tool_choice=tool_name,
                strict=strict,
                ls_structured_output_format={"kwargs": structured_kwargs, "schema": schema},
                **kwargs,
            )
            if is_pydantic:
                parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            else:
                parser = JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
        elif method in ("json_schema", "json_mode"):
            if method == "json_schema":
                function = convert_to_openai_function(schema, strict=strict)
                json_schema = {"name": function["name"], "schema": function["parameters"]}
                if function.get("description"):
                    json_schema["description"] = function["description"]
                if strict is not None:
                    json_schema["strict"] = strict
                response_format: dict[str, Any] = {
                    "type": "json_schema",
                    "json_schema": json_schema,
                }
            else:
                response_format = {"type": "json_object"}
            llm = self.bind(
                response_format=response_format,
                ls_structured_output_format={"kwargs": structured_kwargs, "schema": schema},
                **kwargs,
            )
            parser = (
                PydanticOutputParser(pydantic_object=schema)  # type: ignore[arg-type]
                if is_pydantic
                else JsonOutputParser()
            )
        else:
            raise ValueError(
                f"Unknown method {method!r}: use 'function_calling', 'json_schema' or 'json_mode'."
            )
        if not include_raw:
            return llm | parser
        parse_raw = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parse_raw.with_fallbacks(
            [no_parse], exception_key="parsing_error"
        )


def _without_split_cost(generation: ChatGeneration) -> ChatGeneration:
    usage = getattr(generation.message, "usage_metadata", None)
    if not usage or not ("input_cost" in usage or "output_cost" in usage):
        return generation
    zeroed = {**usage, **{key: 0 for key in ("input_cost", "output_cost") if key in usage}}
    generation.message = generation.message.model_copy(update={"usage_metadata": zeroed})
    return generation


def _handlers(run_manager: Any) -> list[Any]:
    return list(getattr(run_manager, "handlers", None) or ())


register_for_load(ChatIndoxHub)

"""``IndoxHubLLM``: indoxhub's text completions endpoint as a LangChain ``BaseLLM``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_core.runnables import RunnableConfig

from ..core.wire import ChatResult, ResponseMeta, StreamEvent, Usage
from ._fields import (
    LC_NAMESPACE,
    IndoxHubFields,
    SamplingFields,
    mask_per_call_key,
    register_for_load,
)
from ._tokens import TokenCounting
from .errors import map_errors
from .messages import generation_info, result_metadata


def usage_info(usage: Usage) -> dict[str, int]:
    """Token counts of a text completion, for ``generation_info["usage"]``."""
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens or usage.input_tokens + usage.output_tokens,
        "cached_tokens": usage.cached_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def completion_info(
    meta: ResponseMeta, usage: Usage, finish_reason: str | None, model: str
) -> dict[str, Any]:
    """The ``generation_info`` of one completion: metadata, cost, BYOK markers, usage, and the
    resolved provider and model as gateway metadata (LangSmith's ``ls_provider`` and
    ``ls_model_name``)."""
    info = result_metadata(
        meta, usage, finish_reason=finish_reason, requested_model=model, endpoint="completion"
    )
    info["usage"] = usage_info(usage)
    info.update(generation_info(meta, model))
    return info


def _generation(result: ChatResult, model: str) -> Generation:
    return Generation(
        text=result.text,
        generation_info=completion_info(result.meta, result.usage, result.finish_reason, model),
    )


def _final_chunk(event: StreamEvent, model: str, streamed: bool) -> GenerationChunk:
    result = event.done_result()
    text = "" if streamed else result.text
    info = completion_info(result.meta, result.usage, result.finish_reason, model)
    return GenerationChunk(text=text, generation_info=info)


class IndoxHubLLM(TokenCounting, IndoxHubFields, SamplingFields, BaseLLM):
    """indoxhub text completions (``/api/v1/completions``) as a LangChain LLM.

    Example:
        .. code-block:: python

            from indoxhub_integrations.langchain import IndoxHubLLM

            llm = IndoxHubLLM(model="openai/gpt-4o-mini")
            llm.invoke("Once upon a time")
            llm.invoke("Once upon a time", byok_api_key="sk-...")  # your own key
    """

    @property
    def _llm_type(self) -> str:
        return "indoxhub-completion"

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The serialization namespace: ``indoxhub_integrations.langchain.llms``."""
        return [*LC_NAMESPACE, "llms"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, **self.sampling_params(), **self.model_kwargs}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(**self.ls_params("llm", stop, kwargs))  # type: ignore[typeddict-item]

    # BaseLLM.stream copies call kwargs into the traced invocation params: a per-call key
    # is wrapped in SecretStr first, so callbacks and tracers only ever see it masked.
    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[str]:
        """Stream the completion text (see ``BaseLLM.stream``)."""
        yield from super().stream(input, config, stop=stop, **mask_per_call_key(kwargs))

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str]:
        """Stream the completion text asynchronously (see ``BaseLLM.astream``)."""
        async for text in super().astream(input, config, stop=stop, **mask_per_call_key(kwargs)):
            yield text

    def _request(
        self, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], Any]:
        return self.call_params(self.model, stop, kwargs)

    @staticmethod
    def _llm_output(generations: list[list[Generation]], model: str) -> dict[str, Any]:
        totals: dict[str, int] = {}
        for generation_list in generations:
            for generation in generation_list:
                for key, value in ((generation.generation_info or {}).get("usage") or {}).items():
                    totals[key] = totals.get(key, 0) + value
        return {"token_usage": totals, "model_name": model}

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        with map_errors():
            model, params, byok = self._request(stop, kwargs)
            client = self.clients.sync
            generations = [
                [_generation(client.complete(p, model=model, byok_api_key=byok, **params), model)]
                for p in prompts
            ]
        return LLMResult(generations=generations, llm_output=self._llm_output(generations, model))

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        with map_errors():
            model, params, byok = self._request(stop, kwargs)
            client = self.clients.async_
            results = await asyncio.gather(
                *(client.complete(p, model=model, byok_api_key=byok, **params) for p in prompts)
            )
        generations = [[_generation(result, model)] for result in results]
        return LLMResult(generations=generations, llm_output=self._llm_output(generations, model))

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        with map_errors():
            model, params, byok = self._request(stop, kwargs)
            events = self.clients.sync.stream_complete(
                prompt, model=model, byok_api_key=byok, **params
            )
            streamed = False
            for event in events:
                if event.type == "done":
                    chunk = _final_chunk(event, model, streamed)
                elif event.text_delta:
                    streamed = True
                    chunk = GenerationChunk(text=event.text_delta)
                else:
                    continue
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        with map_errors():
            model, params, byok = self._request(stop, kwargs)
            client = self.clients.async_
            events = await client.stream_complete(prompt, model=model, byok_api_key=byok, **params)
            streamed = False
            async for event in events:
                if event.type == "done":
                    chunk = _final_chunk(event, model, streamed)
                elif event.text_delta:
                    streamed = True
                    chunk = GenerationChunk(text=event.text_delta)
                else:
                    continue
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk


register_for_load(IndoxHubLLM)

"""Public entry points that protect a per-call BYOK key before LlamaIndex instruments a call.

LlamaIndex copies call kwargs into instrumentation events (``LLMChatStartEvent``...), span
arguments and legacy callback payloads. Each wrapper here turns ``byok_api_key`` (also inside
``llm_kwargs``) into a ``SecretStr`` and then calls the instrumented implementation, so those
copies show ``'**********'``. The wrappers are marked as already traced, so LlamaIndex's span
mixin does not wrap them (a span around them would capture the plain key).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from llama_index.core.instrumentation import DISPATCHER_SPAN_DECORATED_ATTR
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.structured_llm import StructuredLLM

from ._fields import BYOK_KWARG, call_key, pop_call_key, protect_kwargs

if TYPE_CHECKING:
    _ToolCallingBase = FunctionCallingLLM
else:
    _ToolCallingBase = object

_F = TypeVar("_F", bound=Callable[..., Any])


def public(method: _F) -> _F:
    """Mark a thin public wrapper as traced already, so the span mixin leaves it alone."""
    setattr(method, DISPATCHER_SPAN_DECORATED_ATTR, True)
    return method


def protected(base: type, name: str) -> Any:
    """A public override of ``base.<name>`` that protects the per-call key, then delegates.

    The override keeps the original's name, docstring and signature (``__wrapped__``), is a
    coroutine function exactly when the original is, and is marked as traced already.
    """
    original = getattr(base, name)
    prepare = _structured_kwargs if name in _STRUCTURED_PREDICT else protect_kwargs

    async def async_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await original(self, *args, **prepare(kwargs))

    def sync_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return original(self, *args, **prepare(kwargs))

    return _override(
        original, sync_method, async_method,
        "A per-call ``byok_api_key`` (also inside ``llm_kwargs``) is wrapped in ``SecretStr`` "
        "before LlamaIndex instruments the call.",
    )  # fmt: skip


def _override(original: Any, sync_method: Any, async_method: Any, note: str) -> Any:
    """The sync or async variant (as ``original`` is), dressed as ``original``, its docstring
    extended with ``note``, marked as traced already."""
    method = async_method if inspect.iscoroutinefunction(original) else sync_method
    functools.update_wrapper(method, original)
    method.__doc__ = f"{original.__doc__ or ''}\n\n{note}"
    return public(method)


def _structured_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``structured_predict(..., byok_api_key=k)``: the key moves into ``llm_kwargs``.

    LlamaIndex treats extra keyword arguments of the structured family as prompt template
    variables (formatted into the prompt, copied into ``LLMStructuredPredictStartEvent``); the
    key belongs to the request, which LlamaIndex builds from ``llm_kwargs``.
    """
    rest = dict(kwargs)
    key = pop_call_key(rest)
    if key is not None:
        nested = dict(rest.get("llm_kwargs") or {})
        nested.setdefault(BYOK_KWARG, key)
        rest["llm_kwargs"] = nested
    return protect_kwargs(rest)


def predicting(base: type, name: str) -> Any:
    """A public override of ``base.<name>`` (``predict``, ``stream``...) that takes a per-call
    ``byok_api_key`` out of the prompt arguments and uses it for the request.

    Without this, LlamaIndex formats the key into the prompt as a template variable and copies
    it into ``LLMPredictStartEvent.template_args`` and the span's ``prompt_args``, and the
    request is billed to the platform. The key is held in a context variable (see
    :func:`~._fields.call_key`) while LlamaIndex builds and sends the request, so no event,
    span or callback payload of the call holds it.
    """
    original = getattr(base, name)

    async def async_method(self: Any, prompt: Any, **prompt_args: Any) -> Any:
        key = pop_call_key(prompt_args)
        with call_key(key):
            return await original(self, prompt, **prompt_args)

    def sync_method(self: Any, prompt: Any, **prompt_args: Any) -> Any:
        key = pop_call_key(prompt_args)
        with call_key(key):
            return original(self, prompt, **prompt_args)

    return _override(
        original, sync_method, async_method,
        "A per-call ``byok_api_key=...`` is used for the request and never reaches the prompt, "
        "instrumentation events or spans.",
    )  # fmt: skip


_STRUCTURED_PREDICT = (
    "structured_predict", "astructured_predict",
    "stream_structured_predict", "astream_structured_predict",
)  # fmt: skip
_PREDICT = ("predict", "stream", "apredict", "astream")
_TOOL_CALLING = (
    "chat_with_tools", "achat_with_tools", "stream_chat_with_tools", "astream_chat_with_tools",
    "predict_and_call", "apredict_and_call", "structured_predict", "astructured_predict",
    "stream_structured_predict", "astream_structured_predict",
)  # fmt: skip
_STRUCTURED = (
    "chat", "achat", "stream_chat", "astream_chat",
    "complete", "acomplete", "stream_complete", "astream_complete",
)  # fmt: skip


class ProtectedToolCalls(_ToolCallingBase):
    """``*_with_tools``, ``predict_and_call``, ``*structured_predict`` and ``predict``,
    ``stream``, ``apredict``, ``astream`` with protected (and used) per-call keys."""


class IndoxHubStructuredLLM(StructuredLLM):
    """``llm.as_structured_llm(Model)`` for ``IndoxHub``: per-call kwargs protected too."""

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "IndoxHubStructuredLLM"


for _name in _TOOL_CALLING:
    setattr(ProtectedToolCalls, _name, protected(FunctionCallingLLM, _name))
for _name in _PREDICT:
    setattr(ProtectedToolCalls, _name, predicting(FunctionCallingLLM, _name))
for _name in _STRUCTURED:
    setattr(IndoxHubStructuredLLM, _name, protected(StructuredLLM, _name))

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

from ._fields import protect_kwargs

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

    async def async_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await original(self, *args, **protect_kwargs(kwargs))

    def sync_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return original(self, *args, **protect_kwargs(kwargs))

    method = async_method if inspect.iscoroutinefunction(original) else sync_method
    functools.update_wrapper(method, original)
    method.__doc__ = (
        f"{original.__doc__ or ''}\n\nA per-call ``byok_api_key`` (also inside ``llm_kwargs``) "
        "is wrapped in ``SecretStr`` before LlamaIndex instruments the call."
    )
    return public(method)


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
    """``*_with_tools``, ``predict_and_call`` and ``*structured_predict`` with protected kwargs."""


class IndoxHubStructuredLLM(StructuredLLM):
    """``llm.as_structured_llm(Model)`` for ``IndoxHub``: per-call kwargs protected too."""

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "IndoxHubStructuredLLM"


for _name in _TOOL_CALLING:
    setattr(ProtectedToolCalls, _name, protected(FunctionCallingLLM, _name))
for _name in _STRUCTURED:
    setattr(IndoxHubStructuredLLM, _name, protected(StructuredLLM, _name))

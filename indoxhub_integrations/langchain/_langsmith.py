"""What LangSmith sees of an indoxhub model call: the cost in ``usage_metadata``, and the
provider and model that answered (``ls_provider``/``ls_model_name``).

LangSmith reads a run's custom cost from ``usage_metadata`` (``input_cost``, ``output_cost``,
``total_cost``); langchain-core's ``LangChainTracer`` copies it there from the run's final
message. But langchain-core adds usage dicts with integer-only arithmetic (``add_usage``):

- merging stream chunks (``merge_chat_generation_chunks`` turns the missing usage of two text
  chunks into a dict of zeros, which then meets the last chunk's float): so the cost never
  rides on a chunk; :class:`CostIntoUsage` adds it to the merged message before the tracer
  reads it (``stream``/``astream``), and ``invoke`` adds it to the final message;
- ``UsageMetadataCallbackHandler`` (``get_usage_metadata_callback()``) raises from the second
  call whose usage holds a float cost: :func:`cost_in_usage` (auto mode) leaves it out then.

The resolved provider and model travel as gateway metadata on the generation
(``generation_info["lc_gateway_metadata"]``): the tracer promotes them to the run's
``ls_provider``/``ls_model_name`` (over the request-time ``"indoxhub"`` and requested
model), as it does for LangSmith's own gateway.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager, CallbackManager
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import RunnableConfig

from ..core.wire import ResponseMeta

try:
    from langchain_core.utils._gateway import GATEWAY_METADATA_RESPONSE_KEY as GATEWAY_INFO_KEY
except ImportError:  # pragma: no cover - langchain-core without gateway metadata
    GATEWAY_INFO_KEY = "lc_gateway_metadata"

try:
    from langchain_core.callbacks.usage import UsageMetadataCallbackHandler
except ImportError:  # pragma: no cover - langchain-core without the usage handler
    UsageMetadataCallbackHandler = None  # type: ignore[assignment, misc]

logger = logging.getLogger(__name__)

_warned = False


@functools.cache
def _tracer_class() -> type[Any] | None:
    try:
        from langchain_core.tracers.langchain import LangChainTracer
    except ImportError:  # pragma: no cover - langsmith missing
        return None
    return LangChainTracer


def cost_in_usage(
    setting: bool | None, handlers: Callable[[], Iterable[BaseCallbackHandler]]
) -> bool:
    """Whether one call's answer carries its cost in ``usage_metadata``.

    Args:
        setting: ``True`` (always), ``False`` (never) or ``None`` (auto: when a
            ``LangChainTracer`` is among the run's handlers and no
            ``UsageMetadataCallbackHandler`` is).
        handlers: Gives the run's handlers (inherited ones included); called in auto mode only.
    """
    if setting is not None:
        return setting
    found = list(handlers())
    tracer = _tracer_class()
    if tracer is None or not any(isinstance(handler, tracer) for handler in found):
        return False
    if UsageMetadataCallbackHandler is not None and any(
        isinstance(handler, UsageMetadataCallbackHandler) for handler in found
    ):
        _explain_once()
        return False
    return True


def configured_handlers(
    config: RunnableConfig | None, local: Any, verbose: bool
) -> list[BaseCallbackHandler]:
    """The handlers a call with ``config`` will run (tracing and configure hooks included),
    for the entry points that do not hand the run manager down (``stream``/``astream``)."""
    callbacks = (config or {}).get("callbacks")
    return list(CallbackManager.configure(callbacks, local, verbose).handlers)


def _explain_once() -> None:
    global _warned
    if _warned:
        return
    _warned = True
    logger.warning(
        "indoxhub's cost is left out of usage_metadata (so LangSmith shows no cost for this "
        "run): a UsageMetadataCallbackHandler (get_usage_metadata_callback()) is active, and "
        "langchain-core's add_usage cannot sum float costs. The cost stays in "
        "response_metadata['cost']; get_indoxhub_callback() totals it. "
        "ChatIndoxHub(cost_in_usage_metadata=True) forces it in (that handler then fails)."
    )


COST_KEYS = ("total_cost", "input_cost", "output_cost")
"""The ``usage_metadata`` keys LangSmith reads a run's cost from."""
_METADATA_COSTS = {"total_cost": "cost", "input_cost": "input_cost", "output_cost": "output_cost"}


_Message = TypeVar("_Message", bound=BaseMessage)


def with_cost_in_usage(message: _Message) -> _Message:
    """``message`` with indoxhub's cost (from its ``response_metadata``) in ``usage_metadata``.

    ``total_cost`` is the answer's cost (``0.0`` for BYOK), ``input_cost``/``output_cost``
    its split when the answer gave one; an unknown cost adds nothing (never 0). Unchanged:
    a message without usage, or whose usage already has ``total_cost`` (a LangChain cache
    hit, where langchain-core wrote an integer 0).
    """
    usage = getattr(message, "usage_metadata", None)
    meta = message.response_metadata
    if not usage or "total_cost" in usage or not isinstance(meta.get("cost"), int | float):
        return message
    costs = {
        key: float(value)
        for key, source in _METADATA_COSTS.items()
        if isinstance(value := meta.get(source), int | float) and not isinstance(value, bool)
    }
    return message.model_copy(update={"usage_metadata": {**usage, **costs}})


def add_costs(generations: list[list[Any]]) -> None:
    """Put the cost in ``usage_metadata`` of every chat generation of an indoxhub run
    (in place)."""
    for batch in generations:
        for generation in batch:
            if isinstance(generation, ChatGeneration):
                generation.message = with_cost_in_usage(generation.message)


class CostIntoUsage(BaseCallbackHandler):
    """Adds the cost to a streamed run's merged message before the tracer reads it.

    ``stream``/``astream`` put it first among the run's handlers; it runs inline, so it
    ends before the ``LangChainTracer`` (and every other handler) sees ``on_llm_end``.
    """

    run_inline = True
    """Run in order, before the handlers that come after it."""

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Add the cost to the run's final message."""
        add_costs(response.generations)


def with_handler_first(config: RunnableConfig, handler: BaseCallbackHandler) -> RunnableConfig:
    """``config`` with ``handler`` first among its callbacks (the config is not changed)."""
    callbacks = config.get("callbacks")
    if isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        manager.handlers = [handler, *manager.handlers]
        return {**config, "callbacks": manager}
    return {**config, "callbacks": [handler, *(callbacks or [])]}


def gateway_info(meta: ResponseMeta, requested_model: str) -> dict[str, str]:
    """The resolved ``provider`` and ``model`` (the provider's own name) of an answer.

    Promoted by langchain-core's tracer to ``ls_provider``/``ls_model_name`` (the names
    LangSmith's model pricing map matches), with ``gateway: "indoxhub"``.
    """
    resolved = meta.model or requested_model
    provider = meta.provider or (resolved.partition("/")[0] if "/" in resolved else None)
    info = {"gateway": "indoxhub"}
    if provider:
        info["provider"] = provider
        prefix = provider + "/"
        info["model"] = resolved[len(prefix) :] if resolved.startswith(prefix) else resolved
    else:
        info["model"] = resolved
    return info

"""What LangSmith sees of an indoxhub model call: the cost in ``usage_metadata``, and the
provider and model that answered (``ls_provider``/``ls_model_name``).

LangSmith reads a run's custom cost from ``usage_metadata`` (``input_cost``, ``output_cost``,
``total_cost``); langchain-core's ``LangChainTracer`` copies it there from the answer's
message. But langchain-core adds usage dicts with integer-only arithmetic (``add_usage``):
``UsageMetadataCallbackHandler`` (``get_usage_metadata_callback()``) raises from the second
call whose usage holds a float cost. :func:`cost_in_usage` decides per call whether the cost
goes in (see ``ChatIndoxHub.cost_in_usage_metadata``).

The resolved provider and model travel as gateway metadata on the generation
(``generation_info["lc_gateway_metadata"]``): the tracer promotes them to the run's
``ls_provider``/``ls_model_name`` (over the request-time ``"indoxhub"`` and requested
model), as it does for LangSmith's own gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

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


def _tracer_class() -> type[Any] | None:
    try:
        from langchain_core.tracers.langchain import LangChainTracer
    except ImportError:  # pragma: no cover - langsmith missing
        return None
    return LangChainTracer


def cost_in_usage(setting: bool | None, handlers: Iterable[BaseCallbackHandler]) -> bool:
    """Whether one call's answer carries its cost in ``usage_metadata``.

    Args:
        setting: ``True`` (always), ``False`` (never) or ``None`` (auto: when a
            ``LangChainTracer`` is among the run's handlers and no
            ``UsageMetadataCallbackHandler`` is).
        handlers: The run manager's handlers (inherited ones included).
    """
    if setting is not None:
        return setting
    handlers = list(handlers)
    tracer = _tracer_class()
    if tracer is None or not any(isinstance(handler, tracer) for handler in handlers):
        return False
    if UsageMetadataCallbackHandler is not None and any(
        isinstance(handler, UsageMetadataCallbackHandler) for handler in handlers
    ):
        _explain_once()
        return False
    return True


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

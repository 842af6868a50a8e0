"""indoxhub-integrations: indoxhub as a first-class citizen of LangChain and LlamaIndex.

The core (this package's top level) imports neither framework::

    from indoxhub_integrations import IndoxHubClient
    client = IndoxHubClient()  # INDOXHUB_API_KEY
    client.chat([{"role": "user", "content": "Hi"}], model="openai/gpt-4o-mini").text

The clients, the usage ledger and ``errors`` are imported on first use, so that importing a
submodule (the pytest plugin, which pytest loads in every session) imports neither httpx nor
pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import errors
    from .core.budget import Budget
    from .core.client import AsyncIndoxHubClient, IndoxHubClient
    from .core.usage import UsageLedger, UsageRecord

__all__ = [
    "AsyncIndoxHubClient",
    "Budget",
    "IndoxHubClient",
    "UsageLedger",
    "UsageRecord",
    "__version__",
    "errors",
]

_LAZY = {
    "AsyncIndoxHubClient": "core.client",
    "Budget": "core.budget",
    "IndoxHubClient": "core.client",
    "UsageLedger": "core.usage",
    "UsageRecord": "core.usage",
}


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name == "errors":
        value: Any = import_module(".errors", __name__)
    elif name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value

"""indoxhub-integrations: indoxhub as a first-class citizen of LangChain and LlamaIndex.

The core (this package's top level) imports neither framework::

    from indoxhub_integrations import IndoxHubClient
    client = IndoxHubClient()  # INDOXHUB_API_KEY
    client.chat([{"role": "user", "content": "Hi"}], model="openai/gpt-4o-mini").text
"""

from . import errors
from ._version import __version__
from .core.client import AsyncIndoxHubClient, IndoxHubClient
from .core.usage import UsageLedger, UsageRecord

__all__ = [
    "AsyncIndoxHubClient",
    "IndoxHubClient",
    "UsageLedger",
    "UsageRecord",
    "__version__",
    "errors",
]

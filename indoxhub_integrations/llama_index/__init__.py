"""indoxhub for LlamaIndex: an LLM, an embedding model, media tools and cost tracking.

::

    from llama_index.core import Settings
    from indoxhub_integrations.llama_index import IndoxHub, IndoxHubEmbedding, track_indoxhub_usage

    Settings.llm = IndoxHub(model="openai/gpt-4o-mini")
    Settings.embed_model = IndoxHubEmbedding(model="openai/text-embedding-3-small")
    with track_indoxhub_usage() as usage:
        ...
    print(usage)

Importing this package imports ``llama-index-core`` (the ``llama-index`` extra), never LangChain.
"""

from .embeddings import IndoxHubEmbedding
from .instrumentation import IndoxHubUsageEvent, IndoxHubUsageHandler, track_indoxhub_usage
from .llms import IndoxHub
from .tools import IndoxHubToolSpec

__all__ = [
    "IndoxHub",
    "IndoxHubEmbedding",
    "IndoxHubToolSpec",
    "IndoxHubUsageEvent",
    "IndoxHubUsageHandler",
    "track_indoxhub_usage",
]

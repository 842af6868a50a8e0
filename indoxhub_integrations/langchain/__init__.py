"""LangChain integration for indoxhub: chat model, LLM, embeddings, tools and cost tracking.

Importing this package imports ``langchain-core`` (the ``langchain`` extra) and never
LlamaIndex::

    from indoxhub_integrations.langchain import ChatIndoxHub, get_indoxhub_callback

    llm = ChatIndoxHub(model="openai/gpt-4o-mini")
    with get_indoxhub_callback() as cb:
        llm.invoke("Hello")
    print(cb)
"""

from .callbacks import IndoxHubCallbackHandler, get_indoxhub_callback
from .chat_models import ChatIndoxHub
from .embeddings import IndoxHubEmbeddings
from .llms import IndoxHubLLM
from .tools import (
    IndoxHubImageGenerationTool,
    IndoxHubSpeechToTextTool,
    IndoxHubTextToSpeechTool,
)
from .video_tool import IndoxHubVideoGenerationTool

__all__ = [
    "ChatIndoxHub",
    "IndoxHubCallbackHandler",
    "IndoxHubEmbeddings",
    "IndoxHubImageGenerationTool",
    "IndoxHubLLM",
    "IndoxHubSpeechToTextTool",
    "IndoxHubTextToSpeechTool",
    "IndoxHubVideoGenerationTool",
    "get_indoxhub_callback",
]

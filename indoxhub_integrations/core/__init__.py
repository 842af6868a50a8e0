"""Framework-free core: client, wire models, parsing, SSE, BYOK, usage and errors."""

from .budget import Budget
from .client import AsyncIndoxHubClient, IndoxHubClient
from .options import ClientSettings, IndoxHubOptions, resolve_settings
from .usage import UsageLedger, UsageRecord, record_from_result
from .wire import (
    ChatResult,
    EmbeddingResult,
    GeneratedImage,
    ImageResult,
    ModelInfo,
    ResponseMeta,
    SpeechResult,
    StreamEvent,
    ToolCall,
    ToolCallChunk,
    TranscriptionResult,
    Usage,
)

__all__ = [
    "AsyncIndoxHubClient",
    "Budget",
    "ChatResult",
    "ClientSettings",
    "EmbeddingResult",
    "GeneratedImage",
    "ImageResult",
    "IndoxHubClient",
    "IndoxHubOptions",
    "ModelInfo",
    "ResponseMeta",
    "SpeechResult",
    "StreamEvent",
    "ToolCall",
    "ToolCallChunk",
    "TranscriptionResult",
    "Usage",
    "UsageLedger",
    "UsageRecord",
    "record_from_result",
    "resolve_settings",
]

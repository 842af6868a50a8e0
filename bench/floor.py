"""The floor contender: the thinnest ``BaseChatModel`` that calls raw httpx.

No LangChain integration can beat it: it sends the bench's fixed body, reads the answer's text
by hand (``data`` of the legacy shape) and returns it; its stream yields one
``AIMessageChunk`` per text delta. No usage, no metadata, no error mapping, no retries: what is
left is LangChain's own cost per call (callbacks, run managers, message objects), which is
the limit for ``ChatIndoxHub``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from bench import shapes

PATH = "/api/v1/chat/completions"


def async_client(base_url: str) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on the aiohttp transport (as the core's, with its pool
    limits) where ``httpx-aiohttp`` is installed, else on httpx's own."""
    try:
        from httpx_aiohttp import AiohttpTransport

        from indoxhub_integrations.core.base import LIMITS
    except ImportError:
        return httpx.AsyncClient(base_url=base_url)
    return httpx.AsyncClient(base_url=base_url, transport=AiohttpTransport(limits=LIMITS))


class FloorChat(BaseChatModel):
    """A chat model that is nothing but an httpx call."""

    base_url: str
    """The bench server's root for the case's variant."""

    _client: httpx.Client | None = PrivateAttr(default=None)
    _aclient: httpx.AsyncClient | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "floor"

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.base_url)
        return self._client

    def _body(self, messages: list[BaseMessage], stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": shapes.MODEL,
            "messages": [{"role": "user", "content": m.content} for m in messages],
        }
        if stream:
            body["stream"] = True
        return body

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        data = self.client.post(PATH, json=self._body(messages, False)).json()
        message = AIMessage(content=data["data"])
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._aclient is None:  # one pool, on the aiohttp transport when installed
            self._aclient = async_client(self.base_url)
        answer = await self._aclient.post(PATH, json=self._body(messages, False))
        message = AIMessage(content=answer.json()["data"])
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self.client.stream("POST", PATH, json=self._body(messages, True)) as response:
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                event = json.loads(line[6:])
                if event.get("type") == "response.content_part.delta" and event.get("delta"):
                    yield ChatGenerationChunk(message=AIMessageChunk(content=event["delta"]))

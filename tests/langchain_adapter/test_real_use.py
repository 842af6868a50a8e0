"""Real LangChain use against the emulator: an LCEL chain, RAG, and a LangGraph agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from indoxhub_integrations.langchain import (
    ChatIndoxHub,
    IndoxHubEmbeddings,
    IndoxHubImageGenerationTool,
    get_indoxhub_callback,
)


def _conn(emulator: Any) -> dict[str, Any]:
    return {"base_url": emulator.base_url, "api_key": emulator.api_key}


def test_lcel_chain(emulator: Any) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You answer in one sentence."), ("human", "Tell me about {topic}.")]
    )
    chain = prompt | ChatIndoxHub(**_conn(emulator)) | StrOutputParser()
    with get_indoxhub_callback() as cb:
        answer = chain.invoke({"topic": "otters"})
        streamed = "".join(chain.stream({"topic": "otters"}))
        batch = chain.batch([{"topic": "owls"}, {"topic": "bats"}])
    assert isinstance(answer, str) and "otters" in answer
    assert streamed == answer
    assert len(batch) == 2 and "owls" in batch[0]
    assert cb.requests == 4


def test_rag_with_in_memory_vector_store(emulator: Any) -> None:
    embeddings = IndoxHubEmbeddings(**_conn(emulator))
    store = InMemoryVectorStore(embeddings)
    store.add_documents(
        [
            Document("Otters hold hands while they sleep so they do not drift apart.", id="1"),
            Document("The Eiffel Tower grows about 15 cm taller in summer heat.", id="2"),
            Document("Honey never spoils; edible honey was found in ancient tombs.", id="3"),
        ]
    )
    retriever = store.as_retriever(search_kwargs={"k": 1})
    hits = retriever.invoke("Why do otters hold hands while sleeping?")
    assert hits[0].id == "1"
    prompt = ChatPromptTemplate.from_template(
        "Answer from the context.\nContext: {context}\nQuestion: {question}"
    )

    def join(docs: list[Document]) -> str:
        return "\n".join(doc.page_content for doc in docs)

    chain = (
        {"context": retriever | join, "question": RunnablePassthrough()}
        | prompt
        | ChatIndoxHub(**_conn(emulator))
        | StrOutputParser()
    )
    with get_indoxhub_callback() as cb:
        answer = chain.invoke("Does honey spoil?")
    assert answer
    sent = [r.json for r in emulator.requests if r.endpoint == "chat"][-1]
    assert "Honey never spoils" in sent["messages"][0]["content"]
    assert cb.by_endpoint()["embedding"]["requests"] == 1  # the query embedding
    assert cb.by_endpoint()["chat"]["requests"] == 1


# create_react_agent is what the issue asks for; langgraph 1.x points to langchain.agents.
_PREBUILT = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")


@_PREBUILT
def test_langgraph_react_agent_uses_the_image_tool(emulator: Any, tmp_path: Path) -> None:
    from langgraph.prebuilt import create_react_agent

    image_tool = IndoxHubImageGenerationTool(output_dir=str(tmp_path), **_conn(emulator))
    agent = create_react_agent(ChatIndoxHub(**_conn(emulator)), [image_tool])
    with get_indoxhub_callback() as cb:
        state = agent.invoke({"messages": [("user", "Generate an image of a red fox in snow")]})
    messages = state["messages"]
    calls = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    assert calls and calls[0].tool_calls[0]["name"] == image_tool.name
    assert "fox" in calls[0].tool_calls[0]["args"]["prompt"]
    results = [m for m in messages if isinstance(m, ToolMessage)]
    assert results and results[0].artifact
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls and final.content
    assert cb.by_endpoint()["chat"]["requests"] == 2
    assert cb.by_endpoint()["image"]["requests"] == 1
    log = [r for r in emulator.requests if r.endpoint is not None]
    assert cb.requests == len(log) == 3
    assert abs(cb.platform_cost - sum(r.cost for r in log)) < 1e-9


@_PREBUILT
async def test_langgraph_agent_async_streaming(emulator: Any, tmp_path: Path) -> None:
    from langgraph.prebuilt import create_react_agent

    image_tool = IndoxHubImageGenerationTool(output_dir=str(tmp_path), **_conn(emulator))
    agent = create_react_agent(ChatIndoxHub(streaming=True, **_conn(emulator)), [image_tool])
    with get_indoxhub_callback() as cb:
        updates = [
            update
            async for update in agent.astream(
                {"messages": [("user", "Please draw a picture of a lighthouse")]},
                stream_mode="updates",
            )
        ]
    assert {next(iter(update)) for update in updates} >= {"agent", "tools"}
    assert cb.requests == 3

"""LlamaIndex components that parse JSON from prose, and AgentWorkflow handoffs, on the
emulator."""

from __future__ import annotations

import pytest
from llama_index.core import Document, SummaryIndex
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent
from llama_index.core.agent.workflow.workflow_events import AgentOutput, ToolCallResult
from llama_index.core.program import LLMTextCompletionProgram
from llama_index.core.query_engine import SubQuestionQueryEngine
from llama_index.core.question_gen import LLMQuestionGenerator
from llama_index.core.schema import QueryBundle
from llama_index.core.selectors import LLMMultiSelector, LLMSingleSelector
from llama_index.core.tools import QueryEngineTool, ToolMetadata
from pydantic import BaseModel

from indoxhub_integrations.llama_index import IndoxHub

pytestmark = pytest.mark.filterwarnings(
    "ignore::pydantic.warnings.PydanticDeprecatedSince20",
    "ignore::pydantic.warnings.PydanticDeprecatedSince211",
    "ignore::DeprecationWarning",
)


class Person(BaseModel):
    """A person."""

    name: str
    age: int


CHOICES = [
    ToolMetadata(name="fruit", description="Useful for questions about bananas and fruit"),
    ToolMetadata(name="sea", description="Useful for questions about lighthouses and the sea"),
]


def test_text_completion_program(llm: IndoxHub) -> None:
    program = LLMTextCompletionProgram.from_defaults(
        output_cls=Person, prompt_template_str="Extract: {text}", llm=llm
    )
    assert program(text="name: Ada, age: 36") == Person(name="Ada", age=36)


async def test_text_completion_program_async(llm: IndoxHub) -> None:
    program = LLMTextCompletionProgram.from_defaults(
        output_cls=Person, prompt_template_str="Extract: {text}", llm=llm
    )
    assert (await program.acall(text="name: Ada, age: 36")).age == 36


def test_single_selector(llm: IndoxHub) -> None:
    result = LLMSingleSelector.from_defaults(llm=llm).select(CHOICES, "Who keeps a lighthouse?")
    assert result.ind == 1 and result.reason


async def test_multi_selector(llm: IndoxHub) -> None:
    selector = LLMMultiSelector.from_defaults(llm=llm, max_outputs=2)
    result = await selector.aselect(CHOICES, "Bananas or lighthouses?")
    assert sorted(result.inds) == [0, 1]


def test_default_sub_question_generator(llm: IndoxHub) -> None:
    tools = [
        QueryEngineTool(
            query_engine=SummaryIndex.from_documents([Document(text=text)]).as_query_engine(
                llm=llm
            ),
            metadata=ToolMetadata(name=name, description=about),
        )
        for name, text, about in [
            ("fruit_docs", "Bananas are yellow.", "Facts about bananas"),
            ("sea_docs", "Keepers live in lighthouses.", "Facts about lighthouses"),
        ]
    ]
    generator = LLMQuestionGenerator.from_defaults(llm=llm)
    asked = QueryBundle("Who lives in lighthouses?")
    questions = generator.generate([t.metadata for t in tools], asked)
    assert [q.tool_name for q in questions] == ["sea_docs"]
    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=tools, llm=llm, question_gen=generator
    )
    assert str(engine.query("Compare bananas and lighthouses"))


async def test_agent_workflow_handoff_names_an_existing_agent(llm: IndoxHub) -> None:
    def write_poem(topic: str) -> str:
        """Write a poem about a topic."""
        return f"A poem about {topic}."

    researcher = FunctionAgent(
        name="researcher", description="Finds facts about lighthouses", llm=llm,
        tools=[], can_handoff_to=["writer"],
    )  # fmt: skip
    writer = FunctionAgent(name="writer", description="Writes a poem", llm=llm, tools=[write_poem])
    workflow = AgentWorkflow(agents=[researcher, writer], root_agent="researcher")
    handler = workflow.run(user_msg="Please write a poem about the sea")
    handoffs, agents = [], []
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult) and event.tool_name == "handoff":
            handoffs.append(event.tool_kwargs["to_agent"])
            assert "not found" not in str(event.tool_output).lower()
        if isinstance(event, AgentOutput):
            agents.append(event.current_agent_name)
    await handler
    assert handoffs == ["writer"]
    assert "writer" in agents

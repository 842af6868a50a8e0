"""Step 3: an agent that calls the image generation tool and saves the image.

With the LlamaIndex steps on, a LlamaIndex ``FunctionAgent`` uses ``IndoxHubToolSpec``; with
``--only langchain``, a LangChain tool-calling loop uses ``IndoxHubImageGenerationTool``.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx

from .cli import IMAGE_MODEL
from .console import shorten
from .context import Tour
from .errors import DemoError, find_indoxhub_error

TASK = "Please generate an image of a lighthouse at dawn, in watercolour."
"""What the agent is asked to do."""
_URL = re.compile(r"https?://\S+")


def run(tour: Tour, number: int) -> None:
    """Run the agent of the framework the tour shows."""
    framework = "LlamaIndex FunctionAgent" if tour.options.llamaindex else "LangChain tool loop"
    tour.console.step(number, f"An agent with the image generation tool ({framework})")
    estimate = tour.estimate_images(IMAGE_MODEL)
    chat_cost = tour.estimate_tokens(tour.options.model, 1500, 200)
    if estimate is not None and chat_cost is not None:
        estimate += chat_cost
    else:
        estimate = None
    if not tour.spend.allow(f"the agent step (1 image with {IMAGE_MODEL})", estimate):
        return
    if tour.options.llamaindex:
        answer, tool_text = _llamaindex_agent(tour)
    else:
        from .langchain_step import run_agent

        answer, tool_text = run_agent(tour, TASK)
    saved = saved_files(tool_text)
    if not saved:
        saved = _download(tool_text, tour.options.output_dir, tour)
    tour.console.info(f"task:   {TASK}")
    tour.console.info(f"answer: {shorten(answer, 300)}")
    for path in saved:
        tour.console.info(f"image saved to {path} ({path.stat().st_size} bytes)")
    if not saved:
        tour.console.note("the image model returned no image to save.")


def saved_files(tool_text: str) -> list[Path]:
    """The existing files the tool output names (the tools print the paths they wrote)."""
    paths = []
    for token in tool_text.split():
        if token.startswith(("http://", "https://")) or ("/" not in token and "\\" not in token):
            continue
        path = Path(token.rstrip(".,;"))
        if path.is_file() and path.resolve() not in paths:
            paths.append(path.resolve())
    return paths


def _download(tool_text: str, folder: Path, tour: Tour) -> list[Path]:
    """Save images the tool returned only by URL."""
    saved = []
    for number, url in enumerate(_URL.findall(tool_text), 1):
        with tour.console.progress(f"downloading image {number}"):
            response = httpx.get(url, timeout=60.0, follow_redirects=True)
            response.raise_for_status()
        folder.mkdir(parents=True, exist_ok=True)
        path = (folder / f"lighthouse-{number}.png").resolve()
        path.write_bytes(response.content)
        saved.append(path)
    return saved


def _llamaindex_agent(tour: Tour) -> tuple[str, str]:
    """A ``FunctionAgent`` with ``IndoxHubToolSpec.generate_image``.

    Returns the final answer and the text the tool returned.
    """
    with tour.console.progress("importing the LlamaIndex agent"):
        from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult

        from ..llama_index import IndoxHub, IndoxHubToolSpec, track_indoxhub_usage

    spec = IndoxHubToolSpec(
        image_model=IMAGE_MODEL,
        output_dir=tour.options.output_dir,
        additional_kwargs={"response_format": "b64_json"},
        **tour.connection,
    )
    tools: list[Any] = spec.to_tool_list(spec_functions=[("generate_image", "agenerate_image")])
    llm = IndoxHub(model=tour.options.model, max_tokens=300, **tour.connection)
    agent = FunctionAgent(
        tools=tools,
        llm=llm,
        system_prompt="You create images with the generate_image tool when asked.",
    )
    tool_texts: list[str] = []

    async def drive() -> Any:
        handler = agent.run(TASK)
        async for event in handler.stream_events():
            if isinstance(event, ToolCall) and not isinstance(event, ToolCallResult):
                tour.console.info(f"  agent calls {event.tool_name}({_args(event.tool_kwargs)})")
            elif isinstance(event, ToolCallResult):
                output = event.tool_output
                if output.is_error:
                    error = output.exception
                    if error is not None and find_indoxhub_error(error) is not None:
                        raise error
                    raise DemoError(f"The {event.tool_name} tool failed: {output.content}")
                tool_texts.append(output.content)
        return await handler

    with track_indoxhub_usage() as usage, tour.console.progress("running the agent"):
        result = asyncio.run(drive())
    tour.record(usage.records)
    return str(result), "\n".join(tool_texts)


def _args(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={shorten(str(value), 60)!r}" for key, value in arguments.items())

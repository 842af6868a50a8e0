"""Helpers of the documentation tests: paths, a clean environment, and the README's code blocks."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROVIDER_KEY_VARS = frozenset(
    {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY",
     "MISTRAL_API_KEY", "DEEPSEEK_API_KEY", "XAI_API_KEY", "GROQ_API_KEY", "OPENROUTER_API_KEY"}
)  # fmt: skip
"""Env vars holding provider keys: cleared for the tests, so nothing real is ever used."""

README_PROVIDER_KEYS = {
    "OPENAI_API_KEY": "sk-readme-openai-0000",
    "ANTHROPIC_API_KEY": "sk-ant-readme-anthropic-0000",
    "GOOGLE_API_KEY": "AIzaReadmeGoogleKey0000",
    "MISTRAL_API_KEY": "readme-mistral-0000",
}
"""Placeholder provider keys the README's BYOK examples read (the emulator accepts them)."""

ROOT = Path(__file__).resolve().parents[2]
"""The repository root."""


def clean_environ(**extra: str) -> dict[str, str]:
    """``os.environ`` without indoxhub or provider keys (so the emulator is used), plus
    ``extra``; ``PYTHONPATH`` leads to this checkout."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("INDOXHUB_", "INDOX_ROUTER_")) and name not in PROVIDER_KEY_VARS
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


MARKERS = ("needs-real-key", "pytest")
"""``<!-- needs-real-key -->``: skipped (it needs a real account); ``<!-- pytest -->``: the
block is a test module, run with pytest."""

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r"^<!--\s*([\w-]+)\s*-->$")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced code block of a Markdown file."""

    line: int
    """1-based line number of the opening fence."""
    language: str
    code: str
    marker: str | None
    """The ``<!-- marker -->`` on the last non-blank line before the fence, if any."""

    @property
    def id(self) -> str:
        """A readable test id."""
        return f"line{self.line}" + (f"-{self.marker}" if self.marker else "")


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced code block of ``text``, in order.

    Raises:
        ValueError: For an unclosed fence or an unknown marker.
    """
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    index = 0
    previous = ""
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ValueError(f"unclosed code fence at line {start + 1}")
        found = _MARKER.match(previous)
        marker = found.group(1) if found else None
        if marker is not None and marker not in MARKERS:
            raise ValueError(f"unknown marker {marker!r} before line {start + 1}")
        blocks.append(CodeBlock(start + 1, opening.group(1), "\n".join(body) + "\n", marker))
        previous = ""
        index += 1
    return blocks


def python_blocks(text: str) -> list[CodeBlock]:
    """The ```` ```python ```` blocks of ``text``."""
    return [block for block in code_blocks(text) if block.language == "python"]

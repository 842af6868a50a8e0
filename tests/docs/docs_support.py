"""Helpers of the documentation tests: paths, a clean environment, and the code blocks of the
README and the documentation site's pages."""

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
"""Placeholder provider keys the BYOK examples of the README and docs/ read (the emulator accepts
them)."""

ROOT = Path(__file__).resolve().parents[2]
"""The repository root."""


def markdown_files() -> list[Path]:
    """The Markdown files whose code blocks are tested: README.md and every ``docs/**/*.md``
    (a new page is picked up without editing the tests)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def relative_name(path: str | Path) -> str:
    """``path`` relative to the repository root, with ``/`` separators (``docs/byok.md``)."""
    return Path(path).resolve().relative_to(ROOT).as_posix()


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

_FENCE = re.compile(r"^( *)```\s*(\w*)[^`]*$")  # ```python title="x.py" too
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
    source: str = ""
    """The file the block comes from, relative to the repository root (``docs/byok.md``)."""

    @property
    def id(self) -> str:
        """A readable test id: ``docs/byok.md:line12`` (``-pytest`` or ``-needs-real-key``)."""
        return f"{self.location}" + (f"-{self.marker}" if self.marker else "")

    @property
    def location(self) -> str:
        """``source:line`` (the name tracebacks show for the block's code)."""
        return f"{self.source}:{self.line}"

    @property
    def folder(self) -> str:
        """A directory name unique to the block (its working directory when run)."""
        return f"{self.source}-{self.line}".replace("/", "_")


def code_blocks(text: str, source: str = "") -> list[CodeBlock]:
    """Every fenced code block of ``text`` (from the file ``source``), in order.

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
        start, indent = index, opening.group(1)  # indented: in an admonition or a content tab
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index].removeprefix(indent))
            index += 1
        if index == len(lines):
            raise ValueError(f"unclosed code fence at line {start + 1}")
        found = _MARKER.match(previous)
        marker = found.group(1) if found else None
        if marker is not None and marker not in MARKERS:
            raise ValueError(f"unknown marker {marker!r} before line {start + 1}")
        code = "\n".join(body) + "\n"
        blocks.append(CodeBlock(start + 1, opening.group(2), code, marker, source))
        previous = ""
        index += 1
    return blocks


def python_blocks(text: str, source: str = "") -> list[CodeBlock]:
    """The ```` ```python ```` (or ```` ```py ````) blocks of ``text`` (from file ``source``)."""
    return [block for block in code_blocks(text, source) if block.language in ("python", "py")]

"""The sample documents bundled with the package (``indoxhub_integrations/demo/data/*.md``)."""

from __future__ import annotations

from importlib import resources

QUESTION = "What changes when a request uses my own provider key instead of platform credits?"
"""The question the RAG step asks about the sample documents."""


def sample_documents() -> dict[str, str]:
    """The bundled sample documents: file name -> text, in name order."""
    folder = resources.files(__package__).joinpath("data")
    return {
        item.name: item.read_text(encoding="utf-8")
        for item in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if item.name.endswith(".md")
    }


def rough_tokens(text: str) -> int:
    """A generous token estimate (about 4 characters a token), for spend estimates."""
    return len(text) // 3 + 1

"""Griffe extension (loaded by mkdocstrings, see mkdocs.yml): the reStructuredText bits of the
docstrings in Markdown.

Some docstrings name other objects the Sphinx way (``:class:`~pkg.mod.Name```,
``:meth:`chat```) and show examples in ``.. code-block:: python`` directives; mkdocstrings
would print both verbatim. This shows the names as inline code (``~`` keeps the last
component, as Sphinx does) and the examples as fenced code blocks.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`(~?)\.?([^`]+)`")


def _as_code(match: re.Match[str]) -> str:
    shorten, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if shorten else target}`"


_CODE_BLOCK = re.compile(r"^( *)\.\. code-block::\s*(\w*)\s*$")


def _fence_code_blocks(text: str) -> str:
    """``.. code-block:: python`` and its indented body as a ```` ```python ```` fence."""
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        directive = _CODE_BLOCK.match(lines[index])
        if directive is None:
            out.append(lines[index])
            index += 1
            continue
        indent, language = directive.groups()
        index += 1
        body: list[str] = []
        while index < len(lines) and (
            not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > len(indent)
        ):
            body.append(lines[index])
            index += 1
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        depth = min((len(line) - len(line.lstrip()) for line in body if line.strip()), default=0)
        out.append(f"{indent}```{language}")
        out.extend(f"{indent}{line[depth:]}" if line.strip() else "" for line in body)
        out.append(f"{indent}```")
        if index < len(lines):
            out.append("")
    return "\n".join(out)


class RestructuredTextAsMarkdown(griffe.Extension):
    """Rewrites ``:role:`target``` to `` `target` `` and code-block directives to fences."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of each object as it is loaded."""
        if obj.docstring is not None:
            value = _ROLE.sub(_as_code, obj.docstring.value)
            obj.docstring.value = _fence_code_blocks(value) if ".. code-block::" in value else value

"""Griffe extension (loaded by mkdocstrings, see mkdocs.yml): Sphinx roles in docstrings as code.

Some docstrings name other objects the Sphinx way (``:class:`~pkg.mod.Name```,
``:meth:`chat```); mkdocstrings would print the role verbatim. This shows the name as inline
code instead (``~`` keeps the last component, as Sphinx does).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`(~?)\.?([^`]+)`")


def _as_code(match: re.Match[str]) -> str:
    shorten, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if shorten else target}`"


class SphinxRolesAsCode(griffe.Extension):
    """Rewrites ``:role:`target``` in every docstring to `` `target` ``."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of each object as it is loaded."""
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_as_code, obj.docstring.value)

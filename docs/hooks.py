"""MkDocs hooks: the notebooks of the repository as files of the site, and a visible note on the
examples that need a real account.

The pages link the notebooks the way that works on the repository page
(``../notebooks/01_langchain_quickstart.ipynb`` from ``docs/langchain.md``). Those targets are
outside ``docs/``, so MkDocs would report the links as broken: this hook adds each notebook as
a file whose source path is that relative one and whose place in the built site is
``notebooks/<name>.ipynb``, so the links resolve, and ``--strict`` still fails on any other
link to a missing file.

``<!-- needs-real-key -->`` (the marker the docs tests read: such a block is only parsed) is
invisible in HTML, so the reader would not know the example needs a real indoxhub account: the
rendered page says so instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

REPOSITORY_FILES = ("notebooks/*.ipynb",)
"""Files of the repository, outside ``docs/``, that the pages may link to."""

_NEEDS_REAL_KEY = re.compile(r"^( *)<!--\s*needs-real-key\s*-->[ \t]*$", re.MULTILINE)
_NEEDS_REAL_KEY_NOTE = r"\1*Needs a real indoxhub account (`INDOXHUB_API_KEY`).*\n"


def on_files(files: Files, config: Any) -> Files:
    """Add the repository files of ``REPOSITORY_FILES`` to the site."""
    docs_dir = Path(config["docs_dir"])
    root = docs_dir.parent
    for pattern in REPOSITORY_FILES:
        for path in sorted(root.glob(pattern)):
            relative = path.relative_to(root).as_posix()
            file = File(
                f"../{relative}",  # the link target, seen from a page at the top of docs/
                src_dir=str(docs_dir),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
                inclusion=InclusionLevel.INCLUDED,
            )
            file.dest_uri = relative
            files.append(file)
    return files


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Show the ``needs-real-key`` marker as a short note above its example."""
    return _NEEDS_REAL_KEY.sub(_NEEDS_REAL_KEY_NOTE, markdown)

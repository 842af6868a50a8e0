"""The README a newcomer reads in two minutes: the two commands first, short, and every
relative link leads to a file of the repository (so it works on the repository page).

Its code blocks run with the documentation site's in ``test_doc_blocks.py``."""

from __future__ import annotations

import re

from docs_support import ROOT, code_blocks

README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def test_the_two_setup_commands_open_the_readme() -> None:
    bash = [block for block in code_blocks(TEXT) if block.language == "bash"]
    assert bash[0].code.strip() == (
        'python3 -m venv .venv && .venv/bin/pip install -e ".[all]" && '
        ".venv/bin/python -m indoxhub_integrations"
    )
    test_command = bash[1].code.strip()
    assert test_command.startswith('python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"')
    assert test_command.endswith(".venv/bin/python -m pytest -q")
    first_fences = [line for line in TEXT.splitlines() if line.startswith("```")][:4]
    assert first_fences == ["```bash", "```", "```bash", "```"]


def test_the_readme_stays_short() -> None:
    assert len(TEXT.splitlines()) <= 160, "move details to a docs/ page and link it"


def test_relative_links_lead_to_files_of_the_repository() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", TEXT)
    relative = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:|#", t)]
    assert any(target.startswith("docs/") for target in relative)
    missing = [target for target in relative if not (ROOT / target).exists()]
    assert missing == []


def test_the_readme_says_how_to_serve_the_docs() -> None:
    assert "mkdocs serve" in TEXT

"""Every ```python block of README.md and of every ``docs/**/*.md`` page runs against the
emulator (or is marked as needing a real key, or is a pytest module run with pytest), so the
documentation cannot drift from the code. A new page is picked up without editing this file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from docs_support import (
    CodeBlock,
    clean_environ,
    code_blocks,
    markdown_files,
    python_blocks,
    relative_name,
)

FILES = markdown_files()
BLOCKS = [
    block
    for path in FILES
    for block in python_blocks(path.read_text(encoding="utf-8"), relative_name(path))
]
RUNNER = Path(__file__).with_name("run_doc_blocks.py")


@pytest.fixture(scope="module")
def block_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Run every unmarked block once, in one subprocess; results by ``file:line``."""
    workdir = tmp_path_factory.mktemp("docs")
    results = workdir / "results.json"
    process = subprocess.run(
        [sys.executable, str(RUNNER), str(workdir), str(results), *map(str, FILES)],
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return {entry["location"]: entry for entry in json.loads(results.read_text())}


def test_the_readme_and_the_pages_are_collected() -> None:
    sources = {block.source for block in BLOCKS}
    assert "README.md" in sources
    assert {"docs/getting-started.md", "docs/byok.md", "docs/testing.md"} <= sources


def test_there_are_blocks_of_every_kind() -> None:
    """Across README.md and docs/: run, parse-only (needs a real key) and pytest modules."""
    markers = {block.marker for block in BLOCKS}
    assert markers == {None, "needs-real-key", "pytest"}
    assert len([b for b in BLOCKS if b.marker is None]) >= 15
    readme = [b for b in BLOCKS if b.source == "README.md"]
    assert len([b for b in readme if b.marker is None]) >= 3  # LangChain, LlamaIndex, BYOK


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_doc_block(
    block: CodeBlock, block_results: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    if block.marker == "needs-real-key":
        compile(block.code, block.location, "exec")  # it must at least parse
        pytest.skip("marked <!-- needs-real-key -->: runs only against a real indoxhub account")
    if block.marker == "pytest":
        _run_as_pytest(block, tmp_path)
        return
    result = block_results[block.location]
    assert result["error"] is None, (
        f"{block.location}: the block failed:\n{result['error']}\noutput:\n{result['output']}"
    )


def _run_as_pytest(block: CodeBlock, tmp_path: Path) -> None:
    module = tmp_path / "test_doc_example.py"
    module.write_text(block.code, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8"
    )
    process = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        cwd=tmp_path,
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-2000:]
    assert " passed" in process.stdout and "failed" not in process.stdout


def test_block_markers_are_parsed() -> None:
    text = (
        "<!-- needs-real-key -->\n```python\nprint(1)\n```\n\n"
        "Some text.\n\n```python\nprint(2)\n```\n"
        "<!-- pytest -->\n\n```python\ndef test_x(): pass\n```\n```bash\nls\n```\n"
        '!!! note\n    <!-- needs-real-key -->\n    ```python title="x.py"\n'
        "    if True:\n        print(3)\n    ```\n"
    )
    blocks = code_blocks(text, "docs/x.md")
    assert [(b.line, b.language, b.marker) for b in blocks] == [
        (2, "python", "needs-real-key"),
        (8, "python", None),
        (13, "python", "pytest"),
        (16, "bash", None),
        (21, "python", "needs-real-key"),
    ]
    assert blocks[1].code == "print(2)\n"
    assert blocks[4].code == "if True:\n    print(3)\n"  # an indented block, dedented
    assert blocks[0].id == "docs/x.md:2-needs-real-key"
    with pytest.raises(ValueError, match="unknown marker"):
        code_blocks("<!-- needs-a-key -->\n```python\nx\n```\n")
    with pytest.raises(ValueError, match="unclosed"):
        code_blocks("```python\nx\n")

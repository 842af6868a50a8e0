"""Every ```python block of README.md runs against the emulator (or is marked as needing a real
key), so the documentation cannot drift from the code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from docs_support import ROOT, CodeBlock, clean_environ, code_blocks, python_blocks

README = ROOT / "README.md"
BLOCKS = python_blocks(README.read_text(encoding="utf-8"))
RUNNER = Path(__file__).with_name("run_readme_blocks.py")


@pytest.fixture(scope="module")
def block_results(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    """Run every unmarked block once, in one subprocess; results by opening-fence line."""
    workdir = tmp_path_factory.mktemp("readme")
    results = workdir / "results.json"
    process = subprocess.run(
        [sys.executable, str(RUNNER), str(README), str(workdir), str(results)],
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return {entry["line"]: entry for entry in json.loads(results.read_text())}


def test_the_two_setup_commands_open_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    bash = [block for block in code_blocks(text) if block.language == "bash"]
    assert bash[0].code.strip() == (
        'python3 -m venv .venv && .venv/bin/pip install -e ".[all]" && '
        ".venv/bin/python -m indoxhub_integrations"
    )
    test_command = bash[1].code.strip()
    assert test_command.startswith('python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"')
    assert test_command.endswith(".venv/bin/python -m pytest -q")
    first_fences = [line for line in text.splitlines() if line.startswith("```")][:4]
    assert first_fences == ["```bash", "```", "```bash", "```"]


def test_there_are_blocks_of_every_kind() -> None:
    markers = {block.marker for block in BLOCKS}
    assert markers == {None, "needs-real-key", "pytest"}
    assert len([b for b in BLOCKS if b.marker is None]) >= 10


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_readme_block(
    block: CodeBlock, block_results: dict[int, dict[str, Any]], tmp_path: Path
) -> None:
    if block.marker == "needs-real-key":
        compile(block.code, f"README.md:{block.line}", "exec")  # it must at least parse
        pytest.skip("marked <!-- needs-real-key -->: runs only against a real indoxhub account")
    if block.marker == "pytest":
        _run_as_pytest(block, tmp_path)
        return
    result = block_results[block.line]
    assert result["error"] is None, (
        f"README.md block at line {block.line} failed:\n{result['error']}\n"
        f"output:\n{result['output']}"
    )


def _run_as_pytest(block: CodeBlock, tmp_path: Path) -> None:
    module = tmp_path / "test_readme_example.py"
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
    )
    blocks = code_blocks(text)
    assert [(b.line, b.language, b.marker) for b in blocks] == [
        (2, "python", "needs-real-key"),
        (8, "python", None),
        (13, "python", "pytest"),
        (16, "bash", None),
    ]
    assert blocks[1].code == "print(2)\n"
    with pytest.raises(ValueError, match="unknown marker"):
        code_blocks("<!-- needs-a-key -->\n```python\nx\n```\n")
    with pytest.raises(ValueError, match="unclosed"):
        code_blocks("```python\nx\n")

"""Every ```python block of docs/testing-your-code.md runs: the ``<!-- pytest -->`` blocks as
test modules with pytest (the plugin loaded through its entry point, as for a user), the others
against the emulator like the README's blocks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from docs_support import ROOT, CodeBlock, clean_environ, python_blocks, run_pytest_block

PAGE = ROOT / "docs" / "testing-your-code.md"
BLOCKS = python_blocks(PAGE.read_text(encoding="utf-8"))
RUNNER = Path(__file__).with_name("run_readme_blocks.py")


@pytest.fixture(scope="module")
def block_results(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("testing-page")
    results = workdir / "results.json"
    process = subprocess.run(
        [sys.executable, str(RUNNER), str(PAGE), str(workdir), str(results)],
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return {entry["line"]: entry for entry in json.loads(results.read_text())}


def test_the_page_shows_each_framework_and_both_error_paths() -> None:
    tests = "".join(block.code for block in BLOCKS if block.marker == "pytest")
    for needle in (
        "create_react_agent",
        "as_query_engine",
        "ChatPromptTemplate",
        "credits=0",
        'tier="free"',
        "status_code == 402",
        "status_code == 429",
    ):
        assert needle in tests, needle  # fmt: skip


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_page_block(
    block: CodeBlock, block_results: dict[int, dict[str, Any]], tmp_path: Path
) -> None:
    if block.marker == "pytest":
        run_pytest_block(block, tmp_path, name=f"test_page_{block.line}")
        return
    result = block_results[block.line]
    assert result["error"] is None, f"block at line {block.line}:\n{result['error']}"

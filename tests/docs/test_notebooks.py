"""Every notebook runs top to bottom against the emulator (started by the notebook itself when
INDOXHUB_API_KEY is unset), and is committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from docs_support import ROOT, clean_environ

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _outputs(notebook: Any, output_type: str) -> list[dict[str, Any]]:
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == output_type
    ]


def test_there_are_at_least_four_notebooks() -> None:
    names = {path.stem for path in NOTEBOOKS}
    assert {
        "01_langchain_quickstart",
        "02_langchain_rag_agent",
        "03_llamaindex_rag",
        "04_llamaindex_agent",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_against_the_emulator(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel inherits this environment: no indoxhub or provider key, so the notebook
    # starts its own emulator; this checkout first on the path.
    environ = clean_environ()
    for name in set(os.environ) - set(environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHONPATH", environ["PYTHONPATH"])
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # files land in tmp_path
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    streams = "".join(output.get("text", "") for output in _outputs(notebook, "stream"))
    assert "Using the local emulator at http://127.0.0.1:" in streams
    assert "BYOK cells: on" in streams
    assert "Traceback" not in streams
    pictures = [
        output
        for output in _outputs(notebook, "display_data") + _outputs(notebook, "execute_result")
        if "image/png" in output.get("data", {})
    ]
    assert pictures, "every notebook shows at least the cost chart"
    if "agent" in path.stem:  # the generated image, and the chart
        assert len(pictures) >= 2

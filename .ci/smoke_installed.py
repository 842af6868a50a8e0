"""Smoke test of the package as users install it: run by `.ci/run` with the interpreter of a
clean venv where the built wheel (not the checkout) is installed, from a folder outside the
checkout.

Usage: ``python smoke_installed.py CHECKOUT NOTEBOOK``

1. The package is imported from the venv's site-packages, not from ``CHECKOUT``.
2. Every non-Python file of the checkout's package (``py.typed``, the demo's sample documents,
   emulator assets...) is installed too: missing package data fails here.
3. The emulator starts, and the core client, LangChain and LlamaIndex each answer once.
4. ``NOTEBOOK`` (a notebook of the checkout) runs top to bottom against the installed package.

Exits non-zero (an assertion or exception with its traceback) on the first failure.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PACKAGE = "indoxhub_integrations"


def check_installed_not_checkout(checkout: Path) -> Path:
    import indoxhub_integrations

    installed = Path(indoxhub_integrations.__file__).resolve().parent
    assert checkout.resolve() not in installed.parents, f"imported from the checkout: {installed}"
    assert "site-packages" in installed.parts, installed
    print(f"installed package: {installed} (version {indoxhub_integrations.__version__})")
    return installed


def check_package_data(checkout: Path, installed: Path) -> None:
    source = checkout / PACKAGE
    wanted = {
        path.relative_to(source)
        for path in source.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }
    missing = sorted(str(p) for p in wanted if not (installed / p).is_file())
    assert not missing, f"package data missing from the wheel: {missing}"
    assert (installed / "py.typed").is_file(), "py.typed missing from the wheel"
    print(f"package data: {len(wanted)} files, all installed")


def drive_each_framework() -> None:
    from indoxhub_integrations import IndoxHubClient
    from indoxhub_integrations.emulator import IndoxHubEmulator
    from indoxhub_integrations.langchain import ChatIndoxHub
    from indoxhub_integrations.llama_index import IndoxHub

    model = "openai/gpt-4o-mini"
    with IndoxHubEmulator(credits=10.0) as server:
        conn = {"api_key": server.api_key, "base_url": server.base_url}
        with IndoxHubClient(**conn) as client:
            core = client.chat([{"role": "user", "content": "core says hello"}], model=model)
        assert "core says hello" in core.text, core.text
        chain = ChatIndoxHub(model=model, **conn).invoke("langchain says hello")
        assert "langchain says hello" in str(chain.content), chain.content
        answer = IndoxHub(model=model, **conn).complete("llamaindex says hello")
        assert "llamaindex says hello" in answer.text, answer.text
        served = [r for r in server.requests if r.endpoint]
        assert len(served) == 3, served
    print("emulator: core, LangChain and LlamaIndex each answered once")


def run_notebook(path: Path) -> None:
    import nbclient
    import nbformat

    env_keys = [n for n in os.environ if n.startswith(("INDOXHUB_", "INDOX_ROUTER_"))]
    for name in env_keys:  # the notebook must start its own emulator
        del os.environ[name]
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        nbclient.NotebookClient(
            notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": folder}}
        ).execute()  # raises CellExecutionError, with the cell and traceback, on any error
    streams = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "Using the local emulator at http://127.0.0.1:" in streams, streams[-2000:]
    print(f"notebook {path.name}: ran top to bottom")


def main(checkout: str, notebook: str) -> None:
    root = Path(checkout)
    assert not Path.cwd().resolve().is_relative_to(root.resolve()), "run outside the checkout"
    installed = check_installed_not_checkout(root)
    check_package_data(root, installed)
    drive_each_framework()
    run_notebook(Path(notebook))


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""Run the Python code blocks of Markdown files against one emulator; write the results as JSON.

Usage: ``python run_doc_blocks.py WORKDIR RESULTS.json FILE.md [FILE.md ...]``

Runs in its own process so that the blocks' global effects (LlamaIndex ``Settings``,
instrumentation handlers) stay out of the test session. Each block runs in a fresh namespace,
in its own working directory, with the emulator reset, ``INDOXHUB_API_KEY`` and
``INDOXHUB_BASE_URL`` pointing at it and placeholder provider keys in ``OPENAI_API_KEY``...
Blocks marked ``needs-real-key`` or ``pytest`` are not run here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import traceback
from pathlib import Path

from docs_support import README_PROVIDER_KEYS, python_blocks, relative_name

from indoxhub_integrations.emulator import IndoxHubEmulator


def _forget_llama_index_settings() -> None:
    try:
        from llama_index.core import Settings
    except ImportError:
        return
    Settings._llm = None  # each block must set what it uses
    Settings._embed_model = None


def main(workdir: str, results_path: str, *files: str) -> None:
    blocks = [
        block
        for file in files
        for block in python_blocks(Path(file).read_text(encoding="utf-8"), relative_name(file))
        if block.marker is None
    ]
    results = []
    with IndoxHubEmulator(credits=100.0) as emulator:
        os.environ.update(README_PROVIDER_KEYS)
        os.environ["INDOXHUB_API_KEY"] = emulator.api_key
        os.environ["INDOXHUB_BASE_URL"] = emulator.base_url
        for block in blocks:
            emulator.reset()
            _forget_llama_index_settings()
            folder = Path(workdir, block.folder)
            folder.mkdir(parents=True, exist_ok=True)
            os.chdir(folder)
            output = io.StringIO()
            started = time.perf_counter()
            error = None
            try:
                code = compile(block.code, block.location, "exec")
                with contextlib.redirect_stdout(output):
                    exec(code, {"__name__": "__docs__"})
            except BaseException:
                error = traceback.format_exc()
            results.append(
                {
                    "location": block.location,
                    "error": error,
                    "output": output.getvalue(),
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
    Path(results_path).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])

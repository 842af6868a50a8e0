"""The benchmark harness still runs (``python -m bench --smoke``); no timing is asserted.

Peers (langchain-openai, llama-index-llms-openai-like) are a ``bench`` extra, not a test
dependency: when they are missing the harness reports them as skipped.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_smoke_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for case in ("### invoke (sync)", "### stream 200 chunks", "### embed 200 texts (async)",
                 "### peak memory, streaming", "### import time", "### targets"):  # fmt: skip
        assert case in out, out[-3000:]
    for contender in ("| raw httpx |", "| core IndoxHubClient.chat |",
                      "| core IndoxHubClient.stream_chat |"):  # fmt: skip
        assert contender in out, out[-3000:]
    assert "WARNING: unexpected requests" not in out
    ours = [line for line in out.splitlines() if "failed:" in line and "| peer " not in line]
    assert not ours, ours

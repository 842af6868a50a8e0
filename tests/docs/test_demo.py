"""The demo tour, ``python -m indoxhub_integrations``, end to end in a subprocess: against the
embedded emulator, and its failures (bad key, no credits, key of the wrong provider) against an
emulator started here and reached as if it were the real API."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from docs_support import clean_environ

PNG = b"\x89PNG\r\n\x1a\n"


def tour(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the tour with ``args``; stdin is not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "indoxhub_integrations", *args],
        cwd=cwd,
        env=clean_environ(**env),
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def test_tour_against_the_embedded_emulator(tmp_path: Path) -> None:
    result = tour("--output-dir", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert (
        "No INDOXHUB_API_KEY set: started the embedded indoxhub emulator at http://127.0.0.1:"
        in out
    )
    assert "Dashboard (credits, spend, every request, live): http://127.0.0.1:" in out
    assert "(--keep-emulator keeps it open)" in out
    steps = [
        "== 1. A LangChain chain: platform credits, then your own key (BYOK)",
        "== 2. RAG with LlamaIndex: VectorStoreIndex + IndoxHubEmbedding + IndoxHub",
        "== 3. An agent with the image generation tool (LlamaIndex FunctionAgent)",
        "== 4. An agent with a tiny budget ($1e-06, LlamaIndex FunctionAgent)",
        "== 5. Usage report (every request the tour made)",
        "Tour complete.",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions)
    # step 1: side by side, with credits and the BYOK markers
    assert "platform key" in out and "BYOK key" in out
    assert "credits before" in out and "credits after" in out
    assert "BYOK API key used" in out and "$0 (BYOK: no credits)" in out
    assert "get_indoxhub_callback(): 2 request(s), 1 BYOK" in out
    # step 2: retrieval over the bundled documents
    assert "sources:  byok.md" in out
    assert "usage (track_indoxhub_usage): 3 request(s) (2 embedding, 1 chat)" in out
    # step 3: the image is saved as a PNG
    images = list((tmp_path / "out").glob("*.png"))
    assert len(images) == 1 and images[0].read_bytes().startswith(PNG)
    assert f"image saved to {images[0].resolve()}" in out
    # step 4: by model and endpoint, platform vs BYOK
    # step 4: the budget stops the agent before its second request
    assert "stopped: BudgetExceededError: Budget exceeded: spent $" in out
    assert "requests sent: 1, spent $" in out
    report = out[positions[4] :]
    for row in ("openai/dall-e-3", "openai/gpt-4o-mini", "openai/text-embedding-3-small"):
        assert row in report
    assert "BYOK" in report and "platform" in report and "total" in report
    assert "- " in out and "done (" in out  # progress lines
    assert "Traceback" not in result.stderr


def test_keep_emulator_serves_the_dashboard_until_ctrl_c(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "indoxhub_integrations", "--only", "langchain",
               "--keep-emulator", "--output-dir", "out"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, env=clean_environ(PYTHONUNBUFFERED="1"), text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:  # blocks until the tour prints the line (or exits)
            lines.append(line)
            if "Press Ctrl+C to stop it." in line:
                break
        out = "".join(lines)
        assert "Tour complete." in out, out[-3000:]
        url = out.rsplit("open ", 1)[1].split(" to see every request")[0]
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "indoxhub emulator" in page.text
        served = httpx.get(url + "_emulator/requests", timeout=10).json()
        assert any(r["byok"] for r in served) and any(not r["byok"] for r in served)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "emulator stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_only_langchain_on_the_real_api_path_skips_costly_steps_without_a_tty(
    emulator: Any, tmp_path: Path
) -> None:
    result = tour("--only", "langchain", "--base-url", emulator.base_url, cwd=tmp_path,
                  INDOXHUB_API_KEY=emulator.api_key)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "INDOXHUB_API_KEY is set: using the indoxhub API at" in result.stdout
    assert "LlamaIndex" not in result.stdout
    assert "(trivial, not asking)" in result.stdout
    assert "skipped the agent step" in result.stdout and "rerun with --yes" in result.stdout
    assert "no BYOK comparison: $OPENAI_API_KEY (not set)" in result.stdout
    assert not list(tmp_path.rglob("*.png"))


def test_yes_runs_the_costly_steps(emulator: Any, tmp_path: Path) -> None:
    result = tour("--only", "langchain", "--yes", "--base-url", emulator.base_url,
                  "--byok-key-env", "MY_OPENAI_KEY", "--output-dir", "out", cwd=tmp_path,
                  INDOXHUB_API_KEY=emulator.api_key, MY_OPENAI_KEY="sk-tour-byok-0000")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(--yes given)" in result.stdout
    assert "An agent with the image generation tool (LangChain tool loop)" in result.stdout
    assert list((tmp_path / "out").glob("*.png"))
    assert "BYOK key: $MY_OPENAI_KEY" in result.stdout
    assert "sk-tour-byok-0000" not in result.stdout + result.stderr
    assert any(record.byok for record in emulator.requests)


def _assert_clear_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: ")
    for text in expected:
        assert text in result.stderr


def test_bad_key_exits_non_zero_with_a_clear_message(emulator: Any, tmp_path: Path) -> None:
    result = tour("--base-url", emulator.base_url, cwd=tmp_path,
                  INDOXHUB_API_KEY="ixh-not-a-valid-key-123")  # fmt: skip
    _assert_clear_failure(
        result, "Checking the account failed: AuthenticationError", "INDOXHUB_API_KEY"
    )
    assert "ixh-not-a-valid-key-123" not in result.stdout + result.stderr


def test_no_credits_exits_non_zero_with_a_clear_message(emulator: Any, tmp_path: Path) -> None:
    emulator.set_credits(0.0)
    result = tour("--only", "langchain", "--base-url", emulator.base_url, cwd=tmp_path,
                  INDOXHUB_API_KEY=emulator.api_key)  # fmt: skip
    _assert_clear_failure(
        result, "The chain with the platform key failed: InsufficientCreditsError", "credits"
    )


def test_provider_mismatch_exits_before_sending(emulator: Any, tmp_path: Path) -> None:
    key = "sk-ant-tour-anthropic-key-0000"
    result = tour("--only", "langchain", "--base-url", emulator.base_url,
                  "--byok-key-env", "MY_KEY", cwd=tmp_path,
                  INDOXHUB_API_KEY=emulator.api_key, MY_KEY=key)  # fmt: skip
    _assert_clear_failure(
        result, "Checking the BYOK key failed: ByokProviderMismatchError", "$MY_KEY"
    )
    assert key not in result.stdout + result.stderr
    assert not [r for r in emulator.requests if r.path.endswith("/chat/completions")]


def test_a_bad_model_name_is_a_usage_error(tmp_path: Path) -> None:
    result = tour("--model", "gpt-4o-mini", cwd=tmp_path)
    assert result.returncode == 2
    assert "--model must be provider/model" in result.stderr

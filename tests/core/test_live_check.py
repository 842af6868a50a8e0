"""``python -m indoxhub_integrations check``: without a key, and against the emulator."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from indoxhub_integrations import check
from indoxhub_integrations.emulator import IndoxHubEmulator


def test_without_a_key_it_says_what_it_would_check_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "indoxhub_integrations", "check"],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "nothing was sent" in done.stdout and "tool turn" in done.stdout


def _run(server: Any, answer: str = "y", *args: str) -> tuple[int, str]:
    lines: list[str] = []
    env = {"INDOXHUB_API_KEY": server.api_key, "INDOXHUB_BASE_URL": server.base_url,
           "INDOXHUB_BYOK_API_KEY": "sk-proj-CANARY-check-0123456789"}  # fmt: skip
    status = check.main(list(args), environ=env, ask=lambda _: answer, out=lines.append)
    return status, "\n".join(lines)


def test_it_asks_first_and_shows_the_cost(emulator: Any) -> None:
    status, text = _run(emulator, "n")
    assert status == 0 and "Expected cost" in text and "Nothing sent" in text
    assert not [r for r in emulator.requests if r.endpoint]


def test_against_the_emulator_it_reports_the_documented_shapes(emulator: Any) -> None:
    status, text = _run(emulator, "y")
    assert status == 0
    assert "200: responses" in text
    assert "token in body" in text and "published" in text
    assert "response_id on events: True" in text and "app_credit present" in text
    assert "accepted as sent" in text and "body flag" in text and "cost 0" in text


def test_it_sees_a_strict_server_reject_the_tool_turn() -> None:
    with IndoxHubEmulator(strict_schema=True) as strict:
        status, text = _run(strict, "y", "--yes")
    assert status == 0 and "rejected 400" in text and "tool_history='text'" in text

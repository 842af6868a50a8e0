"""Starting and stopping the emulator, its free port, and the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import pytest

from indoxhub_integrations.emulator import IndoxHubEmulator


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_context_manager_serves_on_a_free_port_and_stops() -> None:
    with IndoxHubEmulator() as first, IndoxHubEmulator() as second:
        assert first.port != second.port
        assert first.base_url == f"http://127.0.0.1:{first.port}"
        assert first.running
        response = httpx.get(f"{first.base_url}/_emulator/health")
        assert response.json() == {"status": "ok"}
        port = first.port
    assert not first.running
    assert not _accepts(port)


def test_start_and_stop_methods_are_idempotent() -> None:
    emulator = IndoxHubEmulator(api_key="ixh-other")
    assert emulator.start() is emulator
    assert emulator.start() is emulator
    try:
        headers = {"Authorization": "Bearer ixh-other"}
        assert httpx.get(f"{emulator.base_url}/api/v1/user/me", headers=headers).status_code == 200
    finally:
        emulator.stop()
        emulator.stop()
    assert "stopped" in repr(emulator)


def test_invalid_options_are_refused() -> None:
    with pytest.raises(ValueError, match="tier"):
        IndoxHubEmulator(tier="platinum")
    with pytest.raises(ValueError, match="style"):
        IndoxHubEmulator(response_style="xml")
    emulator = IndoxHubEmulator()
    with pytest.raises(ValueError, match="fault"):
        emulator.enqueue(fault="explode")


def test_cli_serves_in_the_foreground_and_prints_url_and_key() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "indoxhub_integrations.emulator",
            "--port",
            "0",
            "--credits",
            "7",
            "--tier",
            "free",
            "--style",
            "legacy",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        second = process.stdout.readline().strip()
        assert first.startswith("indoxhub emulator: http://127.0.0.1:")
        base_url = first.split(": ", 1)[1]
        assert second == "API key: ixh-emulator-key"
        assert process.stdout.readline().strip() == f"Dashboard: {base_url}/"
        headers = {"Authorization": "Bearer ixh-emulator-key"}
        me = None
        for _ in range(200):  # the server may still be binding: retry on connection refused
            try:
                me = httpx.get(f"{base_url}/api/v1/user/me", headers=headers, timeout=5)
                break
            except httpx.ConnectError:
                continue
        assert me is not None and me.status_code == 200
        assert me.json()["credits"] == 7.0
        assert me.json()["account_tier"] == "free"
        page = httpx.get(f"{base_url}/", timeout=5)
        assert page.status_code == 200 and "indoxhub emulator" in page.text
    finally:
        process.terminate()
        process.wait(timeout=10)

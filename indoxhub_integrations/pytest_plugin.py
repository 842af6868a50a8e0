"""The pytest plugin: the indoxhub emulator in your own test suite.

Installed with the package (a ``pytest11`` entry point), so nothing needs registering. Importing
it is cheap: it starts nothing and imports neither the emulator nor LangChain or LlamaIndex;
the fixtures do their work only in the tests that request them.

- ``indoxhub_emulator``: one emulator per test session (per worker under pytest-xdist), reset
  before each test that requests it (credits, tier, style, scripts, request log), with the
  scene of the test's ``@pytest.mark.indoxhub(...)`` applied.
- ``indoxhub_env``: the same emulator, with ``INDOXHUB_BASE_URL`` and ``INDOXHUB_API_KEY``
  pointing at it and placeholder provider keys (``OPENAI_API_KEY``, ...) in the environment,
  for code that builds its own models; ``INDOXHUB_BYOK_API_KEY`` is removed, so every request
  is a platform request unless the test asks for BYOK.
- ``indoxhub_emulator_options``: a session fixture returning the keyword arguments of the
  session's ``IndoxHubEmulator``; override it in your ``conftest.py`` to change them.
- The marker ``@pytest.mark.indoxhub(credits=0, tier="free", style="legacy", latency=0.1,
  faults=["drop", {"status": 503, "times": 3}])``: the emulator's scene for one test (or a
  class or module, through ``pytestmark``); the marker closest to the test wins per argument.
- Command-line options: ``--indoxhub-replay=FILE`` answers from recorded exchanges, offline;
  ``--indoxhub-upstream=URL --indoxhub-record-to=FILE`` records the real service's answers
  (the platform key comes from ``INDOXHUB_UPSTREAM_API_KEY``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .emulator import IndoxHubEmulator

MARKER = "indoxhub"
SCENE_ARGUMENTS = ("credits", "tier", "style", "latency", "faults")
"""The keyword arguments of ``@pytest.mark.indoxhub``."""

PLACEHOLDER_PROVIDER_KEYS = {
    "OPENAI_API_KEY": "sk-placeholder-openai-byok-key",
    "ANTHROPIC_API_KEY": "sk-ant-placeholder-anthropic-byok-key",
    "GOOGLE_API_KEY": "AIzaPlaceholderGoogleByokKey",
    "GEMINI_API_KEY": "AIzaPlaceholderGoogleByokKey",
    "MISTRAL_API_KEY": "placeholder-mistral-byok-key",
    "DEEPSEEK_API_KEY": "sk-placeholder-deepseek-byok-key",
    "XAI_API_KEY": "xai-placeholder-byok-key",
    "GROQ_API_KEY": "gsk_placeholder_groq_byok_key",
    "OPENROUTER_API_KEY": "sk-or-placeholder-openrouter-byok-key",
}
"""Provider env vars ``indoxhub_env`` sets: keys the emulator accepts for BYOK, so that code
reading them (``byok_from_env=True``) runs, and a real key in the developer's shell is never
used by a test."""

_CLEARED_VARS = ("INDOXHUB_BYOK_API_KEY", "INDOX_ROUTER_API_KEY", "INDOX_ROUTER_BASE_URL")
_UPSTREAM_KEY_VAR = "INDOXHUB_UPSTREAM_API_KEY"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("indoxhub", "indoxhub emulator")
    group.addoption(
        "--indoxhub-replay",
        metavar="FILE",
        default=None,
        help="indoxhub_emulator answers from the exchanges recorded in FILE (JSON lines), offline",
    )
    group.addoption(
        "--indoxhub-upstream",
        metavar="URL",
        default=None,
        help=f"indoxhub_emulator forwards every request to URL (key: ${_UPSTREAM_KEY_VAR})",
    )
    group.addoption(
        "--indoxhub-record-to",
        metavar="FILE",
        default=None,
        help="with --indoxhub-upstream: append every exchange to FILE, secrets removed",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(credits=None, tier=None, style=None, latency=None, faults=None): "
        "the indoxhub emulator's scene for this test (see indoxhub_emulator)",
    )


@pytest.fixture(scope="session")
def indoxhub_emulator_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Keyword arguments of the session's ``IndoxHubEmulator`` (override it to change them).

    By default: the emulator's defaults (100 USD of credits, the ``unlimited`` tier, the
    ``responses`` style), plus record or replay from the ``--indoxhub-*`` options.
    """
    options: dict[str, Any] = {}
    replay = pytestconfig.getoption("indoxhub_replay")
    upstream = pytestconfig.getoption("indoxhub_upstream")
    record_to = pytestconfig.getoption("indoxhub_record_to")
    if replay:
        options["replay"] = replay
    if upstream:
        options["upstream"] = upstream
        options["upstream_api_key"] = os.environ.get(_UPSTREAM_KEY_VAR)
    if record_to:
        options["record_to"] = record_to
    return options


@pytest.fixture(scope="session")
def _indoxhub_emulator_server(
    indoxhub_emulator_options: dict[str, Any],
) -> Iterator[IndoxHubEmulator]:
    try:
        from .emulator import IndoxHubEmulator
    except ImportError as exc:  # the emulator extra is not installed
        raise pytest.UsageError(
            "the indoxhub_emulator fixture needs the emulator extra: "
            "pip install 'indoxhub-integrations[emulator]'"
        ) from exc
    with IndoxHubEmulator(**indoxhub_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def indoxhub_emulator(
    _indoxhub_emulator_server: IndoxHubEmulator, request: pytest.FixtureRequest
) -> IndoxHubEmulator:
    """The session's emulator, reset, with the test's ``@pytest.mark.indoxhub`` scene applied.

    Point a client at ``indoxhub_emulator.base_url`` with ``indoxhub_emulator.api_key``, or
    request ``indoxhub_env`` to have both in the environment.
    """
    emulator = _indoxhub_emulator_server
    emulator.reset()
    apply_scene(emulator, scene_of(request.node))
    return emulator


@pytest.fixture
def indoxhub_env(
    indoxhub_emulator: IndoxHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> IndoxHubEmulator:
    """``indoxhub_emulator`` with its URL and key (and placeholder provider keys) in the env."""
    for name in _CLEARED_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INDOXHUB_BASE_URL", indoxhub_emulator.base_url)
    monkeypatch.setenv("INDOXHUB_API_KEY", indoxhub_emulator.api_key)
    for name, value in PLACEHOLDER_PROVIDER_KEYS.items():
        monkeypatch.setenv(name, value)
    return indoxhub_emulator


def scene_of(node: Any) -> dict[str, Any]:
    """The merged ``@pytest.mark.indoxhub`` arguments of ``node`` (the closest marker wins).

    Raises:
        pytest.UsageError: For positional arguments or an unknown keyword.
    """
    scene: dict[str, Any] = {}
    for mark in node.iter_markers(MARKER):  # closest first
        if mark.args:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes keyword arguments only "
                f"({', '.join(SCENE_ARGUMENTS)}), got {mark.args!r} on {node.nodeid}"
            )
        unknown = sorted(set(mark.kwargs) - set(SCENE_ARGUMENTS))
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} on {node.nodeid}: unknown argument(s) {unknown}; "
                f"use {', '.join(SCENE_ARGUMENTS)}"
            )
        for key, value in mark.kwargs.items():
            scene.setdefault(key, value)
    return scene


def apply_scene(emulator: IndoxHubEmulator, scene: Mapping[str, Any]) -> None:
    """Set credits, tier, style and latency, then queue the faults, in that order.

    ``faults`` is a list whose items are a fault name (``"drop"``, ``"cut_stream"``,
    ``"stream_error"``, ``"malformed_json"``, ``"delay"``) for the next model call, or a dict of
    :meth:`IndoxHubEmulator.enqueue` arguments (``{"status": 503, "times": 3}``,
    ``{"fault": "cut_stream", "after_events": 2, "path": "/chat/completions"}``).
    """
    if scene.get("credits") is not None:
        emulator.set_credits(float(scene["credits"]))
    if scene.get("tier") is not None:
        emulator.set_tier(str(scene["tier"]))
    if scene.get("style") is not None:
        emulator.set_response_style(str(scene["style"]))
    if scene.get("latency") is not None:
        emulator.set_latency(float(scene["latency"]))
    faults = scene.get("faults") or []
    if isinstance(faults, (str, Mapping)):
        faults = [faults]
    for fault in faults:
        if isinstance(fault, str):
            emulator.enqueue(fault=fault)
        elif isinstance(fault, Mapping):
            emulator.enqueue(**fault)
        else:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER}(faults=...): each fault is a name such as 'drop' or a "
                f"dict of IndoxHubEmulator.enqueue arguments, got {fault!r}"
            )

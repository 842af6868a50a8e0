"""Shared fixtures: one emulator per test session (reset before each test that uses it; it is
the session emulator of the package's pytest plugin), canary keys, a clean environment for
every test, and the Hypothesis profiles.

Hypothesis profiles (see docs/contributing.md):
- ``ci`` (the default): derandomized, so every run of the suite generates the same examples and
  gives the same answer; no deadline and no timing health check (the machine may be loaded).
- ``explore``: random, with the example database, and 20x as many examples; select it on
  purpose with ``HYPOTHESIS_PROFILE=explore`` or ``--hypothesis-profile=explore``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from indoxhub_integrations.core.byok import PROVIDER_ENV_VARS

CANARY_PLATFORM_KEY = "ixh-CANARYPLATFORM-3f9a1c7e5b2d4680"
"""The emulator's platform key in tests: it must never show up anywhere but the HTTP request."""
CANARY_BYOK_KEY = "sk-CANARYBYOK-openai-9d8c7b6a5f4e3d21"
"""A BYOK key (OpenAI-shaped: proves no provider) that must never leak."""
CANARY_ANTHROPIC_KEY = "sk-ant-CANARYBYOK-anthropic-1a2b3c4d5e6f"
"""A BYOK key whose prefix proves it is Anthropic's."""

CI_EXAMPLES = 100
"""``max_examples`` of the ``ci`` profile; the ``explore`` profile multiplies it by 20."""
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=CI_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "explore",
    derandomize=False,
    deadline=None,
    max_examples=20 * CI_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
# The default, also for the README's test command; pytest's --hypothesis-profile overrides it.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def scaled(examples: int) -> int:
    """A test's ``max_examples`` under the active profile: ``examples`` in ``ci``, 20x that in
    ``explore`` (a test that sets its own count keeps it in proportion to the profile's)."""
    return max(1, examples * settings.default.max_examples // CI_EXAMPLES)


_CLEARED_PREFIXES = ("INDOXHUB_", "INDOX_ROUTER_")
_PROVIDER_VARS = frozenset(name for names in PROVIDER_ENV_VARS.values() for name in names)
"""Every provider env var ``byok_from_env=True`` reads, from the package itself."""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) or name in _PROVIDER_VARS:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def indoxhub_emulator_options() -> dict[str, Any]:
    """The session emulator of the package's own pytest plugin, with the canary platform key."""
    return {"api_key": CANARY_PLATFORM_KEY, "credits": 1000.0}


@pytest.fixture
def emulator(indoxhub_emulator: Any) -> Any:
    """The session's emulator, reset to its starting state (credits, tier, style, log).

    This is the plugin's ``indoxhub_emulator`` (so ``@pytest.mark.indoxhub`` works here too).
    """
    return indoxhub_emulator


@pytest.fixture
def platform_key() -> str:
    """The canary platform key the emulator accepts."""
    return CANARY_PLATFORM_KEY


@pytest.fixture
def byok_key() -> str:
    """A canary BYOK key (OpenAI-shaped)."""
    return CANARY_BYOK_KEY


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("INDOXHUB_API_KEY") or os.environ.get("INDOX_ROUTER_API_KEY"):
        return
    skip = pytest.mark.skip(reason="live test: set INDOXHUB_API_KEY to run against indoxhub")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)

"""Against the real indoxhub API: run with INDOXHUB_API_KEY set (skipped without it).

These spend a trivial amount of credits (a few tokens on a small model). The key is read at
import, before the suite's autouse fixture clears INDOXHUB_* variables for every test.
"""

from __future__ import annotations

import os

import pytest

from indoxhub_integrations import IndoxHubClient

LIVE_KEY = os.environ.get("INDOXHUB_API_KEY") or os.environ.get("INDOX_ROUTER_API_KEY")
LIVE_BASE_URL = os.environ.get("INDOXHUB_BASE_URL")
LIVE_MODEL = os.environ.get("INDOXHUB_LIVE_MODEL", "openai/gpt-4o-mini")
OPENAI_KEY = os.environ.get("OPENAI_API_KEY")

pytestmark = pytest.mark.live


def _client() -> IndoxHubClient:
    return IndoxHubClient(api_key=LIVE_KEY, base_url=LIVE_BASE_URL)


def test_live_chat_reports_usage_and_cost() -> None:
    result = _client().chat(
        [{"role": "user", "content": "Reply with the single word: pong"}],
        model=LIVE_MODEL,
        max_tokens=5,
    )
    assert result.text
    assert result.usage.total_tokens > 0
    assert result.meta.byok is False
    # Either reported or estimated from catalog pricing, and labelled as such; never a fake 0.
    assert result.usage.cost is None or result.usage.cost >= 0


def test_live_catalog_has_pricing() -> None:
    models = _client().list_models()
    assert any(m.id == LIVE_MODEL for m in models)


@pytest.mark.skipif(not OPENAI_KEY, reason="needs OPENAI_API_KEY for a BYOK request")
def test_live_byok_markers() -> None:
    result = _client().chat(
        [{"role": "user", "content": "Reply with the single word: pong"}],
        model=LIVE_MODEL,
        max_tokens=5,
        byok_api_key=OPENAI_KEY,
    )
    assert result.meta.byok is True
    assert result.usage.cost == 0

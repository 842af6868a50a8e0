"""The emulator's routes fuzzed from their OpenAPI document (``GET /openapi.json``).

Schemathesis generates well-formed requests (positive mode: every answer is below 500) and
malformed ones (negative mode: every answer is a 4xx, never a 2xx and never a 5xx) for each
operation of the ``/api/v1`` and ``/v1`` routes, and sends them to the running emulator.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from indoxhub_integrations.emulator.openapi import openapi_schema  # noqa: E402

from ..conftest import scaled  # noqa: E402

SCHEMA = schemathesis.openapi.from_dict(openapi_schema())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
CASES = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in OPERATIONS
    for mode in (POSITIVE, NEGATIVE)
    # a GET without parameters has nothing to get wrong but its credentials (tested elsewhere)
    if mode is POSITIVE or operation.method.upper() != "GET" or operation.path_parameters
]
FUZZ = settings(
    max_examples=scaled(15),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_the_document_is_served_and_covers_every_api_route(emulator: Any) -> None:
    served = httpx.get(f"{emulator.base_url}/openapi.json").json()
    assert served == openapi_schema()
    routes = {route.path for route in emulator.app.routes if route.path.startswith(("/api", "/v1"))}
    documented = set(served["paths"])
    assert routes - {"/api/v1/models", "/api/v1/models/{provider}/{model:path}"} <= documented | {
        "/api/v1/models/{provider}/{model}"
    }


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_route(emulator: Any, operation: Any, mode: Any) -> None:
    headers = {"Authorization": f"Bearer {emulator.api_key}", "X-API-Key": emulator.api_key}
    negative = mode is NEGATIVE
    seen: list[int] = []

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call(base_url=emulator.base_url, headers=headers, timeout=10)
        status = response.status_code
        seen.append(status)
        assert status < 500, f"{case.method} {case.path} answered {status}: {response.text[:300]}"
        if negative:
            assert 400 <= status < 500, (
                f"malformed {case.method} {case.path} was accepted ({status}): {case.body!r:.300}"
            )

    check()
    assert seen  # the route was exercised

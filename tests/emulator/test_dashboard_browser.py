"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium.

Skipped (with the reason) only where Chromium or its driver is missing and ``CI`` is not set;
in CI (``CI=true``) a missing browser fails the test, so the check cannot quietly vanish.
``.ci/run`` installs ``chromium`` and ``chromium-driver``. Set ``EMULATOR_DASHBOARD_SCREENSHOT``
to a path to keep the screenshot the test takes (``docs/img/dashboard.png`` is one).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from indoxhub_integrations import IndoxHubClient
from indoxhub_integrations.emulator import IndoxHubEmulator
from indoxhub_integrations.errors import InsufficientCreditsError, RateLimitError

from ..conftest import CANARY_BYOK_KEY, CANARY_PLATFORM_KEY


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    if _in_ci():
        raise  # CI installs the dev extra: a missing selenium is a broken setup
    pytest.skip("selenium is not installed (the dev extra has it)", allow_module_level=True)

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT_SECONDS = 20
"""Upper bound of every explicit wait (the page polls once a second)."""
CHAT_MODEL = "openai/gpt-4o-mini"


def _find(path: str, name: str) -> str | None:
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return shutil.which(name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium with its console and network (CDP performance) logs kept."""
    binary = _find(CHROMIUM, "chromium")
    driver_path = _find(CHROMEDRIVER, "chromedriver")
    if binary is None or driver_path is None:
        missing = "chromium" if binary is None else "chromium-driver"
        reason = f"{missing} is not installed (apt-get install -y chromium chromium-driver)"
        if _in_ci():
            pytest.fail(f"CI=true but {reason}: the dashboard's browser tests cannot run")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI containers run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1440,1500",
        # any host but loopback is unreachable: the page must need nothing from elsewhere
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        if _in_ci():
            raise
        pytest.skip(f"chromium is installed but would not start: {exc.msg}")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def emulator(indoxhub_emulator: IndoxHubEmulator) -> IndoxHubEmulator:
    """The session's emulator whose platform key is the canary (tests/conftest.py), reset."""
    return indoxhub_emulator


def _wait(driver: Any, what: str, condition: Callable[[Any], Any]) -> Any:
    return WebDriverWait(driver, WAIT_SECONDS).until(condition, message=f"waiting for {what}")


def _value(driver: Any, element_id: str) -> str | None:
    return driver.find_element(By.ID, element_id).get_attribute("data-value")


def _rows(driver: Any) -> list[Any]:
    return driver.find_elements(By.CSS_SELECTOR, "#log tbody tr")


def _network(driver: Any) -> tuple[list[str], str]:
    """Every URL the page asked for, and everything sent or received (headers and bodies)."""
    urls: list[str] = []
    seen: list[str] = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        seen.append(json.dumps(params))
        if method == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif method == "Network.loadingFinished":
            try:
                body = driver.execute_cdp_cmd(
                    "Network.getResponseBody", {"requestId": params["requestId"]}
                )
            except WebDriverException:
                continue  # evicted from the browser's buffer, or a redirect
            seen.append(body.get("body", ""))
    return urls, "\n".join(seen)


def test_dashboard_shows_credits_spend_and_live_log_without_leaking_keys(
    browser: Any, emulator: IndoxHubEmulator, tmp_path: Path
) -> None:
    driver = browser
    driver.get(emulator.base_url + "/")
    _wait(driver, "the first poll", lambda d: d.find_element(By.ID, "live").text == "live")
    driver.execute_script("window.__sameDocument = true")  # gone if the page reloads

    with IndoxHubClient(
        api_key=CANARY_PLATFORM_KEY, base_url=emulator.base_url, max_retries=0
    ) as client:
        client.chat([{"role": "user", "content": "Hello there"}], model=CHAT_MODEL)
        client.chat([{"role": "user", "content": "What is BYOK?"}], model="openai/gpt-4o")
        client.embed(["one", "two"], model="openai/text-embedding-3-small")
        client.generate_image("a red barn in a snowy field", model="openai/dall-e-3")
        client.text_to_speech("Hello from the emulator.", model="openai/tts-1")
        for question in ("Mine, please", "And again"):
            client.chat(
                [{"role": "user", "content": question}],
                model=CHAT_MODEL,
                byok_api_key=CANARY_BYOK_KEY,
            )

        records = emulator.requests
        usage = emulator.usage()
        assert usage["byok_requests"] == 2 and usage["platform_requests"] == 5
        # new rows appear without a reload, newest first
        _wait(driver, "every request in the log", lambda d: len(_rows(d)) == len(records))
        assert driver.execute_script("return window.__sameDocument === true")
        shown = [row.get_attribute("data-request-id") for row in _rows(driver)]
        assert shown == [r.request_id for r in reversed(records)]
        # credits, exactly as the emulator holds them
        _wait(driver, "the credits", lambda d: _value(d, "credits") == repr(emulator.credits))
        # the chart's totals and bars add up to the usage report
        total = driver.find_element(By.CSS_SELECTOR, "#chart-time .chart-total")
        assert math.isclose(float(total.get_attribute("data-platform-cost")), usage["total_cost"])
        assert int(total.get_attribute("data-platform-requests")) == 5
        assert int(total.get_attribute("data-byok-requests")) == 2
        assert float(total.get_attribute("data-byok-estimate")) > 0
        bars = driver.find_elements(By.CSS_SELECTOR, "#chart-time rect.platform")
        assert math.isclose(
            sum(float(b.get_attribute("data-platform-cost")) for b in bars), usage["total_cost"]
        )
        models = {
            g.get_attribute("data-name"): g
            for g in driver.find_elements(By.CSS_SELECTOR, "#chart-models g.group")
        }
        assert set(models) == set(usage["models"])
        for name, group in models.items():
            cost = float(group.get_attribute("data-platform-cost"))
            assert math.isclose(cost, usage["models"][name]["cost"])
        assert models[CHAT_MODEL].get_attribute("data-byok-requests") == "2"
        # the image's thumbnail loaded
        _wait(
            driver,
            "the image thumbnail",
            lambda d: d.execute_script(
                "const i = document.querySelector('img.thumb');"
                "return i !== null && i.complete && i.naturalWidth === 512"
            ),
        )
        screenshot = tmp_path / "dashboard.png"
        driver.save_screenshot(str(screenshot))
        assert screenshot.read_bytes().startswith(b"\x89PNG")
        keep = os.environ.get("EMULATOR_DASHBOARD_SCREENSHOT")
        if keep:
            shutil.copyfile(screenshot, keep)

        # a BYOK row opens the masked request and the response body
        byok_row = driver.find_element(
            By.CSS_SELECTOR, f'#log tr[data-request-id="{records[-1].request_id}"]'
        )
        byok_row.click()
        response = driver.find_element(By.ID, "detail-response")
        _wait(driver, "the response body", lambda d: response.text.startswith("{"))
        assert records[-1].request_id in response.text
        request = driver.find_element(By.ID, "detail-request").text
        assert '"byok_api_key": "sk-...3d21"' in request and "And again" in request
        driver.find_element(By.ID, "detail-close").click()

        # no canary key anywhere: page, network traffic (both ways) and console
        page = driver.page_source + driver.execute_script("return document.body.innerText")
        urls, traffic = _network(driver)
        console = json.dumps(driver.get_log("browser"))
        for secret in (CANARY_BYOK_KEY, CANARY_PLATFORM_KEY):
            assert secret not in page
            assert secret not in traffic
            assert secret not in console
        assert urls and all(url.startswith(emulator.base_url + "/") for url in urls), urls
        assert "SEVERE" not in console, console

        # controls: a fault queued from the page hits the next request
        Select(driver.find_element(By.ID, "fault-input")).select_by_value("429")
        driver.find_element(By.CSS_SELECTOR, "#fault-form button").click()
        _wait(
            driver,
            "the queued fault",
            lambda d: "status 429" in d.find_element(By.ID, "pending").text,
        )
        with pytest.raises(RateLimitError):
            client.chat([{"role": "user", "content": "hi"}], model=CHAT_MODEL)

        # credits set to 0 from the page: the next platform request fails with 402
        field = driver.find_element(By.ID, "credits-input")
        field.clear()
        field.send_keys("0")
        driver.find_element(By.CSS_SELECTOR, "#credits-form button").click()
        _wait(driver, "credits at 0", lambda d: _value(d, "credits") == "0")
        assert emulator.credits == 0
        with pytest.raises(InsufficientCreditsError) as failed:
            client.chat([{"role": "user", "content": "one more"}], model=CHAT_MODEL)
        assert failed.value.status_code == 402
    _wait(
        driver,
        "the 402 row on top",
        lambda d: _rows(d)[0].find_element(By.CSS_SELECTOR, "td.status").text == "402",
    )
    statuses = [row.find_element(By.CSS_SELECTOR, "td.status").text for row in _rows(driver)[:2]]
    assert statuses == ["402", "429"]
    assert _rows(driver)[1].find_element(By.CSS_SELECTOR, "td.fault").text == "status 429"


def test_reset_from_the_page_clears_the_log(browser: Any, emulator: IndoxHubEmulator) -> None:
    driver = browser
    driver.get(emulator.base_url + "/")
    emulator.set_tier("free")
    _wait(driver, "the tier", lambda d: d.find_element(By.ID, "tier").text == "free")
    with IndoxHubClient(api_key=CANARY_PLATFORM_KEY, base_url=emulator.base_url) as client:
        client.chat([{"role": "user", "content": "Hello"}], model=CHAT_MODEL)
    count = len(emulator.requests)  # the chat, and the client's token exchange before it
    _wait(driver, "the request's rows", lambda d: len(_rows(d)) == count)
    _wait(driver, "the rate limit use", lambda d: "1 / 10" in d.find_element(By.ID, "rate").text)
    driver.find_element(By.CSS_SELECTOR, "#reset-form button").click()
    _wait(driver, "an empty log", lambda d: not _rows(d))
    assert emulator.requests == [] and emulator.tier == "unlimited"
    assert driver.find_element(By.ID, "empty").is_displayed()

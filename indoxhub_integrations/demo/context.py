"""The tour's environment: which server (embedded emulator or the real API), keys, the usage
ledger every step adds to, and the gate that asks before spending more than a trivial amount."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from ..core.byok import PROVIDER_ENV_VARS, check_key_matches, split_model
from ..core.client import IndoxHubClient
from ..core.config import API_KEY_ENV_VARS, BASE_URL_ENV_VAR, DEFAULT_BASE_URL
from ..core.server_usage import ServerUsageCheck
from ..core.usage import UsageLedger, UsageRecord
from ..core.wire import ModelInfo
from ..errors import IndoxHubError
from .cli import Options
from .console import Console
from .errors import DemoError, explain

EMULATOR_CREDITS = 5.0
"""Platform credits (USD) the embedded emulator starts with."""
TRIVIAL_USD = 0.01
"""Steps estimated at or below this spend run without asking."""

_PLACEHOLDER_KEYS = {
    "openai": "sk-demo-byok-openai-0000",
    "anthropic": "sk-ant-demo-byok-0000",
    "google": "AIzaDemoByokKey000000",
    "xai": "xai-demobyok0000",
    "groq": "gsk_demobyok0000",
}


def placeholder_byok_key(provider: str) -> str:
    """A well-formed fake provider key: the emulator accepts it as a BYOK key."""
    return _PLACEHOLDER_KEYS.get(provider, "demo-byok-key-0000")


def default_byok_env(provider: str) -> tuple[str, ...]:
    """The env vars a provider's own SDK reads its key from (``OPENAI_API_KEY``...)."""
    return PROVIDER_ENV_VARS.get(provider, (f"{provider.upper()}_API_KEY",))


class SpendGate:
    """Decides whether a step may spend money: never asks on the emulator; on the real API it
    runs trivial steps, and asks before the others (skips them when it cannot ask)."""

    def __init__(
        self,
        console: Console,
        *,
        emulated: bool,
        assume_yes: bool,
        interactive: bool | None = None,
        ask: Callable[[str], str] = input,
    ) -> None:
        self.console = console
        self.emulated = emulated
        self.assume_yes = assume_yes
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.ask = ask

    def allow(self, what: str, estimate: float | None) -> bool:
        """Whether to go ahead with ``what`` (estimated USD, ``None`` when unknown)."""
        if self.emulated:
            return True
        amount = "an unknown amount" if estimate is None else f"about ${estimate:.4f}"
        if estimate is not None and estimate <= TRIVIAL_USD:
            self.console.info(f"{what}: estimated {amount} (trivial, not asking)")
            return True
        if self.assume_yes:
            self.console.info(f"{what}: will spend {amount} (--yes given)")
            return True
        if not self.interactive:
            self.console.note(
                f"skipped {what}: it would spend {amount}, and stdin is not a terminal so the "
                "tour cannot ask; rerun with --yes to include it."
            )
            return False
        try:
            answer = self.ask(f"   {what} will spend {amount}. Continue? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() in ("y", "yes"):
            return True
        self.console.note(f"skipped {what} (you said no).")
        return False


@dataclass
class Tour:
    """Everything a step needs."""

    options: Options
    console: Console
    base_url: str
    api_key: str
    emulated: bool
    client: IndoxHubClient
    byok_key: str | None
    byok_label: str
    byok_env: str | None
    spend: SpendGate
    dashboard_url: str | None = None
    """The embedded emulator's dashboard (``None`` on the real API)."""
    ledger: UsageLedger = field(default_factory=UsageLedger)
    server_check: ServerUsageCheck | None = None
    """Snapshots of the account's usage report around the tour (None when unavailable)."""
    _catalog: dict[str, ModelInfo] | None = None

    @property
    def connection(self) -> dict[str, Any]:
        """The connection fields shared by every indoxhub class of both frameworks."""
        return {"api_key": self.api_key, "base_url": self.base_url}

    def credits(self) -> float | None:
        """The account's platform credits in USD, when the server reports them."""
        value = self.client.me().get("credits")
        try:
            return None if value is None else float(value)
        except (TypeError, ValueError):
            return None

    def record(self, records: Iterable[UsageRecord]) -> None:
        """Add a step's usage records to the tour's ledger (for the closing report)."""
        for record in records:
            self.ledger.add(record)

    def model_info(self, model: str) -> ModelInfo | None:
        """The catalog entry of ``model`` (fetched once), or ``None`` when unavailable."""
        if self._catalog is None:
            try:
                self._catalog = {info.id: info for info in self.client.list_models()}
            except IndoxHubError:
                self._catalog = {}
        return self._catalog.get(model)

    def estimate_tokens(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """USD for a token-priced request, from catalog pricing (``None``: unknown)."""
        info = self.model_info(model)
        if info is None or info.prompt_price is None:
            return None
        unit = info.price_unit_tokens or 1000
        completion = info.completion_price or 0.0
        return (input_tokens * info.prompt_price + output_tokens * completion) / unit

    def estimate_images(self, model: str, count: int = 1) -> float | None:
        """USD for ``count`` images, from catalog pricing (``None``: unknown)."""
        info = self.model_info(model)
        pricing = info.raw.get("pricing") if info is not None else None
        price = pricing.get("image") if isinstance(pricing, dict) else None
        return float(price) * count if isinstance(price, int | float) else None


def _platform_key() -> str | None:
    for name in API_KEY_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _byok(options: Options, emulated: bool) -> tuple[str | None, str, str | None]:
    """The BYOK key for the comparison, a description of where it came from, and its env var."""
    provider, _ = split_model(options.model)
    if emulated and options.byok_key_env is None:
        return placeholder_byok_key(provider), "a placeholder key the emulator accepts", None
    names = (options.byok_key_env,) if options.byok_key_env else default_byok_env(provider)
    for name in names:
        value = os.environ.get(name)
        if value:
            return value.strip(), f"${name}", name
    return None, f"${names[0]} (not set)", names[0]


@contextmanager
def open_tour(options: Options, console: Console) -> Iterator[Tour]:
    """Start the embedded emulator or connect to the real API, check the key, yield the tour."""
    with ExitStack() as stack:
        api_key = _platform_key()
        emulated = api_key is None
        dashboard_url = None
        if api_key is None:
            try:
                from ..emulator import IndoxHubEmulator
            except ImportError as exc:
                raise DemoError(
                    f"No INDOXHUB_API_KEY is set and the embedded emulator cannot start ({exc}).",
                    "install the emulator extra: pip install 'indoxhub-integrations[emulator]', "
                    "or set INDOXHUB_API_KEY to use the real API.",
                ) from None
            emulator = stack.enter_context(IndoxHubEmulator(credits=EMULATOR_CREDITS))
            base_url, api_key = emulator.base_url, emulator.api_key
            dashboard_url = emulator.dashboard_url
            console.print(
                f"No INDOXHUB_API_KEY set: started the embedded indoxhub emulator at {base_url}."
            )
            console.print(
                f"   (local, no network, no cost: ${EMULATOR_CREDITS:.2f} of pretend credits; "
                "its answers are deterministic echoes of the prompt)"
            )
            console.print(
                f"   Dashboard (credits, spend, every request, live): {dashboard_url}"
                + ("" if options.keep_emulator else "  (--keep-emulator keeps it open)")
            )
            if options.base_url:
                console.note("--base-url is ignored while the embedded emulator runs.")
        else:
            base_url = options.base_url or os.environ.get(BASE_URL_ENV_VAR) or DEFAULT_BASE_URL
            console.print(f"INDOXHUB_API_KEY is set: using the indoxhub API at {base_url}.")
            if options.keep_emulator:
                console.note("--keep-emulator has no effect: the tour uses the real API.")
        byok_key, byok_label, byok_env = _byok(options, emulated)
        try:
            client = stack.enter_context(IndoxHubClient(api_key=api_key, base_url=base_url))
        except IndoxHubError as exc:
            raise explain(exc, where="Connecting to indoxhub", byok_env=byok_env) from None
        tour = Tour(
            options=options,
            console=console,
            base_url=base_url,
            api_key=api_key,
            emulated=emulated,
            client=client,
            byok_key=byok_key,
            byok_label=byok_label,
            byok_env=byok_env,
            spend=SpendGate(console, emulated=emulated, assume_yes=options.yes),
            dashboard_url=dashboard_url,
        )
        try:
            credits = tour.credits()
        except IndoxHubError as exc:
            raise explain(exc, where="Checking the account", byok_env=None, byok=False) from None
        try:
            if byok_key:
                check_key_matches(options.model, SecretStr(byok_key))
        except IndoxHubError as exc:
            raise explain(exc, where="Checking the BYOK key", byok_env=byok_env) from None
        try:
            tour.server_check = ServerUsageCheck(client)
            tour.server_check.open()
        except IndoxHubError as exc:
            tour.server_check = None
            console.note(f"the account's usage report is unavailable ({exc.message}).")
        shown = "not reported" if credits is None else f"${credits:.4f}"
        console.print(f"Account OK: platform credits {shown}; BYOK key: {byok_label}.")
        yield tour

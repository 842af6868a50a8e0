"""The demo tour: ``python -m indoxhub_integrations``.

With no ``INDOXHUB_API_KEY`` set it starts the embedded emulator and says so; with one it runs
against the real API.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from .core.client import IndoxHubClient
from .core.usage import UsageLedger, record_from_result
from .errors import IndoxHubError


@contextmanager
def _server(base_url: str | None) -> Iterator[tuple[str | None, str | None]]:
    if os.environ.get("INDOXHUB_API_KEY") or os.environ.get("INDOX_ROUTER_API_KEY"):
        print("Using the real indoxhub API (INDOXHUB_API_KEY is set).")
        yield base_url, None
        return
    from .emulator import IndoxHubEmulator

    with IndoxHubEmulator(credits=5.0) as emulator:
        print(f"No INDOXHUB_API_KEY set: running against the embedded emulator at {emulator.base_url}")
        yield emulator.base_url, emulator.api_key


def _step(title: str) -> None:
    print(f"\n== {title}")


def run(argv: list[str] | None = None) -> int:
    """Run the tour; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m indoxhub_integrations", description=__doc__)
    parser.add_argument("--base-url", default=None, help="indoxhub server root")
    parser.add_argument("--model", default="openai/gpt-4o-mini", help="chat model provider/model")
    parser.add_argument(
        "--byok-key-env",
        default="OPENAI_API_KEY",
        help="env var holding your own provider key for the BYOK step",
    )
    args = parser.parse_args(argv)
    ledger = UsageLedger()
    with _server(args.base_url) as (base_url, api_key):
        client = IndoxHubClient(api_key=api_key, base_url=base_url)
        byok_key = os.environ.get(args.byok_key_env) or ("sk-demo-byok-key" if api_key else None)
        question = [{"role": "user", "content": "In one sentence, what is an AI gateway?"}]
        try:
            _step(f"1. Chat on platform credits ({args.model})")
            result = client.chat(question, model=args.model, max_tokens=60)
            ledger.add(record_from_result(result))
            print(f"   answer: {result.text}")
            print(f"   cost:   {_cost(result.usage.cost, result.usage.cost_estimated)}")
            if byok_key:
                _step("2. The same chat with your own provider key (BYOK)")
                result = client.chat(question, model=args.model, byok_api_key=byok_key)
                ledger.add(record_from_result(result))
                print(f"   byok={result.meta.byok}  bypass={result.meta.rate_limit_bypass!r}")
                print(f"   cost:   {_cost(result.usage.cost, result.usage.cost_estimated)}")
            else:
                print(f"\n(skipping BYOK: set {args.byok_key_env} to try it)")
            _step("3. Streaming")
            print("   ", end="")
            for event in client.stream_chat(question, model=args.model):
                print(event.text_delta, end="", flush=True)
                if event.type == "done" and event.result is not None:
                    ledger.add(record_from_result(event.result))
            print()
            _step("4. Embeddings")
            vectors = client.embed(["cats purr", "kittens purr", "stocks fell"], model=_embed(args))
            ledger.add(record_from_result(vectors))
            print(f"   {len(vectors.vectors)} vectors of {len(vectors.vectors[0])} dimensions")
            _step("5. Image generation")
            image = client.generate_image("a lighthouse at dawn", model="openai/dall-e-3",
                                          response_format="b64_json")  # fmt: skip
            ledger.add(record_from_result(image))
            out = tempfile.mkdtemp(prefix="indoxhub-demo-")
            from .core.content import save_image

            path = save_image(image.images[0], out, "lighthouse") if image.images else None
            print(f"   saved to {path or image.images[0].url}")
        except IndoxHubError as exc:
            print(f"\nerror: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        finally:
            client.close()
    _step("Usage report")
    print(ledger)
    return 0


def _embed(args: argparse.Namespace) -> str:
    return "openai/text-embedding-3-small"


def _cost(cost: float | None, estimated: bool) -> str:
    if cost is None:
        return "unknown (not reported, no pricing available)"
    return f"${cost:.6f}" + (" (estimated from catalog pricing)" if estimated else "")


if __name__ == "__main__":
    raise SystemExit(run())

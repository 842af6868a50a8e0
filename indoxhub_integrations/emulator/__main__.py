"""``python -m indoxhub_integrations.emulator``: serve the emulator in the foreground."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import uvicorn

from .server import IndoxHubEmulator, bind_socket, server_config
from .state import STYLES, TIERS


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m indoxhub_integrations.emulator",
        description="Serve a local indoxhub-compatible API (no network, no real key).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9050, help="0 picks a free port")
    parser.add_argument("--credits", type=float, default=100.0, help="starting credits in USD")
    parser.add_argument("--tier", choices=list(TIERS), default="unlimited")
    parser.add_argument("--style", choices=STYLES, default="responses")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    parser.add_argument("--api-key", default="ixh-emulator-key")
    parser.add_argument("--require-token-exchange", action="store_true")
    parser.add_argument(
        "--video-steps", type=int, default=2,
        help="polls a video job spends in progress before it completes",
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help="forward every API request to URL (e.g. https://api.indoxhub.com); clients using "
        "--api-key are forwarded with $INDOXHUB_UPSTREAM_API_KEY",
    )
    parser.add_argument(
        "--record-to",
        metavar="FILE",
        help="with --upstream: append every exchange to FILE (JSON lines, secrets removed)",
    )
    parser.add_argument(
        "--replay", metavar="FILE", help="answer API requests from the exchanges in FILE, offline"
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="PROVIDER/NAME[:TYPE]",
        help="serve this extra model name too (repeatable), e.g. openai/my-finetune",
    )
    parser.add_argument(
        "--strict-schema",
        action="store_true",
        help="drop message fields the documented ChatMessage schema does not declare",
    )
    args = parser.parse_args(argv)
    if args.record_to and not args.upstream:
        parser.error("--record-to needs --upstream")
    if args.replay and args.upstream:
        parser.error("--replay answers offline: it cannot be combined with --upstream")

    emulator = IndoxHubEmulator(
        credits=args.credits,
        tier=args.tier,
        response_style=args.style,
        latency=args.latency,
        api_key=args.api_key,
        require_token_exchange=args.require_token_exchange,
        models=args.model,
        strict_schema=args.strict_schema,
        host=args.host,
        port=args.port,
        video_steps=args.video_steps,
        upstream=args.upstream,
        upstream_api_key=os.environ.get("INDOXHUB_UPSTREAM_API_KEY") if args.upstream else None,
        record_to=args.record_to,
        replay=args.replay,
    )
    sock = bind_socket(args.host, args.port)
    emulator.port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(emulator.app, args.host, emulator.port, foreground=True))
    print(f"indoxhub emulator: {emulator.base_url}", flush=True)
    print(f"API key: {emulator.api_key}", flush=True)
    print(f"Dashboard: {emulator.dashboard_url}", flush=True)
    if args.upstream:
        recording = f", recording to {args.record_to}" if args.record_to else ""
        print(f"forwarding to {args.upstream}{recording}", flush=True)
    if args.replay:
        print(f"replaying {args.replay}", flush=True)
    print(
        f"  export INDOXHUB_BASE_URL={emulator.base_url} INDOXHUB_API_KEY={emulator.api_key}",
        flush=True,
    )
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()

"""Command-line options of the tour."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "openai/gpt-4o-mini"
EMBEDDING_MODEL = "openai/text-embedding-3-small"
IMAGE_MODEL = "openai/dall-e-3"

DESCRIPTION = """\
A guided tour of indoxhub-integrations: a LangChain chain on platform credits and with your
own provider key (BYOK), retrieval-augmented generation with LlamaIndex, an agent that
generates an image, and a usage report. With no INDOXHUB_API_KEY it runs against an embedded
emulator (no network, no cost); with one it uses the real API and asks before any step that
spends more than a trivial amount."""


@dataclass(frozen=True)
class Options:
    """What the user asked for."""

    only: str | None
    base_url: str | None
    model: str
    byok_key_env: str | None
    yes: bool
    output_dir: Path
    keep_emulator: bool = False

    @property
    def langchain(self) -> bool:
        """Whether the LangChain parts run."""
        return self.only in (None, "langchain")

    @property
    def llamaindex(self) -> bool:
        """Whether the LlamaIndex parts run."""
        return self.only in (None, "llamaindex")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (``--help`` documents every option)."""
    parser = argparse.ArgumentParser(
        prog="python -m indoxhub_integrations", description=DESCRIPTION
    )
    parser.add_argument(
        "--only", choices=("langchain", "llamaindex"), default=None,
        help="run only the steps of one framework",
    )  # fmt: skip
    parser.add_argument(
        "--base-url", default=None,
        help="indoxhub server root for the real API (default: INDOXHUB_BASE_URL or "
        "https://api.indoxhub.com); ignored when the embedded emulator runs",
    )  # fmt: skip
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"chat model as provider/model ({DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--byok-key-env", default=None, metavar="NAME",
        help="env var holding your own provider key for the BYOK comparison (default: the "
        "model provider's usual variable, e.g. OPENAI_API_KEY)",
    )  # fmt: skip
    parser.add_argument(
        "--yes", "-y", action="store_true",
        help="do not ask before steps that spend more than a trivial amount (real API only)",
    )  # fmt: skip
    parser.add_argument(
        "--output-dir", type=Path, default=Path("indoxhub-demo-output"),
        help="where the agent saves the generated image (default: ./indoxhub-demo-output)",
    )  # fmt: skip
    parser.add_argument(
        "--keep-emulator", action="store_true",
        help="keep the embedded emulator (and its dashboard) running after the tour, until "
        "Ctrl+C, so you can look at every request it served in the browser",
    )  # fmt: skip
    return parser


def parse_options(argv: list[str] | None = None) -> Options:
    """Parse ``argv`` (default: ``sys.argv[1:]``); exits with code 2 on a usage error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if "/" not in args.model or args.model.startswith("/") or args.model.endswith("/"):
        parser.error(f"--model must be provider/model, e.g. {DEFAULT_MODEL}; got {args.model!r}")
    return Options(
        only=args.only,
        base_url=args.base_url,
        model=args.model,
        byok_key_env=args.byok_key_env,
        yes=args.yes,
        output_dir=args.output_dir,
        keep_emulator=args.keep_emulator,
    )

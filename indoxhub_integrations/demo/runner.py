"""Runs the tour: opens the environment, runs the steps, prints the report, maps failures to a
clear message and exit code 1 (no traceback for expected failures)."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable

from .cli import Options, parse_options
from .console import Console
from .context import Tour, open_tour
from .errors import DemoError, explain, find_indoxhub_error
from .report import print_report

Step = tuple[str, Callable[[Tour, int], None]]


def plan(options: Options) -> list[Step]:
    """The steps to run, in order, for the chosen frameworks."""
    from . import agent_step, budget_step, langchain_step, llamaindex_step

    steps: list[Step] = []
    if options.langchain:
        steps.append(("the LangChain chain (platform vs BYOK)", langchain_step.run))
    if options.llamaindex:
        steps.append(("the LlamaIndex RAG step", llamaindex_step.run))
    steps.append(("the agent step", agent_step.run))
    steps.append(("the budget step", budget_step.run))
    return steps


def _run_steps(tour: Tour) -> None:
    for number, (title, step) in enumerate(plan(tour.options), 1):
        try:
            step(tour, number)
        except DemoError:
            raise
        except Exception as exc:
            error = find_indoxhub_error(exc)
            if error is None:
                raise
            raise explain(error, where=f"Step {number} ({title})", byok_env=tour.byok_env) from None
    tour.console.step(len(plan(tour.options)) + 1, "Usage report (every request the tour made)")
    if tour.server_check is not None:
        tour.server_check.close_quietly(local_requests=tour.ledger.requests)
        tour.ledger.server_check = tour.server_check
    print_report(tour.console, tour.ledger)


def keep_serving(tour: Tour, wait: Callable[[], object] = threading.Event().wait) -> None:
    """With ``--keep-emulator``, keep the embedded emulator up until Ctrl+C."""
    if not (tour.options.keep_emulator and tour.dashboard_url):
        return
    tour.console.print("\nTour complete.")
    tour.console.print(
        f"The emulator keeps running: open {tour.dashboard_url} to see every request the tour "
        "made. Press Ctrl+C to stop it."
    )
    try:
        wait()
    except KeyboardInterrupt:
        tour.console.print("\nemulator stopped")
        raise _Stopped from None


class _Stopped(Exception):
    """The user stopped a kept emulator (a normal end)."""


def main(argv: list[str] | None = None, console: Console | None = None) -> int:
    """Run the tour; returns the process exit code (0 success, 1 failure, 130 interrupted)."""
    options = parse_options(argv)
    console = console or Console()
    try:
        with open_tour(options, console) as tour:
            _run_steps(tour)
            keep_serving(tour)
    except _Stopped:
        return 0
    except DemoError as exc:
        console.error(f"\nerror: {exc.message}")
        if exc.hint:
            console.error(f"hint: {exc.hint}")
        return 1
    except KeyboardInterrupt:
        console.error("\ninterrupted")
        return 130
    except ImportError as exc:
        console.error(f"\nerror: a framework the tour needs is not installed ({exc}).")
        console.error("hint: pip install 'indoxhub-integrations[all]' (or use --only).")
        return 1
    except Exception as exc:  # a bug: keep the traceback for the report
        traceback.print_exc(file=console.err)
        console.error(f"\nerror: unexpected {type(exc).__name__}: {exc}")
        return 1
    console.print("\nTour complete.")
    return 0

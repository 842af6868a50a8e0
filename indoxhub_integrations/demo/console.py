"""Progress output and plain-text tables for the tour (stdout; errors go to stderr)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO


def shorten(text: str, width: int = 160) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _is_number(cell: str) -> bool:
    stripped = cell.lstrip("~$").replace(".", "", 1).replace(",", "")
    return stripped.isdigit()


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, align_numbers: bool = True
) -> str:
    """A text table with a rule under the header; columns whose cells are all numbers are
    right-aligned (header included) unless ``align_numbers`` is false."""
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    right = [
        align_numbers and bool(rows) and all(_is_number(row[i]) or not row[i] for row in rows)
        for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if right[i] else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


class Console:
    """Writes the tour's progress: step headers, timed progress lines, notes and tables."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._pending = False  # a progress label waits for its "done" on the same line

    def print(self, text: str = "") -> None:
        """One line (or block) of output, flushed at once so progress shows while it works."""
        if self._pending:
            self._pending = False
            self.out.write("\n")
        print(text, file=self.out, flush=True)

    def step(self, number: int | str, title: str) -> None:
        """A step header."""
        self.print(f"\n== {number}. {title}")

    def info(self, text: str) -> None:
        """An indented line of the current step."""
        self.print(f"   {text}")

    def note(self, text: str) -> None:
        """A remark (skipped parts, hints)."""
        self.print(f"   note: {text}")

    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], *, align_numbers: bool = True
    ) -> None:
        """An indented table."""
        for line in format_table(headers, rows, align_numbers=align_numbers).splitlines():
            self.print(f"   {line}")

    @contextmanager
    def progress(self, label: str) -> Iterator[None]:
        """Print ``label...`` now and ``done (N.N s)`` when the block finishes."""
        if self._pending:
            self.out.write("\n")
        self.out.write(f"   - {label}... ")
        self.out.flush()
        started = time.perf_counter()
        self._pending = True
        try:
            yield
        except BaseException:
            self._finish(label, "failed")
            raise
        self._finish(label, f"done ({time.perf_counter() - started:.1f} s)")

    def _finish(self, label: str, outcome: str) -> None:
        if self._pending:
            self._pending = False
            print(outcome, file=self.out, flush=True)
        else:
            self.print(f"   - {label}: {outcome}")

    def error(self, text: str) -> None:
        """An error message on stderr."""
        if self._pending:
            self._pending = False
            print(file=self.out, flush=True)
        print(text, file=self.err, flush=True)

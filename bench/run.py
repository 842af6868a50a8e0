"""Run every benchmark and print a table of ratios to raw httpx.

    python -m bench            # full run (~10 min)
    python -m bench --quick    # short run (< 2 min)
    python -m bench --smoke    # a handful of iterations, no timing value (the test suite's)

Each case builds its contenders against one bench server (its own process), warms them up,
then runs them in interleaved rounds (the order rotates every round) and reports the median
time per operation and the median over rounds of the ratio to the raw httpx contender that
does the same HTTP exchange by hand in the same round. Import times run in fresh interpreters;
peak memory is measured with tracemalloc.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python bench/run.py``: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import contenders as cs
from bench import shapes
from bench.contenders import RAW, Case, Contender, close_async_clients
from bench.server import Server


@dataclass
class Config:
    """How long to run. Peers are slow (10-15x raw on embeddings), so the short modes measure
    them fewer times; their ratios are far from ours, so fewer samples do not change a verdict."""

    mode: str
    rounds: int
    """Interleaved rounds per case."""
    sample_seconds: float
    """Each sample repeats the operation until about this long (at least once)."""
    warmup: int
    embed_counts: tuple[int, int] = (5000, 50000)
    big_rounds: int = 1
    """Rounds of the large embedding case."""
    peer_rounds: int | None = None
    """Rounds in which the peers run (None: every round)."""
    peer_warmup: int | None = None
    peers_big: bool = True
    """Whether the peers run the large embedding case."""
    concurrency: int = 64
    streams: tuple[int, int] = (200, 2000)
    import_reps: int = 5
    import_warmup: bool = True
    memory_variants: tuple[str, ...] = ("big1", "big10")
    memory_embed_count: int = 50000
    memory_peers: bool = True
    """Whether the peers stream the long answers under tracemalloc."""
    latency_ms: float = 10.0
    """Server latency per embeddings request in the async-speedup cases (0: skip them)."""
    latency_rounds: int = 3
    memory_embed_peers: bool = False
    """Whether the peers embed ``memory_embed_count`` texts under tracemalloc (minutes)."""

    @classmethod
    def for_mode(cls, mode: str) -> Config:
        if mode == "smoke":
            return cls(mode, 1, 0.0, 1, embed_counts=(200, 400), concurrency=4,
                       streams=(200, 200), import_reps=1, import_warmup=False,
                       memory_variants=("c",), memory_embed_count=0, latency_ms=0)  # fmt: skip
        if mode == "quick":
            return cls(mode, 3, 0.08, 1, peer_rounds=1, peer_warmup=1, peers_big=False,
                       import_reps=2, import_warmup=False, memory_embed_count=5000,
                       memory_peers=False, latency_rounds=1)  # fmt: skip
        return cls(mode, 9, 0.25, 2, big_rounds=2, peer_rounds=3, peer_warmup=1)


@dataclass
class Row:
    """The result of one contender in one case."""

    name: str
    baseline: str
    seconds: float | None = None
    cpu_seconds: float | None = None
    ratio: float | None = None
    cpu_ratio: float | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)
    cpu_samples: list[float] = field(default_factory=list)


@dataclass
class Result:
    case: str
    rows: list[Row]
    unit: str = "ms"
    note: str = ""
    ratio_label: str = "x raw (wall)"
    """Header of the ratio column; the CPU ratio column is shown for timing cases only."""


# --------------------------------------------------------------------------- timing


def _timed_sync(op: Callable[[], Any], k: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(k):
        op()
    return (time.perf_counter() - wall) / k, (time.process_time() - cpu) / k


async def _timed_async(op: Callable[[], Any], k: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(k):
        await op()
    return (time.perf_counter() - wall) / k, (time.process_time() - cpu) / k


def _median_ratio(values: list[float], baseline: list[float]) -> float:
    """The median over rounds of value / baseline (both lists are in round order)."""
    return statistics.median(a / b for a, b in zip(values, baseline, strict=False))


class Runner:
    """Runs cases against one server, with one event loop for every async contender."""

    def __init__(
        self, config: Config, server: Server, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.config = config
        self.server = server
        self.loop = loop or asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def close(self) -> None:
        self.loop.close()

    def measure(self, kind: str, op: Callable[[], Any], k: int) -> tuple[float, float]:
        if kind == "async":
            return self.loop.run_until_complete(_timed_async(op, k))
        return _timed_sync(op, k)

    def build(self, contender: Contender) -> Any:
        async def in_loop() -> Any:
            return contender.build(self.server)

        return self.loop.run_until_complete(in_loop())

    def run(self, case: Case, rounds: int | None = None) -> Result:
        cfg = self.config
        rounds = rounds or cfg.rounds
        rows = {c.name: Row(c.name, c.baseline) for c in case.contenders}
        ops: dict[str, Any] = {}
        repeat: dict[str, int] = {}
        for contender in case.contenders:
            row = rows[contender.name]
            try:
                op = self.build(contender)
                one = 0.0
                peer = contender.name.startswith("peer")
                warmup = cfg.peer_warmup if peer and cfg.peer_warmup is not None else cfg.warmup
                if case.warmup is not None:
                    warmup = case.warmup
                for _ in range(warmup):
                    one, _cpu = self.measure(case.kind, op, 1)
            except ImportError as exc:
                row.note = f"skipped: {exc.name or exc} not importable"
                continue
            except Exception as exc:  # a contender that fails is reported, not fatal
                row.note = f"failed: {type(exc).__name__}: {str(exc)[:80]}"
                continue
            ops[contender.name] = op
            repeat[contender.name] = max(1, round(cfg.sample_seconds / one)) if one else 1
        names = list(ops)
        gc.collect()
        gc.freeze()  # imports and clients are long-lived: later collections skip them
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)] if names else []
            if r % 2:
                order.reverse()
            for name in order:
                if name.startswith("peer") and r >= (cfg.peer_rounds or rounds):
                    continue
                if cfg.mode != "smoke":
                    gc.collect()
                try:
                    wall, cpu = self.measure(case.kind, ops[name], repeat[name])
                except Exception as exc:
                    rows[name].note = f"failed: {type(exc).__name__}: {str(exc)[:80]}"
                    rows[name].samples.clear()
                    rows[name].cpu_samples.clear()
                    names.remove(name)
                    continue
                rows[name].samples.append(wall)
                rows[name].cpu_samples.append(cpu)
        gc.unfreeze()
        self.loop.run_until_complete(close_async_clients())  # no pool outlives its case
        for row in rows.values():
            if not row.samples:
                continue
            row.seconds = statistics.median(row.samples)
            cpu_samples = row.cpu_samples
            row.cpu_seconds = statistics.median(cpu_samples)
            base = rows.get(row.baseline)
            if base is not None and base.samples:
                base_cpu = base.cpu_samples
                row.ratio = _median_ratio(row.samples, base.samples)
                row.cpu_ratio = _median_ratio(cpu_samples, base_cpu)
        for contender in case.contenders:  # the median ratio to the floor, same rounds
            row, floor = rows[contender.name], rows.get(contender.floor or "")
            if floor is not None and row.samples and floor.samples:
                ratio = _median_ratio(row.samples, floor.samples)
                row.note = f"{ratio:.2f}x floor" + (f"; {row.note}" if row.note else "")
        return Result(case.name, list(rows.values()), note=case.note)


# --------------------------------------------------------------------------- imports

QUICK_IMPORTS = ("indoxhub_integrations.langchain", "peer langchain_openai",
                 "indoxhub_integrations.llama_index", "peer llama_index.llms.openai_like")
IMPORTS = [
    ("indoxhub_integrations (core)", "indoxhub_integrations", None),
    ("indoxhub_integrations.langchain", "indoxhub_integrations.langchain", "langchain_openai"),
    ("peer langchain_openai", "langchain_openai", None),
    ("indoxhub_integrations.llama_index", "indoxhub_integrations.llama_index",
     "llama_index.llms.openai_like"),
    ("peer llama_index.llms.openai_like", "llama_index.llms.openai_like", None),
    ("peer llama_index.embeddings.openai", "llama_index.embeddings.openai", None),
]  # fmt: skip

_IMPORT_SNIPPET = (
    "import time, sys; t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t)"
)


def _import_once(module: str) -> float | None:
    command = [sys.executable, "-c", _IMPORT_SNIPPET.format(module=module)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def import_times(reps: int, warmup: bool = True, mode: str = "full") -> Result:
    """Median wall time of ``import X`` in fresh interpreters (interleaved, after a warm-up)."""
    imports = IMPORTS[:1] if mode == "smoke" else IMPORTS
    if mode == "quick":
        imports = [entry for entry in IMPORTS if entry[0] in QUICK_IMPORTS]
    times: dict[str, list[float]] = {label: [] for label, _, _ in imports}
    failed: set[str] = set()
    first = 0 if warmup else 1
    for rep in range(first, reps + 1):  # rep 0 warms the file cache and the bytecode
        for label, module, _ in imports:
            if label in failed:
                continue
            seconds = _import_once(module)
            if seconds is None:
                failed.add(label)
            elif rep:
                times[label].append(seconds)
    labels = {module: label for label, module, _ in imports}
    rows: list[Row] = []
    for label, _module, peer in imports:
        row = Row(label, labels.get(peer or "", label))
        if label in failed:
            row.note = "skipped: not importable"
        else:
            row.seconds = statistics.median(times[label])
            row.samples = times[label]
        rows.append(row)
    by_label = {row.name: row for row in rows}
    for row in rows:
        base = by_label.get(row.baseline)
        if row.seconds and base is not None and base.seconds and base is not row:
            row.ratio = row.seconds / base.seconds
            row.note = row.note or f"vs {base.name}"
    return Result("import time (fresh interpreter)", rows, ratio_label="x peer")


# --------------------------------------------------------------------------- memory


def _peak(run: Callable[[], Any]) -> float:
    """Peak traced bytes (above the level at the start) while ``run`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = run()
        peak = tracemalloc.get_traced_memory()[1] - start
        del result
    finally:
        tracemalloc.stop()
    return float(peak)


def _size(mb: float) -> str:
    return f"{mb:.3g} MB" if mb >= 0.1 else f"{mb * 1024:.3g} KB"


def memory_streams(runner: Runner, variants: tuple[str, ...], peers: bool = True) -> Result:
    """Peak memory while streaming a 1 MB and a 10 MB answer (raw keeps and joins the text)."""
    rows: dict[str, Row] = {}
    peaks: dict[str, dict[str, float]] = {}
    for variant in variants:
        for contender in cs.stream_contenders(variant, keep_text=True):
            if not peers and contender.baseline != RAW:  # the short run: ours on one route
                continue
            row = rows.setdefault(contender.name, Row(contender.name, contender.baseline))
            if row.note.startswith(("skipped", "failed")):
                continue
            try:
                op = runner.build(contender)
                peaks.setdefault(contender.name, {})[variant] = _peak(op)
            except ImportError as exc:
                row.note = f"skipped: {exc.name or exc} not importable"
            except Exception as exc:
                row.note = f"failed: {type(exc).__name__}: {str(exc)[:80]}"
    answer_mb = {v: shapes.answer_bytes(v) / 2**20 for v in variants}
    for name, by_variant in peaks.items():
        row = rows[name]
        last = variants[-1]
        row.seconds = by_variant.get(last)
        row.samples = [by_variant[v] for v in variants if v in by_variant]
        parts = [f"{_size(answer_mb[v])} answer: {by_variant[v] / 2**20:.1f} MB"
                 for v in variants if v in by_variant]  # fmt: skip
        if len(variants) > 1 and all(v in by_variant for v in variants):
            first = variants[0]
            per_mb = [by_variant[v] / 2**20 / answer_mb[v] for v in (first, last)]
            row.ratio = per_mb[1] / per_mb[0]
            parts.append(f"peak per answer MB {per_mb[0]:.2f} -> {per_mb[1]:.2f}")
        row.note = "; ".join(parts)
    note = (
        "peak traced MB at the longest answer; growth = (peak per answer MB at the longest "
        "answer) / (at the shortest): 1.0 means memory grows only with the answer itself"
        + ("" if peers else "; other routes and peers: full run only")
    )
    return Result("peak memory, streaming (tracemalloc)", list(rows.values()), "MB", note,
                  "growth per answer MB")  # fmt: skip


def memory_embeddings(runner: Runner, count: int, peers: bool = True) -> Result:
    rows: list[Row] = []
    for contender in cs.embed_contenders(count, is_async=False):
        if not peers and contender.name.startswith("peer"):
            continue
        row = Row(contender.name, contender.baseline)
        rows.append(row)
        try:
            op = runner.build(contender)
            row.seconds = _peak(op)
        except ImportError as exc:
            row.note = f"skipped: {exc.name or exc} not importable"
        except Exception as exc:
            row.note = f"failed: {type(exc).__name__}: {str(exc)[:80]}"
    by_name = {row.name: row for row in rows}
    for row in rows:
        base = by_name.get(row.baseline)
        if row.seconds and base is not None and base.seconds:
            row.ratio = row.seconds / base.seconds
    note = "" if peers else "peers: not measured (minutes under tracemalloc)"
    return Result(f"peak memory, embedding {count:,} texts (sync, tracemalloc)", rows, "MB", note,
                  "x raw")  # fmt: skip


# --------------------------------------------------------------------------- cases


def timing_cases(cfg: Config) -> list[tuple[Case, int | None]]:
    small, big = cfg.embed_counts
    short, long = cfg.streams
    batch = f"invoke (async, concurrency {cfg.concurrency}; time per batch)"
    cases: list[tuple[Case, int | None]] = [
        (Case("invoke (sync)", "sync", "c", cs.invoke_contenders()), None),
        (Case("invoke (async, concurrency 1)", "async", "c", cs.ainvoke_contenders(1)), None),
        # 3 warm-up batches: the first batches of 64 new connections are 3-5x slower for every
        # contender alike (connection set-up on both sides), the steady state is what counts.
        (Case(batch, "async", "c", cs.ainvoke_contenders(cfg.concurrency),
              warmup=None if cfg.mode == "smoke" else 3), None),
    ]
    for chunks in dict.fromkeys((short, long)):
        variant = f"n{chunks}"
        cases.append((Case(f"stream {chunks} chunks", "sync", variant,
                           cs.stream_contenders(variant)), None))  # fmt: skip
    if cfg.mode == "smoke":  # one of each kind of case
        del cases[1]
        return [*cases, (Case(f"embed {small} texts (sync)", "sync", "c",
                              cs.embed_contenders(small, False)), None),
                (Case(f"embed {small} texts (async)", "async", "c",
                      cs.embed_contenders(small, True)), None)]  # fmt: skip
    for count, rounds in ((small, None), (big, cfg.big_rounds)):
        for is_async in (False, True):
            label = f"embed {count:,} texts ({'async' if is_async else 'sync'})"
            kind = "async" if is_async else "sync"
            contenders = cs.embed_contenders(count, is_async)
            note = ""
            if count == big and not cfg.peers_big:
                contenders = [c for c in contenders if not c.name.startswith("peer")]
                note = "peers: full run only (python -m bench)"
            warmup = 0 if count == big else None  # the small case warmed the same code
            cases.append((Case(label, kind, "c", contenders, note, warmup), rounds))
    return cases


def latency_cases(cfg: Config) -> list[Case]:
    """The embedding paths against a server that takes ``latency_ms`` per request, as a real
    one does: what concurrency on the async path is for (on loopback with an instant server
    the client's CPU is the only cost, and concurrency cannot hide it)."""
    count = cfg.embed_counts[0]
    cases = []
    for is_async in (False, True):
        label = f"embed {count:,} texts ({'async' if is_async else 'sync'}, " + (
            f"server latency {cfg.latency_ms:g} ms)"
        )
        kind = "async" if is_async else "sync"
        contenders = cs.embed_contenders(count, is_async)
        note = ""
        if cfg.peer_rounds is not None and cfg.peer_rounds < 2:  # the short run: ours only
            contenders = [c for c in contenders if c.baseline == RAW]
            note = "peers: full run only (python -m bench)"
        cases.append(Case(label, kind, "c", contenders, note, warmup=1))
    return cases


# --------------------------------------------------------------------------- report


def _fmt_value(row: Row, unit: str) -> str:
    if row.seconds is None:
        return "-"
    if unit == "MB":
        return f"{row.seconds / 2**20:.1f}"
    if unit == "s":
        return f"{row.seconds * 1000:.0f}"
    return f"{row.seconds * 1000:.3f}" if row.seconds < 0.01 else f"{row.seconds * 1000:.1f}"


def render(results: list[Result], checks: list[str]) -> str:
    lines: list[str] = []
    for result in results:
        value = {"MB": "peak MB", "s": "median ms"}.get(result.unit, "median ms")
        timing = result.unit == "ms" and not result.case.startswith("import")
        lines += [f"### {result.case}", ""]
        if result.note:
            lines += [result.note, ""]
        cpu_head, cpu_rule = (" x raw (cpu) |", "---:|") if timing else ("", "")
        lines += [f"| contender | {value} | {result.ratio_label} |{cpu_head} note |",
                  f"|---|---:|---:|{cpu_rule}---|"]  # fmt: skip
        for row in result.rows:
            ratio = f"{row.ratio:.2f}" if row.ratio is not None else "-"
            cpu = f" {row.cpu_ratio:.2f} |" if row.cpu_ratio is not None else " - |"
            lines.append(f"| {row.name} | {_fmt_value(row, result.unit)} | {ratio} |"
                         f"{cpu if timing else ''} {row.note} |")  # fmt: skip
        lines.append("")
    lines += ["### targets", ""] + [f"- {check}" for check in checks] + [""]
    return "\n".join(lines)


def _find(results: list[Result], case_prefix: str, name: str) -> Row | None:
    for result in results:
        if result.case.startswith(case_prefix):
            for row in result.rows:
                if row.name == name:
                    return row
    return None


def check_targets(results: list[Result], cfg: Config) -> list[str]:
    checks: list[str] = []

    def ratio_target(case: str, name: str, limit: float, peer: str, peer_case: str = "") -> None:
        row = _find(results, case, name)
        peer_row = _find(results, peer_case or case, peer)
        peer_text = (f"; {peer} {peer_row.ratio:.2f}" if peer_row and peer_row.ratio else "")
        if row is None or row.ratio is None:
            checks.append(f"{name} ({case}) <= {limit}: NOT MEASURED ({row.note if row else ''})")
            return
        verdict = "MET" if row.ratio <= limit else "MISSED"
        checks.append(f"{name} ({case}) <= {limit}: {row.ratio:.2f} {verdict}{peer_text}")

    small = f"{cfg.embed_counts[0]:,}"
    ratio_target("invoke (sync)", "ChatIndoxHub.invoke", 1.5, "peer ChatOpenAI.invoke")
    ratio_target(f"stream {cfg.streams[0]} chunks", "ChatIndoxHub.stream", 2.0,
                 "peer ChatOpenAI.stream")  # fmt: skip
    ratio_target("invoke (sync)", "IndoxHub.chat (llama-index)", 1.25, "peer OpenAILike.chat")
    ratio_target("invoke (sync)", cs.LI_VS_FLOOR, 1.10, cs.FLOOR_LI)
    ratio_target(f"embed {small} texts (sync)", "IndoxHubEmbeddings.embed_documents", 1.3,
                 "peer OpenAIEmbeddings.embed_documents")  # fmt: skip
    for sync_name, async_name in (
        ("IndoxHubEmbeddings.embed_documents", "IndoxHubEmbeddings.aembed_documents"),
        ("IndoxHubEmbedding.get_text_embedding_batch",
         "IndoxHubEmbedding.aget_text_embedding_batch"),
        (RAW, RAW),
    ):  # fmt: skip
        for where in ("", f", server latency {cfg.latency_ms:g} ms"):
            sync_row = _find(results, f"embed {small} texts (sync{where})", sync_name)
            async_row = _find(results, f"embed {small} texts (async{where})", async_name)
            if not (sync_row and async_row and sync_row.seconds and async_row.seconds):
                continue
            speedup = sync_row.seconds / async_row.seconds
            judged = sync_name != RAW and where
            goal = " (target >= 1.5)" if judged else " (for reference)"
            verdict = ("MET" if speedup >= 1.5 else "MISSED") if judged else ""
            server = where.lstrip(", ") or "instant loopback server"
            checks.append(f"{async_name} speedup over sync, {small} texts, {server}: "
                          f"{speedup:.2f}x{goal} {verdict}")  # fmt: skip
    for label, _, peer in IMPORTS:
        if peer is None:
            continue
        row = _find(results, "import time", label)
        if row and row.ratio is not None:
            verdict = "MET" if row.ratio <= 1.0 else "MISSED"
            checks.append(f"import {label} <= {peer}: {row.ratio:.2f}x {verdict}")
    for name in ("core IndoxHubClient.stream_chat", "ChatIndoxHub.stream",
                 "IndoxHub.stream_chat (llama-index)"):  # fmt: skip
        row = _find(results, "peak memory, streaming", name)
        if row and row.ratio is not None:
            verdict = "MET" if row.ratio <= 1.25 else "MISSED"
            checks.append(f"{name} streaming memory flat (peak per answer MB, 10x longer "
                          f"answer: {row.ratio:.2f}x): {verdict}")  # fmt: skip
    return checks


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="indoxhub-integrations benchmarks")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="a short run (< 2 minutes)")
    group.add_argument("--smoke", action="store_true", help="a few iterations, no timing value")
    parser.add_argument("--only", default="",
                        help="comma-separated: run only cases whose name contains one of these "
                        "(e.g. 'invoke (sync),stream 2000,memory,import')")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--spin", action="store_true", help="busy-polling server (free core)")
    parser.add_argument("--contenders", default="",
                        help="comma-separated: keep only contenders whose name contains one of "
                        "these (raw httpx is always kept), e.g. 'core' for an A/B")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    cfg = Config.for_mode(mode)
    started = time.perf_counter()
    variants = ["c", *(f"n{n}" for n in cfg.streams), *cfg.memory_variants]
    results: list[Result] = []
    wanted = [part.strip() for part in args.only.lower().split(",") if part.strip()]
    keep = [part.strip() for part in args.contenders.lower().split(",") if part.strip()]
    with Server(sorted(set(variants)), spin=args.spin) as server:
        runner = Runner(cfg, server)
        try:
            for case, rounds in timing_cases(cfg):
                if wanted and not any(part in case.name.lower() for part in wanted):
                    continue
                if keep:
                    case.contenders = [c for c in case.contenders if c.name.startswith("raw")
                                       or any(k in c.name.lower() for k in keep)]  # fmt: skip
                t0 = time.perf_counter()
                results.append(runner.run(case, rounds))
                print(f"  {case.name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            slow_cases = [case for case in latency_cases(cfg) if cfg.latency_ms and (
                not wanted or any(part in case.name.lower() for part in wanted))]  # fmt: skip
            if slow_cases:
                with Server(["c"], latency_ms=cfg.latency_ms) as slow:
                    slow_runner = Runner(cfg, slow, runner.loop)
                    for case in slow_cases:
                        t0 = time.perf_counter()
                        results.append(slow_runner.run(case, cfg.latency_rounds))
                        print(f"  {case.name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            if not wanted or "memory" in wanted:
                t0 = time.perf_counter()
                results.append(memory_streams(runner, cfg.memory_variants, cfg.memory_peers))
                if cfg.memory_embed_count:
                    results.append(
                        memory_embeddings(runner, cfg.memory_embed_count, cfg.memory_embed_peers)
                    )
                print(f"  memory: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        finally:
            runner.close()
        stats = server.stats()
    if not wanted or "import" in wanted:
        t0 = time.perf_counter()
        results.append(import_times(cfg.import_reps, cfg.import_warmup, mode))
        print(f"  imports: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    checks = check_targets(results, cfg)
    unexpected = {route: n for route, n in stats.items() if route.startswith("404")}
    elapsed = time.perf_counter() - started
    print(f"## bench ({mode}): {machine()}\n")
    if mode == "smoke":
        print("(smoke run: one sample per contender, the numbers mean nothing)\n")
    print(render(results, checks))
    print(f"server requests by route: {json.dumps(stats)}")
    if unexpected:
        print(f"WARNING: unexpected requests: {unexpected}")
    print(f"total {elapsed:.0f} s")
    if args.json:
        payload = {"mode": mode, "machine": machine(), "checks": checks,
                   "results": [{"case": r.case, "unit": r.unit, "rows": [row.__dict__ for row
                                in r.rows]} for r in results]}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

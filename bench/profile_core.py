"""Profile the core client's hot paths against the bench server.

    python -m bench.profile_core                    # cProfile: top functions by own time
    python -m bench.profile_core --pyinstrument     # call tree (needs pyinstrument)
    python -m bench.profile_core --case stream --n 20

Cases: ``invoke`` (sync chat), ``stream`` (stream of 2,000 chunks), ``embed`` (100 texts per
request), ``lc-invoke``/``lc-stream``/``li-chat``/``li-stream`` (the adapters, for the lead).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import contenders as cs
from bench import shapes
from bench.server import Server


def _op(case: str, server: Server) -> Callable[[], Any]:
    if case == "invoke":
        client = cs._core(server, "c")
        return lambda: client.chat(shapes.MESSAGES, model=shapes.MODEL)
    if case == "stream":
        client = cs._core(server, "n2000")

        def stream() -> None:
            for _ in client.stream_chat(shapes.MESSAGES, model=shapes.MODEL):
                pass

        return stream
    if case == "embed":
        client = cs._core(server, "c")
        texts = shapes.embed_texts(shapes.EMBED_BATCH)
        return lambda: client.embed(texts, model=shapes.EMBED_MODEL)
    if case == "lc-invoke":
        model = cs.chat_indoxhub(server, "c")
        return lambda: model.invoke(shapes.PROMPT)
    if case == "lc-stream":
        model = cs.chat_indoxhub(server, "n200")
        return lambda: list(model.stream(shapes.PROMPT))
    if case == "lc-embed":
        from indoxhub_integrations.langchain import IndoxHubEmbeddings

        emb = IndoxHubEmbeddings(model=shapes.EMBED_MODEL, api_key=cs.KEY, base_url=server.url())
        texts = shapes.embed_texts(shapes.EMBED_BATCH * 10)
        return lambda: emb.embed_documents(texts)
    if case in ("li-chat", "li-stream"):
        llm, messages = cs.li_indoxhub(server, "n200"), cs._messages_li()
        if case == "li-chat":
            return lambda: llm.chat(messages)
        return lambda: list(llm.stream_chat(messages))
    raise SystemExit(f"unknown case {case!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="invoke")
    parser.add_argument("--n", type=int, default=0, help="operations (default per case)")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    n = args.n or {"stream": 20, "lc-stream": 50, "li-stream": 50, "lc-embed": 20}.get(
        args.case, 2000
    )
    with Server(["c", "n200", "n2000"]) as server:
        op = _op(args.case, server)
        for _ in range(max(3, n // 10)):
            op()
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            for _ in range(n):
                op()
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
            return
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(n):
            op()
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()

"""Review speed in one process: cases per second once the engine is loaded, against the floor
of the same records through a blank spaCy tokenizer and through blank spaCy + ConText; memory
in a separate pass; the PDF letter time.

Run: .venv/bin/python benchmarks/bench_review.py [--repeat N] [--pdf N]
Prints figures; asserts nothing. Uses the 60 corpus cases and the seed case. The timed pass
runs without tracemalloc (which slows Python code several times); memory is measured in a
pass of its own.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from openimr.caseio import load_case
from openimr.model import Case
from openimr.pipeline import review_case

SHARED = Path(__file__).resolve().parents[2] / "shared"


def corpus_cases() -> list[Case]:
    dirs = sorted(p.parent for p in (SHARED / "corpus" / "dwc-cases").glob("*/case.yaml"))
    dirs.append(SHARED / "examples" / "seed-case")
    return [load_case(d) for d in dirs]


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``repeat`` runs."""
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        run()
    return time.perf_counter() - w0, time.process_time() - c0


def floors(cases: list[Case], repeat: int) -> dict[str, float]:
    """Cases per CPU second for the records alone through a blank English tokenizer, and
    through blank spaCy + medspaCy's ConText with its default rules (no openimr code)."""
    import spacy
    from medspacy.context import ConText  # noqa: F401  (registers the factory)

    texts = [r.text for c in cases for r in c.records]
    blank = spacy.blank("en")
    context_nlp = spacy.blank("en")
    context_nlp.add_pipe("sentencizer")
    context_nlp.add_pipe("medspacy_context")
    out = {}
    for name, nlp in (("blank spaCy tokenizer", blank), ("blank spaCy + ConText", context_nlp)):
        for t in texts[:5]:
            nlp(t)
        _, cpu = timed(lambda nlp=nlp: [nlp(t) for t in texts], repeat)
        out[name] = len(cases) * repeat / cpu
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pdf", type=int, default=5, help="PDF renders to time")
    ap.add_argument("--no-floor", action="store_true", help="skip the spaCy floors")
    args = ap.parse_args()
    t_load = time.perf_counter()
    cases = corpus_cases()
    load_s = time.perf_counter() - t_load
    w0 = time.perf_counter()
    review_case(cases[-1])  # warm: library, pipeline, request catalogue
    warm_s = time.perf_counter() - w0
    items = sum(len(review_case(c).items) for c in cases)  # second warm-up pass
    wall, cpu = timed(lambda: [review_case(c) for c in cases], args.repeat)
    n = len(cases) * args.repeat
    print(f"cases loaded: {len(cases)} in {load_s:.2f} s; engine warmed in {warm_s:.2f} s")
    print(
        f"reviewed {n} cases ({items * args.repeat} items) in {wall:.2f} s wall, {cpu:.2f} s CPU: "
        f"{n / wall:.1f} cases/s wall, {n / cpu:.1f} cases/s per CPU second (one process)"
    )
    if not args.no_floor:
        per_cpu = n / cpu
        for name, rate in floors(cases, args.repeat).items():
            print(
                f"floor, {name}: {rate:.1f} cases/s per CPU second "
                f"(openimr takes {rate / per_cpu:.1f}x its time)"
            )
    # memory: a pass of its own, under tracemalloc
    tracemalloc.start()
    for c in cases:
        review_case(c)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak traced memory during one pass: {peak / 1e6:.1f} MB; process peak RSS {rss:.0f} MB")
    if args.pdf:
        from openimr.render.letter import render_pdf

        seed = cases[-1]
        review = review_case(seed)
        times = []
        for _ in range(args.pdf):
            t = time.perf_counter()
            render_pdf(review, seed)
            times.append(time.perf_counter() - t)
        print(
            f"PDF letter (seed case): median {statistics.median(times) * 1000:.0f} ms over {len(times)} renders"
        )


if __name__ == "__main__":
    main()

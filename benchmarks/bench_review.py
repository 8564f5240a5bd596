"""Review speed: cases reviewed per second for a batch in one process, and PDF letter time.

Run: .venv/bin/python benchmarks/bench_review.py [--repeat N]
Prints figures; asserts nothing. Uses the 60 corpus cases and the seed case.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

from openimr.caseio import load_case
from openimr.pipeline import review_case
from openimr.render.letter import render_pdf

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pdf", type=int, default=5, help="PDF renders to time")
    args = ap.parse_args()
    dirs = sorted(p.parent for p in (SHARED / "corpus" / "dwc-cases").glob("*/case.yaml"))
    dirs.append(SHARED / "examples" / "seed-case")
    t_load = time.perf_counter()
    cases = [load_case(d) for d in dirs]
    load_s = time.perf_counter() - t_load
    review_case(cases[-1])  # warm: library, pipeline, request catalogue
    tracemalloc.start()
    t0 = time.perf_counter()
    items = 0
    for _ in range(args.repeat):
        for case in cases:
            items += len(review_case(case).items)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(cases) * args.repeat
    print(f"cases loaded: {len(cases)} in {load_s:.2f} s")
    print(
        f"reviewed {n} cases ({items} items) in {dt:.2f} s: {n / dt:.1f} cases/s, {items / dt:.1f} items/s (one process)"
    )
    print(f"peak traced memory during the batch: {peak / 1e6:.1f} MB")
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

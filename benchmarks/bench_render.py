"""How fast letters render: one PDF letter (median of N) and text letters per second.

    PYTHONPATH=src python benchmarks/bench_render.py [--runs N] [--texts M]

The review rendered is the fixed fixture of tests/test_render_letter.py (three items, two
records, an evidence appendix): about four PDF pages. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from openimr.render.letter import render_letter, render_pdf
from test_render_letter import OPTIONS, make_case, make_review


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="PDF renders (median reported)")
    parser.add_argument("--texts", type=int, default=300, help="text letters to render")
    args = parser.parse_args()
    review, case = make_review(), make_case()

    render_letter(review, case, "text", OPTIONS)  # compile templates once
    render_pdf(review, case, OPTIONS)  # load fonts once

    pdf_times = []
    size = 0
    for _ in range(args.runs):
        t0 = time.perf_counter()
        size = len(render_pdf(review, case, OPTIONS))
        pdf_times.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    for _ in range(args.texts):
        render_letter(review, case, "text", OPTIONS)
    text_elapsed = time.perf_counter() - t0

    t0 = time.perf_counter()
    for _ in range(args.texts):
        render_letter(review, case, "html", OPTIONS)
    html_elapsed = time.perf_counter() - t0

    print(
        f"PDF letter: median {statistics.median(pdf_times) * 1000:.0f} ms over {args.runs} "
        f"runs (min {min(pdf_times) * 1000:.0f} ms, {size / 1024:.0f} KiB)"
    )
    print(f"text letters: {args.texts / text_elapsed:.0f} per second ({args.texts} rendered)")
    print(f"HTML letters: {args.texts / html_elapsed:.0f} per second ({args.texts} rendered)")


if __name__ == "__main__":
    main()

"""Letter reading speed: letters parsed per second (text, one core; PDF), and the time of
``letters stats`` over 10,000 letters (copies of the corpus in a temporary directory).

Run: .venv/bin/python benchmarks/bench_letters.py [--letters 10000] [--jobs N] [--pdfs 10]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from openimr.published import categorize, guidelines
from openimr.published.parser import parse_letter, parse_text
from openimr.published.stats import collect, find_letters, to_csv, to_html

SHARED = Path(os.environ.get("OPENIMR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
LETTERS = SHARED / "corpus" / "dwc-letters"


def bench_text(rounds: int) -> None:
    paths = sorted(LETTERS.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in paths]
    for text in texts:  # warm up (regex compilation, imports)
        parse_text(text)
    n = 0
    start = time.perf_counter()
    for _ in range(rounds):
        # no help from citations or requests seen before
        guidelines.parse_guideline.cache_clear()
        categorize.cache_clear()
        for text in texts:
            parse_text(text)
            n += 1
    elapsed = time.perf_counter() - start
    print(f"text, in memory:   {n / elapsed:8.0f} letters/s on one core ({n} letters, cold caches)")
    n = 0
    start = time.perf_counter()
    for _ in range(rounds):
        for path in paths:
            parse_letter(path)
            n += 1
    elapsed = time.perf_counter() - start
    print(f"text, from files:  {n / elapsed:8.0f} letters/s on one core ({n} letters)")


def bench_pdf(count: int, tmp: Path) -> None:
    import html

    from weasyprint import HTML

    pdfs = []
    for path in sorted(LETTERS.glob("*.txt"))[:count]:
        body = "".join(
            f"<pre style='font-size:9pt;page-break-after:always'>{html.escape(page)}</pre>"
            for page in path.read_text(encoding="utf-8").split("\f")
            if page.strip()
        )
        out = tmp / f"{path.stem}.pdf"
        HTML(string=f"<html><body>{body}</body></html>").write_pdf(str(out))
        pdfs.append(out)
    start = time.perf_counter()
    for pdf in pdfs:
        parse_letter(pdf)
    elapsed = time.perf_counter() - start
    print(f"PDF (pypdf):       {len(pdfs) / elapsed:8.1f} letters/s on one core ({len(pdfs)} PDFs)")


def bench_stats(total: int, jobs: int | None, tmp: Path) -> None:
    sources = sorted(LETTERS.glob("*.txt"))
    root = tmp / "letters"
    root.mkdir()
    for i in range(total):
        src = sources[i % len(sources)]
        shutil.copyfile(src, root / f"{i:05d}-{src.name}")
    workers = jobs or os.cpu_count() or 1
    start = time.perf_counter()
    letters = find_letters([root])
    stats = collect(letters, jobs=jobs)
    parsed = time.perf_counter()
    to_csv(stats)
    csv_done = time.perf_counter()
    to_html(stats)
    done = time.perf_counter()
    print(
        f"stats over {stats.letters} letters ({len(stats.items)} items), {workers} processes: "
        f"parse and count {parsed - start:.2f} s ({stats.letters / (parsed - start):.0f} "
        f"letters/s), CSV {csv_done - parsed:.2f} s, HTML with charts {done - csv_done:.2f} s, "
        f"total {done - start:.2f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=10_000, help="letters for the stats run")
    ap.add_argument("--jobs", type=int, default=None, help="processes (default: every core)")
    ap.add_argument("--rounds", type=int, default=10, help="passes over the 60 letters")
    ap.add_argument("--pdfs", type=int, default=10, help="PDF letters to time (0: none)")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}")
    bench_text(args.rounds)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.pdfs:
            bench_pdf(args.pdfs, tmp)
        bench_stats(args.letters, args.jobs, tmp)


if __name__ == "__main__":
    main()

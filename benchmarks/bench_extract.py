"""Extraction speed: pages per second on text records (a page is about 3,000 characters).

Run: .venv/bin/python benchmarks/bench_extract.py [--pages N]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from openimr.extract.extractor import default_extractor
from openimr.model import Record, RecordPage

SHARED = Path(__file__).resolve().parents[2] / "shared"
PAGE = 3000


def corpus_text() -> str:
    parts = [
        p.read_text() for p in sorted((SHARED / "corpus" / "dwc-cases").glob("*/records/*.txt"))
    ]
    parts.append(
        (SHARED / "examples" / "seed-case" / "records" / "2013-08-19-pr2-delgado.txt").read_text()
    )
    return "\n\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=200)
    args = ap.parse_args()
    text = corpus_text()
    while len(text) < args.pages * PAGE:
        text += "\n\n" + text
    text = text[: args.pages * PAGE]
    pages = [text[i : i + PAGE] for i in range(0, len(text), PAGE)]
    ex = default_extractor()
    ex.extract(Record(path="warm.txt", kind="text", text=pages[0]))  # load the pipeline
    t0 = time.perf_counter()
    n_facts = 0
    for i, page in enumerate(pages):
        rec = Record(
            path=f"p{i}.txt",
            kind="text",
            text=page,
            pages=(RecordPage(number=1, start=0, end=len(page)),),
        )
        n_facts += len(ex.extract(rec))
    dt = time.perf_counter() - t0
    print(f"text extraction: {len(pages)} pages ({len(text):,} chars) in {dt:.2f} s")
    print(
        f"  {len(pages) / dt:.1f} pages/s on one core, {len(text) / dt / 1000:.0f}k chars/s, {n_facts} facts"
    )


if __name__ == "__main__":
    main()

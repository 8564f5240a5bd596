"""How fast records are read and structured.

Prints pages per second (a page is about 3,000 characters) for: text records; PDF records
with a text layer (made here with WeasyPrint); record structure (type, date, sections);
FHIR bundles (resources per second); and, when Tesseract is installed, scanned pages.

    PYTHONPATH=src python -m benchmarks.bench_records [--pages 60]
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from openimr.records import read_record
from openimr.records.structure import analyze

PAGE_CHARS = 3000

_VISIT = """PRIMARY TREATING PHYSICIAN'S PROGRESS REPORT (PR-2)
Date of exam: {month:02d}/{day:02d}/2013

SUBJECTIVE COMPLAINTS:
The patient returns for follow-up of low back pain radiating to the left leg. Pain is {pain}/10
today. She completed {visits} physical therapy visits and can now walk 30 minutes.

OBJECTIVE FINDINGS:
Lumbar flexion 45 degrees. Straight leg raise positive on the left at 40 degrees. Decreased
sensation in the left S1 dermatome. Achilles reflex 1+ on the left.

DIAGNOSES:
1. Lumbar radiculopathy, left S1.

TREATMENT PLAN:
Continue physical therapy. Request a left L5-S1 epidural steroid injection.

WORK STATUS: Modified duty, no lifting over 20 pounds.
"""


def make_page(n: int) -> str:
    """About PAGE_CHARS characters of progress-report text (varied by ``n``)."""
    parts: list[str] = []
    i = 0
    while sum(len(p) for p in parts) < PAGE_CHARS:
        k = n * 7 + i
        parts.append(_VISIT.format(month=1 + k % 12, day=1 + k % 28, pain=3 + k % 6, visits=k % 13))
        i += 1
    return "\n".join(parts)[:PAGE_CHARS]


def text_pdf(pages: list[str], path: Path) -> None:
    from weasyprint import HTML

    css = (
        "@page { size: letter; margin: 0.6in } body { font-family: sans-serif; font-size: 9pt }"
        " pre { white-space: pre-wrap; font-family: inherit; margin: 0; break-after: page }"
    )
    body = "".join(f"<pre>{html.escape(p)}</pre>" for p in pages)
    HTML(string=f"<html><head><style>{css}</style></head><body>{body}</body></html>").write_pdf(
        str(path)
    )


def scanned_pdf(pages: list[str], path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=30)
    images = []
    for page in pages:
        img = Image.new("L", (1700, 2200), 255)
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(page.splitlines()[:38]):
            draw.text((120, 120 + i * 52), line, fill=0, font=font)
        images.append(img)
    images[0].save(str(path), resolution=200, save_all=True, append_images=images[1:])


def fhir_bundle(resources: int, path: Path) -> None:
    entries = []
    for i in range(resources):
        if i % 4 == 3:
            note = base64.b64encode(make_page(i)[:1500].encode()).decode()
            res = {
                "resourceType": "DocumentReference",
                "id": f"d{i}",
                "status": "current",
                "date": "2013-08-19T10:00:00Z",
                "content": [{"attachment": {"contentType": "text/plain", "data": note}}],
            }
        else:
            res = {
                "resourceType": "Observation",
                "id": f"o{i}",
                "status": "final",
                "code": {"text": "Pain severity 0-10"},
                "effectiveDateTime": f"2013-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "valueQuantity": {"value": i % 10, "unit": "/10"},
            }
        entries.append({"resource": res})
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60, help="pages per measurement")
    parser.add_argument("--ocr-pages", type=int, default=2, help="scanned pages to OCR")
    args = parser.parse_args()
    n = args.pages
    pages = [make_page(i) for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="openimr-bench-") as tmp:
        root = Path(tmp)
        text_paths = []
        for i in range(0, n, 10):  # records of 10 pages
            p = root / f"2013-08-{1 + i % 28:02d}-pr2-{i}.txt"
            p.write_text("\n".join(pages[i : i + 10]), encoding="utf-8")
            text_paths.append(p)
        text_pages = sum(len(p.read_text()) for p in text_paths) / PAGE_CHARS
        t = timed(lambda: [read_record(p, p.name) for p in text_paths])
        print(f"text records     {text_pages / t:10.0f} pages/s  (read, type and date)")

        records = [read_record(p, p.name) for p in text_paths]
        analyze(records[0])  # build the sectionizer once
        t = timed(lambda: [analyze(r) for r in records])
        print(f"structure        {text_pages / t:10.0f} pages/s  (sections, medspaCy)")

        pdf = root / "2013-08-19-pr2.pdf"
        text_pdf(pages, pdf)
        record = read_record(pdf, pdf.name)
        assert not any(p.ocr for p in record.pages)
        t = timed(lambda: read_record(pdf, pdf.name), repeat=2)
        print(f"text PDF         {len(record.pages) / t:10.1f} pages/s  (pypdf text layer)")

        bundle = root / "bundle.json"
        fhir_bundle(n * 4, bundle)
        t = timed(lambda: read_record(bundle, bundle.name))
        print(f"FHIR bundle      {n * 4 / t:10.0f} resources/s (validated and rendered)")

        if args.ocr_pages and shutil.which("tesseract") and shutil.which("pdftoppm"):
            scan = root / "scan.pdf"
            scanned_pdf(pages[: args.ocr_pages], scan)
            t = timed(lambda: read_record(scan, scan.name), repeat=1)
            print(f"scanned PDF      {args.ocr_pages / t:10.2f} pages/s  (OCR, 300 dpi)")
        else:
            print("scanned PDF             n/a  (tesseract or pdftoppm not installed)")


if __name__ == "__main__":
    main()

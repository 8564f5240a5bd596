"""Time and peak memory by record size: long text records and large FHIR bundles.

Each measurement runs in a fresh process (so that its peak resident memory is its own): the
record is written to a temporary file, read (``read_record``) and its facts extracted, as a
review does. Printed per size: seconds to read, seconds to extract, and the peak resident
memory above that of a process that has loaded the pipeline and read a one-page record.

- text: a record of N pages (3,000 characters each) made by repeating the corpus's records
  (real IMR wording), default 100, 300 and 1,000 pages;
- FHIR: a bundle of about N megabytes made by repeating the resources of the Synthea bundles
  in ``../shared/foreign-records/fhir-synthea`` (new ids) with a progress note
  (DocumentReference, base64 text) every 50 resources, default 1, 2.5 and 5 MB.

    PYTHONPATH=src python -m benchmarks.bench_sizes [--pages 100,300,1000] [--megabytes 1,2.5,5]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"
PAGE = 3000


def long_text(pages: int) -> str:
    """About ``pages`` pages of record text, from the corpus's records repeated."""
    from benchmarks.bench_extract import corpus_text

    base = corpus_text()
    parts = [base]
    size = len(base)
    while size < pages * PAGE:
        parts.append(base)
        size += len(base) + 2
    return "\n\n".join(parts)[: pages * PAGE]


def big_bundle(megabytes: float) -> str:
    """A FHIR Bundle of about ``megabytes`` MB, from the Synthea bundles' resources."""
    from benchmarks.bench_records import make_page

    resources: list[dict[str, Any]] = []
    for path in sorted((SHARED / "foreign-records" / "fhir-synthea").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        resources.extend(e["resource"] for e in data["entry"] if "resource" in e)
    entries: list[dict[str, Any]] = []
    size, i = 0, 0
    while size < megabytes * 1_000_000:
        if i % 50 == 49:
            note = base64.b64encode(make_page(i)[:2500].encode()).decode()
            res: dict[str, Any] = {
                "resourceType": "DocumentReference",
                "status": "current",
                "date": "2013-08-19T10:00:00Z",
                "content": [{"attachment": {"contentType": "text/plain", "data": note}}],
            }
        else:
            res = dict(resources[i % len(resources)])
        res["id"] = f"r{i}"
        entry = {"fullUrl": f"urn:uuid:r{i}", "resource": res}
        size += len(json.dumps(entry)) + 2
        entries.append(entry)
        i += 1
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(kind: str, size: float) -> dict[str, float]:
    """Read and extract one generated record (in this process); its figures."""
    from openimr.extract.extractor import default_extractor
    from openimr.records import read_record

    ex = default_extractor()
    with tempfile.TemporaryDirectory(prefix="openimr-bench-") as tmp:
        warm = Path(tmp) / "warm.txt"
        warm.write_text(long_text(1), encoding="utf-8")
        ex.extract(read_record(warm, warm.name))
        path = Path(tmp) / ("record.txt" if kind == "text" else "bundle.json")
        path.write_text(long_text(int(size)) if kind == "text" else big_bundle(size), "utf-8")
        base = rss_mb()
        t0 = time.perf_counter()
        record = read_record(path, path.name)
        t1 = time.perf_counter()
        facts = ex.extract(record)
        t2 = time.perf_counter()
        return {
            "bytes": path.stat().st_size,
            "characters": len(record.text),
            "read_s": t1 - t0,
            "extract_s": t2 - t1,
            "facts": len(facts),
            "peak_mb_above_base": rss_mb() - base,
            "base_mb": base,
        }


def measure(kind: str, size: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_sizes", "--one", kind, str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="100,300,1000", help="text record sizes, in pages")
    parser.add_argument("--megabytes", default="1,2.5,5", help="FHIR bundle sizes, in MB")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], float(args.one[1]))))
        return
    print("size                  chars   read s  extract s  s/100k chars  facts  peak MB (+base)")
    for kind, sizes in (("text", args.pages), ("fhir", args.megabytes)):
        for raw in sizes.split(","):
            if not raw:
                continue
            f = measure(kind, float(raw))
            label = f"{raw} pages" if kind == "text" else f"FHIR {raw} MB"
            total = f["read_s"] + f["extract_s"]
            print(
                f"{label:<16} {f['characters']:>11,.0f} {f['read_s']:>8.2f} {f['extract_s']:>10.2f}"
                f" {total / f['characters'] * 100_000:>13.2f} {f['facts']:>6.0f}"
                f" {f['peak_mb_above_base']:>8.0f} (+{f['base_mb']:.0f})",
                flush=True,
            )


if __name__ == "__main__":
    main()

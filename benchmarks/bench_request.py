"""How fast openimr reads disputed requests: requests parsed per second.

Run from the repository root: ``python benchmarks/bench_request.py [--repeat N]``. Uses the
request strings of ``../shared/corpus/dwc-cases/*/case.yaml`` (plus a few built-in ones if
the corpus is absent), repeated; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openimr.request import catalogue, parse_request  # noqa: E402
from openimr.request.catalogue import CATALOGUE_PATH, load_catalogue  # noqa: E402

CASES = ROOT.parent / "shared" / "corpus" / "dwc-cases"
FALLBACK = [
    "Physical therapy 12 visits for the lumbar",
    "Norco 10/325mg #60",
    "MRI of the right knee without contrast",
    "PT/OT two to three times a week for six to eight weeks (24 sessions) left hand",
    "Flurbiprofen 20%, Baclofen 5%, Menthol 2% in cream base",
]


def corpus_requests() -> list[str]:
    out: list[str] = []
    for path in sorted(CASES.glob("*/case.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out += [item["request"] for item in data["utilization_review"]["items"]]
    return out or FALLBACK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the requests")
    args = parser.parse_args()

    t0 = time.perf_counter()
    load_catalogue(CATALOGUE_PATH)
    load_s = time.perf_counter() - t0
    catalogue()  # warm the cached one

    requests = corpus_requests()
    per_pass: list[float] = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        for text in requests:
            parse_request(text)
        per_pass.append(time.perf_counter() - t)
    total = sum(per_pass)
    n = len(requests) * args.repeat
    parsed = [parse_request(text) for text in requests]
    with_id = sum(p.treatment is not None for p in parsed)
    print(
        f"catalogue: {len(catalogue())} treatments, loaded and compiled in {load_s * 1000:.0f} ms"
    )
    print(f"requests: {len(requests)} distinct strings x {args.repeat} passes = {n} parses")
    median_ms = statistics.median(per_pass) * 1000
    print(f"throughput: {n / total:,.0f} requests/s (median pass {median_ms:.1f} ms)")
    print(f"latency: {total / n * 1e6:.0f} us per request on average")
    share = with_id / len(requests)
    print(f"coverage: {with_id}/{len(requests)} requests get a treatment id ({share:.0%})")


if __name__ == "__main__":
    main()

"""The long fuzz pass over every parser: N inputs each (default 100,000), crashes counted.

A crash is any exception other than the documented ``OpenIMRError`` (see
``tests/fuzz_targets.py``, shared with the short pass in the tests). Prints, per parser, the
inputs tried, the crashes (with the first few inputs) and the rate; exits 1 on any crash.

    PYTHONPATH=src python benchmarks/fuzz_parsers.py                  # 100,000 per parser
    PYTHONPATH=src python benchmarks/fuzz_parsers.py --examples 2000 --target "FHIR JSON"
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fuzz_targets import TARGETS, describe, run_one


def fuzz(name: str, examples: int, seed: int) -> tuple[int, list[str], float]:
    _, strategy = TARGETS[name]
    crashes: list[str] = []
    tried = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @hypothesis_seed(seed)
    @given(data=strategy)
    def run(data: bytes) -> None:
        nonlocal tried
        tried += 1
        crash = run_one(name, data)
        if crash is not None:
            crashes.append(f"{crash} on {describe(data)}")

    started = time.monotonic()
    run()
    return tried, crashes, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    total_crashes = 0
    print(f"{'parser':<18} {'inputs':>9} {'crashes':>8} {'inputs/s':>9} {'seconds':>8}")
    for name in args.target or sorted(TARGETS):
        tried, crashes, seconds = fuzz(name, args.examples, args.seed)
        total_crashes += len(crashes)
        rate = tried / seconds if seconds else 0.0
        print(f"{name:<18} {tried:>9} {len(crashes):>8} {rate:>9.0f} {seconds:>8.1f}", flush=True)
        for line in crashes[:3]:
            print(f"    {line}")
    return 1 if total_crashes else 0


if __name__ == "__main__":
    sys.exit(main())

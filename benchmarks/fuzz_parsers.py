"""The long fuzz pass over every parser: N inputs each (default 100,000), crashes counted.

A crash is any exception other than the documented ``OpenIMRError`` (see
``tests/fuzz_targets.py``, shared with the short pass in the tests). Prints, per parser, the
inputs tried, the crashes (with the first few inputs), the rate and the slowest input; exits
1 on any crash.

Inputs come from plain seeded generators (``GENERATORS``: the seeds mutated, FHIR-shaped JSON,
random bytes and text); input ``i`` of parser ``P`` under ``--seed S`` is drawn from
``random.Random(f"{S}:{P}:{i}")``, so a crash is replayed with ``--target P --replay i``.
``--engine hypothesis`` draws from the Hypothesis strategies of the short pass instead
(several times slower on FHIR: the generation, not the parse).

    PYTHONPATH=src python benchmarks/fuzz_parsers.py                  # 100,000 per parser
    PYTHONPATH=src python benchmarks/fuzz_parsers.py --examples 2000 --target "FHIR JSON"
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fuzz_targets import GENERATORS, TARGETS, describe, run_one


class Tally:
    def __init__(self) -> None:
        self.tried = 0
        self.crashes: list[str] = []
        self.slowest = (0.0, -1)

    def feed(self, name: str, data: bytes, index: int) -> None:
        started = time.perf_counter()
        crash = run_one(name, data)
        took = time.perf_counter() - started
        self.tried += 1
        if took > self.slowest[0]:
            self.slowest = (took, index)
        if crash is not None:
            self.crashes.append(f"input {index}: {crash} on {describe(data)}")


def draw(name: str, seed: int, index: int) -> bytes:
    return GENERATORS[name](random.Random(f"{seed}:{name}:{index}"))


def fuzz_random(name: str, examples: int, seed: int) -> Tally:
    tally = Tally()
    for i in range(examples):
        tally.feed(name, draw(name, seed, i), i)
    return tally


def fuzz_hypothesis(name: str, examples: int, seed: int) -> Tally:
    _, strategy = TARGETS[name]
    tally = Tally()

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
        tally.feed(name, data, tally.tried)

    run()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=["random", "hypothesis"], default="random")
    parser.add_argument("--replay", type=int, help="run input REPLAY of each --target only")
    args = parser.parse_args()
    names = args.target or sorted(TARGETS)
    if args.replay is not None:
        for name in names:
            data = draw(name, args.seed, args.replay)
            print(f"{name} input {args.replay}: {describe(data)}")
            print(f"    {run_one(name, data) or 'read or refused as documented'}")
        return 0
    fuzz = fuzz_random if args.engine == "random" else fuzz_hypothesis
    total_crashes = 0
    print(
        f"{'parser':<18} {'inputs':>9} {'crashes':>8} {'inputs/s':>9} {'seconds':>8}"
        f" {'slowest':>14}"
    )
    for name in names:
        started = time.monotonic()
        tally = fuzz(name, args.examples, args.seed)
        seconds = time.monotonic() - started
        total_crashes += len(tally.crashes)
        rate = tally.tried / seconds if seconds else 0.0
        slow = f"{tally.slowest[0]:.2f}s (#{tally.slowest[1]})"
        print(
            f"{name:<18} {tally.tried:>9} {len(tally.crashes):>8} {rate:>9.0f} {seconds:>8.1f}"
            f" {slow:>14}",
            flush=True,
        )
        for line in tally.crashes[:5]:
            print(f"    {line}")
    return 1 if total_crashes else 0


if __name__ == "__main__":
    sys.exit(main())

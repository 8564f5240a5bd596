"""Start-up: `openimr review` of one case (the seed) as a new process, run repeatedly (in the
manner of hyperfine): wall and CPU time, min / median / max, with the start-up cache cold (a
fresh cache directory per run) and warm.

Run: .venv/bin/python benchmarks/bench_startup.py [--runs 10] [--case DIR]
Prints figures; asserts nothing. The cache directories are temporary and removed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"


def one_run(case: Path, cache: str) -> tuple[float, float]:
    env = {**os.environ, "OPENIMR_CACHE_DIR": cache}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "openimr", "review", str(case)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def show(name: str, runs: list[tuple[float, float]]) -> None:
    walls = [w for w, _ in runs]
    cpus = [c for _, c in runs]
    print(
        f"{name}: wall min {min(walls):.2f} s, median {statistics.median(walls):.2f} s, "
        f"max {max(walls):.2f} s; CPU median {statistics.median(cpus):.2f} s ({len(runs)} runs)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--case", type=Path, default=SHARED / "examples" / "seed-case")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="openimr-startup-")
    try:
        one_run(args.case, os.path.join(root, "warm"))  # fills the warm cache; imports warm too
        cold = [one_run(args.case, os.path.join(root, f"cold-{i}")) for i in range(args.runs)]
        warm = [one_run(args.case, os.path.join(root, "warm")) for _ in range(args.runs)]
        off = [one_run(args.case, "off") for _ in range(max(1, args.runs // 2))]
        show("cache warm", warm)
        show("cache cold (built and written)", cold)
        show("cache off", off)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

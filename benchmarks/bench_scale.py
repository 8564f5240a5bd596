"""A year of IMR in one command: copies of the corpus (new case ids) reviewed by
``openimr review FOLDER --jobs J --output FILE``, timed from outside.

Run: .venv/bin/python benchmarks/bench_scale.py [--copies 10000] [--jobs 2] [--keep DIR]
     .venv/bin/python benchmarks/bench_scale.py --copies 200000 --jobs 2 --keep /big/disk/scale

Prints wall time, CPU time (the command and its workers), cases per second, cases per CPU
second (per core), and the resident memory of the whole process tree sampled through the
run (start, middle, end, peak) as RSS and as PSS (shared pages divided among the forked
workers that share them), which stay flat when the batch streams. Asserts nothing.
Each copy is a case directory whose case.yaml is the corpus case's with a new id and whose
records/ holds hard links to the corpus case's record files (a symbolic link out of a case
folder is refused; a copy where the file system cannot link). Copies are kept under --keep (reused by
the next run) or made in a temporary directory and removed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"


def sources() -> list[Path]:
    found = sorted(p.parent for p in (SHARED / "corpus" / "dwc-cases").glob("*/case.yaml"))
    return [*found, SHARED / "examples" / "seed-case"]


def make_copies(root: Path, copies: int) -> float:
    """Write ``copies`` case directories under ``root`` (skipping those already there)."""
    t0 = time.perf_counter()
    src = sources()
    texts = [(s / "case.yaml").read_text(encoding="utf-8") for s in src]
    root.mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        case = root / f"c{k:07d}"
        if (case / "case.yaml").is_file():
            continue
        i = k % len(src)
        case.mkdir(exist_ok=True)
        lines = texts[i].splitlines()
        new_id = f"SC{k:08d}"
        lines = [f"case_id: {new_id}" if ln.startswith("case_id:") else ln for ln in lines]
        if not any(ln.startswith("case_id:") for ln in lines):
            lines.insert(0, f"case_id: {new_id}")
        records = case / "records"
        if records.is_symlink():  # a copy made before symbolic links were refused
            records.unlink()
        if not records.exists():
            # hard links to the corpus record files (a case folder's records must be its own
            # files: a symbolic link out of the folder is refused, docs/security.md); a copy
            # where the file system cannot link
            records.mkdir()
            for f in sorted((src[i] / "records").iterdir()):
                try:
                    os.link(f, records / f.name)
                except OSError:
                    shutil.copy2(f, records / f.name)
        tmp = case / "case.yaml.tmp"
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(case / "case.yaml")
    return time.perf_counter() - t0


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of ``pid`` and its descendants, MB. RSS counts a page shared by a forked
    worker with its parent once per process; PSS divides it among them: the memory the tree
    really holds."""
    procs = _tree(pid)
    rss = sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in procs)
    pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in procs)
    return rss / 1024, pss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="make (or reuse) the copies here, and keep them")
    ap.add_argument("--extra", nargs="*", default=[], help="more options for openimr review")
    args = ap.parse_args()
    tmp = None if args.keep else tempfile.mkdtemp(prefix="openimr-scale-")
    base = args.keep or Path(tmp or ".")
    try:
        folder = base / "cases"
        made = make_copies(folder, args.copies)
        print(f"{args.copies} cases under {folder} (made in {made:.0f} s)")
        # the first --copies cases, listed (a kept folder may hold more from a larger run)
        listing = base / f"cases-{args.copies}.txt"
        listing.write_text("".join(f"{folder / f'c{k:07d}'}\n" for k in range(args.copies)))
        out = base / "reviews.jsonl"
        out.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "openimr",
            "review",
            str(listing),
            "--jobs",
            str(args.jobs),
            "--output",
            str(out),
            *args.extra,
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, float, float]] = []

        def sample() -> None:
            while proc.poll() is None:
                samples.append((time.perf_counter() - t0, *tree_memory_mb(proc.pid)))
                time.sleep(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - t0
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        with out.open("rb") as fh:
            lines = sum(1 for _ in fh)
        errors = 0
        with out.open(encoding="utf-8") as fh:
            for line in fh:
                errors += '"error":' in line[:300] and '"items"' not in line
        n = args.copies
        print(f"exit status {proc.returncode}; {lines} lines ({errors} errors) in {out}")
        if err.strip():
            print("stderr (last line):", err.strip().splitlines()[-1][:200])
        print(
            f"wall {wall:.1f} s, CPU {cpu:.1f} s (command and workers): "
            f"{n / wall:.1f} cases/s, {n / cpu:.1f} cases per CPU second (per core), "
            f"--jobs {args.jobs}"
        )
        for label, col in (("resident (RSS, shared pages once per process)", 1), ("PSS", 2)):
            mem = [m[col] for m in samples]
            if mem:
                print(
                    f"memory of the process tree, {label}: start "
                    f"{mem[min(2, len(mem) - 1)]:.0f} MB, middle {mem[len(mem) // 2]:.0f} MB, "
                    f"end {mem[-1]:.0f} MB, peak {max(mem):.0f} MB ({len(mem)} samples)"
                )
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

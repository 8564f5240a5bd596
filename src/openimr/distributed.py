"""The batch on many machines, on Dask distributed (the ``[distributed]`` extra).

The cases (from the same arguments as ``openimr review``: folders, lists, case directories)
are cut, in input order, into partitions of ``partition_size`` cases; each partition is one
task, which reviews its cases with :func:`openimr.batch.review_one` (the same code, time limit
and error lines as a local batch) and writes ``part-NNNNN.jsonl`` in the output directory,
whole (a temporary file renamed), so a partition's file is there complete or not at all.
Running again over the same directory reviews only the partitions not yet written.

Every worker loads the engine once, when it starts (a worker plugin), and keeps it for all
its tasks. Case folders and the output directory must be reachable by the same paths from
every worker (a shared file system); the scheduler sends paths, never record text.

Why Dask rather than Ray: the work is plain Python functions over lists of paths, Dask runs
them on a laptop (``LocalCluster``), over SSH, on Kubernetes, YARN or an HPC queue
(dask-jobqueue) with the same client code, and installs from PyPI with no native runtime.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openimr.batch import Settings, review_one

PART_PATTERN = "part-{:05d}.jsonl"


@dataclass(frozen=True)
class PartResult:
    part: int
    path: str
    cases: int
    failed: int
    skipped: bool = False


def partitions(cases: list[str], size: int) -> Iterator[tuple[int, list[str]]]:
    for k in range(0, len(cases), size):
        yield k // size, cases[k : k + size]


def review_partition(part: int, cases: list[str], out_dir: str, settings: Settings) -> PartResult:
    """Review one partition into its JSONL file (on a worker)."""
    target = Path(out_dir) / PART_PATTERN.format(part)
    if target.is_file():
        return PartResult(part, str(target), len(cases), 0, skipped=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    failed = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for i, case in enumerate(cases):
            outcome = review_one(i, case, settings)
            failed += not outcome.ok
            fh.write(outcome.line + "\n")
    os.replace(tmp, target)
    return PartResult(part, str(target), len(cases), failed)


def warm_engine_plugin() -> Any:
    """A Dask worker plugin that loads the engine when a worker starts (and on the workers
    already running when it is registered)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class WarmEngine(WorkerPlugin):  # type: ignore[misc]
        name = "openimr-warm-engine"

        def setup(self, worker: Any) -> None:
            from openimr.batch import warm

            warm()

    return WarmEngine()


def run_on_dask(
    client: Any,
    cases: list[str],
    out_dir: Path,
    *,
    settings: Settings,
    partition_size: int = 1000,
) -> list[PartResult]:
    """Review ``cases`` on the cluster ``client`` is connected to; one JSONL file per
    partition under ``out_dir``. Returns the partitions' results in order."""
    from distributed import as_completed

    out_dir.mkdir(parents=True, exist_ok=True)
    client.register_plugin(warm_engine_plugin())
    futures = [
        client.submit(
            review_partition,
            part,
            chunk,
            str(out_dir.resolve()),
            settings,
            key=f"openimr-part-{part}-{out_dir.resolve()}",
            pure=False,
        )
        for part, chunk in partitions(cases, partition_size)
    ]
    results: list[PartResult] = []
    for future in as_completed(futures):
        results.append(future.result())
    return sorted(results, key=lambda r: r.part)

"""Many cases at once: ``openimr review`` with several cases or ``-o FILE``, and
``openimr cluster-review`` on a Dask cluster (docs/batch.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from openimr.cli.common import AbstainBelow, abstain, fail


def review_batch(
    cases: list[str],
    *,
    abstain: dict[str, float],
    jobs: int | None,
    output: Path | None,
    ordered: bool,
    resume: bool,
    time_limit: float,
) -> None:
    """Many cases: one JSON line each, on stdout or in ``output`` (openimr.batch)."""
    from openimr.batch import (
        BatchInputError,
        LineWriter,
        Outcome,
        Settings,
        default_jobs,
        resume_file,
        run_batch,
    )

    try:
        if resume and output is not None:
            done = resume_file(output)
            cases = [c for c in cases if c not in done]
        elif output is not None and output.exists():
            output.write_bytes(b"")
        writer = LineWriter(output) if output is not None else None
    except BatchInputError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{output}: cannot write: {exc.strerror}") from None
    settings = Settings(abstain=abstain, time_limit=time_limit or None, name_case=bool(output))
    show = sys.stderr.isatty() and len(cases) > 1

    def emit(outcome: Outcome) -> None:
        for warning in outcome.warnings:
            typer.echo(f"openimr: warning: {warning}", err=True)
        if writer is not None:
            writer.write(outcome.line)
        else:
            typer.echo(outcome.line)

    try:
        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            with Progress(
                TextColumn("reviewing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=False,  # the JSON lines stay on stdout
            ) as bar:
                task = bar.add_task("reviewing", total=len(cases))
                failed = run_batch(
                    cases,
                    emit,
                    settings=settings,
                    jobs=jobs or default_jobs(),
                    ordered=ordered,
                    progress=lambda n: bar.advance(task, n),
                )
        else:
            failed = run_batch(
                cases, emit, settings=settings, jobs=jobs or default_jobs(), ordered=ordered
            )
    finally:
        if writer is not None:
            writer.close()
    if failed:
        if output is not None:
            typer.echo(f"openimr: {failed} of {len(cases)} cases failed (error lines)", err=True)
        raise typer.Exit(1)


def cluster_review(
    cases: Annotated[
        list[Path],
        typer.Argument(help="Case directories, folders of cases, or case lists (- : stdin)."),
    ],
    output_dir: Annotated[
        Path,
        typer.Option("--output-dir", "-o", help="Directory for the part-NNNNN.jsonl files."),
    ],
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address (tcp://host:8786), or 'local' for a cluster on "
            "this machine.",
        ),
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="With --scheduler local: worker processes.", min=1),
    ] = None,
    partition_size: Annotated[
        int, typer.Option("--partition-size", help="Cases per output file (and task).", min=1)
    ] = 1000,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds per case (0: none).", min=0)
    ] = 600.0,
    abstain_below: AbstainBelow = None,
) -> None:
    """Review cases on a Dask cluster, writing partitioned JSON lines (docs/batch.md).

    Each line names its case. Running again over the same --output-dir reviews only the
    partitions not written yet. Needs the [distributed] extra."""
    from openimr.batch import BatchInputError, Settings, default_jobs, expand_cases

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise fail(
            "cluster-review needs Dask distributed: pip install 'openimr[distributed]'"
        ) from None
    from openimr.distributed import run_on_dask

    try:
        paths = expand_cases(cases)
    except BatchInputError as exc:
        raise fail(str(exc)) from None
    if not paths:
        raise fail("no case to review")
    settings = Settings(
        abstain=abstain(abstain_below), time_limit=time_limit or None, name_case=True
    )
    if scheduler == "local":
        cluster: Any = LocalCluster(
            n_workers=workers or default_jobs(),
            threads_per_worker=1,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        cluster = None
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise fail(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        results = run_on_dask(
            client, paths, output_dir, settings=settings, partition_size=partition_size
        )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    typer.echo(
        f"openimr: {len(paths)} cases in {len(results)} partitions under {output_dir}"
        f" ({skipped} already there; {failed} error lines)",
        err=True,
    )
    if failed:
        raise typer.Exit(1)

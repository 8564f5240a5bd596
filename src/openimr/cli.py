"""The ``openimr`` command: a thin shell over the library (no logic lives here).

Exit status: 0 success; 1 one or more cases in a batch failed; 2 bad input or usage.
Errors a user can cause are printed as one clear line, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from openimr import __version__
from openimr.errors import OpenIMRError

app = typer.Typer(
    name="openimr",
    help="Open, auditable California workers' compensation Independent Medical Review.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _progress(done: int, total: int, path: Path) -> None:
    """One progress line on stderr for batches, when stderr is a terminal (never in pipes)."""
    if total > 1 and sys.stderr.isatty():
        typer.echo(f"openimr: [{done}/{total}] {path}", err=True)


class OutputFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    text = "text"
    html = "html"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"openimr: error: {message}", err=True)
    return typer.Exit(code)


def _date_option(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{name}: must be a date as YYYY-MM-DD, got {value!r}") from None


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _unexpected(path: Path, exc: Exception) -> str:
    """The one line for an error openimr did not foresee (``openimr.batch.unexpected``)."""
    from openimr.batch import unexpected

    return unexpected(path, exc)


AbstainBelow = Annotated[
    float | None,
    typer.Option(
        "--abstain-below",
        help="Send items whose confidence is below this to a person (default: the "
        "library's threshold; 0 decides every item).",
    ),
]
"""The --abstain-below option of `review` and `evaluate`."""


def _abstain(value: float | None) -> dict[str, float]:
    """The review_case keyword for an --abstain-below option (none: the default)."""
    if value is None:
        return {}
    if not 0.0 <= value <= 1.0:
        raise fail(f"--abstain-below must be between 0 and 1, got {value}")
    return {"abstain_below": value}


@app.command()
def review(
    cases: Annotated[
        list[Path],
        typer.Argument(
            help="Case directories, case.yaml files, folders of cases, or case lists (- : stdin)."
        ),
    ],
    fmt: Annotated[
        OutputFormat | None,
        typer.Option("--format", "-f", help="json (one case), jsonl, text or html."),
    ] = None,
    letter: Annotated[
        Path | None,
        typer.Option("--letter", help="Also write the letter here (.pdf, .html or .txt)."),
    ] = None,
    checklist: Annotated[
        bool,
        typer.Option(
            "--checklist",
            help="Print, per item, what the treating physician would need to document.",
        ),
    ] = False,
    organization: Annotated[
        str, typer.Option("--organization", help="Who issues the letter.")
    ] = "openimr",
    templates: Annotated[
        Path | None,
        typer.Option("--templates", help="A directory of replacement letter templates."),
    ] = None,
    decision_date: Annotated[
        str | None,
        typer.Option("--decision-date", help="Decision date for the letter (YYYY-MM-DD)."),
    ] = None,
    date_assigned: Annotated[
        str | None, typer.Option("--date-assigned", help="Date assigned (YYYY-MM-DD).")
    ] = None,
    no_evidence: Annotated[
        bool, typer.Option("--no-evidence", help="Leave the evidence appendix out of HTML/PDF.")
    ] = False,
    abstain_below: AbstainBelow = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", help="Worker processes for a batch (default: the cores).", min=1
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the JSON lines to this file (each naming its case) instead of stdout.",
        ),
    ] = None,
    unordered: Annotated[
        bool,
        typer.Option("--unordered", help="Write each line as its case finishes, not in order."),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="With --output: keep the reviews already in the file, review only the rest.",
        ),
    ] = False,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            help="Seconds a case may take in a batch before it gives an error line (0: none).",
            min=0,
        ),
    ] = 600.0,
) -> None:
    """Review cases and print the determination (JSON by default).

    CASES are case directories, case.yaml files, folders of case directories (reviewed in
    name order), or files listing case paths one a line (- for standard input). Several
    cases give one JSON line each (docs/batch.md)."""
    from openimr.batch import BatchInputError, expand_cases
    from openimr.caseio import load_case
    from openimr.engine import review_case
    from openimr.render import review_to_json
    from openimr.render.options import LetterOptions

    try:
        cases = [Path(p) for p in expand_cases(cases)]
    except BatchInputError as exc:
        raise fail(str(exc)) from None
    if not cases:
        raise fail("no case to review")
    if resume and output is None:
        raise fail("--resume needs --output FILE")
    if output is not None and (
        letter is not None or checklist or fmt not in (None, OutputFormat.jsonl, OutputFormat.json)
    ):
        raise fail("--output writes JSON lines: it takes no --letter, --checklist or --format")

    try:
        options = LetterOptions(
            organization=organization,
            templates_dir=templates,
            decision_date=_date_option("--decision-date", decision_date),
            date_assigned=_date_option("--date-assigned", date_assigned),
            include_evidence=not no_evidence,
            # the command line never signs: its letter is a draft, dated the day it is made
            prepared_on=dt.date.today(),
        )
    except ValueError as exc:
        raise fail(f"bad letter option: {exc}") from None
    if letter is not None and letter.suffix.lower() not in (".pdf", ".html", ".htm", ".txt"):
        # refused before the review runs, not after
        raise fail(
            f"{letter}: unknown letter type {letter.suffix or '(none)'!r}; use .pdf, .html or .txt"
        )
    chosen = fmt or (OutputFormat.jsonl if len(cases) > 1 else OutputFormat.json)
    if letter is not None and len(cases) != 1:
        raise fail("--letter takes exactly one case")
    if chosen in (OutputFormat.json, OutputFormat.text, OutputFormat.html) and len(cases) > 1:
        if chosen is OutputFormat.json:
            chosen = OutputFormat.jsonl
        else:
            raise fail(f"--format {chosen.value} takes exactly one case")
    if output is not None or (chosen is OutputFormat.jsonl and not checklist):
        _review_batch(
            [str(p) for p in cases],
            abstain=_abstain(abstain_below),
            jobs=jobs,
            output=output,
            ordered=not unordered,
            resume=resume,
            time_limit=time_limit,
        )
        return
    failed = False
    for done, path in enumerate(cases, start=1):
        _progress(done, len(cases), path)
        try:
            case = load_case(path)
            for warning in case.warnings:
                typer.echo(f"openimr: warning: {warning}", err=True)
            result = review_case(case, **_abstain(abstain_below))
        except OpenIMRError as exc:
            if chosen is OutputFormat.jsonl:
                typer.echo(json.dumps({"case": str(path), "error": str(exc)}))
                failed = True
                continue
            raise fail(str(exc)) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # a bug: one case's failure never stops a batch
            message = _unexpected(path, exc)
            if chosen is OutputFormat.jsonl:
                typer.echo(json.dumps({"case": str(path), "error": message}))
                failed = True
                continue
            raise fail(message, code=1) from None
        if checklist:
            from openimr.render.checklist import render_checklist

            typer.echo(render_checklist(result), nl=False)
        elif chosen is OutputFormat.json:
            typer.echo(json.dumps(review_to_json(result), indent=2))
        elif chosen is OutputFormat.jsonl:
            typer.echo(json.dumps(review_to_json(result)))
        else:
            from openimr.render.letter import render_letter

            try:
                typer.echo(render_letter(result, case, chosen.value, options), nl=False)
            except OpenIMRError as exc:
                raise fail(str(exc)) from None
        if letter is not None:
            from openimr.render.letter import write_letter

            try:
                write_letter(result, case, letter, options)
            except OpenIMRError as exc:
                raise fail(str(exc)) from None
    if failed:
        raise typer.Exit(1)


def _review_batch(
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


@app.command("cluster-review")
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
        abstain=_abstain(abstain_below), time_limit=time_limit or None, name_case=True
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


@app.command()
def evaluate(
    directory: Annotated[
        Path, typer.Argument(help="A directory of case directories with expected.yaml.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    abstain_below: AbstainBelow = None,
) -> None:
    """Compare openimr's decisions with the real ones in every case under DIRECTORY."""
    from collections.abc import Iterator

    from rich.progress import track

    from openimr.caseio import load_case
    from openimr.engine import review_case
    from openimr.evaluate import evaluate_cases, find_cases, format_report
    from openimr.model import ItemDetermination

    if not directory.is_dir():
        raise fail(f"{directory}: not a directory")
    cases = find_cases(directory)
    if not cases:
        raise fail(f"{directory}: no case directory with an expected.yaml under it")

    def review(path: Path) -> list[ItemDetermination]:
        return list(review_case(load_case(path), **_abstain(abstain_below)).items)

    def progress(it: Iterator[Path], total: int) -> Iterator[Path]:
        if total < 2 or not sys.stderr.isatty():
            return it
        return iter(track(it, total=total, description="reviewing", transient=True))

    result = evaluate_cases(cases, review, progress)
    figures = result.figures()
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
    else:
        typer.echo(format_report(figures), nl=False)


@app.command()
def extract(
    records: Annotated[
        list[Path] | None,
        typer.Argument(help="Record files (.txt, .md, .pdf, FHIR .json or .ndjson)."),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option("--gold", help="Score against a gold set directory (records/, annotations/)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="With --gold: list misses and extras.")
    ] = False,
    split: Annotated[
        str,
        typer.Option(
            "--split", help="With --gold: score all records, or only dev, or only held-out ones."
        ),
    ] = "all",
    prefix: Annotated[
        str | None,
        typer.Option(
            "--prefix", help="With --gold: score only records whose file name starts with this."
        ),
    ] = None,
) -> None:
    """Print the clinical facts found in records, each with its span; or score a gold set."""
    from openimr.extract import extract_facts
    from openimr.records import read_record

    if gold is not None:
        from openimr.extract.gold import format_report, load_records, score

        try:
            report = score(gold, load_records(gold), split=split, prefix=prefix)
        except OpenIMRError as exc:
            raise fail(str(exc)) from None
        if as_json:
            typer.echo(json.dumps(report.as_dict(), indent=2))
        else:
            typer.echo(format_report(report), nl=False)
            if verbose:
                for line in report.misses:
                    typer.echo(f"miss  {line}")
                for line in report.extras:
                    typer.echo(f"extra {line}")
                for line in report.must_not_hits:
                    typer.echo(f"must-not {line}")
        return
    if not records:
        raise fail("give record files, or --gold DIR")
    try:
        recs = [read_record(p, str(p)) for p in records]
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    facts = extract_facts(recs)
    if as_json:
        typer.echo(json.dumps([f.model_dump(mode="json") for f in facts], indent=2))
        return
    for f in facts:
        span = f.spans[0] if f.spans else None
        ctx = [k for k, v in f.context.model_dump().items() if v]
        where = f"{span.record}:{span.start}-{span.end}" if span else "-"
        qual = f"[{f.qualifier}]" if f.qualifier else ""
        at = " ".join(x for x in (f.side, f.region) if x)
        loc = f"  @{at}" if at else ""
        quote = " ".join(span.quote.split())[:90] if span else ""
        typer.echo(f'{f.name}{qual} = {f.value!r}{loc}  {where}  {",".join(ctx)}  "{quote}"')


def _register_groups() -> None:
    from openimr.api.cli import register as register_service
    from openimr.library.cli import app as library_app
    from openimr.published.cli import app as letters_app
    from openimr.records.cli import app as records_app
    from openimr.request.cli import app as request_app

    app.add_typer(library_app, name="library")
    app.add_typer(letters_app, name="letters")
    app.add_typer(request_app, name="request")
    app.add_typer(records_app, name="records")
    register_service(app)


_register_groups()


def main() -> None:
    try:
        app()
    except OpenIMRError as exc:  # pragma: no cover - commands catch their own
        typer.echo(f"openimr: error: {exc}", err=True)
        sys.exit(2)

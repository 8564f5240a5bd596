"""``openimr review`` and ``openimr evaluate``: review cases, compare with real decisions.

Exit status: 0 success; 1 one or more cases in a batch failed; 2 bad input or usage.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openimr.cli.batch import review_batch
from openimr.cli.common import (
    AbstainBelow,
    abstain,
    date_option,
    fail,
    needs_extra,
    progress_line,
)
from openimr.errors import OpenIMRError

if TYPE_CHECKING:
    from openimr.model import Case, CaseReview
    from openimr.render.options import LetterOptions


class OutputFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    text = "text"
    html = "html"


def _unexpected(path: Path, exc: Exception) -> str:
    """The one line for an error openimr did not foresee (``openimr.batch.unexpected``)."""
    from openimr.batch import unexpected

    return unexpected(path, exc)


def _letter_options(
    organization: str,
    templates: Path | None,
    decision_date: str | None,
    date_assigned: str | None,
    no_evidence: bool,
) -> LetterOptions:
    from openimr.render.options import LetterOptions

    try:
        return LetterOptions(
            organization=organization,
            templates_dir=templates,
            decision_date=date_option("--decision-date", decision_date),
            date_assigned=date_option("--date-assigned", date_assigned),
            include_evidence=not no_evidence,
            # the command line never signs: its letter is a draft, dated the day it is made
            prepared_on=dt.date.today(),
        )
    except ValueError as exc:
        raise fail(f"bad letter option: {exc}") from None


def _output_format(fmt: OutputFormat | None, cases: int, letter: Path | None) -> OutputFormat:
    """The format to print in: json for one case, jsonl for several, unless one is chosen."""
    chosen = fmt or (OutputFormat.jsonl if cases > 1 else OutputFormat.json)
    if letter is not None and cases != 1:
        raise fail("--letter takes exactly one case")
    if chosen in (OutputFormat.json, OutputFormat.text, OutputFormat.html) and cases > 1:
        if chosen is OutputFormat.json:
            return OutputFormat.jsonl
        raise fail(f"--format {chosen.value} takes exactly one case")
    return chosen


def _print_review(
    result: CaseReview, case: Case, chosen: OutputFormat, checklist: bool, options: LetterOptions
) -> None:
    from openimr.render import review_to_json

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


def _review_each(
    cases: list[Path],
    chosen: OutputFormat,
    *,
    checklist: bool,
    letter: Path | None,
    options: LetterOptions,
    abstain_below: float | None,
) -> bool:
    """Review the cases one by one, printing each; True when a case of a batch failed."""
    from openimr.caseio import load_case
    from openimr.pipeline import review_case

    failed = False
    for done, path in enumerate(cases, start=1):
        progress_line(done, len(cases), path)
        try:
            case = load_case(path)
            for warning in case.warnings:
                typer.echo(f"openimr: warning: {warning}", err=True)
            result = review_case(case, **abstain(abstain_below))
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
        _print_review(result, case, chosen, checklist, options)
        if letter is not None:
            from openimr.render.letter import write_letter

            try:
                with needs_extra(str(letter)):
                    write_letter(result, case, letter, options)
            except OpenIMRError as exc:
                raise fail(str(exc)) from None
    return failed


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
    options = _letter_options(organization, templates, decision_date, date_assigned, no_evidence)
    if letter is not None and letter.suffix.lower() not in (".pdf", ".html", ".htm", ".txt"):
        # refused before the review runs, not after
        raise fail(
            f"{letter}: unknown letter type {letter.suffix or '(none)'!r}; use .pdf, .html or .txt"
        )
    chosen = _output_format(fmt, len(cases), letter)
    if output is not None or (chosen is OutputFormat.jsonl and not checklist):
        review_batch(
            [str(p) for p in cases],
            abstain=abstain(abstain_below),
            jobs=jobs,
            output=output,
            ordered=not unordered,
            resume=resume,
            time_limit=time_limit,
        )
        return
    failed = _review_each(
        cases,
        chosen,
        checklist=checklist,
        letter=letter,
        options=options,
        abstain_below=abstain_below,
    )
    if failed:
        raise typer.Exit(1)


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
    from openimr.evaluate import evaluate_cases, find_cases, format_report
    from openimr.model import ItemDetermination
    from openimr.pipeline import review_case

    if not directory.is_dir():
        raise fail(f"{directory}: not a directory")
    cases = find_cases(directory)
    if not cases:
        raise fail(f"{directory}: no case directory with an expected.yaml under it")

    def review(path: Path) -> list[ItemDetermination]:
        return list(review_case(load_case(path), **abstain(abstain_below)).items)

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

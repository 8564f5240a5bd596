"""``openimr letters ...``: read published IMR letters.

    openimr letters parse LETTER...          JSON per letter (JSON Lines for several)
    openimr letters to-case LETTER -o DIR    a case directory with the real decisions
    openimr letters stats DIR...             decisions by category, guideline, specialty, year

Exit status: 0 success; 1 some letters of several could not be read; 2 bad input or usage.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from openimr.cli.common import fail, needs_extra
from openimr.errors import OpenIMRError

app = typer.Typer(
    help="Read real IMR letters: parse, turn into cases, analyse.", no_args_is_help=True
)


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: not a date as YYYY-MM-DD: {value!r}") from None


@app.command()
def parse(
    letters: Annotated[list[Path], typer.Argument(help="Letter files (.txt or .pdf).")],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One JSON object per line (default for several).")
    ] = False,
) -> None:
    """Parse letters and print each as JSON (header, reviewer, summary, items, guidelines)."""
    from openimr.published.parser import parse_letter

    lines = jsonl or len(letters) > 1
    failed = False
    for path in letters:
        try:
            letter = parse_letter(path)
        except OpenIMRError as exc:
            if not lines:
                raise fail(str(exc)) from None
            typer.echo(f"openimr: error: {exc}", err=True)
            typer.echo(json.dumps({"letter": str(path), "error": str(exc)}))
            failed = True
            continue
        data = letter.model_dump(mode="json")
        typer.echo(json.dumps(data) if lines else json.dumps(data, indent=2))
    if failed:
        raise typer.Exit(1)


@app.command("to-case")
def to_case(
    letters: Annotated[list[Path], typer.Argument(help="Letter files (.txt or .pdf).")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The case directory (one letter), or the parent of one directory per "
            "letter, named by case number (several letters).",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a case directory that exists.")
    ] = False,
    date_of_injury: Annotated[
        str | None,
        typer.Option("--date-of-injury", help="YYYY-MM-DD, for letters that do not give it."),
    ] = None,
    ur_date: Annotated[
        str | None,
        typer.Option("--ur-date", help="YYYY-MM-DD, for letters that give no UR denial date."),
    ] = None,
) -> None:
    """Write each letter as a case directory: case.yaml, records/, expected.yaml."""
    from openimr.published.parser import parse_letter
    from openimr.published.tocase import write_case

    injury = _day(date_of_injury, "--date-of-injury")
    ur = _day(ur_date, "--ur-date")
    # parse everything first: nothing is written unless every letter reads
    parsed = []
    for path in letters:
        try:
            parsed.append(parse_letter(path))
        except OpenIMRError as exc:
            raise fail(str(exc)) from None
    targets: list[Path] = []
    if len(parsed) == 1:
        targets.append(output)
    else:
        for path, letter in zip(letters, parsed, strict=True):
            targets.append(output / (letter.case_number or path.stem))
        if len(set(targets)) != len(targets):
            raise fail("two letters have the same case number; convert them one at a time")
    for letter, target in zip(parsed, targets, strict=True):
        try:
            written = write_case(letter, target, force=force, date_of_injury=injury, ur_date=ur)
        except OpenIMRError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"{written}: {len(letter.items)} items")


@app.command()
def stats(
    paths: Annotated[
        list[Path], typer.Argument(help="Directories of letters (searched recursively) or files.")
    ],
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the tables as CSV here.")
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write an HTML report with charts here.")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Processes (default: every core).")
    ] = None,
    rows: Annotated[
        int, typer.Option("--rows", min=1, help="Rows per table on the terminal.")
    ] = 25,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Decisions and overturn rates (Wilson 95% intervals) over many letters."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from openimr.published.stats import collect, find_letters, print_tables, to_csv, to_html

    try:
        letters = find_letters(paths)
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    if not letters:
        raise fail("no letters (.txt or .pdf files) found in " + ", ".join(map(str, paths)))
    err = Console(stderr=True)
    with Progress(
        TextColumn("parsing letters"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=True,
    ) as progress:
        task = progress.add_task("parse", total=len(letters))
        result = collect(letters, jobs=jobs, on_progress=lambda n: progress.advance(task, n))
    for failure in result.failures:
        typer.echo(f"openimr: warning: {failure.error}", err=True)
    if not result.items:
        raise fail("none of the letters could be read")
    print_tables(result, Console(), limit=rows)
    try:
        if csv_out is not None:
            csv_out.write_text(to_csv(result), encoding="utf-8")
        if html_out is not None:
            with needs_extra(f"--html {html_out}"):
                html_out.write_text(to_html(result), encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write the output: {exc}") from None
    if result.failures:
        raise typer.Exit(1)

"""The ``openimr`` command: a thin shell over the library (no logic lives here).

Exit status: 0 success; 1 one or more cases in a batch failed; 2 bad input or usage.
Errors a user can cause are printed as one clear line, never as a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from openimr import __version__
from openimr.errors import OpenIMRError

app = typer.Typer(
    name="openimr",
    help="Open, auditable California workers' compensation Independent Medical Review.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class OutputFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    text = "text"
    html = "html"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"openimr: error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def review(
    cases: Annotated[list[Path], typer.Argument(help="Case directories or case.yaml files.")],
    fmt: Annotated[
        OutputFormat | None,
        typer.Option("--format", "-f", help="json (one case), jsonl, text or html."),
    ] = None,
    letter: Annotated[
        Path | None,
        typer.Option("--letter", help="Also write the letter here (.pdf, .html or .txt)."),
    ] = None,
) -> None:
    """Review cases and print the determination (JSON by default)."""
    from openimr.caseio import load_case
    from openimr.engine import review_case
    from openimr.render import review_to_json

    chosen = fmt or (OutputFormat.jsonl if len(cases) > 1 else OutputFormat.json)
    if letter is not None and len(cases) != 1:
        raise fail("--letter takes exactly one case")
    if chosen in (OutputFormat.json, OutputFormat.text, OutputFormat.html) and len(cases) > 1:
        if chosen is OutputFormat.json:
            chosen = OutputFormat.jsonl
        else:
            raise fail(f"--format {chosen.value} takes exactly one case")
    failed = False
    for path in cases:
        try:
            case = load_case(path)
            for warning in case.warnings:
                typer.echo(f"openimr: warning: {warning}", err=True)
            result = review_case(case)
        except OpenIMRError as exc:
            if chosen is OutputFormat.jsonl:
                typer.echo(json.dumps({"case": str(path), "error": str(exc)}))
                failed = True
                continue
            raise fail(str(exc)) from None
        if chosen is OutputFormat.json:
            typer.echo(json.dumps(review_to_json(result), indent=2))
        elif chosen is OutputFormat.jsonl:
            typer.echo(json.dumps(review_to_json(result)))
        else:
            from openimr.render.letter import render_letter

            typer.echo(render_letter(result, case, chosen.value), nl=False)
        if letter is not None:
            from openimr.render.letter import write_letter

            try:
                write_letter(result, case, letter)
            except OpenIMRError as exc:
                raise fail(str(exc)) from None
    if failed:
        raise typer.Exit(1)


def _register_groups() -> None:
    from openimr.api.cli import register as register_service
    from openimr.letters.cli import app as letters_app
    from openimr.library.cli import app as library_app
    from openimr.records.cli import app as records_app

    app.add_typer(library_app, name="library")
    app.add_typer(letters_app, name="letters")
    app.add_typer(records_app, name="records")
    register_service(app)


_register_groups()


def main() -> None:
    try:
        app()
    except OpenIMRError as exc:  # pragma: no cover - commands catch their own
        typer.echo(f"openimr: error: {exc}", err=True)
        sys.exit(2)

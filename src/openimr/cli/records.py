"""``openimr records ...``: show how openimr reads record files (never their text)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from openimr.errors import OpenIMRError

app = typer.Typer(
    help="Medical records: how openimr reads them (type, date, pages, sections).",
    no_args_is_help=True,
)


def _print_text(summary: dict[str, Any]) -> None:
    date = summary["date_of_service"] or "not found"
    source = f" (from {summary['date_source']})" if summary["date_source"] else ""
    typer.echo(f"{summary['record']}")
    typer.echo(f"  form:            {summary['kind']}, {summary['characters']} characters")
    typer.echo(f"  type:            {summary['record_type_label']} ({summary['record_type']})")
    typer.echo(f"  date of service: {date}{source}")
    pages = f"  pages:           {summary['pages']}"
    if summary["ocr_pages"]:
        pages += f" (OCR: {', '.join(str(p) for p in summary['ocr_pages'])})"
    typer.echo(pages)
    if summary["resources"]:
        typer.echo(f"  FHIR resources:  {len(summary['resources'])}")
    for note in summary["notes"]:
        typer.echo(f"  note:            {note}")
    typer.echo("  sections:" if summary["sections"] else "  sections:        none found")
    for s in summary["sections"]:
        page = f" p. {s['page']}" if s["page"] else ""
        typer.echo(f"    {s['start']:>7}-{s['end']:<7}{page} {s['name']:<20} {s['title']}")


@app.command()
def inspect(
    files: Annotated[
        list[Path], typer.Argument(help="Record files (.txt, .md, .pdf, .json, .ndjson).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
) -> None:
    """Show each record's form, type, date of service, pages (OCR) and sections.

    Prints section headings and offsets, never the record's text.
    """
    from openimr.records.inspect import inspect_record

    failed = False
    for path in files:
        try:
            summary = inspect_record(path)
        except OpenIMRError as exc:
            typer.echo(f"openimr: error: {exc}", err=True)
            failed = True
            continue
        if as_json:
            typer.echo(json.dumps(summary, sort_keys=True))
        else:
            _print_text(summary)
    if failed:
        raise typer.Exit(2)

"""``openimr request ...``: read disputed requests, list and check the treatment catalogue."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from openimr.cli.common import fail
from openimr.errors import OpenIMRError

app = typer.Typer(
    help="Read disputed requests; list and check the treatment catalogue.", no_args_is_help=True
)


class ParseFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"


class CatalogueFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


def request_to_json(text: str) -> dict[str, Any]:
    """What ``openimr request parse`` prints for one request."""
    from openimr.request import parse_request

    parsed = parse_request(text)
    out = parsed.model_dump(mode="json")
    out["sessions"] = parsed.sessions
    return out


@app.command("parse")
def parse_cmd(
    requests: Annotated[
        list[str] | None,
        typer.Argument(help="Requests as written; none: one per line on standard input."),
    ] = None,
    fmt: Annotated[
        ParseFormat | None,
        typer.Option("--format", "-f", help="json (one request) or jsonl (one per line)."),
    ] = None,
) -> None:
    """Read requests ("PT 2x6 lumbar") and print what openimr understands of them."""
    texts = list(requests or [])
    if not texts:
        texts = [line.strip() for line in sys.stdin if line.strip()]
    if not texts:
        raise fail("no request given")
    chosen = fmt or (ParseFormat.json if len(texts) == 1 else ParseFormat.jsonl)
    if chosen is ParseFormat.json and len(texts) > 1:
        chosen = ParseFormat.jsonl
    failed = False
    for text in texts:
        try:
            out = request_to_json(text)
        except OpenIMRError as exc:
            if chosen is ParseFormat.json:
                raise fail(str(exc)) from None
            out = {"text": text, "error": str(exc)}
            failed = True
        typer.echo(json.dumps(out, indent=2 if chosen is ParseFormat.json else None))
    if failed:
        raise typer.Exit(1)


@app.command("catalogue")
def catalogue_cmd(
    fmt: Annotated[
        CatalogueFormat,
        typer.Option("--format", "-f", help="table, markdown (as in docs/requests.md) or json."),
    ] = CatalogueFormat.table,
    path: Annotated[
        Path | None, typer.Option("--file", help="A catalogue file other than the shipped one.")
    ] = None,
) -> None:
    """List the treatment catalogue: id, name, category."""
    from openimr.request.catalogue import catalogue, load_catalogue

    try:
        cat = load_catalogue(path) if path is not None else catalogue()
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    if fmt is CatalogueFormat.markdown:
        typer.echo(cat.markdown_table(), nl=False)
    elif fmt is CatalogueFormat.json:
        data = [e.model_dump(mode="json", by_alias=True, exclude_defaults=True) for e in cat]
        typer.echo(json.dumps(data, indent=2))
    else:
        width = max(len(e.id) for e in cat)
        for e in cat:
            typer.echo(f"{e.id:<{width}}  {e.category:<30}  {e.name}")


@app.command("check")
def check_cmd(
    path: Annotated[
        Path | None, typer.Argument(help="Catalogue file (default: the shipped treatments.yaml).")
    ] = None,
) -> None:
    """Validate a treatment catalogue; print every problem as file:line."""
    from openimr.request.catalogue import CATALOGUE_PATH, check_catalogue

    errors = check_catalogue(path or CATALOGUE_PATH)
    for err in errors:
        typer.echo(f"openimr: error: {err}", err=True)
    if errors:
        raise typer.Exit(2)
    typer.echo(f"{path or CATALOGUE_PATH}: ok")

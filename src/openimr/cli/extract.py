"""``openimr extract``: the clinical facts found in records, or a gold set's score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from openimr.cli.common import fail
from openimr.errors import OpenIMRError


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

"""``openimr library ...``: check and list the guideline library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openimr.errors import LibraryError, LibraryErrors, OpenIMRError

if TYPE_CHECKING:
    from openimr.library.schema import Library

app = typer.Typer(help="The guideline library: check, list.", no_args_is_help=True)


def _check_files(root: Path | None) -> Library:
    """Load every data file of the library at ``root`` (None: the shipped one), or raise."""
    from openimr.extract.patterns import DATA as RULES_PATH
    from openimr.extract.patterns import load_rules
    from openimr.library.formulary import DATA as FORMULARY_PATH
    from openimr.library.formulary import load_formulary
    from openimr.library.loader import load_library
    from openimr.process.law import load_law, parse_law

    lib = load_library(root)
    rules_path = (root / "extraction") if root else RULES_PATH
    if rules_path.exists():
        load_rules(rules_path, set(lib.facts))
    formulary_path = (root / "formulary.yaml") if root else FORMULARY_PATH
    if formulary_path.exists():
        load_formulary(formulary_path)
    law_path = (root / "law.yaml") if root else None
    if law_path is None:
        load_law()
        _check_process_data()
    elif law_path.exists():
        parse_law(law_path.read_text(encoding="utf-8"), str(law_path))
    catalogue_path = (root / "treatments.yaml") if root else None
    if root is None or (catalogue_path is not None and catalogue_path.exists()):
        _check_catalogue(catalogue_path, lib)
    return lib


def _check_process_data() -> None:
    """The shipped deadline and eligibility data (library/data/process/), against the law,
    and the record-language rules (library/data/nlp/)."""
    from openimr.extract.nlp_rules import check_nlp_rules
    from openimr.process.deadlines import deadline_rules
    from openimr.process.eligibility import eligibility_checks

    check_nlp_rules()
    deadline_rules()
    eligibility_checks()


def _check_catalogue(path: Path | None, lib: Library) -> None:
    """The treatment catalogue at ``path`` (None: the shipped one, whose ids the library's
    criteria sets must all use)."""
    from openimr.request import catalogue, check_catalogue
    from openimr.request.catalogue import CATALOGUE_PATH

    problems = check_catalogue(path or CATALOGUE_PATH)
    if problems:
        raise LibraryErrors(list(problems))
    if path is not None:
        return
    known = set(catalogue().ids)
    unknown = [
        LibraryError(f"treatment id {t!r} is not in the catalogue (treatments.yaml)", file=cs.file)
        for cs in lib.sets.values()
        for t in cs.treatments
        if t not in known
    ]
    if unknown:
        raise LibraryErrors(unknown)


@app.command("check")
def check(
    root: Annotated[
        Path | None, typer.Option("--root", help="A library directory (default: the shipped one).")
    ] = None,
) -> None:
    """Validate every file of the library; print file:line for each error."""
    try:
        lib = _check_files(root)
    except LibraryErrors as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo(f"openimr: library check failed: {len(exc.errors)} error(s)", err=True)
        raise typer.Exit(1) from None
    except OpenIMRError as exc:
        typer.echo(f"openimr: error: {exc}", err=True)
        raise typer.Exit(1) from None
    versions = sum(len(s.versions) for s in lib.sets.values())
    criteria = sum(len(v.criteria) for s in lib.sets.values() for v in s.versions)
    typer.echo(
        f"library ok: {len(lib.sets)} criteria sets, {versions} versions, {criteria} criteria, "
        f"{len(lib.facts)} facts"
    )


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
) -> None:
    """Print the catalogue: treatment, versions (dates, tier) and citations."""
    from openimr.library.shipped import default_library

    lib = default_library()
    rows: list[dict[str, Any]] = []
    for cs in sorted(lib.sets.values(), key=lambda s: s.id):
        for v in cs.versions:
            rows.append(
                {
                    "set": cs.id,
                    "title": cs.title,
                    "treatments": list(cs.treatments),
                    "version": v.id,
                    "effective": v.effective.isoformat(),
                    "until": v.until.isoformat() if v.until else None,
                    "tier": v.tier,
                    "addresses": v.addresses,
                    "citation": v.citation.citation,
                    "supporting": [c.citation for c in v.supporting],
                    "criteria": len(v.criteria),
                }
            )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if markdown:
        typer.echo("| criteria set | treatments | version | in effect | tier | citation |")
        typer.echo("|---|---|---|---|---|---|")
        for r in rows:
            span = f"{r['effective']} to {r['until'] or 'now'}"
            tier = str(r["tier"]).upper() + ("" if r["addresses"] else " (silent)")
            typer.echo(
                f"| {r['set']} | {', '.join(r['treatments'])} | {r['version']} | {span} | "
                f"{tier} | {r['citation']} |"
            )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="openimr guideline library")
    for col in ("set", "version", "in effect", "tier", "citation"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["set"]),
            str(r["version"]),
            f"{r['effective']} - {r['until'] or ''}",
            str(r["tier"]).upper(),
            str(r["citation"]),
        )
    Console().print(table)


@app.command("formulary")
def formulary(
    drug: Annotated[str, typer.Argument(help="The drug as requested, e.g. 'Norco 10/325mg'.")],
    date: Annotated[
        str,
        typer.Option(
            "--date", help="Date of service, YYYY-MM-DD (the formulary applies from 2018-01-01)."
        ),
    ],
    compounded: Annotated[
        bool, typer.Option("--compounded", help="The drug is a compounded preparation.")
    ] = False,
) -> None:
    """Print a drug's MTUS Drug Formulary status on a date (prospective review or not)."""
    import datetime as dt

    from openimr.library.formulary import formulary_status

    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        typer.echo(f"openimr: error: --date: must be a date YYYY-MM-DD, got {date!r}", err=True)
        raise typer.Exit(2) from None
    try:
        entry = formulary_status(drug, day, compounded=compounded)
    except LibraryErrors as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        raise typer.Exit(1) from None
    if entry is None:
        typer.echo(
            f"{drug}: no formulary status on {day.isoformat()} (before 2018-01-01 or not encoded)"
        )
        return
    typer.echo(
        json.dumps(
            entry.model_dump(mode="json") | {"prospective_review": entry.prospective_review},
            indent=2,
        )
    )

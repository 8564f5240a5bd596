"""``openimr serve`` and ``openimr cases ...``: the IMR workflow service.

The ``cases`` commands act on the service's database directly (``OPENIMR_DATABASE_URL``,
default SQLite under ``OPENIMR_DATA_DIR``) through the same service layer as the API, as the
local administrator ``cli:<user>``; ``--reviewer ID`` acts as that reviewer instead.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from openimr.cli.common import fail
from openimr.errors import OpenIMRError

app = typer.Typer(
    help="The IMR workflow service (cases, reviewers, deadlines, API keys).",
    no_args_is_help=True,
)


def _print(value: Any) -> None:
    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json(indent=2))
    elif isinstance(value, list):
        typer.echo(
            json.dumps(
                [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value],
                indent=2,
            )
        )
    else:
        typer.echo(json.dumps(value, indent=2, default=str))


@contextmanager
def _workflow(reviewer: str | None = None) -> Iterator[Any]:
    """A workflow on the configured database, in one transaction, as the local operator."""
    from openimr.service import Actor, Role, Settings, Workflow
    from openimr.store import BlobStore, init_db, session_factory, transaction

    settings = Settings()
    engine = init_db(settings.url)
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "local"
    if reviewer:
        actor = Actor(id=f"cli:{user}", role=Role.REVIEWER, reviewer_id=reviewer)
    else:
        actor = Actor(id=f"cli:{user}", role=Role.ADMINISTRATOR)
    with transaction(session_factory(engine)) as session:
        yield Workflow(session, BlobStore(settings.blob_dir), actor, limits=settings.limits)
    engine.dispose()


def _run(action: Callable[[Any], Any], reviewer: str | None = None) -> Any:
    try:
        with _workflow(reviewer) as wf:
            return action(wf)
    except OpenIMRError as exc:
        raise fail(str(exc)) from None


Reviewer = Annotated[
    str | None, typer.Option("--reviewer", help="Act as this reviewer (for draft/decide/finalize).")
]


Facts = Annotated[
    list[str] | None,
    typer.Option(
        "--fact",
        help="A screening fact as NAME=VALUE (e.g. ur_decision_attached=true); repeatable.",
    ),
]


def _facts(pairs: list[str] | None) -> Any:
    from openimr.service.schemas import ApplicationFactsIn

    if not pairs:
        return None
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise fail(f"--fact {pair!r}: expected NAME=VALUE")
        value: Any = raw.strip()
        if value.lower() in ("true", "yes"):
            value = True
        elif value.lower() in ("false", "no"):
            value = False
        values[name.strip()] = value
    try:
        return ApplicationFactsIn.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"--fact {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


@app.command("init-db")
def init_db_cmd() -> None:
    """Create or upgrade the database schema (Alembic migrations) and say where it is."""
    from openimr.service import Settings
    from openimr.store import init_db

    settings = Settings()
    try:
        init_db(settings.url).dispose()
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"database: {settings.url}\nblobs: {settings.blob_dir}")


@app.command("create-key")
def create_key_cmd(
    role: Annotated[str, typer.Option(help="intake, reviewer, administrator or auditor")],
    reviewer_id: Annotated[
        str | None, typer.Option("--reviewer-id", help="The reviewer a reviewer key is for.")
    ] = None,
    label: Annotated[str | None, typer.Option(help="A note on who holds the key.")] = None,
) -> None:
    """Make an API key and print it (once; only its SHA-256 is stored)."""
    out = _run(lambda wf: wf.create_key(role, reviewer_id=reviewer_id, label=label))
    typer.echo(out.key)


@app.command("keys")
def keys_cmd() -> None:
    """List the API keys (id, prefix, role, reviewer, made, revoked); never the keys."""
    _print(_run(lambda wf: wf.list_keys()))


@app.command("revoke-key")
def revoke_key_cmd(
    key: Annotated[str, typer.Argument(help="The key's id or its prefix (as `keys` lists).")],
) -> None:
    """Revoke an API key: every later request with it is refused (and audited)."""
    ident: int | str = int(key) if key.isdigit() else key
    out = _run(lambda wf: wf.revoke_key(ident))
    typer.echo(f"revoked key {out.id} ({out.prefix}, {out.role}) at {out.revoked_at}")


@app.command("sweep-blobs")
def sweep_blobs_cmd(
    older_than_hours: Annotated[
        float, typer.Option(help="Only files older than this (a request may be mid-way).")
    ] = 1.0,
    dry_run: Annotated[bool, typer.Option(help="List what would go; remove nothing.")] = False,
) -> None:
    """Remove stored files no case references (left by a crash or a rolled-back request)."""
    from openimr.service import Settings
    from openimr.service.maintenance import sweep_blobs

    try:
        report = sweep_blobs(Settings(), older_than_hours * 3600, dry_run=dry_run)
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    verb = "would remove" if dry_run else "removed"
    for name in report.removed:
        typer.echo(f"{verb} {name}")
    typer.echo(
        f"{report.scanned} files scanned; {verb} {len(report.removed)} ({report.bytes} bytes)"
    )


audit_app = typer.Typer(help="The audit trail (hash-chained).", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify_cmd(
    expect_head: Annotated[
        str | None,
        typer.Option(help="The head hash recorded earlier: also catches removed newest events."),
    ] = None,
) -> None:
    """Check the audit trail's hash chain and its append-only triggers.

    Exit 0 when intact; 1 naming each event that was forged, edited, removed or reordered
    (or a missing trigger). Prints the head hash: keep it elsewhere to check against later.
    """
    from openimr.service import Settings
    from openimr.store import init_db, session_factory, transaction
    from openimr.store.audit import Finding, verify

    settings = Settings()
    try:
        engine = init_db(settings.url)
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    with transaction(session_factory(engine)) as session:
        report = verify(session)
    engine.dispose()
    for finding in report.findings:
        typer.echo(f"event {finding.event_id}: {finding.problem}")
    for trigger in report.triggers:
        typer.echo(f"trigger {trigger} is missing: the audit trail can be changed in place")
    if expect_head is not None and expect_head != report.head:
        typer.echo("the head differs from the one expected: events were removed or added")
        report.findings.append(Finding(0, "head differs"))
    typer.echo(f"{report.events} events; head {report.head}")
    if not report.ok:
        typer.echo("audit trail: NOT intact", err=True)
        raise typer.Exit(1)
    typer.echo("audit trail: intact")


@app.command("add-reviewer")
def add_reviewer_cmd(
    profile: Annotated[Path, typer.Argument(help="A YAML or JSON file with the profile.")],
    replace: Annotated[bool, typer.Option(help="Replace a reviewer with the same id.")] = False,
) -> None:
    """Add an expert reviewer to the panel from a profile file."""
    from openimr.service.schemas import ReviewerIn
    from openimr.yamlio import load_yaml_file

    try:
        doc = load_yaml_file(profile, str(profile))
        body = ReviewerIn.model_validate(doc.data)
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise fail(f"{profile}: {where}: {first['msg']}") from None
    _print(_run(lambda wf: wf.add_reviewer(body, replace=replace)))


@app.command("reviewers")
def reviewers_cmd() -> None:
    """List the reviewer panel with loads and qualification problems."""
    _print(_run(lambda wf: wf.list_reviewers()))


@app.command("submit")
def submit_cmd(
    case: Annotated[Path, typer.Argument(help="A case directory (case.yaml + records/).")],
    fact: Facts = None,
) -> None:
    """Submit a case directory; the same application twice gives the same case."""
    from openimr.caseio import resolve_case_path
    from openimr.service import Upload

    try:
        case_dir, yaml_path = resolve_case_path(case)
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    rec_dir = case_dir / "records"
    records = (
        [Upload(p.name, p.read_bytes()) for p in sorted(rec_dir.iterdir()) if p.is_file()]
        if rec_dir.is_dir()
        else []
    )
    facts = _facts(fact)
    out = _run(lambda wf: wf.submit(yaml_path.read_bytes(), records, facts=facts))
    typer.echo(f"{out.case.id} {'created' if out.created else 'already on file'}")


@app.command("list")
def list_cmd(
    state: Annotated[str | None, typer.Option(help="Only cases in this state.")] = None,
    overdue: Annotated[bool, typer.Option(help="Only cases with an overdue clock.")] = False,
    due_within: Annotated[
        int | None, typer.Option("--due-within", help="Only cases due within N days.")
    ] = None,
) -> None:
    """List cases with their next deadline."""
    _print(_run(lambda wf: wf.list_cases(state=state, overdue=overdue, due_within_days=due_within)))


@app.command("show")
def show_cmd(case_id: str) -> None:
    """Show a case: state, eligibility, deadlines, documents, what it can do next."""
    _print(_run(lambda wf: wf.get_case(case_id)))


@app.command("screen")
def screen_cmd(case_id: str, fact: Facts = None) -> None:
    """Screen a case for eligibility (add what intake learned with --fact NAME=VALUE)."""
    facts = _facts(fact)
    out = _run(lambda wf: wf.screen(case_id, facts=facts))
    typer.echo(f"{out.id} {out.state}")
    if out.eligibility:
        for r in out.eligibility.reasons:
            typer.echo(f"  {r.code}: {r.message} ({r.citation})")
        for m in out.eligibility.missing_information:
            typer.echo(f"  needs {m.field}: {m.why}")


@app.command("assign")
def assign_cmd(
    case_id: str,
    reviewer_id: Annotated[str | None, typer.Option("--reviewer-id")] = None,
    reason: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Assign a qualified, conflict-free reviewer (the best ranked unless one is named)."""
    out = _run(lambda wf: wf.assign(case_id, reviewer_id=reviewer_id, reason=reason))
    typer.echo(f"{out.id} {out.state} {out.reviewer_id}")


@app.command("records-received")
def records_received_cmd(case_id: str) -> None:
    """Mark the case's records as received (starts the review clock)."""
    out = _run(lambda wf: wf.receive_records(case_id))
    typer.echo(f"{out.id} {out.state}")


@app.command("review-without-records")
def review_without_records_cmd(
    case_id: str, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """The claims administrator's records are overdue: review on the documents at hand."""
    out = _run(lambda wf: wf.review_without_records(case_id, reason))
    typer.echo(f"{out.id} {out.state}")


@app.command("draft")
def draft_cmd(case_id: str, reviewer: Reviewer = None) -> None:
    """Run the engine on the case and print its draft."""
    _print(_run(lambda wf: wf.draft(case_id), reviewer))


@app.command("decide")
def decide_cmd(
    case_id: str,
    item: Annotated[int, typer.Argument(help="Item number, from 0.")],
    action: Annotated[str, typer.Argument(help="accept or override")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="The assigned reviewer's id.")],
    decision: Annotated[str | None, typer.Option(help="upheld or overturned")] = None,
    reason: Annotated[str | None, typer.Option(help="Required for an override.")] = None,
) -> None:
    """Accept or override the engine's draft for one item."""
    from openimr.service.schemas import DecideIn

    try:
        body = DecideIn.model_validate({"action": action, "decision": decision, "reason": reason})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    out = _run(lambda wf: wf.decide_item(case_id, item, body), reviewer)
    typer.echo(f"{case_id} item {item}: {out.items[item].final_decision}")


@app.command("finalize")
def finalize_cmd(
    case_id: str,
    reviewer: Annotated[str, typer.Option("--reviewer", help="The assigned reviewer's id.")],
) -> None:
    """Finalize the determination (the assigned reviewer, once every item is decided)."""
    out = _run(lambda wf: wf.finalize(case_id), reviewer)
    typer.echo(f"{out.id} {out.state}")


@app.command("issue")
def issue_cmd(
    case_id: str,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the PDF here.")] = None,
) -> None:
    """Issue the Final Determination Letter (PDF) of a determined case."""
    doc = _run(lambda wf: wf.issue_letter(case_id))
    if out is not None:
        data, _ = _run(lambda wf: wf.letter(case_id, "pdf"))
        out.write_bytes(data)
    typer.echo(f"{case_id} letter_issued sha256={doc.sha256}")


@app.command("events")
def events_cmd(case_id: str) -> None:
    """Print a case's audit trail."""
    _print(_run(lambda wf: wf.events(case_id)))


@app.command("due")
def due_cmd(
    window: Annotated[int, typer.Option(help="Days ahead that count as due soon.")] = 3,
) -> None:
    """Report the cases due soon and overdue."""
    report = _run(lambda wf: wf.deadline_report(window_days=window))
    for title, rows in (("OVERDUE", report.overdue), ("DUE SOON", report.due_soon)):
        typer.echo(f"{title} ({len(rows)})")
        for r in rows:
            d = r.deadline
            typer.echo(f"  {r.case_id}  {d.kind:<24} due {d.due_date}  {r.state}  {d.citation}")
            if d.next_step:
                typer.echo(f"      next: {d.next_step}")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Start the API and the reviewer web page (SQLite under the data directory by default)."""
    import uvicorn

    from openimr.service import Settings

    settings = Settings()
    try:
        from openimr.store import init_db

        init_db(settings.url).dispose()
    except OpenIMRError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"openimr: database {settings.url}; API docs at http://{host}:{port}/docs", err=True)
    uvicorn.run(
        "openimr.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )

"""Shared fixtures and helpers for the workflow service tests (store, service and API).

``db_url`` runs a test on SQLite (a temporary file) always, and on PostgreSQL when
``OPENIMR_TEST_POSTGRES_URL`` is set; each PostgreSQL test gets a fresh schema, dropped after.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from openimr.model import Case, CaseReview, CriterionResult, Evidence, ItemDetermination, Status
from openimr.service import Actor, Role, Upload, Workflow
from openimr.service.schemas import ReviewerIn
from openimr.store import BlobStore, init_db, session_factory

SHARED = Path(__file__).resolve().parents[3] / "shared"
SEED = SHARED / "examples" / "seed-case"

ADMIN = Actor("test:admin", Role.ADMINISTRATOR)
INTAKE = Actor("test:intake", Role.INTAKE)
AUDITOR = Actor("test:auditor", Role.AUDITOR)


def reviewer_actor(reviewer_id: str) -> Actor:
    return Actor(f"test:{reviewer_id}", Role.REVIEWER, reviewer_id)


class FakeClock:
    """A clock tests move by hand (aware UTC)."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += dt.timedelta(**kw)

    def set_pacific(self, day: dt.date, hour: int = 10) -> None:
        from zoneinfo import ZoneInfo

        local = dt.datetime.combine(day, dt.time(hour), ZoneInfo("America/Los_Angeles"))
        self.at = local.astimezone(dt.UTC)


def _postgres_url() -> str | None:
    return os.environ.get("OPENIMR_TEST_POSTGRES_URL") or None


DB_PARAMS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            _postgres_url() is None, reason="OPENIMR_TEST_POSTGRES_URL is not set"
        ),
    ),
]


@pytest.fixture(params=DB_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'openimr.sqlite3'}"
        return
    base = _postgres_url()
    assert base is not None
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def fake_engine(case: Case) -> CaseReview:
    """A fast stand-in for the engine: every item upheld, with one criterion and a quote."""
    record = case.records[0] if case.records else None
    items = []
    for item in case.utilization_review.items:
        evidence: tuple[Evidence, ...] = ()
        if record is not None and record.text:
            end = min(len(record.text), 40)
            evidence = (Evidence(record=record.path, start=0, end=end, quote=record.text[:end]),)
        items.append(
            ItemDetermination(
                request=item.request,
                treatment="test-treatment",
                decision="upheld",
                medically_necessary=False,
                criteria=(
                    CriterionResult(
                        id="test.criterion",
                        text="Objective functional improvement is documented",
                        status=Status.NOT_DOCUMENTED,
                        evidence=evidence,
                        finding="the records do not say",
                    ),
                ),
                rationale="The engine's rationale for upholding.",
            )
        )
    return CaseReview(
        case_id=case.case_id, summary="A test summary.", items=tuple(items), engine_version="test"
    )


@dataclass
class Env:
    """The service on one database: make workflows for actors, each in its own transaction."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    clock: FakeClock
    review_engine: Any = fake_engine
    extra: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def wf(self, actor: Actor) -> Iterator[Workflow]:
        session = self.sessions()
        try:
            yield Workflow(
                session, self.blobs, actor, clock=self.clock, review_engine=self.review_engine
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def clock() -> FakeClock:
    # Monday 9 September 2013, 10:00 Pacific: the seed application arrived on Friday the 6th
    return FakeClock(dt.datetime(2013, 9, 9, 17, 0, tzinfo=dt.UTC))


@pytest.fixture
def env(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Env]:
    engine = init_db(db_url)
    yield Env(db_url, engine, session_factory(engine), BlobStore(tmp_path / "blobs"), clock)
    engine.dispose()


def seed_yaml() -> dict[str, Any]:
    data = yaml.safe_load((SEED / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def seed_records() -> list[Upload]:
    return [Upload(p.name, p.read_bytes()) for p in sorted((SEED / "records").iterdir())]


def case_bytes(**changes: Any) -> bytes:
    """The seed case.yaml with top-level or dotted fields changed (None removes a field)."""
    data = seed_yaml()
    for dotted, value in changes.items():
        node = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return yaml.safe_dump(data, sort_keys=False).encode("utf-8")


def profile(reviewer_id: str, **changes: Any) -> ReviewerIn:
    """A qualified pain-medicine reviewer licensed in California; ``changes`` replace fields."""
    base: dict[str, Any] = {
        "id": reviewer_id,
        "name": f"Dr. {reviewer_id.title()}",
        "licenses": [{"state": "CA", "number": "A12345"}],
        "board_certifications": [
            {
                "board": "American Board of Anesthesiology",
                "specialty": "Anesthesiology",
                "subspecialty": "Pain Medicine",
            }
        ],
        "specialties": ["Pain Medicine", "Physical Medicine and Rehabilitation"],
        "years_in_practice": 12,
        "weekly_practice_hours": 32,
        "affiliations": [],
        "disciplinary_actions": [],
        "max_load": 10,
    }
    base.update(changes)
    return ReviewerIn.model_validate(base)


def submit_seed(env: Env, *, actor: Actor = INTAKE, **changes: Any) -> str:
    with env.wf(actor) as wf:
        out = wf.submit(case_bytes(**changes), seed_records())
    return out.case.id


def to_state(env: Env, target: str, *, reviewer: str = "rev-a", **changes: Any) -> str:
    """A new seed case walked to ``target`` along the usual path (reviewer ``reviewer``)."""
    order = [
        "received",
        "eligible",
        "assigned",
        "records_received",
        "in_review",
        "determined",
        "letter_issued",
    ]
    case_id = submit_seed(env, **changes)
    stop = order.index(target)
    if stop >= 1:
        from openimr.service.schemas import ApplicationFactsIn

        with env.wf(INTAKE) as wf:
            screened = wf.screen(case_id, facts=ApplicationFactsIn(ur_decision_attached=True))
            assert screened.state == "eligible", screened.eligibility
    if stop >= 2:
        with env.wf(ADMIN) as wf:
            if not any(r.id == reviewer for r in wf.list_reviewers()):
                wf.add_reviewer(profile(reviewer))
            wf.assign(case_id, reviewer_id=reviewer)
    if stop >= 3:
        with env.wf(INTAKE) as wf:
            wf.receive_records(case_id)
    if stop >= 4:
        with env.wf(reviewer_actor(reviewer)) as wf:
            wf.draft(case_id)
    if stop >= 5:
        from openimr.service.schemas import DecideIn

        with env.wf(reviewer_actor(reviewer)) as wf:
            draft = wf.get_draft(case_id)
            for item in draft.items:
                wf.decide_item(case_id, item.index, DecideIn(action="accept"))
            wf.finalize(case_id)
    if stop >= 6:
        with env.wf(INTAKE) as wf:
            wf.issue_letter(case_id)
    return case_id

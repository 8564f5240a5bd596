"""The service's bridge to the pure workflow rules in :mod:`openimr.process`.

The service keeps rows in the database; the rules (eligibility, the California calendar and
deadlines, the reviewer panel) take plain values. This module turns one into the other so
the service holds no rule of its own: it only says which lifecycle event starts which clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from openimr.errors import InputError
from openimr.model import Case
from openimr.process.calendar import CaliforniaCalendar
from openimr.process.deadlines import Deadline, compute_deadlines, due_report, next_step
from openimr.process.eligibility import PriorApplication, PriorStatus, screen_application
from openimr.process.fromcase import deadline_inputs_from_case, facts_from_case, parties_from_case
from openimr.process.lifecycle import CaseState
from openimr.process.reviewers import (
    US_STATES,
    CaseParties,
    ReviewerProfile,
    credentials_paragraph,
    qualification_problems,
    rank_reviewers,
)
from openimr.process.signing import require_final, stated_qualifications
from openimr.render.options import ReviewerCredentials
from openimr.request import parse_request
from openimr.service.schemas import (
    ApplicationFactsIn,
    CandidateOut,
    DeadlineOut,
    EligibilityOut,
    MissingOut,
    ReasonOut,
)
from openimr.store.models import CaseRow, DeadlineRow, ReviewerRow

CALENDAR = CaliforniaCalendar()

PARTY_FIELDS = ("insurer", "ur_organization", "facility", "employee_attorney", "manufacturers")
"""Facts that name parties of the case (for the conflict screen), not eligibility facts."""
SERVICE_FIELDS = ("notice_method", "determination_service_method")
"""Facts about how the IMRO serves its notices (for the clocks)."""

CLOCKS_STOPPED: frozenset[CaseState] = frozenset(
    {CaseState.INELIGIBLE, CaseState.WITHDRAWN, CaseState.TERMINATED}
)
"""A closed case's remaining clocks no longer run (letter_issued keeps the parties' clocks)."""


def _field_error(exc: ValidationError | ValueError, prefix: str = "facts") -> InputError:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return InputError(str(first["msg"]), field=f"{prefix}.{where}" if where else prefix)
    return InputError(str(exc), field=prefix)


def local_day(at: dt.datetime) -> dt.date:
    return CALENDAR.local_today(at)


# ---------------------------------------------------------------- eligibility

_PRIOR_STATUS: dict[str, PriorStatus] = {
    "received": "pending",
    "screening": "pending",
    "deferred": "pending",
    "eligible": "eligible",
    "assigned": "assigned",
    "records_requested": "assigned",
    "records_received": "assigned",
    "in_review": "in_review",
    "determined": "decided",
    "letter_issued": "decided",
    "ineligible": "ineligible",
    "withdrawn": "withdrawn",
    "terminated": "terminated",
}


def eligibility_overrides(facts: Mapping[str, Any]) -> dict[str, Any]:
    skip = set(PARTY_FIELDS) | set(SERVICE_FIELDS)
    return {k: v for k, v in facts.items() if k not in skip and v is not None}


def prior_application(
    row: CaseRow, *, decided_on: dt.date | None, outcome: str | None
) -> PriorApplication:
    return PriorApplication(
        application_id=row.id,
        employee_id=row.employee_id,
        claim_number=row.claim_number,
        physician=row.facts.get("physician"),
        ur_decision_date=row.ur_date,
        items=[str(it["request"]) for it in row.items],
        status=_PRIOR_STATUS[row.state],
        received=row.received_on,
        decided_on=decided_on,
        outcome=outcome if outcome in ("upheld", "overturned") else None,
    )


def screen(
    case: Case, row: CaseRow, *, prior: Sequence[PriorApplication], today: dt.date
) -> EligibilityOut:
    """Screen the application with :func:`openimr.process.eligibility.screen_application`."""
    try:
        facts = facts_from_case(
            case, application_received=row.received_on, **eligibility_overrides(row.facts)
        )
    except (ValidationError, ValueError) as exc:
        raise _field_error(exc) from None
    result = screen_application(facts, prior=prior, calendar=CALENDAR, today=today)
    return EligibilityOut(
        status=result.status,
        eligible=result.eligible,
        deferred=result.deferred,
        reasons=[
            ReasonOut(code=r.code, message=r.message, citation=r.citation, effect=r.effect)
            for r in result.reasons
        ],
        missing_information=[
            MissingOut(field=m.field, why=m.why) for m in result.missing_information
        ],
        application_due=result.application_due,
    )


def check_facts(case: Case, received_on: dt.date, facts: Mapping[str, Any]) -> None:
    """Refuse facts that contradict the case (e.g. served before the UR decision) up front."""
    try:
        facts_from_case(case, application_received=received_on, **eligibility_overrides(facts))
    except (ValidationError, ValueError) as exc:
        raise _field_error(exc) from None


def merge_facts(old: Mapping[str, Any], new: ApplicationFactsIn | None) -> dict[str, Any]:
    out = dict(old)
    if new is not None:
        out.update(new.model_dump(mode="json", exclude_none=True))
    return out


# ---------------------------------------------------------------- deadlines


def deadlines_for(
    case: Case, row: CaseRow, milestones: Mapping[str, dt.datetime], *, overturned: bool | None
) -> list[Deadline]:
    """Every clock the case's events have started, from :func:`compute_deadlines`.

    Which lifecycle event is which legal event: ``find_eligible`` is the eligibility finding;
    ``assign``/``reassign`` sends the notice of assignment (electronically unless the facts
    say ``notice_method: mail``); ``receive_records`` is receipt of the records; the letter's
    issue is the determination's issue and service; a screen that ends with missing
    information is the request for it, and the next screen its answer.
    """
    facts = row.facts

    def day(action: str) -> dt.date | None:
        at = milestones.get(action)
        return local_day(at) if at is not None else None

    issued = day("issue_letter")
    fields: dict[str, Any] = {
        "application_received": row.received_on,
        "ur_decision_served": facts.get("ur_decision_served"),
        "ur_service_method": facts.get("ur_service_method"),
        "formulary_dispute": bool(facts.get("formulary_dispute")),
        "info_request_received": day("information_requested"),
        "info_received": day("information_received"),
        "eligibility_found": day("find_eligible"),
        "assignment_notice_sent": milestones.get("assign"),
        "notice_method": facts.get("notice_method") or "electronic",
        "records_received": day("receive_records"),
        "review_without_records": day("proceed_without_records"),
        "determination_issued": issued,
        "determination_served": issued,
        "determination_service_method": (
            facts.get("determination_service_method") or "electronic" if issued else None
        ),
        "determination_overturned": overturned if issued else None,
    }
    try:
        inputs = deadline_inputs_from_case(case, **fields)
    except (ValidationError, ValueError) as exc:
        raise _field_error(exc) from None
    return compute_deadlines(inputs, CALENDAR)


def deadline_row_values(deadline: Deadline) -> dict[str, Any]:
    due_at = deadline.due_at(CALENDAR).astimezone(dt.UTC)
    due_date = (
        CALENDAR.localize(deadline.due).date()
        if isinstance(deadline.due, dt.datetime)
        else deadline.due
    )
    at = deadline.started_by.at
    return {
        "due": due_at,
        "due_date": due_date,
        "unit": deadline.unit,
        "started_by": f"{deadline.started_by.event} ({at.isoformat()})",
        "basis": deadline.basis,
        "citation": deadline.citation,
        "responsible": deadline.responsible,
        "open": deadline.is_open,
        "data": deadline.model_dump(mode="json"),
    }


def deadline_of(row: DeadlineRow) -> Deadline:
    return Deadline.model_validate(row.data)


def deadline_out(
    row: DeadlineRow, now: dt.datetime, soon_days: int, state: CaseState
) -> DeadlineOut:
    deadline = deadline_of(row)
    status: str
    if not deadline.is_open:
        status = "met" if deadline.met(CALENDAR) else "missed"
    elif state in CLOCKS_STOPPED:
        status = "pending"
    else:
        report = due_report([(row.case_id, [deadline])], now, soon_days, calendar=CALENDAR)
        status = "overdue" if report.overdue else "due_soon" if report.due_soon else "pending"
    return DeadlineOut(
        kind=row.kind,
        due=row.due,
        due_date=row.due_date,
        unit=row.unit,
        started_by=row.started_by,
        basis=row.basis,
        citation=row.citation,
        responsible=row.responsible,
        open=row.open and state not in CLOCKS_STOPPED,
        status=status,
        rolled_forward=deadline.rolled_forward,
        next_step=next_step(deadline, status),
        closed=deadline.closed,
        relied_on=deadline.relied_on,
    )


def report(
    rows: Iterable[tuple[DeadlineRow, CaseRow]], now: dt.datetime, soon_days: int
) -> tuple[list[tuple[DeadlineRow, CaseRow]], list[tuple[DeadlineRow, CaseRow]]]:
    """(overdue, due soon) among open clocks, in the order :func:`due_report` gives."""
    by_key: dict[tuple[str, str], tuple[DeadlineRow, CaseRow]] = {}
    per_case: dict[str, list[Deadline]] = {}
    for row, case in rows:
        if CaseState(case.state) in CLOCKS_STOPPED or not row.open:
            continue
        by_key[(case.id, row.kind)] = (row, case)
        per_case.setdefault(case.id, []).append(deadline_of(row))
    result = due_report(per_case.items(), now, soon_days, calendar=CALENDAR)
    overdue = [by_key[(i.case_id, i.deadline.kind)] for i in result.overdue]
    soon = [by_key[(i.case_id, i.deadline.kind)] for i in result.due_soon]
    return overdue, soon


# ---------------------------------------------------------------- reviewers


def profile_of(row: ReviewerRow, load: int) -> ReviewerProfile:
    return ReviewerProfile.model_validate(
        {
            **row.profile,
            "id": row.id,
            "name": row.name,
            "max_load": row.max_load,
            "active": row.active,
            "current_load": load,
        }
    )


def reviewer_problems(row: ReviewerRow, load: int, today: dt.date) -> list[str]:
    problems = qualification_problems(profile_of(row, load), today=today)
    if load >= row.max_load:
        problems.append(f"at capacity ({load} of {row.max_load} cases)")
    return problems


def case_parties(case: Case, facts: Mapping[str, Any]) -> CaseParties:
    extra = {k: facts[k] for k in PARTY_FIELDS if facts.get(k) is not None}
    try:
        return parties_from_case(case, **extra)
    except (ValidationError, ValueError) as exc:
        raise _field_error(exc) from None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "treatment"


def treatments(case: Case) -> tuple[list[str], list[str]]:
    """Treatment ids and body regions of the disputed items, as the request parser reads them.

    A request the parser cannot read is taken by its text (as a slug): the specialty map's
    patterns find the treatment's category from its words.
    """
    ids: list[str] = []
    regions: list[str] = []
    for item in case.utilization_review.items:
        try:
            parsed = parse_request(item.request)
        except Exception:  # an unreadable request still gets a reviewer by its words
            parsed = None
        if parsed is not None and parsed.treatment:
            ids.append(str(parsed.treatment))
            regions.extend(str(r) for r in parsed.body_regions)
        else:
            ids.append(_slug(item.request))
    return list(dict.fromkeys(ids)), list(dict.fromkeys(regions))


def rank(
    case: Case,
    row: CaseRow,
    reviewers: Sequence[ReviewerRow],
    loads: Mapping[str, int],
    today: dt.date,
) -> list[CandidateOut]:
    """Every reviewer: the eligible ones ranked first (best first), then the excluded ones
    with every reason (qualification, conflict of interest, load, specialty)."""
    if not reviewers:
        return []
    ids, regions = treatments(case)
    ranking = rank_reviewers(
        [profile_of(r, loads.get(r.id, 0)) for r in reviewers],
        treatment_ids=ids,
        condition=None,
        body_regions=regions,
        parties=case_parties(case, row.facts),
        today=today,
    )
    out = [
        CandidateOut(
            reviewer_id=c.reviewer_id,
            eligible=True,
            rank=c.rank,
            problems=[],
            conflicts=[],
            matched_specialties=[m.specialty for m in c.matches],
            covers_all=c.covers_all,
            current_load=c.current_load,
        )
        for c in ranking.candidates
    ]
    for ex in ranking.excluded:
        conflicts = [r for r in ex.reasons if r.startswith("conflict of interest")]
        out.append(
            CandidateOut(
                reviewer_id=ex.reviewer_id,
                eligible=False,
                problems=[r for r in ex.reasons if r not in conflicts],
                conflicts=conflicts,
                current_load=loads.get(ex.reviewer_id, 0),
            )
        )
    return out


def letter_facts(
    reviewer: ReviewerRow, case: Case, facts: Mapping[str, Any], today: dt.date
) -> dict[str, Any]:
    """What the letter says of the reviewer (never the name), checked against the parties.

    :func:`openimr.process.signing.require_final` refuses a reviewer who may not sign today
    (a qualification problem, a conflict of interest, no qualification the letter could
    state), naming why; so a final determination is always signed by a qualified reviewer.
    """
    profile = profile_of(reviewer, 0)
    parties = case_parties(case, facts)
    check = require_final(profile, today=today, parties=parties)
    paragraph = credentials_paragraph(profile, today=today, parties=parties)
    states, certifications = stated_qualifications(profile, today)
    creds = ReviewerCredentials(
        licensure=tuple(US_STATES[s] for s in states),
        certifications=tuple(certifications),
        years_in_practice=profile.years_in_practice,
        weekly_practice_hours=profile.weekly_practice_hours,
    )
    return {
        "credentials": creds.model_dump(mode="json"),
        "credentials_paragraph": paragraph,
        "status": check.status,
        "signing_citation": check.citation,
    }

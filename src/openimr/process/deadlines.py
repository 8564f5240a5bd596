"""The IMR clocks: which deadline runs, from which event, until when, under which rule.

:func:`compute_deadlines` turns the dated events of one IMR (UR decision served, application
received, assignment notice sent, records received ...) into :class:`Deadline` values; each
records the event that started it, its unit, the rule in plain words, its citation and the
words of the text it relies on (``relied_on``, from the dated law data of
:mod:`openimr.process.law`). Every rule, and which texts could not be read, is listed in
``docs/workflow-rules.md``. When the claims administrator's records never arrive the case may
go to review on the documents at hand (8 CCR 9792.10.6(b)(2)): ``review_without_records``
closes the records clock as missed and starts the decision clock.

Counting follows Code Civ. Proc. 12 (the day of the event is excluded, the last day included);
a last day counted in calendar days that falls on a weekend or holiday runs to the next
business day (Code Civ. Proc. 12a, see :meth:`CaliforniaCalendar.roll_forward`); the date
before that move is kept as ``nominal_due``. Hour clocks run continuously and never move.

:func:`due_report` lists, across cases, the open deadlines that are overdue or due soon.
Nothing here reads the clock: the caller passes ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openimr.errors import OpenIMRError
from openimr.process.calendar import CaliforniaCalendar
from openimr.process.law import LawVersion, rule_on, rule_on_or_none

ReviewType = Literal["regular", "expedited"]
ServiceMethod = Literal["mail", "electronic", "personal"]
NoticeMethod = Literal["mail", "electronic"]
DeadlineKind = Literal[
    "application_due",
    "eligibility_info_due",
    "assignment_notice_due",
    "records_due",
    "decision_due",
    "implementation_due",
    "appeal_due",
]
Unit = Literal["calendar days", "business days", "working days", "hours"]
Party = Literal["employee", "parties", "IMRO", "claims administrator", "any party"]


class DeadlineError(OpenIMRError):
    """The dated events given for a case contradict each other."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeadlineInputs(_Frozen):
    """The dated events of one IMR that start or stop its clocks.

    Dates are Pacific calendar dates; datetimes may be aware or naive (naive means Pacific
    wall time). Unknown events are None and the clocks they start are simply not computed.
    """

    review_type: ReviewType = "regular"
    formulary_dispute: bool = False
    ur_decision_served: dt.date | None = None
    ur_service_method: ServiceMethod | None = None
    application_received: dt.date | None = None
    # 8 CCR 9792.10.3(b)-(c): the AD's request for more information and the answer.
    info_request_received: dt.date | None = None
    info_received: dt.date | None = None
    # 8 CCR 9792.10.4(b): the AD's eligibility finding starts the 1-business-day notice clock.
    eligibility_found: dt.date | None = None
    assignment_notice_sent: dt.datetime | None = None
    notice_method: NoticeMethod = "mail"
    # Expedited records are due 24 hours after *receipt* of the notice; when this is None the
    # sending time is used (the earliest the notice can have been received).
    assignment_notice_received: dt.datetime | None = None
    records_received: dt.date | None = None
    # 8 CCR 9792.10.6(b)(2): the claims administrator's records never came and the case went
    # to review on the documents at hand (the UR decision's summary of records and what the
    # employee or requesting physician sent) on this day.
    review_without_records: dt.date | None = None
    determination_issued: dt.date | None = None
    determination_served: dt.date | None = None
    determination_service_method: ServiceMethod | None = None
    determination_overturned: bool | None = None
    treatment_authorized: dt.date | None = None
    appeal_filed: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DeadlineInputs:
        pairs = [
            ("ur_decision_served", "application_received"),
            ("info_request_received", "info_received"),
            ("determination_served", "appeal_filed"),
            ("determination_issued", "determination_served"),
        ]
        for first, second in pairs:
            a, b = getattr(self, first), getattr(self, second)
            if a is not None and b is not None and b < a:
                raise ValueError(f"{second} ({b}) is before {first} ({a})")
        return self


class StartEvent(_Frozen):
    """The event that started a clock, and when it happened."""

    event: str
    at: dt.date | dt.datetime


class Deadline(_Frozen):
    """One running (or finished) clock."""

    kind: DeadlineKind
    due: dt.date | dt.datetime
    unit: Unit
    amount: int = Field(ge=0)
    started_by: StartEvent
    basis: str
    citation: str
    responsible: Party
    nominal_due: dt.date | dt.datetime
    extension_days: int = 0
    verified: bool = True
    completed: dt.date | dt.datetime | None = None
    closed: str | None = None
    """Why an unmet clock stopped running without its act (e.g. records never received)."""
    relied_on: str | None = None
    """The words of the rule's text the clock relies on (``library/data/law.yaml``)."""

    @property
    def rolled_forward(self) -> bool:
        """True when a weekend or holiday moved the last day (Code Civ. Proc. 12a)."""
        return self.due != self.nominal_due

    @property
    def is_open(self) -> bool:
        return self.completed is None and self.closed is None

    def due_at(self, calendar: CaliforniaCalendar) -> dt.datetime:
        """The instant the deadline passes: for a date, the end of that Pacific day."""
        if isinstance(self.due, dt.datetime):
            return calendar.localize(self.due)
        end = dt.datetime.combine(self.due + dt.timedelta(days=1), dt.time(0))
        return end.replace(tzinfo=calendar.tz)

    def met(self, calendar: CaliforniaCalendar) -> bool | None:
        """Whether the act was done in time (None while it is still open; False if closed)."""
        if self.completed is None:
            return False if self.closed is not None else None
        if isinstance(self.completed, dt.datetime):
            return _utc(calendar.localize(self.completed)) < _utc(self.due_at(calendar))
        if isinstance(self.due, dt.datetime):
            # Only the day of completion is known: on the due day counts as in time.
            return self.completed <= calendar.localize(self.due).date()
        return self.completed <= self.due


# -- rule helpers ---------------------------------------------------------------------------


def service_extension(
    method: ServiceMethod | None, start: dt.date, calendar: CaliforniaCalendar
) -> tuple[int, str, bool]:
    """Extra calendar days for the way a document was served, its reason and verified flag.

    Mail within California: 5 calendar days (Code Civ. Proc. 1013(a); applied to the IMR
    application in *Avila v. UC Irvine Medical Center* (2015 WCAB panel) and to IMR appeals in
    *Matute v. LAUSD* (2015 WCAB en banc)). Electronic service: 2 court days (Code Civ. Proc.
    1010.6(a)(3)(B)) counted here as business days (verify). Personal service: none.
    The California address is assumed (outside California: 10 days, not modelled).
    """
    if method == "mail":
        return 5, "5 days added for service by mail (Code Civ. Proc. 1013(a))", True
    if method == "electronic":
        end = calendar.add_business_days(start, 2)
        return (
            (end - start).days,
            "2 court days added for electronic service (Code Civ. Proc. 1010.6(a)(3)(B))",
            False,
        )
    if method == "personal":
        return 0, "no extension for personal service", True
    return 0, "service method unknown: no service extension added", False


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _local_date(value: dt.datetime, calendar: CaliforniaCalendar) -> dt.date:
    return calendar.localize(value).date()


def _calendar_day_deadline(
    *,
    kind: DeadlineKind,
    start: StartEvent,
    start_day: dt.date,
    days: int,
    extension: int,
    basis: str,
    citation: str,
    responsible: Party,
    calendar: CaliforniaCalendar,
    verified: bool,
    completed: dt.date | dt.datetime | None,
) -> Deadline:
    nominal = calendar.add_calendar_days(start_day, days + extension)
    due = calendar.roll_forward(nominal)
    if due != nominal:
        basis += f"; the last day, {nominal.isoformat()}, is not a business day, so it moves"
    return Deadline(
        kind=kind,
        due=due,
        unit="calendar days",
        amount=days,
        started_by=start,
        basis=basis,
        citation=citation,
        responsible=responsible,
        nominal_due=nominal,
        extension_days=extension,
        verified=verified,
        completed=completed,
    )


def _business_day_deadline(
    *,
    kind: DeadlineKind,
    start: StartEvent,
    start_day: dt.date,
    days: int,
    unit: Literal["business days", "working days"],
    basis: str,
    citation: str,
    responsible: Party,
    calendar: CaliforniaCalendar,
    verified: bool,
    completed: dt.date | dt.datetime | None,
) -> Deadline:
    due = calendar.add_business_days(start_day, days)
    return Deadline(
        kind=kind,
        due=due,
        unit=unit,
        amount=days,
        started_by=start,
        basis=basis,
        citation=citation,
        responsible=responsible,
        nominal_due=due,
        verified=verified,
        completed=completed,
    )


# -- the rules ------------------------------------------------------------------------------


def _law_on(rule_id: str, day: dt.date) -> LawVersion:
    return rule_on(rule_id, max(day, dt.date(2013, 1, 1)))


def _with_words(deadline: Deadline, rule_id: str, day: dt.date) -> Deadline:
    """The deadline with the words of its rule's text (``relied_on``)."""
    return deadline.model_copy(update={"relied_on": _law_on(rule_id, day).relied_on()})


def _application_due(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> Deadline | None:
    served = inputs.ur_decision_served
    if served is None:
        return None
    extension, why, ext_verified = service_extension(inputs.ur_service_method, served, calendar)
    basis = (
        "The signed DWC Form IMR with a copy of the UR decision must reach the Administrative "
        f"Director within 30 days of service of the UR decision; {why}"
    )
    deadline = _calendar_day_deadline(
        kind="application_due",
        start=StartEvent(event="UR decision served", at=served),
        start_day=served,
        days=30,
        extension=extension,
        basis=basis,
        citation=_law_on("application-filing", served).citation + "; Code Civ. Proc. 1013(a), 12a",
        responsible="employee",
        calendar=calendar,
        verified=ext_verified and not inputs.formulary_dispute,
        completed=inputs.application_received,
    )
    return _with_words(deadline, "application-filing", served)


def _eligibility_info_due(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> Deadline | None:
    asked = inputs.info_request_received
    if asked is None:
        return None
    deadline = _business_day_deadline(
        kind="eligibility_info_due",
        start=StartEvent(event="AD request for information received", at=asked),
        start_day=asked,
        days=5,
        unit="business days",
        basis="Parties answer the Administrative Director's request for information within 5 "
        "business days of receiving it",
        citation="8 CCR 9792.10.3(c)",
        responsible="parties",
        calendar=calendar,
        verified=True,
        completed=inputs.info_received,
    )
    return _with_words(deadline, "info-response", asked)


def _assignment_notice_due(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> Deadline | None:
    found = inputs.eligibility_found
    if found is None:
        return None
    sent = inputs.assignment_notice_sent
    deadline = _business_day_deadline(
        kind="assignment_notice_due",
        start=StartEvent(event="eligibility finding received", at=found),
        start_day=found,
        days=1,
        unit="business days",
        basis="The IMRO notifies the employer, employee, attorney and requesting physician of "
        "the assignment within one business day of the eligibility finding",
        citation="8 CCR 9792.10.4(b)",
        responsible="IMRO",
        calendar=calendar,
        verified=True,
        completed=_local_date(sent, calendar) if sent is not None else None,
    )
    return _with_words(deadline, "assignment-notice", found)


def _records_closed(inputs: DeadlineInputs) -> str | None:
    went = inputs.review_without_records
    if went is None or inputs.records_received is not None:
        return None
    return (
        f"not received; the review went ahead on the documents at hand on {went.isoformat()} "
        "(8 CCR 9792.10.6(b)(2))"
    )


def _records_due(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> Deadline | None:
    sent = inputs.assignment_notice_sent
    if sent is None:
        return None
    law = rule_on("records-due", max(_local_date(sent, calendar), dt.date(2013, 1, 1)))
    citation = law.citation
    if inputs.review_type == "expedited":
        received = inputs.assignment_notice_received
        start_at = calendar.localize(received if received is not None else sent)
        event = "assignment notice received" if received is not None else "assignment notice sent"
        # Elapsed hours, not wall-clock hours: add in UTC so a DST change is counted right.
        hours = int(law.values["expedited_hours"])
        due = (start_at.astimezone(dt.UTC) + dt.timedelta(hours=hours)).astimezone(calendar.tz)
        basis = (
            "Expedited review: the IMRO must receive the claims administrator's records within "
            "24 hours of receipt of the assignment notice"
        )
        if received is None:
            basis += " (receipt time unknown: counted from sending, the earliest receipt)"
        return Deadline(
            kind="records_due",
            due=due,
            unit="hours",
            amount=hours,
            started_by=StartEvent(event=event, at=start_at),
            basis=basis,
            citation=citation,
            responsible="claims administrator",
            nominal_due=due,
            verified=law.verified,
            completed=inputs.records_received,
            closed=_records_closed(inputs),
            relied_on=law.relied_on(),
        )
    days = (
        law.values["mail_days"] if inputs.notice_method == "mail" else law.values["electronic_days"]
    )
    how = "mailed" if inputs.notice_method == "mail" else "sent electronically"
    sent_day = _local_date(sent, calendar)
    return _calendar_day_deadline(
        kind="records_due",
        start=StartEvent(event=f"assignment notice {how}", at=calendar.localize(sent)),
        start_day=sent_day,
        days=days,
        extension=0,
        basis=f"The IMRO must receive the claims administrator's records within {days} days "
        f"after the assignment notice was {how}",
        citation=citation,
        responsible="claims administrator",
        calendar=calendar,
        verified=law.verified,
        completed=inputs.records_received,
    ).model_copy(update={"closed": _records_closed(inputs), "relied_on": law.relied_on()})


def _decision_due(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> Deadline | None:
    received = inputs.records_received
    start_day: dt.date
    if received is not None:
        start_day = received
        start = StartEvent(event="request and supporting records received", at=received)
        how = "receipt of the request for review and supporting documentation"
        missing: LawVersion | None = None
    elif inputs.review_without_records is not None:
        start_day = inputs.review_without_records
        start = StartEvent(
            event="review on the documents at hand (records not received)", at=start_day
        )
        how = (
            "the day the review went ahead without the claims administrator's records "
            "(8 CCR 9792.10.6(b)(2) does not say when this clock starts: assumed)"
        )
        missing = _law_on("records-missing", start_day)
    else:
        return None

    def cite(law: LawVersion) -> str:
        return law.citation + (f"; {missing.citation}" if missing is not None else "")

    def words(law: LawVersion) -> str | None:
        parts = [law.relied_on() or f"{law.citation}: text not read"]
        if missing is not None:
            parts.append(missing.relied_on() or "")
        return "; ".join(p for p in parts if p)

    def verified(law: LawVersion) -> bool:
        return law.verified and missing is None

    options: list[Deadline] = []
    if inputs.review_type == "expedited":
        law = _law_on("decision-expedited", start_day)
        options.append(
            _calendar_day_deadline(
                kind="decision_due",
                start=start,
                start_day=start_day,
                days=int(law.values["days"]),
                extension=0,
                basis="Expedited review (imminent and serious threat to health): the "
                f"determination issues within {law.values['days']} days of {how}",
                citation=cite(law),
                responsible="IMRO",
                calendar=calendar,
                verified=verified(law),
                completed=inputs.determination_issued,
            ).model_copy(update={"relied_on": words(law)})
        )
    # Lab. Code 4610.5(a)(3): formulary disputes are IMR disputes from 1 January 2018; before
    # that a formulary flag has no clock of its own.
    formulary = rule_on_or_none("decision-formulary", start_day)
    if inputs.formulary_dispute and formulary is not None:
        options.append(
            _business_day_deadline(
                kind="decision_due",
                start=start,
                start_day=start_day,
                days=int(formulary.values["working_days"]),
                unit="working days",
                basis="Drug formulary dispute: the determination issues within "
                f"{formulary.values['working_days']} working days of {how}",
                citation=cite(formulary),
                responsible="IMRO",
                calendar=calendar,
                verified=verified(formulary),
                completed=inputs.determination_issued,
            ).model_copy(update={"relied_on": words(formulary)})
        )
    if not options:
        law = _law_on("decision-regular", start_day)
        options.append(
            _calendar_day_deadline(
                kind="decision_due",
                start=start,
                start_day=start_day,
                days=int(law.values["days"]),
                extension=0,
                basis=f"The determination issues within {law.values['days']} days of {how} "
                "(a late determination stays valid: CHP v. WCAB (Margaris) 2016)",
                citation=cite(law),
                responsible="IMRO",
                calendar=calendar,
                verified=verified(law),
                completed=inputs.determination_issued,
            ).model_copy(update={"relied_on": words(law)})
        )
    return min(options, key=lambda d: _utc(d.due_at(calendar)))


def _implementation_due(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> Deadline | None:
    served = inputs.determination_served
    if served is None or inputs.determination_overturned is not True:
        return None
    law = _law_on("implementation", served)
    deadline = _business_day_deadline(
        kind="implementation_due",
        start=StartEvent(event="final determination (overturned) served", at=served),
        start_day=served,
        days=int(law.values["working_days"]),
        unit="working days",
        basis="After a determination that overturns the UR decision, the claims administrator "
        "authorizes the treatment within 5 working days of receiving it (counted here from "
        "service, the earliest receipt)",
        citation=law.citation,
        responsible="claims administrator",
        calendar=calendar,
        verified=False,
        completed=inputs.treatment_authorized,
    )
    return deadline.model_copy(update={"relied_on": law.relied_on()})


def _appeal_due(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> Deadline | None:
    served = inputs.determination_served
    if served is None:
        return None
    extension, why, ext_verified = service_extension(
        inputs.determination_service_method, served, calendar
    )
    law = _law_on("appeal", served)
    deadline = _calendar_day_deadline(
        kind="appeal_due",
        start=StartEvent(event="final determination served", at=served),
        start_day=served,
        days=int(law.values["days"]),
        extension=extension,
        basis="A verified appeal to the WCAB must be filed within 30 days of the mailing "
        f"(service) of the determination; {why}",
        citation="Lab. Code 4610.6(h); Matute v. LAUSD (2015) WCAB en banc; 8 CCR 10605",
        responsible="any party",
        calendar=calendar,
        verified=ext_verified and law.verified,
        completed=inputs.appeal_filed,
    )
    return deadline.model_copy(update={"relied_on": law.relied_on()})


_RULES = (
    _application_due,
    _eligibility_info_due,
    _assignment_notice_due,
    _records_due,
    _decision_due,
    _implementation_due,
    _appeal_due,
)


def compute_deadlines(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> list[Deadline]:
    """Every clock the known events start, in process order."""
    out: list[Deadline] = []
    for rule in _RULES:
        deadline = rule(inputs, calendar)
        if deadline is not None:
            out.append(deadline)
    return out


# -- the due report -------------------------------------------------------------------------


RECORDS_OVERDUE_STEP = (
    "The claims administrator's records are overdue: the case may go to review on the "
    "documents at hand, the UR decision's summary of medical records and the documents the "
    "employee or requesting physician sent, never the UR decision alone (8 CCR 9792.10.6(b)(2))"
)


def next_step(deadline: Deadline, status: str) -> str | None:
    """The path the law opens when ``deadline`` is overdue (``status`` of the due report)."""
    if status == "overdue" and deadline.kind == "records_due" and deadline.is_open:
        return RECORDS_OVERDUE_STEP
    return None


class DueItem(_Frozen):
    case_id: str
    deadline: Deadline
    due_at: dt.datetime
    remaining: dt.timedelta
    status: Literal["overdue", "due_soon"]

    @property
    def next_step(self) -> str | None:
        """What the law lets the IMRO do about an overdue clock (None: nothing specific)."""
        return next_step(self.deadline, self.status)

    @property
    def days_remaining(self) -> int:
        """Whole days left (negative when overdue, rounded towards more urgency)."""
        return self.remaining.days


class DueReport(_Frozen):
    now: dt.datetime
    soon_days: int
    overdue: list[DueItem]
    due_soon: list[DueItem]

    @property
    def items(self) -> list[DueItem]:
        return [*self.overdue, *self.due_soon]


def due_report(
    cases: Iterable[tuple[str, list[Deadline]]],
    now: dt.datetime,
    soon_days: int,
    *,
    calendar: CaliforniaCalendar | None = None,
) -> DueReport:
    """Open deadlines that have passed (``overdue``) or pass within ``soon_days`` days.

    A date deadline passes at the end of its Pacific calendar day. "Due soon" means due by
    the end of the Pacific day ``soon_days`` days from today (0: by the end of today).
    Finished deadlines
    (``completed`` set) are left out. Overdue items come most overdue first; due-soon items
    soonest first.
    """
    if soon_days < 0:
        raise DeadlineError(f"soon_days must be 0 or more, not {soon_days}")
    cal = calendar or CaliforniaCalendar()
    current = cal.local_now(now)
    horizon = dt.datetime.combine(
        current.date() + dt.timedelta(days=soon_days + 1), dt.time(0), tzinfo=cal.tz
    )
    overdue: list[DueItem] = []
    soon: list[DueItem] = []
    for case_id, deadlines in cases:
        for deadline in deadlines:
            if not deadline.is_open:
                continue
            at = deadline.due_at(cal)
            # Aware datetimes sharing a zone subtract as wall time: compare in UTC instead.
            remaining = _utc(at) - _utc(current)
            if remaining <= dt.timedelta(0):
                overdue.append(
                    DueItem(
                        case_id=case_id,
                        deadline=deadline,
                        due_at=at,
                        remaining=remaining,
                        status="overdue",
                    )
                )
            elif _utc(at) <= _utc(horizon):
                soon.append(
                    DueItem(
                        case_id=case_id,
                        deadline=deadline,
                        due_at=at,
                        remaining=remaining,
                        status="due_soon",
                    )
                )
    overdue.sort(key=lambda i: (i.due_at, i.case_id, i.deadline.kind))
    soon.sort(key=lambda i: (i.due_at, i.case_id, i.deadline.kind))
    return DueReport(now=current, soon_days=soon_days, overdue=overdue, due_soon=soon)

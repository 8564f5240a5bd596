"""The IMR clocks: which deadline runs, from which event, until when, under which rule.

:func:`compute_deadlines` turns the dated events of one IMR (UR decision served, application
received, assignment notice sent, records received ...) into :class:`Deadline` values; each
records the event that started it, its unit, the rule in plain words, its citation and the
words of the text it relies on (``relied_on``, from the dated law data of
:mod:`openimr.process.law`). Which clock starts at which event, in which unit, from which law
rule, is data (``library/data/process/deadlines.yaml``, schema in
:mod:`openimr.process.deadline_data`) read by :func:`evaluate`. Every rule, and which texts
could not be read, is listed in ``docs/workflow-rules.md``. When the claims administrator's records never arrive the case may
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
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openimr.errors import OpenIMRError
from openimr.process.calendar import CaliforniaCalendar
from openimr.process.deadline_data import (
    DeadlineBook,
    DeadlineKind,
    DeadlineRule,
    Party,
    StartRule,
    Unit,
    load_deadline_rules,
)
from openimr.process.law import LAW_DATA_START, LawVersion, rule_on, rule_on_or_none

ReviewType = Literal["regular", "expedited"]
ServiceMethod = Literal["mail", "electronic", "personal"]
NoticeMethod = Literal["mail", "electronic"]


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


# -- the evaluator of the deadline data ---------------------------------------------------


@lru_cache(maxsize=1)
def deadline_rules() -> DeadlineBook:
    """The clocks of ``library/data/process/deadlines.yaml`` (cached)."""
    return load_deadline_rules(frozenset(DeadlineInputs.model_fields))


@lru_cache(maxsize=1)
def _clocks() -> list[tuple[list[DeadlineRule], list[DeadlineRule]]]:
    """Per clock in process order: its alternatives, and its fallback alternatives."""
    book = deadline_rules()
    grouped = [[e for e in book.deadlines if e.kind == kind] for kind in book.kinds()]
    return [([e for e in g if not e.fallback], [e for e in g if e.fallback]) for g in grouped]


def _applies(entry: DeadlineRule, inputs: DeadlineInputs) -> bool:
    return all(getattr(inputs, name) == value for name, value in entry.when.items()) and all(
        getattr(inputs, name) is not None for name in entry.requires
    )


def _start(entry: DeadlineRule, inputs: DeadlineInputs) -> tuple[StartRule, Any] | None:
    """The first start event that is known, and its date or time."""
    for start in entry.starts:
        value = getattr(inputs, start.field)
        if value is not None:
            return start, value
    return None


def _words(entry: DeadlineRule, law: LawVersion, also: LawVersion | None) -> str | None:
    """The words of the texts relied on (``relied_on``)."""
    parts = [
        law.relied_on() or (f"{law.citation}: text not read" if entry.unread_text_noted else None)
    ]
    if also is not None:
        parts.append(also.relied_on())
    return "; ".join(p for p in parts if p) or None


def _due(
    entry: DeadlineRule,
    at: dt.date | dt.datetime,
    day: dt.date,
    amount: int,
    calendar: CaliforniaCalendar,
) -> tuple[dt.date | dt.datetime, dt.date | dt.datetime]:
    """The due date or time and the nominal one (before a weekend or holiday moved it)."""
    if entry.unit == "hours":
        if not isinstance(at, dt.datetime):
            raise DeadlineError(f"the {entry.kind} hour clock needs a time, not a day")
        # Elapsed hours, not wall-clock hours: add in UTC so a DST change is counted right.
        due = (at.astimezone(dt.UTC) + dt.timedelta(hours=amount)).astimezone(calendar.tz)
        return due, due
    if entry.unit == "calendar days":
        nominal = calendar.add_calendar_days(day, amount)
        return calendar.roll_forward(nominal), nominal
    due_day = calendar.add_business_days(day, amount)
    return due_day, due_day


def _as_day(value: Any, calendar: CaliforniaCalendar) -> Any:
    """A datetime as its Pacific date; anything else unchanged."""
    return calendar.localize(value).date() if isinstance(value, dt.datetime) else value


def evaluate(
    entry: DeadlineRule, inputs: DeadlineInputs, calendar: CaliforniaCalendar
) -> Deadline | None:
    """The clock one entry of the deadline data starts (None: it does not apply)."""
    found = _start(entry, inputs) if _applies(entry, inputs) else None
    if found is None:
        return None
    start, value = found
    at = calendar.localize(value) if isinstance(value, dt.datetime) else value
    day = _as_day(value, calendar)
    law_day = max(day, LAW_DATA_START)
    law = rule_on_or_none(entry.rule, law_day) if entry.optional else rule_on(entry.rule, law_day)
    if law is None:
        return None
    also = rule_on(start.also_rule, law_day) if start.also_rule else None
    amount = int(law.values[entry.count])
    extension, why, extension_verified = 0, "", True
    if entry.service_extension is not None:
        method = getattr(inputs, entry.service_extension)
        extension, why, extension_verified = service_extension(method, day, calendar)
    due, nominal = _due(entry, at, day, amount + extension, calendar)
    basis = entry.basis.format(count=amount, how=start.how or "", extension=why)
    basis += start.basis_note
    if due != nominal:
        basis += f"; the last day, {nominal.isoformat()}, is not a business day, so it moves"
    completed = _as_day(getattr(inputs, entry.completed_by), calendar)
    closed: str | None = None
    if completed is None and entry.closed_by is not None:
        stopped = getattr(inputs, entry.closed_by.field)
        if stopped is not None:
            closed = entry.closed_by.reason.format(date=stopped.isoformat())
    citations = [entry.citation or law.citation, *entry.also_cite]
    if also is not None:
        citations.append(also.citation)
    return Deadline(
        kind=entry.kind,
        due=due,
        unit=entry.unit,
        amount=amount,
        started_by=StartEvent(event=start.event, at=at),
        basis=basis,
        citation="; ".join(citations),
        responsible=entry.responsible,
        nominal_due=nominal,
        extension_days=extension,
        verified=law.verified
        and extension_verified
        and not any(getattr(inputs, name) for name in entry.unverified_when)
        and entry.assumption is None
        and start.assumption is None,
        completed=completed,
        closed=closed,
        relied_on=_words(entry, law, also),
    )


def compute_deadlines(inputs: DeadlineInputs, calendar: CaliforniaCalendar) -> list[Deadline]:
    """Every clock the known events start, in process order.

    Of the alternatives of one clock that apply, the one due first is kept; a ``fallback``
    alternative counts only when no other applies.
    """
    out: list[Deadline] = []
    for alternatives, fallbacks in _clocks():
        found = [d for e in alternatives if (d := evaluate(e, inputs, calendar)) is not None]
        if not found:
            found = [d for e in fallbacks if (d := evaluate(e, inputs, calendar)) is not None]
        if found:
            out.append(min(found, key=lambda d: _utc(d.due_at(calendar))))
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

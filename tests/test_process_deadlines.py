"""Every IMR clock, with weekends and holidays in the way, and the due report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from openimr.process.calendar import PACIFIC, CalendarError, CaliforniaCalendar
from openimr.process.deadlines import (
    Deadline,
    DeadlineError,
    DeadlineInputs,
    compute_deadlines,
    due_report,
)

D = dt.date
CAL = CaliforniaCalendar()


def pacific(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PACIFIC)  # type: ignore[misc]


def only(kind: str, **fields: Any) -> Deadline:
    found = [d for d in compute_deadlines(DeadlineInputs(**fields), CAL) if d.kind == kind]
    assert len(found) == 1, found
    return found[0]


# Thanksgiving 2024 is Thursday 28 November, the day after is a state holiday, then a weekend:
# a last day of Thu 28, Fri 29, Sat 30 or Sun 1 December moves to Monday 2 December.
CASES: list[tuple[str, dict[str, Any], Any, Any, str, int]] = [
    # kind, inputs, due, nominal_due, unit, amount
    (
        "application_due",
        {"ur_decision_served": D(2024, 10, 25), "ur_service_method": "mail"},
        D(2024, 12, 2),
        D(2024, 11, 29),
        "calendar days",
        30,
    ),
    (
        "application_due",
        {"ur_decision_served": D(2024, 10, 30), "ur_service_method": "personal"},
        D(2024, 12, 2),
        D(2024, 11, 29),
        "calendar days",
        30,
    ),
    (
        "application_due",  # only a weekend in the way
        {"ur_decision_served": D(2024, 8, 8), "ur_service_method": "personal"},
        D(2024, 9, 9),
        D(2024, 9, 7),
        "calendar days",
        30,
    ),
    (
        "eligibility_info_due",
        {"info_request_received": D(2024, 11, 27)},
        D(2024, 12, 6),
        D(2024, 12, 6),
        "business days",
        5,
    ),
    (
        "assignment_notice_due",
        {"eligibility_found": D(2024, 12, 24)},
        D(2024, 12, 26),
        D(2024, 12, 26),
        "business days",
        1,
    ),
    (
        "records_due",
        {"assignment_notice_sent": pacific(2024, 11, 14, 16, 0), "notice_method": "mail"},
        D(2024, 12, 2),
        D(2024, 11, 29),
        "calendar days",
        15,
    ),
    (
        "records_due",
        {"assignment_notice_sent": pacific(2024, 11, 17, 9, 0), "notice_method": "electronic"},
        D(2024, 12, 2),
        D(2024, 11, 29),
        "calendar days",
        12,
    ),
    (
        "records_due",  # expedited: 24 hours, holidays do not stop the clock
        {
            "review_type": "expedited",
            "assignment_notice_sent": pacific(2024, 11, 28, 10, 0),
            "notice_method": "electronic",
        },
        pacific(2024, 11, 29, 10, 0),
        pacific(2024, 11, 29, 10, 0),
        "hours",
        24,
    ),
    (
        "decision_due",
        {"records_received": D(2024, 10, 30)},
        D(2024, 12, 2),
        D(2024, 11, 29),
        "calendar days",
        30,
    ),
    (
        "decision_due",
        {"records_received": D(2024, 11, 26), "review_type": "expedited"},
        D(2024, 12, 2),
        D(2024, 11, 29),
        "calendar days",
        3,
    ),
    (
        "decision_due",
        {"records_received": D(2024, 11, 22), "formulary_dispute": True},
        D(2024, 12, 3),
        D(2024, 12, 3),
        "working days",
        5,
    ),
    (
        "implementation_due",
        {"determination_served": D(2024, 12, 20), "determination_overturned": True},
        D(2024, 12, 30),
        D(2024, 12, 30),
        "working days",
        5,
    ),
    (
        "appeal_due",
        {"determination_served": D(2024, 10, 25), "determination_service_method": "mail"},
        D(2024, 12, 2),
        D(2024, 11, 29),
        "calendar days",
        30,
    ),
]


@pytest.mark.parametrize(("kind", "fields", "due", "nominal", "unit", "amount"), CASES)
def test_deadline_kinds(
    kind: str, fields: dict[str, Any], due: Any, nominal: Any, unit: str, amount: int
) -> None:
    deadline = only(kind, **fields)
    assert deadline.due == due
    assert deadline.nominal_due == nominal
    assert deadline.rolled_forward is (due != nominal)
    assert deadline.unit == unit
    assert deadline.amount == amount
    assert deadline.citation
    assert deadline.basis
    if isinstance(due, dt.date) and not isinstance(due, dt.datetime):
        assert CAL.is_business_day(deadline.due)


def test_application_due_records_the_event_and_mail_extension() -> None:
    d = only("application_due", ur_decision_served=D(2024, 10, 25), ur_service_method="mail")
    assert d.started_by.event == "UR decision served"
    assert d.started_by.at == D(2024, 10, 25)
    assert d.extension_days == 5
    assert "8 CCR 9792.10.1(b)(1)" in d.citation
    assert "1013" in d.basis
    assert d.verified
    assert d.responsible == "employee"


def test_application_due_electronic_adds_two_court_days() -> None:
    # Served Wed 27 Nov: two business days later is Tue 3 Dec, i.e. 6 calendar days.
    d = only("application_due", ur_decision_served=D(2024, 11, 27), ur_service_method="electronic")
    assert d.extension_days == 6
    assert d.nominal_due == D(2025, 1, 2)
    assert not d.verified


def test_application_due_without_service_method_is_unverified() -> None:
    d = only("application_due", ur_decision_served=D(2024, 10, 30))
    assert d.extension_days == 0
    assert d.due == D(2024, 12, 2)
    assert not d.verified
    assert "unknown" in d.basis


def test_expedited_records_count_from_receipt_when_known() -> None:
    d = only(
        "records_due",
        review_type="expedited",
        assignment_notice_sent=pacific(2024, 11, 28, 10, 0),
        assignment_notice_received=pacific(2024, 11, 28, 15, 30),
    )
    assert d.due == pacific(2024, 11, 29, 15, 30)
    assert d.started_by.event == "assignment notice received"


def test_expedited_records_clock_runs_through_the_dst_change() -> None:
    d = only(
        "records_due", review_type="expedited", assignment_notice_sent=pacific(2024, 11, 2, 12)
    )
    assert isinstance(d.due, dt.datetime)
    elapsed = d.due.astimezone(dt.UTC) - pacific(2024, 11, 2, 12).astimezone(dt.UTC)
    assert elapsed == dt.timedelta(hours=24)
    assert d.due.astimezone(PACIFIC).hour == 11  # the wall clock fell back an hour


def test_naive_notice_time_is_pacific() -> None:
    naive = only("records_due", assignment_notice_sent=dt.datetime(2024, 11, 14, 23, 30))
    assert naive.due == D(2024, 12, 2)
    # 07:30 UTC on the 15th is still the 14th in California.
    aware = only(
        "records_due",
        assignment_notice_sent=dt.datetime(2024, 11, 15, 7, 30, tzinfo=dt.UTC),
    )
    assert aware.due == D(2024, 12, 2)


def test_expedited_formulary_takes_the_shorter_clock() -> None:
    d = only(
        "decision_due",
        records_received=D(2024, 12, 2),
        review_type="expedited",
        formulary_dispute=True,
    )
    assert d.unit == "calendar days"
    assert d.due == D(2024, 12, 5)


def test_no_implementation_clock_when_upheld() -> None:
    kinds = [
        d.kind
        for d in compute_deadlines(
            DeadlineInputs(determination_served=D(2024, 12, 20), determination_overturned=False),
            CAL,
        )
    ]
    assert kinds == ["appeal_due"]


def test_unknown_events_start_no_clocks() -> None:
    assert compute_deadlines(DeadlineInputs(), CAL) == []


def test_full_timeline_in_process_order() -> None:
    inputs = DeadlineInputs(
        ur_decision_served=D(2024, 9, 3),
        ur_service_method="mail",
        application_received=D(2024, 9, 20),
        eligibility_found=D(2024, 9, 27),
        assignment_notice_sent=pacific(2024, 9, 30, 8),
        notice_method="electronic",
        records_received=D(2024, 10, 8),
        determination_issued=D(2024, 10, 29),
        determination_served=D(2024, 10, 29),
        determination_service_method="mail",
        determination_overturned=True,
        treatment_authorized=D(2024, 11, 8),
    )
    deadlines = compute_deadlines(inputs, CAL)
    assert [d.kind for d in deadlines] == [
        "application_due",
        "assignment_notice_due",
        "records_due",
        "decision_due",
        "implementation_due",
        "appeal_due",
    ]
    met = {d.kind: d.met(CAL) for d in deadlines}
    assert met == {
        "application_due": True,
        "assignment_notice_due": True,
        "records_due": True,
        "decision_due": True,
        "implementation_due": False,  # 5 working days after 29 Oct is 5 Nov
        "appeal_due": None,
    }


def test_met_on_the_last_day_and_after() -> None:
    on_time = only(
        "application_due",
        ur_decision_served=D(2024, 10, 25),
        ur_service_method="mail",
        application_received=D(2024, 12, 2),
    )
    late = only(
        "application_due",
        ur_decision_served=D(2024, 10, 25),
        ur_service_method="mail",
        application_received=D(2024, 12, 3),
    )
    assert on_time.met(CAL) is True
    assert late.met(CAL) is False


def test_hour_clock_met_by_a_date_on_the_due_day() -> None:
    d = only(
        "records_due",
        review_type="expedited",
        assignment_notice_sent=pacific(2024, 11, 28, 10, 0),
        records_received=D(2024, 11, 29),
    )
    assert d.met(CAL) is True


@pytest.mark.parametrize(
    "fields",
    [
        {"ur_decision_served": D(2024, 10, 25), "application_received": D(2024, 10, 1)},
        {"info_request_received": D(2024, 10, 25), "info_received": D(2024, 10, 1)},
        {"determination_served": D(2024, 10, 25), "appeal_filed": D(2024, 10, 1)},
    ],
)
def test_events_out_of_order_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="before"):
        DeadlineInputs(**fields)


def test_inputs_are_frozen_and_strict() -> None:
    inputs = DeadlineInputs()
    with pytest.raises(ValidationError):
        inputs.review_type = "expedited"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        DeadlineInputs(review_type="urgent")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        DeadlineInputs(unknown_field=1)  # type: ignore[call-arg]


# -- due report -----------------------------------------------------------------------------


def _case(**fields: Any) -> list[Deadline]:
    return compute_deadlines(DeadlineInputs(**fields), CAL)


def test_due_report_lists_overdue_and_due_soon() -> None:
    cases = [
        # application due 2 Dec: overdue on the morning of 3 Dec
        ("A", _case(ur_decision_served=D(2024, 10, 25), ur_service_method="mail")),
        # decision due 2 Dec but already issued: left out
        ("B", _case(records_received=D(2024, 10, 30), determination_issued=D(2024, 11, 20))),
        # eligibility information due 6 Dec: due soon
        ("C", _case(info_request_received=D(2024, 11, 27))),
        # records due 23 Dec: beyond the window
        ("D", _case(assignment_notice_sent=pacific(2024, 12, 8, 9))),
        # an expedited records clock that passed an hour ago
        (
            "E",
            _case(
                review_type="expedited",
                assignment_notice_sent=pacific(2024, 12, 2, 8),
                notice_method="electronic",
            ),
        ),
    ]
    report = due_report(cases, pacific(2024, 12, 3, 9, 0), 5)
    assert [(i.case_id, i.deadline.kind) for i in report.overdue] == [
        ("A", "application_due"),
        ("E", "records_due"),
    ]
    assert [(i.case_id, i.deadline.kind) for i in report.due_soon] == [
        ("C", "eligibility_info_due")
    ]
    a = report.overdue[0]
    assert a.status == "overdue"
    assert a.due_at == pacific(2024, 12, 3, 0, 0)
    assert a.remaining == -dt.timedelta(hours=9)
    assert a.days_remaining == -1
    assert report.due_soon[0].days_remaining == 3
    assert len(report.items) == 3


def test_due_report_on_the_due_day_is_due_soon_not_overdue() -> None:
    cases = [("A", _case(ur_decision_served=D(2024, 10, 25), ur_service_method="mail"))]
    report = due_report(cases, pacific(2024, 12, 2, 23, 59), 0)
    assert report.overdue == []
    assert [i.case_id for i in report.due_soon] == ["A"]


def test_due_report_needs_an_aware_now_and_a_window() -> None:
    with pytest.raises(CalendarError):
        due_report([], dt.datetime(2024, 12, 3, 9), 5)
    with pytest.raises(DeadlineError):
        due_report([], pacific(2024, 12, 3, 9), -1)


def test_due_report_counts_real_hours_across_dst() -> None:
    # Due Monday 4 Nov 2024; clocks fall back on Sunday 3 Nov, so the night has 25 hours.
    deadline = only("eligibility_info_due", info_request_received=D(2024, 10, 28))
    assert deadline.due == D(2024, 11, 4)
    report = due_report([("A", [deadline])], pacific(2024, 11, 2, 12, 0), 3)
    assert report.due_soon[0].remaining == dt.timedelta(days=2, hours=13)

"""The eligibility checks as data (``library/data/process/eligibility.yaml``): a bad entry
names file:line, and the dated conditions hold on both sides of their dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from openimr.process.calendar import CaliforniaCalendar
from openimr.process.datafile import shipped_text
from openimr.process.eligibility import (
    PYTHON_CHECKS,
    ApplicationFacts,
    eligibility_checks,
    screen_application,
)
from openimr.process.eligibility_data import (
    ELIGIBILITY_RESOURCE,
    EligibilityDataError,
    parse_eligibility_checks,
)

D = dt.date
FACTS = frozenset(ApplicationFacts.model_fields)
FUNCTIONS = frozenset(PYTHON_CHECKS)
TEXT, FILE = shipped_text(ELIGIBILITY_RESOURCE)


def parse(text: str) -> object:
    return parse_eligibility_checks(text, FILE, facts=FACTS, functions=FUNCTIONS)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_shipped_checks_load_and_every_python_check_is_used() -> None:
    book = eligibility_checks()
    assert parse(TEXT) == book
    assert {c.function for c in book.checks if c.function} == set(PYTHON_CHECKS)
    assert all(c.why for c in book.checks if c.function)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("rule: ur-copy", "rule: ur-copies", "no rule 'ur-copies' in law.yaml"),
        ("function: duplicate_pending", "function: duplicates_pending", "no Python check"),
        ("{ur_timely: false}", "{ur_on_time: false}", "no fact 'ur_on_time'"),
        ("field: application_signed", "field: signature", "no fact 'signature'"),
        ("reason: unsigned", "reason: not_signed", "Input should be"),
        ("effect: wcab", "effect: board", "Input should be"),
        ("{not_in_law: outcomes}", "{not_in_law: results}", "has a list 'results'"),
        ("UR decision of {ur_decision_date}", "UR decision of {ur_date}", "no fact 'ur_date'"),
        ("{before: 2014-04-01}", "{before: 2014-04-31}", "YYYY-MM-DD"),
    ],
)
def test_a_planted_bad_entry_names_file_and_line(old: str, new: str, message: str) -> None:
    assert old in TEXT
    with pytest.raises(EligibilityDataError, match=message) as info:
        parse(TEXT.replace(old, new, 1))
    assert info.value.file == FILE
    # the line of the bad value, or of the case or check holding it
    holders = [TEXT[: TEXT.index(old)].rindex(h) for h in ("  - id:", "      - when:", "message:")]
    lines = {line_of(TEXT, old), *(TEXT[:h].count("\n") + 1 for h in holders)}
    assert info.value.line in lines
    assert not info.value.message.startswith("Value error")


def test_a_case_that_neither_asks_nor_gives_a_reason_is_refused() -> None:
    bad = TEXT.replace("        reason: ur_untimely\n", "", 1)
    with pytest.raises(
        EligibilityDataError, match="either asks for a fact or gives a reason"
    ) as info:
        parse(bad)
    assert info.value.line == line_of(bad, "      - when: {ur_timely: false}")
    assert info.value.field == "checks.3.cases.0"


# -- the dated conditions, on both sides of their dates -------------------------------------

CAL = CaliforniaCalendar()
BASE: dict[str, Any] = {
    "application_signed": True,
    "signed_by": "employee",
    "ur_decision_served": D(2014, 3, 1),
    "ur_service_method": "mail",
    "ur_outcome": "denied",
    "ur_timely": True,
    "date_of_injury": D(2013, 5, 2),
}


def screen(**fields: Any) -> Any:
    facts = ApplicationFacts(**{**BASE, **fields})
    return screen_application(facts, prior=[], calendar=CAL, today=D(2024, 1, 1))


@pytest.mark.parametrize(("received", "reminder"), [(D(2014, 3, 31), True), (D(2014, 4, 1), False)])
def test_the_ur_copy_reminder_note_ends_on_1_april_2014(received: dt.date, reminder: bool) -> None:
    result = screen(
        ur_decision_date=D(2014, 3, 1), application_received=received, ur_decision_attached=False
    )
    (reason,) = [r for r in result.reasons if r.code == "ur_missing"]
    assert ("reminder allowing 15 more days" in reason.message) is reminder
    assert reason.citation.startswith("8 CCR 9792.10.1(b)(1)")


@pytest.mark.parametrize(
    ("decided", "reviewable"), [(D(2016, 12, 31), True), (D(2017, 1, 1), False)]
)
def test_a_ur_delay_is_reviewable_until_2016(decided: dt.date, reviewable: bool) -> None:
    result = screen(
        ur_outcome="delayed",
        ur_decision_date=decided,
        ur_decision_served=decided,
        application_received=decided,
        ur_decision_attached=True,
    )
    assert ("not_ur_dispute" not in result.codes) is reviewable
    if not reviewable:
        assert f"for a UR decision of {decided.isoformat()}" in result.reasons[0].message
        assert "SB 1160" in result.reasons[0].citation

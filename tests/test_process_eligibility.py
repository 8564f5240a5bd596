"""Eligibility screening: every reason, the 30-day limit on both sides, and their order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from openimr.process.calendar import CaliforniaCalendar
from openimr.process.eligibility import (
    REASON_ORDER,
    ApplicationFacts,
    EligibilityResult,
    PriorApplication,
    normalize_person,
    screen_application,
)

D = dt.date
CAL = CaliforniaCalendar()
TODAY = D(2024, 12, 10)

BASE: dict[str, Any] = {
    "application_signed": True,
    "signed_by": "employee",
    "application_received": D(2024, 11, 15),
    "ur_decision_date": D(2024, 10, 24),
    "ur_decision_served": D(2024, 10, 25),
    "ur_service_method": "mail",
    "ur_decision_attached": True,
    "ur_outcome": "denied",
    "ur_timely": True,
    "date_of_injury": D(2023, 5, 2),
    "items": ["physical-therapy", "MRI lumbar spine"],
    "employee_id": "EMP-1",
    "claim_number": "CLM-9",
    "physician": "Dr. Ana Delgado, MD",
}


def screen(
    prior: list[PriorApplication] | None = None, today: dt.date = TODAY, **changes: Any
) -> EligibilityResult:
    facts = ApplicationFacts(**{**BASE, **changes})
    return screen_application(facts, prior=prior or [], calendar=CAL, today=today)


def test_base_application_is_eligible() -> None:
    result = screen()
    assert result.status == "eligible"
    assert result.eligible and not result.deferred
    assert result.reasons == [] and result.missing_information == []
    assert result.application_due == D(2024, 12, 2)  # 35 days lands on a holiday Friday


# One row per reason: the change that triggers it, its code, effect and part of its citation.
REASONS: list[tuple[dict[str, Any], str, str, str]] = [
    (
        {"date_of_injury": D(2012, 5, 1), "ur_decision_date": D(2013, 6, 28),
         "ur_decision_served": D(2013, 6, 28), "application_received": D(2013, 7, 10)},
        "ur_before_imr_era", "ineligible", "4610.5(a)",
    ),
    ({"ur_outcome": "approved"}, "not_ur_dispute", "ineligible", "9792.10.1(a)"),
    ({"ur_outcome": "delayed"}, "not_ur_dispute", "ineligible", "SB 1160"),
    ({"medical_necessity_question": False}, "not_medical_necessity", "ineligible", "4610.6(a)"),
    ({"ur_timely": False}, "ur_untimely", "wcab", "Dubon"),
    ({"treatment_authorized_since": True}, "authorized", "terminated", "9792.10.6(a)"),
    (
        {"signed_by": "physician-designated", "physician_designation_after_ur": False},
        "invalid_filer", "ineligible", "9792.10.1(b)(2)",
    ),
    ({"application_signed": False}, "unsigned", "ineligible", "9792.10.1(b)"),
    ({"application_received": D(2024, 12, 3)}, "filed_late", "ineligible", "9792.10.1(b)(1)"),
    ({"ur_decision_attached": False}, "ur_missing", "ineligible", "9792.10.1(b)(1)"),
    (
        {"ur_conditional_noncertification": True},
        "conditional_noncertification", "ineligible", "DWC",
    ),
    ({"liability_disputed_non_medical": True}, "liability_deferred", "deferred", "9792.10.3(d)"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "code", "effect", "cite"), REASONS)
def test_each_reason(changes: dict[str, Any], code: str, effect: str, cite: str) -> None:
    result = screen(**changes)
    assert result.codes == [code]
    reason = result.reasons[0]
    assert reason.effect == effect
    assert cite in reason.citation
    assert reason.message.endswith(".")
    assert not result.eligible
    if effect == "deferred":
        assert result.status == "deferred" and result.deferred
    else:
        assert result.status == "ineligible" and not result.deferred


def test_every_reason_code_is_covered() -> None:
    covered = {code for _, code, _, _ in REASONS} | {"duplicate", "already_decided"}
    assert covered == set(REASON_ORDER)


# -- the 30-day limit -----------------------------------------------------------------------

LIMIT: list[tuple[str, dt.date, str | None, dt.date, bool]] = [
    # why, served, method, received, late?
    ("mail: 35 days = Fri 29 Nov 2024 (holiday) -> Mon 2 Dec", D(2024, 10, 25), "mail",
     D(2024, 12, 2), False),
    ("mail: one day after", D(2024, 10, 25), "mail", D(2024, 12, 3), True),
    ("personal: 30 days = holiday Friday -> Monday", D(2024, 10, 30), "personal",
     D(2024, 12, 2), False),
    ("personal: one day after", D(2024, 10, 30), "personal", D(2024, 12, 3), True),
    ("personal: 30 days = Saturday -> Monday", D(2024, 8, 8), "personal", D(2024, 9, 9), False),
    ("personal: the Tuesday after", D(2024, 8, 8), "personal", D(2024, 9, 10), True),
    ("mail: 35 days = Sunday 2 Jun 2024 -> Monday", D(2024, 4, 28), "mail", D(2024, 6, 3),
     False),
    ("mail: without the extension it would be late", D(2024, 4, 28), "mail", D(2024, 5, 30),
     False),
    ("personal: the mail extension is not given", D(2024, 4, 28), "personal", D(2024, 5, 30),
     True),
    ("mail: Christmas 2024 -> 26 Dec", D(2024, 11, 20), "mail", D(2024, 12, 26), False),
    ("mail: 27 Dec is late", D(2024, 11, 20), "mail", D(2024, 12, 27), True),
]  # fmt: skip


@pytest.mark.parametrize(("why", "served", "method", "received", "late"), LIMIT)
def test_thirty_day_limit(
    why: str, served: dt.date, method: str, received: dt.date, late: bool
) -> None:
    result = screen(
        ur_decision_date=served,
        ur_decision_served=served,
        ur_service_method=method,
        application_received=received,
    )
    assert ("filed_late" in result.codes) is late, why
    if late:
        assert str(result.application_due) in result.reasons[0].message


def test_late_message_says_why_in_plain_words() -> None:
    result = screen(application_received=D(2024, 12, 3))
    message = result.reasons[0].message
    assert "2024-12-03" in message and "2024-12-02" in message and "2024-10-25" in message
    assert "mail" in message


def test_unknown_service_method_decides_only_clear_cases() -> None:
    timely = screen(ur_service_method=None, application_received=D(2024, 11, 20))
    assert timely.status == "eligible"
    late = screen(ur_service_method=None, application_received=D(2024, 12, 3))
    assert late.codes == ["filed_late"]
    unclear = screen(ur_service_method=None, application_received=D(2024, 11, 27))
    assert unclear.status == "needs_information"
    assert [m.field for m in unclear.missing_information] == ["ur_service_method"]


def test_unknown_service_date_uses_the_decision_date_only_to_accept() -> None:
    timely = screen(ur_decision_served=None, application_received=D(2024, 11, 20))
    assert timely.status == "eligible"
    unclear = screen(ur_decision_served=None, application_received=D(2024, 12, 2))
    assert unclear.status == "needs_information"
    assert unclear.missing_information[0].field == "ur_decision_served"


def test_electronic_service_adds_two_court_days() -> None:
    # Served Mon 28 Oct 2024 electronically: +2 business days = 30 Oct; +30 = 29 Nov -> 2 Dec.
    result = screen(
        ur_decision_date=D(2024, 10, 28),
        ur_decision_served=D(2024, 10, 28),
        ur_service_method="electronic",
        application_received=D(2024, 12, 2),
    )
    assert result.status == "eligible"
    assert result.application_due == D(2024, 12, 2)


# -- unknown facts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"application_signed": None}, "application_signed"),
        ({"ur_decision_attached": None}, "ur_decision_attached"),
        ({"application_received": None}, "application_received"),
        ({"ur_outcome": None}, "ur_outcome"),
        (
            {"signed_by": "physician-designated", "physician_designation_after_ur": None},
            "physician_designation_after_ur",
        ),
        ({"date_of_injury": D(2012, 1, 1), "ur_decision_date": None}, "ur_decision_communicated"),
        ({"date_of_injury": None, "ur_decision_date": None}, "date_of_injury"),
    ],
)
def test_unknown_facts_are_asked_for_not_guessed(changes: dict[str, Any], field: str) -> None:
    result = screen(**changes)
    assert result.reasons == []
    assert result.status == "needs_information"
    assert field in [m.field for m in result.missing_information]
    assert not result.eligible


def test_designated_physician_with_designation_may_file() -> None:
    result = screen(signed_by="physician-designated", physician_designation_after_ur=True)
    assert result.status == "eligible"


def test_pre_2013_injury_with_later_ur_is_eligible() -> None:
    result = screen(date_of_injury=D(2010, 6, 29))
    assert result.status == "eligible"
    boundary = screen(
        date_of_injury=D(2012, 12, 31),
        ur_decision_date=D(2013, 7, 1),
        ur_decision_served=D(2013, 7, 1),
        application_received=D(2013, 7, 15),
    )
    assert boundary.status == "eligible"


def test_delay_before_2017_was_reviewable() -> None:
    result = screen(
        ur_outcome="delayed",
        ur_decision_date=D(2016, 3, 1),
        ur_decision_served=D(2016, 3, 1),
        application_received=D(2016, 3, 15),
    )
    assert result.status == "eligible"


def test_ur_copy_missing_before_april_2014_mentions_the_reminder() -> None:
    result = screen(
        ur_decision_attached=False,
        ur_decision_date=D(2014, 2, 3),
        ur_decision_served=D(2014, 2, 3),
        application_received=D(2014, 2, 20),
    )
    assert "reminder" in result.reasons[0].message


def test_liability_dispute_with_claims_administrator_agreement_is_eligible() -> None:
    result = screen(liability_disputed_non_medical=True, claims_administrator_agrees_eligible=True)
    assert result.status == "eligible"


# -- several reasons, and their order -------------------------------------------------------


def test_several_reasons_in_order() -> None:
    result = screen(
        liability_disputed_non_medical=True,
        ur_decision_attached=False,
        application_received=D(2024, 12, 20),
        application_signed=False,
        ur_timely=False,
    )
    assert result.codes == [
        "ur_untimely",
        "unsigned",
        "filed_late",
        "ur_missing",
        "liability_deferred",
    ]
    assert result.status == "ineligible"
    assert not result.deferred


def test_reasons_are_sorted_by_the_published_order() -> None:
    everything = screen(
        ur_outcome="approved",
        medical_necessity_question=False,
        treatment_authorized_since=True,
        ur_conditional_noncertification=True,
        liability_disputed_non_medical=True,
    )
    order = [REASON_ORDER.index(c) for c in everything.codes]
    assert order == sorted(order)
    assert len(everything.codes) == 5


# -- other applications ---------------------------------------------------------------------


def prior_app(**changes: Any) -> PriorApplication:
    fields: dict[str, Any] = {
        "application_id": "IMR-1",
        "employee_id": "emp-1",
        "claim_number": "CLM-9",
        "physician": "Delgado, Ana",
        "ur_decision_date": D(2024, 10, 24),
        "items": ["Physical Therapy"],
        "status": "pending",
    }
    fields.update(changes)
    return PriorApplication(**fields)


def test_duplicate_pending_application() -> None:
    result = screen(prior=[prior_app()])
    assert result.codes == ["duplicate"]
    assert result.reasons[0].related == ["IMR-1"]
    assert "physical-therapy" in result.reasons[0].message


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "withdrawn"},
        {"status": "ineligible"},
        {"ur_decision_date": D(2024, 9, 1)},
        {"items": ["acupuncture"]},
        {"employee_id": "EMP-2"},
    ],
)
def test_not_a_duplicate(changes: dict[str, Any]) -> None:
    assert "duplicate" not in screen(prior=[prior_app(**changes)]).codes


def test_duplicate_by_claim_number_when_no_employee_id() -> None:
    result = screen(prior=[prior_app(employee_id=None)])
    assert result.codes == ["duplicate"]


def decided(**changes: Any) -> PriorApplication:
    fields: dict[str, Any] = {
        "status": "decided",
        "ur_decision_date": D(2024, 3, 1),
        "decided_on": D(2024, 4, 15),
        "outcome": "upheld",
        "items": ["physical therapy"],
    }
    fields.update(changes)
    return prior_app(**fields)


def test_already_decided_within_twelve_months() -> None:
    result = screen(prior=[decided()])
    assert result.codes == ["already_decided"]
    assert "2024-04-15" in result.reasons[0].message
    assert "upheld" in result.reasons[0].message


@pytest.mark.parametrize(
    ("changes", "facts"),
    [
        ({"decided_on": D(2023, 10, 23)}, {}),  # more than 12 months before the UR decision
        ({}, {"documented_change_in_material_facts": True}),
        ({"physician": "Dr. Robert Kim"}, {}),
        ({"items": ["chiropractic"]}, {}),
        ({"decided_on": D(2024, 11, 1)}, {}),  # decided after this UR decision
    ],
)
def test_not_already_decided(changes: dict[str, Any], facts: dict[str, Any]) -> None:
    assert "already_decided" not in screen(prior=[decided(**changes)], **facts).codes


def test_twelve_months_boundary() -> None:
    assert screen(prior=[decided(decided_on=D(2023, 10, 24))]).codes == ["already_decided"]
    assert screen(prior=[decided(decided_on=D(2023, 10, 23))]).codes == []


def test_already_decided_needs_the_physician() -> None:
    result = screen(prior=[decided(physician=None)])
    assert result.codes == []
    assert result.status == "needs_information"
    assert result.missing_information[0].field == "physician"


def test_person_names_normalise() -> None:
    assert normalize_person("Dr. Ana Delgado, M.D.") == normalize_person("DELGADO, ANA")


# -- input checks ---------------------------------------------------------------------------


def test_impossible_dates_are_refused() -> None:
    with pytest.raises(ValidationError, match="before ur_decision_date"):
        ApplicationFacts(**{**BASE, "application_received": D(2024, 10, 1)})
    with pytest.raises(ValidationError, match="before ur_decision_date"):
        ApplicationFacts(**{**BASE, "ur_decision_served": D(2024, 10, 1)})
    with pytest.raises(ValidationError):
        ApplicationFacts(**{**BASE, "signed_by": "neighbour"})

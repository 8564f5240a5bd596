"""Workflow inputs built from a case directory (the seed case)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from openimr.caseio import load_case
from openimr.process.calendar import CaliforniaCalendar
from openimr.process.deadlines import compute_deadlines
from openimr.process.eligibility import screen_application
from openimr.process.fromcase import deadline_inputs_from_case, facts_from_case, parties_from_case
from openimr.process.reviewers import Affiliation, ReviewerProfile, conflicts

SEED = Path(__file__).resolve().parents[2] / "shared" / "examples" / "seed-case"
CAL = CaliforniaCalendar()


def test_seed_case_screens_with_service_facts_added() -> None:
    case = load_case(SEED)
    facts = facts_from_case(
        case,
        ur_decision_served=dt.date(2013, 8, 30),
        ur_service_method="mail",
        ur_decision_attached=True,
        ur_timely=True,
    )
    assert facts.items == [item.request for item in case.utilization_review.items]
    assert facts.date_of_injury == dt.date(2000, 6, 29)
    # Injury in 2000, UR decision 30 Aug 2013: inside IMR; received 6 Sep 2013: in time.
    result = screen_application(facts, prior=[], calendar=CAL, today=dt.date(2013, 9, 10))
    assert result.status == "eligible"
    assert result.application_due == dt.date(2013, 10, 4)


def test_seed_case_without_service_facts_needs_information() -> None:
    result = screen_application(
        facts_from_case(load_case(SEED)), prior=[], calendar=CAL, today=dt.date(2013, 9, 10)
    )
    # Received within 30 days of the decision itself: timely whatever the service date.
    assert result.status == "needs_information"
    assert [m.field for m in result.missing_information] == ["ur_decision_attached"]


def test_seed_case_clocks_and_parties() -> None:
    case = load_case(SEED)
    inputs = deadline_inputs_from_case(case, records_received=dt.date(2013, 9, 20))
    kinds = [d.kind for d in compute_deadlines(inputs, CAL)]
    assert kinds == ["decision_due"]
    parties = parties_from_case(case, insurer="Valley Mutual")
    doctor = ReviewerProfile(
        id="r",
        years_in_practice=10,
        weekly_practice_hours=40,
        max_load=5,
        affiliations=[Affiliation(name="Delgado, Maria M.D.", kind="provider-group")],
    )
    assert [c.party_role for c in conflicts(doctor, parties)] == ["provider"]


def test_overrides_are_validated() -> None:
    with pytest.raises(ValidationError):
        facts_from_case(load_case(SEED), no_such_field=True)

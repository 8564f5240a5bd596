"""Findings located in a body region: a thumb fracture is no red flag for a shoulder MRI."""

from __future__ import annotations

import datetime as dt

import pytest

from openimr.engine.determine import determine
from openimr.library.loader import default_library
from openimr.model import (
    Case,
    DisputedItem,
    Fact,
    ParsedRequest,
    Patient,
    Status,
    UtilizationReview,
)
from records_support import facts_of


def _facts(text: str, name: str) -> list[Fact]:
    return [f for f in facts_of(text) if f.name == name]


@pytest.mark.parametrize(
    ("sentence", "region"),
    [
        ("Diagnoses: left shoulder strain; left thumb non-displaced fracture.", "finger"),
        ("X-rays showed a fracture of the humerus.", "arm"),
        ("There is concern for infection of the right knee.", "knee"),
        ("He reports bowel and bladder incontinence.", None),
    ],
)
def test_red_flags_carry_the_region_named_nearest_in_their_clause(
    sentence: str, region: str | None
) -> None:
    facts = _facts(sentence, "red_flags")
    assert facts and facts[0].value is True
    assert facts[0].qualifier == region


def test_a_past_fracture_is_no_current_red_flag_but_a_history_of_cancer_is() -> None:
    assert _facts("Past history included a closed fracture of the left thumb.", "red_flags") == []
    assert _facts("He has a history of cancer.", "red_flags")


def _shoulder_mri(facts: list[Fact], regions: tuple[str, ...]) -> Status | None:
    request = ParsedRequest(
        text="MRI of the left shoulder",
        disputed="MRI of the left shoulder",
        treatment="mri-shoulder",
        body_regions=regions,
    )
    day = dt.date(2016, 12, 20)
    case = Case(
        patient=Patient(age=40, date_of_injury=day - dt.timedelta(days=60)),
        utilization_review=UtilizationReview(date=day, items=(DisputedItem(request=request.text),)),
    )
    det = determine(case, request, facts, default_library())
    return next(ev.status for ev in det.evaluated if ev.criterion.id == "conservative-care-first")


def test_a_red_flag_elsewhere_does_not_excuse_conservative_care_for_a_shoulder_mri() -> None:
    thumb = _facts("Diagnosis: left thumb fracture.", "red_flags")
    humerus = _facts("X-rays showed a fracture of the humerus.", "red_flags")
    unlocated = _facts("He has a history of cancer.", "red_flags")
    assert _shoulder_mri(thumb, ("shoulder",)) is Status.NOT_DOCUMENTED
    assert _shoulder_mri(humerus, ("shoulder",)) is Status.MET  # the upper arm is next to it
    assert _shoulder_mri(unlocated, ("shoulder",)) is Status.MET
    # a request that names no region keeps every finding
    assert _shoulder_mri(thumb, ()) is Status.MET

"""Which criteria set decides a request of the rehabilitation group (region-specific sets)."""

from __future__ import annotations

import pytest

from openimr.library.loader import default_library


@pytest.mark.parametrize(
    ("treatment", "regions", "expected"),
    [
        ("specialist-consultation", (), "office-visit"),
        ("specialist-consultation", ("hip",), "office-visit"),
        ("specialist-consultation", ("lumbar-spine",), "specialist-consultation-regional"),
        ("specialist-consultation", ("knee", "hip"), "specialist-consultation-regional"),
        ("office-visit", ("lumbar-spine",), "office-visit"),
        ("dme-other", ("cervical-spine",), "dme-other-cervical"),
        ("dme-brace", ("lumbar-spine",), "dme-brace"),
        ("tens", ("lumbar-spine",), "tens"),
        ("home-health-care", (), "home-health-care"),
    ],
)
def test_the_region_decides_which_set_applies(
    treatment: str, regions: tuple[str, ...], expected: str
) -> None:
    sets = default_library().sets_for(treatment, regions)
    assert sets and sets[0].id == expected


def test_equipment_of_no_specific_set_is_judged_by_the_dme_definition() -> None:
    # dme-other covers pillows, mattresses, workstations, supplies ...: a region-specific set
    # decides where there is one, else the general set (ODG's definition of DME and a
    # documented need; the item's words come from the request text)
    assert [s.id for s in default_library().sets_for("dme-other", ())] == ["dme-other"]
    assert default_library().sets_for("dme-other", ("lumbar-spine",))[0].id == "dme-other"


def test_every_rehab_treatment_of_the_brief_has_a_set() -> None:
    lib = default_library()
    for treatment in (
        "tens",
        "electrical-stimulation",
        "h-wave",
        "interferential-stimulation",
        "infrared-therapy",
        "therapeutic-ultrasound",
        "traction",
        "shockwave-therapy",
        "massage-therapy",
        "aquatic-therapy",
        "biofeedback",
        "therapeutic-exercise",
        "manual-therapy",
        "work-conditioning",
        "functional-restoration-program",
        "home-health-care",
        "inpatient-rehabilitation",
        "partial-hospitalization",
        "psychological-evaluation",
        "psychological-testing",
        "psychotherapy",
    ):
        assert lib.sets_for(treatment, ()), treatment

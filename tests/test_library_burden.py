"""The burden of documentation, over the whole library: with nothing documented in the records,
no criteria set overturns a denial. An item is medically necessary only when the records show
what its guideline asks for; the request alone (a first course, a quantity within the limits)
is never enough."""

from __future__ import annotations

import datetime as dt

import pytest

from openimr.engine.determine import Determination, determine
from openimr.library.loader import default_library
from openimr.library.schema import Version
from openimr.model import Case, DisputedItem, ParsedRequest, Patient, Status, UtilizationReview


def _determine(
    treatment: str, day: dt.date, quantity: int | None, regions: tuple[str, ...] = ()
) -> Determination:
    text = f"initial {treatment}"
    request = ParsedRequest(
        text=text,
        disputed=text,
        treatment=treatment,
        quantity=quantity,
        quantity_unit="visits" if quantity else None,
        body_regions=regions,
    )
    case = Case(
        patient=Patient(age=45, date_of_injury=day - dt.timedelta(days=400)),
        utilization_review=UtilizationReview(date=day, items=(DisputedItem(request=text),)),
    )
    return determine(case, request, [], default_library())


def _day_after_effective(version: Version) -> dt.date:
    """The day after the version took effect (its last day, for a one-day version)."""
    day = version.effective + dt.timedelta(days=1)
    return version.until if version.until is not None and day > version.until else day


def _requests() -> list[tuple[str, str, int | None, tuple[str, ...]]]:
    """Each version of each set, on the day after it took effect, for each of its treatments
    (about the set's first body region, for a set kept for some regions) that it decides then
    (a treatment shared with another set may be decided there)."""
    out = []
    for set_id, cs in default_library().sets.items():
        for version in cs.versions:
            day = _day_after_effective(version)
            regions = cs.body_regions[:1]
            for treatment in cs.treatments:
                for quantity in (None, 6):
                    det = _determine(treatment, day, quantity, regions)
                    decided_here = (
                        det.criteria_set is not None
                        and det.criteria_set.id == set_id
                        and det.version is not None
                        and det.version.id == version.id
                    )
                    if decided_here:
                        out.append((f"{set_id}/{version.id}", treatment, quantity, regions))
    return out


REQUESTS = _requests()


def test_the_sweep_reaches_most_of_the_library() -> None:
    library = default_library()
    swept = {key.split("/")[0] for key, _, _, _ in REQUESTS}
    assert len(swept) >= 0.9 * len(library.sets)


@pytest.mark.parametrize(("key", "treatment", "quantity", "regions"), REQUESTS, ids=str)
def test_nothing_documented_overturns_nothing(
    key: str, treatment: str, quantity: int | None, regions: tuple[str, ...]
) -> None:
    set_id, version_id = key.split("/")
    version = next(v for v in default_library().sets[set_id].versions if v.id == version_id)
    det = _determine(treatment, _day_after_effective(version), quantity, regions)
    assert det.status is not Status.MET, [(e.criterion.id, e.status.value) for e in det.evaluated]

"""Surgery, its associated services, and electrodiagnostic studies of the arms, decided from
raw records as a reviewer would.

- An associated service (assistant surgeon, pre-operative clearance, cold therapy unit)
  follows a surgery the records show as authorized, scheduled or done; a surgery only
  "pending authorization", or named on a condition ("if the surgery is approved"), is not
  yet one.
- EMG and nerve conduction studies of the arms: arm symptoms or findings lasting more than
  three or four weeks despite conservative care (ACOEM Chapters 8, 10 and 11).

The case directories under tests/data/surgery-services/ and tests/data/edx-upper/ were
written for these tests (not corpus letters), each with an expected.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from openimr.caseio import load_case
from openimr.pipeline import review_case
from records_support import facts_of as _facts

DATA = Path(__file__).parent / "data"
DIRS = [DATA / "surgery-services", DATA / "edx-upper"]


@pytest.mark.parametrize(
    "sentence",
    [
        "He is scheduled for left knee arthroscopy on 1/18/2017.",
        "The L4-5 fusion was authorized by utilization review on 12/02/2016.",
        "She is status post right carpal tunnel release on 11/02/2016.",
    ],
)
def test_a_surgery_authorized_scheduled_or_done_is_planned(sentence: str) -> None:
    assert [f for f in _facts(sentence) if f.name == "planned_surgery"]


@pytest.mark.parametrize(
    "sentence",
    [
        "He is pending authorization for a right shoulder arthroscopy.",
        "She is awaiting approval of the knee surgery.",
        "If the surgery is approved, he will need a cold therapy unit.",
    ],
)
def test_a_surgery_awaiting_authorization_is_not_yet_planned(sentence: str) -> None:
    assert not [f for f in _facts(sentence) if f.name == "planned_surgery"]


@pytest.mark.parametrize(
    "sentence",
    [
        "He has had 12 sessions of physical therapy without lasting improvement.",
        "Two epidural injections did not provide lasting relief.",
        "A cortisone injection gave only temporary relief.",
    ],
)
def test_conservative_care_that_did_not_resolve_the_symptoms(sentence: str) -> None:
    assert True in [f.value for f in _facts(sentence) if f.name == "failed_conservative_care"]


def _case_dirs() -> list[Path]:
    return sorted(p for d in DIRS for p in d.iterdir() if (p / "case.yaml").is_file())


def test_each_group_has_cases_on_both_sides() -> None:
    for d in DIRS:
        decisions = {
            item["decision"]
            for p in d.iterdir()
            if (p / "expected.yaml").is_file()
            for item in yaml.safe_load((p / "expected.yaml").read_text())["items"]
        }
        assert decisions == {"overturned", "upheld"}, d.name


@pytest.mark.parametrize("case_dir", _case_dirs(), ids=lambda p: p.name)
def test_raw_record_cases_are_decided_as_a_reviewer_would(case_dir: Path) -> None:
    expected = yaml.safe_load((case_dir / "expected.yaml").read_text())["items"]
    review = review_case(load_case(case_dir))
    assert len(review.items) == len(expected)
    for item, want in zip(review.items, expected, strict=True):
        assert item.decision == want["decision"], (case_dir.name, item.request)
        got = {c.id.rsplit(".", 1)[-1]: c.status.value for c in item.criteria}
        for crit, status in want["criteria"].items():
            assert got[crit] == status, (case_dir.name, item.request, crit)


def test_a_surgery_already_done_does_not_make_pre_operative_services_necessary() -> None:
    """'Status post' names a surgery done: it serves post-operative items, not pre-operative
    ones (a pre-operative clearance needs a surgery still to come)."""
    import datetime as dt

    from openimr.engine.determine import determine
    from openimr.library.loader import default_library
    from openimr.model import Case, DisputedItem, ParsedRequest, Patient, UtilizationReview

    facts = _facts("She is status post L4-5 fusion in 2010.")
    done = [f for f in facts if f.name == "planned_surgery"]
    assert done and all(f.qualifier == "performed" for f in done)
    day = dt.date(2016, 12, 15)
    case = Case(
        patient=Patient(age=60, date_of_injury=dt.date(2009, 1, 5)),
        utilization_review=UtilizationReview(date=day, items=(DisputedItem(request="x"),)),
    )
    lib = default_library()
    pre = ParsedRequest(
        text="Pre-operative medical clearance",
        disputed="Pre-operative medical clearance",
        treatment="preoperative-clearance",
        perioperative="pre",
    )
    post = ParsedRequest(
        text="Post-operative physical therapy x12",
        disputed="Post-operative physical therapy x12",
        treatment="postoperative-physical-therapy",
        perioperative="post",
        quantity=12,
        quantity_unit="sessions",
    )
    pre_det = determine(case, pre, facts, lib)
    post_det = determine(case, post, facts, lib)
    surgery_status = {
        e.criterion.id: e.status.value for e in pre_det.evaluated if e.facts or e.values
    }
    assert pre_det.status is not None and pre_det.status.value != "met", surgery_status
    used = [f for e in post_det.evaluated for f in e.facts if f.name == "planned_surgery"]
    assert used, "the surgery done still serves post-operative therapy"

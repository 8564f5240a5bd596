"""The seed example: both items Upheld for the seed letter's reasons, with exact spans.

Golden files (tests/golden/seed.json, tests/golden/seed.txt) hold what people read; re-record
them on purpose with OPENIMR_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from openimr.caseio import load_case
from openimr.pipeline import review_case
from openimr.render import review_to_json
from openimr.render.letter import render_letter, render_pdf

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def seed(seed_case: Path):  # type: ignore[no-untyped-def]
    case = load_case(seed_case)
    return case, review_case(case)


def statuses(item) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.id.rsplit(".", 1)[-1]: c.status.value for c in item.criteria}


def test_both_items_upheld(seed) -> None:  # type: ignore[no-untyped-def]
    _, review = seed
    assert [i.decision for i in review.items] == ["upheld", "upheld"]
    assert [i.medically_necessary for i in review.items] == [False, False]


def test_follow_up_visit_fails_on_the_repeat_injection_criteria(seed) -> None:  # type: ignore[no-untyped-def]
    _, review = seed
    visit = review.items[0]
    assert visit.treatment == "office-visit"
    assert visit.evidence_tier != "mtus" and visit.tier_note  # not based on the MTUS, and says why
    s = statuses(visit)
    assert s["purpose-documented"] == "met"
    assert s["repeat-relief"] == "not_documented"  # 50-70% for 6-8 weeks
    assert s["repeat-medication"] == "not_documented"  # decreased need for medication
    assert s["repeat-function"] == "not_documented"  # functional response
    assert s["prior-injection"] == "met"
    assert "50-70%" in (visit.rationale or "")
    assert "good pain relief" in (visit.rationale or "")


def test_physical_therapy_fails_on_visits_count_and_improvement(seed) -> None:  # type: ignore[no-untyped-def]
    _, review = seed
    pt = review.items[1]
    assert pt.treatment == "physical-therapy"
    assert pt.evidence_tier == "mtus"
    s = statuses(pt)
    assert s["visit-limit"] == "not_met"  # 12 asked against a limit of 10
    assert s["prior-visit-count"] == "not_documented"
    assert s["prior-functional-improvement"] == "not_documented"
    assert "12 visits requested exceed the guideline's 10 visits" in (pt.rationale or "")


def test_every_evidence_span_is_exact(seed) -> None:  # type: ignore[no-untyped-def]
    case, review = seed
    texts = {r.path: r.text for r in case.records}
    n = 0
    for item in review.items:
        for crit in item.criteria:
            for ev in crit.evidence:
                assert texts[ev.record][ev.start : ev.end] == ev.quote
                n += 1
            if crit.status.value == "not_documented":
                assert crit.searched == tuple(texts)
    assert n > 0


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPENIMR_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"{name} missing: record it with OPENIMR_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name} changed: re-record with OPENIMR_UPDATE_GOLDEN=1"


def test_seed_json_golden(seed) -> None:  # type: ignore[no-untyped-def]
    _, review = seed
    _check_golden("seed.json", json.dumps(review_to_json(review), indent=2) + "\n")


def test_seed_letter_golden(seed) -> None:  # type: ignore[no-untyped-def]
    case, review = seed
    _check_golden("seed.txt", render_letter(review, case, "text"))


def test_seed_pdf_opens_and_has_the_sections(seed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    case, review = seed
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_pdf(review, case))
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(pdf)).pages)
    # openimr alone drafts: the letter says it is a draft (a reviewer signs in the service)
    for heading in (
        "DRAFT \u2014 NOT A FINAL DETERMINATION",
        "HOW THIS DRAFT WAS PREPARED",
        "CLINICAL CASE SUMMARY",
        "IMR ISSUES, DECISIONS AND RATIONALES",
    ):
        assert heading in text
    assert "Upheld" in text


def test_drug_items_after_2018_carry_their_formulary_status(tmp_path: Path) -> None:
    case_dir = tmp_path / "c"
    case_dir.mkdir()
    (case_dir / "case.yaml").write_text(
        "patient: {age: 40, date_of_injury: 2017-06-01}\n"
        "utilization_review:\n  date: 2019-03-01\n  items:\n"
        "    - request: Norco 10/325mg #60\n    - request: Naproxen 550mg #60\n"
    )
    review = review_case(load_case(case_dir))
    norco, naproxen = review.items
    assert norco.formulary is not None and norco.formulary.prospective_review is True
    assert naproxen.formulary is not None and naproxen.formulary.status == "exempt"
    # before the formulary existed there is no status
    (case_dir / "case.yaml").write_text(
        "patient: {age: 40, date_of_injury: 2015-06-01}\n"
        "utilization_review:\n  date: 2016-03-01\n  items:\n    - request: Norco 10/325mg #60\n"
    )
    assert review_case(load_case(case_dir)).items[0].formulary is None

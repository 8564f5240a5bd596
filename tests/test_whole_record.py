"""A "not documented" finding must be true of the whole record.

A long case of many records, where each fact a criterion needs sits somewhere a careless
reader would miss: an early record, a scanned page (OCR), a FHIR Observation. The criteria
come out met; take the early record away and that criterion becomes not_documented, with
every record listed as searched.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from openimr.caseio import load_case
from openimr.pipeline import review_case
from records_support import scanned_pdf

CASE_YAML = """\
case_id: CM99-0000042
patient: {age: 51, sex: male, date_of_injury: 2012-03-04}
utilization_review:
  date: 2013-09-10
  items:
    - request: Lumbar epidural steroid injection at L5-S1 under fluoroscopy
"""

FILLER = """\
PRIMARY TREATING PHYSICIAN'S PROGRESS REPORT (PR-2)
Date of exam: {date}

SUBJECTIVE COMPLAINTS:
Low back pain, {pain}/10, worse with prolonged sitting. Sleep is fair.

OBJECTIVE FINDINGS:
Lumbar paraspinal tenderness. Gait is slow.

DIAGNOSES:
1. Lumbar sprain.

TREATMENT PLAN:
Continue home exercises. Return in four weeks.
"""


def fhir_bundle() -> dict[str, object]:
    note = "Patient has failed conservative care with physical therapy and NSAIDs."
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": "obs-course",
                    "status": "final",
                    "code": {"text": "Clinical course"},
                    "effectiveDateTime": "2013-08-01",
                    "valueString": note,
                }
            },
            {
                "resource": {
                    "resourceType": "DocumentReference",
                    "id": "doc-1",
                    "status": "current",
                    "content": [
                        {
                            "attachment": {
                                "contentType": "text/plain",
                                "data": base64.b64encode(
                                    b"Nursing note: patient ambulating."
                                ).decode(),
                            }
                        }
                    ],
                }
            },
        ],
    }


@pytest.fixture()
def long_case(tmp_path: Path) -> Path:
    if shutil.which("tesseract") is None or shutil.which("pdftoppm") is None:
        pytest.skip("OCR tools (tesseract, pdftoppm) are not installed")
    case = tmp_path / "case"
    rec = case / "records"
    rec.mkdir(parents=True)
    (case / "case.yaml").write_text(CASE_YAML)
    # an early record: the electrodiagnostic study corroborating radiculopathy
    (rec / "2012-05-02-emg.txt").write_text(
        "ELECTRODIAGNOSTIC REPORT\nDate of service: 05/02/2012\n\nIMPRESSION:\n"
        "EMG showed radiculopathy at L5 on the right.\n"
    )
    # many later records that say nothing of it
    for month in range(1, 13):
        date = f"2013-{month:02d}-15" if month <= 8 else f"2012-{month:02d}-15"
        (rec / f"{date}-pr2.txt").write_text(FILLER.format(date=date, pain=4 + month % 4))
    # a scanned page: the examination finding exists only as an image
    scanned_pdf(
        ["PHYSICAL EXAMINATION 08/20/2013\n\nStraight leg raising is positive on the right."],
        rec / "2013-08-20-exam-scan.pdf",
    )
    # a FHIR bundle: failed conservative care only in an Observation
    (rec / "2013-08-01-bundle.json").write_text(json.dumps(fhir_bundle()))
    return case


def _criteria(case_dir: Path) -> dict[str, object]:
    case = load_case(case_dir)
    item = review_case(case).items[0]
    assert item.treatment == "epidural-steroid-injection"
    return {c.id.rsplit(".", 1)[-1]: c for c in item.criteria}


def test_facts_anywhere_in_the_file_meet_the_criteria(long_case: Path) -> None:
    crit = _criteria(long_case)
    exam = crit["radiculopathy-on-exam"]
    assert exam.status.value == "met"  # type: ignore[attr-defined]
    assert any(e.record.endswith("exam-scan.pdf") and e.page == 1 for e in exam.evidence)  # type: ignore[attr-defined]
    corroborated = crit["radiculopathy-corroborated"]
    assert corroborated.status.value == "met"  # type: ignore[attr-defined]
    assert any(e.record.endswith("2012-05-02-emg.txt") for e in corroborated.evidence)  # type: ignore[attr-defined]
    conservative = crit["failed-conservative-care"]
    assert conservative.status.value == "met"  # type: ignore[attr-defined]
    fhir = [e for e in conservative.evidence if e.record.endswith("bundle.json")]  # type: ignore[attr-defined]
    assert fhir and "failed conservative care" in fhir[0].quote


def test_without_the_early_record_the_finding_is_not_documented_and_says_what_was_searched(
    long_case: Path,
) -> None:
    (long_case / "records" / "2012-05-02-emg.txt").unlink()
    crit = _criteria(long_case)
    corroborated = crit["radiculopathy-corroborated"]
    assert corroborated.status.value == "not_documented"  # type: ignore[attr-defined]
    searched = set(corroborated.searched)  # type: ignore[attr-defined]
    assert len(searched) == 14
    assert "records/2013-08-20-exam-scan.pdf" in searched

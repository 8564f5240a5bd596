"""FHIR as it really comes: whole patient bundles of every resource type, bulk-export NDJSON,
resources that fail strict validation, base64 wrapped over lines. Nothing is refused that
can be read; what is skipped is said in the record's notes; the clinical resources become
text the extractor reads (diagnoses, history, medications, results)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openimr.errors import RecordError
from openimr.extract.extractor import default_extractor
from openimr.model import Fact, Record
from openimr.records import read_record
from records_support import DATA

SYNTHEA = Path(__file__).resolve().parents[1] / ".." / "shared" / "foreign-records" / "fhir-synthea"
BUNDLES = sorted(SYNTHEA.glob("*.json"))
FHIR = DATA.parent / "fhir"
REAL = FHIR / "2021-fhir-real-bundle.json"
NDJSON = FHIR / "2021-bulk-export.ndjson"


def _read(path: Path) -> Record:
    return read_record(path, f"records/{path.name}")


def _facts(record: Record) -> list[Fact]:
    return default_extractor().extract(record)


def _cited(record: Record, fact: Fact) -> str:
    return record.cite(fact.spans[0].start)


# --- Synthea: whole patient bundles -----------------------------------------------------------


@pytest.mark.skipif(not BUNDLES, reason="../shared/foreign-records/fhir-synthea not found")
@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.name[:20])
def test_synthea_bundle_is_read_and_what_is_skipped_is_noted(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    types = {e["resource"]["resourceType"] for e in data["entry"]}
    record = _read(path)
    rendered = {s.resource.split("/")[0] for s in record.segments if s.element is None}
    assert {"Condition", "Observation", "Encounter", "MedicationRequest"} <= rendered
    skipped = next(n for n in record.notes if n.startswith("skipped"))
    for rtype in types & {"ExplanationOfBenefit", "Immunization", "CarePlan", "Goal"}:
        assert rtype in skipped
    assert "Patient" not in skipped and "Patient/" not in record.text
    # every resource block and value maps back to its place
    for seg in record.segments[:200]:
        assert 0 <= seg.start <= seg.end <= len(record.text)
    facts = _facts(record)
    for f in facts:
        span = f.spans[0]
        assert record.text[span.start : span.end] == span.quote


@pytest.mark.skipif(not BUNDLES, reason="../shared/foreign-records/fhir-synthea not found")
def test_synthea_conditions_and_medications_become_facts() -> None:
    record = _read(BUNDLES[0])
    facts = _facts(record)
    dx = [f for f in facts if f.name == "diagnosis"]
    assert dx and all(_cited(record, f).endswith(" code") for f in dx)
    assert all("SNOMED" not in str(f.value) for f in dx)  # codes are on a line of their own
    meds = [f for f in facts if f.name == "medication"]
    assert meds
    for f in meds:
        span = f.spans[0]
        where = record.cite(span.start + span.quote.index(str(f.value)))
        assert where.split()[-1] in ("medicationCodeableConcept", "medicationReference")
        # Synthea's NSAIDs were stopped: history, not current use
        assert f.context.historical
    # a stopped medication's status is not read as a medication stopped for side effects
    assert not [f for f in facts if f.name == "medication_reduced_or_not_tolerated"]


def test_cli_reads_synthea_bundles_without_error() -> None:
    if not BUNDLES:
        pytest.skip("../shared/foreign-records/fhir-synthea not found")
    outputs = {}
    for command in (["records", "inspect"], ["extract"]):
        result = subprocess.run(
            [sys.executable, "-m", "openimr", *command, *map(str, BUNDLES)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        outputs[command[-1]] = result.stdout
    assert outputs["inspect"].count("note:            skipped") == len(BUNDLES)
    assert "diagnosis = " in outputs["extract"]


# --- a hand-made bundle with one resource of each kind -----------------------------------------


@pytest.fixture(scope="module")
def real() -> Record:
    return _read(REAL)


@pytest.fixture(scope="module")
def real_facts(real: Record) -> list[Fact]:
    return _facts(real)


@pytest.mark.parametrize(
    ("phrase", "citation"),
    [
        ("Whiplash injury to neck", "Condition/cond-whiplash code"),
        ("SNOMED CT 39848009", "Condition/cond-whiplash code.coding"),
        ("Sprain of ankle", "Condition/cond-sprain code"),
        ("2016-06-12T10:00:00-07:00", "Condition/cond-sprain abatementDateTime"),
        (
            "Ibuprofen 800 MG Oral Tablet",
            "MedicationRequest/mr-ibuprofen medicationCodeableConcept",
        ),
        ("Naproxen sodium 550 MG", "MedicationRequest/mr-naproxen medicationReference"),
        ("twice a day as needed", "MedicationRequest/mr-naproxen dosageInstruction[0]"),
        ("Cyclobenzaprine hydrochloride", "MedicationRequest/mr-cyclo medicationReference"),
        ("Depression screening", "Procedure/proc-phq code"),
        ("6 /10", "Observation/obs-pain valueQuantity"),
        ("Penicillin V", "AllergyIntolerance/allergy-pcn code"),
        ("Hives", "AllergyIntolerance/allergy-pcn reaction[0].manifestation"),
        ("2021-03-02T09:00:00-08:00 to", "Encounter/enc-1 period"),
        ("Straightening of the cervical", "DiagnosticReport/dr-xray presentedForm[0].data"),
        ("Spurling test positive", "DocumentReference/doc-note content[0].attachment.data"),
    ],
)
def test_each_kind_maps_back_to_its_resource_and_element(
    real: Record, phrase: str, citation: str
) -> None:
    start = real.text.index(phrase)
    assert real.cite(start) == f"records/{REAL.name} {citation}"


def test_labels_read_as_a_clinical_note(real: Record) -> None:
    assert "\n  Diagnosis: Whiplash injury to neck\n" in real.text
    assert "\n  History: Sprain of ankle\n" in real.text  # resolved, abated
    assert "\n  Medication: Ibuprofen 800 MG Oral Tablet\n" in real.text
    assert "\n  History: Naproxen sodium 550 MG Oral Tablet\n" in real.text  # stopped
    assert "\n  Procedure: Depression screening (procedure)\n" in real.text
    assert "Reported [LOINC 72514-3]: 6 /10\n" in real.text  # a 0-10 score, out of 10


def test_base64_wrapped_over_lines_or_spaced_is_decoded_verbatim(real: Record) -> None:
    data = json.loads(REAL.read_text(encoding="utf-8"))
    by_id = {e["resource"]["id"]: e["resource"] for e in data["entry"] if "resource" in e}
    wrapped = by_id["dr-xray"]["presentedForm"][0]["data"]
    spaced = by_id["doc-note"]["content"][0]["attachment"]["data"]
    assert "\r\n" in wrapped and " " in spaced
    for rid, element, raw in (
        ("DiagnosticReport/dr-xray", "presentedForm[0].data", wrapped),
        ("DocumentReference/doc-note", "content[0].attachment.data", spaced),
    ):
        seg = next(s for s in real.segments if s.resource == rid and s.element == element)
        expected = base64.b64decode("".join(raw.split())).decode("utf-8")
        assert real.text[seg.start : seg.end] == expected


def test_what_is_not_read_is_noted_never_refused(real: Record) -> None:
    notes = "\n".join(real.notes)
    skipped = next(n for n in real.notes if n.startswith("skipped"))
    for rtype in (
        "CarePlan",
        "Composition",
        "ExplanationOfBenefit",
        "FutureResource",
        "Goal",
        "ImagingStudy",
        "Immunization",
        "Specimen",
    ):
        assert f"1 {rtype}" in skipped
    # context resources are neither rendered nor noted
    for rtype in ("Patient", "Practitioner", "Claim", "Provenance", "Device", "Medication"):
        assert rtype not in skipped
    assert "entry[5] (Condition/cond-refuted): not read: verificationStatus is refuted" in notes
    assert "Fracture of cervical vertebra" not in real.text
    assert "(Procedure/proc-not-done): not read: status is not-done" in notes
    assert "entry[30]: no resource" in notes
    # a resource whose shape no reader expects is skipped whole, with its reason
    assert "(AllergyIntolerance/allergy-odd): not read: its content cannot be read" in notes
    assert "allergy-odd" not in real.text and "Latex" not in real.text
    # an attachment that is not base64 is named in the text and in the notes
    assert "content[0].attachment.data is not valid base64" in notes
    assert "[text/plain: data is not valid base64; not read]" in real.text
    # notes never carry record text
    assert "Whiplash" not in notes and "Spurling" not in notes


def test_a_resource_failing_strict_validation_is_read_as_given(real: Record) -> None:
    note = next(n for n in real.notes if "obs-invalid" in n)
    assert "not valid FHIR R4 (valueQuantity.value" in note and note.endswith("read as given")
    start = real.text.index("Grip strength right: weak")
    assert real.cite(start).endswith("Observation/obs-invalid code")


def test_facts_from_conditions_medications_and_results(real_facts: list[Fact]) -> None:
    def values(name: str) -> dict[str, Fact]:
        return {str(f.value).lower(): f for f in real_facts if f.name == name}

    dx = values("diagnosis")
    assert "whiplash injury to neck" in dx and not dx["whiplash injury to neck"].context.historical
    # a resolved condition is history: not a current diagnosis
    assert not any("sprain" in v for v in dx)
    meds = values("medication")
    assert not meds["ibuprofen"].context.historical
    assert meds["naproxen"].context.historical  # stopped
    assert "cyclobenzaprine" in meds  # named by a Medication elsewhere in the bundle
    assert any(f.name == "medication_dose" and f.value == "800 MG" for f in real_facts)
    # the pain rating of an Observation, read with its value
    pain = [f for f in real_facts if f.name == "pain_score"]
    assert any(f.spans[0].quote.startswith("Result: Pain severity") for f in pain)
    assert {f.value for f in pain} == {6.0}


def test_a_screening_procedure_is_not_the_condition_screened_for(
    real: Record, real_facts: list[Fact]
) -> None:
    start = real.text.index("Procedure: Depression screening")
    end = real.text.index("\n", start)
    inside = [f for f in real_facts if start <= f.spans[0].start < end]
    assert not [f for f in inside if f.name in ("depression", "psychological_condition")]
    assert not [f for f in inside if f.name == "diagnosis"]


def test_resource_ids_give_no_facts(real: Record, real_facts: list[Fact]) -> None:
    # "MedicationRequest/mr-ibuprofen" names a resource; the drug is read from its code
    headers = [
        m.start() for m in re.finditer(r"^[A-Z][A-Za-z]+/\S+$", real.text, flags=re.MULTILINE)
    ]
    assert headers
    assert not [f for f in real_facts if f.spans[0].start in headers]


# --- NDJSON (bulk export) ---------------------------------------------------------------------


def test_ndjson_reads_one_resource_per_line_and_notes_bad_lines() -> None:
    record = _read(NDJSON)
    assert record.kind == "fhir"
    assert "Diagnosis: Whiplash injury to neck" in record.text
    assert "History: Sprain of ankle" in record.text
    assert "1 line is not a JSON FHIR resource; not read (line 4)" in record.notes
    assert any("1 Immunization" in n for n in record.notes)
    start = record.text.index("Spurling test positive")
    assert record.cite(start) == (
        f"records/{NDJSON.name} DocumentReference/doc-note content[0].attachment.data"
    )
    facts = _facts(record)
    assert any(f.name == "diagnosis" and f.value == "Whiplash injury to neck" for f in facts)


def test_ndjson_resource_without_id_is_named_by_its_line(tmp_path: Path) -> None:
    lines = [
        {"resourceType": "Condition", "code": {"text": "Lumbar strain"}},
        {"resourceType": "Immunization", "status": "completed"},
    ]
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    record = _read(path)
    assert record.text.startswith("Condition/#line1\n  Diagnosis: Lumbar strain\n")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not json at all\n{also not\n", "no FHIR resource"),
        (b'{"resourceType": "Patient", "id": "p"}\n', "no clinical resources"),
        ("\udcff".encode("utf-8", "surrogateescape"), "not UTF-8"),
    ],
)
def test_ndjson_with_nothing_to_read_is_a_clear_error(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "export.ndjson"
    path.write_bytes(content)
    with pytest.raises(RecordError) as info:
        _read(path)
    assert str(info.value).startswith("records/export.ndjson")
    assert expected in str(info.value)


def test_nested_bundle_and_missing_padding(tmp_path: Path) -> None:
    note = base64.b64encode(b"Lumbar strain, improving.").decode().rstrip("=")
    inner: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "resource": {
                    "resourceType": "DocumentReference",
                    "id": "d",
                    "status": "current",
                    "content": [{"attachment": {"contentType": "text/plain", "data": note}}],
                }
            }
        ],
    }
    outer = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": inner}]}
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(outer), encoding="utf-8")
    record = _read(path)
    assert "Lumbar strain, improving." in record.text


def test_notes_reach_the_case_warnings(tmp_path: Path) -> None:
    from openimr.caseio import load_case

    case = tmp_path / "case"
    (case / "records").mkdir(parents=True)
    (case / "records" / REAL.name).write_bytes(REAL.read_bytes())
    (case / "case.yaml").write_text(
        "case_id: CM00-0000001\npatient: {age: 40, sex: male, date_of_injury: 2021-02-20}\n"
        "utilization_review:\n  date: 2021-04-01\n  items: [Physical therapy 6 visits]\n",
        encoding="utf-8",
    )
    loaded = load_case(case)
    assert any(
        w.startswith(f"records/{REAL.name}: skipped (resource types") for w in loaded.warnings
    )

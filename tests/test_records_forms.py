"""Every form a record comes in: offsets index Record.text exactly; bad input is refused."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from openimr.errors import RecordError
from openimr.records import read_record
from openimr.records.ocr import Ocr
from records_support import DATA, HAVE_OCR, NO_OCR_REASON, merge_pdfs, scanned_pdf, text_pdf


def _read(path: Path) -> Any:
    return read_record(path, f"records/{path.name}")


# --- text and Markdown ------------------------------------------------------------------------


def test_text_offsets_are_code_points_of_the_file_text(tmp_path: Path) -> None:
    text = "Señora Ruiz — seguimiento.\r\nPain is 6/10 today.\r\n"
    path = tmp_path / "note.txt"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    record = _read(path)
    assert record.text == text  # CRLF kept, byte-order mark dropped
    start = record.text.index("Pain is 6/10")
    assert start == len("Señora Ruiz — seguimiento.\r\n")  # code points, not bytes
    assert start != len("Señora Ruiz — seguimiento.\r\n".encode())
    assert record.text[start : start + len("Pain is 6/10")] == "Pain is 6/10"
    assert record.page_of(start) == 1


def test_markdown_record_keeps_its_markup() -> None:
    record = _read(DATA / "2013-06-02-mri-lumbar.md")
    raw = (DATA / "2013-06-02-mri-lumbar.md").read_text(encoding="utf-8")
    assert record.kind == "markdown"
    assert record.text == raw
    phrase = "contacting the traversing left S1"
    start = record.text.index(phrase)
    assert raw[start : start + len(phrase)] == phrase


def test_record_type_and_date_are_set_at_read_time() -> None:
    record = _read(DATA / "2013-08-19-pr2.txt")
    assert record.record_type == "progress_report"
    assert str(record.date_of_service) == "2013-08-19"


# --- PDF with a text layer --------------------------------------------------------------------

PAGE_1 = "PROGRESS REPORT (PR-2)\nDate of exam: 08/19/2013\n\nSUBJECTIVE:\nLow back pain 6/10."
PAGE_2 = "OBJECTIVE:\nStraight leg raise positive on the left at 40 degrees."
PAGE_3 = "TREATMENT PLAN:\nRequest a left L5-S1 transforaminal epidural steroid injection."


def test_text_pdf_offsets_and_page_numbers(tmp_path: Path) -> None:
    path = text_pdf([PAGE_1, PAGE_2, PAGE_3], tmp_path / "report.pdf")
    record = _read(path)
    assert record.kind == "pdf"
    assert [p.number for p in record.pages] == [1, 2, 3]
    assert not any(p.ocr for p in record.pages)
    for page in record.pages[:-1]:
        assert record.text[page.end] == "\f"  # pages are joined by one form feed
    assert record.pages[-1].end == len(record.text)
    for phrase, page in (
        ("Low back pain 6/10.", 1),
        ("Straight leg raise positive on the left", 2),
        ("epidural steroid injection", 3),
    ):
        start = record.text.index(phrase)
        assert record.text[start : start + len(phrase)] == phrase
        assert record.page_of(start) == page
        assert record.cite(start) == f"records/report.pdf p. {page}"
    assert record.record_type == "progress_report"
    assert str(record.date_of_service) == "2013-08-19"


def test_text_pdf_never_goes_through_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> str:
        raise AssertionError("a text PDF was sent to OCR")

    monkeypatch.setattr(Ocr, "page_text", refuse)
    record = _read(text_pdf([PAGE_1, PAGE_2], tmp_path / "text.pdf"))
    assert "Straight leg raise" in record.text


def test_scanned_page_without_ocr_programs_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = scanned_pdf(["PHYSICAL THERAPY NOTE\nPain 5/10."], tmp_path / "scan.pdf")
    monkeypatch.setattr("openimr.records.ocr.shutil.which", lambda _name: None)
    monkeypatch.delenv("OPENIMR_TESSERACT", raising=False)
    monkeypatch.delenv("OPENIMR_PDFTOPPM", raising=False)
    with pytest.raises(RecordError) as info:
        _read(path)
    message = str(info.value)
    assert message.startswith("records/scan.pdf: ")
    assert "page(s) 1 have no text layer" in message
    assert "tesseract-ocr" in message


# --- scanned PDF through OCR ------------------------------------------------------------------

SCANNED = (
    "PHYSICAL THERAPY DAILY NOTE\n"
    "Date of service: 07/24/2013\n"
    "\n"
    "SUBJECTIVE:\n"
    "The patient reports less leg pain after the home exercises.\n"
    "Pain is 5/10 today.\n"
    "\n"
    "PLAN:\n"
    "Continue physical therapy twice a week."
)


@pytest.mark.skipif(not HAVE_OCR, reason=NO_OCR_REASON)
def test_scanned_pdf_is_ocred_page_by_page(tmp_path: Path) -> None:
    path = scanned_pdf([SCANNED], tmp_path / "scan.pdf")
    record = _read(path)
    assert [p.ocr for p in record.pages] == [True]
    sentence = "The patient reports less leg pain after the home exercises."
    start = record.text.index(sentence)
    assert record.text[start : start + len(sentence)] == sentence
    assert record.page_of(start) == 1
    assert record.record_type == "therapy_note"
    assert str(record.date_of_service) == "2013-07-24"


@pytest.mark.skipif(not HAVE_OCR, reason=NO_OCR_REASON)
def test_mixed_pdf_ocrs_only_the_scanned_page(tmp_path: Path) -> None:
    text_part = text_pdf([PAGE_1, PAGE_2], tmp_path / "a.pdf")
    scan_part = scanned_pdf([SCANNED], tmp_path / "b.pdf")
    record = _read(merge_pdfs([text_part, scan_part], tmp_path / "mixed.pdf"))
    assert [p.ocr for p in record.pages] == [False, False, True]
    start = record.text.index("Continue physical therapy twice a week.")
    assert record.page_of(start) == 3
    assert record.page_of(record.text.index("Straight leg raise")) == 2


# --- FHIR R4 JSON ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle() -> Any:
    return _read(DATA / "2013-fhir-bundle.json")


@pytest.mark.parametrize(
    ("phrase", "citation"),
    [
        ("Lumbar radiculopathy, left S1", "Condition/cond-radic code"),
        ("4 /10", "Observation/obs-pain valueQuantity"),
        ("45 deg", "Observation/obs-rom component[0].valueQuantity"),
        ("Cyclobenzaprine 7.5 mg tablet", "MedicationStatement/ms-cyclo medicationCodeableConcept"),
        ("Naproxen sodium 550 MG Oral Tablet", "MedicationRequest/mr-naproxen medicationReference"),
        ("twice daily with food", "MedicationRequest/mr-naproxen dosageInstruction[0].text"),
        ("Left L5-S1 transforaminal", "Procedure/proc-esi code"),
        ("2013-09-23", "Procedure/proc-esi performedDateTime"),
        ("6 visits", "ServiceRequest/sr-pt quantityQuantity"),
        ("Mild degenerative disc disease at L5-S1.", "DiagnosticReport/dr-xray conclusion"),
        ("Normal alignment.", "DiagnosticReport/dr-xray presentedForm[0].data"),
        ("with 60% relief of", "DocumentReference/doc-pr2 content[0].attachment.data"),
        ("sitting tolerance 60 minutes", "DocumentReference/doc-pt content[0].attachment.data"),
    ],
)
def test_fhir_phrase_maps_back_to_its_resource_and_element(
    bundle: Any, phrase: str, citation: str
) -> None:
    start = bundle.text.index(phrase)
    assert bundle.text[start : start + len(phrase)] == phrase
    segment = bundle.segment_at(start)
    assert segment is not None
    assert segment.citation == citation
    assert segment.start <= start and start + len(phrase) <= segment.end
    assert bundle.cite(start) == f"records/2013-fhir-bundle.json {citation}"


def test_fhir_attachment_text_is_verbatim(bundle: Any) -> None:
    data = json.loads((DATA / "2013-fhir-bundle.json").read_text(encoding="utf-8"))
    doc = next(e["resource"] for e in data["entry"] if e["resource"].get("id") == "doc-pr2")
    note = base64.b64decode(doc["content"][0]["attachment"]["data"]).decode("utf-8")
    seg = next(
        s
        for s in bundle.segments
        if s.resource == "DocumentReference/doc-pr2" and s.element == "content[0].attachment.data"
    )
    assert bundle.text[seg.start : seg.end] == note


def test_fhir_context_resources_are_not_rendered_and_dates_come_from_resources(
    bundle: Any,
) -> None:
    assert "Patient/" not in bundle.text
    assert "1975-01-01" not in bundle.text
    blocks = {s.resource: s.date for s in bundle.segments if s.element is None}
    assert str(blocks["Observation/obs-pain"]) == "2013-10-14"
    assert str(blocks["Condition/cond-radic"]) == "2013-08-19"  # recordedDate, not onset
    assert str(blocks["DocumentReference/doc-pr2"]) == "2013-10-14"
    assert str(bundle.date_of_service) == "2013-10-14"  # the latest resource date


def test_fhir_rendering_is_deterministic(bundle: Any) -> None:
    again = _read(DATA / "2013-fhir-bundle.json")
    assert again.text == bundle.text
    assert again.segments == bundle.segments


def test_fhir_single_resource_and_pdf_attachment(tmp_path: Path) -> None:
    pdf = text_pdf([PAGE_1, PAGE_2], tmp_path / "att.pdf")
    doc = {
        "resourceType": "DocumentReference",
        "id": "d1",
        "status": "current",
        "date": "2013-08-19T10:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "data": base64.b64encode(pdf.read_bytes()).decode(),
                }
            }
        ],
    }
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    record = _read(path)
    start = record.text.index("Straight leg raise positive")
    assert record.segment_at(start).citation == "DocumentReference/d1 content[0].attachment.data"  # type: ignore[union-attr]
    assert record.record_type == "progress_report"


def test_fhir_non_text_attachment_is_named_not_hidden(tmp_path: Path) -> None:
    doc = {
        "resourceType": "DocumentReference",
        "id": "img",
        "status": "current",
        "content": [{"attachment": {"contentType": "image/jpeg", "data": "AAAA"}}],
    }
    path = tmp_path / "img.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    record = _read(path)
    assert "image/jpeg: 3 bytes not read" in record.text


# --- bad inputs -------------------------------------------------------------------------------


def _bundle(*resources: dict[str, Any]) -> str:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        }
    )


OBS = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"text": "Pain"},
    "valueQuantity": {"value": 3},
}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("corrupt.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF", "not a readable PDF"),
        ("empty.pdf", b"", "not a readable PDF"),
        ("latin1.txt", "Señora, pain 6/10".encode("latin-1"), "not UTF-8 text"),
        ("broken.json", b'{"resourceType": "Bundle",', "not valid JSON"),
        ("plain.json", b'{"patient": "x", "pain": 6}', "not a FHIR resource"),
        ("list.json", b"[1, 2, 3]", "not a FHIR resource"),
        (
            "no-clinical.json",
            _bundle({"resourceType": "Patient", "id": "p"}).encode(),
            "no clinical resources",
        ),
        ("report.docx", b"PK\x03\x04", "unsupported record type '.docx'"),
    ],
)
def test_bad_input_is_a_record_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RecordError) as info:
        _read(path)
    message = str(info.value)
    assert re.match(rf"records/{re.escape(name)}(:\d+)?: ", message), message
    assert info.value.file == f"records/{name}"
    assert expected in message


def test_truncated_pdf_is_a_record_error(tmp_path: Path) -> None:
    whole = text_pdf([PAGE_1, PAGE_2], tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: len(whole) // 3])
    try:
        record = _read(path)
    except RecordError as exc:
        assert str(exc).startswith("records/cut.pdf: ")
    else:  # pypdf may recover the pages it can still read: their text must be right
        assert "PROGRESS REPORT" in record.text

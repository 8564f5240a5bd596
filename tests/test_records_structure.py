"""Record types, dates of service and sections."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import shutil
from pathlib import Path

import pytest

from openimr.model import Record, RecordPage
from openimr.records import read_record
from openimr.records.record_types import section_rules
from openimr.records.structure import (
    analyze,
    classify,
    date_at,
    date_from_file_name,
    find_date_of_service,
    make_span,
    parse_date,
    record_type_label,
    section_at,
    section_info,
)
from records_support import DATA


def _text_record(text: str, path: str = "records/note.txt") -> Record:
    return Record(
        path=path, kind="text", text=text, pages=(RecordPage(number=1, start=0, end=len(text)),)
    )


# --- record types -----------------------------------------------------------------------------

SAMPLES = [
    ("2013-08-19-pr2.txt", "progress_report", "2013-08-19"),
    ("2013-03-12-consult-pain.txt", "consultation", "2013-03-12"),
    ("2013-06-02-mri-lumbar.md", "imaging_report", "2013-06-02"),
    ("2013-07-10-emg-ncs.txt", "electrodiagnostic_report", "2013-07-10"),
    ("2013-07-24-pt-daily-note.txt", "therapy_note", "2013-07-24"),
    ("2012-11-05-operative-report.txt", "operative_report", "2012-11-05"),
    ("2013-08-27-ur-letter.txt", "ur_letter", "2013-08-27"),
    ("2013-08-21-rfa.txt", "rfa", "2013-08-21"),
    ("2013-09-30-qme-report.txt", "qme_ame_report", "2013-09-30"),
    ("2013-05-01-lab-uds.txt", "lab", "2013-05-01"),
    ("2013-08-20-pharmacy.txt", "pharmacy", "2013-08-20"),
    ("progress-notes-two-visits.txt", "progress_report", "2013-04-15"),
]


@pytest.mark.parametrize(("name", "record_type", "date"), SAMPLES)
def test_type_and_date_come_from_the_text_not_the_file_name(
    tmp_path: Path, name: str, record_type: str, date: str
) -> None:
    neutral = tmp_path / ("document" + Path(name).suffix)
    shutil.copy(DATA / name, neutral)
    record = read_record(neutral, f"records/{neutral.name}")
    assert record.record_type == record_type
    assert str(record.date_of_service) == date
    structure = analyze(record)
    assert structure.record_type == record_type
    assert structure.date_source in ("service", "procedure", "report", "header")


def test_every_record_type_has_a_label() -> None:
    assert record_type_label("progress_report") == "Progress report (PR-2)"
    assert record_type_label("other") == "Other"


def test_file_name_decides_when_the_text_has_no_title() -> None:
    text = "Patient tolerated the session well. Continue exercises.\n"
    assert classify(text, "records/2013-07-01-pt-note.txt") == "therapy_note"
    assert classify(text, "records/2013-06-01-mri-knee.pdf") == "imaging_report"
    assert classify(text, "records/scan0001.pdf") == "other"


def test_ur_letter_wins_over_the_request_it_names() -> None:
    text = (
        "Re: Request for Authorization dated 08/21/2013\n"
        "NOTICE OF UTILIZATION REVIEW DETERMINATION\n"
    )
    assert classify(text) == "ur_letter"


def test_a_narrative_that_mentions_reports_is_not_one() -> None:
    text = (
        "The applicant is a 45-year-old who has filed a claim for low back pain. In a "
        "utilization review report dated 09/02/2013, the claims administrator denied a request "
        "for authorization for an MRI of the lumbar spine. A progress report of 08/19/2013 "
        "noted ongoing pain.\n"
    )
    assert classify(text, "records/clinical-case-summary.txt") == "other"
    assert classify("Re: Request for Authorization dated 08/21/2013\nPain.\n") == "other"


def test_body_cues_decide_last() -> None:
    text = "Lumbar spine, 3 views.\n\nTECHNIQUE: AP and lateral views.\nIMPRESSION: Normal.\n"
    assert classify(text) == "imaging_report"


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("08/19/2013", "2013-08-19"),
        ("8/9/13", "2013-08-09"),
        ("8-19-2013", "2013-08-19"),
        ("2013-08-19", "2013-08-19"),
        ("August 19, 2013", "2013-08-19"),
        ("Aug. 19 2013", "2013-08-19"),
        ("19 August 2013", "2013-08-19"),
        ("Sept 3, 2013", "2013-09-03"),
        ("7/4/99", "1999-07-04"),
    ],
)
def test_parse_date(written: str, expected: str) -> None:
    assert str(parse_date(written)) == expected


@pytest.mark.parametrize("written", ["02/30/2013", "13/01/2013", "Smarch 3, 2013", "2013"])
def test_impossible_dates_are_not_dates(written: str) -> None:
    assert parse_date(written) is None


def test_service_label_beats_report_label_and_injury_date_is_never_used() -> None:
    text = (
        "Date: 09/02/2013\nDate of injury: 02/14/2012\nInjury date: 02/14/2012\n"
        "Date of service: 08/19/2013\n"
    )
    assert find_date_of_service(text) == (dt.date(2013, 8, 19), "service")
    only_injury = "Date of injury: 02/14/2012\nInjury date: 02/14/2012\nPain 6/10.\n"
    assert find_date_of_service(only_injury) == (None, None)


def test_date_falls_back_to_file_name_then_to_a_date_line_at_the_top() -> None:
    body = "Pain 6/10.\n"
    assert find_date_of_service(body, "records/2013-08-19-pr2.txt") == (
        dt.date(2013, 8, 19),
        "file_name",
    )
    assert date_from_file_name("pr2_08.19.2013.pdf") == dt.date(2013, 8, 19)
    assert date_from_file_name("scan-20130819.pdf") == dt.date(2013, 8, 19)
    letter = "Western Review Services\n\nAugust 27, 2013\n\nDear Dr. Ruiz:\n"
    assert find_date_of_service(letter, "records/letter.txt") == (dt.date(2013, 8, 27), "header")


def test_a_file_of_several_visits_dates_each_mention_by_its_visit() -> None:
    record = read_record(
        DATA / "progress-notes-two-visits.txt", "records/progress-notes-two-visits.txt"
    )
    structure = analyze(record)
    first = record.text.index("Low back pain 8/10")
    second = record.text.index("Low back pain 7/10")
    assert date_at(structure, first) == dt.date(2013, 4, 15)
    assert date_at(structure, second) == dt.date(2013, 5, 20)
    assert date_at(structure, 0) == dt.date(2013, 4, 15)  # before any mark: the record's date


# --- sections ---------------------------------------------------------------------------------


def test_progress_report_sections_in_order() -> None:
    record = read_record(DATA / "2013-08-19-pr2.txt", "records/2013-08-19-pr2.txt")
    structure = analyze(record)
    assert [s.name for s in structure.sections] == [
        "subjective",
        "medications",
        "objective",
        "imaging",
        "diagnoses",
        "treatment_plan",
        "work_status",
        "functional_status",
    ]
    for section in structure.sections:
        assert record.text[section.start : section.body_start] == section.title
    for phrase, name in (
        ("Straight leg raise positive on the left", "objective"),
        ("Modified duty, no lifting over 20 pounds", "work_status"),
        ("Request authorization for a left L5-S1", "treatment_plan"),
        ("left paracentral disc protrusion at L5-S1", "imaging"),
        ("Naproxen 550 mg", "medications"),
    ):
        assert section_at(structure, record.text.index(phrase)) == name
    assert section_at(structure, record.text.index("Sunrise Occupational")) is None


@pytest.mark.parametrize(("name", "_type", "_date"), SAMPLES)
def test_sections_are_ordered_and_never_overlap(name: str, _type: str, _date: str) -> None:
    record = read_record(DATA / name, f"records/{name}")
    sections = analyze(record).sections
    assert sections, name
    for a, b in itertools.pairwise(sections):
        assert a.start < a.body_start <= a.end <= b.start
    assert sections[-1].end == len(record.text)


def test_heading_rules() -> None:
    text = (
        "Intro line.\n"
        "   IMPRESSION\n"  # indented, alone on its line
        "Impression of the thing is that it is fine.\n"  # a sentence, not a heading
        "DIAGNOSES: none\n"  # 's:' (subjective) is a whole word only
        "**Plan:** rest\n"
        "## Work Status\n"
        "Notes\n"  # a colon-only title without its colon
        "Notes: appended.\n"
        "PHYSICAL EXAMINATION OF THE LUMBAR SPINE:\r\n"  # an ALL-CAPS heading line
        "Physical examination of the spine was normal: no spasm.\n"  # not a heading
    )
    structure = analyze(_text_record(text))
    found = [(s.name, s.title) for s in structure.sections]
    assert found == [
        ("impression", "IMPRESSION"),
        ("diagnoses", "DIAGNOSES:"),
        ("treatment_plan", "**Plan:**"),
        ("work_status", "## Work Status"),
        ("discussion", "Notes:"),
        ("objective", "PHYSICAL EXAMINATION OF THE LUMBAR SPINE:"),
    ]
    soap = analyze(_text_record("Note\nS: pain 5/10\nS\nO\nO: SLR positive\n"))
    assert [(s.name, s.title) for s in soap.sections] == [("subjective", "S:"), ("objective", "O:")]


def test_reading_only_the_lines_that_may_hold_a_heading_finds_what_every_line_does() -> None:
    """The sectionizer tokenizes only the lines that may hold a heading: the same headings as
    reading every line, on the test and gold records and on lines made of the titles."""
    import random

    from openimr.records.structure import _sectionizer

    root = Path(__file__).resolve().parent
    texts = [p.read_text() for p in sorted([*DATA.glob("*.txt"), *root.glob("gold/records/*")])]
    titles = [spec.title for spec in section_rules().rules]
    rnd = random.Random(7)
    decorations = ["", "  ", "\t", "# ", "**", "* ", "- ", "(", " \t*"]
    endings = [":", "", " :", ":**", "**:", " - ", ".", ": text", " of the lumbar spine:", "\t:"]
    words = ["pain", "the", "a", "s", "p", "o", "history", "İstanbul", "cannot", "5mg", "p&s"]
    breaks = ["\n", "\r\n", "\r", "\f", "\n\n", " ", "\u2028", "\v"]
    for _ in range(300):
        lines = []
        for _ in range(rnd.randint(1, 20)):
            if rnd.random() < 0.5:
                title = rnd.choice(titles)
                title = rnd.choice([title, title.upper(), title.title(), title.replace(" ", "  ")])
                lines.append(rnd.choice(decorations) + title + rnd.choice(endings))
            else:
                lines.append(" ".join(rnd.choice(words + titles) for _ in range(rnd.randint(0, 8))))
            lines.append(rnd.choice(breaks))
        texts.append("".join(lines))
    lines_only, every_line = _sectionizer(), _sectionizer(every_line=True)
    assert sum(len(lines_only(t)) for t in texts) > 500
    for text in texts:
        assert lines_only(text) == every_line(text)


def test_section_rules_data() -> None:
    rules = section_rules()
    for required in (
        "subjective",
        "history",
        "chief_complaint",
        "objective",
        "diagnoses",
        "treatment_plan",
        "work_status",
        "impression",
        "findings",
        "medications",
        "imaging",
        "functional_status",
    ):
        assert required in rules.sections
    assert section_info("past_history").historical
    assert section_info("family_history").family
    assert not section_info("objective").historical


def test_fhir_resources_are_sections_and_documents_are_sectionized() -> None:
    record = read_record(DATA / "2013-fhir-bundle.json", "records/bundle.json")
    structure = analyze(record)
    assert structure.date_source == "fhir"
    for phrase, name in (
        ("Lumbar radiculopathy, left S1", "diagnoses"),
        ("4 /10", "objective"),
        ("Cyclobenzaprine 7.5 mg tablet", "medications"),
        ("Left L5-S1 transforaminal", "procedure"),
        ("6 visits", "treatment_plan"),
        ("Straight leg raise negative bilaterally", "objective"),  # inside the PR-2 text
        ("Home exercise program. Return to full duty", "treatment_plan"),
        ("Mild degenerative disc disease at L5-S1. No fracture.", "impression"),
    ):
        assert section_at(structure, record.text.index(phrase)) == name, phrase
    # the document's own header lines are no section
    assert section_at(structure, record.text.index("Progress note [LOINC")) is None
    # dates follow the resource
    assert date_at(structure, record.text.index("45 deg")) == dt.date(2013, 8, 19)
    assert date_at(structure, record.text.index("4 /10")) == dt.date(2013, 10, 14)


def test_make_span_fills_quote_page_and_section() -> None:
    record = read_record(DATA / "2013-08-19-pr2.txt", "records/2013-08-19-pr2.txt")
    structure = analyze(record)
    phrase = "Straight leg raise positive on the left"
    start = record.text.index(phrase)
    span = make_span(record, start, start + len(phrase), structure)
    assert span.quote == phrase
    assert span.page == 1
    assert span.section == "objective"
    with pytest.raises(ValueError):
        make_span(record, 10, len(record.text) + 1)


def test_sectionizing_logs_no_record_text(caplog: pytest.LogCaptureFixture) -> None:
    from loguru import logger

    secret = "Zyxwvut Secretname reports pain"
    captured: list[str] = []
    sink = logger.add(lambda message: captured.append(str(message)), level="TRACE")
    try:
        with caplog.at_level(logging.DEBUG):
            analyze(_text_record(f"SUBJECTIVE:\n{secret}.\nPLAN:\nRest.\n"))
    finally:
        logger.remove(sink)
    assert not any("Secretname" in m for m in captured)
    assert "Secretname" not in caplog.text

"""The letter parser against the real corpus: every item, decision and guideline of the 60
DWC letters (checked against dwc-cases/*/case.yaml and expected.yaml) and the seed letter."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from openimr.published import parse_letter, parse_text
from openimr.published.parser import patient_facts, split_request

SHARED = Path(os.environ.get("OPENIMR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
LETTERS = SHARED / "corpus" / "dwc-letters"
CASES = SHARED / "corpus" / "dwc-cases"
SEED_LETTER = SHARED / "seed" / "imr-final-determination-letter.txt"
SEED_CASE = SHARED / "examples" / "seed-case"

pytestmark = pytest.mark.skipif(not LETTERS.is_dir(), reason="shared corpus not found")


def corpus_names() -> list[str]:
    return sorted(p.stem for p in LETTERS.glob("*.txt")) if LETTERS.is_dir() else []


def norm(text: Any) -> str:
    """Whitespace-normalized; a line break after a hyphen or slash counts as whitespace."""
    return re.sub(r"(?<=[-/]) ", "", " ".join(str(text).split()))


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_corpus_has_its_sixty_letters() -> None:
    assert len(corpus_names()) == 60


@pytest.mark.parametrize("name", corpus_names())
def test_corpus_letter_parses_item_by_item(name: str) -> None:
    letter = parse_letter(LETTERS / f"{name}.txt")
    case = load(CASES / name / "case.yaml")
    expected = load(CASES / name / "expected.yaml")
    case_items = case["utilization_review"]["items"]
    assert len(letter.items) == len(expected["items"]) == len(case_items)
    for item, asked, real in zip(letter.items, case_items, expected["items"], strict=True):
        want = norm(real["request"])
        got = norm(item.request)
        if item.modified:
            # dwc-cases kept only the last lines of a long modified-request heading
            assert got.endswith(want), (got, want)
            assert item.disputed and norm(item.disputed) in got
        else:
            assert got == want
        assert item.decision == real["decision"]
        assert item.medically_necessary is real["medically_necessary"]
        assert norm(item.claims_administrator_guideline.text) == norm(asked.get("guideline"))
        assert norm(item.reviewer_guideline.text) == norm(real["guideline"])
        assert item.rationale.strip().endswith((".", ")", '"'))
    assert letter.layout == "2016-2017"
    assert letter.case_number == case["case_id"]
    assert letter.dates.injury == case["patient"]["date_of_injury"]
    assert letter.dates.ur_denial == case["utilization_review"]["date"]
    assert letter.dates.decision == expected["decision_date"]
    assert letter.patient.age == case["patient"].get("age")
    assert letter.reviewer.licensure and letter.reviewer.specialty
    summary = (CASES / name / "records" / "clinical-case-summary.txt").read_text()
    assert norm(letter.clinical_case_summary) == norm(summary)


def test_corpus_totals_match_the_readme() -> None:
    items = [i for n in corpus_names() for i in parse_letter(LETTERS / f"{n}.txt").items]
    assert len(items) == 122
    assert sum(i.decision == "overturned" for i in items) == 18


def test_header_reviewer_and_a_split_guideline() -> None:
    letter = parse_letter(LETTERS / "CM16-0219557.txt")
    assert letter.priority == "Standard"
    assert str(letter.dates.assigned) == "2016-11-18"
    assert str(letter.dates.application_received) == "2016-11-14"
    assert letter.reviewer.licensure == ("Texas", "New York", "California")
    assert letter.reviewer.specialty == ("Preventive Medicine", "Occupational Medicine")
    assert (letter.patient.age, letter.patient.sex) == (34, "male")
    rev = letter.items[0].reviewer_guideline
    assert rev.based_on_mtus
    assert rev.chapter_keys == ("mtus:acoem-low-back", "mtus:chronic-pain", "non-mtus:acoem")
    low_back, cpmtg, acoem = rev.citations
    assert (low_back.chapter, low_back.year, low_back.sections) == (
        "Low Back Complaints",
        2004,
        ("Summary",),
    )
    assert (cpmtg.guideline, cpmtg.year, cpmtg.sections) == (
        "Chronic Pain Medical Treatment Guidelines",
        2016,
        ("Facet blocks",),
    )
    assert (acoem.source, acoem.edition, acoem.pages) == ("non-MTUS", "3rd ed.", ("607",))


def test_a_credential_wrapped_onto_the_next_line() -> None:
    letter = parse_letter(LETTERS / "CM17-0012517.txt")
    assert letter.reviewer.specialty[-1] == "Public Health & General Preventive Medicine"


def test_modified_request_is_split_into_original_authorized_and_disputed() -> None:
    letter = parse_letter(LETTERS / "CM17-0020728.txt")
    item = letter.items[0]
    assert item.modified
    assert item.original_request == (
        "Physical therapy to the lumbar spine 2 times a week for 3 weeks (6)"
    )
    assert item.authorized == "Physical therapy to the lumbar spine 2 times a week for 1 week (2)"
    assert item.disputed == "Physical therapy to the lumbar spine 2 times a week for 2 weeks (4)"


def test_modified_request_where_the_whole_original_stays_eligible() -> None:
    heading = (
        "Acupuncture treatments (unspecified quantity) was the original request. The Claims "
        "Administrator authorized Acupuncture treatments, 6 sessions, leaving the original "
        "request IMR eligible. The original request, Acupuncture treatments (unspecified "
        "quantity) is"
    )
    original, authorized, disputed = split_request(heading)
    assert original == "Acupuncture treatments (unspecified quantity)"
    assert authorized == "Acupuncture treatments, 6 sessions"
    assert disputed == "Acupuncture treatments (unspecified quantity)"
    assert split_request("MRI of the lumbar spine") == (None, None, None)


def test_decision_on_a_line_of_its_own_after_is_colon() -> None:
    letter = parse_letter(LETTERS / "CM16-0249536.txt")
    last = letter.items[-1]
    assert last.decision == "upheld"
    assert last.disputed == "Acupuncture treatments (unspecified quantity)"


def test_seed_letter_older_layout() -> None:
    letter = parse_letter(SEED_LETTER)
    case = load(SEED_CASE / "case.yaml")
    expected = load(SEED_CASE / "expected.yaml")
    assert letter.layout == "older"
    assert letter.case_number is None and letter.dates.decision is None
    assert letter.reviewer.licensure == ("California",)
    assert letter.reviewer.specialty == ("Anesthesiology", "Pain Management")
    assert (letter.patient.age, letter.patient.sex) == (48, "female")
    assert letter.clinical_case_summary.startswith("According to the records made available")
    assert letter.clinical_case_summary.endswith("repeat epidural steroid injection.")
    asked = case["utilization_review"]["items"]
    assert [i.request.lower() for i in letter.items] == [a["request"].lower() for a in asked]
    assert [i.decision for i in letter.items] == [e["decision"] for e in expected["items"]]
    first, second = letter.items
    assert first.claims_administrator_guideline.text.startswith(
        "The Claims Administrator did not base their decision on the MTUS."
    )
    assert not first.reviewer_guideline.based_on_mtus
    assert first.reviewer_guideline.chapter_keys == ("non-mtus:acoem", "non-mtus:odg")
    assert first.reviewer_guideline.citations[0].pages == ("127", "300")
    assert second.claims_administrator_guideline.text == (
        "Decision based on MTUS Chronic Pain Treatment Guidelines Section on physical medicine."
    )
    mtus = second.reviewer_guideline.citations[0]
    assert (mtus.key, mtus.sections, mtus.pages) == (
        "mtus:chronic-pain",
        ("physical medicine",),
        ("98",),
    )
    assert second.rationale.startswith("MTUS Chronic Pain Medical Treatment Guidelines support")
    # a page break inside the rationale is not a paragraph break
    assert "should be formally assessed" in second.rationale


def test_patient_facts_from_the_summary() -> None:
    assert patient_facts("This is a 78 year old male with a date of injury").age == 78
    facts = patient_facts("The injured worker is a female who sustained an injury")
    assert (facts.age, facts.sex) == (None, "female")
    assert patient_facts("No demographics here.").sex == "unknown"


def _paged(text: str) -> list[str]:
    return text.split("\f")


@pytest.mark.parametrize("first_page_too", [True, False])
def test_running_headers_and_page_numbers_are_dropped(first_page_too: bool) -> None:
    text = (LETTERS / "CM17-0010420.txt").read_text()
    pages = [p for p in _paged(text) if p.strip()]
    assert len(pages) >= 3
    decorated = "\f".join(
        ("MAXIMUS Federal Services   CM17-0010420\n" if first_page_too or n > 1 else "")
        + f"{page.rstrip()}\n\nPage {n} of {len(pages)}\n"
        for n, page in enumerate(pages, start=1)
    )
    plain = parse_text(text)
    headed = parse_text(decorated)
    assert headed.model_dump(exclude={"items"}) == plain.model_dump(exclude={"items"})
    for a, b in zip(plain.items, headed.items, strict=True):
        assert a.model_dump(exclude={"line"}) == b.model_dump(exclude={"line"})


def test_double_spaced_text_reads_like_single_spaced() -> None:
    text = (LETTERS / "CM16-0232543.txt").read_text()
    assert text.count("\f") >= 2
    spaced = "\n".join(
        (line + " \n" if not line.strip() else line + "\n") for line in text.split("\n")
    )
    a, b = parse_text(text), parse_text(spaced)
    assert [(i.request, i.decision, i.rationale) for i in a.items] == [
        (i.request, i.decision, i.rationale) for i in b.items
    ]
    assert a.clinical_case_summary == b.clinical_case_summary

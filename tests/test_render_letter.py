"""The Final Determination Letter as text, HTML and PDF.

The text letter of a fixed review is a golden file, reviewed in the diff when it changes.
Re-record it on purpose with ``OPENIMR_UPDATE_GOLDEN=1 pytest tests/test_render_letter.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from openimr.errors import OpenIMRError
from openimr.model import (
    Case,
    CaseReview,
    CriterionResult,
    Evidence,
    GuidelineRef,
    ItemDetermination,
    Record,
    RecordPage,
    Status,
)
from openimr.render import LetterOptions, ReviewerCredentials
from openimr.render.letter import (
    TEXT_WIDTH,
    build_view,
    render_letter,
    render_pdf,
    write_letter,
)
from openimr.render.wording import NO_CA_EVIDENCE, NOT_DECIDED, NOT_MTUS

GOLDEN = Path(__file__).resolve().parent / "golden"

PR2 = (
    "PRIMARY TREATING PHYSICIAN'S PROGRESS REPORT (PR-2)\n"
    "Subjective: low back pain shooting down the right leg <worse> at night & morning.\n"
    "Objective: straight leg raising positive bilaterally.\n"
    "Plan: physical therapy 12 visits for the lumbar spine.\n"
)
PT_PAGE1 = "PHYSICAL THERAPY DAILY NOTE\nVisit 6 of 6. Patient reports no change in function.\n"
PT_PAGE2 = "Home exercise program reviewed.\n"
PT_TEXT = PT_PAGE1 + "\f" + PT_PAGE2
CA_PT = "Decision based on MTUS Chronic Pain Medical Treatment 2016."

SECTIONS = (
    "HOW THE IMR FINAL DETERMINATION WAS MADE",
    "DOCUMENTS REVIEWED",
    "CLINICAL CASE SUMMARY",
    "IMR ISSUES, DECISIONS AND RATIONALES",
    "BINDING EFFECT AND APPEAL RIGHTS",
)


def _span(record: str, text: str, needle: str, fact: str, page: int | None = 1) -> Evidence:
    start = text.index(needle)
    return Evidence(
        record=record, start=start, end=start + len(needle), quote=needle, page=page, fact=fact
    )


def make_case(**changes: object) -> Case:
    data: dict[str, object] = {
        "case_id": "CM16-0000042",
        "review_type": "regular",
        "application": {"received": "2016-11-14", "signed": True},
        "patient": {"age": 48, "sex": "female", "date_of_injury": "2000-06-29"},
        "utilization_review": {
            "date": "2016-11-09",
            "items": [
                {
                    "request": "Physical therapy 12 visits for the lumbar",
                    "guideline": CA_PT,
                },
                {"request": "Lumbar MRI"},
                {"request": "Acupuncture 6 sessions & cupping"},
            ],
        },
        "records": [
            Record(
                path="records/2016-10-28-pr2.txt",
                kind="text",
                text=PR2,
                pages=(RecordPage(number=1, start=0, end=len(PR2)),),
                record_type="Progress report (PR-2)",
                date_of_service=dt.date(2016, 10, 28),
                sha256="ab" * 32,
            ),
            Record(
                path="records/pt-notes.pdf",
                kind="pdf",
                text=PT_TEXT,
                pages=(
                    RecordPage(number=1, start=0, end=len(PT_PAGE1)),
                    RecordPage(number=2, start=len(PT_PAGE1) + 1, end=len(PT_TEXT)),
                ),
                sha256="cd" * 32,
            ),
        ],
        "source": "/cases/CM16-0000042",
    }
    data.update(changes)
    return Case.model_validate(data)


def make_review(**changes: object) -> CaseReview:
    pt = ItemDetermination(
        request="Physical therapy 12 visits for the lumbar",
        treatment="physical-therapy",
        decision="upheld",
        medically_necessary=False,
        claims_administrator_guideline=CA_PT,
        guidelines=(
            GuidelineRef(
                source="MTUS",
                citation="MTUS Chronic Pain Medical Treatment Guidelines 2016, Physical Medicine",
                mtus=True,
                pages="98-99",
            ),
            GuidelineRef(
                source="ODG",
                citation="Official Disability Guidelines (ODG) Low Back Chapter, Physical therapy",
            ),
        ),
        criteria=(
            CriterionResult(
                id="physical-therapy.mtus-2016.visit-limit",
                text="Visits requested are within the guideline's course of 10 visits",
                status=Status.NOT_MET,
                evidence=(
                    _span(
                        "records/2016-10-28-pr2.txt",
                        PR2,
                        "physical therapy 12 visits for the lumbar spine",
                        "requested_visits",
                    ),
                ),
                finding="12 visits are asked against a limit of 10.",
            ),
            CriterionResult(
                id="physical-therapy.mtus-2016.functional-improvement",
                text="Objective functional improvement with previous therapy is documented",
                status=Status.NOT_MET,
                evidence=(
                    # page unknown in the evidence: taken from the record's pages
                    _span(
                        "records/pt-notes.pdf",
                        PT_TEXT,
                        "Patient reports no change in function.",
                        "functional_improvement",
                        page=None,
                    ),
                    _span(
                        "records/pt-notes.pdf",
                        PT_TEXT,
                        "Patient reports no change in function.",
                        "functional_improvement",
                        page=None,
                    ),
                ),
            ),
            CriterionResult(
                id="physical-therapy.mtus-2016.exceptional-factors",
                text="Exceptional factors are stated for visits beyond the guideline",
                status=Status.NOT_DOCUMENTED,
                searched=("records/2016-10-28-pr2.txt", "records/pt-notes.pdf"),
            ),
        ),
        rationale=(
            "MTUS Chronic Pain Medical Treatment Guidelines support about 10 visits over 8 "
            "weeks. Within the medical information available for review, there is "
            "documentation of 6 previous visits with no change in function.\n\nTherefore, "
            "based on guidelines and a review of the evidence, the request for physical "
            "therapy 12 visits for the lumbar is not medically necessary."
        ),
    )
    mri = ItemDetermination(
        request="Lumbar MRI",
        treatment="mri-lumbar-spine",
        decision="overturned",
        medically_necessary=True,
        guidelines=(
            GuidelineRef(
                source="ODG",
                citation=(
                    "Official Disability Guidelines (ODG) Low Back Chapter, "
                    "MRIs (magnetic resonance imaging)"
                ),
            ),
        ),
        criteria=(
            CriterionResult(
                id="mri-lumbar-spine.odg.radiculopathy",
                text="Objective radiculopathy on examination",
                status=Status.MET,
                evidence=(
                    _span(
                        "records/2016-10-28-pr2.txt",
                        PR2,
                        "straight leg raising positive bilaterally",
                        "objective_radiculopathy",
                    ),
                ),
            ),
        ),
        rationale=(
            "ODG supports MRI for radiculopathy. Therefore the request is medically necessary."
        ),
    )
    acu = ItemDetermination(
        request="Acupuncture 6 sessions & cupping",
        treatment=None,
        decision=None,
        medically_necessary=None,
        needs_review=True,
        reason="no criteria set in the library applies to 'cupping'",
    )
    data: dict[str, object] = {
        "case_id": "CM16-0000042",
        "summary": (
            "According to the records made available for review, this is a 48-year-old "
            "female with a 6/29/00 date of injury. Pain is <worse> at night & in the morning."
        ),
        "items": (pt, mri, acu),
        "summary_evidence": (
            _span("records/2016-10-28-pr2.txt", PR2, "low back pain shooting", "pain"),
        ),
        "library_version": "2024.1",
        "engine_version": "0.1.0",
    }
    data.update(changes)
    return CaseReview.model_validate(data)


OPTIONS = LetterOptions(
    organization="Example IMR Organization",
    reviewer=ReviewerCredentials(
        licensure=("California", "Texas"), certifications=("Physical Medicine & Rehabilitation",)
    ),
    date_assigned=dt.date(2016, 11, 18),
    decision_date=dt.date(2016, 12, 19),
    final=True,  # a signed determination: the draft tests pass final=False
)


# ------------------------------------------------------------------------------ text


def test_text_letter_matches_golden_file() -> None:
    text = render_letter(make_review(), make_case(), "text", OPTIONS)
    golden = GOLDEN / "letter_fixture.txt"
    if os.environ.get("OPENIMR_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text(), (
        "letter changed; if intended: OPENIMR_UPDATE_GOLDEN=1 pytest tests/test_render_letter.py"
    )


def test_text_sections_in_order_and_lines_wrapped() -> None:
    text = render_letter(make_review(), make_case(), "text", OPTIONS)
    positions = [text.index(h) for h in SECTIONS]
    assert positions == sorted(positions)
    assert max(len(line) for line in text.splitlines()) <= TEXT_WIDTH
    assert "EVIDENCE" not in text.replace("the evidence", "")
    # the summary's lead sentence, as in the published letters
    assert "clinical case summary based on a review of the case file, including all medical" in (
        " ".join(text.split())
    )


def test_header_block_from_case_and_options() -> None:
    text = render_letter(make_review(), make_case(), "text", OPTIONS)
    lines = text.splitlines()
    assert any(re.match(r"Case Number:\s+CM16-0000042$", line) for line in lines)
    assert any(
        re.match(r"Date Assigned:\s+11/18/2016\s+Date of Injury:\s+06/29/2000$", line)
        for line in lines
    )
    assert any(
        re.search(r"Decision Date:\s+12/19/2016\s+UR Denial Date:\s+11/09/2016", line)
        for line in lines
    )
    assert any(
        re.search(r"Priority:\s+Standard\s+Application Received:\s+11/14/2016", line)
        for line in lines
    )


def test_case_number_from_the_review_when_the_case_has_none() -> None:
    text = render_letter(make_review(), make_case(case_id=None), "text")
    assert re.search(r"^Case Number:\s+CM16-0000042$", text, re.MULTILINE)


def test_expedited_priority_and_dates_left_out_when_not_given() -> None:
    case = make_case(review_type="expedited", application={})
    text = render_letter(make_review(), case, "text")
    assert re.search(r"Priority:\s+Expedited", text)
    for absent in ("Date Assigned", "Decision Date", "Application Received"):
        assert absent not in text
    assert "UR Denial Date:       11/09/2016" in text


def test_items_decisions_and_guideline_lines() -> None:
    text = " ".join(render_letter(make_review(), make_case(), "text", OPTIONS).split())
    assert "PHYSICAL THERAPY 12 VISITS FOR THE LUMBAR: Upheld" in text
    assert "LUMBAR MRI: Overturned" in text
    assert (
        "Example IMR Organization guideline: Decision based on MTUS Chronic Pain Medical "
        "Treatment Guidelines 2016, Physical Medicine, Page(s): 98-99. Decision based on "
        "Non-MTUS Citation Official Disability Guidelines (ODG) Low Back Chapter, Physical "
        "therapy." in text
    )
    mri = text[text.index("LUMBAR MRI: Overturned") :]
    assert f"Claims Administrator guideline: {NO_CA_EVIDENCE}" in mri
    assert f"Example IMR Organization guideline: {NOT_MTUS}" in mri
    assert "Decision rationale: ODG supports MRI for radiculopathy." in mri
    # overturned: the authorization duty is stated in the closing
    assert "within 5 working days" in text


def test_needs_review_item_is_not_decided_and_says_why() -> None:
    text = " ".join(render_letter(make_review(), make_case(), "text", OPTIONS).split())
    assert f"ACUPUNCTURE 6 SESSIONS & CUPPING: {NOT_DECIDED}" in text
    assert "Reason: no criteria set in the library applies to 'cupping'" in text
    # the claims administrator's line is still there, the organization's is not
    acu = text[text.index("ACUPUNCTURE 6 SESSIONS") : text.index("BINDING EFFECT")]
    assert f"Claims Administrator guideline: {NO_CA_EVIDENCE}" in acu
    assert "Example IMR Organization guideline" not in acu
    assert "Upheld" not in acu and "Overturned" not in acu
    assert "referred to an expert reviewer" in text[text.index("BINDING EFFECT") :]


def test_no_undecided_item_no_referral_sentence() -> None:
    review = make_review()
    review = review.model_copy(update={"items": review.items[:1]})
    text = render_letter(review, make_case(), "text")
    assert "Not decided" not in text
    assert "within 5 working days" not in text  # nothing overturned


def test_every_document_is_listed_individually() -> None:
    text = " ".join(render_letter(make_review(), make_case(), "text", OPTIONS).split())
    docs = text[text.index("DOCUMENTS REVIEWED") : text.index("CLINICAL CASE SUMMARY")]
    # titles, dates and types; a file's bare name only when its type is unknown
    assert "1. Progress report (PR-2), dated 10/28/2016 1 page; cited below" in docs
    assert "2. pt-notes.pdf 2 pages; cited below" in docs
    # never a directory path or a hash prefix (defect 7 of issue 13)
    assert "records/" not in docs and "SHA-256" not in docs and "abababab" not in docs


def test_uncited_record_is_listed_but_not_marked() -> None:
    review = make_review()
    review = review.model_copy(update={"items": review.items[1:], "summary_evidence": ()})
    view = build_view(review, make_case())
    assert [d.relied_on for d in view.documents] == [True, False]
    assert "cited below" not in view.documents[1].details


def test_credentials_paragraph_never_names_the_reviewer() -> None:
    case = make_case(
        extra={
            "reviewer": {
                "name": "Dr. Jane Secret",
                "licensure": ["California"],
                "certifications": "Orthopaedic Surgery, Sports Medicine",
            }
        }
    )
    text = render_letter(make_review(), case, "text")
    assert "Dr. Jane Secret" not in text
    assert "The Expert Reviewer has the following credentials:" in text
    assert "State(s) of Licensure: California" in text
    assert "Certification(s)/Specialty: Orthopaedic Surgery, Sports Medicine" in text
    assert "openimr sent the complete case file to an expert reviewer" in " ".join(text.split())


def test_options_credentials_win_over_the_case() -> None:
    case = make_case(extra={"reviewer": {"licensure": ["Nevada"]}})
    text = render_letter(make_review(), case, "text", OPTIONS)
    assert "State(s) of Licensure: California, Texas" in text
    assert "Nevada" not in text


def test_generic_paragraph_without_credentials() -> None:
    text = " ".join(render_letter(make_review(), make_case(), "text").split())
    assert "The Expert Reviewer has the following credentials" not in text
    assert "openimr reviewed the complete case file" in text
    assert "openimr guideline: Decision based on MTUS" in text


@pytest.mark.parametrize(
    ("reviewer", "field"),
    [
        ("California", "reviewer"),
        ({"licensure": [1, 2]}, "reviewer.licensure.0"),
        ({"certifications": {"a": 1}}, "reviewer.certifications"),
    ],
)
def test_malformed_reviewer_in_case_is_a_clear_error(reviewer: object, field: str) -> None:
    case = make_case(extra={"reviewer": reviewer})
    with pytest.raises(OpenIMRError) as info:
        render_letter(make_review(), case, "text")
    assert info.value.field == field
    assert info.value.file == "/cases/CM16-0000042/case.yaml"


def test_missing_optional_fields_still_make_a_letter() -> None:
    case = make_case(case_id=None, application={}, records=[], source=None)
    bare = ItemDetermination(
        request="Physical therapy 12 visits for the lumbar",
        treatment="physical-therapy",
        decision="upheld",
        medically_necessary=False,
    )
    review = CaseReview(case_id=None, summary="", items=(bare,))
    for fmt in ("text", "html"):
        out = render_letter(review, case, fmt).split("</style>", 1)[-1]
        flat = " ".join(out.split())
        assert "Case Number" not in flat
        assert "The case file held no medical records." in flat
        assert "No clinical case summary was written." in flat
        assert f"Claims Administrator guideline: {NO_CA_EVIDENCE}" not in flat  # from case.yaml
        assert "Decision based on MTUS Chronic Pain Medical Treatment 2016." in flat
        assert "Prepared with openimr" not in flat
        assert "openimr guideline" not in flat  # no guideline cited
    assert "EVIDENCE</h2>" not in render_letter(review, case, "html")


def test_positional_signature_and_unknown_format() -> None:
    assert "CLINICAL CASE SUMMARY" in render_letter(make_review(), make_case(), "text")
    assert "CLINICAL CASE SUMMARY" in render_letter(make_review(), make_case())
    with pytest.raises(OpenIMRError, match="unknown letter format"):
        render_letter(make_review(), make_case(), "rtf")


# ------------------------------------------------------------------------------ HTML


def test_html_escapes_record_text_request_and_organization() -> None:
    opts = OPTIONS.model_copy(update={"organization": "A<b>&C"})
    html = render_letter(make_review(), make_case(), "html", opts)
    assert "<worse>" not in html and "&lt;worse&gt;" in html
    assert "A<b>&C" not in html and "A&lt;b&gt;&amp;C guideline:" in html
    assert "ACUPUNCTURE 6 SESSIONS &amp; CUPPING" in html
    assert "Physical Medicine &amp; Rehabilitation" in html


def test_html_sections_and_evidence_appendix_links() -> None:
    html = render_letter(make_review(), make_case(), "html", OPTIONS)
    positions = [html.index(f"<h2>{h}</h2>") for h in (*SECTIONS, "EVIDENCE")]
    assert positions == sorted(positions)
    # every criterion note links to its appendix entry and back
    notes = re.findall(r'<li id="(cr-\d+-\d+)"><a class="note" href="#(ev-\d+-\d+)"', html)
    assert [n[1] for n in notes] == ["ev-1-1", "ev-1-2", "ev-1-3", "ev-2-1"]
    for back, target in notes:
        assert f'id="{target}"' in html
        assert f'href="#{back}"' in html
    appendix = html[html.index("<h2>EVIDENCE</h2>") :]
    # quotes with their document and page; the duplicate span appears once
    assert appendix.count("Patient reports no change in function.") == 1
    assert '<a href="#doc-2">Document 2</a>, page 1' in appendix
    assert "&ldquo;Subjective" not in appendix  # summary evidence is not a criterion's
    assert (
        "Records searched for this criterion: Document 1 (Progress report (PR-2)), "
        "Document 2 (record)" in appendix
    )
    # no internal ids, fact names, paths or character offsets (defect 7 of issue 13)
    for internal in ("physical-therapy.mtus", "records/", "characters ", "<code>", "fact "):
        assert internal not in appendix, internal
    assert "12 visits are asked against a limit of 10." in appendix
    assert "Not met" in appendix and "Not documented" in appendix and ">Met<" in appendix
    assert "ACUPUNCTURE" not in appendix  # undecided item has no criteria


def test_html_without_evidence() -> None:
    opts = OPTIONS.model_copy(update={"include_evidence": False})
    html = render_letter(make_review(), make_case(), "html", opts)
    assert "<h2>EVIDENCE</h2>" not in html
    assert "criteria-notes" not in html.split("</style>", 1)[1]
    assert "<h2>BINDING EFFECT AND APPEAL RIGHTS</h2>" in html


def test_html_is_self_contained_with_print_css() -> None:
    html = render_letter(make_review(), make_case(), "html", OPTIONS)
    head = html.split("</head>", 1)[0]
    assert "size: Letter" in head and "counter(pages)" in head
    assert "<link" not in head and "src=" not in html


# ------------------------------------------------------------------------------ templates


def test_templates_dir_option_replaces_one_template(tmp_path: Path) -> None:
    (tmp_path / "letter.txt.j2").write_text(
        "Custom {{ letter.case_id }} {{ letter.items | length }}\n"
    )
    opts = LetterOptions(templates_dir=tmp_path)
    assert render_letter(make_review(), make_case(), "text", opts) == "Custom CM16-0000042 3\n"
    # the HTML template was not replaced: the built-in one is used
    assert "<h2>CLINICAL CASE SUMMARY</h2>" in render_letter(
        make_review(), make_case(), "html", opts
    )


def test_openimr_templates_env_var_and_option_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_dir = tmp_path / "env"
    opt_dir = tmp_path / "opt"
    env_dir.mkdir()
    opt_dir.mkdir()
    (env_dir / "letter.txt.j2").write_text("from env\n")
    (env_dir / "letter.css").write_text("body { color: #123456; }")
    monkeypatch.setenv("OPENIMR_TEMPLATES", str(env_dir))
    assert render_letter(make_review(), make_case(), "text") == "from env\n"
    assert "#123456" in render_letter(make_review(), make_case(), "html")
    (opt_dir / "letter.txt.j2").write_text("from option\n")
    opts = LetterOptions(templates_dir=opt_dir)
    assert render_letter(make_review(), make_case(), "text", opts) == "from option\n"


def test_bad_templates_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(OpenIMRError, match="templates directory does not exist"):
        render_letter(
            make_review(), make_case(), "text", LetterOptions(templates_dir=tmp_path / "no")
        )
    (tmp_path / "letter.txt.j2").write_text("line one\n{% if %}\n")
    with pytest.raises(OpenIMRError) as info:
        render_letter(make_review(), make_case(), "text", LetterOptions(templates_dir=tmp_path))
    assert info.value.line == 2
    assert str(info.value).startswith(str(tmp_path / "letter.txt.j2") + ":2: template error")
    (tmp_path / "letter.txt.j2").write_text("{{ letter.no_such_field }}\n")
    with pytest.raises(OpenIMRError, match="no_such_field"):
        render_letter(make_review(), make_case(), "text", LetterOptions(templates_dir=tmp_path))


# ------------------------------------------------------------------------------ files and PDF


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return render_pdf(make_review(), make_case(), OPTIONS)


def test_pdf_opens_with_sections_and_sensible_page_count(pdf_bytes: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert 2 <= len(reader.pages) <= 8
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    for heading in (*SECTIONS, "EVIDENCE"):
        assert heading in text
    assert "PHYSICAL THERAPY 12 VISITS FOR THE LUMBAR: Upheld" in text
    assert reader.metadata is not None and reader.metadata.title is not None
    assert "CM16-0000042" in reader.metadata.title


def test_pdf_running_header_has_case_number_and_page_x_of_y(pdf_bytes: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        assert "Case Number: CM16-0000042" in text, f"page {number}"
        assert f"Page {number} of {total}" in text


def test_write_letter_by_extension(tmp_path: Path) -> None:
    for name in ("letter.txt", "letter.html", "letter.pdf"):
        write_letter(make_review(), make_case(), tmp_path / name, OPTIONS)
    assert (tmp_path / "letter.txt").read_text().startswith(" ")
    assert "<!doctype html>" in (tmp_path / "letter.html").read_text()
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letter.html", "letter.pdf", "letter.txt"]


def test_write_letter_errors_leave_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(OpenIMRError, match="unknown letter type"):
        write_letter(make_review(), make_case(), tmp_path / "letter.docx")
    with pytest.raises(OpenIMRError, match="directory does not exist"):
        write_letter(make_review(), make_case(), tmp_path / "missing" / "letter.txt")
    bad = tmp_path / "templates"
    bad.mkdir()
    (bad / "letter.txt.j2").write_text("{% for %}")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OpenIMRError):
        write_letter(
            make_review(), make_case(), out / "letter.txt", LetterOptions(templates_dir=bad)
        )
    assert list(out.iterdir()) == []

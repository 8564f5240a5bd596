"""Issue 13's letter defects: a draft says so everywhere; the PDF's text layer reads as printed;
the reviewer paragraph states years and hours; a not-documented criterion quotes nothing; an
overridden item's rationale keeps the letter's structure."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from openimr.render import LetterOptions, ReviewerCredentials
from openimr.render.letter import build_view, render_letter, render_pdf
from openimr.render.override import (
    conclusion,
    guideline_summary,
    override_rationale,
    reason_from_changes,
)
from test_render_letter import OPTIONS, make_case, make_review

DRAFT = LetterOptions(organization="Example IMR Organization", prepared_on=dt.date(2016, 12, 1))


def _pdf_text(pdf: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_a_letter_nobody_signed_is_a_draft_in_text_and_html() -> None:
    text = " ".join(render_letter(make_review(), make_case(), "text", DRAFT).split())
    assert "DRAFT \u2014 NOT A FINAL DETERMINATION" in text
    assert "no expert reviewer has signed it" in text
    assert "INDEPENDENT MEDICAL REVIEW FINAL DETERMINATION" not in text
    # it never claims an expert reviewer made it, or that it binds anyone
    assert "The expert reviewer developed" not in text
    assert "The Final Determination was based on" not in text
    assert "are binding on all parties" not in text
    assert "The Expert Reviewer did not base their decision" not in text
    assert "Date Prepared: 12/01/2016" in text
    assert "PHYSICAL THERAPY 12 VISITS FOR THE LUMBAR: Upheld (proposed)" in text
    html = render_letter(make_review(), make_case(), "html", DRAFT)
    assert '<body class="draft"' in html and 'class="draft-notice"' in html


def test_the_signed_letter_is_final_and_not_marked_draft() -> None:
    text = render_letter(make_review(), make_case(), "text", OPTIONS)
    assert "INDEPENDENT MEDICAL REVIEW FINAL DETERMINATION" in text
    assert "DRAFT" not in text


def test_every_page_of_a_draft_pdf_says_draft_and_the_text_layer_reads_as_printed() -> None:
    pages = _pdf_text(render_pdf(make_review(), make_case(), DRAFT))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert "DRAFT" in page, f"page {number}"
        # the footer too: never "Final Determination" on a draft's page
        assert "Draft, not a determination" in page, f"page {number}"
        assert "Independent Medical Review Final Determination" not in page
    whole = " ".join(pages)
    # no small caps made by case changes: copy and search see the words as printed
    assert "Not documented" in whole and "documeNted" not in whole
    assert "Example IMR Organization" in whole and "EXAMPLE IMR" not in whole
    final = " ".join(_pdf_text(render_pdf(make_review(), make_case(), OPTIONS)))
    assert "DRAFT" not in final and "Draft" not in final
    assert "Independent Medical Review Final Determination" in final


def test_reviewer_paragraph_states_years_and_weekly_hours_from_the_profile() -> None:
    opts = OPTIONS.model_copy(
        update={
            "reviewer": ReviewerCredentials(
                licensure=("California",),
                certifications=("Anesthesiology", "Pain Medicine"),
                years_in_practice=14,
                weekly_practice_hours=32,
            )
        }
    )
    view = build_view(make_review(), make_case(), opts)
    assert (
        "He/she has been in active clinical practice for more than five years and is "
        "currently working at least 24 hours a week in active practice." in view.process
    )
    few = opts.model_copy(
        update={
            "reviewer": ReviewerCredentials(
                licensure=("California",), years_in_practice=4, weekly_practice_hours=20
            )
        }
    )
    assert (
        "for 4 years and is currently working 20 hours a week"
        in build_view(make_review(), make_case(), few).process
    )


def test_a_not_documented_criterion_quotes_nothing_and_lists_the_search() -> None:
    view = build_view(make_review(), make_case(), OPTIONS)
    crits = [c for item in view.items for c in item.criteria]
    undocumented = [c for c in crits if c.status == "not_documented"]
    assert undocumented
    for c in undocumented:
        assert c.evidence == ()
        assert c.searched
    assert any(c.evidence for c in crits if c.status != "not_documented")


ENGINE = (
    "MTUS supports a short course of physical medicine, about 10 visits. In addition, ODG "
    "allows about 10 visits over 8 weeks. Within the medical information available for "
    "review, there is documentation of functional deficits. However, there is no "
    "documentation of objective improvement. Therefore, based on guidelines and a review of "
    "the evidence, the request for physical therapy 12 visits is not medically necessary."
)


def test_override_rationale_keeps_summary_puts_reason_and_concludes_for_the_reviewer() -> None:
    text = override_rationale(
        "Physical therapy 12 visits",
        ENGINE,
        "overturned",
        "There is documentation of 6 prior visits with gains in sitting tolerance.",
    )
    assert text.startswith("MTUS supports a short course of physical medicine")
    assert (
        "Within the medical information available for review, there is documentation of "
        "6 prior visits" in text
    )
    assert "However, there is no documentation of objective improvement" not in text
    assert text.endswith(
        "Therefore, based on guidelines and a review of the evidence, the request for "
        "physical therapy 12 visits is medically necessary."
    )
    assert text.count("Therefore,") == 1


def test_override_rationale_paragraphs_and_a_reviewers_own_conclusion() -> None:
    text = override_rationale(
        "Physical therapy 12 visits",
        ENGINE,
        "upheld",
        "Twelve visits exceed the guideline.\n\nNo exceptional factors are stated. "
        "Therefore it is denied.",
    )
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("MTUS supports") and "Twelve visits" in paragraphs[0]
    assert paragraphs[1].startswith("No exceptional factors are stated.")
    assert paragraphs[1].endswith("is not medically necessary.")
    assert "it is denied" not in text


def test_guideline_summary_and_conclusion() -> None:
    assert guideline_summary(ENGINE).endswith("about 10 visits over 8 weeks.")
    assert guideline_summary(None) == ""
    assert guideline_summary("Therefore, no.") == ""
    assert guideline_summary("A rationale in no known shape.") == ""
    assert conclusion("MRI of the lumbar spine", "upheld").endswith(
        "the request for MRI of the lumbar spine is not medically necessary."
    )


def test_reason_from_the_criteria_the_reviewer_changed() -> None:
    text = reason_from_changes(
        [
            ("Pain relief of at least 50% is documented", "met"),
            ("A functional response is documented", "met"),
            ("Radiculopathy is documented", "not_documented"),
            ("ignored", "bogus"),
        ]
    )
    assert text == (
        "Contrary to the draft, the expert reviewer finds these criteria met on the records: "
        "pain relief of at least 50% is documented; a functional response is documented. "
        "Contrary to the draft, the expert reviewer finds this criterion not documented on the "
        "records: radiculopathy is documented."
    )

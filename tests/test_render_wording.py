"""The letter's small wording rules, in the published DWC letters' words."""

from __future__ import annotations

import datetime as dt

import pytest

from openimr.model import GuidelineRef, ItemDetermination, Status
from openimr.render.wording import (
    NO_CA_EVIDENCE,
    NOT_DECIDED,
    NOT_MTUS,
    citation_text,
    claims_administrator_wording,
    decision_label,
    finding_words,
    guideline_wording,
    join_phrases,
    request_heading,
    status_label,
    us_date,
)

CPMTG = GuidelineRef(
    source="MTUS",
    citation="MTUS Chronic Pain Medical Treatment Guidelines, Physical Medicine, pages 98-99",
    mtus=True,
)
DEFINITIONS = GuidelineRef(source="MTUS", citation="MTUS Definitions, functional improvement")
ODG = GuidelineRef(
    source="ODG",
    citation="Official Disability Guidelines (ODG) Low Back Chapter, Physical therapy (PT)",
)
ACOEM = GuidelineRef(
    source="ACOEM",
    citation="American College of Occupational and Environmental Medicine (ACOEM), 2nd Edition",
    pages="127",
)


def test_mtus_only() -> None:
    assert guideline_wording([CPMTG]) == (
        "Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Physical Medicine, "
        "pages 98-99."
    )


def test_non_mtus_only_says_the_mtus_was_not_the_basis() -> None:
    text = guideline_wording([ODG])
    assert text == (
        "The Expert Reviewer did not base their decision on the MTUS. Decision based on "
        "Non-MTUS Citation Official Disability Guidelines (ODG) Low Back Chapter, Physical "
        "therapy (PT)."
    )
    assert text is not None and text.startswith(NOT_MTUS)


def test_mtus_and_non_mtus_together_do_not_deny_the_mtus() -> None:
    text = guideline_wording([ODG, CPMTG])
    assert text is not None
    assert NOT_MTUS not in text
    # MTUS first, whatever order the references came in (the evidence order)
    assert text.index("Decision based on MTUS") < text.index("Non-MTUS Citation")


def test_several_mtus_citations_are_joined_as_in_the_letters() -> None:
    text = guideline_wording([CPMTG, DEFINITIONS])
    assert text == (
        "Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Physical Medicine, "
        "pages 98-99, and Definitions, functional improvement."
    )


def test_several_non_mtus_citations_are_separated_by_semicolons() -> None:
    text = guideline_wording([ACOEM, ODG])
    assert text is not None
    assert "2nd Edition, Page(s): 127; Official Disability Guidelines" in text


def test_mtus_flag_counts_whatever_the_source() -> None:
    ref = GuidelineRef(
        source="ACOEM", citation="Low Back Complaints 2004, Section(s): Summary", mtus=True
    )
    assert guideline_wording([ref]) == (
        "Decision based on MTUS Low Back Complaints 2004, Section(s): Summary."
    )


def test_duplicates_are_cited_once_and_no_refs_give_none() -> None:
    text = guideline_wording([ODG, ODG])
    assert text is not None and text.count("Official Disability Guidelines") == 1
    assert guideline_wording([]) is None


def test_citation_pages_added_only_when_missing() -> None:
    assert citation_text(ACOEM).endswith(", Page(s): 127")
    with_pages = GuidelineRef(source="MTUS", citation="MTUS CPMTG, page 98", pages="98")
    assert citation_text(with_pages) == "MTUS CPMTG, page 98"
    assert citation_text(with_pages, strip_mtus=True) == "CPMTG, page 98"


def test_claims_administrator_line() -> None:
    assert claims_administrator_wording(None) == NO_CA_EVIDENCE
    assert claims_administrator_wording("  ") == NO_CA_EVIDENCE
    assert claims_administrator_wording("Decision based on\n MTUS  CPMTG") == (
        "Decision based on MTUS CPMTG."
    )


def test_claims_administrator_citation_is_worded_as_the_letters_word_it() -> None:
    # issue 13, defect 8: not echoed raw
    assert claims_administrator_wording(
        "Non-MTUS: ACOEM, 2nd Edition (2004), Low Back Complaints, page 127"
    ) == (
        "The Claims Administrator did not base their decision on the MTUS. Decision based on "
        "Non-MTUS Citation ACOEM, 2nd Edition (2004), Low Back Complaints, page(s) 127."
    )
    assert claims_administrator_wording("MTUS Chronic Pain Medical Treatment Guidelines") == (
        "Decision based on MTUS Chronic Pain Medical Treatment Guidelines."
    )
    assert claims_administrator_wording("ODG Low Back Chapter") == (
        "Decision based on ODG Low Back Chapter."
    )


def test_findings_are_worded_not_raw_values() -> None:
    # issue 13, defect 5: "prior esi: True" is not for a reader
    assert finding_words("prior esi: True") == ("documented: a previous epidural steroid injection")
    assert finding_words("prior esi: False") == (
        "documented as absent: a previous epidural steroid injection"
    )
    assert finding_words("visit purpose: epidural-steroid-injection") == (
        "visit purpose: epidural steroid injection"
    )
    assert finding_words("guideline max visits: 10 visits") == "guideline max visits: 10 visits"


def _item(**kw: object) -> ItemDetermination:
    base: dict[str, object] = {
        "request": "PT x12",
        "treatment": "physical-therapy",
        "decision": "upheld",
        "medically_necessary": False,
    }
    base.update(kw)
    return ItemDetermination.model_validate(base)


@pytest.mark.parametrize(
    ("kw", "label"),
    [
        ({}, "Upheld"),
        ({"decision": "overturned", "medically_necessary": True}, "Overturned"),
        ({"decision": None, "medically_necessary": None, "needs_review": True}, NOT_DECIDED),
        ({"decision": "upheld", "needs_review": True}, NOT_DECIDED),
        ({"decision": None, "medically_necessary": None}, NOT_DECIDED),
    ],
)
def test_decision_label(kw: dict[str, object], label: str) -> None:
    assert decision_label(_item(**kw)) == label


def test_small_formatters() -> None:
    assert us_date(dt.date(2016, 11, 9)) == "11/09/2016"
    assert us_date(None) == ""
    assert request_heading("Physical therapy\n 12 visits") == "PHYSICAL THERAPY 12 VISITS"
    assert status_label(Status.NOT_DOCUMENTED) == "Not documented"
    assert join_phrases([]) == ""
    assert join_phrases(["a"]) == "a"
    assert join_phrases(["a", "b"]) == "a and b"
    assert join_phrases(["a", "b", "c"]) == "a, b, and c"


def test_a_missing_clause_is_documentation_that_not_documentation_of() -> None:
    from openimr.render.rationale import _no_documentation

    assert _no_documentation(["prior visits", "that the patient is homebound"]) == (
        "documentation of prior visits, and no documentation that the patient is homebound"
    )
    assert _no_documentation(["that the request is maintenance care"]) == (
        "documentation that the request is maintenance care"
    )
    assert _no_documentation(["a", "b"]) == "documentation of a and b"

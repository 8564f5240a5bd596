"""Splitting guideline citations as letters write them."""

from __future__ import annotations

from openimr.published.guidelines import parse_guideline, split_sections


def test_mtus_chapters_with_sections() -> None:
    g = parse_guideline(
        "Decision based on MTUS General Approaches 2004, Section(s): Initial Approaches to "
        "Treatment, and Neck and Upper Back Complaints 2004, Section(s): Summary."
    )
    assert g.based_on_mtus and g.cited
    first, second = g.citations
    assert (first.source, first.guideline, first.chapter, first.year) == (
        "MTUS",
        "ACOEM",
        "General Approaches",
        2004,
    )
    assert first.sections == ("Initial Approaches to Treatment",)
    assert (second.chapter, second.sections, second.key) == (
        "Neck and Upper Back Complaints",
        ("Summary",),
        "mtus:acoem-neck",
    )
    assert g.chapter_keys == ("mtus:acoem-general-approaches", "mtus:acoem-neck")


def test_chapter_name_with_commas_and_and() -> None:
    g = parse_guideline(
        "Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004, Section(s): "
        "Work-Relatedness, and Postsurgical Treatment 2009, Section(s): Knee, Forearm, Wrist, "
        "& Hand."
    )
    hand, post = g.citations
    assert (hand.chapter, hand.key, hand.sections) == (
        "Forearm, Wrist, and Hand Complaints",
        "mtus:acoem-hand",
        ("Work-Relatedness",),
    )
    assert (post.key, post.year, post.sections) == (
        "mtus:postsurgical",
        2009,
        ("Knee", "Forearm, Wrist, & Hand"),
    )


def test_older_section_on_form_with_pages() -> None:
    g = parse_guideline(
        "Decision based on MTUS Chronic Pain Medical Treatment Guidelines Section on physical "
        "medicine Page(s): 98."
    )
    (c,) = g.citations
    assert (c.guideline, c.sections, c.pages, c.key, c.year) == (
        "Chronic Pain Medical Treatment Guidelines",
        ("physical medicine",),
        ("98",),
        "mtus:chronic-pain",
        None,
    )


def test_not_based_on_mtus_with_odg() -> None:
    g = parse_guideline(
        "The Expert Reviewer did not base their decision on the MTUS. Decision based on "
        "Non-MTUS Citation Official Disability Guidelines (ODG) Low Back Chapter, Physical "
        "therapy (PT.)"
    )
    assert not g.based_on_mtus and g.cited
    (c,) = g.citations
    assert (c.source, c.guideline, c.chapter, c.key) == (
        "non-MTUS",
        "ODG",
        "Low Back",
        "non-mtus:odg",
    )
    assert c.sections == ("Physical therapy (PT.)",)


def test_outside_of_mtus_phrase_and_parenthesised_section() -> None:
    g = parse_guideline(
        "The Expert Reviewer based their decision on recommendation(s) outside of the MTUS "
        "Guidelines. Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) "
        "Knee and Leg (Durable medical equipment (DME))."
    )
    assert not g.based_on_mtus
    (c,) = g.citations
    assert (c.chapter, c.sections) == ("Knee & Leg", ("Durable medical equipment (DME)",))


def test_no_evidence_cited() -> None:
    g = parse_guideline(
        "The Claims Administrator did not cite any medical evidence for its decision."
    )
    assert not g.cited and not g.based_on_mtus and g.citations == () and g.chapter_keys == ()


def test_several_non_mtus_guidelines() -> None:
    g = parse_guideline(
        "Decision based on MTUS Low Back Complaints 2004, Section(s): Surgical Considerations. "
        "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Low Back "
        "(Thoracic and Lumbar, Acute and Chronic) Chapter, Epidural Steroid Injection (ESI) "
        "and Other Medical Treatment Guidelines www.mdguidelines.com."
    )
    assert g.chapter_keys == ("mtus:acoem-low-back", "non-mtus:odg", "non-mtus:mdguidelines")
    odg = g.citations[1]
    assert (odg.chapter, odg.sections) == ("Low Back", ("Epidural Steroid Injection (ESI)",))


def test_acoem_edition_year_pages() -> None:
    g = parse_guideline(
        "The Claims Administrator did not base their decision on the MTUS. Decision based on "
        "Non-MTUS Citation American College of Occupational and Environmental Medicine "
        "(ACOEM), 2nd Edition, (2004) Independent Medical Examinations and Consultations; Low "
        "Back Complaints, page(s) 127, 300; Official Disability Guidelines (ODG) Pain Chapter"
    )
    acoem, odg = g.citations
    assert (acoem.guideline, acoem.edition, acoem.year, acoem.pages) == (
        "ACOEM",
        "2nd Edition",
        2004,
        ("127", "300"),
    )
    assert acoem.chapter == "Independent Medical Examinations and Consultations"
    assert (odg.guideline, odg.chapter) == ("ODG", "Pain")


def test_section_lists_keep_compound_names() -> None:
    assert split_sections(
        "NSAIDs (non-steroidal anti-inflammatory drugs), NSAIDs, GI symptoms & cardiovascular "
        "risk, TENS, chronic pain (transcutaneous electrical nerve stimulation), Summary"
    ) == (
        "NSAIDs (non-steroidal anti-inflammatory drugs)",
        "NSAIDs, GI symptoms & cardiovascular risk",
        "TENS, chronic pain (transcutaneous electrical nerve stimulation)",
        "Summary",
    )

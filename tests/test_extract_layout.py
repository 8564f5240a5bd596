"""Records whose line breaks were lost (one run-on paragraph) read like their laid-out form."""

from __future__ import annotations

from openimr.extract import extract_facts
from openimr.extract.layout import relayout
from records_support import text_record as record

LAID_OUT = """HISTORY: The patient is a 52-year-old man with low back pain since a fall at work in 2014.
He has tried physical therapy without lasting relief.
PAST SURGICAL HISTORY: Appendectomy.
MEDICATIONS:
1. Motrin 800 mg three times a day.
2. Flexeril 10 mg at bedtime.
PHYSICAL EXAMINATION: Lumbar flexion is limited to 40 degrees. Sensation is intact in both legs.
ASSESSMENT:
1. Lumbar strain.
2. Lumbar degenerative disc disease.
PLAN: Continue home exercises. Follow up in four weeks.
"""
RUN_ON = " ".join(line for line in LAID_OUT.splitlines())


def test_relayout_puts_back_breaks_before_headings_and_list_numbers_only() -> None:
    view = relayout(RUN_ON)
    assert len(view) == len(RUN_ON)
    changed = [i for i, (a, b) in enumerate(zip(RUN_ON, view, strict=True)) if a != b]
    assert changed and all(RUN_ON[i] == " " and view[i] == "\n" for i in changed)
    lines = view.splitlines()
    assert lines[0].startswith("HISTORY:")
    assert "PAST SURGICAL HISTORY: Appendectomy." in lines
    assert "2. Flexeril 10 mg at bedtime." in lines
    assert any(line.startswith("ASSESSMENT:") for line in lines)
    assert "2. Lumbar degenerative disc disease." in lines
    # "2014." followed by "He" and "40 degrees." are no list numbers or headings
    assert not any(line.startswith(("He has", "Sensation")) for line in lines)


def test_laid_out_text_and_short_text_are_left_alone() -> None:
    assert relayout(LAID_OUT) is LAID_OUT
    short = "DIAGNOSIS: Lumbar strain. PLAN: Home exercises."
    assert relayout(short) is short


def _readable(facts: list) -> set[tuple[str, object]]:  # type: ignore[type-arg]
    return {(f.name, f.value) for f in facts}


def test_a_run_on_record_gives_the_facts_of_its_laid_out_form_quoted_from_its_own_text() -> None:
    flat = record(RUN_ON)
    facts = extract_facts([flat])
    laid = extract_facts([record(LAID_OUT)])
    assert _readable(facts) == _readable(laid)
    for f in facts:
        for s in f.spans:
            assert flat.text[s.start : s.end] == s.quote
    diagnoses = {f.value for f in facts if f.name == "diagnosis"}
    assert "Lumbar strain" in diagnoses
    # the drug list is not read as diagnoses once the headings end their sections
    assert not any("Motrin" in str(d) or "Flexeril" in str(d) for d in diagnoses)


def test_a_heading_after_words_without_a_full_stop_and_numbered_conclusions() -> None:
    text = (
        "EXAM: Noncontrast CT scan of the lumbar spine REASON FOR EXAM: Back pain after a fall"
        " at work two months ago, worse with standing and walking. FINDINGS: The vertebral"
        " bodies are normal in height and alignment, and there is no fracture seen anywhere."
        " CONCLUSIONS: 1. Degenerative disk disease at the L4-5 level. 2. Mild facet"
        " arthrosis of the lower lumbar spine."
    )
    view = relayout(text)
    assert "\nREASON FOR EXAM:" in view
    diagnoses = {f.value for f in extract_facts([record(text)]) if f.name == "diagnosis"}
    assert any("Degenerative disk disease" in str(d) for d in diagnoses)
    assert any("facet" in str(d).lower() for d in diagnoses)


def test_an_operation_list_without_a_colon_ends_the_diagnoses() -> None:
    text = (
        "FINAL DIAGNOSIS:  Disk herniation, C5-C6.\n\nPROCEDURES PERFORMED\n"
        "1.  Anterior cervical discectomy, C5-C6.\n2.  Use of operating microscope.\n"
    )
    diagnoses = {f.value for f in extract_facts([record(text)]) if f.name == "diagnosis"}
    assert any("Disk herniation" in str(d) for d in diagnoses)
    assert not any("microscope" in str(d) or "discectomy" in str(d) for d in diagnoses)


def test_a_title_case_heading_after_a_sentence_starts_its_section() -> None:
    text = (
        "HISTORY: The patient is a 47-year-old woman with right hip pain since lifting a box at "
        "work. She has had physical therapy with some benefit and takes ibuprofen as needed. "
        "Her last flu vaccine was given in 2015. Family Medical History: Father with a stroke "
        "and hypertension. Social History: She does not smoke. She works as a cashier."
    )
    assert len(text) > 300
    lines = relayout(text).splitlines()
    assert any(line.startswith("Family Medical History:") for line in lines)
    assert any(line.startswith("Social History:") for line in lines)
    # the father's stroke and hypertension are the family's, not the patient's
    facts = extract_facts([record(text)])
    assert not [f for f in facts if f.name == "cardiovascular_risk" and f.value is True]


def test_a_list_after_a_heading_without_a_colon_starts_on_its_own_line() -> None:
    text = (
        "PREOPERATIVE DIAGNOSES 1. Herniated nucleus pulposus C2-C3. 2. Spinal stenosis C3-C4. "
        "POSTOPERATIVE DIAGNOSES 1. Herniated nucleus pulposus C2-C3. 2. Spinal stenosis C3-C4. "
        "OPERATIVE PROCEDURES 1. Anterior cervical discectomy, C2-C3. 2. Anterior cervical "
        "fusion, C2-C3. ANESTHESIA: General endotracheal."
    )
    lines = relayout(text).splitlines()
    assert "PREOPERATIVE DIAGNOSES" in lines
    assert "2. Spinal stenosis C3-C4." in lines
    assert "OPERATIVE PROCEDURES" in lines
    diagnoses = [f.value for f in extract_facts([record(text)]) if f.name == "diagnosis"]
    assert "Spinal stenosis C3-C4" in diagnoses


def test_a_list_number_after_a_word_continues_a_list_only() -> None:
    # items without a full stop ("po QD 2. ..."): each starts its own line once a list has
    # started; a "1." after a word starts none
    text = (
        "HISTORY: A 70-year-old man with chronic low back pain and bilateral hip pain for over"
        " a year, worse with stairs and in the morning, treated with acetaminophen and rest."
        " Medications: 1. Prednisone 7.5mg po QD 2. Elavil 30mg po QHS 3. Docusate sodium"
        " 100mg po QD Allergies: None. The level of L4 1. Note is made of nothing here."
    )
    lines = relayout(text).splitlines()
    assert "2. Elavil 30mg po QHS" in lines
    assert any(line.startswith("3. Docusate sodium 100mg po QD") for line in lines)
    assert not any(line.startswith("1. Note") for line in lines)
    freq = {f.value for f in extract_facts([record(text)]) if f.name == "medication_frequency"}
    assert {"QD", "QHS"} <= {str(v).upper() for v in freq}


def test_a_long_heading_in_capitals_ends_the_assessment_before_it() -> None:
    # a heading of more than five words is read as one when written in capitals; the goals
    # after it are no part of the assessment, so the measurable ones are goals
    text = (
        "ASSESSMENT:\nRotator cuff tendinitis, right shoulder.\n"
        "GOALS FOR THE NEXT FOUR WEEKS OF CARE:\n"
        "1. The patient will complete 20 repetitions of shoulder flexion with a 2 lb weight.\n"
        "2. The patient will demonstrate 5/5 grip strength on the right.\n"
    )
    facts = extract_facts([record(text)])
    assert [f.value for f in facts if f.name == "diagnosis"] == [
        "Rotator cuff tendinitis, right shoulder"
    ]
    assert len([f for f in facts if f.name == "functional_goals" and f.value is True]) == 2
    # a sentence of prose that ends with a colon is no heading: the assessment runs on
    prose = (
        "ASSESSMENT:\nShe is seen today for the following concerns in this visit:\nLumbar strain.\n"
    )
    assert "Lumbar strain" in [
        f.value for f in extract_facts([record(prose)]) if f.name == "diagnosis"
    ]


def test_a_therapists_problem_list_after_an_assessment_names_impairments_not_diagnoses() -> None:
    text = (
        "ASSESSMENT: She should do well with skilled therapy for these items on her problem list:"
        "\n1. Poor standing tolerance.\n2. Limited cervical range of motion.\n"
    )
    facts = extract_facts([record(text)])
    assert [f for f in facts if f.name == "diagnosis"] == []
    assert [f.value for f in facts if f.name == "functional_deficits"] == [True, True]

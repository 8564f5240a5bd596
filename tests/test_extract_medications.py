"""Medication facts from record text: the drug class qualifies, negation gives false."""

from __future__ import annotations

import pytest

from openimr.extract import extract_facts
from openimr.model import Fact, Record, RecordPage


def record(text: str) -> Record:
    return Record(
        path="records/note.txt",
        kind="text",
        text=text,
        pages=(RecordPage(number=1, start=0, end=len(text)),),
    )


def found(text: str, name: str) -> list[Fact]:
    return [f for f in extract_facts([record(text)]) if f.name == name]


def values(text: str, name: str) -> dict[str | None, object]:
    return {f.qualifier: f.value for f in found(text, name)}


def test_each_drug_named_in_a_medication_list_is_in_use_under_its_class() -> None:
    got = values("Medications included Norco, Pepcid, and naproxen.", "medication_in_use")
    assert got == {"opioid": True, "h2-blocker": True, "nsaid": True}


def test_a_negated_drug_class_is_not_in_use() -> None:
    assert values("The patient is not taking opioids.", "medication_in_use") == {"opioid": False}


def test_a_statement_about_all_medications_is_unqualified() -> None:
    got = values("He stated that he was not using any medications.", "medication_in_use")
    assert got == {"*": False}


def test_a_drug_in_the_plan_is_planned_not_in_use() -> None:
    text = "The treatment plan included Naproxen 500 mg #60 twice a day."
    assert values(text, "medication_planned") == {"nsaid": True}
    assert found(text, "medication_in_use") == []


def test_a_continued_drug_is_in_use() -> None:
    text = "The attending provider advised the applicant to continue with orphenadrine."
    assert values(text, "medication_in_use") == {"muscle-relaxant": True}


def test_the_gel_is_a_topical_nsaid_not_an_oral_one() -> None:
    assert values("She continues to use Voltaren gel.", "medication_in_use") == {
        "topical-nsaid": True
    }


@pytest.mark.parametrize(
    ("text", "qualifier", "value"),
    [
        ("Norco decreases her pain and allows her to do chores.", "opioid", True),
        ("Gabapentin was not helpful.", "anticonvulsant", False),
    ],
)
def test_benefit_is_attributed_to_the_drug_named(text: str, qualifier: str, value: bool) -> None:
    assert values(text, "medication_efficacy").get(qualifier) is value


def test_numbers_percent_relief_duration_and_morphine_equivalents() -> None:
    assert values("She reports 50% pain relief with gabapentin.", "medication_relief_percent") == {
        "anticonvulsant": 50
    }
    weeks = values("She has taken Flexeril for 3 months.", "medication_duration_weeks")
    assert weeks["muscle-relaxant"] == pytest.approx(13.04, abs=0.1)
    assert [f.value for f in found("His total MED is 90 mg per day.", "mme_per_day")] == [90]
    assert [f.value for f in found("He takes 150 mg MED daily.", "mme_per_day")] == [150]
    assert [f.value for f in found("5/10 pain complaints were noted.", "pain_score")] == [5]
    assert found("The supervisor named 3 witnesses.", "mme_per_day") == []


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ("She denies side effects from the medication.", "side_effects", False),
        ("She has a long history of migraine headaches.", "migraine", True),
        ("The headaches are not migraines.", "migraine", False),
        ("A sleep study confirmed obstructive sleep apnea.", "hypersomnolence_disorder", True),
        ("Labs showed vitamin D deficiency.", "vitamin_deficiency", True),
        ("There is no vitamin D deficiency.", "vitamin_deficiency", False),
        ("She has malabsorption after gastric bypass.", "nutritional_disease", True),
        ("There is no malnutrition.", "nutritional_disease", False),
        ("There is no aberrant behavior.", "aberrant_behavior", False),
        ("He has asked for early refills twice.", "aberrant_behavior", True),
        ("There was spasm of the lumbar paravertebral muscles.", "muscle_spasm", True),
        ("No muscle spasm was noted.", "muscle_spasm", False),
        ("She complains of epigastric pain.", "dyspepsia", True),
        ("He has a history of GI bleed.", "gi_risk_factors", True),
        ("She describes burning neuropathic pain in the foot.", "neuropathic_pain", True),
        ("He has failed gabapentin.", "first_line_failed", True),
        ("He reports difficulty sleeping.", "insomnia", True),
        ("Sleep hygiene was discussed.", "insomnia_evaluated", True),
        ("He signed an opioid agreement.", "opioid_agreement", True),
        ("The CURES report was reviewed.", "cures_reviewed", True),
        ("She is unable to swallow pills.", "oral_medication_intolerance", True),
        ("The physician recommended she stop NSAIDs.", "nsaid_contraindication", True),
        ("He denies anxiety.", "anxiety", False),
    ],
)
def test_concepts_affirmed_and_negated(text: str, name: str, value: bool) -> None:
    got = found(text, name)
    assert got, f"{name} not found in {text!r}"
    assert got[0].value is value


def test_a_previous_urine_drug_screen_and_its_result() -> None:
    text = "A urine drug screen dated 11/08/2016 was consistent with prescribed medications."
    assert [f.value for f in found(text, "urine_drug_test_done")] == [True]
    assert [f.value for f in found(text, "udt_consistent")] == [True]


def test_a_request_for_a_drug_screen_is_not_a_previous_test() -> None:
    assert found("The provider requested a urine drug screen.", "urine_drug_test_done") == []


def test_a_scheduled_surgery_is_a_planned_surgery() -> None:
    text = "The treatment plan included scheduling laparoscopic umbilical hernia repair."
    assert [f.value for f in found(text, "planned_surgery")] == [
        "laparoscopic umbilical hernia repair"
    ]


def test_functional_gains_are_attributed_to_the_drug_named() -> None:
    text = "Norco allows him to walk for 30 minutes and do light chores."
    assert values(text, "functional_improvement") == {"opioid": True}


def test_a_longer_phrase_does_not_hide_the_facts_of_shorter_ones() -> None:
    text = "He reports stomach upset with naproxen."
    assert [f.value for f in found(text, "dyspepsia")] == [True]
    assert [f.value for f in found(text, "medication_reduced_or_not_tolerated")] == [True]
    assert [f.value for f in found("She reports chronic pain.", "pain_complaint")] == [True]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("NSAIDs have not helped her pain.", "nonopioid_failure_noted"),
        ("Anti-inflammatory medications did not help.", "nonopioid_failure_noted"),
        ("Gabapentin has not been effective.", "first_line_failure_noted"),
    ],
)
def test_a_stated_failure_with_not_inside_is_found_as_words(text: str, name: str) -> None:
    got = found(text, name)
    assert got and isinstance(got[0].value, str) and "not" in got[0].value


def test_an_intolerance_is_a_failed_first_line_trial() -> None:
    assert [f.value for f in found("He did not tolerate gabapentin.", "first_line_failed")] == [
        True
    ]


def triples(text: str) -> set[tuple[str, str | None, object]]:
    names = ("medication", "medication_dose", "medication_frequency")
    return {
        (f.name, f.qualifier, f.value) for f in extract_facts([record(text)]) if f.name in names
    }


def test_a_listed_drug_outside_the_lexicon_is_an_unclassified_medication() -> None:
    text = "History of hypertension.\nMedications:\n1. Norvasc 5mg po BID\n2. Hydralazine 50mg po Q6H\n"
    got = triples(text)
    assert ("medication", "medication-other", "Norvasc") in got
    assert ("medication_dose", "medication-other", "5mg") in got
    assert ("medication_frequency", "medication-other", "BID") in got
    assert ("medication", "medication-other", "Hydralazine") in got
    assert ("medication_frequency", "medication-other", "Q6H") in got


def test_an_unclassified_drug_of_a_list_keeps_the_known_drugs_classes() -> None:
    got = triples("CURRENT MEDICATIONS: amlodipine 5 mg daily, naproxen 500 mg b.i.d.")
    assert ("medication", "medication-other", "amlodipine") in got
    assert ("medication", "nsaid", "naproxen") in got
    # the known drug is not also an unclassified one
    assert ("medication", "medication-other", "naproxen") not in got


def test_a_list_item_of_a_name_of_two_words_and_a_dose_form_is_a_drug() -> None:
    got = triples("MEDICATIONS: Sodium bicarbonate 648mg po QD, Loprox cream.")
    assert ("medication", "medication-other", "Sodium bicarbonate") in got
    assert ("medication_dose", "medication-other", "648mg") in got
    assert ("medication", "medication-other", "Loprox") in got


@pytest.mark.parametrize(
    "text",
    [
        "ALLERGIES: Penicillin 500 mg caused a rash.",
        "MEDICATIONS: None.",
        "MEDICATIONS: No known drug allergies.",
        "The patient takes 10 mg of something daily.",
        "Allergies: aspirin 81 mg daily.",
    ],
)
def test_no_unclassified_drug_outside_a_medication_list_or_in_an_allergy(text: str) -> None:
    assert not {t for t in triples(text) if t[1] == "medication-other"}


def test_a_list_ends_at_the_next_heading() -> None:
    text = "MEDICATIONS: Plavix 75 mg daily.\nPLAN: Trental 400 mg TID was discussed.\n"
    got = {t[2] for t in triples(text) if t[0] == "medication"}
    assert got == {"Plavix"}


def test_a_listed_drug_in_prose_is_not_cut_from_a_sentence() -> None:
    got = triples("MEDICATIONS: She is currently on Zyrtec 10 mg daily.")
    assert not {t for t in got if t[0] == "medication" and "currently" in str(t[2]).lower()}


def test_a_known_drug_takes_a_dose_after_its_salt_and_a_range_of_tablets() -> None:
    got = triples("Medications:\n1. Docusate sodium 100mg po QD\n2. Vicodin 1-2tabs po Q6H prn\n")
    assert ("medication_dose", "stool-softener", "100mg") in got
    assert ("medication_frequency", "opioid", "Q6H prn") in got


def test_a_drug_class_never_taken_is_not_in_use() -> None:
    facts = found("She has not taken muscle relaxants before.", "medication_in_use")
    assert [(f.value, f.qualifier) for f in facts] == [(False, "muscle-relaxant")]


def test_a_short_course_in_the_plan_starts_the_drug() -> None:
    facts = found("The plan included a short course of cyclobenzaprine.", "therapy_start_planned")
    assert [(f.value, f.qualifier) for f in facts] == [(True, "muscle-relaxant")]
    assert found("I prescribed another short course of Medrol.", "therapy_start_planned") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Her knee pain is 7/10 without medication and 4/10 with tramadol.", 4.0),
        ("He rates the pain 3/10 on Norco versus 8/10 without.", 3.0),
        ("Pain is 8/10 without medications and 5/10 with them.", 5.0),
    ],
)
def test_pain_with_the_drug_named_is_the_score_with_medication(text: str, expected: float) -> None:
    assert {f.value for f in found(text, "pain_score_with_medication")} == {expected}


def test_pain_with_an_activity_is_no_score_with_medication() -> None:
    assert (
        found(
            "Pain is 4/10 with walking and 7/10 without medication.", "pain_score_with_medication"
        )
        == []
    )


def test_relief_and_gains_since_a_drug_was_begun_are_the_drugs() -> None:
    text = (
        "She reported that since starting duloxetine her pain has decreased from 7/10 to "
        "4/10, her mood is better, and she is now able to walk 30 minutes daily."
    )
    assert values(text, "medication_efficacy") == {"antidepressant": True}
    assert values(text, "functional_improvement") == {"antidepressant": True}
    # pain that went down, with no drug begun before it, is no relief from the drug
    assert values("Her pain has decreased; she takes duloxetine.", "medication_efficacy") == {}

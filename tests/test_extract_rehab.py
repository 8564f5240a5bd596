"""Extraction rules of the rehabilitation group: devices, programs, home and psychological care."""

from __future__ import annotations

import pytest

from openimr.extract import extract_facts
from openimr.model import Fact, Record, RecordPage


def record(text: str, path: str = "records/note.txt") -> Record:
    return Record(
        path=path, kind="text", text=text, pages=(RecordPage(number=1, start=0, end=len(text)),)
    )


def found(sentence: str, name: str) -> list[Fact]:
    return [f for f in extract_facts([record(sentence)]) if f.name == name]


def values(sentence: str, name: str) -> set[object]:
    return {f.value for f in found(sentence, name)}


@pytest.mark.parametrize(
    ("sentence", "name", "value"),
    [
        ("His progress in physical therapy has plateaued.", "therapy_plateau", True),
        ("She reached a plateau in therapy.", "therapy_plateau", True),
        ("The stimulation used is NMES.", "neuromuscular_stimulation", True),
        ("MRI showed calcific tendinitis of the supraspinatus.", "calcific_tendinitis", True),
        ("There is no calcific tendinitis.", "calcific_tendinitis", False),
        ("The patient is morbidly obese.", "reduced_weight_bearing_needed", True),
        ("She is unable to tolerate land-based exercise.", "reduced_weight_bearing_needed", True),
        ("She reports depression and anxiety since the injury.", "psychological_condition", True),
        ("He denies depression or anxiety.", "psychological_condition", False),
        ("The injury is psychiatric, from harassment at work.", "psychiatric_injury", True),
        ("The diagnosis is post-traumatic stress disorder.", "severe_psychiatric_condition", True),
        (
            "She reported fleeting homicidal and suicidal thoughts.",
            "higher_level_of_care_needed",
            True,
        ),
        ("The patient denies suicidal ideation.", "higher_level_of_care_needed", False),
        ("A psychological evaluation dated 3/1/2016 was reviewed.", "psych_evaluation_done", True),
        ("Testing will include the MMPI-2 and BDI.", "psychological_tests_specified", True),
        ("She is starting cognitive behavioral therapy.", "cbt_program", True),
        ("She is unable to perform her usual job.", "job_demands_unmet", True),
        ("The FCE showed he is below the physical demands of his job.", "job_demands_unmet", True),
        ("She works a sedentary job as a clerical worker.", "sedentary_job", True),
        ("The patient has a job offer from his employer.", "return_to_work_plan", True),
        (
            "She completed a functional restoration program in 2014.",
            "completed_rehabilitation_program",
            True,
        ),
        (
            "A multidisciplinary evaluation was completed with baseline testing.",
            "baseline_functional_testing",
            True,
        ),
        ("The patient is highly motivated.", "motivated_to_change", True),
        ("The patient is not motivated.", "motivated_to_change", False),
        (
            "The negative predictors of success have been addressed.",
            "negative_predictors_addressed",
            True,
        ),
        ("He is homebound after the surgery.", "homebound", True),
        ("She is not homebound.", "homebound", False),
        ("Since the operation she is confined to her home.", "homebound", True),
        ("He is unable to leave his home without help from his wife.", "homebound", True),
        ("He needs daily wound care and dressing changes.", "skilled_care_need", True),
        ("He requires assistance with bathing and dressing.", "adl_assistance_need", True),
        ("She was discharged from the hospital on 3/4/2016.", "recent_hospitalization", True),
        ("He was still not safe for home.", "intensive_rehab_need", True),
        ("He is unable to transfer independently.", "intensive_rehab_need", True),
        ("The patient has good rehabilitation potential.", "able_to_participate", True),
        ("She has diabetes mellitus and hypertension.", "medical_supervision_need", True),
        ("The differential diagnosis includes a labral tear.", "diagnosis_uncertain", True),
        ("She has had a delayed recovery from the injury.", "delayed_recovery", True),
        ("Her back pain worsens with prolonged sitting at work.", "work_posture_aggravation", True),
        ("The pain is not aggravated by sitting.", "work_posture_aggravation", False),
        ("Wrist pain is worse with typing.", "work_posture_aggravation", True),
        ("She has been unable to lose weight with diet.", "failed_diet", True),
        ("There have been no failed attempts at weight loss.", "failed_diet", False),
        ("Diagnosis: left plantar fasciitis.", "plantar_fasciitis_or_metatarsalgia", True),
        ("There is no metatarsalgia.", "plantar_fasciitis_or_metatarsalgia", False),
        ("She has osteoarthritis of the hands.", "hand_arthritis", True),
        ("There is no CMC arthritis.", "hand_arthritis", False),
        ("He is unable to drive because of the leg cast.", "unable_to_self_transport", True),
        ("She denies being unable to drive.", "unable_to_self_transport", False),
        ("He has failed a home exercise program.", "home_exercise_failed", True),
        ("He has not failed home exercise.", "home_exercise_failed", False),
        ("She walks with an antalgic gait.", "ambulation_deficit", True),
        ("He has difficulty walking more than a block.", "ambulation_deficit", True),
        ("She reports no difficulty walking.", "ambulation_deficit", False),
        ("He is unable to ambulate even with a walker.", "unsafe_with_cane_or_walker", True),
        ("She is not unable to walk.", "unsafe_with_cane_or_walker", False),
        ("He is unable to propel a manual wheelchair.", "cannot_propel_manual_wheelchair", True),
        (
            "There is no insufficient upper extremity strength.",
            "cannot_propel_manual_wheelchair",
            False,
        ),
    ],
)
def test_findings_are_affirmed_or_negated(sentence: str, name: str, value: bool) -> None:
    facts = found(sentence, name)
    assert facts, f"{name} not found in {sentence!r}"
    assert facts[0].value is value


@pytest.mark.parametrize(
    ("sentence", "qualifier"),
    [
        ("The patient has been using a TENS unit at home.", "tens"),
        ("He previously trialed an H-wave unit.", "h-wave"),
        ("She has used an interferential unit.", "interferential-stimulation"),
        ("She has completed 6 biofeedback sessions.", "biofeedback"),
    ],
)
def test_prior_use_of_a_device_or_program_is_qualified_by_it(sentence: str, qualifier: str) -> None:
    assert any(
        f.value is True and f.qualifier == qualifier for f in found(sentence, "prior_therapy")
    )


def test_a_device_not_used_gives_false() -> None:
    facts = found("She has not used a TENS unit.", "prior_therapy")
    assert [(f.value, f.qualifier) for f in facts] == [(False, "tens")]


def test_a_device_only_requested_is_not_prior_use() -> None:
    facts = found("The plan is to request a TENS unit.", "prior_therapy")
    assert not [f for f in facts if f.value is True]


def test_benefit_and_failure_belong_to_the_treatment_named_nearest() -> None:
    text = "The TENS unit gives good relief of pain. The H-wave unit failed to provide relief."
    facts = extract_facts([record(text)])
    benefit = {(f.qualifier, f.value) for f in facts if f.name == "therapy_benefit"}
    failed = {(f.qualifier, f.value) for f in facts if f.name == "therapy_failed"}
    assert ("tens", True) in benefit
    assert ("h-wave", True) in failed
    assert ("tens", True) not in failed


@pytest.mark.parametrize(
    "sentence",
    [
        "He tried TENS in the past but it did not help.",
        "The TENS unit did not provide relief.",
        "The TENS unit was not helpful.",
    ],
)
def test_a_device_that_did_not_help_gives_no_benefit(sentence: str) -> None:
    assert values(sentence, "therapy_benefit") == {False}


@pytest.mark.parametrize(
    "sentence",
    [
        "He tried TENS without relief.",
        "TENS gave only minimal relief.",
        "The TENS unit was ineffective.",
    ],
)
def test_a_failed_device_trial_is_found(sentence: str) -> None:
    assert True in {f.value for f in found(sentence, "therapy_failed") if f.qualifier == "tens"}


@pytest.mark.parametrize(
    ("sentence", "count", "qualifier"),
    [
        ("She has completed 6 biofeedback sessions.", 6, "biofeedback"),
        ("He attended twelve aquatic therapy visits.", 12, "aquatic-therapy"),
        ("She had 4 prior psychotherapy sessions.", 4, "psychotherapy"),
    ],
)
def test_visits_of_a_therapy_are_counted_for_it(sentence: str, count: int, qualifier: str) -> None:
    assert (count, qualifier) in {(f.value, f.qualifier) for f in found(sentence, "prior_visits")}


def test_an_adjunct_phrase_keeps_the_home_exercise_program() -> None:
    text = "The TENS unit will be used in conjunction with a home exercise program."
    names = {f.name for f in extract_facts([record(text)]) if f.value is True}
    assert {"adjunct_to_rehabilitation", "home_exercise_program"} <= names


def test_longer_phrases_keep_the_core_facts_they_contain() -> None:
    text = "He requires assistance with bathing. She is unable to perform her usual job."
    names = {f.name for f in extract_facts([record(text)]) if f.value is True}
    assert {"adl_assistance_need", "job_demands_unmet", "functional_deficits"} <= names


def test_severe_depression_keeps_the_depression_fact() -> None:
    text = "Diagnosis: major depressive disorder, recurrent, severe."
    names = {f.name for f in extract_facts([record(text)]) if f.value is True}
    assert {"depression", "psychological_condition", "severe_psychiatric_condition"} <= names


def test_a_past_evaluation_is_found_and_a_planned_one_is_not() -> None:
    past = "The psychological evaluation dated 12/13/2016 noted suicidal thoughts without a plan."
    assert values(past, "psych_evaluation_done") == {True}
    planned = "The treatment plan includes a psychological evaluation report."
    assert not found(planned, "psych_evaluation_done")


def test_body_mass_index_is_read_as_a_number() -> None:
    assert [f.value for f in found("BMI: 34.5", "body_mass_index")] == [34.5]
    assert [f.value for f in found("Her body mass index is 41.", "body_mass_index")] == [41]
    assert found("The BMP was normal.", "body_mass_index") == []


def test_a_plan_to_start_a_therapy_is_found_and_a_plan_to_restart_it_is_not() -> None:
    def plans(text: str) -> list[tuple[object, str | None]]:
        return [
            (f.value, f.qualifier)
            for f in extract_facts([record(text)])
            if f.name == "therapy_start_planned"
        ]

    assert plans("Will start a course of physical therapy 2x4.") == [(True, "physical-therapy")]
    assert plans("Recommend a trial of acupuncture for the neck.") == [(True, "acupuncture")]
    assert plans("We will start him back on physical therapy.") == []
    assert plans("He started physical therapy two weeks ago.") == []


def test_a_manipulation_under_anesthesia_is_not_chiropractic_care() -> None:
    facts = found("She had two spinal manipulations under anesthesia last spring.", "prior_therapy")
    assert [f.qualifier for f in facts if f.value is True] == ["manipulation-under-anesthesia"]
    facts = found("He then had an MUA of the low back.", "prior_therapy")
    assert [f.qualifier for f in facts if f.value is True] == ["manipulation-under-anesthesia"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("She does her home exercise program daily.", {True}),
        ("The physician requested a stationary bike and a home exercise kit.", set()),
        ("Home exercise equipment was dispensed at the visit.", set()),
    ],
)
def test_a_home_exercise_kit_is_equipment_not_the_program(
    sentence: str, expected: set[object]
) -> None:
    assert values(sentence, "home_exercise_program") == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("There is tenderness in the anatomic snuffbox of the left wrist.", {True}),
        ("Scaphoid tenderness is present on the right.", {True}),
        ("No anatomical snuffbox tenderness of the wrist.", {False}),
    ],
)
def test_scaphoid_tenderness_is_a_red_flag_of_the_wrist(
    sentence: str, expected: set[object]
) -> None:
    facts = found(sentence, "red_flags")
    assert {f.value for f in facts} == expected
    assert all(f.qualifier == "wrist" for f in facts)


@pytest.mark.parametrize(
    "sentence",
    [
        "On 11-22-2016, Utilization Review non-certified the psychological evaluation.",
        "In a utilization review report dated May 2, 2016, the claims administrator failed to "
        "approve a psychological evaluation.",
        "The request for a psychological evaluation was non-certified by utilization review.",
    ],
)
def test_a_review_denying_a_request_states_no_finding(sentence: str) -> None:
    """A sentence reporting a utilization review's decision names what was asked, not what
    was done: no evaluation done, no screening."""
    assert found(sentence, "psych_evaluation_done") == []
    assert found(sentence, "psychological_screening") == []


def test_a_psychological_evaluation_reported_with_its_result_is_done() -> None:
    sentence = "The psychological evaluation dated 03/01/2016 revealed no contraindication."
    assert values(sentence, "psych_evaluation_done") == {True}
    assert values(sentence, "psychological_screening") == {True}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The pain specialist recommended a spinal cord stimulator trial.", {True}),
        ("He is a candidate for spinal cord stimulation.", {True}),
        ("He requested a psychological evaluation as clearance before the trial.", set()),
    ],
)
def test_a_planned_stimulator_trial_and_a_screening_asked_for(
    sentence: str, expected: set[object]
) -> None:
    assert values(sentence, "neuromodulation_trial_planned") == expected
    assert found(sentence, "psychological_screening") == []


def test_a_surgeon_who_sets_surgery_aside_is_no_surgery_considered() -> None:
    # the surgeon is named, but what the sentence says of surgery is that it is not for him
    text = "The spine surgeon wrote on 8/15/2016 that he is not a surgical candidate."
    assert True not in values(text, "surgery_considered")
    assert values("He was referred to a spine surgeon for his back.", "surgery_considered") == {
        True
    }


def test_the_guideline_words_for_lost_function_are_a_functional_deficit() -> None:
    # MTUS Chronic Pain, functional restoration programs: "a significant loss of ability to
    # function independently resulting from the chronic pain"
    text = "The evaluation found a significant loss of the ability to function independently."
    assert values(text, "functional_deficits") == {True}


@pytest.mark.parametrize(
    ("sentence", "therapy"),
    [
        ("Physical therapy was not helping.", "physical-therapy"),
        ("She states that acupuncture is not helping her pain.", "acupuncture"),
        ("Chiropractic care has not helped.", "chiropractic"),
    ],
)
def test_a_treatment_not_helping_is_no_benefit(sentence: str, therapy: str) -> None:
    assert {(f.qualifier, f.value) for f in found(sentence, "therapy_benefit")} == {
        (therapy, False)
    }

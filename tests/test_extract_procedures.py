"""Extraction rules of the procedures group: affirmed and negated findings, numbers, surgeries."""

from __future__ import annotations

import pytest

from openimr.extract import extract_facts
from openimr.model import Fact
from records_support import text_record as record


def found(sentence: str, name: str) -> list[Fact]:
    return [f for f in extract_facts([record(sentence)]) if f.name == name]


@pytest.mark.parametrize(
    ("sentence", "name", "value"),
    [
        ("His right knee gives way and there is locking.", "mechanical_knee_symptoms", True),
        ("He denies locking or giving way.", "mechanical_knee_symptoms", False),
        ("McMurray's is positive with medial joint line tenderness.", "meniscal_exam_signs", True),
        ("There is a positive Lachman test on the right.", "knee_instability", True),
        ("The knee is examined without effusion.", "effusion", False),
        ("His right knee has 2 plus effusion.", "effusion", True),
        (
            "MRI of the right knee revealed a medial meniscus tear.",
            "meniscal_tear_on_imaging",
            True,
        ),
        (
            "The MRI showed tricompartmental osteoarthrosis of the knee.",
            "knee_osteoarthritis",
            True,
        ),
        (
            "X-rays of the hip showed severe osteoarthritis with joint space loss.",
            "hip_osteoarthritis",
            True,
        ),
        ("There is no osteoarthritis of the hip.", "hip_osteoarthritis", False),
        ("She has complex regional pain syndrome of the right arm.", "crps", True),
        ("There is no evidence of CRPS.", "crps", False),
        ("He was unable to bear weight after the fall.", "ottawa_criteria", True),
        ("Hawkins sign was positive and Neer's is positive.", "impingement_signs", True),
        ("The exam revealed positive Speed's and O'Brien's tests.", "labral_signs", True),
        ("There was a positive drop arm test.", "rotator_cuff_signs", True),
        (
            "The shoulder MRI revealed a full-thickness tear of the supraspinatus.",
            "rotator_cuff_tear_on_imaging",
            True,
        ),
        (
            "She had a subacromial injection to the shoulder in October.",
            "shoulder_injection_tried",
            True,
        ),
        ("He reports night pain in the shoulder.", "night_pain", True),
        ("Flexion-extension views show spondylolisthesis at L4-5.", "spinal_instability", True),
        (
            "Nerve conduction studies were consistent with moderate carpal tunnel syndrome.",
            "electrodiagnostic_cts",
            True,
        ),
        (
            "There is no electrodiagnostic evidence of carpal tunnel syndrome.",
            "electrodiagnostic_cts",
            False,
        ),
        ("EMG/NCV showed moderate carpal tunnel syndrome.", "electrodiagnostic_cts", True),
        ("EMG/NCV showed moderate carpal tunnel syndrome.", "prior_electrodiagnostics", True),
        ("There was a positive Tinel's and Phalen's at the wrist.", "cts_exam_signs", True),
        ("She wakes with nocturnal numbness of the hand.", "cts_symptoms", True),
        ("Trigger points with a twitch response were found.", "myofascial_trigger_points", True),
        ("No twitch response was elicited.", "myofascial_trigger_points", False),
        ("The pain is non-radicular axial back pain.", "radicular_findings_absent", True),
        ("There is tenderness over the facet joints.", "facet_pain_signs", True),
        ("She has hypertension and diabetes.", "preop_risk_factors", True),
        ("He denies hypertension or diabetes.", "preop_risk_factors", False),
        ("He takes warfarin for atrial fibrillation.", "bleeding_risk", True),
        ("The repair will use mesh.", "foreign_material_implant", True),
        ("She has a history of coronary artery disease.", "cardiac_risk_factors", True),
        ("The patient is now at maximum medical improvement.", "maximum_medical_improvement", True),
        ("The patient is not at MMI.", "maximum_medical_improvement", False),
        ("Six chiropractic visits have helped.", "improving_with_treatment", True),
        ("He says the home exercises are helping his knee.", "improving_with_treatment", True),
        ("Her pain has improved by a third with therapy.", "improving_with_treatment", True),
        ("Surgery includes a partial meniscectomy.", "meniscectomy_surgery", True),
        ("He is status post total knee arthroplasty.", "knee_arthroplasty_surgery", True),
        ("The diagnosis is de Quervain's tenosynovitis.", "hand_tenosynovitis", True),
        ("She was diagnosed with cervical dystonia.", "cervical_dystonia", True),
        ("There is no torticollis.", "cervical_dystonia", False),
        ("The diagnosis is complex regional pain syndrome of the right hand.", "crps", True),
        ("There are no signs of CRPS.", "crps", False),
        ("She has a history of DVT after a prior surgery.", "vte_risk_factors", True),
        ("He denies history of DVT.", "vte_risk_factors", False),
    ],
)
def test_findings_are_affirmed_or_negated(sentence: str, name: str, value: bool) -> None:
    facts = found(sentence, name)
    assert facts, f"{name} not found in {sentence!r}"
    assert facts[0].value is value


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("There was a negative Neer's test, Hawkins' test, and Speed's test.", "impingement_signs"),
        ("Impingement sign (Hawkins) and O'Brien's test were negative.", "labral_signs"),
        ("He is a non-smoker.", "smoker"),
        ("The request is for an MRI of the knee.", "prior_knee_mri"),
        ("The surgery was not authorized.", "planned_surgery"),
        ("Exam showed full strength and negative impingement signs.", "shoulder_lesion_on_imaging"),
        ("Exam showed full strength and negative impingement signs.", "surgical_lesion_on_imaging"),
        ("Examination showed positive impingement testing.", "shoulder_lesion_on_imaging"),
    ],
)
def test_a_negative_test_or_a_request_gives_no_positive_finding(sentence: str, name: str) -> None:
    assert not [f for f in found(sentence, name) if f.value is not False]


def test_relief_after_a_procedure_is_qualified_by_the_procedure_named() -> None:
    text = "After the medial branch block she reported 80% relief. The TPI gave 40% relief for 3 weeks."
    facts = extract_facts([record(text)])
    relief = {(f.qualifier, f.value) for f in facts if f.name == "procedure_relief_percent"}
    assert ("medial-branch-block", 80) in relief
    assert ("trigger-point-injection", 40) in relief
    weeks = [f for f in facts if f.name == "procedure_relief_weeks"]
    assert [(f.qualifier, f.value) for f in weeks] == [("trigger-point-injection", 3)]


def test_relief_lasting_months_is_converted_to_weeks() -> None:
    text = "After the radiofrequency ablation she had 60% relief lasting 6 months."
    weeks = found(text, "procedure_relief_weeks")
    assert weeks and weeks[0].qualifier == "radiofrequency-ablation"
    assert 25 < float(weeks[0].value) < 27  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sentence", "count"),
    [
        ("She had three positive sacroiliac provocative tests.", 3),
        ("Exam: 4 positive SI joint provocation tests.", 4),
        ("3 of 5 provocative tests were positive.", 3),
        # three different tests, each named positive, are three positive tests (ODG: at least
        # three positive examination findings)
        ("There was a positive Patrick's test, positive Yeoman's and positive SI distraction.", 3),
    ],
)
def test_positive_sacroiliac_tests_are_counted(sentence: str, count: int) -> None:
    facts = found(sentence, "sacroiliac_provocative_tests")
    assert [f.value for f in facts] == [count]


@pytest.mark.parametrize(
    "sentence",
    [
        # one test on both sides is one test
        "Positive Fortin finger test on the left, positive Fortin on the right, positive FABER.",
        # a test said negative is not counted
        "Positive FABER, negative Gaenslen's test and negative thigh thrust test.",
    ],
)
def test_fewer_than_three_different_positive_sacroiliac_tests_give_no_count(sentence: str) -> None:
    assert found(sentence, "sacroiliac_provocative_tests") == []


def test_the_thigh_thrust_test_is_no_finding_at_the_thigh() -> None:
    text = "Positive thigh thrust, positive Gaenslen's test and positive FABER on the right."
    facts = found(text, "sacroiliac_provocative_tests")
    assert [f.value for f in facts] == [3]
    assert all(f.region != "thigh" for f in found(text, "sacroiliac_signs"))


@pytest.mark.parametrize(
    ("sentence", "surgery"),
    [
        (
            "The plan included scheduling laparoscopic versus open umbilical hernia repair.",
            "laparoscopic versus open umbilical hernia repair",
        ),
        ("He is status post right knee arthroscopy on 3/2/2016.", "right knee arthroscopy"),
        ("Right shoulder arthroscopy has been authorized.", "Right shoulder arthroscopy"),
        ("She is scheduled for a carpal tunnel release next week.", "carpal tunnel release"),
    ],
)
def test_a_planned_or_performed_surgery_is_found_with_its_words(
    sentence: str, surgery: str
) -> None:
    assert [f.value for f in found(sentence, "planned_surgery")] == [surgery]


@pytest.mark.parametrize(
    "text",
    [
        # a remark after the operation about the report of the other side
        "PROCEDURE PERFORMED:  Left total hip arthroplasty, with the right side to be"
        " described in a report that will follow.\n",
        "OPERATION:  Right shoulder arthroscopic rotator cuff repair, which will be dictated"
        " by the assistant surgeon separately.\n",
    ],
)
def test_an_operation_named_in_the_procedure_heading_is_a_surgery_done(text: str) -> None:
    facts = found(text, "planned_surgery")
    assert [f.qualifier for f in facts] == ["performed"]


def test_an_operation_named_as_a_plan_in_the_procedure_heading_is_not_done() -> None:
    text = "PROCEDURE:  Left total knee arthroplasty will be performed under spinal anesthesia.\n"
    assert not [f for f in found(text, "planned_surgery") if f.qualifier == "performed"]


def test_an_unsuccessful_return_to_work_is_quoted() -> None:
    facts = found("He had a failed return to work in March.", "failed_return_to_work")
    assert [f.value for f in facts] == ["failed return to work"]
    assert not found("There was no failed return to work.", "failed_return_to_work")


def test_longer_phrases_keep_the_core_facts_they_contain() -> None:
    text = "A left knee MRI performed on 4/19/2016 documented a tear. He was unable to bear weight."
    names = {f.name for f in extract_facts([record(text)])}
    assert {"prior_knee_mri", "prior_imaging", "ottawa_criteria", "functional_deficits"} <= names


def test_non_radicular_pain_is_not_read_as_radicular() -> None:
    facts = extract_facts([record("She describes non-radicular low back pain.")])
    assert not [f for f in facts if f.name == "radicular_symptoms" and f.value is True]


def test_an_almost_full_thickness_tear_is_not_a_full_thickness_tear() -> None:
    text = "The shoulder MRI documented an almost full-thickness tear of the supraspinatus."
    names = {f.name for f in extract_facts([record(text)]) if f.value is True}
    assert "rotator_cuff_tear_on_imaging" in names
    assert "full_thickness_cuff_tear" not in names


@pytest.mark.parametrize(
    ("sentence", "multilevel"),
    [
        ("PROCEDURE: Anterior interbody fusion at C4-C5, C5-C6 and C6-C7.", True),
        ("She is scheduled for an L4-S1 posterior fusion.", True),
        ("A two-level ACDF was recommended.", True),
        ("Status post L4-5 and L5-S1 fusion with instrumentation.", True),
        ("Status post L5-S1 fusion with instrumentation.", False),
        ("A C5-6 ACDF was done last year.", False),
        ("MRI shows disc bulges at L3-4 and L4-5.", False),
    ],
)
def test_a_fusion_of_more_than_one_level_is_found(sentence: str, multilevel: bool) -> None:
    found_values = [f.value for f in found(sentence, "multilevel_fusion")]
    assert found_values == ([True] if multilevel else [])


def test_a_fracture_fixation_is_a_surgery_with_its_region() -> None:
    facts = found(
        "PROCEDURE: Open reduction internal fixation of a left distal femur fracture.",
        "fracture_fixation_surgery",
    )
    assert [(f.value, f.side, f.region) for f in facts] == [(True, "left", "thigh")]
    assert [
        f.value
        for f in found("Status post right total hip arthroplasty.", "hip_arthroplasty_surgery")
    ] == [True]


@pytest.mark.parametrize(
    ("sentence", "name", "value", "side"),
    [
        # a side or a position between "positive" and the test
        (
            "There is a positive left straight leg raise at 45 degrees.",
            "objective_radiculopathy",
            True,
            "left",
        ),
        ("Positive seated SLR on the right.", "objective_radiculopathy", True, "right"),
        # the grading word before the reflex
        ("Diminished right ankle jerk is noted.", "neurologic_deficit", True, "right"),
        ("Absent left Achilles reflex.", "objective_radiculopathy", True, "left"),
        # an electrodiagnostic finding of carpal tunnel syndrome, whatever lies between
        (
            "The NCS dated 05/05/2016 revealed mild left carpal tunnel syndrome.",
            "electrodiagnostic_cts",
            True,
            "left",
        ),
    ],
)
def test_findings_worded_with_a_side_or_date_between(
    sentence: str, name: str, value: bool, side: str
) -> None:
    assert [(f.value, f.side) for f in found(sentence, name)][:1] == [(value, side)]


def test_a_study_that_found_no_carpal_tunnel_syndrome_gives_no_positive_finding() -> None:
    assert not [
        f
        for f in found(
            "Nerve conduction studies showed no evidence of carpal tunnel syndrome.",
            "electrodiagnostic_cts",
        )
        if f.value is True
    ]


def test_an_electrodiagnostic_study_reported_with_its_result_is_a_study_done() -> None:
    done = found(
        "An EMG/NCV of both legs on 02/11/2016 revealed a chronic right S1 radiculopathy.",
        "prior_electrodiagnostics",
    )
    assert [f.value for f in done] == [True]
    assert (
        found(
            "An EMG of the legs is requested to evaluate radiculopathy.", "prior_electrodiagnostics"
        )
        == []
    )


def test_radiographs_reported_with_their_result_are_radiographs_taken() -> None:
    taken = found(
        "X-rays of the left knee obtained on 04/04/2016 showed no fracture.", "prior_xray"
    )
    assert [(f.value, f.region) for f in taken] == [(True, "knee")]
    assert found("X-rays of the left knee are requested.", "prior_xray") == []

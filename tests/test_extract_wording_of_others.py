"""Wording met in records written by others (transcribed consultations, operative notes,
imaging reports): each sentence here is written for the test, in the style of such records."""

from __future__ import annotations

import pytest

from openimr.extract import extract_facts
from openimr.library.loader import default_library
from records_support import text_record as record


def values_of(text: str, name: str) -> list[object]:
    return [f.value for f in extract_facts([record(text)]) if f.name == name]


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        # a movement against its normal arc, a share lost, an activity done with difficulty
        ("EXAM:\nCervical rotation 60/80 with pain at end range.\n", "functional_deficits", True),
        ("EXAM:\nRange of motion: reduced 40 percent and painful.\n", "functional_deficits", True),
        ("She rises from a chair with difficulty.", "functional_deficits", True),
        ("Kneeling is a major problem for him at work.", "functional_deficits", True),
        ("He is unable to crawl under vehicles.", "functional_deficits", True),
        (
            "Rotation of the left hip was limited and increased her pain.",
            "functional_deficits",
            True,
        ),
        ("PROBLEM LIST: 1. Decreased lumbar range of motion.", "functional_deficits", True),
        (
            "She has not been able to complete her exercise routine since June.",
            "functional_deficits",
            True,
        ),
        ("EXAM:\nGait is entirely normal.\n", "functional_deficits", False),
        (
            "EXAM:\nShe ambulates independently without an assistive device.\n",
            "functional_deficits",
            False,
        ),
        # an arthroscopy of a shoulder, named by its kind only, in an operative report
        (
            "PROCEDURES PERFORMED:\n1. Diagnostic arthroscopy under anesthesia, left shoulder.\n",
            "surgery_history",
            "shoulder-arthroscopy",
        ),
        # pain that travels into a limb
        (
            "She reports occasional shooting pains into the lower extremities.",
            "radicular_symptoms",
            True,
        ),
        # upper motor neuron and sensory signs on examination
        ("EXAM:\nShe has hyperreflexia in her lower extremities.\n", "neurologic_deficit", True),
        ("On gait she has a subtle left hemiparesis.", "neurologic_deficit", True),
        (
            "EXAM:\nObjective sensory loss in the left C6 distribution.\n",
            "neurologic_deficit",
            True,
        ),
        # care that did not work
        ("Middle finger trigger, failed nonoperative treatment.", "failed_conservative_care", True),
        (
            "The injections did not help and the splint did not work either.",
            "failed_conservative_care",
            True,
        ),
        ("Her pain medication is not quite taking care of it.", "failed_conservative_care", True),
        # surgery proposed, or set aside
        (
            "He is a reasonable candidate for a right carpal tunnel release.",
            "surgery_considered",
            True,
        ),
        ("A two-level lumbar fusion was recommended by the surgeon.", "surgery_considered", True),
        ("We will schedule him for a left knee arthroscopy.", "surgery_considered", True),
        ("She would like to proceed with the trigger finger release.", "surgery_considered", True),
        ("We discussed the possibility of surgical decompression.", "surgery_considered", True),
        ("Surgery is not a consideration for this patient.", "surgery_considered", False),
        (
            "Her findings are not severe enough for her to undergo surgery.",
            "surgery_considered",
            False,
        ),
        # an imaging study read from its report
        ("The CT scan has shown healing of the fracture.", "prior_imaging", True),
        ("The MRI report of March 3, 2015 was reviewed with him.", "prior_imaging", True),
        # reflexes and strength graded by site
        (
            "EXAM:\nReflexes are 2+ at the knees and 1+ at the left ankle.\n",
            "objective_radiculopathy",
            True,
        ),
        ("EXAM:\nStrength: ankle dorsiflexors 4-/5 on the right.\n", "neurologic_deficit", True),
        ("EXAM:\nThere is decreased vibratory sense in both feet.\n", "neurologic_deficit", True),
        # a foramen narrowed on imaging; none found on EMG
        (
            "IMPRESSION:\nThe left L5-S1 foramen is moderately narrowed.\n",
            "imaging_corroborates_radiculopathy",
            True,
        ),
        (
            "IMPRESSION:\nThe EMG shows no evidence of active radiculopathy.\n",
            "imaging_corroborates_radiculopathy",
            False,
        ),
        # past surgery, and none
        ("PAST SURGICAL HISTORY: Noncontributory.", "surgery_history", "none"),
        (
            "He underwent an ACL reconstruction of the left knee in 2010.",
            "surgery_history",
            "surgery-other",
        ),
        # an operative report's own operation
        (
            "OPERATION PERFORMED: Excision of a ganglion cyst, right wrist.\n",
            "surgery_history",
            "surgery-other",
        ),
        # examination without fever, with a normal rectal tone
        ("EXAM:\nShe is afebrile.\n", "red_flags", False),
        # care given: a brace worn, a drug taken
        ("She has been wearing a lumbar brace for two months.", "conservative_care_tried", True),
        ("He has taken Medrol dose packs twice.", "conservative_care_tried", True),
        ("NSAIDs have not been very helpful since the injury.", "failed_conservative_care", True),
        # limits, walking aids and preserved motion as therapy notes write them
        ("EXAM:\nRotation of the right hip was limited by pain.\n", "functional_deficits", True),
        (
            "Her activity level has been significantly restricted since the fall.",
            "functional_deficits",
            True,
        ),
        ("EXAM:\nHe walks with a cane.\n", "functional_deficits", True),
        ("EXAM:\nMotion at the subtalar joint is preserved.\n", "functional_deficits", False),
        ("EXAM:\nThere was normal station and gait.\n", "functional_deficits", False),
        # care without an operation
        ("He has been in a walking boot for three weeks.", "conservative_care_tried", True),
        ("We casted him at the first visit.", "conservative_care_tried", True),
        # symptoms that progressed
        ("Her symptoms have progressed to both hands.", "significant_change", True),
        # a normal neurologic examination however written
        ("EXAM:\nDTRs were normoactive and symmetrical.\n", "neurologic_deficit", False),
        (
            "EXAM:\nStraight leg raises are negative bilaterally.\n",
            "objective_radiculopathy",
            False,
        ),
        (
            "EXAM:\nThere is half-grade weakness of the left hip flexors.\n",
            "neurologic_deficit",
            True,
        ),
    ],
)
def test_wording_of_others(text: str, name: str, value: object) -> None:
    assert value in values_of(text, name)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the face, hearing and a needle EMG's own findings are not a limb's examination
        ("EXAM:\nFacial sensation is symmetric and normal.\n", "neurologic_deficit"),
        ("EXAM:\nHearing is grossly intact.\n", "objective_radiculopathy"),
        ("She noticed numbness of her lips and cheek.", "radicular_symptoms"),
        # "chronic" about something other than pain
        ("He has chronic tinnitus.", "chronic_pain"),
        # a cue that points back names no diagnosis
        ("She has been treated for this by her family doctor.", "diagnosis"),
        # a spine operation named in recommendations was not done
        (
            "RECOMMENDATIONS:\nSpine surgery is not a consideration at this time.\n",
            "surgery_history",
        ),
        # description of an operation, not its name
        ("DESCRIPTION OF PROCEDURE:\nA left L5 hemilaminotomy was performed.\n", "surgery_history"),
        # an operative description is no functional examination
        (
            "DESCRIPTION OF PROCEDURE:\nThe cannula was inserted without difficulty.\n",
            "functional_deficits",
        ),
        # "within normal limits" about something other than motion
        ("EXAM:\nThe paraspinal soft tissues are within normal limits.\n", "functional_deficits"),
    ],
)
def test_wording_that_states_no_such_fact(text: str, name: str) -> None:
    got = [v for v in values_of(text, name) if name != "surgery_history" or v != "none"]
    if name == "surgery_history" and "hemilaminotomy" in text:
        got = [v for v in got if v == "surgery-other"]
    assert got == []


def test_examination_findings_read_any_abnormal_mention_by_default() -> None:
    lib = default_library()
    for name in ("functional_deficits", "objective_radiculopathy", "neurologic_deficit"):
        assert lib.facts[name].pick == "any_true"
    assert lib.facts["prior_visits"].pick == "latest"


@pytest.mark.parametrize(
    "text",
    [
        "FINDINGS:\nNo destructive changes or acute fractures are identified.\n",
        "FINDINGS:\nNo fracture or dislocation.\n",
    ],
)
def test_a_negation_over_a_coordination_denies_every_member(text: str) -> None:
    """ "No X or Y" denies both; "no relief with the brace" still denies only the relief."""
    assert values_of(text, "red_flags") == [False]


def test_a_tie_still_limits_a_negation() -> None:
    assert values_of("She had no relief with physical therapy.", "prior_therapy") == [True]


def test_an_operation_put_off_or_done_is_not_one_proposed() -> None:
    assert values_of("If symptoms persist we will schedule surgery.", "surgery_considered") == []
    assert values_of(
        "She is not sure whether she wants to proceed with a hip replacement.", "surgery_considered"
    ) in ([], [True])
    # declined: the operation is set aside
    assert values_of(
        "He declined to proceed with the carpal tunnel release.", "surgery_considered"
    ) in ([], [False])


def test_splinting_on_imaging_is_no_splint_given() -> None:
    text = "Mild synovitis of the tendon sheaths consistent with flexor splinting."
    assert values_of(text, "conservative_care_tried") == []
    assert values_of("He has tried splinting and NSAIDs.", "conservative_care_tried") == [True]


def test_the_pain_at_its_worst_or_best_is_not_the_pain_score() -> None:
    text = "Pain is rated 6/10 on average and now, 10/10 at worst, 3/10 at best."
    assert values_of(text, "pain_score") == [6]
    assert values_of("Worst pain 9/10, least pain 4/10, current pain 6/10.", "pain_score") == [6]


def test_a_letters_closing_is_no_diagnosis() -> None:
    text = "IMPRESSION:\nLumbar radiculopathy.\nYours sincerely,\nThank you for this referral.\n"
    assert values_of(text, "diagnosis") == ["Lumbar radiculopathy"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("WORK STATUS: Not currently working.", "off work"),
        ("No return to work at this time.", "off work"),
        ("She is working full-time as a project manager.", "working"),
        ("He continues with the same lifting restrictions.", "modified duty"),
    ],
)
def test_work_status_in_the_words_of_a_report(text: str, value: str) -> None:
    assert values_of(text, "work_status") == [value]


@pytest.mark.parametrize(
    "text",
    [
        "A course of physical therapy would be reasonable for her.",
        "I have referred her for a functional restoration program.",
        "PLAN OF CARE: Modalities to include ice, heat and electrical stimulation.",
    ],
)
def test_a_treatment_proposed_is_no_treatment_given(text: str) -> None:
    assert values_of(text, "prior_therapy") == []


@pytest.mark.parametrize(
    "text",
    [
        "PAST SURGICAL HISTORY: Repair of a torn hamstring in 2004.",
        "Past Medical History: Diabetes. Kidney transplant (1999).",
        "PAST SURGICAL HISTORY:\n1. Appendectomy.\n2. Bladder re-implantation as a child.\n",
        "PAST MEDICAL HISTORY: Gout; surgery on an ingrown toenail last spring.",
    ],
)
def test_an_operation_of_a_past_history_named_by_its_kind_only(text: str) -> None:
    assert "surgery-other" in values_of(text, "surgery_history")


@pytest.mark.parametrize(
    "text",
    [
        "PAST SURGICAL HISTORY: No prior surgery.",
        "HISTORY: She would prefer to avoid surgery for now.",
        "PAST MEDICAL HISTORY: Hypertension and asthma.",
    ],
)
def test_no_operation_from_a_history_that_names_none_or_is_no_past_history(text: str) -> None:
    assert "surgery-other" not in values_of(text, "surgery_history")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "He has tried naproxen, a home exercise program and physical therapy, with "
            "continued pain that limits his walking.",
            {True},
        ),
        ("She received a cortisone injection with only temporary relief.", {True}),
        ("Pain continues with walking and with ongoing pain at night.", set()),
    ],
)
def test_treatment_tried_with_continued_pain_is_conservative_care_failed(
    sentence: str, expected: set[object]
) -> None:
    assert set(values_of(sentence, "failed_conservative_care")) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Examination showed paraspinal spasm with decreased flexion.", {True}),
        ("There was limited lumbar extension and rotation.", {True}),
        ("Flexion and extension were full.", set()),
    ],
)
def test_motion_found_decreased_in_a_direction_is_a_deficit(
    sentence: str, expected: set[object]
) -> None:
    assert set(values_of(sentence, "functional_deficits")) == expected


def test_a_sleep_study_asked_for_is_no_evaluation_of_the_insomnia() -> None:
    assert values_of("The physician requested a sleep study.", "insomnia_evaluated") == []
    tried = "She has practiced sleep hygiene measures for two months."
    assert values_of(tried, "insomnia_evaluated") == [True]


def test_failed_back_surgery_syndrome_is_no_treatment_that_failed() -> None:
    sentence = "He has failed back surgery syndrome and is maintained on morphine and hydrocodone."
    facts = [f for f in extract_facts([record(sentence)])]
    assert not [f for f in facts if f.name in ("therapy_failed", "failed_conservative_care")]
    assert {
        f.value for f in facts if f.name == "medication_in_use" and f.qualifier == "opioid"
    } == {True}
    # a treatment that failed is still one
    assert values_of("Physical therapy has failed.", "failed_conservative_care") == [True]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Over two weeks he developed progressive weakness of the right foot.", {True}),
        ("She reports new bladder incontinence and saddle anesthesia.", {True}),
        ("Risks include infection, bleeding and bowel incontinence.", set()),
        ("She was told to call if she develops progressive weakness.", set()),
    ],
)
def test_a_progressive_deficit_is_a_red_flag_of_the_spine(
    sentence: str, expected: set[object]
) -> None:
    assert set(values_of(sentence, "progressive_neurologic_deficit")) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "His ankle pain was not controlled with ibuprofen.",
        "The pain persists despite taking Tylenol.",
        "Pain is poorly relieved by over-the-counter analgesics.",
    ],
)
def test_a_non_opioid_that_did_not_control_the_pain(sentence: str) -> None:
    assert values_of(sentence, "nonopioid_failure_noted")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a normal neurologic examination stated as no focal deficit, or a full grade in words
        ("EXAM:\nNeuro: Awake and alert. No focal deficits.\n", "neurologic_deficit"),
        ("EXAM:\nNeuro: Awake and alert. No focal deficits.\n", "objective_radiculopathy"),
        ("EXAM:\nThere are no focal neurological deficits.\n", "neurologic_deficit"),
        ("EXAM:\nHe shows 5 out of 5 power in each muscle tested.\n", "neurologic_deficit"),
        ("EXAM:\nHe shows 5 out of 5 power in each muscle tested.\n", "objective_radiculopathy"),
        # a dermatome named where sensation is intact is where it was tested
        (
            "EXAM:\nSensation is intact to pinprick across the C5 to T1 dermatomal levels.\n",
            "objective_radiculopathy",
        ),
    ],
)
def test_a_normal_neurologic_examination_worded_otherwise(text: str, name: str) -> None:
    assert values_of(text, name) == [False]


def test_a_focal_deficit_found_is_a_deficit_and_a_dermatome_with_a_finding_is_radicular() -> None:
    assert values_of("EXAM:\nShe has a focal neurologic deficit.\n", "neurologic_deficit") == [True]
    text = "EXAM:\nPinprick is reduced over the L5 dermatome on the left.\n"
    assert True in values_of(text, "objective_radiculopathy")


@pytest.mark.parametrize(
    "text",
    [
        "He has had no trouble with his bowels or bladder.",
        "She denies dysuria, urgency or incontinence.",
    ],
)
def test_bowel_bladder_and_continence_symptoms_denied_are_no_red_flags(text: str) -> None:
    assert values_of(text, "red_flags") == [False]


def test_pain_that_progressively_worsened_is_a_significant_change() -> None:
    text = "Over the spring her back pain progressively worsened."
    assert values_of(text, "significant_change") == [True]


@pytest.mark.parametrize(
    "text",
    [
        "I do not believe her symptoms are bad enough to need surgery right now.",
        "Neurosurgery felt that she should not have surgery at this point.",
        "It was decided that a revision of the tendon repair was clearly not indicated.",
    ],
)
def test_surgery_set_aside_in_the_words_of_a_report(text: str) -> None:
    assert values_of(text, "surgery_considered") == [False]


def test_surgeries_judged_indicated_are_surgery_considered() -> None:
    text = "His surgeon thought that two more surgeries were indicated."
    assert values_of(text, "surgery_considered") == [True]


@pytest.mark.parametrize(
    "text",
    [
        "I gave fentanyl 50 mcg and midazolam 1 mg for this procedure.",
        "Morphine 2 mg IV was given for sedation before the pins were placed.",
        "The painful bursa was injected with 30 mg of ketorolac.",
    ],
)
def test_a_drug_given_for_the_procedure_is_no_medication(text: str) -> None:
    assert values_of(text, "medication") == []


def test_a_drug_taken_is_still_a_medication_beside_a_procedure_note() -> None:
    text = "She takes Norco 10/325 mg twice a day for her neck pain."
    assert values_of(text, "medication") == ["Norco"]


@pytest.mark.parametrize(
    "text",
    [
        "PROCEDURES PERFORMED:\n1. Bilateral L3 and L4 decompression of the exiting roots.\n",
        "PROCEDURES PERFORMED:\n2. Removal of prior instrumentation, C5-C6.\n",
        "PROCEDURES PERFORMED:\n3. Right L5 to S1 pedicle screw instrumentation.\n",
    ],
)
def test_an_operative_list_item_at_a_spinal_level_is_spine_surgery(text: str) -> None:
    assert "spine-surgery" in values_of(text, "surgery_history")


def test_a_decompression_elsewhere_in_an_operative_list_is_no_spine_surgery() -> None:
    text = "PROCEDURES PERFORMED:\n1. Arthroscopic subacromial decompression, right shoulder.\n"
    assert "spine-surgery" not in values_of(text, "surgery_history")


@pytest.mark.parametrize(
    "text",
    [
        "PROCEDURE: Open release of the right transverse carpal ligament.",
        "PROCEDURE: Carpal tunnel release with transverse carpal ligament reconstruction.",
    ],
)
def test_the_transverse_carpal_ligament_released_is_a_carpal_tunnel_release(text: str) -> None:
    assert values_of(text, "surgery_history") == ["carpal-tunnel-release"]


def test_a_diagnosis_named_by_a_cue_in_a_sentence_of_prose_of_an_impression() -> None:
    text = (
        "IMPRESSION:\nThis is a 40-year-old woman suffering from a chronic cervical and"
        " thoracic strain.\nShe is suffering from recurrent tendinitis of the wrist.\n"
    )
    diagnoses = values_of(text, "diagnosis")
    assert any("cervical and thoracic strain" in str(d) for d in diagnoses)
    assert any("tendinitis of the wrist" in str(d) for d in diagnoses)
    # "impression was ..." restates the heading: a sentence of prose names nothing
    prose = "IMPRESSION:\nOverall impression was mild arthritic change of the knee and hip.\n"
    assert values_of(prose, "diagnosis") == []


@pytest.mark.parametrize(
    "text",
    [
        "IMPRESSION:\n1. Abnormal enhancing lesion in the right proximal humerus.\n",
        "The scan showed an enhancing lesion of the left iliac bone, and possibly the sacrum.",
    ],
)
def test_a_lesion_of_bone_on_imaging_is_a_red_flag(text: str) -> None:
    assert set(values_of(text, "red_flags")) == {True}


@pytest.mark.parametrize(
    "text",
    [
        "There may be an abnormal enhancing lesion in the distal femur.",
        "IMPRESSION:\nQuestionable enhancing lesion in the sacrum.\n",
        "No abnormal enhancing lesion in the pelvic bones.",
    ],
)
def test_a_lesion_of_bone_only_suspected_or_denied_is_no_red_flag(text: str) -> None:
    assert True not in values_of(text, "red_flags")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Radiographs showed lucency around the L5 pedicle screws.", {True}),
        ("The CT showed a pseudarthrosis at L4-L5.", {True}),
        ("The fusion appears solid with intact hardware.", set()),
    ],
)
def test_a_fusion_suspected_of_failing(sentence: str, expected: set[object]) -> None:
    assert set(values_of(sentence, "fusion_failure_suspected")) == expected


@pytest.mark.parametrize(
    "text",
    [
        # an examination's shorthand: a joint's motion found intact with no verb
        "EXAM:\nThe patient has wrist flexion/extension of the hand intact.\n",
        "EXAM:\nPronation/supination fully intact on both sides.\n",
        "EXAM:\nElbow motion grossly intact.\n",
    ],
)
def test_a_motion_written_intact_without_a_verb_is_no_deficit(text: str) -> None:
    assert values_of(text, "functional_deficits") == [False]


@pytest.mark.parametrize(
    "text",
    [
        # what is intact is not the motion: the skin, the nerves and vessels
        "EXAM:\nPainful motion of the knee, skin intact.\n",
        "EXAM:\nShoulder motion to 90 degrees, neurovascularly intact.\n",
    ],
)
def test_something_else_intact_beside_a_motion_denies_no_deficit(text: str) -> None:
    assert False not in values_of(text, "functional_deficits")


def test_an_emg_impression_reads_radiculopathy_as_the_studys_finding() -> None:
    # the study is named at the head of the impression, not in the sentence that finds
    text = (
        "IMPRESSION:  The electrodiagnostic examination today is abnormal.  Findings:\n"
        "1.  Chronic denervation of the left tibialis anterior.\n"
        "2.  A mild left L5 radiculopathy.  There is no evidence of right-sided radiculopathy.\n"
    )
    assert set(values_of(text, "imaging_corroborates_radiculopathy")) == {True, False}


def test_radiculopathy_after_an_emg_named_outside_its_impression_is_no_study_finding() -> None:
    # an EMG named in the history, then a radiculopathy of the history: no study's finding;
    # nor the impression of a study named under another heading
    history = "HISTORY:\nShe had an EMG last year.  She has lumbar radiculopathy.\n"
    assert values_of(history, "imaging_corroborates_radiculopathy") == []
    other = "PROCEDURE:\nEMG of both legs.\n\nIMPRESSION:\nLumbar radiculopathy.\n"
    assert values_of(other, "imaging_corroborates_radiculopathy") == []


@pytest.mark.parametrize(
    "text",
    [
        # a treatment that gave part of the relief wanted, or had little effect
        "She was treated symptomatically with ibuprofen with only partial relief.",
        "He has had tramadol and a brace, which were not effective.",
        "Physical therapy and naproxen have not been particularly beneficial.",
    ],
)
def test_a_treatment_of_limited_effect_is_conservative_care_failed(text: str) -> None:
    assert values_of(text, "failed_conservative_care") == [True]
    assert True in values_of(text, "conservative_care_tried")


@pytest.mark.parametrize(
    "text",
    [
        # symptoms a patient says have not changed, or pain going on at the same level
        "She denies any change in her symptoms since the last visit.",
        "Over the last month the neck pain has remained at about the same intensity.",
    ],
)
def test_symptoms_stated_unchanged_are_no_significant_change(text: str) -> None:
    assert values_of(text, "significant_change") == [False]


@pytest.mark.parametrize(
    "text",
    [
        # a change only named, and a spine level that is "the same"
        "He reports a change in his symptoms with cold weather.",
        "There is also foraminal stenosis at the same level.",
    ],
)
def test_a_change_named_or_a_same_level_states_no_change_denied(text: str) -> None:
    assert False not in values_of(text, "significant_change")

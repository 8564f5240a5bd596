"""Fact extraction: spans are exact, negation and history are handled."""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr.errors import LibraryErrors
from openimr.extract import extract_facts
from openimr.extract.patterns import load_rules
from openimr.extract.sentences import sentence_starts
from openimr.model import Fact
from records_support import text_record as record


def facts_named(facts: list[Fact], name: str) -> list[Fact]:
    return [f for f in facts if f.name == name]


def test_every_span_quotes_the_record_exactly(seed_case) -> None:  # type: ignore[no-untyped-def]
    text = (seed_case / "records" / "2013-08-19-pr2-delgado.txt").read_text()
    rec = record(text, "records/2013-08-19-pr2-delgado.txt")
    facts = extract_facts([rec])
    assert facts
    for fact in facts:
        for span in fact.spans:
            assert rec.text[span.start : span.end] == span.quote
            assert span.record == rec.path


@pytest.mark.parametrize(
    ("sentence", "name", "value"),
    [
        ("The patient denies numbness or tingling in the legs.", "radicular_symptoms", False),
        ("She reports numbness in the right foot.", "radicular_symptoms", True),
        (
            "There is no functional improvement with physical therapy.",
            "functional_improvement",
            False,
        ),
        (
            "Objective functional improvement was documented after chiropractic care.",
            "functional_improvement",
            True,
        ),
        ("No red flags are identified.", "red_flags", False),
        ("Straight leg raising is positive on the right.", "objective_radiculopathy", True),
    ],
)
def test_negation_gives_false_and_affirmation_true(sentence: str, name: str, value: bool) -> None:
    found = facts_named(extract_facts([record(sentence)]), name)
    assert found, f"{name} not found in {sentence!r}"
    assert found[0].value is value


def test_the_therapy_named_qualifies_counts_and_history() -> None:
    text = "She completed 12 sessions of physical therapy last year. Chiropractic care was not helpful."
    facts = extract_facts([record(text)])
    visits = facts_named(facts, "prior_visits")
    assert [(f.value, f.qualifier) for f in visits] == [(12, "physical-therapy")]
    prior = {f.qualifier for f in facts_named(facts, "prior_therapy")}
    assert "physical-therapy" in prior


def test_relief_after_an_injection_is_read_as_percent_and_weeks() -> None:
    text = "After the epidural steroid injection on 3/1/2013 she had 60% pain relief for 8 weeks."
    facts = extract_facts([record(text)])
    assert facts_named(facts, "esi_relief_percent")[0].value == 60
    assert facts_named(facts, "esi_relief_weeks")[0].value == 8
    assert facts_named(facts, "prior_esi")[0].value is True


def test_a_planned_injection_is_not_a_prior_one() -> None:
    text = "PLAN:\nWe will consider a lumbar epidural steroid injection if symptoms persist."
    facts = extract_facts([record(text)])
    assert not [f for f in facts_named(facts, "prior_esi") if f.value is True]


def test_unknown_counts_give_no_visit_count() -> None:
    text = "She has had physical therapy in the past; the number of sessions is not known."
    facts = extract_facts([record(text)])
    assert facts_named(facts, "prior_visits") == []
    assert facts_named(facts, "prior_therapy")[0].qualifier == "physical-therapy"


def test_facts_in_an_early_record_are_found() -> None:
    early = record(
        "Electrodiagnostic testing: EMG showed radiculopathy at L5.", "records/2013-01-01-emg.txt"
    )
    late = record("SUBJECTIVE:\nLow back pain.\n", "records/2013-08-01-pr2.txt")
    facts = extract_facts([early, late])
    hits = facts_named(facts, "imaging_corroborates_radiculopathy")
    assert hits and hits[0].spans[0].record == "records/2013-01-01-emg.txt"


def test_sentences_split_at_headings_lists_and_periods_but_not_abbreviations() -> None:
    text = "DIAGNOSES:\n1. Lumbar strain.\n2. Radiculitis.\nSeen by Dr. Chen today. Pain is 5/10."
    starts = sentence_starts(text)
    pieces = [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    assert pieces == [
        "DIAGNOSES:",
        "1. Lumbar strain.",
        "2. Radiculitis.",
        "Seen by Dr. Chen today.",
        "Pain is 5/10.",
    ]


# -- context on records written by others (extraction/context.yaml, sections.yaml) ----------


def values_of(text: str, name: str) -> list[object]:
    return [f.value for f in facts_named(extract_facts([record(text)]), name)]


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        # negation and its reach
        ("Lumbar radiographs are negative for recent fracture.", "red_flags", False),
        ("He reports no significant change in bowel or bladder function.", "red_flags", False),
        ("Bowel and bladder function are reported as normal.", "red_flags", False),
        (
            "She denies dizziness, vision changes, weakness, or change in bowel or bladder function.",
            "red_flags",
            False,
        ),
        # a normal sensory, motor or reflex examination, however written
        ("EXAM:\nSensory: unremarkable.\n", "neurologic_deficit", False),
        (
            "EXAM:\nStrength is intact in both lower extremities.\n",
            "objective_radiculopathy",
            False,
        ),
        ("EXAM:\nHeel and toe walking are normal.\n", "neurologic_deficit", False),
        ("EXAM:\nSLR normal.\n", "objective_radiculopathy", False),
        (
            "EXAM:\nLeft straight-leg raising was positive at 40 degrees.\n",
            "objective_radiculopathy",
            True,
        ),
        # a normal finding or a denial worded otherwise: no goals stated, a motor examination
        # without deficit, a spine study normal as a whole
        ("The patient relates no particular functional goals.", "functional_goals", False),
        (
            "Motor: muscle testing showed no appreciable deficit in the lower extremities.",
            "objective_radiculopathy",
            False,
        ),
        (
            "She had an MRI of the lumbar spine, which was within normal limits.",
            "imaging_corroborates_radiculopathy",
            False,
        ),
        # drugs: an older opioid's brand, a count of tablets before the frequency, a
        # frequency qualified, an anticoagulant taken
        ("CURRENT MEDICATIONS: Darvocet N100.\n", "medication", "Darvocet"),
        (
            "Vicodin 5/325 mg one to two every four to six hours as needed.",
            "medication_frequency",
            "every four to six hours as needed",
        ),
        (
            "She takes ibuprofen 800 mg occasionally as needed.",
            "medication_frequency",
            "occasionally as needed",
        ),
        ("She was discharged on Lovenox 40 mg daily.", "gi_risk_factors", True),
        # a brand name glued to an HTML character reference left in the text
        ("Current medications: Klonopin&reg; 1 mg at bedtime.", "medication", "Klonopin"),
        ("Current medications: Norco&#174; 10/325 twice a day.", "medication", "Norco"),
        # a meniscectomy done through an open fracture fixation is no knee arthroscopy
        (
            "PROCEDURES PERFORMED: Open reduction and internal fixation of a right tibial"
            " plateau fracture with partial medial meniscectomy.\n",
            "surgery_history",
            "surgery-other",
        ),
        # a course stated: an assessment item closed by ", stable", a condition that has
        # remained stable, a study's progression
        (
            "ASSESSMENT:\n1. Lumbar facet syndrome on the right, stable.\n",
            "significant_change",
            False,
        ),
        ("Her low back pain has remained stable.", "significant_change", False),
        (
            "The x-ray showed significant progression of disease since the prior study.",
            "significant_change",
            True,
        ),
        # a family member told or present is a listener: the sentence is about the patient
        (
            "I recommended to her and her mother that she see a surgeon for surgical evaluation.",
            "surgery_considered",
            True,
        ),
        # an operation the patient wishes, a condition requires or a surgeon entertains
        ("She wished to undergo a revision of her knee replacement.", "surgery_considered", True),
        ("Trigger finger, requiring a trigger finger release.", "surgery_considered", True),
        (
            "The surgeon raised the possibility of revising the tibial tray.",
            "surgery_considered",
            True,
        ),
        # a pain rating: on a scale named without its top; the worst and least are a range
        ("Pain scale is 0.", "pain_score", 0),
        ("Pain is 5/10 now, 9/10 for worst pain and 2/10 for her least pain.", "pain_score", 5),
        # treatments by name: a botulinum toxin injection given weeks ago, a CPM machine used
        ("She received a botulinum toxin injection two weeks ago.", "prior_therapy", True),
        ("She is to continue the CPM machine while in bed.", "prior_therapy", True),
        # thigh or arm pain in a sentence about the spine
        (
            "He was seen for complaints of low back and right thigh pain.",
            "radicular_symptoms",
            True,
        ),
        # pain drugs the patient cannot take
        ("She is intolerant to most oral analgesics.", "medication_reduced_or_not_tolerated", True),
        # a follow-up for medication re-evaluation is for medication management
        (
            "She will return for a follow-up appointment for medication re-evaluation.",
            "visit_purpose",
            "medication-management",
        ),
        # pain that grew with a treatment: the treatment failed
        ("She reported increasing pain with physical therapy.", "failed_conservative_care", True),
        # care going on, continued, is care tried
        ("We continued her on her pain medications.", "conservative_care_tried", True),
        ("Continue with ice and the walking boot.", "conservative_care_tried", True),
        # systemic (constitutional) symptoms denied: no red flags
        ("Constitutional symptoms: none.", "red_flags", False),
        # "negative signs of" denies what follows: a nerve's compression found absent
        (
            "EXAMINATION:\nNeurologic: Negative signs of ulnar nerve compression at the elbow.\n",
            "neurologic_deficit",
            False,
        ),
        # the risks of surgery discussed: surgery is considered
        ("Risks and benefits of surgery were discussed.", "surgery_considered", True),
        # "Status post" an operation or injury is a diagnosis of its own; "suffering from"
        # names one
        (
            "ASSESSMENT: Status post right ACL reconstruction.\n",
            "diagnosis",
            "Status post right ACL reconstruction",
        ),
        ("He is suffering from lumbar radiculopathy.", "diagnosis", "lumbar radiculopathy"),
        # an injection note's own procedure is care given
        ("PROCEDURE:  Caudal epidural steroid injection.\n", "prior_esi", True),
    ],
)
def test_context_on_wording_of_others(text: str, name: str, value: object) -> None:
    # one value read (a mention at a list of regions is a fact at each)
    assert list(dict.fromkeys(values_of(text, name))) == [value]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # risks listed in a consent are no findings, negated or not
        ("Risks include paralysis, infection, bleeding and death.", "red_flags"),
        ("Risks include paralysis, infection, bleeding and death.", "neurologic_deficit"),
        (
            "The risks of the procedure including but not limited to infection were discussed.",
            "red_flags",
        ),
        ("INFORMED CONSENT: Possible nerve injury and infection were explained.\n", "red_flags"),
        # a consent discussion in running prose over several sentences, up to the one where
        # the patient agrees: each sentence states no finding
        (
            "We went over the risks and benefits of surgery with her. Bleeding is possible. "
            "A deep infection could need another operation. She may have new leg weakness. "
            "She understood these risks and wished to proceed.",
            "red_flags",
        ),
        # instructions on what to report or come back for
        ("She was instructed to call for fever, weakness or loss of bladder control.", "red_flags"),
        ("POST PROCEDURE INSTRUCTIONS: Report any fever or leg weakness.\n", "red_flags"),
        # questions put to an examiner
        ("QUESTION: Is further treatment indicated for the radiculopathy?\n", "radicular_symptoms"),
        ("Does she need another epidural steroid injection?", "prior_esi"),
        (
            "An EMG is ordered to determine whether there is a nerve root injury.",
            "neurologic_deficit",
        ),
        # unticked check boxes of a form
        ("Findings: [ ] radiculopathy  [ ] fracture", "radicular_symptoms"),
        ("Findings: [ ] radiculopathy  [ ] fracture", "red_flags"),
        # plans and hypotheticals
        ("If symptoms persist, consider MRI of the lumbar spine.", "prior_imaging"),
        ("Treatment will consist of chiropractic manipulation and massage.", "prior_therapy"),
        ("Perhaps a course of physical therapy may be helpful.", "prior_therapy"),
        ("I would recommend a series of epidural steroid injections.", "prior_esi"),
        # goals set for the patient state what should be, not what is
        (
            "The patient will demonstrate independence with a home exercise program.",
            "home_exercise_program",
        ),
        ("The patient is to report maximum 3/10 pain with weightbearing.", "pain_score"),
        ("LONG-TERM GOALS: Patient to walk 500 feet without difficulty.\n", "functional_deficits"),
        ("Her goal is to return to work at full duty.", "work_status"),
        # a response a procedure provokes on purpose (a stimulation test, a needle) is a test
        # result, not a symptom
        (
            "With sensory stimulation of each nerve, he felt tingling in the buttock at 0.3 V.",
            "radicular_symptoms",
        ),
        ("Tingling into the thigh was reproduced at 0.6 volts.", "radicular_symptoms"),
        ("She described concordant numbness on stimulation of the L5 level.", "radicular_symptoms"),
        ("Brief tingling down the leg occurred during needle advancement.", "radicular_symptoms"),
        # the alternatives listed in a consent discussion
        (
            "Alternatives to the procedure, including continued therapy or no treatment at"
            " all, were discussed.",
            "prior_therapy",
        ),
        # a differential diagnosis
        ("The differential diagnosis includes tumor and infection.", "red_flags"),
        ("The differential diagnosis includes tumor and infection.", "diagnosis"),
        # history and family history are not current findings
        ("In 2009 he sustained a compression fracture of L1.", "red_flags"),
        ("PAST MEDICAL HISTORY: Remote fracture of the right femur.\n", "red_flags"),
        ("FAMILY HISTORY: Mother had breast cancer.\n", "red_flags"),
        # drugs given during a procedure are not drugs the patient takes
        (
            "PROCEDURE DETAILS: 80 mg of Depo-Medrol and 2 mL of lidocaine were injected.\n",
            "medication",
        ),
        # prose in an impression is no diagnosis
        ("IMPRESSION:\nI would recommend a repeat study in six weeks.\n", "diagnosis"),
        # a statement about patients in general, a prognosis, risks discussed, a benefit
        # expected
        ("Most patients get better with physical therapy.", "prior_therapy"),
        (
            "Prognosis is good with compliance with a home exercise program.",
            "home_exercise_program",
        ),
        (
            "Risks and benefits were discussed, including but not exclusive of infection.",
            "red_flags",
        ),
        ("Continued chiropractic treatment should be of benefit.", "prior_therapy"),
        # an examination fact from what is not a neurologic examination: a symptom denied in a
        # review of systems, a joint's motion reported intact
        (
            "NEURO: The patient denies seizures, motor weakness or sensory symptoms.\n",
            "neurologic_deficit",
        ),
        ("Supination and pronation grossly intact.", "objective_radiculopathy"),
        # a drug the patient is allergic to is not taken
        ("ALLERGIES: Penicillin and aspirin.\n", "gi_risk_factors"),
        # a fact's word in another sense: a treatment's name, a structure's "chronic", a
        # treatment that has not worked, a walk stopped
        ("She was referred to a chronic pain program.", "chronic_pain"),
        ("There is chronic instability of the left shoulder.", "chronic_pain"),
        ("He is here because conservative treatment has not worked.", "work_status"),
        ("She stopped after 300 feet of walking.", "medication_reduced_or_not_tolerated"),
        # a diffuse, patchy or global deficit, or a peripheral nerve's territory, is no root's
        ("There is diffuse decreased sensation in the left leg.", "objective_radiculopathy"),
        ("Strength is grossly 4/5 in all extremities.", "objective_radiculopathy"),
        (
            "She has tingling over the common peroneal nerve at the fibular head.",
            "radicular_symptoms",
        ),
    ],
)
def test_mentions_that_state_no_finding_give_no_fact(text: str, name: str) -> None:
    assert values_of(text, name) == []


def test_a_goal_is_still_a_goal() -> None:
    # the goal statement that says nothing else still states the functional goal
    text = "The patient will tolerate 1000 feet of walking without increase in pain."
    assert values_of(text, "functional_goals") == [True]
    assert values_of("SHORT-TERM GOALS: Independent with stairs.\n", "functional_goals") == [True]
    # the same findings stated as they are, outside a goal, still count
    assert values_of("She is doing her home exercise program daily.", "home_exercise_program") == [
        True
    ]
    assert values_of("Pain is 6/10 today.", "pain_score") == [6]


def test_a_ticked_box_and_a_current_drug_list_still_count() -> None:
    assert values_of("Findings: [ ] radiculopathy  [x] sciatica", "radicular_symptoms") == [True]
    facts = extract_facts(
        [
            record(
                "PROCEDURE DETAILS: 80 mg of Depo-Medrol was injected.\n\n"
                "MEDICATIONS: Medrol Dosepak 4 mg daily.\n"
            )
        ]
    )
    assert [f.value for f in facts_named(facts, "medication")] == ["Medrol Dosepak"]
    # a consent discussion ends where the patient agrees: a finding after it is stated, and
    # with no agreement in reach only the opening sentence states no finding
    agreed = (
        "The risks were explained to him. Infection may occur. He agreed to proceed. "
        "On examination there is progressive weakness of the left leg."
    )
    flags = facts_named(extract_facts([record(agreed)]), "red_flags")
    assert flags
    assert {s.quote for f in flags for s in f.spans} == {
        "On examination there is progressive weakness of the left leg."
    }
    open_ended = (
        "The risks of injection were explained. There is progressive weakness of the left leg."
    )
    assert set(values_of(open_ended, "red_flags")) == {True}
    # a plan to operate is still a surgery considered, beside the risks it lists
    text = "Surgical options were discussed; the risks include infection and paralysis."
    assert values_of(text, "surgery_considered") == [True]
    assert values_of(text, "red_flags") == []


# -- ConText negation of the findings read by patterns -----------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        # a positive finding read by a pattern, denied: false
        (
            "Examination shows no positive straight leg raise on either side.",
            "objective_radiculopathy",
            False,
        ),
        ("There has been no progressive leg weakness.", "red_flags", False),
        ("There has been no progressive leg weakness.", "significant_change", False),
        ("She has no difficulty sitting or standing.", "functional_deficits", False),
        ("The lumbar MRI is negative for disc herniation.", "surgical_lesion_on_imaging", False),
        # the same findings stated: true
        (
            "Examination shows a positive straight leg raise on the left.",
            "objective_radiculopathy",
            True,
        ),
        ("He has difficulty sitting for more than an hour.", "functional_deficits", True),
        # a negation inside the match is the finding itself, not its denial
        ("Achilles reflexes are absent bilaterally.", "neurologic_deficit", True),
        # a number is never negated
        ("Pain without medication is 8/10.", "pain_score", 8.0),
    ],
)
def test_patterns_respect_context_negation(text: str, name: str, value: object) -> None:
    assert values_of(text, name) == [value]


def test_a_denied_quality_of_relief_gives_none() -> None:
    esi = "She had a lumbar epidural steroid injection"
    assert values_of(f"{esi} without any significant relief.", "esi_relief_qualitative") == []
    assert values_of(f"{esi} but did not get good relief.", "esi_relief_qualitative") == []
    assert values_of(f"{esi} with good relief.", "esi_relief_qualitative") == ["good relief"]
    assert values_of(f"{esi} with no relief.", "esi_relief_qualitative") == ["no relief"]


def test_a_number_pattern_cannot_be_negated(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "patterns:\n"
        "  - fact: pain_score\n"
        "    regex: '(?P<value>\\d+)/10'\n"
        "    type: number\n"
        "    when_negated: nothing\n"
    )
    with pytest.raises(LibraryErrors) as info:
        load_rules(rules)
    assert "when_negated" in str(info.value)


def test_a_rule_that_only_ends_a_reach_denies_nothing() -> None:
    # medspaCy files "secondary to" under negation, but only to end other modifiers' reach
    text = "Pain secondary to strain; deep tendon reflexes 1+ at the biceps."
    assert values_of(text, "neurologic_deficit") == [True]


def test_waking_up_from_sleep_is_no_functional_improvement() -> None:
    text = "He reported waking up from sleeping with pain in the right arm."
    assert values_of(text, "functional_improvement") == []
    assert values_of("Knee flexion improved from 90 to 120 degrees.", "functional_improvement") == [
        True
    ]


def test_a_motion_found_intact_is_no_functional_deficit() -> None:
    assert True not in values_of("Internal/external rotation is intact.", "functional_deficits")
    assert values_of("Rotation is limited to 40 degrees.", "functional_deficits") == [True]


def test_an_account_of_no_treatment_but_one_is_an_account_of_treatment_to_date() -> None:
    assert values_of("No prior treatment other than ibuprofen.", "treatment_history") == [True]
    assert values_of("He has had no treatment for the neck.", "treatment_history") == [True]
    assert values_of(
        "The plan is to start gabapentin for nerve pain.", "therapy_start_planned"
    ) == [True]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a negation word right before a phrase that begins with a word of a longer negation
        # rule ("no prior" beside "prior electrodiagnostic testing"): still denied
        (
            "There has been no prior electrodiagnostic testing of the arms.",
            "prior_electrodiagnostics",
        ),
        ("She has had no previous physical therapy for the knee.", "prior_therapy"),
    ],
)
def test_a_negation_word_right_before_a_phrase_denies_it(text: str, name: str) -> None:
    assert values_of(text, name) == [False]


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        # conservative care that did not relieve, worded as typical summaries word it
        (
            "She tried therapy and ibuprofen without adequate relief.",
            "failed_conservative_care",
            True,
        ),
        ("Two injections gave temporary relief only.", "failed_conservative_care", True),
        ("He has done therapy and NSAIDs without relief.", "failed_conservative_care", True),
        # an activity limit worded as what the pain keeps the patient from
        ("The pain is limiting his ability to lift at work.", "functional_deficits", True),
        # facet signs with the spinal region between, or as pain on loading
        ("There is tenderness over the lower lumbar facet joints.", "facet_pain_signs", True),
        ("He has pain on facet loading bilaterally.", "facet_pain_signs", True),
    ],
)
def test_findings_worded_as_summaries_word_them(text: str, name: str, value: object) -> None:
    assert value in values_of(text, name)


def test_a_corticosteroid_injected_is_no_gastrointestinal_risk() -> None:
    assert (
        values_of("She had two corticosteroid injections in the shoulder.", "gi_risk_factors") == []
    )
    assert values_of("She takes prednisone daily with her naproxen.", "gi_risk_factors") == [True]


def test_motion_short_of_full_is_a_deficit() -> None:
    assert values_of("He still lacks full range of motion of the knee.", "functional_deficits") == [
        True
    ]
    assert values_of("He has full range of motion of the knee.", "functional_deficits") == [False]


def test_a_gain_named_only_as_function_is_no_functional_improvement() -> None:
    assert values_of("Tramadol allows her to function.", "functional_improvement") == []
    assert values_of("Tramadol allows her to walk a mile.", "functional_improvement") == [True]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The knee catches, which limits his walking and kneeling.", [True]),
        ("Neck pain restricts her ability to drive.", [True]),
        ("The pain no longer limits his walking.", []),
        ("It does not limit her sitting.", [False]),
    ],
)
def test_a_condition_that_limits_an_activity_is_a_deficit(text: str, value: list[object]) -> None:
    assert values_of(text, "functional_deficits") == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a tolerance for an activity increased with a treatment
        ("After physical therapy her standing tolerance has improved to an hour.", [True]),
        # less medication needed since a treatment: a reduced dependency on treatment
        ("Since starting acupuncture he has cut his Norco use in half.", [True]),
        # a drug reduced for its side effects, or with no treatment named, is no gain
        ("The Norco dose was reduced due to sedation after therapy.", []),
        ("He reduced his tramadol to once a day.", []),
    ],
)
def test_more_activity_or_less_medication_with_a_treatment_is_improvement(
    text: str, value: list[object]
) -> None:
    assert values_of(text, "functional_improvement") == value

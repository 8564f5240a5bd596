"""Facts carry the side and body region of their mention; a finding about another part of
the body, or the other side, does not meet a criterion about the requested part."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import spacy

from openimr.engine.determine import determine
from openimr.engine.logic import located_for, region_fits, side_fits
from openimr.extract import extract_facts
from openimr.extract.locate import Location, Locator, load_location_rules
from openimr.library.loader import default_library
from openimr.model import (
    Case,
    DisputedItem,
    Fact,
    ParsedRequest,
    Patient,
    Span,
    Status,
    UtilizationReview,
)
from openimr.render.summary import write_summary
from openimr.yamlio import YamlError
from records_support import text_record as _record


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator(spacy.blank("en").tokenizer)


def _facts(text: str, name: str) -> list[Fact]:
    return [f for f in extract_facts([_record(text)]) if f.name == name]


# -- the model ---------------------------------------------------------------------------------


def test_side_and_region_are_optional_fields_of_a_fact() -> None:
    old = {"name": "red_flags", "value": True, "qualifier": None}
    fact = Fact.model_validate(old)  # a fact written before the fields existed still reads
    assert fact.side is None and fact.region is None
    located = Fact(name="effusion", value=True, side="left", region="knee")
    dumped = json.loads(located.model_dump_json())
    assert dumped["side"] == "left" and dumped["region"] == "knee"
    assert dumped["name"] == "effusion" and dumped["value"] is True  # existing fields kept
    with pytest.raises(ValueError):
        Fact(name="effusion", value=True, side="top")


# -- where a mention is ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "mention", "side", "region"),
    [
        (
            "MRI of the left knee showed a complex tear of the medial meniscus.",
            "tear",
            "left",
            "knee",
        ),
        ("Right shoulder pain and left knee effusion.", "effusion", "left", "knee"),
        ("Right shoulder pain and left knee effusion.", "pain", "right", "shoulder"),
        ("Tenderness of both knees.", "Tenderness", "bilateral", "knee"),
        ("The shoulders are tender bilaterally.", "tender", "bilateral", "shoulder"),
        ("Numbness in the left lower extremity.", "Numbness", "left", "lower-extremity"),
        (
            "L4-5 disc protrusion with right foraminal narrowing.",
            "narrowing",
            "right",
            "lumbar-spine",
        ),
        ("McMurray test is positive on the left.", "McMurray", "left", None),
        ("He went back to work and feels all right.", "work", None, None),
        ("Increased T2 signal is seen.", "signal", None, None),
        ("She wants to start right away.", "start", None, None),
        ("He is right-hand dominant.", "dominant", None, None),
        ("Straight leg raise is positive.", "positive", None, None),
    ],
)
def test_the_side_and_region_named_nearest_the_mention(
    locator: Locator, sentence: str, mention: str, side: str | None, region: str | None
) -> None:
    at = sentence.index(mention)
    assert locator.near(sentence, at, at + len(mention)) == Location(side=side, region=region)


def test_a_heading_names_one_location_only(locator: Locator) -> None:
    assert locator.whole("MRI OF THE RIGHT SHOULDER") == Location("right", "shoulder")
    assert locator.whole("MRI lumbar spine without contrast") == Location(None, "lumbar-spine")
    assert locator.whole("Left shoulder and right knee") == Location()


def test_the_location_words_file_names_the_line_of_a_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "locations.yaml"
    bad.write_text("version: 1\nsides:\n  left: [left]\n  upper: [up]\n")
    with pytest.raises(YamlError) as err:
        load_location_rules(bad)
    assert "upper" in str(err.value) and ":4" in str(err.value)
    bad.write_text("version: 1\nnot_region:\n  - '(unclosed'\n")
    with pytest.raises(YamlError, match="regular expression"):
        load_location_rules(bad)


# -- extraction --------------------------------------------------------------------------------


def test_a_finding_takes_the_side_and_region_of_its_sentence() -> None:
    (tear,) = _facts(
        "MRI of the right knee showed a tear of the medial meniscus.", "meniscal_tear_on_imaging"
    )
    assert (tear.side, tear.region) == ("right", "knee")


def test_a_symptom_named_in_a_list_of_limbs_is_located_at_each() -> None:
    facts = _facts(
        "Her neck pain travels down both arms and into both legs, with tingling.",
        "radicular_symptoms",
    )
    assert {("bilateral", "arm"), ("bilateral", "leg")} <= {(f.side, f.region) for f in facts}
    # a region of another clause, not listed with it, is not the symptom's
    facts = _facts("Tingling goes into the right arm; the knees ache.", "radicular_symptoms")
    assert {(f.side, f.region) for f in facts} == {("right", "arm")}


def test_a_finding_under_a_subheading_takes_the_headings_location() -> None:
    text = (
        "OBJECTIVE:\nRight shoulder: full range of motion.\n\nLEFT KNEE:\n"
        "There is a moderate effusion. McMurray test is positive.\n"
    )
    (effusion,) = [f for f in _facts(text, "effusion") if f.value is True]
    assert (effusion.side, effusion.region) == ("left", "knee")


def test_the_impression_of_a_report_takes_the_part_its_title_names() -> None:
    text = (
        "MRI OF THE LEFT SHOULDER WITHOUT CONTRAST\n\nFINDINGS:\nThe labrum is intact.\n\n"
        "IMPRESSION:\nFull-thickness tear of the supraspinatus tendon, consistent with the MRI "
        "findings above.\n"
    )
    (tear,) = _facts(text, "full_thickness_cuff_tear")
    assert (tear.side, tear.region) == ("left", "shoulder")


def test_a_record_head_naming_two_parts_locates_nothing() -> None:
    text = (
        "EXAM: MRI of the left shoulder and right knee\n\nIMPRESSION:\n"
        "Findings consistent with a full-thickness tear.\n"
    )
    (tear,) = _facts(text, "full_thickness_cuff_tear")
    assert (tear.side, tear.region) == (None, None)


def test_a_sentence_that_names_its_own_region_keeps_it_under_another_heading() -> None:
    text = "LEFT KNEE:\nX-rays of the right wrist showed a fracture of the distal radius.\n"
    (flag,) = _facts(text, "red_flags")
    assert (flag.side, flag.region) == ("right", "wrist")


def test_a_weight_loss_goal_is_no_red_flag_but_unexplained_weight_loss_is() -> None:
    assert _facts("Her weight loss goal is 20 pounds with diet and exercise.", "red_flags") == []
    assert _facts("He is enrolled in a weight loss program.", "red_flags") == []
    (flag,) = _facts("He reports unexplained weight loss of 15 pounds.", "red_flags")
    assert flag.value is True
    (denied,) = _facts("She denies fevers or weight loss.", "red_flags")
    assert denied.value is False


# -- the engine --------------------------------------------------------------------------------


def _request(
    text: str, treatment: str, regions: tuple[str, ...], side: str | None
) -> ParsedRequest:
    return ParsedRequest(
        text=text,
        disputed=text,
        treatment=treatment,
        body_regions=regions,
        side=side,  # type: ignore[arg-type]
    )


def _status(facts: list[Fact], request: ParsedRequest, criterion: str) -> Status:
    day = dt.date(2016, 12, 20)
    case = Case(
        patient=Patient(age=40, date_of_injury=day - dt.timedelta(days=200)),
        utilization_review=UtilizationReview(date=day, items=(DisputedItem(request=request.text),)),
    )
    det = determine(case, request, facts, default_library())
    return next(ev.status for ev in det.evaluated if ev.criterion.id == criterion)


def _tear(side: str | None, region: str | None) -> Fact:
    quote = "MRI showed a tear of the medial meniscus."
    span = Span(record="records/mri.txt", start=0, end=len(quote), quote=quote)
    return Fact(
        name="meniscal_tear_on_imaging",
        value=True,
        spans=(span,),
        side=side,  # type: ignore[arg-type]
        region=region,
    )


@pytest.mark.parametrize(
    ("side", "region", "expected"),
    [
        ("right", "knee", Status.MET),
        ("left", "knee", Status.NOT_DOCUMENTED),  # the other knee
        ("right", "shoulder", Status.NOT_DOCUMENTED),  # another part
        ("bilateral", "knee", Status.MET),
        (None, None, Status.MET),  # unlocated: counts
        ("right", None, Status.MET),
        ("left", None, Status.NOT_DOCUMENTED),
        (None, "leg", Status.MET),  # the knee's neighbour
        (None, "lower-extremity", Status.MET),  # the limb as a whole
    ],
)
def test_a_tear_on_another_part_or_side_does_not_meet_the_criterion(
    side: str | None, region: str | None, expected: Status
) -> None:
    request = _request(
        "Right knee arthroscopy with partial meniscectomy", "knee-arthroscopy", ("knee",), "right"
    )
    assert _status([_tear(side, region)], request, "tear-on-mri") is expected


def test_a_request_naming_no_side_or_region_keeps_every_finding() -> None:
    request = _request("Knee arthroscopy", "knee-arthroscopy", (), None)
    assert _status([_tear("left", "shoulder")], request, "tear-on-mri") is Status.MET


def test_a_located_and_an_unlocated_finding_of_one_kind() -> None:
    request = _request("Left knee arthroscopy", "knee-arthroscopy", ("knee",), "left")
    both = [_tear("right", "knee"), _tear(None, None)]
    assert _status(both, request, "tear-on-mri") is Status.MET


def test_facts_that_are_not_about_a_body_part_are_not_filtered() -> None:
    # failed conservative care is not a finding of one part: where its sentence is does not
    # matter, while a tear located on the other side does
    request = _request("Left knee arthroscopy", "knee-arthroscopy", ("knee",), "left")
    failed = Fact(name="failed_conservative_care", value=True, side="right", region="shoulder")
    lib = default_library()
    assert not lib.facts["failed_conservative_care"].located
    assert lib.facts["meniscal_tear_on_imaging"].located
    assert located_for(failed, request) is False  # what the filter would say of it
    assert _status([failed], request, "failed-conservative-care") is Status.MET


def test_region_and_side_fit_rules() -> None:
    assert region_fits("lower-extremity", ("lumbar-spine",))  # where lumbar roots show
    assert not region_fits("knee", ("lumbar-spine",))
    assert region_fits("toe", ("foot",)) and region_fits("pelvis", ("hip",))
    assert region_fits("knee", ("lower-extremity",))
    assert not region_fits("cervical-spine", ("lumbar-spine",))
    assert side_fits("left", "bilateral") and side_fits("bilateral", "right")
    assert not side_fits("left", "right")


def test_a_left_knee_mri_is_no_prior_study_for_a_right_knee_mri() -> None:
    facts = extract_facts(
        [_record("An MRI of the left knee dated 12/08/2016 showed chondromalacia.")]
    )
    prior = [f for f in facts if f.name == "prior_imaging"]
    assert prior and (prior[0].side, prior[0].region) == ("left", "knee")
    right = _request("MRI of the right knee", "mri-knee", ("knee",), "right")
    left = _request("MRI of the left knee", "mri-knee", ("knee",), "left")
    assert _status(facts, right, "repeat-study") is Status.NOT_APPLICABLE
    assert _status(facts, left, "repeat-study") is not Status.NOT_APPLICABLE


# -- the summary -------------------------------------------------------------------------------


def test_the_summary_names_the_side_and_region_a_clause_does_not() -> None:
    text = "MRI OF THE LEFT KNEE\n\nIMPRESSION:\n1. Small joint effusion.\n2. Chondromalacia.\n"
    rec = _record(text, "records/mri.txt")
    day = dt.date(2016, 12, 20)
    case = Case(
        patient=Patient(age=40, sex="female", date_of_injury=day - dt.timedelta(days=200)),
        utilization_review=UtilizationReview(
            date=day, items=(DisputedItem(request="Left knee arthroscopy"),)
        ),
        records=(rec,),
    )
    summary, _ = write_summary(case, extract_facts([rec]))
    assert "small joint effusion, left knee" in summary
    assert "chondromalacia, left knee" in summary


def test_both_states_a_side_only_next_to_a_region(locator: Locator) -> None:
    text = "There was mild laxity on both sides."
    at = text.index("laxity")
    assert locator.near(text, at, at + 6).side is None
    assert locator.whole("Pain in both knees.") == Location("bilateral", "knee")


def test_a_record_about_the_right_knee_gives_its_side_to_knee_findings_that_state_none() -> None:
    text = (
        "He underwent surgery on the right knee in 2010. The right knee has been painful.\n\n"
        "On examination the knee shows an effusion.\n"
    )
    (effusion,) = [f for f in _facts(text, "effusion") if f.value is True]
    assert (effusion.side, effusion.region) == ("right", "knee")


def test_the_location_words_file_refuses_an_unknown_key_and_a_negative_number(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "locations.yaml"
    bad.write_text("version: 1\nsides:\n  left: [left]\nsidez: {}\n")
    with pytest.raises(YamlError) as err:
        load_location_rules(bad)
    assert "sidez" in str(err.value) and ":4" in str(err.value)
    bad.write_text("version: 1\nheader_chars: -3\n")
    with pytest.raises(YamlError) as err:
        load_location_rules(bad)
    assert "header_chars" in str(err.value) and ":2" in str(err.value)

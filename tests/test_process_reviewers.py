"""Reviewer qualifications, conflict screen, specialty map, ranking and letter paragraph."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from openimr.errors import LibraryError
from openimr.process.names import name_tokens, names_match
from openimr.process.reviewers import (
    Affiliation,
    BoardCertification,
    CaseParties,
    DisciplinaryAction,
    License,
    QualificationPolicy,
    ReviewerError,
    ReviewerProfile,
    conflicts,
    credentials_paragraph,
    load_specialty_map,
    parse_specialty_map,
    qualification_issues,
    qualification_problems,
    rank_candidates,
    reviewer_specialties,
    specialties_for,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
TODAY = dt.date(2024, 6, 1)


def reviewer(rid: str = "r1", **changes: Any) -> ReviewerProfile:
    fields: dict[str, Any] = {
        "id": rid,
        "name": "Dr. Jane Q. Roe, M.D.",
        "licenses": [License(state="California", number="A12345")],
        "board_certifications": [
            BoardCertification(
                board="American Board of Anesthesiology",
                specialty="Anesthesiology",
                subspecialty="Pain Medicine",
            )
        ],
        "specialties": [],
        "years_in_practice": 12,
        "weekly_practice_hours": 32,
        "current_load": 3,
        "max_load": 10,
    }
    fields.update(changes)
    return ReviewerProfile(**fields)


PARTIES = CaseParties(
    employer="Golden State Warehousing, Inc.",
    insurer="Acme Insurance Company",
    claims_administrator="Sedgwick Claims Management Services, Inc.",
    ur_organization="UR Partners LLC",
    providers=["Ana Delgado, MD", "Valley Spine Institute"],
    facility="Mercy Surgery Center",
    manufacturers=["Medtronic plc"],
    employee="Maria Lopez",
    employee_attorney="Smith & Jones LLP",
)


# -- qualifications -------------------------------------------------------------------------


def test_qualified_reviewer_has_no_problems() -> None:
    assert qualification_problems(reviewer(), today=TODAY) == []


QUALIFICATION_CASES: list[tuple[dict[str, Any], str]] = [
    ({"active": False}, "inactive"),
    ({"licenses": []}, "no_license"),
    (
        {"licenses": [License(state="CA", number="1", expires=dt.date(2024, 5, 31))]},
        "no_license",
    ),
    ({"licenses": [License(state="CA", number="1", status="expired")]}, "no_license"),
    (
        {
            "licenses": [
                License(state="CA", number="1"),
                License(state="NV", number="2", status="restricted"),
            ]
        },
        "license_restricted",
    ),
    (
        {
            "board_certifications": [
                BoardCertification(board="ABA", specialty="Anesthesiology", current=False)
            ]
        },
        "no_board_certification",
    ),
    (
        {
            "board_certifications": [
                BoardCertification(
                    board="ABA", specialty="Anesthesiology", expires=dt.date(2024, 1, 1)
                )
            ]
        },
        "no_board_certification",
    ),
    ({"years_in_practice": 5}, "too_few_years"),  # "more than five years"
    ({"weekly_practice_hours": 23.5}, "too_few_hours"),
    (
        {
            "disciplinary_actions": [
                DisciplinaryAction(authority="Medical Board of California", description="probation")
            ]
        },
        "disciplinary_history",
    ),
]


@pytest.mark.parametrize(("changes", "code"), QUALIFICATION_CASES)
def test_qualification_rules(changes: dict[str, Any], code: str) -> None:
    issues = qualification_issues(reviewer(**changes), today=TODAY)
    assert [i.code for i in issues] == [code]
    assert issues[0].citation
    texts = qualification_problems(reviewer(**changes), today=TODAY)
    assert len(texts) == 1 and issues[0].message in texts[0]


def test_thresholds_are_inclusive_where_the_rule_says_at_least() -> None:
    assert qualification_problems(reviewer(years_in_practice=5.1), today=TODAY) == []
    assert qualification_problems(reviewer(weekly_practice_hours=24), today=TODAY) == []


def test_out_of_state_license_is_enough_unless_policy_requires_california() -> None:
    texas = reviewer(licenses=[License(state="Texas", number="T1")])
    assert qualification_problems(texas, today=TODAY) == []
    strict = QualificationPolicy(require_california_license=True)
    codes = [i.code for i in qualification_issues(texas, today=TODAY, policy=strict)]
    assert codes == ["no_california_license"]


def test_non_physicians_need_no_board_certification() -> None:
    psychologist = reviewer(profession="psychologist", board_certifications=[])
    assert qualification_problems(psychologist, today=TODAY) == []
    assert qualification_problems(reviewer(board_certifications=[]), today=TODAY)


def test_several_problems_are_all_reported() -> None:
    bad = reviewer(years_in_practice=2, weekly_practice_hours=10, licenses=[])
    codes = [i.code for i in qualification_issues(bad, today=TODAY)]
    assert codes == ["no_license", "too_few_years", "too_few_hours"]


def test_license_state_must_be_a_us_state() -> None:
    assert License(state="new york", number="1").state == "NY"
    with pytest.raises(ValidationError, match="not a US state"):
        License(state="Ontario", number="1")


# -- names and conflicts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Acme Insurance Co.", "ACME INSURANCE COMPANY, INC.", "exact"),
        ("Smith & Jones, L.L.P.", "smith and jones llp", "exact"),
        ("Dr. John A. Smith, M.D.", "Smith, John", "exact"),
        ("John Smith MD", "JOHN SMITH", "exact"),
        ("Sedgwick", "Sedgwick Claims Management Services, Inc.", "partial"),
        ("Medical Group", "Medical Group of Fresno", None),  # generic words only
        ("Acme Holdings", "Acme Insurance", None),
        ("Valley Spine Institute", "Valley Orthopedic Group", None),
        ("", "Acme", None),
    ],
)
def test_names_match(a: str, b: str, expected: str | None) -> None:
    assert names_match(a, b) == expected
    assert names_match(b, a) == expected


def test_name_tokens_drop_suffixes_and_titles() -> None:
    assert name_tokens("The Acme Co., Inc.") == ("acme",)
    assert name_tokens("Dr. Jane Q. Roe, M.D.") == ("jane", "q", "roe")


AFFILIATED = [
    ("employer", Affiliation(name="GOLDEN STATE WAREHOUSING", kind="employer")),
    ("insurer", Affiliation(name="Acme Insurance Co.", kind="insurer", relation="consultant")),
    (
        "claims_administrator",
        Affiliation(name="Sedgwick Claims Management Services LLC", kind="claims_administrator"),
    ),
    ("ur_organization", Affiliation(name="U.R. Partners", kind="ur-organization")),
    ("provider", Affiliation(name="Delgado, Ana M.D.", kind="provider-group")),
    ("provider", Affiliation(name="Valley Spine Institute, A Medical Corp.", kind="facility")),
    ("facility", Affiliation(name="Mercy Surgery Center", kind="facility")),
    ("manufacturer", Affiliation(name="MEDTRONIC", kind="manufacturer")),
    ("employee", Affiliation(name="Lopez, Maria", kind="family", relation="sister-in-law")),
    ("employee_attorney", Affiliation(name="Smith and Jones", kind="law-firm")),
]


@pytest.mark.parametrize(("role", "affiliation"), AFFILIATED)
def test_affiliation_with_any_party_is_a_conflict(role: str, affiliation: Affiliation) -> None:
    found = conflicts(reviewer(affiliations=[affiliation]), PARTIES)
    assert [c.party_role for c in found] == [role]
    assert found[0].affiliation == affiliation


def test_past_affiliations_still_count() -> None:
    old = Affiliation(name="Acme Insurance", kind="insurer", until=dt.date(2001, 1, 1))
    assert conflicts(reviewer(affiliations=[old]), PARTIES)


def test_reviewer_who_is_a_party_is_a_conflict() -> None:
    found = conflicts(reviewer(name="Ana Delgado"), PARTIES)
    assert [(c.party_role, c.affiliation) for c in found] == [("provider", None)]
    assert "the reviewer is the provider" in found[0].describe()


def test_unrelated_affiliations_are_no_conflict() -> None:
    others = [
        Affiliation(name="Stanford Health Care", kind="employer"),
        Affiliation(name="Acme Holdings", kind="other"),
        Affiliation(name="Medical Group", kind="provider-group"),
    ]
    assert conflicts(reviewer(affiliations=others), PARTIES) == []


# -- specialty map --------------------------------------------------------------------------


def test_shipped_specialty_map_is_consistent() -> None:
    smap = load_specialty_map()
    assert smap.check() == []


BRIEF_TREATMENTS = [
    "physical-therapy",
    "chiropractic",
    "acupuncture",
    "epidural-steroid-injection",
    "mri-lumbar-spine",
    "mri-knee",
    "opioid",
    "nsaid",
    "muscle-relaxant",
    "topical-compound",
    "knee-arthroscopy",
    "shoulder-arthroscopy",
    "spine-surgery",
    "psychotherapy",
    "office-visit",
    "specialist-consultation",
    "dme-brace",
    "tens",
    "home-health-care",
    "functional-restoration-program",
]


@pytest.mark.parametrize("treatment", BRIEF_TREATMENTS)
def test_every_listed_treatment_has_an_entry(treatment: str) -> None:
    smap = load_specialty_map()
    assert treatment in smap.treatments
    assert specialties_for(treatment, None, [])


@pytest.mark.parametrize(
    ("treatment", "condition", "regions", "first", "includes"),
    [
        (
            "epidural-steroid-injection",
            None,
            [],
            "pain-medicine",
            {"anesthesiology", "physical-medicine-rehabilitation", "orthopedic-surgery"},
        ),
        ("knee-arthroscopy", None, ["knee"], "orthopedic-surgery", {"sports-medicine"}),
        ("psychotherapy", "major depressive disorder", [], "psychiatry", {"psychology"}),
        (
            "opioid",
            "chronic low back pain",
            ["lumbar-spine"],
            "pain-medicine",
            {"physical-medicine-rehabilitation", "occupational-medicine", "anesthesiology"},
        ),
        ("chiropractic", None, [], "chiropractic", {"physical-medicine-rehabilitation"}),
        # unknown ids fall back on a category found by pattern, led by the body region
        ("mri-hip", None, ["hip"], "orthopedic-surgery", {"radiology"}),
        ("ct-head", None, ["head"], "neurology", {"neurosurgery"}),
        ("hip-arthroplasty", None, ["Hip"], "orthopedic-surgery", {"sports-medicine"}),
        ("stellate-ganglion-block", None, [], "pain-medicine", {"anesthesiology"}),
        # a visit is led by the condition
        ("office-visit", "PTSD with anxiety", [], "psychiatry", {"occupational-medicine"}),
        ("Office Visit", None, ["wrist"], "orthopedic-surgery", {"hand-surgery"}),
    ],
)
def test_specialties_for(
    treatment: str, condition: str | None, regions: list[str], first: str, includes: set[str]
) -> None:
    result = specialties_for(treatment, condition, regions)
    assert result[0] == first
    assert includes <= set(result)
    assert len(result) == len(set(result))


def test_unknown_treatment_gets_the_default_list() -> None:
    smap = load_specialty_map()
    assert specialties_for("something-new", None, []) == smap.default


def test_aliases_resolve_to_canonical_ids() -> None:
    smap = load_specialty_map()
    assert smap.canonical("Pain Management") == "pain-medicine"
    assert smap.canonical("Physical Medicine & Rehabilitation") == (
        "physical-medicine-rehabilitation"
    )
    assert smap.canonical("Orthopaedic Surgery") == "orthopedic-surgery"
    assert smap.canonical("Family Practice") == "family-medicine"
    assert smap.canonical("Vascular Surgery") == "vascular-surgery"  # unknown: a slug


def _corpus_specialties() -> list[str]:
    letters = SHARED / "corpus" / "dwc-letters"
    found: set[str] = set()
    for path in sorted(letters.glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.match(r"\s*Certification\(s\)/Specialty:\s*(.+)", line)
            if m:
                for part in m.group(1).split(","):
                    text = part.strip().rstrip("&").strip()
                    if text:
                        found.add(text)
    return sorted(found)


def test_every_specialty_named_in_the_corpus_letters_is_known() -> None:
    names = _corpus_specialties()
    if not names:
        pytest.skip("corpus letters not available")
    smap = load_specialty_map()
    unknown = [n for n in names if smap.canonical(n) not in smap.specialties]
    assert unknown == []


def test_bad_specialty_map_names_file_and_problem() -> None:
    bad_ref = """
version: 1
specialties: {a: {label: A}}
categories: {c: {specialties: [a, b]}}
treatments: {t: {category: c}}
default: [a]
"""
    with pytest.raises(LibraryError, match=r"categories\.c: unknown specialty 'b'") as info:
        parse_specialty_map(bad_ref, "x.yaml")
    assert info.value.file == "x.yaml"
    with pytest.raises(LibraryError) as info2:
        parse_specialty_map("version: 1\nspecialties: [\n", "y.yaml")
    assert info2.value.file == "y.yaml" and info2.value.line is not None
    with pytest.raises(LibraryError, match="default") as info3:
        parse_specialty_map("version: 1\nspecialties: {}\ncategories: {}\ntreatments: {}\n", "z")
    assert info3.value.line == 1


def test_reviewer_specialties_use_current_certifications_only() -> None:
    lapsed = BoardCertification(board="ABOS", specialty="Orthopaedic Surgery", current=False)
    r = reviewer(
        board_certifications=[
            BoardCertification(board="ABPMR", specialty="PM&R", subspecialty="Pain Management"),
            lapsed,
        ],
        specialties=["Sports Medicine"],
    )
    assert reviewer_specialties(r, today=TODAY) == [
        "physical-medicine-rehabilitation",
        "pain-medicine",
        "sports-medicine",
    ]


# -- ranking --------------------------------------------------------------------------------


def pmr(rid: str, load: int, **changes: Any) -> ReviewerProfile:
    return reviewer(
        rid,
        board_certifications=[
            BoardCertification(board="ABPMR", specialty="Physical Medicine & Rehabilitation")
        ],
        current_load=load,
        **changes,
    )


def rank(reviewers: list[ReviewerProfile], treatments: list[str], **kw: Any) -> Any:
    return rank_candidates(
        reviewers,
        treatment_ids=treatments,
        condition=kw.get("condition"),
        body_regions=kw.get("regions", []),
        parties=kw.get("parties", PARTIES),
        today=TODAY,
    )


def test_load_balancing_among_equal_matches() -> None:
    ranked = rank([pmr("busy", 7), pmr("idle", 1), pmr("mid", 4)], ["physical-therapy"])
    assert [c.reviewer_id for c in ranked] == ["idle", "mid", "busy"]
    assert [c.rank for c in ranked] == [1, 2, 3]
    assert ranked.excluded == []


def test_specialty_strength_beats_load() -> None:
    pain = reviewer("pain", current_load=8)  # anesthesiology + pain medicine
    ranked = rank([pmr("pmr", 0), pain], ["epidural-steroid-injection"])
    assert [c.reviewer_id for c in ranked] == ["pain", "pmr"]
    assert ranked[0].matches[0].specialty == "pain-medicine"
    assert ranked[0].matches[0].rank == 0


def test_reviewer_covering_every_treatment_comes_first() -> None:
    ortho = reviewer(
        "ortho",
        board_certifications=[BoardCertification(board="ABOS", specialty="Orthopedic Surgery")],
        current_load=9,
    )
    psych = reviewer(
        "psych",
        board_certifications=[BoardCertification(board="ABPN", specialty="Psychiatry")],
        current_load=0,
    )
    ranked = rank([psych, ortho], ["knee-arthroscopy", "mri-knee"])
    assert [c.reviewer_id for c in ranked] == ["ortho"]
    assert ranked[0].covers_all
    assert [e.reviewer_id for e in ranked.excluded] == ["psych"]
    # Neither covers both: equally strong partial matches, so the lower load comes first.
    mixed = rank([psych, ortho], ["knee-arthroscopy", "psychotherapy"])
    assert [(c.reviewer_id, c.uncovered) for c in mixed] == [
        ("psych", ["knee-arthroscopy"]),
        ("ortho", ["psychotherapy"]),
    ]


def test_exclusions_carry_every_reason() -> None:
    conflicted = pmr(
        "conflicted",
        0,
        affiliations=[Affiliation(name="acme insurance co", kind="insurer")],
        weekly_practice_hours=10,
    )
    full = pmr("full", 10)
    wrong = reviewer(
        "wrong",
        board_certifications=[BoardCertification(board="ABD", specialty="Dermatology")],
    )
    ok = pmr("ok", 5)
    ranked = rank([conflicted, full, wrong, ok], ["physical-therapy"])
    assert [c.reviewer_id for c in ranked] == ["ok"]
    reasons = {e.reviewer_id: e.reasons for e in ranked.excluded}
    assert set(reasons) == {"conflicted", "full", "wrong"}
    assert any("conflict of interest" in r and "insurer" in r for r in reasons["conflicted"])
    assert any("hours a week" in r for r in reasons["conflicted"])
    assert any("at capacity" in r for r in reasons["full"])
    assert any("no same or similar specialty" in r for r in reasons["wrong"])
    assert ranked.wanted["physical-therapy"][0] == "physical-medicine-rehabilitation"


def test_no_candidates_is_an_empty_list() -> None:
    ranked = rank([pmr("full", 10)], ["physical-therapy"])
    assert list(ranked) == []
    assert len(ranked.excluded) == 1


def test_ranking_refuses_bad_input() -> None:
    with pytest.raises(ReviewerError, match="no treatment"):
        rank([pmr("a", 1)], [])
    with pytest.raises(ReviewerError, match="twice"):
        rank([pmr("a", 1), pmr("a", 2)], ["physical-therapy"])


# -- letter paragraph -----------------------------------------------------------------------


def test_credentials_paragraph_describes_without_identifying() -> None:
    r = reviewer(
        licenses=[License(state="CA", number="A12345"), License(state="AZ", number="Z9")],
    )
    text = credentials_paragraph(r)
    assert "Roe" not in text and "Jane" not in text
    assert "A12345" not in text and "Z9" not in text
    assert "Board Certified in Anesthesiology" in text
    assert "subspecialty in Pain Medicine" in text
    assert "licensed to practice in California and Arizona" in text
    assert "more than five years" in text
    assert "at least 24 hours a week" in text
    assert "State(s) of Licensure: California, Arizona" in text
    assert "Certification(s)/Specialty: Anesthesiology, Pain Medicine" in text
    assert "no affiliation" not in text  # not claimed without checking the parties


def test_credentials_paragraph_states_only_checked_facts() -> None:
    junior = reviewer(
        years_in_practice=4,
        weekly_practice_hours=20,
        licenses=[
            License(state="CA", number="1"),
            License(state="NV", number="2", status="revoked"),
        ],
    )
    text = credentials_paragraph(junior)
    assert "for 4 years" in text and "20 hours a week" in text
    assert "Nevada" not in text
    assert "no affiliation" in credentials_paragraph(reviewer(), parties=PARTIES)


def test_credentials_paragraph_refuses_a_conflicted_reviewer() -> None:
    conflicted = reviewer(affiliations=[Affiliation(name="Sedgwick", kind="claims_administrator")])
    with pytest.raises(ReviewerError, match="conflict of interest"):
        credentials_paragraph(conflicted, parties=PARTIES)


def test_credentials_paragraph_for_non_physician_and_expiry() -> None:
    psych = reviewer(
        profession="psychologist",
        board_certifications=[],
        licenses=[License(state="CA", number="PSY1", expires=dt.date(2024, 1, 1))],
    )
    text = credentials_paragraph(psych, today=TODAY)
    assert "licensed psychologist" in text
    assert "State(s) of Licensure: none on file" in text

"""The law as dated, cited data: the shipped data, its checks, and each rule on both sides of
each effective date (business days, disputed treatment, the 12-month rule, who IMR covers),
the signing reviewer of a final determination, and the reviewer rules' citations."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from openimr.process.calendar import PACIFIC, CaliforniaCalendar
from openimr.process.deadlines import DeadlineInputs, compute_deadlines, due_report
from openimr.process.eligibility import (
    ApplicationFacts,
    EligibilityResult,
    PriorApplication,
    screen_application,
)
from openimr.process.law import LawError, load_law, parse_law, rule_on
from openimr.process.reviewers import (
    BoardCertification,
    CaseParties,
    License,
    ReviewerProfile,
    qualification_issues,
)
from openimr.process.signing import SigningError, require_final, signing_check

D = dt.date
CAL = CaliforniaCalendar()

# -- the data -------------------------------------------------------------------------------


def test_every_shipped_rule_is_read_or_says_what_it_assumes() -> None:
    book = load_law()
    assert len(book.rules) >= 10
    for rule in book.rules:
        for v in rule.versions:
            if v.status == "not-read":
                assert v.assumption and "[text not read]" in v.cite()
            else:
                assert v.quote and v.read_from and v.read_from.startswith("http")
                assert v.citation in v.cite() and '("' in v.cite()


GOOD = """\
rules:
  - id: r
    title: t
    versions:
      - id: a
        effective: 2013-01-01
        until: 2016-12-31
        citation: C 1
        status: read
        quote: the words read
        read_from: https://example.org/a
      - id: b
        effective: 2017-01-01
        citation: C 2
        status: not-read
        assumption: what is assumed
"""


def test_rule_on_picks_the_version_in_force_and_refuses_dates_before_the_data() -> None:
    book = parse_law(GOOD, "law.yaml")
    assert rule_on("r", D(2016, 12, 31), book=book).id == "a"
    assert rule_on("r", D(2017, 1, 1), book=book).id == "b"
    with pytest.raises(LawError, match="no version of 'r' is in force on 2012-12-31"):
        rule_on("r", D(2012, 12, 31), book=book)
    with pytest.raises(LawError, match="no rule 'x'"):
        rule_on("x", D(2020, 1, 1), book=book)


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (("until: 2016-12-31", "until: 2017-01-01"), "overlap", 2),
        (("        quote: the words read\n", ""), "must quote the text", 5),
        (("        assumption: what is assumed\n", ""), "must state its assumption", 12),
        (
            (
                "        quote: the words read\n",
                "        quote: the words read\n        phrase: x y\n",
            ),
            "phrase must be words of the quote",
            5,
        ),
        (("effective: 2017-01-01", "effective: 2017-13-01"), "YYYY-MM-DD", 13),
    ],
)
def test_bad_law_data_names_file_line_and_field(
    change: tuple[str, str], message: str, line: int
) -> None:
    with pytest.raises(LawError, match=message) as info:
        parse_law(GOOD.replace(*change), "law.yaml")
    assert info.value.file == "law.yaml"
    assert info.value.line == line
    assert not info.value.message.startswith("Value error")


# -- business days: the Day after Thanksgiving before and from 2020 --------------------------


def test_day_after_thanksgiving_was_a_working_day_before_2020() -> None:
    friday = D(2019, 11, 29)
    assert CAL.is_business_day(friday)
    assert not CAL.is_business_day(D(2019, 11, 28))  # Thanksgiving itself
    assert CAL.add_business_days(D(2019, 11, 27), 1) == friday
    # the office is closed, so a calendar-day last day still moves (Code Civ. Proc. 12b)
    assert CAL.is_office_closed(friday)
    assert CAL.roll_forward(friday) == D(2019, 12, 2)
    assert rule_on("business-day", friday).id == "civil-code-9"


def test_day_after_thanksgiving_is_not_a_business_day_from_2020() -> None:
    friday = D(2020, 11, 27)
    assert not CAL.is_business_day(friday)
    assert CAL.add_business_days(D(2020, 11, 25), 1) == D(2020, 11, 30)
    assert CAL.roll_forward(friday) == D(2020, 11, 30)
    assert rule_on("business-day", friday).id == "sb537"
    assert "4600.4(b)" in rule_on("business-day", friday).cite()


def test_the_business_day_rule_changes_on_1_january_2020() -> None:
    assert rule_on("business-day", D(2019, 12, 31)).values["day_after_thanksgiving_is_business_day"]
    assert not rule_on("business-day", D(2020, 1, 1)).values[
        "day_after_thanksgiving_is_business_day"
    ]


# -- who IMR covers: the day the UR decision reached the requesting physician ----------------

ERA: dict[str, Any] = {
    "application_signed": True,
    "signed_by": "employee",
    "date_of_injury": D(2012, 5, 1),
    "ur_decision_date": D(2013, 6, 28),
    "ur_decision_served": D(2013, 6, 28),
    "ur_service_method": "mail",
    "application_received": D(2013, 7, 10),
    "ur_decision_attached": True,
    "ur_outcome": "denied",
    "ur_timely": True,
    "items": ["MRI lumbar spine"],
}


def era(prior: list[PriorApplication] | None = None, **changes: Any) -> EligibilityResult:
    return screen_application(
        ApplicationFacts(**{**ERA, **changes}), prior=prior or [], calendar=CAL, today=D(2014, 1, 1)
    )


def test_decision_communicated_on_1_july_2013_is_reviewed_whatever_the_decision_date() -> None:
    result = era(ur_decision_communicated=D(2013, 7, 1))
    assert result.status == "eligible"


def test_decision_communicated_on_30_june_2013_is_not_reviewed() -> None:
    result = era(ur_decision_communicated=D(2013, 6, 30))
    assert result.codes == ["ur_before_imr_era"]
    reason = result.reasons[0]
    assert reason.verified
    assert "communicated to the requesting physician on 2013-06-30" in reason.message
    assert '"communicated to the requesting physician on or after July 1, 2013"' in (
        reason.citation
    )


def test_unknown_communication_falls_back_on_the_decision_date() -> None:
    # decided 28 June: within 24 hours it reached the physician before 1 July (assumed)
    early = era()
    assert early.codes == ["ur_before_imr_era"]
    assert not early.reasons[0].verified
    assert "24" in early.reasons[0].message
    # decided 30 June: it may have reached the physician on 1 July -> ask
    edge = era(ur_decision_date=D(2013, 6, 30), ur_decision_served=D(2013, 6, 30))
    assert edge.status == "needs_information"
    assert [m.field for m in edge.missing_information] == ["ur_decision_communicated"]
    # decided 1 July: communicated on or after that day
    late = era(ur_decision_date=D(2013, 7, 1), ur_decision_served=D(2013, 7, 1))
    assert late.status == "eligible"


def test_injury_from_2013_is_reviewed_whenever_the_decision_was_communicated() -> None:
    assert era(date_of_injury=D(2013, 1, 1), ur_decision_communicated=D(2013, 6, 28)).eligible
    assert era(date_of_injury=D(2012, 12, 31)).codes == ["ur_before_imr_era"]


def test_communication_before_the_decision_is_refused() -> None:
    with pytest.raises(ValidationError, match="ur_decision_communicated"):
        ApplicationFacts(**{**ERA, "ur_decision_communicated": D(2013, 6, 27)})


# -- disputed treatment: a delay before and from 2017 ----------------------------------------


def _dated(ur: dt.date) -> dict[str, Any]:
    return {
        "date_of_injury": D(2015, 3, 1),
        "ur_decision_date": ur,
        "ur_decision_served": ur,
        "ur_decision_communicated": ur,
        "application_received": ur + dt.timedelta(days=10),
    }


def test_a_delay_was_reviewable_until_the_end_of_2016() -> None:
    assert era(ur_outcome="delayed", **_dated(D(2016, 12, 30))).status == "eligible"


def test_a_delay_is_not_reviewable_from_2017() -> None:
    result = era(ur_outcome="delayed", **_dated(D(2017, 1, 2)))
    assert result.codes == ["not_ur_dispute"]
    assert '"modified or denied by a utilization review decision"' in result.reasons[0].citation
    assert result.reasons[0].verified


# -- the 12-month rule: its citation before and from 2017 -------------------------------------


def _prior(decided_on: dt.date) -> PriorApplication:
    return PriorApplication(
        application_id="IMR-1",
        employee_id="E1",
        physician="Dr. Ana Delgado",
        items=["MRI lumbar spine"],
        status="decided",
        decided_on=decided_on,
        outcome="upheld",
    )


@pytest.mark.parametrize(
    ("ur", "cite", "phrase"),
    [
        (D(2016, 12, 30), "4610(g)(6)", "shall remain effective for 12 months"),
        (D(2017, 1, 3), "4610(k)", "within the requesting physician's practice group"),
    ],
)
def test_twelve_month_rule_cites_the_text_in_force(ur: dt.date, cite: str, phrase: str) -> None:
    result = era(
        prior=[_prior(ur - dt.timedelta(days=60))],
        employee_id="E1",
        physician="Dr. Ana Delgado",
        **_dated(ur),
    )
    assert result.codes == ["already_decided"]
    citation = result.reasons[0].citation
    assert cite in citation and phrase in citation
    assert "9792.10.3(a)(2)" in citation and "4610(i)(6)" not in citation


# -- a final determination needs its signing reviewer -----------------------------------------

TODAY = D(2024, 6, 1)


def reviewer(**changes: Any) -> ReviewerProfile:
    fields: dict[str, Any] = {
        "id": "r1",
        "name": "Dr. Jane Roe",
        "licenses": [License(state="CA", number="A1")],
        "board_certifications": [
            BoardCertification(board="ABPMR", specialty="Physical Medicine and Rehabilitation")
        ],
        "years_in_practice": 12,
        "weekly_practice_hours": 32,
        "max_load": 10,
    }
    fields.update(changes)
    return ReviewerProfile(**fields)


PARTIES = CaseParties(employer="Golden State Warehousing", claims_administrator="Sedgwick")


def test_a_qualified_signing_reviewer_makes_it_final() -> None:
    check = require_final(reviewer(), today=TODAY, parties=PARTIES)
    assert check.final and check.problems == ()
    assert "9792.10.6(b)(1)" in check.citation


@pytest.mark.parametrize(
    ("who", "undecided", "why"),
    [
        (None, (), "no designated medical reviewer has signed it"),
        (
            reviewer(licenses=[License(state="CA", number="A1", expires=D(2024, 5, 31))]),
            (),
            "no active, unexpired license",
        ),
        (reviewer(board_certifications=[]), (), "no current board certification"),
        (
            reviewer(affiliations=[{"name": "Sedgwick", "kind": "employer"}]),
            (),
            "conflict of interest",
        ),
        (reviewer(), ("1", "2"), "undecided: 1, 2"),
    ],
)
def test_anything_else_is_a_draft_and_says_why(
    who: ReviewerProfile | None, undecided: tuple[str, ...], why: str
) -> None:
    check = signing_check(who, today=TODAY, parties=PARTIES, undecided=undecided)
    assert check.status == "draft"
    assert any(why in p for p in check.problems)
    with pytest.raises(SigningError, match=why) as info:
        require_final(who, today=TODAY, parties=PARTIES, undecided=undecided)
    assert info.value.field == "reviewer"
    assert "9792.10.6(b)(1)" in str(info.value)


def test_a_psychologist_signs_on_listed_specialties() -> None:
    psych = reviewer(profession="psychologist", board_certifications=[], specialties=["Psychology"])
    assert signing_check(psych, today=TODAY).final


# -- reviewer rules cite where they come from --------------------------------------------------


def test_years_and_hours_cite_the_imro_practice_not_139_5() -> None:
    issues = qualification_issues(
        reviewer(years_in_practice=5, weekly_practice_hours=20), today=TODAY
    )
    cites = {i.code: i.citation for i in issues}
    for code in ("too_few_years", "too_few_hours"):
        assert "IMRO practice" in cites[code] and "139.5" not in cites[code]


# -- clocks: records never received, formulary disputes before and from 2018 ----------------


def clocks(**fields: Any) -> dict[str, Any]:
    return {d.kind: d for d in compute_deadlines(DeadlineInputs(**fields), CAL)}


NOTICE = dt.datetime(2024, 3, 1, 10, tzinfo=PACIFIC)


def test_overdue_records_say_what_may_be_done() -> None:
    found = clocks(assignment_notice_sent=NOTICE, notice_method="electronic")
    records = found["records_due"]
    assert records.due == D(2024, 3, 13) and "decision_due" not in found
    assert "twelve (12) days" in (records.relied_on or "")
    report = due_report([("c1", [records])], dt.datetime(2024, 3, 14, 9, tzinfo=PACIFIC), 0)
    (item,) = report.overdue
    assert item.next_step is not None and "9792.10.6(b)(2)" in item.next_step
    # the same clock, not yet overdue, has no next step
    early = due_report([("c1", [records])], dt.datetime(2024, 3, 13, 9, tzinfo=PACIFIC), 0)
    assert early.due_soon[0].next_step is None


def test_review_without_records_closes_the_records_clock_and_starts_the_decision() -> None:
    found = clocks(
        assignment_notice_sent=NOTICE,
        notice_method="electronic",
        review_without_records=D(2024, 3, 15),
    )
    records, decision = found["records_due"], found["decision_due"]
    assert not records.is_open and records.met(CAL) is False
    assert "not received" in (records.closed or "")
    assert decision.started_by.at == D(2024, 3, 15)
    assert decision.due == D(2024, 4, 15)  # 30 days = Sun 14 April -> Monday
    assert not decision.verified  # when this clock starts is not in the text
    assert "9792.10.6(b)(2)" in decision.citation and "4610.6(d)(1)(B)" in decision.citation
    assert len(decision.citation) <= 200
    report = due_report([("c1", list(found.values()))], dt.datetime(2024, 3, 20, tzinfo=PACIFIC), 0)
    assert report.overdue == []


def test_records_that_arrive_after_all_restart_nothing() -> None:
    found = clocks(
        assignment_notice_sent=NOTICE,
        notice_method="electronic",
        review_without_records=D(2024, 3, 15),
        records_received=D(2024, 3, 18),
    )
    assert found["records_due"].closed is None and found["records_due"].met(CAL) is False
    assert found["decision_due"].started_by.at == D(2024, 3, 18)


@pytest.mark.parametrize(
    ("received", "due", "unit"),
    [
        (D(2017, 12, 29), D(2018, 1, 29), "calendar days"),  # before 4610.5(a)(3): 30 days
        (D(2018, 1, 2), D(2018, 1, 9), "working days"),  # from 1 Jan 2018: 5 working days
    ],
)
def test_formulary_clock_starts_with_2018(received: dt.date, due: dt.date, unit: str) -> None:
    decision = clocks(records_received=received, formulary_dispute=True)["decision_due"]
    assert (decision.due, decision.unit) == (due, unit)


def test_every_clock_says_which_words_it_relies_on_or_that_none_were_read() -> None:
    found = clocks(
        ur_decision_served=D(2024, 1, 5),
        ur_service_method="personal",
        info_request_received=D(2024, 1, 10),
        eligibility_found=D(2024, 1, 20),
        assignment_notice_sent=NOTICE,
        records_received=D(2024, 3, 5),
        review_type="expedited",
    )
    for kind in ("application_due", "eligibility_info_due", "assignment_notice_due"):
        assert found[kind].relied_on, kind
    assert "text not read" in (found["decision_due"].relied_on or "")


def test_library_check_validates_the_law_data(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from openimr.cli import app

    shipped = CliRunner().invoke(app, ["library", "check"])
    assert shipped.exit_code == 0, shipped.output
    root = tmp_path / "lib"
    shutil.copytree(Path(__file__).parents[1] / "src/openimr/library/data", root)
    (root / "law.yaml").write_text(GOOD.replace("until: 2016-12-31", "until: 2017-01-01"))
    result = CliRunner().invoke(app, ["library", "check", "--root", str(root)])
    assert result.exit_code == 1
    assert f"{root / 'law.yaml'}:2" in result.stderr and "overlap" in result.stderr
    assert "Traceback" not in result.output


def test_every_change_of_the_law_is_seen_on_both_sides_of_its_date() -> None:
    changes = 0
    for rule in load_law().rules:
        ordered = sorted(rule.versions, key=lambda v: v.effective)
        for before, after in itertools.pairwise(ordered):
            changes += 1
            eve = after.effective - dt.timedelta(days=1)
            assert before.until == eve, (rule.id, "versions must meet without a gap")
            assert rule_on(rule.id, eve).id == before.id
            assert rule_on(rule.id, after.effective).id == after.id
            assert before.values != after.values or before.citation != after.citation
    assert changes >= 3

"""Confidence per item, abstention below a threshold, and the risk-coverage figures."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from openimr.engine.confidence import criterion_confidence, fact_strength, item_confidence
from openimr.engine.determine import determine
from openimr.evaluate import ItemOutcome, risk_coverage
from openimr.library.loader import default_library
from openimr.model import (
    Case,
    Context,
    DisputedItem,
    Fact,
    ParsedRequest,
    Patient,
    Span,
    Status,
    UtilizationReview,
)
from openimr.pipeline import review_case


def _fact(name: str, value: object, qualifier: str | None = None, **ctx: bool) -> Fact:
    span = Span(record="records/r.txt", start=0, end=5, quote="xxxxx")
    return Fact(
        name=name,
        value=value,  # type: ignore[arg-type]
        qualifier=qualifier,
        spans=(span,),
        context=Context(**ctx),
        confidence=0.6 if ctx.get("uncertain") else 0.9,
    )


def _case(day: dt.date = dt.date(2016, 12, 15)) -> Case:
    return Case(
        patient=Patient(age=45, date_of_injury=day - dt.timedelta(days=400)),
        utilization_review=UtilizationReview(date=day, items=(DisputedItem(request="x"),)),
    )


def _pt(text: str = "Initial trial of physical therapy x6") -> ParsedRequest:
    return ParsedRequest(
        text=text,
        disputed=text,
        treatment="physical-therapy",
        quantity=6,
        quantity_unit="sessions",
    )


def test_a_hypothetical_or_historical_mention_is_weaker_than_a_current_one() -> None:
    plain = _fact("functional_deficits", True)
    assert fact_strength(_fact("functional_deficits", True, historical=True)) < fact_strength(plain)
    assert fact_strength(_fact("functional_deficits", True, hypothetical=True)) < 0.62
    assert fact_strength(_fact("functional_deficits", True, uncertain=True)) < 0.62


def test_an_overturn_is_as_weak_as_its_weakest_met_criterion() -> None:
    lib = default_library()
    strong = determine(_case(), _pt(), [_fact("functional_deficits", True)], lib)
    weak = determine(_case(), _pt(), [_fact("functional_deficits", True, uncertain=True)], lib)
    assert strong.status is Status.MET and weak.status is Status.MET
    c_strong = item_confidence(strong.evaluated, strong.status)
    c_weak = item_confidence(weak.evaluated, weak.status)
    assert c_weak.value < c_strong.value
    assert "functional-deficits" in c_weak.basis and "uncertain" in c_weak.basis


def test_an_uphold_under_the_burden_of_documentation_says_so() -> None:
    lib = default_library()
    det = determine(_case(), _pt("Physical therapy x6"), [_fact("functional_deficits", True)], lib)
    assert det.status is Status.NOT_DOCUMENTED
    burdened = [e for e in det.evaluated if e.burden]
    assert burdened, "the prior-therapy criteria apply under the burden of documentation"
    assert all(criterion_confidence(e).value == 0.8 for e in burdened if not e.facts)


def _case_dir(tmp_path: Path, record: str, request: str) -> Path:
    d = tmp_path / "case"
    (d / "records").mkdir(parents=True)
    (d / "case.yaml").write_text(
        "case_id: T-1\npatient: {age: 40, date_of_injury: 2015-06-01}\n"
        "utilization_review:\n  date: 2016-12-15\n  items:\n"
        f"    - request: {json.dumps(request)}\n"
    )
    (d / "records" / "2016-12-01-pr2.txt").write_text(record)
    return d


def test_an_item_below_the_threshold_goes_to_a_person_with_its_draft(tmp_path: Path) -> None:
    from openimr.caseio import load_case

    d = _case_dir(
        tmp_path,
        "PROGRESS REPORT\nObjective: Lumbar range of motion is decreased with flexion to 40 degrees.\n",
        "Initial trial of physical therapy x6 for the lumbar spine",
    )
    case = load_case(d)
    decided = review_case(case, abstain_below=None).items[0]
    assert decided.decision == decided.draft_decision and decided.confidence is not None
    assert not decided.needs_review
    held = review_case(case, abstain_below=decided.confidence + 0.01).items[0]
    assert held.needs_review and held.decision is None and held.medically_necessary is None
    assert held.draft_decision == decided.decision
    assert held.reason is not None and "below the threshold" in held.reason


def _outcome(
    expected: str, got: str | None, confidence: float | None = None, family: str = "t"
) -> ItemOutcome:
    """An evaluation outcome: the real decision, openimr's (None: left to a person)."""
    return ItemOutcome(
        case="c",
        request="r",
        treatment="t",
        expected=expected,
        got=got,
        needs_review=got is None,
        reason=None,
        expected_mtus=None,
        got_mtus=None,
        expected_chapter=None,
        got_chapter=None,
        confidence=confidence,
        draft=got,
        family=family,
    )


def test_risk_coverage_ranks_confident_items_first() -> None:
    items = [_outcome("upheld", "upheld", confidence=1.0)] * 8 + [
        _outcome("upheld", "overturned", confidence=0.5),
        _outcome("upheld", "overturned", confidence=0.4),
    ]
    rows = {r["coverage"]: r for r in risk_coverage(items)}
    assert rows[1.0]["agreement"] == 0.8
    assert rows[0.8]["agreement"] == 1.0 and rows[0.8]["overturned"] == 0
    assert rows[0.9]["overturn_precision"] == 0.0


def test_evaluate_prints_the_risk_coverage_table(tmp_path: Path, shared: Path) -> None:
    from typer.testing import CliRunner

    from openimr.cli import app

    src = shared / "corpus" / "dwc-cases"
    for name in sorted(p.name for p in src.iterdir())[:3]:
        shutil.copytree(src / name, tmp_path / name)
    out = CliRunner().invoke(app, ["evaluate", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "risk-coverage" in out.output and "threshold" in out.output
    bad = CliRunner().invoke(app, ["evaluate", str(tmp_path), "--abstain-below", "2"])
    assert bad.exit_code == 2 and "between 0 and 1" in bad.output


def test_a_criterion_the_library_marks_unverified_says_so_in_json_and_letter(
    tmp_path: Path,
) -> None:
    """[U] in the library data: the JSON criterion and the letter's criteria list say the
    guideline text was not retrieved."""
    from openimr.caseio import load_case
    from openimr.render import review_to_json
    from openimr.render.letter import render_letter

    lib = default_library()
    marked = [
        (cs.id, v, c)
        for cs in lib.sets.values()
        for v in cs.versions
        for c in v.criteria
        if c.unverified
    ]
    assert marked, "the library marks some criteria [U]"
    for _, _, c in marked:
        assert all(m.split()[0] in ("U", "K") and ":" in m for m in c.source_marks)
    d = tmp_path / "case"
    (d / "records").mkdir(parents=True)
    # an epidural under the ACOEM-based MTUS (from 2017-12-01): its thresholds are marked [U]
    (d / "case.yaml").write_text(
        "case_id: T-2\npatient: {age: 50, date_of_injury: 2016-01-04}\n"
        "utilization_review:\n  date: 2018-02-01\n  items:\n"
        '    - request: "Lumbar epidural steroid injection L4-5"\n'
    )
    (d / "records" / "2018-01-10-pr2.txt").write_text(
        "PROGRESS REPORT\nSubjective: Low back pain radiating to the left leg.\n"
    )
    case = load_case(d)
    review = review_case(case, abstain_below=None)
    out = review_to_json(review)
    checks = {c.get("source_check") for c in out["items"][0]["criteria"]}
    assert "not retrieved" in checks
    html = render_letter(review, case, "html")
    assert "guideline text not retrieved" in html


def test_per_family_counts_wrong_overturns_and_missed_ones() -> None:
    from openimr.evaluate import family_of, per_family

    assert family_of("medications-opioids") == "medications"
    assert family_of(None) == "(not recognized)"
    rows = per_family(
        [
            _outcome("upheld", "overturned", family="surgery"),
            _outcome("overturned", "upheld", family="surgery"),
            _outcome("overturned", "overturned", family="surgery"),
            _outcome("upheld", None, family="dme"),
        ]
    )
    assert rows["surgery"] == {
        "items": 3,
        "real_overturns": 2,
        "agree": 1,
        "wrongly_overturned": 1,
        "overturn_missed": 1,
        "left_to_a_person": 0,
    }
    assert rows["dme"]["left_to_a_person"] == 1


def test_an_account_of_treatment_to_date_is_read_as_such() -> None:
    from openimr.extract import extract_facts
    from openimr.model import Record

    text = (
        "Treatment for the current problem includes the following: activity modification,"
        " bracing and medications.\n"
    )
    rec = Record(path="records/r.txt", text=text, kind="text")
    facts = extract_facts([rec])
    assert any(f.name == "treatment_history" and f.value is True for f in facts)
    plan = Record(
        path="records/p.txt", text="The plan will include treatment to date.\n", kind="text"
    )
    assert not any(f.name == "treatment_history" for f in extract_facts([plan]))


def test_a_plan_is_no_weaker_for_being_a_plan() -> None:
    # what a visit is for is written in the plan: its hypothetical context is what it says,
    # not a doubt; the library marks such facts `plan: true`
    plans = default_library().plan_facts
    assert "visit_purpose" in plans
    purpose = _fact("visit_purpose", "medication management", hypothetical=True)
    assert fact_strength(purpose, plans) == fact_strength(_fact("visit_purpose", "x"))
    assert fact_strength(purpose) < 0.62
    assert "functional_deficits" not in plans


def test_a_finding_stated_plainly_is_not_weakened_by_a_later_doubtful_mention() -> None:
    """The latest mention is picked, but when it is only uncertain and the same record
    states the same value plainly, the criterion rests on the plain statement."""
    lib = default_library()
    plain = _fact("functional_deficits", True)
    doubtful = Fact(
        name="functional_deficits",
        value=True,
        spans=(Span(record="records/r.txt", start=50, end=55, quote="yyyyy"),),
        context=Context(uncertain=True),
        confidence=0.6,
    )
    alone = determine(_case(), _pt(), [plain], lib)
    both = determine(_case(), _pt(), [plain, doubtful], lib)
    assert both.status is Status.MET
    assert item_confidence(both.evaluated, both.status) == item_confidence(
        alone.evaluated, alone.status
    )
    # a doubtful mention alone still weakens the criterion
    only = determine(_case(), _pt(), [doubtful], lib)
    assert item_confidence(only.evaluated, only.status).value < 0.62


def test_a_choice_met_by_a_finding_rests_on_it_not_on_a_doubtful_branch(tmp_path: Path) -> None:
    """Radiographs of the wrist: a red flag on examination (tenderness in the anatomic
    snuffbox after a fall) meets the indication; the request's own "rule out a fracture",
    a doubtful mention, does not weaken it, so the item is decided, not left to a person."""
    from openimr.caseio import load_case

    d = _case_dir(
        tmp_path,
        "PROGRESS REPORT\nHe fell on his outstretched right hand at work last week.\n"
        "Examination: there is tenderness in the anatomic snuffbox with swelling of the "
        "right wrist.\nPlan: x-rays of the right wrist to rule out a scaphoid fracture.\n",
        "X-rays of the right wrist, 3 views",
    )
    item = review_case(load_case(d)).items[0]
    assert item.decision == "overturned" and not item.needs_review
    met = next(c for c in item.criteria if c.id.endswith(".indication"))
    assert any("snuffbox" in e.quote for e in met.evidence)
    assert all("rule out" not in e.quote for e in met.evidence)

"""Data-driven criteria tests: tests/criteria/<set>.yaml, one case per sentence about the law.

Each case gives the UR decision date, the parsed request and the facts (no record text), and
the expected version, decision and per-criterion statuses. A meta-test checks that every
criteria set has cases on both sides of every version's effective date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from openimr.engine.determine import determine
from openimr.library.loader import default_library
from openimr.model import (
    Case,
    DisputedItem,
    Fact,
    ParsedRequest,
    Patient,
    Schedule,
    Span,
    Status,
    UtilizationReview,
)
from openimr.model.facts import Context

HERE = Path(__file__).parent / "criteria"


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(HERE.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for case in data["cases"]:
            out.append((data["set"], case["name"], case))
    return out


def _facts(raw: list[dict[str, Any]]) -> list[Fact]:
    facts = []
    for i, f in enumerate(raw):
        span = Span(record="records/test.txt", start=i * 10, end=i * 10 + 5, quote="x" * 5)
        facts.append(
            Fact(
                name=f["name"],
                value=f["value"],
                qualifier=f.get("qualifier"),
                spans=(span,),
                region=f.get("region"),
                side=f.get("side"),
                context=Context(**f.get("context", {})),
            )
        )
    return facts


def _request(raw: dict[str, Any]) -> ParsedRequest:
    raw = dict(raw)
    sched = raw.pop("schedule", None)
    text = raw.pop("text", raw.get("treatment", "request"))
    regions = tuple(raw.pop("body_regions", ()))
    return ParsedRequest(
        text=text,
        disputed=text,
        schedule=Schedule(**sched) if sched else None,
        body_regions=regions,
        **raw,
    )


def _case(spec: dict[str, Any], request: ParsedRequest) -> Case:
    day = spec["date"] if isinstance(spec["date"], dt.date) else dt.date.fromisoformat(spec["date"])
    doi = spec.get("date_of_injury", day - dt.timedelta(days=365))
    return Case(
        patient=Patient(age=spec.get("age", 45), date_of_injury=doi),
        utilization_review=UtilizationReview(date=day, items=(DisputedItem(request=request.text),)),
    )


@pytest.mark.parametrize(
    ("set_id", "name", "spec"), _cases(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_criteria_case(set_id: str, name: str, spec: dict[str, Any]) -> None:
    library = default_library()
    request = _request(spec["request"])
    case = _case(spec, request)
    det = determine(case, request, _facts(spec.get("facts", [])), library)
    expect = spec["expect"]
    assert det.criteria_set is not None and det.criteria_set.id == set_id
    if "version" in expect:
        assert det.version is not None and det.version.id == expect["version"], name
    if expect.get("decision") is None and "decision" in expect:
        assert det.status is None, name
        return
    decision = "overturned" if det.status is Status.MET else "upheld"
    assert decision == expect["decision"], name
    statuses = {e.criterion.id: e.status.value for e in det.evaluated}
    for cid, status in (expect.get("criteria") or {}).items():
        assert statuses.get(cid) == status, f"{name}: {cid} is {statuses.get(cid)}"


def test_every_set_has_cases_on_both_sides_of_every_effective_date() -> None:
    library = default_library()
    cases = _cases()
    for set_id, cs in library.sets.items():
        dates = {
            (c["date"] if isinstance(c["date"], dt.date) else dt.date.fromisoformat(c["date"]))
            for s, _, c in cases
            if s == set_id
        }
        assert dates, f"criteria set {set_id} has no test cases in tests/criteria/"
        for v in cs.versions:
            assert v.effective in dates, f"{set_id}/{v.id}: no case on {v.effective}"
            before = v.effective - dt.timedelta(days=1)
            assert before in dates, f"{set_id}/{v.id}: no case on {before}"


def test_every_criteria_set_is_covered_for_met_not_met_and_not_documented() -> None:
    seen: dict[str, set[str]] = {}
    for set_id, _, spec in _cases():
        for status in (spec["expect"].get("criteria") or {}).values():
            seen.setdefault(set_id, set()).add(status)
    for set_id in default_library().sets:
        got = seen.get(set_id, set())
        for status in ("met", "not_met", "not_documented"):
            assert status in got, f"{set_id}: no case where a criterion is {status}"


def test_request_fields_reach_rules() -> None:
    from openimr.engine.logic import EvalContext

    library = default_library()
    version = next(iter(library.sets.values())).versions[0]
    request = ParsedRequest(
        text="Facet joint injections L4-5, L5-S1",
        disputed="Facet joint injections L4-5, L5-S1",
        spinal_levels=("L4-L5", "L5-S1"),
    )
    case = _case({"date": "2016-12-01"}, request)
    ctx = EvalContext(case=case, request=request, facts=[], version=version)
    assert ctx.request_field("levels") == 2
    assert ctx.request_field("spinal_levels") == ["L4-L5", "L5-S1"]
    assert "facet" in str(ctx.request_field("text"))


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("pre-op labs: pt/ptt", ["pt/"], Status.MET),
        ("wedge pillows", ["pillow"], Status.MET),
        ("except the script", ["pt"], Status.NOT_MET),  # not inside a word
        ("microdiscectomy for herniated disc", ["hernia repair"], Status.NOT_MET),
        ("laparoscopic umbilical hernia repair", ["hernia repair"], Status.MET),
    ],
)
def test_contains_matches_words_from_their_start(
    text: str, words: list[str], expected: Status
) -> None:
    from openimr.engine.logic import _compare

    assert _compare("contains", text, words) is expected


def test_a_criterion_met_by_silence_says_so_and_lists_the_records_searched() -> None:
    """An `if_absent: met` criterion is never written as "there is documentation of"."""
    from openimr.engine.determine import to_results
    from openimr.render.rationale import write_rationale

    library = default_library()
    request = _request({"treatment": "inpatient-rehabilitation", "text": "inpatient rehab"})
    case = _case({"date": "2016-10-28"}, request)
    facts = _facts(
        [
            {"name": "intensive_rehab_need", "value": True},
            {"name": "medical_supervision_need", "value": True},
        ]
    )
    det = determine(case, request, facts, library)
    assert det.status is Status.MET
    results = {
        r.id.rsplit(".", 1)[-1]: r for r in to_results(det.evaluated, request, ("a.txt", "b.txt"))
    }
    silent = results["able-to-participate"]
    assert silent.status is Status.MET and not silent.evidence
    assert silent.searched == ("a.txt", "b.txt")
    assert "2 record(s)" in (silent.finding or "")
    assert results["intensive-need"].searched == ()
    text = " ".join(s.text for s in write_rationale(det, request, "inpatient rehab", facts))
    assert "none of the records reviewed documents that the patient cannot take part" in text
    assert "documentation of the patient's ability" not in text


def test_letters_cite_the_chapter_of_the_body_part_and_not_the_others() -> None:
    from openimr.pipeline import guideline_refs
    from openimr.render.wording import guideline_wording

    library = default_library()
    request = _request({"treatment": "dme-brace", "text": "wrist brace", "body_regions": ["wrist"]})
    case = _case({"date": "2016-12-01"}, request)
    det = determine(case, request, _facts([{"name": "cts_symptoms", "value": True}]), library)
    line = guideline_wording(guideline_refs(det.version, det.evaluated)) or ""
    assert "Forearm, Wrist, and Hand Complaints" in line
    assert "Shoulder" not in line and "Elbow" not in line and "Low Back" not in line


def test_a_decision_outside_the_mtus_is_not_worded_as_based_on_the_mtus() -> None:
    from openimr.pipeline import guideline_refs
    from openimr.render.wording import guideline_wording

    library = default_library()
    borrowing = [
        (s, v)
        for s in library.sets.values()
        for v in s.versions
        if v.tier != "mtus" and any(c.mtus for c in v.supporting)
    ]
    assert borrowing, "no non-MTUS version borrows an MTUS citation any more"
    for _set, version in borrowing:
        refs = guideline_refs(version, [])
        assert refs and not any(r.mtus for r in refs[1:])
        line = guideline_wording(refs) or ""
        assert "did not base their decision on the MTUS" in line, line


def test_evidence_shows_what_met_a_choice_and_what_made_a_criterion_apply() -> None:
    """A criterion met by one branch of an `any_of` shows that branch's facts, not the facts
    of branches not met; the facts of its `when` come last, marked as the condition, and no
    span is shown twice."""
    from openimr.engine.determine import to_results
    from openimr.engine.logic import EvalContext, evaluate
    from openimr.library.schema import Rule

    library = default_library()
    version = next(iter(library.sets.values())).versions[0]
    request = _request({"treatment": "epidural-steroid-injection", "text": "lumbar ESI"})
    case = _case({"date": "2016-12-01"}, request)
    facts = _facts(
        [
            {"name": "neurologic_deficit", "value": False},
            {"name": "objective_radiculopathy", "value": True},
        ]
    )
    choice = Rule(
        kind="any_of",
        children=(
            Rule(kind="fact", subject="neurologic_deficit", test="is", value=True),
            Rule(kind="fact", subject="objective_radiculopathy", test="is", value=True),
        ),
    )
    out = evaluate(choice, EvalContext(case=case, request=request, facts=facts, version=version))
    assert out.status is Status.MET
    assert [f.name for f in out.facts] == ["objective_radiculopathy"]
    # neither met: every branch's facts are shown (what the records say instead)
    out = evaluate(
        choice, EvalContext(case=case, request=request, facts=facts[:1], version=version)
    )
    assert [f.name for f in out.facts] == ["neurologic_deficit"]

    # a repeat injection: the prior injection makes the relief criteria apply
    request = _request({"treatment": "epidural-steroid-injection", "text": "repeat lumbar ESI"})
    case = _case({"date": "2016-12-01"}, request)
    facts = _facts(
        [
            {"name": "prior_esi", "value": True},
            {"name": "esi_relief_percent", "value": 60},
            {"name": "esi_relief_weeks", "value": 8},
        ]
    )
    det = determine(case, request, facts, library)
    results = to_results(det.evaluated, request, ("records/test.txt",))
    conditioned = [r for r in results if any(e.role == "condition" for e in r.evidence)]
    assert conditioned, "no criterion showed the fact that made it apply"
    for r in results:
        spans = [(e.record, e.start, e.end) for e in r.evidence]
        assert len(spans) == len(set(spans)), f"{r.id}: a span shown twice"
        roles = [e.role for e in r.evidence]
        assert roles == sorted(roles, key=lambda x: x is not None), f"{r.id}: condition first"

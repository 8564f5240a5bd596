"""Every `met` criterion's evidence supports it.

For the corpus cases and the example case, each quote offered as evidence for a met
criterion must (1) be the span of a fact of the kind the evidence names, found in that
record; (2) contain wording of that kind: a phrase or pattern of one of the kind's extraction
rules (or of the rule of the fact it is derived from), or the value itself for a fact whose
value is the record's words (a diagnosis, a drug); and (3) for a fact about a part of the body
(`located: true`), be located in the requested region family and on the requested side (or
be unlocated). An unrelated quote offered as evidence — a weight-loss goal as a red flag, a
right-shoulder MRI for a left shoulder surgery — fails it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from openimr.caseio import load_case
from openimr.engine.logic import located_for
from openimr.extract import extract_facts
from openimr.extract.patterns import default_rules
from openimr.library.loader import default_library
from openimr.model import CriterionResult, Fact, Status
from openimr.pipeline import review_case
from openimr.request import parse_request

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
CASES = sorted(
    [p for p in (SHARED / "corpus" / "dwc-cases").glob("*") if (p / "case.yaml").exists()]
    + [p for p in (SHARED / "examples").glob("*") if (p / "case.yaml").exists()]
)
# facts whose value is the record's own words: the value must be in the quote
_OWN_WORDS = {"diagnosis", "complaint", "exam_finding", "plan_item", "medication"}
_VISIT = re.compile(
    r"follow[- ]?up|consult|referr|refer\b|visit|return|evaluation|appointment|management",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@cache
def _wording(name: str) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The phrases and patterns that give a fact of kind ``name``: its own rules', and those
    of the kinds it is derived from (a treatment given is conservative care tried) or
    combined from (two drugs of named classes)."""
    rules = default_rules()
    kinds = {name}
    grew = True
    while grew:  # derived rules may run both ways (an epidural given is a treatment given)
        more = {d.source for d in rules.derived if d.fact in kinds} - kinds
        kinds |= more
        grew = bool(more)
    phrases = {_norm(p) for c in rules.concepts if c.fact in kinds for p in c.phrases}
    patterns = tuple(p.regex for p in rules.patterns if p.fact in kinds)
    for combo in rules.drug_combinations:
        if combo.fact in kinds:
            for cls in combo.classes:
                phrases.update(_norm(w) for w in rules.therapies.get(cls, ()))
    return frozenset(phrases), patterns


def has_wording(fact: Fact, quote: str) -> bool:
    """Whether ``quote`` holds wording of the fact's kind."""
    low = _norm(quote)
    if fact.name in _OWN_WORDS and isinstance(fact.value, str):
        return _norm(fact.value) in low
    if fact.name == "visit_purpose":
        return bool(_VISIT.search(quote))
    phrases, patterns = _wording(fact.name)
    if any(re.search(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])", low) for p in phrases):
        return True
    return any(rx.search(quote) or rx.search(low) for rx in patterns)


def _met(criteria: tuple[CriterionResult, ...]) -> Iterator[CriterionResult]:
    for c in criteria:
        if c.status is Status.MET:
            yield c


def problems(case_dir: Path) -> list[str]:
    case = load_case(case_dir)
    facts = extract_facts(case.records)
    review = review_case(case)
    library = default_library()
    out: list[str] = []
    for item in review.items:
        request = item.parsed or parse_request(item.request)
        for crit in _met(item.criteria):
            for ev in crit.evidence:
                if ev.fact is None:
                    continue
                found = [
                    f
                    for f in facts
                    if f.name == ev.fact
                    and any(
                        (s.record, s.start, s.end) == (ev.record, ev.start, ev.end) for s in f.spans
                    )
                ]
                where = f"{case_dir.name} {crit.id} [{ev.fact}]"
                if not found:
                    out.append(f"{where}: no {ev.fact} fact has this span")
                    continue
                if not any(has_wording(f, ev.quote) for f in found):
                    out.append(f"{where}: the quote has no wording of this kind")
                fdef = library.facts.get(ev.fact)
                located = fdef is not None and fdef.located
                nerve = fdef is not None and fdef.located == "nerve"
                if located and not any(located_for(f, request, nerve=nerve) for f in found):
                    sides = {(f.side, f.region) for f in found}
                    out.append(f"{where}: located at {sides}, not the requested part")
    return out


@pytest.mark.skipif(not CASES, reason="the shared corpus is not beside the repository")
@pytest.mark.parametrize("case_dir", CASES, ids=[p.name for p in CASES])
def test_every_met_criterion_quote_supports_it(case_dir: Path) -> None:
    assert problems(case_dir) == []


def test_the_check_fails_on_an_unrelated_quote() -> None:
    red_flag = Fact(name="red_flags", value=True)
    assert has_wording(red_flag, "She reports unexplained weight loss.")
    assert not has_wording(red_flag, "Her goal is to walk a mile without pain.")
    dx = Fact(name="diagnosis", value="Lumbar radiculopathy")
    assert not has_wording(dx, "Right shoulder impingement.")
    # derived kinds: a treatment given is conservative care tried
    tried = Fact(name="conservative_care_tried", value=True)
    assert has_wording(tried, "She completed 12 sessions of physical therapy.")


def _shoulder_case(root: Path) -> Path:
    (root / "records").mkdir(parents=True)
    (root / "case.yaml").write_text(
        "case_id: TEST-0002\n"
        "patient: {age: 52, sex: male, date_of_injury: 2015-03-01}\n"
        "utilization_review:\n  date: 2016-06-01\n  items:\n"
        "    - request: Left shoulder arthroscopic rotator cuff repair\n"
    )
    (root / "records" / "2016-05-01-pr2.txt").write_text(
        "PROGRESS REPORT\n\nSUBJECTIVE: Left shoulder pain with weakness for 8 months despite "
        "physical therapy and a cortisone injection.\n\nOBJECTIVE: Left shoulder: positive drop "
        "arm test and weakness with abduction.\n\nAn MRI of the right shoulder dated 01/05/2016 "
        "showed a full-thickness tear of the supraspinatus tendon.\n"
    )
    return root


def test_a_right_shoulder_mri_does_not_support_a_left_shoulder_repair(tmp_path: Path) -> None:
    case_dir = _shoulder_case(tmp_path / "case")
    review = review_case(load_case(case_dir))
    (imaging,) = [c for c in review.items[0].criteria if c.id.endswith("imaging-lesion")]
    assert imaging.status is Status.NOT_DOCUMENTED
    assert problems(case_dir) == []


def test_the_check_catches_an_engine_that_ignores_the_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openimr.engine.logic as logic

    case_dir = _shoulder_case(tmp_path / "case")
    monkeypatch.setattr(logic, "located_for", lambda fact, request, nerve=False: True)
    found = problems(case_dir)
    assert any("imaging-lesion" in p and "not the requested part" in p for p in found)

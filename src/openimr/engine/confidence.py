"""How firmly a determination rests on the records: a confidence per criterion and per item.

A decision is as strong as what decides it. An item overturns only when every required
criterion is met, so it is as weak as its weakest met criterion; it is upheld when any
required criterion fails, so it is as strong as its strongest failing criterion.

What a criterion's status rests on, from strongest to weakest:

| basis | strength |
|---|---|
| the request itself or the case (12 visits asked against 10; the date of injury) | 1.0 |
| a fact read from a plain, current mention | the fact's own confidence (0.9) |
| silence across every record (`not_documented`) | 0.85 |
| a fact from an uncertain mention ("possible", "probable") | 0.6 |
| an exception applied (exceptional factors stated) | 0.75 |
| a criterion met because no record says otherwise (`if_absent: met`) | 0.7 |
| a criterion applied only under the burden of documentation (its `when` unsettled) | 0.8 |
| a fact from a historical mention | x 0.7 |
| a fact from a hypothetical or planned mention | x 0.5 (not for a fact that is a plan by nature: `plan: true`) |

These weights are an ordering, not probabilities: `openimr evaluate` reports agreement at
each coverage (the risk-coverage curve), which is what a threshold is chosen from.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from openimr.engine.determine import EvaluatedCriterion
from openimr.model import Fact, Status

SILENCE = 0.85
MET_BY_SILENCE = 0.7
EXCEPTION = 0.75
BURDEN = 0.8
REQUEST = 1.0


@dataclass(frozen=True)
class Confidence:
    value: float
    basis: str


def fact_strength(fact: Fact, plans: AbstractSet[str] = frozenset()) -> float:
    """How firmly a fact stands; ``plans`` are the facts that are plans by nature (their
    mentions are hypothetical by what they say, not by doubt)."""
    strength = fact.confidence
    if fact.context.historical:
        strength *= 0.7
    if fact.context.hypothetical and fact.name not in plans:
        strength *= 0.5
    return round(strength, 3)


def criterion_confidence(
    ev: EvaluatedCriterion, plans: AbstractSet[str] = frozenset()
) -> Confidence:
    """How firmly this criterion's status rests on the records."""
    cid = ev.criterion.id
    if ev.status is Status.NOT_DOCUMENTED:
        if ev.burden:
            return Confidence(BURDEN, f"{cid}: applied under the burden of documentation")
        return Confidence(SILENCE, f"{cid}: not found in any record")
    if ev.status is Status.MET and ev.met_by_silence:
        return Confidence(MET_BY_SILENCE, f"{cid}: met because no record says otherwise")
    if ev.status is Status.MET and ev.exception_applied:
        return Confidence(EXCEPTION, f"{cid}: met by an exception")
    if not ev.facts:
        return Confidence(REQUEST, f"{cid}: decided on the request and the case")
    weakest = min(ev.facts, key=lambda f: fact_strength(f, plans))
    strength = fact_strength(weakest, plans)
    if ev.burden:
        strength = min(strength, BURDEN)
    kind = (
        "a hypothetical mention"
        if weakest.context.hypothetical and weakest.name not in plans
        else "a historical mention"
        if weakest.context.historical
        else "an uncertain mention"
        if weakest.context.uncertain
        else "a current mention"
    )
    return Confidence(strength, f"{cid}: rests on {kind} of {weakest.name.replace('_', ' ')}")


def item_confidence(
    evaluated: Sequence[EvaluatedCriterion],
    status: Status | None,
    plans: AbstractSet[str] = frozenset(),
) -> Confidence:
    """An overturn is as weak as its weakest met criterion; an uphold as strong as its
    strongest failing criterion."""
    required = [
        e for e in evaluated if e.criterion.required and e.status is not Status.NOT_APPLICABLE
    ]
    if status is None:
        return Confidence(0.0, "no determination")
    if status is Status.MET:
        scored = [criterion_confidence(e, plans) for e in required if e.status is Status.MET]
        if not scored:
            return Confidence(REQUEST, "no criterion stands against the request")
        return min(scored, key=lambda c: c.value)
    failing = [
        criterion_confidence(e, plans)
        for e in required
        if e.status in (Status.NOT_MET, Status.NOT_DOCUMENTED)
    ]
    if not failing:
        return Confidence(SILENCE, "upheld")
    return max(failing, key=lambda c: c.value)

"""Assignment ranking: qualified, conflict-free, specialty-matching reviewers under their
maximum load, best match first, with every excluded reviewer and its reasons (audit trail)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from openimr.process.reviewers.conflict_checks import conflicts
from openimr.process.reviewers.profiles import CaseParties, ReviewerError, ReviewerProfile
from openimr.process.reviewers.qualifications import QualificationPolicy, qualification_problems
from openimr.process.reviewers.specialties import (
    SpecialtyMap,
    load_specialty_map,
    reviewer_specialties,
    specialties_for,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SpecialtyMatch(_Frozen):
    treatment_id: str
    specialty: str
    rank: int  # 0 = the strongest specialty for this treatment


class Candidate(_Frozen):
    reviewer_id: str
    rank: int
    matches: list[SpecialtyMatch]
    uncovered: list[str]
    covers_all: bool
    match_score: int  # sum of match ranks over covered treatments (lower is stronger)
    current_load: int
    max_load: int

    @property
    def load_ratio(self) -> float:
        return self.current_load / self.max_load if self.max_load else 1.0


class Exclusion(_Frozen):
    reviewer_id: str
    reasons: list[str]


class Ranking(_Frozen):
    candidates: list[Candidate]
    excluded: list[Exclusion]
    wanted: dict[str, list[str]]


class CandidateList(list[Candidate]):
    """The ranked candidates (a plain list) carrying the exclusions for the audit trail."""

    def __init__(
        self,
        candidates: Iterable[Candidate] = (),
        *,
        excluded: Sequence[Exclusion] = (),
        wanted: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(candidates)
        self.excluded: list[Exclusion] = list(excluded)
        self.wanted: dict[str, list[str]] = dict(wanted or {})


def rank_reviewers(
    reviewers: Iterable[ReviewerProfile],
    *,
    treatment_ids: Sequence[str],
    condition: str | None,
    body_regions: Sequence[str],
    parties: CaseParties,
    today: dt.date,
    policy: QualificationPolicy | None = None,
    smap: SpecialtyMap | None = None,
) -> Ranking:
    """Rank reviewers for a case; see :func:`rank_candidates`."""
    if not treatment_ids:
        raise ReviewerError("no treatment to match a reviewer to", field="treatment_ids")
    m = smap or load_specialty_map()
    wanted = {tid: specialties_for(tid, condition, body_regions, smap=m) for tid in treatment_ids}
    scored: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    excluded: list[Exclusion] = []
    seen_ids: set[str] = set()
    for reviewer in reviewers:
        if reviewer.id in seen_ids:
            raise ReviewerError(f"reviewer id {reviewer.id!r} appears twice", field="id")
        seen_ids.add(reviewer.id)
        reasons = qualification_problems(reviewer, today=today, policy=policy)
        reasons += [f"conflict of interest: {c.describe()}" for c in conflicts(reviewer, parties)]
        if reviewer.current_load >= reviewer.max_load:
            reasons.append(f"at capacity ({reviewer.current_load} of {reviewer.max_load} cases)")
        own = reviewer_specialties(reviewer, today=today, smap=m)
        matches: list[SpecialtyMatch] = []
        uncovered: list[str] = []
        for tid, specs in wanted.items():
            hits = [(i, s) for i, s in enumerate(specs) if s in own]
            if hits:
                i, s = hits[0]
                matches.append(SpecialtyMatch(treatment_id=tid, specialty=s, rank=i))
            else:
                uncovered.append(tid)
        if not matches:
            labels = ", ".join(sorted({m.label(s) for specs in wanted.values() for s in specs[:3]}))
            reasons.append(f"no same or similar specialty (wanted e.g. {labels})")
        if reasons:
            excluded.append(Exclusion(reviewer_id=reviewer.id, reasons=reasons))
            continue
        score = sum(x.rank for x in matches)
        ratio = reviewer.current_load / reviewer.max_load
        key = (len(uncovered), score, reviewer.current_load, ratio, reviewer.id)
        scored.append(
            (
                key,
                {
                    "reviewer_id": reviewer.id,
                    "matches": matches,
                    "uncovered": uncovered,
                    "covers_all": not uncovered,
                    "match_score": score,
                    "current_load": reviewer.current_load,
                    "max_load": reviewer.max_load,
                },
            )
        )
    scored.sort(key=lambda item: item[0])
    candidates = [Candidate(rank=i + 1, **data) for i, (_, data) in enumerate(scored)]
    return Ranking(candidates=candidates, excluded=excluded, wanted=wanted)


def rank_candidates(
    reviewers: Iterable[ReviewerProfile],
    *,
    treatment_ids: Sequence[str],
    condition: str | None,
    body_regions: Sequence[str],
    parties: CaseParties,
    today: dt.date,
    policy: QualificationPolicy | None = None,
) -> CandidateList:
    """Qualified, conflict-free, specialty-matching reviewers under their maximum load.

    Order: reviewers covering every treatment first, then the strongest specialty match
    (sum of match ranks), then the lowest current load (load balancing), then the lowest
    load ratio, then the id (deterministic). The returned list's ``excluded`` attribute holds
    every other reviewer with all the reasons it was left out.
    """
    ranking = rank_reviewers(
        reviewers,
        treatment_ids=treatment_ids,
        condition=condition,
        body_regions=body_regions,
        parties=parties,
        today=today,
        policy=policy,
    )
    return CandidateList(ranking.candidates, excluded=ranking.excluded, wanted=ranking.wanted)

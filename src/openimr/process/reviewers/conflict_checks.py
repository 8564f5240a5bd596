"""Conflicts of interest: a reviewer's affiliations with any party to the case (Labor Code
139.5), comparing names after normalisation (case, punctuation, corporate suffixes, titles)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from openimr.process.names import names_match
from openimr.process.reviewers.profiles import Affiliation, CaseParties, ReviewerProfile


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Conflict(_Frozen):
    reviewer_id: str
    party_role: str
    party_name: str
    affiliation: Affiliation | None
    match: Literal["exact", "partial"]

    def describe(self) -> str:
        if self.affiliation is None:
            return f"the reviewer is the {self.party_role.replace('_', ' ')} ({self.party_name})"
        rel = f" ({self.affiliation.relation})" if self.affiliation.relation else ""
        return (
            f"affiliated with {self.party_role.replace('_', ' ')} {self.party_name!r} through "
            f"{self.affiliation.kind} {self.affiliation.name!r}{rel}"
            + (" [partial name match]" if self.match == "partial" else "")
        )


def conflicts(reviewer: ReviewerProfile, parties: CaseParties) -> list[Conflict]:
    """Every affiliation of ``reviewer`` with any party, past or present (Lab. Code 139.5).

    Any affiliation counts whatever its kind or end date: the screen is deliberately strict,
    and a reviewer with a conflict is never assigned.
    """
    out: list[Conflict] = []
    # the reviewer by name (no affiliation), then each affiliation, against every party
    names: list[tuple[str, Affiliation | None]] = [(reviewer.name, None)] if reviewer.name else []
    names += [(aff.name, aff) for aff in reviewer.affiliations]
    for role, party in parties.named():
        for name, aff in names:
            match = names_match(name, party)
            if match is not None:
                out.append(
                    Conflict(
                        reviewer_id=reviewer.id,
                        party_role=role,
                        party_name=party,
                        affiliation=aff,
                        match=match,
                    )
                )
    return out

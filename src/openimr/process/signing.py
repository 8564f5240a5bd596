"""When a determination is final: signed by the designated reviewer, whose qualifications it states.

8 CCR 9792.10.6(b)(1): the IMRO "shall designate a medical reviewer to conduct an examination of
the documents ... and issue a determination"; 9792.10.6(d): "The determination issued by the
medical reviewer shall state whether the disputed medical treatment is medically necessary".
Until a designated reviewer signs, with every disputed item decided, what openimr produces is a
**draft** (the engine's proposal). The determination's statement of the reviewer's
qualifications (Lab. Code 4610.6(f), not read: see ``docs/workflow-rules.md``) is assumed to be
the licences in force and the board certifications or specialties, never the name.

:func:`signing_problems` lists every reason a determination cannot be final;
:func:`require_final` raises :class:`SigningError` naming them. Both are pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from openimr.process.law import rule_on
from openimr.process.reviewers import (
    CaseParties,
    QualificationPolicy,
    ReviewerError,
    ReviewerProfile,
    conflicts,
    qualification_problems,
)

DeterminationStatus = Literal["final", "draft"]


class SigningError(ReviewerError):
    """A determination cannot be issued as final (no signing reviewer, or one who may not sign)."""


class SigningCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: DeterminationStatus
    problems: tuple[str, ...] = ()
    citation: str

    @property
    def final(self) -> bool:
        return self.status == "final"


def _citation(today: dt.date) -> str:
    return rule_on("final-determination", max(today, dt.date(2013, 1, 1))).cite()


def stated_qualifications(reviewer: ReviewerProfile, today: dt.date) -> tuple[list[str], list[str]]:
    """What the determination states of the reviewer: licence states in force, and the
    current board certifications (with subspecialties), or for a profession not asked for a
    board certification its listed specialties."""
    states = sorted({lic.state for lic in reviewer.licenses if lic.in_force(today)})
    certs: list[str] = []
    for cert in reviewer.board_certifications:
        if cert.in_force(today):
            certs.append(cert.specialty)
            if cert.subspecialty:
                certs.append(cert.subspecialty)
    if not certs and reviewer.profession not in QualificationPolicy().board_certification_for:
        certs = list(reviewer.specialties)
    return states, list(dict.fromkeys(certs))


def signing_problems(
    reviewer: ReviewerProfile | None,
    *,
    today: dt.date,
    parties: CaseParties | None = None,
    undecided: Sequence[str] = (),
    policy: QualificationPolicy | None = None,
) -> list[str]:
    """Every reason the determination cannot be final (empty: it can be signed as final).

    No reviewer; a reviewer with a qualification problem today (licence lapsed, no current
    board certification ...); a conflict of interest with a party; no qualification the
    determination could state; or disputed items the reviewer has not decided.
    """
    problems: list[str] = []
    if reviewer is None:
        problems.append(
            "no designated medical reviewer has signed it; until one does it is a draft"
        )
    else:
        problems.extend(
            f"the reviewer may not sign: {p}"
            for p in qualification_problems(reviewer, today=today, policy=policy)
        )
        if parties is not None:
            problems.extend(
                f"the reviewer may not sign: conflict of interest, {c.describe()}"
                for c in conflicts(reviewer, parties)
            )
        states, certs = stated_qualifications(reviewer, today)
        if not states or not certs:
            missing = " and ".join(
                w
                for w, ok in (("licensure", states), ("certification or specialty", certs))
                if not ok
            )
            problems.append(
                f"the determination cannot state the reviewer's qualifications (no {missing})"
            )
    if undecided:
        problems.append(
            "the reviewer has not decided every disputed item (undecided: "
            + ", ".join(undecided)
            + ")"
        )
    return problems


def signing_check(
    reviewer: ReviewerProfile | None,
    *,
    today: dt.date,
    parties: CaseParties | None = None,
    undecided: Sequence[str] = (),
    policy: QualificationPolicy | None = None,
) -> SigningCheck:
    """``final`` when :func:`signing_problems` finds nothing, else ``draft`` with the reasons."""
    problems = signing_problems(
        reviewer, today=today, parties=parties, undecided=undecided, policy=policy
    )
    return SigningCheck(
        status="draft" if problems else "final",
        problems=tuple(problems),
        citation=_citation(today),
    )


def require_final(
    reviewer: ReviewerProfile | None,
    *,
    today: dt.date,
    parties: CaseParties | None = None,
    undecided: Sequence[str] = (),
    policy: QualificationPolicy | None = None,
) -> SigningCheck:
    """The check, or :class:`SigningError` naming every reason the determination is a draft."""
    check = signing_check(
        reviewer, today=today, parties=parties, undecided=undecided, policy=policy
    )
    if not check.final:
        raise SigningError(
            "a final determination needs a signing reviewer whose qualifications it states: "
            + "; ".join(check.problems)
            + f" ({check.citation})",
            field="reviewer",
        )
    return check

"""Whether a reviewer may review: Labor Code 139.5 and the IMRO's published practice
(license, board certification, years and hours in practice, discipline)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from openimr.process.reviewers.profiles import US_STATES, Profession, ReviewerProfile

CITE_139_5 = "Lab. Code 139.5 (assumed: text after subdivision (b) not read)"
#: Years in practice and weekly hours are not in Lab. Code 139.5 as far as it could be read:
#: they are the IMRO's own practice, as its determinations state it.
YEARS_HOURS_SOURCE = (
    'IMRO practice stated in its determinations ("more than five years", "at least 24 '
    'hours a week"), not a statute'
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QualificationPolicy(_Frozen):
    """The thresholds applied by :func:`qualification_problems`.

    ``require_california_license`` is off by default: Lab. Code 139.5 asks for a
    non-restricted license in a US state, and published determinations name reviewers
    licensed only in other states; an IMRO that wants California-only reviewers turns it on.
    """

    min_years_in_practice: float = 5.0  # "more than five years" (strictly greater)
    min_weekly_hours: float = 24.0  # "at least 24 hours a week"
    require_california_license: bool = False
    board_certification_for: frozenset[Profession] = frozenset({"physician"})


class QualificationProblem(_Frozen):
    code: Literal[
        "inactive",
        "no_license",
        "license_restricted",
        "no_california_license",
        "no_board_certification",
        "too_few_years",
        "too_few_hours",
        "disciplinary_history",
    ]
    message: str
    citation: str


def qualification_issues(
    reviewer: ReviewerProfile,
    *,
    today: dt.date,
    policy: QualificationPolicy | None = None,
) -> list[QualificationProblem]:
    """Every reason ``reviewer`` may not review, as structured problems."""
    pol = policy or QualificationPolicy()
    out: list[QualificationProblem] = []

    def add(code: Any, message: str, citation: str = CITE_139_5) -> None:
        out.append(QualificationProblem(code=code, message=message, citation=citation))

    if not reviewer.active:
        add("inactive", "not active in the reviewer registry", "IMRO registry")
    in_force = [lic for lic in reviewer.licenses if lic.in_force(today)]
    if not in_force:
        add("no_license", "no active, unexpired license to practice in any US state")
    for lic in reviewer.licenses:
        if lic.status in ("restricted", "revoked"):
            add("license_restricted", f"license in {US_STATES[lic.state]} is {lic.status}")
    if pol.require_california_license and not any(lic.state == "CA" for lic in in_force):
        add(
            "no_california_license",
            "no active California license (required by this IMRO's policy)",
            "IMRO policy",
        )
    if reviewer.profession in pol.board_certification_for and not any(
        c.in_force(today) for c in reviewer.board_certifications
    ):
        add("no_board_certification", "no current board certification")
    if reviewer.years_in_practice <= pol.min_years_in_practice:
        add(
            "too_few_years",
            f"{reviewer.years_in_practice:g} years in active practice; more than "
            f"{pol.min_years_in_practice:g} required",
            YEARS_HOURS_SOURCE,
        )
    if reviewer.weekly_practice_hours < pol.min_weekly_hours:
        add(
            "too_few_hours",
            f"{reviewer.weekly_practice_hours:g} hours a week in active practice; at least "
            f"{pol.min_weekly_hours:g} required",
            YEARS_HOURS_SOURCE,
        )
    if reviewer.disciplinary_actions:
        what = "; ".join(
            f"{a.authority}: {a.description}" + (" (pending)" if a.pending else "")
            for a in reviewer.disciplinary_actions
        )
        add("disciplinary_history", f"history of disciplinary action or sanctions ({what})")
    return out


def qualification_problems(
    reviewer: ReviewerProfile,
    *,
    today: dt.date,
    policy: QualificationPolicy | None = None,
) -> list[str]:
    """Plain-text reasons ``reviewer`` may not review (empty: qualified), with citations."""
    return [
        f"{p.message} ({p.citation})"
        for p in qualification_issues(reviewer, today=today, policy=policy)
    ]

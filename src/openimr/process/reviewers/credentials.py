"""The letter's paragraph on the reviewer's qualifications, written without the name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openimr.process.reviewers.conflict_checks import conflicts
from openimr.process.reviewers.profiles import (
    US_STATES,
    BoardCertification,
    CaseParties,
    License,
    ReviewerError,
    ReviewerProfile,
)
from openimr.process.reviewers.specialties import dedupe, load_specialty_map

_PROFESSION_NOUN = {
    "psychologist": "a licensed psychologist",
    "chiropractor": "a licensed chiropractor",
    "acupuncturist": "a licensed acupuncturist",
    "podiatrist": "a licensed podiatrist",
    "dentist": "a licensed dentist",
    "optometrist": "a licensed optometrist",
}


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def credentials_paragraph(
    reviewer: ReviewerProfile,
    *,
    today: dt.date | None = None,
    parties: CaseParties | None = None,
) -> str:
    """The letter's description of the reviewer's qualifications, without the name.

    Only facts from the profile are stated (license states, current board certifications and
    subspecialties, years and hours of practice); license numbers and the name are never
    included (Lab. Code 4610.6(f)). The sentence saying the reviewer has no affiliation with
    the parties is added only when ``parties`` is given and :func:`conflicts` finds none; a
    reviewer with a conflict raises :class:`ReviewerError`. With ``today``, expired licenses
    and board certifications are left out; without it only their status and current flags
    are used.
    """
    m = load_specialty_map()

    def license_ok(lic: License) -> bool:
        return lic.status == "active" if today is None else lic.in_force(today)

    def cert_ok(cert: BoardCertification) -> bool:
        return cert.current if today is None else cert.in_force(today)

    sentences: list[str] = []
    if parties is not None:
        found = conflicts(reviewer, parties)
        if found:
            raise ReviewerError(
                f"reviewer {reviewer.id} has a conflict of interest: {found[0].describe()}"
            )
        sentences.append(
            "The expert reviewer has no affiliation with the employer, employee, providers "
            "or the claims administrator."
        )
    certs = [c for c in reviewer.board_certifications if cert_ok(c)]
    states = dedupe(US_STATES[lic.state] for lic in reviewer.licenses if license_ok(lic))
    main = dedupe(m.label(m.canonical(c.specialty)) for c in certs)
    subs = dedupe(
        m.label(m.canonical(c.subspecialty))
        for c in certs
        if c.subspecialty and m.label(m.canonical(c.subspecialty)) not in main
    )
    parts: list[str] = []
    if main:
        part = f"is Board Certified in {_join(main)}"
        if len(subs) == 1:
            part += f", has a subspecialty in {subs[0]},"
        elif subs:
            part += f", has subspecialties in {_join(subs)},"
        parts.append(part)
    elif reviewer.profession in _PROFESSION_NOUN:
        parts.append(f"is {_PROFESSION_NOUN[reviewer.profession]}")
    if states:
        parts.append(f"is licensed to practice in {_join(states)}")
    if parts:
        sentences.append("The expert reviewer " + " and ".join(parts) + ".")
    years = reviewer.years_in_practice
    if years > 5:
        practice = "has been in active clinical practice for more than five years"
    else:
        practice = f"has been in active clinical practice for {years:g} years"
    hours = reviewer.weekly_practice_hours
    if hours >= 24:
        work = "is currently working at least 24 hours a week in active practice"
    else:
        work = f"currently works {hours:g} hours a week in active practice"
    sentences.append(f"The reviewer {practice} and {work}.")
    sentences.append(
        "The reviewer was selected for clinical experience, education, background and "
        "expertise in the same or similar specialties that evaluate or treat the medical "
        "condition and the disputed items and services, and is familiar with the governing "
        "laws and regulations, including the strength of evidence hierarchy that applies to "
        "Independent Medical Review determinations."
    )
    specialty_line = dedupe(
        [*main, *subs, *(m.label(m.canonical(s)) for s in reviewer.specialties)]
    )
    lines = [
        " ".join(sentences),
        "",
        f"State(s) of Licensure: {', '.join(states) if states else 'none on file'}",
        f"Certification(s)/Specialty: {', '.join(specialty_line) if specialty_line else 'none'}",
    ]
    return "\n".join(lines)

"""Options of the Final Determination Letter: who sends it, who reviewed, which dates, which
templates.

Reviewer credentials are the reviewer's qualifications only (states of licensure,
certifications and specialties): LC 4610.6(f) keeps the reviewer's name confidential, so
there is no field for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from openimr.errors import OpenIMRError


class ReviewerCredentials(BaseModel):
    """What the letter says of the expert reviewer's qualifications (never a name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    licensure: tuple[str, ...] = ()
    """States in which the reviewer holds a licence, e.g. ``("California", "Texas")``."""
    certifications: tuple[str, ...] = ()
    """Board certifications and specialties, e.g. ``("Pain Management",)``."""
    years_in_practice: float | None = Field(default=None, ge=0)
    """Years in active clinical practice (from the panel profile)."""
    weekly_practice_hours: float | None = Field(default=None, ge=0)
    """Hours a week currently in active practice (from the panel profile)."""

    @field_validator("licensure", "certifications", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("licensure", "certifications")
    @classmethod
    def _clean(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(" ".join(v.split()) for v in value if v.strip()))

    @property
    def empty(self) -> bool:
        return not self.licensure and not self.certifications


class LetterOptions(BaseModel):
    """Render options of :func:`openimr.render.letter.render_letter` and friends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organization: str = Field(default="openimr", min_length=1)
    """Who issues the letter ("<organization> guideline:" lines, the process paragraph)."""
    reviewer: ReviewerCredentials | None = None
    """The expert reviewer's credentials; else taken from ``case.yaml``'s ``reviewer``."""
    date_assigned: dt.date | None = None
    """The day the case was assigned to the reviewer (header "Date Assigned")."""
    decision_date: dt.date | None = None
    """The day of this determination (header "Decision Date"); never read from the clock."""
    final: bool = False
    """A Final Determination signed by an expert reviewer. Anything else is a draft, and says
    so in its title, a notice at the top, the running header of every PDF page and the closing
    (a letter openimr drafts by itself never claims a reviewer or a determination)."""
    prepared_on: dt.date | None = None
    """The day a draft was prepared (header "Date Prepared"; never read from the clock)."""
    records_not_received: bool = False
    """The claims administrator's records never arrived; the determination rests on the UR
    decision's summary of records and the documents the employee or physician sent
    (8 CCR 9792.10.6(b)(2)). The letter says so."""
    include_evidence: bool = True
    """Add the EVIDENCE appendix (HTML and PDF) and the criteria notes that point into it."""
    templates_dir: Path | None = None
    """A directory whose ``letter.txt.j2`` / ``letter.html.j2`` / ``letter.css`` replace the
    built-in ones (searched before ``OPENIMR_TEMPLATES`` and the package's templates)."""


def credentials_from_case(
    extra: Mapping[str, Any], source: str | None = None
) -> ReviewerCredentials | None:
    """Credentials from ``case.yaml``'s unknown field ``reviewer`` (licensure, certifications).

    Raises :class:`OpenIMRError` naming the file and field when the mapping is malformed.
    """
    raw = extra.get("reviewer")
    if raw is None:
        return None
    where = f"{source}/case.yaml" if source else None
    if not isinstance(raw, Mapping):
        raise OpenIMRError(
            "must be a mapping with 'licensure' and 'certifications' lists",
            file=where,
            field="reviewer",
        )
    known = {
        k: raw[k]
        for k in (
            "licensure",
            "certifications",
            "years_in_practice",
            "weekly_practice_hours",
        )
        if k in raw
    }
    try:
        creds = ReviewerCredentials.model_validate(known)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise OpenIMRError(
            f"{first['msg']}", file=where, field=f"reviewer.{loc}" if loc else "reviewer"
        ) from None
    return None if creds.empty else creds


def reviewer_credentials(
    options: LetterOptions, extra: Mapping[str, Any], source: str | None = None
) -> ReviewerCredentials | None:
    """The credentials the letter shows: the options' first, else the case's."""
    if options.reviewer is not None and not options.reviewer.empty:
        return options.reviewer
    return credentials_from_case(extra, source)

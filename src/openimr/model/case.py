"""The case: patient, parties, the UR decision and its disputed items (case-format.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openimr.model.record import Record

Sex = Literal["female", "male", "other", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Application(_Frozen):
    received: dt.date | None = None
    signed: bool | None = None


class Patient(_Frozen):
    age: int | None = None
    date_of_birth: dt.date | None = None
    sex: Sex = "unknown"
    date_of_injury: dt.date

    def age_on(self, day: dt.date) -> int | None:
        """Age in whole years on ``day`` (from the date of birth when known)."""
        if self.date_of_birth is not None:
            dob = self.date_of_birth
            years = day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
            return years
        return self.age


class Parties(_Frozen):
    employer: str | None = None
    claims_administrator: str | None = None
    providers: tuple[str, ...] = ()


class DisputedItem(_Frozen):
    request: str
    outcome: Literal["denied", "modified"] = "denied"
    guideline: str | None = None


class UtilizationReview(_Frozen):
    date: dt.date
    items: tuple[DisputedItem, ...] = Field(min_length=1)


class Case(_Frozen):
    """A case as read from ``case.yaml`` plus its records.

    ``source`` is the path of the case directory (for messages, never for logic);
    ``extra`` keeps unknown top-level fields, as the format requires.
    """

    case_id: str | None = None
    review_type: Literal["regular", "expedited"] = "regular"
    application: Application = Application()
    patient: Patient
    parties: Parties = Parties()
    utilization_review: UtilizationReview
    records: tuple[Record, ...] = ()
    source: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def decision_date(self) -> dt.date:
        """The date that selects the guideline version: the UR decision date."""
        return self.utilization_review.date

    def record(self, path: str) -> Record:
        for rec in self.records:
            if rec.path == path:
                return rec
        raise KeyError(path)

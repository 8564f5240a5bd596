"""A disputed request as openimr reads it: treatment, quantity, schedule, region, side."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

Side = Literal["left", "right", "bilateral"]
Contrast = Literal["with", "without", "with-and-without"]
Acquisition = Literal["purchase", "rental", "trial"]


class Ingredient(BaseModel):
    """One drug of a compounded (or combination) product: ``flurbiprofen 20%``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    strength: str | None = None
    drug_class: str | None = None

    def __str__(self) -> str:
        return f"{self.name} {self.strength}" if self.strength else self.name


class Schedule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    per_week: float | None = None
    per_week_max: float | None = None
    weeks: float | None = None
    weeks_max: float | None = None

    @property
    def total(self) -> int | None:
        """Total sessions implied (upper bound when a range is given)."""
        per = self.per_week_max or self.per_week
        wk = self.weeks_max or self.weeks
        if per is None or wk is None:
            return None
        return round(per * wk)


class ParsedRequest(BaseModel):
    """What a free-text request says.

    ``text`` is the request as given; ``disputed`` is the part in dispute (the remaining
    portion of a modified request, else the whole request). ``treatment`` is a treatment id
    from the library's catalogue, or ``None`` when none matches.

    ``quantity`` is a count the request states ("12 visits", "#60", "(24 sessions)"); a
    count only implied by a schedule is left to :attr:`sessions`. ``quantity_max`` is the
    upper end of a stated range ("7-10 days"). For medications: ``drug`` is the normalised
    generic name, ``brand`` the brand named, ``drug_class`` its class, ``strength`` as
    written without spaces ("10/325mg"), ``directions`` the sig, ``refills`` the refills;
    a compounded product lists its drugs in ``ingredients`` ("flurbiprofen 20%") and, with
    their classes, in ``components``. ``spinal_levels`` are normalised ("L4-L5", "L5-S1").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    disputed: str
    treatment: str | None = None
    category: str | None = None
    quantity: int | None = None
    quantity_unit: str | None = None
    schedule: Schedule | None = None
    body_regions: tuple[str, ...] = ()
    side: Side | None = None
    drug: str | None = None
    strength: str | None = None
    ingredients: tuple[str, ...] = ()
    original_request: str | None = None
    authorized: str | None = None
    retrospective: bool = False
    perioperative: Literal["pre", "post"] | None = None
    purpose: str | None = None
    quantity_max: int | None = None
    brand: str | None = None
    drug_class: str | None = None
    dosage_form: str | None = None
    directions: str | None = None
    refills: int | None = None
    components: tuple[Ingredient, ...] = ()
    date_of_service: dt.date | None = None
    associated_surgical_service: bool = False
    spinal_levels: tuple[str, ...] = ()
    contrast: Contrast | None = None
    acquisition: Acquisition | None = None
    specialty: str | None = None
    authorized_sessions: int | None = None
    """Sessions of a modified request the claims administrator authorized (from the
    request's own words, "PT/OT 6 sessions ... was authorized")."""

    @property
    def modified(self) -> bool:
        """The disputed item is what remains of a request the UR modified."""
        low = self.text.lower()
        return (
            self.original_request is not None
            or self.authorized is not None
            or "remaining imr eligible portion" in low
            or "original request" in low
        )

    @property
    def sessions(self) -> int | None:
        """Sessions/visits asked for: an explicit count, else what the schedule implies."""
        if self.quantity is not None and self.quantity_unit in (None, "visits", "sessions"):
            return self.quantity
        if self.schedule is not None:
            return self.schedule.total
        return None

"""A disputed request as openimr reads it: treatment, quantity, schedule, region, side."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Side = Literal["left", "right", "bilateral"]


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

    @property
    def sessions(self) -> int | None:
        """Sessions/visits asked for: an explicit count, else what the schedule implies."""
        if self.quantity is not None and self.quantity_unit in (None, "visits", "sessions"):
            return self.quantity
        if self.schedule is not None:
            return self.schedule.total
        return None

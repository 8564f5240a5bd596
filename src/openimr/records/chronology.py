"""Records in time: order by date of service, the latest record, current vs history, and
conflicts between records.

A mention's date is the date of service in force where it stands: for a FHIR record, the date
of the resource rendered there; for a file holding several visits, the last ``Date of
service``-style label at a line start before it; otherwise the record's date of service.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from openimr.model import Fact, Record, Span
from openimr.model.facts import FactValue
from openimr.records.structure import DateMark, classify, find_date_of_service, service_date_marks

Currency = Literal["current", "history", "undated", "later"]
"""``current``: dated within the window before the current date; ``history``: dated before
it; ``undated``: no date found; ``later``: dated after ``as_of`` (e.g. after the UR decision)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChronologyEntry(_Frozen):
    record: str
    date: dt.date | None
    record_type: str
    marks: tuple[DateMark, ...] = ()
    """Dates of service stated inside the record, by offset (several visits, FHIR resources)."""


class Chronology(_Frozen):
    """The records ordered by date of service (undated last), then by path."""

    entries: tuple[ChronologyEntry, ...]
    as_of: dt.date | None = None
    window_days: int = 0
    current_date: dt.date | None = None
    """The latest date of service on or before ``as_of`` (any date, without ``as_of``)."""

    def entry(self, record: str) -> ChronologyEntry:
        for e in self.entries:
            if e.record == record:
                return e
        raise KeyError(record)

    def dated(self) -> list[ChronologyEntry]:
        return [e for e in self.entries if e.date is not None]

    def latest(self, record_types: str | Iterable[str] | None = None) -> ChronologyEntry | None:
        """The latest dated record (on or before ``as_of``), of the given type(s) if any."""
        wanted = {record_types} if isinstance(record_types, str) else record_types
        wanted_set = set(wanted) if wanted is not None else None
        best: ChronologyEntry | None = None
        for e in self.entries:
            if e.date is None or (self.as_of is not None and e.date > self.as_of):
                continue
            if wanted_set is not None and e.record_type not in wanted_set:
                continue
            if best is None or e.date >= best.date:  # type: ignore[operator]
                best = e
        return best

    def date_of(self, record: str, offset: int | None = None) -> dt.date | None:
        """The date of service of ``record`` (at ``offset``, when given)."""
        e = self.entry(record)
        if offset is not None and e.marks:
            i = bisect.bisect_right([m.offset for m in e.marks], offset) - 1
            if i >= 0 and e.marks[i].date is not None:
                return e.marks[i].date
        return e.date

    def currency(self, record: str, offset: int | None = None) -> Currency:
        """Whether what ``record`` says (at ``offset``) is current or history, by its date."""
        day = self.date_of(record, offset)
        if day is None or self.current_date is None:
            return "undated"
        if self.as_of is not None and day > self.as_of:
            return "later"
        if day >= self.current_date - dt.timedelta(days=self.window_days):
            return "current"
        return "history"

    def span_currency(self, span: Span) -> Currency:
        return self.currency(span.record, span.start)

    def is_current(self, record: str, offset: int | None = None) -> bool:
        return self.currency(record, offset) == "current"


def build(
    records: Sequence[Record],
    *,
    as_of: dt.date | None = None,
    window_days: int = 0,
) -> Chronology:
    """Order ``records`` by date of service.

    ``as_of`` (e.g. the UR decision date) bounds what counts as current: the current date is
    the latest date of service on or before it, and later records are ``later``.
    ``window_days`` widens "current" to dates up to that many days before the current date.
    """
    if window_days < 0:
        raise ValueError("window_days must not be negative")
    entries: list[ChronologyEntry] = []
    for rec in records:
        day = rec.date_of_service
        if day is None and rec.kind != "fhir":
            day, _ = find_date_of_service(rec.text, rec.path)
        if rec.kind == "fhir":
            marks = tuple(
                DateMark(offset=s.start, date=s.date) for s in rec.segments if s.element is None
            )
        else:
            marks = service_date_marks(rec.text)
        entries.append(
            ChronologyEntry(
                record=rec.path,
                date=day,
                record_type=rec.record_type or classify(rec.text, rec.path),
                marks=marks,
            )
        )
    entries.sort(key=lambda e: (e.date is None, e.date or dt.date.min, e.record))
    candidates = [
        d
        for e in entries
        for d in (e.date, *(m.date for m in e.marks))
        if d is not None and (as_of is None or d <= as_of)
    ]
    return Chronology(
        entries=tuple(entries),
        as_of=as_of,
        window_days=window_days,
        current_date=max(candidates) if candidates else None,
    )


# ---------------------------------------------------------------------------------------------
# Conflicts


class ConflictValue(_Frozen):
    """One of the values a fact takes, and where the records say so."""

    value: FactValue
    units: tuple[str, ...] = ()
    records: tuple[str, ...]
    spans: tuple[Span, ...] = ()
    dates: tuple[dt.date, ...] = ()
    """The dates of service of those mentions (when a chronology was given), in order."""


class Conflict(_Frozen):
    """Records that give a fact different values: surfaced for a person, never resolved."""

    name: str
    qualifier: str | None = None
    values: tuple[ConflictValue, ...]

    @property
    def records(self) -> tuple[str, ...]:
        return tuple(sorted({r for v in self.values for r in v.records}))


def _norm(value: FactValue) -> tuple[str, FactValue]:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("num", float(value))
    return ("str", " ".join(value.split()).casefold())


def find_conflicts(
    facts: Iterable[Fact],
    chronology: Chronology | None = None,
    *,
    include_hypothetical: bool = False,
) -> list[Conflict]:
    """Facts of the same name (and qualifier) with different values from different records.

    A fact's records are those of its spans (a fact with no span names no record and is left
    out). Hypothetical and family mentions assert nothing about the patient now and are left
    out unless ``include_hypothetical``. Values compare as numbers (7 == 7.0), booleans, or
    text ignoring case and spacing. A conflict needs two values said by two different
    records; different values within one record are not a conflict between records.
    """
    groups: dict[tuple[str, str | None], dict[tuple[str, FactValue], list[Fact]]] = {}
    for fact in facts:
        if not fact.spans:
            continue
        if not include_hypothetical and (fact.context.hypothetical or fact.context.family):
            continue
        key = (fact.name, fact.qualifier)
        groups.setdefault(key, {}).setdefault(_norm(fact.value), []).append(fact)
    conflicts: list[Conflict] = []
    for (name, qualifier), by_value in groups.items():
        if len(by_value) < 2:
            continue
        all_records = {s.record for fs in by_value.values() for f in fs for s in f.spans}
        if len(all_records) < 2:
            continue
        values: list[ConflictValue] = []
        for same in by_value.values():
            spans = tuple(s for f in same for s in f.spans)
            dates: list[dt.date] = []
            if chronology is not None:
                for s in spans:
                    try:
                        day = chronology.date_of(s.record, s.start)
                    except KeyError:
                        day = None
                    if day is not None:
                        dates.append(day)
            values.append(
                ConflictValue(
                    value=same[0].value,
                    units=tuple(sorted({f.unit for f in same if f.unit})),
                    records=tuple(sorted({s.record for s in spans})),
                    spans=spans,
                    dates=tuple(sorted(set(dates))),
                )
            )
        values.sort(
            key=lambda v: (v.dates[-1] if v.dates else dt.date.min, v.records), reverse=True
        )
        conflicts.append(Conflict(name=name, qualifier=qualifier, values=tuple(values)))
    conflicts.sort(key=lambda c: (c.name, c.qualifier or ""))
    return conflicts

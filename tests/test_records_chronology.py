"""Records in time, and conflicts between records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from openimr.model import Context, Fact, Record, Span
from openimr.records import read_record
from openimr.records.chronology import build, find_conflicts
from records_support import DATA


def _all_records() -> list[Record]:
    return [
        read_record(p, f"records/{p.name}")
        for p in sorted(DATA.iterdir())
        if p.suffix in (".txt", ".md", ".json")
    ]


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return _all_records()


def test_records_are_ordered_by_date_of_service(records: list[Record]) -> None:
    chronology = build(list(reversed(records)))
    dates = [e.date for e in chronology.entries]
    assert None not in dates
    assert dates == sorted(d for d in dates if d is not None)
    assert chronology.entries[0].record == "records/2012-11-05-operative-report.txt"
    assert chronology.latest() is not None
    assert chronology.latest().record == "records/2013-fhir-bundle.json"  # type: ignore[union-attr]


def test_latest_of_a_type_and_as_of(records: list[Record]) -> None:
    chronology = build(records, as_of=dt.date(2013, 8, 27))
    latest = chronology.latest()
    assert latest is not None and latest.record == "records/2013-08-27-ur-letter.txt"
    pr2 = chronology.latest("progress_report")
    assert pr2 is not None and pr2.record == "records/2013-08-19-pr2.txt"
    clinical = chronology.latest({"therapy_note", "imaging_report"})
    assert clinical is not None and clinical.record == "records/2013-07-24-pt-daily-note.txt"
    assert chronology.current_date == dt.date(2013, 8, 27)


def test_current_history_later_and_undated(records: list[Record]) -> None:
    undated = Record(path="records/undated.txt", kind="text", text="Pain 5/10.\n")
    chronology = build([*records, undated], as_of=dt.date(2013, 8, 27), window_days=10)
    assert chronology.currency("records/2013-08-19-pr2.txt") == "current"  # 8 days before
    assert chronology.currency("records/2013-07-24-pt-daily-note.txt") == "history"
    assert chronology.currency("records/2013-09-30-qme-report.txt") == "later"
    assert chronology.currency("records/undated.txt") == "undated"
    strict = build(records, as_of=dt.date(2013, 8, 27))
    assert strict.currency("records/2013-08-19-pr2.txt") == "history"
    assert strict.is_current("records/2013-08-27-ur-letter.txt")
    with pytest.raises(ValueError):
        build(records, window_days=-1)


def test_mentions_are_dated_where_they_stand(records: list[Record]) -> None:
    chronology = build(records)
    visits = next(r for r in records if r.path == "records/progress-notes-two-visits.txt")
    second = visits.text.index("Low back pain 7/10")
    assert chronology.date_of(visits.path, second) == dt.date(2013, 5, 20)
    assert chronology.date_of(visits.path, 0) == dt.date(2013, 4, 15)
    bundle = next(r for r in records if r.kind == "fhir")
    pain = bundle.text.index("4 /10")
    rom = bundle.text.index("45 deg")
    assert chronology.currency(bundle.path, pain) == "current"
    assert chronology.currency(bundle.path, rom) == "history"
    span = Span(record=bundle.path, start=rom, end=rom + 6, quote="45 deg")
    assert chronology.span_currency(span) == "history"


def _fact(
    name: str, value: bool | int | float | str, record: str, start: int = 0, **ctx: bool
) -> Fact:
    return Fact(
        name=name,
        value=value,
        spans=(Span(record=record, start=start, end=start + 1, quote="x"),),
        context=Context(**ctx),
    )


def test_conflicts_between_records_are_surfaced_with_their_dates(records: list[Record]) -> None:
    chronology = build(records)
    facts = [
        _fact("prior_pt_visits", 6, "records/2013-08-19-pr2.txt"),
        _fact("prior_pt_visits", 6.0, "records/2013-07-24-pt-daily-note.txt"),
        _fact("prior_pt_visits", 8, "records/2013-03-12-consult-pain.txt"),
        _fact("functional_improvement", True, "records/2013-07-24-pt-daily-note.txt"),
        _fact("functional_improvement", False, "records/2013-08-27-ur-letter.txt"),
        _fact("work_status", "Modified duty", "records/2013-08-19-pr2.txt"),
        _fact("work_status", "modified  DUTY", "records/2013-07-24-pt-daily-note.txt"),
    ]
    conflicts = find_conflicts(facts, chronology)
    assert [c.name for c in conflicts] == ["functional_improvement", "prior_pt_visits"]
    visits = conflicts[1]
    assert [v.value for v in visits.values] == [6, 8]  # latest-dated value first, none dropped
    assert visits.values[0].records == (
        "records/2013-07-24-pt-daily-note.txt",
        "records/2013-08-19-pr2.txt",
    )
    assert visits.values[0].dates == (dt.date(2013, 7, 24), dt.date(2013, 8, 19))
    assert visits.values[1].dates == (dt.date(2013, 3, 12),)
    assert set(visits.records) == {
        "records/2013-03-12-consult-pain.txt",
        "records/2013-07-24-pt-daily-note.txt",
        "records/2013-08-19-pr2.txt",
    }


def test_what_is_not_a_conflict() -> None:
    same_record = [
        _fact("pain_score", 6, "records/a.txt", 0),
        _fact("pain_score", 8, "records/a.txt", 50),
    ]
    assert find_conflicts(same_record) == []
    hypothetical = [
        _fact("esi_planned", True, "records/a.txt"),
        _fact("esi_planned", False, "records/b.txt", hypothetical=True),
    ]
    assert find_conflicts(hypothetical) == []
    assert len(find_conflicts(hypothetical, include_hypothetical=True)) == 1
    no_span = [_fact("x", 1, "records/a.txt"), Fact(name="x", value=2)]
    assert find_conflicts(no_span) == []
    qualified = [
        Fact(
            name="prior_visits",
            value=6,
            qualifier="physical therapy",
            spans=(Span(record="records/a.txt", start=0, end=1, quote="x"),),
        ),
        Fact(
            name="prior_visits",
            value=12,
            qualifier="chiropractic",
            spans=(Span(record="records/b.txt", start=0, end=1, quote="x"),),
        ),
    ]
    assert find_conflicts(qualified) == []


def test_chronology_of_an_empty_case(tmp_path: Path) -> None:
    chronology = build([])
    assert chronology.entries == ()
    assert chronology.latest() is None
    assert chronology.current_date is None

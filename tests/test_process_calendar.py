"""The California business calendar: CalHR holidays, counting, roll-forward, clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openimr.process import calendar as calmod
from openimr.process.calendar import CalendarError, CaliforniaCalendar, calhr_holidays

D = dt.date
CAL = CaliforniaCalendar()
UTC = dt.UTC

# CalHR's published state-holiday lists (calhr.ca.gov "State Holidays"; the 2013 list also on
# arb.ca.gov; the 2024 list as reprinted from CalHR). Observed dates, exactly eleven a year.
CALHR_PUBLISHED = {
    2013: [
        D(2013, 1, 1), D(2013, 1, 21), D(2013, 2, 18), D(2013, 4, 1), D(2013, 5, 27),
        D(2013, 7, 4), D(2013, 9, 2), D(2013, 11, 11), D(2013, 11, 28), D(2013, 11, 29),
        D(2013, 12, 25),
    ],
    2014: [
        D(2014, 1, 1), D(2014, 1, 20), D(2014, 2, 17), D(2014, 3, 31), D(2014, 5, 26),
        D(2014, 7, 4), D(2014, 9, 1), D(2014, 11, 11), D(2014, 11, 27), D(2014, 11, 28),
        D(2014, 12, 25),
    ],
    2024: [
        D(2024, 1, 1), D(2024, 1, 15), D(2024, 2, 19), D(2024, 4, 1), D(2024, 5, 27),
        D(2024, 7, 4), D(2024, 9, 2), D(2024, 11, 11), D(2024, 11, 28), D(2024, 11, 29),
        D(2024, 12, 25),
    ],
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(CALHR_PUBLISHED))
def test_holidays_match_calhr_published_list(year: int) -> None:
    assert list(CAL.holidays_in(year)) == CALHR_PUBLISHED[year]


@pytest.mark.parametrize(
    ("day", "holiday", "name"),
    [
        # Cesar Chavez Day: a state holiday; on a Sunday it moves to Monday.
        (D(2023, 3, 31), True, "Cesar Chavez Day"),
        (D(2025, 3, 31), True, "Cesar Chavez Day"),
        (D(2024, 4, 1), True, "Cesar Chavez Day (observed)"),
        (D(2019, 4, 1), True, "Cesar Chavez Day (observed)"),
        # Lincoln's Birthday: dropped for state employees in 2009 (still a court holiday).
        (D(2024, 2, 12), False, None),
        (D(2020, 2, 12), False, None),
        # Days the `holidays` package lists for CA but state offices stay open.
        (D(2024, 2, 15), False, None),  # Susan B. Anthony Day
        (D(2024, 6, 19), False, None),  # Juneteenth: elective, in lieu of the personal holiday
        (D(2025, 6, 19), False, None),
        (D(2024, 9, 27), False, None),  # Native American Day (fourth Friday of September)
        (D(2024, 10, 14), False, None),  # Columbus Day: dropped for state employees
        # Saturday holidays: offices open on the Friday, except Veterans Day.
        (D(2023, 11, 10), True, "Veterans Day (observed)"),
        (D(2017, 11, 10), True, "Veterans Day (observed)"),
        (D(2021, 12, 24), False, None),  # Christmas 2021 fell on a Saturday
        (D(2021, 12, 31), False, None),  # New Year's Day 2022 fell on a Saturday
        (D(2026, 7, 3), False, None),  # Independence Day 2026 falls on a Saturday
        # Sunday holidays: the Monday after.
        (D(2021, 7, 5), True, "Independence Day (observed)"),
        (D(2022, 12, 26), True, "Christmas Day (observed)"),
        (D(2023, 1, 2), True, "New Year's Day (observed)"),
        (D(2024, 11, 29), True, "Day After Thanksgiving"),
    ],
)
def test_calendar_facts(day: dt.date, holiday: bool, name: str | None) -> None:
    assert CAL.is_holiday(day) is holiday
    assert CAL.holiday_name(day) == name


@pytest.mark.parametrize("year", range(2010, 2031))
def test_eleven_closures_or_fewer_every_year(year: int) -> None:
    # Eleven holidays; one less when a non-Veterans holiday falls on a Saturday.
    days = CAL.holidays_in(year)
    saturday_holidays = [
        d
        for d, names in holidays_pkg.country_holidays(
            "US", subdiv="CA", years=year, observed=False
        ).items()
        if d.weekday() == 5
        and any(n in calmod.CALHR_HOLIDAY_NAMES and n != "Veterans Day" for n in names.split("; "))
    ]
    assert len(days) == 11 - len(saturday_holidays)
    assert all(d.weekday() < 5 for d in days)


def test_diwali_is_not_an_office_closure() -> None:
    source = holidays_pkg.country_holidays("US", subdiv="CA", years=range(2026, 2031))
    diwali = [d for d, n in source.items() if "Diwali" in n]
    assert diwali, "the holidays package lists Diwali for California from 2026"
    assert not any(CAL.is_holiday(d) for d in diwali)


def test_extra_closures_are_injected() -> None:
    closed = D(2025, 1, 9)
    cal = CaliforniaCalendar({closed: "Day of mourning"})
    assert cal.holiday_name(closed) == "Day of mourning"
    assert not cal.is_business_day(closed)
    assert CAL.is_business_day(closed)
    assert cal.add_business_days(D(2025, 1, 8), 1) == D(2025, 1, 10)
    assert CaliforniaCalendar([closed]).is_holiday(closed)
    assert closed in cal.holidays_in(2025)


def test_extra_closure_must_be_a_date() -> None:
    with pytest.raises(CalendarError, match="not a date"):
        CaliforniaCalendar([dt.datetime(2025, 1, 9, 8)])


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2024, 11, 27), 1, D(2024, 12, 2)),  # Thanksgiving, the day after, a weekend
        (D(2024, 11, 22), 5, D(2024, 12, 3)),
        (D(2024, 12, 20), 5, D(2024, 12, 30)),  # Christmas in the way
        (D(2024, 11, 30), 1, D(2024, 12, 2)),  # start on a Saturday: day 1 is Monday
        (D(2024, 12, 2), 0, D(2024, 12, 2)),
        (D(2024, 12, 2), -1, D(2024, 11, 27)),
    ],
)
def test_add_business_days(start: dt.date, n: int, expected: dt.date) -> None:
    assert CAL.add_business_days(start, n) == expected
    assert CAL.add_working_days(start, n) == expected


def test_calendar_days_exclude_the_first_day() -> None:
    assert CAL.add_calendar_days(D(2024, 10, 30), 30) == D(2024, 11, 29)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2024, 11, 29), D(2024, 12, 2)),  # holiday Friday, then a weekend
        (D(2024, 11, 30), D(2024, 12, 2)),  # Saturday
        (D(2024, 12, 1), D(2024, 12, 2)),  # Sunday
        (D(2024, 12, 25), D(2024, 12, 26)),
        (D(2024, 12, 2), D(2024, 12, 2)),  # already a business day
        (D(2024, 2, 12), D(2024, 2, 12)),  # Lincoln Day: state offices are open
    ],
)
def test_roll_forward(day: dt.date, expected: dt.date) -> None:
    assert CAL.roll_forward(day) == expected


def test_roll_forward_can_honour_court_holidays() -> None:
    courts = CaliforniaCalendar(judicial_holidays=True)
    assert courts.roll_forward(D(2024, 2, 12)) == D(2024, 2, 13)  # Lincoln Day
    assert courts.roll_forward(D(2024, 9, 27)) == D(2024, 9, 30)  # Native American Day
    assert courts.roll_forward(D(2023, 6, 19)) == D(2023, 6, 20)  # Juneteenth
    # Business-day counts never use the court-only holidays.
    assert courts.add_business_days(D(2024, 2, 9), 1) == D(2024, 2, 12)


def test_local_now_uses_the_injected_clock() -> None:
    fixed = dt.datetime(2024, 3, 10, 10, 0, tzinfo=UTC)  # 03:00 PDT, after the DST switch
    now = CAL.local_now(lambda: fixed)
    assert now.tzinfo == ZoneInfo("America/Los_Angeles")
    assert (now.hour, now.utcoffset()) == (3, dt.timedelta(hours=-7))
    assert CAL.local_now(fixed) == fixed
    assert CAL.local_today(dt.datetime(2024, 1, 2, 5, 0, tzinfo=UTC)) == D(2024, 1, 1)


def test_local_now_refuses_a_naive_clock() -> None:
    with pytest.raises(CalendarError, match="naive"):
        CAL.local_now(lambda: dt.datetime(2024, 1, 1, 12))


def test_dates_only() -> None:
    with pytest.raises(CalendarError, match="expected a date"):
        CAL.is_business_day(dt.datetime(2024, 1, 2, 9))


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (dt.datetime(2024, 11, 26, 17, 30), D(2024, 11, 26)),
        (dt.datetime(2024, 11, 26, 17, 31), D(2024, 11, 27)),
        (dt.datetime(2024, 11, 27, 18, 0), D(2024, 12, 2)),  # Wednesday evening before Thanksgiving
        (dt.datetime(2024, 11, 30, 9, 0), D(2024, 12, 2)),  # Saturday
        # 02:00 UTC on the 27th is 18:00 PST on the 26th: after the cut-off.
        (dt.datetime(2024, 11, 27, 2, 0, tzinfo=UTC), D(2024, 11, 27)),
    ],
)
def test_receipt_date_cutoff(received: dt.datetime, expected: dt.date) -> None:
    assert CAL.receipt_date(received) == expected


def test_renamed_holiday_in_the_package_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = holidays_pkg.country_holidays

    def renamed(*args: object, **kwargs: object) -> holidays_pkg.HolidayBase:
        table = real(*args, **kwargs)  # type: ignore[arg-type]
        for day, name in list(table.items()):
            if name == "Labor Day":
                table.pop(day)
                table[day] = "Workers' Day"
        return table

    monkeypatch.setattr(calmod.holidays_pkg, "country_holidays", renamed)
    calhr_holidays.cache_clear()
    try:
        with pytest.raises(CalendarError, match="Labor Day"):
            calhr_holidays(2031)
    finally:
        calhr_holidays.cache_clear()


def test_year_out_of_range() -> None:
    with pytest.raises(CalendarError, match="outside"):
        calhr_holidays(1800)


def test_business_days_between() -> None:
    assert CAL.business_days_between(D(2024, 11, 27), D(2024, 12, 2)) == 1
    assert CAL.business_days_between(D(2024, 12, 2), D(2024, 11, 27)) == -1
    assert CAL.business_days_between(D(2024, 12, 2), D(2024, 12, 2)) == 0


# -- properties -----------------------------------------------------------------------------

days = st.dates(min_value=D(2012, 1, 1), max_value=D(2030, 12, 31))
counts = st.integers(min_value=1, max_value=60)


@settings(max_examples=200, deadline=None)
@given(days, counts)
def test_add_business_days_lands_on_a_business_day(start: dt.date, n: int) -> None:
    end = CAL.add_business_days(start, n)
    assert CAL.is_business_day(end)
    assert end > start
    assert CAL.business_days_between(start, end) == n
    assert end >= CAL.add_calendar_days(start, n)


@settings(max_examples=200, deadline=None)
@given(days, counts)
def test_add_business_days_is_monotonic(start: dt.date, n: int) -> None:
    assert CAL.add_business_days(start, n) < CAL.add_business_days(start, n + 1)
    later = start + dt.timedelta(days=1)
    assert CAL.add_business_days(start, n) <= CAL.add_business_days(later, n)


@settings(max_examples=200, deadline=None)
@given(days, counts)
def test_add_then_subtract_business_days(start: dt.date, n: int) -> None:
    landed = CAL.add_business_days(start, n)
    back = CAL.add_business_days(landed, -n)
    assert back <= start or not CAL.is_business_day(start)
    if CAL.is_business_day(start):
        assert back == start


@settings(max_examples=200, deadline=None)
@given(days)
def test_roll_forward_properties(day: dt.date) -> None:
    rolled = CAL.roll_forward(day)
    assert rolled >= day
    assert CAL.is_business_day(rolled)
    assert CAL.roll_forward(rolled) == rolled
    assert (rolled == day) == (not CAL.is_office_closed(day))
    assert (rolled - day).days <= 4  # at most a four-day weekend

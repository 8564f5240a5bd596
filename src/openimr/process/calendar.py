"""The California state-government business calendar used by every IMR clock.

What counts as a *business day* in California workers' compensation is fixed by Labor Code
4600.4(b) (in force since 1 January 2020): a "normal business day" is not a Saturday, not a
Sunday, and not a day "declared by the Governor to be an official state holiday or a holiday
listed on the Department of Human Resources internet website" (CalHR). The WCAB reached the
same answer for the "working days" of Labor Code 4610 in *Puni Pa'u v. Cal Fire* (2019,
significant panel decision: Saturday is not a working day), so this module treats *business
days* and *working days* as the same thing (:meth:`CaliforniaCalendar.add_working_days` is an
alias). See ``docs/workflow-rules.md`` for the sources and what is still marked (verify).

The holidays are the eleven paid holidays of Government Code 19853(a) as CalHR lists them:
New Year's Day, Martin Luther King Jr. Day, Presidents' Day, Cesar Chavez Day, Memorial Day,
Independence Day, Labor Day, Veterans Day, Thanksgiving Day, the Day after Thanksgiving and
Christmas Day. Observance (Gov. Code 19853(b), CalHR notes): a holiday on a Sunday is observed
on the Monday after; a holiday on a Saturday is not moved (employees get holiday credit and state
offices stay open on the Friday) except Veterans Day, which moves to the Friday before.

The dates come from the ``holidays`` package (``US``, subdivision ``CA``, unobserved dates),
filtered to the CalHR names; the package also lists days on which state offices stay open
(Susan B. Anthony Day, Juneteenth, Diwali from 2026: Gov. Code 6700 "state holidays" that
state employees may take *instead of* their personal holiday), and it applies the federal
Saturday rule, so neither its list nor its observance is used as is.

Nothing here reads the real clock: :meth:`CaliforniaCalendar.local_now` takes the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

from openimr.errors import OpenIMRError
from openimr.process.law import rule_on_or_none

PACIFIC = ZoneInfo("America/Los_Angeles")

#: Names used by the ``holidays`` package for the CalHR paid holidays (Gov. Code 19853(a)).
CALHR_HOLIDAY_NAMES: frozenset[str] = frozenset(
    {
        "New Year's Day",
        "Martin Luther King Jr. Day",
        "Presidents' Day",
        "Cesar Chavez Day",
        "Memorial Day",
        "Independence Day",
        "Labor Day",
        "Veterans Day",
        "Thanksgiving Day",
        "Day After Thanksgiving",
        "Christmas Day",
    }
)

#: Former state-employee holidays the package still lists for the years they applied
#: (Lincoln's Birthday to 2009, Columbus Day to 2008). (verify) for years before 2010.
_FORMER_CALHR_NAMES: frozenset[str] = frozenset({"Lincoln's Birthday", "Columbus Day"})

#: Days before this year are outside what the calendar was checked against.
FIRST_CHECKED_YEAR = 2010

#: 8 CCR 9792.9.1(a)(1): a request received by fax or e-mail after 5:30 PM Pacific counts as
#: received on the next business day (not for expedited or concurrent review).
RECEIPT_CUTOFF = dt.time(17, 30)


class CalendarError(OpenIMRError):
    """The calendar cannot answer (bad input, or holiday data that fails its own check)."""


def _observed(day: dt.date, name: str) -> dt.date | None:
    """The day state offices close for a holiday falling on ``day`` (None: no closure)."""
    weekday = day.weekday()
    if weekday == 6:  # Sunday -> the Monday after (Gov. Code 19853(b))
        return day + dt.timedelta(days=1)
    if weekday == 5:  # Saturday -> holiday credit, offices open ...
        if name == "Veterans Day":  # ... except Veterans Day -> the Friday before
            return day - dt.timedelta(days=1)
        return None
    return day


@lru_cache(maxsize=256)
def calhr_holidays(year: int) -> Mapping[dt.date, str]:
    """The days California state offices close for a CalHR holiday in ``year``.

    Keys are the *observed* closure dates; values name the holiday (with "(observed)" when
    the date was moved).
    """
    if year < 1900 or year > 2200:
        raise CalendarError(f"year {year} is outside the supported range 1900-2200")
    source = holidays_pkg.country_holidays("US", subdiv="CA", years=year, observed=False)
    closures: dict[dt.date, str] = {}
    found: set[str] = set()
    for day in sorted(source):
        for name in source.get_list(day):
            if name not in CALHR_HOLIDAY_NAMES and name not in _FORMER_CALHR_NAMES:
                continue
            found.add(name)
            observed = _observed(day, name)
            if observed is None:
                continue
            label = name if observed == day else f"{name} (observed)"
            closures[observed] = label
    missing = CALHR_HOLIDAY_NAMES - found
    if missing and year >= FIRST_CHECKED_YEAR:
        # A renamed holiday in a new `holidays` release must not silently shift deadlines.
        raise CalendarError(
            f"holiday data for {year} lacks {', '.join(sorted(missing))}; "
            "check the installed 'holidays' package version"
        )
    return closures


def _fourth_friday_of_september(year: int) -> dt.date:
    first = dt.date(year, 9, 1)
    offset = (4 - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 21)


def judicial_only_holidays(year: int) -> dict[dt.date, str]:
    """Court holidays (Code Civ. Proc. 135) on which state offices stay open. (verify)

    Lincoln Day (12 February), Native American Day (fourth Friday in September, from 2015)
    and Juneteenth (19 June, from 2023). A Sunday date moves to the Monday after; a Saturday
    date to the Friday before (the Judicial Council's usual designation). Used only when a
    calendar is built with ``judicial_holidays=True`` (see :meth:`CaliforniaCalendar.roll_forward`).
    """
    days: dict[dt.date, str] = {dt.date(year, 2, 12): "Lincoln Day"}
    if year >= 2015:
        days[_fourth_friday_of_september(year)] = "Native American Day"
    if year >= 2023:
        days[dt.date(year, 6, 19)] = "Juneteenth"
    moved: dict[dt.date, str] = {}
    for day, name in days.items():
        if day.weekday() == 6:
            moved[day + dt.timedelta(days=1)] = f"{name} (observed)"
        elif day.weekday() == 5:
            moved[day - dt.timedelta(days=1)] = f"{name} (observed)"
        else:
            moved[day] = name
    return moved


class CaliforniaCalendar:
    """Business days, holidays and time zone for California IMR clocks.

    ``extra_closures`` adds days on which state offices are closed (for example a day the
    Governor appoints as a holiday, Gov. Code 19853(a)); give a mapping to name them.
    ``judicial_holidays`` makes :meth:`roll_forward` also skip the court-only holidays of
    Code Civ. Proc. 135 (:func:`judicial_only_holidays`); business-day counts never do.
    """

    tz = PACIFIC

    def __init__(
        self,
        extra_closures: Mapping[dt.date, str] | Iterable[dt.date] = (),
        *,
        judicial_holidays: bool = False,
    ) -> None:
        if isinstance(extra_closures, Mapping):
            extra = {d: str(n) for d, n in extra_closures.items()}
        else:
            extra = {d: "State office closure" for d in extra_closures}
        for day in extra:
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise CalendarError(f"extra closure {day!r} is not a date")
        self._extra: dict[dt.date, str] = extra
        self.judicial_holidays = judicial_holidays

    # -- holidays ---------------------------------------------------------------------------

    def holiday_name(self, d: dt.date) -> str | None:
        """The name of the state-office holiday or closure on ``d``, else None."""
        d = _as_date(d)
        if d in self._extra:
            return self._extra[d]
        return calhr_holidays(d.year).get(d)

    def is_holiday(self, d: dt.date) -> bool:
        """True when state offices are closed on ``d`` for a holiday or an added closure."""
        return self.holiday_name(d) is not None

    def holidays_in(self, year: int) -> dict[dt.date, str]:
        """Every closure date in ``year`` (CalHR holidays plus added closures), sorted."""
        days = dict(calhr_holidays(year))
        days.update({d: n for d, n in self._extra.items() if d.year == year})
        return dict(sorted(days.items()))

    def is_business_day(self, d: dt.date) -> bool:
        """Monday to Friday and not a holiday, under the definition in force on ``d``.

        From 1 January 2020 Labor Code 4600.4(b) excludes every CalHR holiday. Before, the
        Day after Thanksgiving was a working day (*CDCR v. WCAB (Gomez)* 2018); the dated rule
        is ``business-day`` in ``library/data/law.yaml``.
        """
        d = _as_date(d)
        if d.weekday() >= 5:
            return False
        name = self.holiday_name(d)
        return name is None or _holiday_is_business_day(d, name)

    def is_office_closed(self, d: dt.date) -> bool:
        """A Saturday, a Sunday, or a day state offices close (Code Civ. Proc. 12b)."""
        d = _as_date(d)
        return d.weekday() >= 5 or self.is_holiday(d)

    def is_working_day(self, d: dt.date) -> bool:
        """Same as :meth:`is_business_day` (Pa'u 2019; Labor Code 4600.4(b))."""
        return self.is_business_day(d)

    # -- counting ---------------------------------------------------------------------------

    def add_calendar_days(self, d: dt.date, n: int) -> dt.date:
        """``d`` plus ``n`` calendar days (the first day is excluded: Code Civ. Proc. 12)."""
        return _as_date(d) + dt.timedelta(days=n)

    def add_business_days(self, d: dt.date, n: int) -> dt.date:
        """The ``n``-th business day after ``d`` (``d`` itself is never counted).

        ``n == 0`` returns ``d``; a negative ``n`` counts backwards.
        """
        day = _as_date(d)
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """Alias of :meth:`add_business_days`: CA WC "working days" are business days."""
        return self.add_business_days(d, n)

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days after ``start`` up to and including ``end`` (negative if reversed)."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            return -self.business_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count

    def next_business_day(self, d: dt.date) -> dt.date:
        """The first business day on or after ``d``."""
        day = _as_date(d)
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def is_filing_holiday(self, d: dt.date) -> bool:
        """True when a last day ``d`` is extended (Code Civ. Proc. 12a, 12b; 8 CCR 10600)."""
        d = _as_date(d)
        if self.is_office_closed(d):
            return True
        return self.judicial_holidays and d in judicial_only_holidays(d.year)

    def roll_forward(self, d: dt.date) -> dt.date:
        """Move a last day that falls on a weekend or holiday to the next business day.

        Code Civ. Proc. 12a: when the last day of a period set by law "is a holiday" (all
        Saturdays and the holidays of section 135) the period runs to the next day that is not
        a holiday; section 12b adds days on which the public office is closed, and the WCAB's
        own rule (8 CCR 10600, formerly 10508) extends to the next business day. Days already
        on a business day (and not a court-only holiday when ``judicial_holidays``) stay put.
        """
        day = _as_date(d)
        while self.is_filing_holiday(day):
            day += dt.timedelta(days=1)
        return day

    # -- time -------------------------------------------------------------------------------

    def localize(self, value: dt.datetime) -> dt.datetime:
        """``value`` in Pacific time; a naive datetime is taken as Pacific wall time."""
        if value.tzinfo is None:
            return value.replace(tzinfo=self.tz)
        return value.astimezone(self.tz)

    def local_now(self, clock: Callable[[], dt.datetime] | dt.datetime) -> dt.datetime:
        """The current Pacific time from an injected clock (a callable or a datetime).

        The clock must give an aware datetime: a naive "now" has no defined zone.
        """
        now = clock() if callable(clock) else clock
        if not isinstance(now, dt.datetime):
            raise CalendarError(f"the clock returned {type(now).__name__}, not a datetime")
        if now.tzinfo is None or now.utcoffset() is None:
            raise CalendarError("the clock returned a naive datetime; give it a time zone")
        return now.astimezone(self.tz)

    def local_today(self, clock: Callable[[], dt.datetime] | dt.datetime) -> dt.date:
        """The Pacific calendar date of :meth:`local_now`."""
        return self.local_now(clock).date()

    def receipt_date(self, received: dt.datetime, *, cutoff: dt.time = RECEIPT_CUTOFF) -> dt.date:
        """The date a faxed/e-mailed document counts as received (8 CCR 9792.9.1(a)(1)).

        Received after ``cutoff`` Pacific, or on a day that is not a business day: the next
        business day. That rule is written for RFAs in utilization review; openimr uses it
        only where a caller asks for it.
        """
        local = self.localize(received)
        day = local.date()
        if local.time() > cutoff:
            day += dt.timedelta(days=1)
        return self.next_business_day(day)


def _holiday_is_business_day(day: dt.date, name: str) -> bool:
    """Whether the business-day rule in force on ``day`` counts the holiday ``name``."""
    if not name.startswith("Day After Thanksgiving"):
        return False
    version = rule_on_or_none("business-day", day)
    return bool(
        version is not None and version.values.get("day_after_thanksgiving_is_business_day")
    )


def _as_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        raise CalendarError(f"expected a date, got the datetime {value.isoformat()}")
    if not isinstance(value, dt.date):
        raise CalendarError(f"expected a date, got {type(value).__name__}")
    return value

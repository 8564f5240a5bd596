"""The amount of a service requested (step 5a of :mod:`openimr.request.parse`): a count
("12 visits", "#6", "(24 sessions)") and a schedule ("2x6", "two to three times a week for
six to eight weeks"), hours, days and months."""

from __future__ import annotations

import re
from dataclasses import dataclass

from openimr.model.request import Schedule
from openimr.request.numbers import digits

# -- 5a. amounts of services ---------------------------------------------------------------

_N = r"\d+(?:\.\d+)?"
_RANGE = rf"(?P<a>{_N})(?:\s*(?:-|–|to|or)\s*(?P<b>{_N}))?"
_TIMES = r"(?:x|times?|visits?|sessions?|treatments?)"
_PAREN = re.compile(
    r"\(\s*(?:total\s+(?:of\s+)?)?(?P<n>\d+)\s*(?P<u>visits?|sessions?|treatments?|sittings?)?"
    r"\s*(?:total\s*)?\)"
)
_FREQ = re.compile(
    rf"{_RANGE}\s*(?:{_TIMES}\s*(?:(?:a|an|per|each|every|/)\s*)?(?:week|wk)\b"
    rf"|{_TIMES}?\s*(?:a|per|each|every|/)\s*(?:week|wk)\b|{_TIMES}?\s*weekly\b"
    rf"|days?\s*(?:a|per|each|/)\s*(?:week|wk)\b)"
)
_WEEKLY = re.compile(r"(?<![\w/])weekly\b")
_DUR = re.compile(rf"{_RANGE}\s*(?:weeks?|wks?)\b")
_DUR_MONTHS = re.compile(rf"(?:for|x|times|over)\s*{_RANGE}\s*months?\b")
_NXM = re.compile(
    r"(?<![\w./#-])(?P<a>\d+)\s*(?:x|times|×|\*)\s*(?P<b>\d+)\b"
    r"(?!\s*(?:mg|mcg|%|ml|/|\.\d|-|days?\b|hours?\b|hrs?\b|months?\b|per\s+day|a\s+day|daily))"
    r"(?:\s*(?:weeks?|wks?)\b)?"
)
_STOP = r"(?:times|x|a|per|for|weeks?|days?|months?|to|or|and|with|by|every|each)"
_COUNT1 = re.compile(
    rf"(?<![\w.#/-])(?P<n>\d+)\s+(?:(?!{_STOP}\b)[a-z/&'().-]+\s+){{0,4}}?"
    r"(?P<u>visits?|sessions?|treatments?|sittings?|appointments?)\b"
)
_COUNT2 = re.compile(
    r"(?P<u>visits|sessions|treatments)\s*[,:]?\s*(?:x\s*|#\s*)?(?P<n>\d+)\b"
    r"(?!\s*(?:x|times|weeks?|wks?|days?|months?|/|-|\.\d))"
)
_HASH = re.compile(r"#\s*(?P<n>\d+)\b(?:\s*(?P<u>[a-z]+))?")
_INJ = re.compile(
    r"(?<![\w.#/-])(?P<n>\d+)\s+(?:[a-z/&'-]+\s+){0,4}?(?P<u>injections?|blocks?|shots?)\b"
    r"|series\s+of\s+(?P<n2>\d+)"
)
_DAYS = re.compile(
    r"(?<![\w.#/-])(?P<a>\d+)(?:\s*(?:-|–|to)\s*(?P<b>\d+))?[\s-]*days?\b"
    r"(?!\s*(?:a|per|/|each)\s*week)"
)
_HOURS = re.compile(
    r"(?<![\w.#/-])(?P<a>\d+)(?:\s*(?:-|–|to)\s*(?P<b>\d+))?\s*(?:hours?|hrs?)\b"
    r"(?!\s*(?:a|per|/|each)\s*(?:day|week)|\s*daily)"
)
_MONTHS = re.compile(r"(?<![\w.#/-])(?P<a>\d+)(?:\s*(?:-|–|to)\s*(?P<b>\d+))?[\s-]*months?\b")
# a rate of care hours ("8 hours a day", "20 hrs/week", "4 hours daily"), and round-the-clock care
_HOURS_RATE = re.compile(
    r"(?<![\w.#/-])(?P<a>\d+)(?:\s*(?:-|–|to)\s*(?P<b>\d+))?\s*(?:hours?|hrs?)\s*"
    r"(?:(?:a|per|/|each|every)\s*(?P<per>day|week|wk)\b|daily\b)"
)
_ROUND_THE_CLOCK = re.compile(r"(?<![\w/])24\s*/\s*7\b|\b(?:a)?round[\s-]the[\s-]clock\b")
_XN = re.compile(r"(?<![\w.])x\s*(?P<n>\d+)\b(?!\s*(?:weeks?|wks?|days?|months?|times|x|/))")
_LEADING = re.compile(
    r"^\s*(?P<n>\d+)\s+(?!(?:times|x|to|or|weeks?|days?|hours?|months?|mg|mcg|%|-)\b)[a-z]"
)

UNIT_WORDS = {
    "visit": "visits",
    "visits": "visits",
    "appointment": "visits",
    "appointments": "visits",
    "session": "sessions",
    "sessions": "sessions",
    "treatment": "sessions",
    "treatments": "sessions",
    "sitting": "sessions",
    "sittings": "sessions",
    "injection": "injections",
    "injections": "injections",
    "block": "injections",
    "blocks": "injections",
    "shot": "injections",
    "shots": "injections",
    "tab": "tablets",
    "tabs": "tablets",
    "tablet": "tablets",
    "tablets": "tablets",
    "cap": "capsules",
    "caps": "capsules",
    "capsule": "capsules",
    "capsules": "capsules",
    "patch": "patches",
    "patches": "patches",
    "pad": "patches",
    "pads": "patches",
    "g": "grams",
    "gm": "grams",
    "gms": "grams",
    "gram": "grams",
    "grams": "grams",
    "box": "boxes",
    "boxes": "boxes",
    "tube": "tubes",
    "tubes": "tubes",
    "bottle": "bottles",
    "bottles": "bottles",
    "ml": "ml",
    "oz": "ounces",
    "ounce": "ounces",
    "ounces": "ounces",
    "jar": "jars",
    "jars": "jars",
    "unit": "units",
    "units": "units",
    "pair": "pairs",
    "pairs": "pairs",
    "kit": "kits",
    "kits": "kits",
    "pack": "packs",
    "packs": "packs",
    "day": "days",
    "days": "days",
    "hour": "hours",
    "hours": "hours",
}


def _num(s: str | None) -> float | None:
    return float(s) if s is not None else None


def _int(s: str | None) -> int | None:
    return int(float(s)) if s is not None else None


@dataclass
class Amount:
    quantity: int | None = None
    quantity_max: int | None = None
    unit: str | None = None
    schedule: Schedule | None = None


class _Masked:
    """A lower-cased text whose consumed spans can be blanked out."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, rx: re.Pattern[str]) -> re.Match[str] | None:
        m = rx.search(self.text)
        if m:
            self.blank(m.start(), m.end())
        return m

    def blank(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


def _therapy_unit(text: str, default: str | None) -> str | None:
    if re.search(r"\b(?:sessions?|treatments?|sittings?)\b", text):
        return "sessions"
    if re.search(r"\bvisits?\b", text):
        return "visits"
    return default


def service_amount(work: str, default_unit: str | None) -> Amount:
    """Count and schedule of a service request (therapy, device, test, programme)."""
    t = _Masked(digits(work).lower())
    out = Amount()
    explicit: tuple[int, str | None] | None = None

    m = t.take(_PAREN)
    if m:
        explicit = (int(m.group("n")), m.group("u"))

    # schedule: frequency per week, duration in weeks, or "N x M"
    per_week = per_week_max = weeks = weeks_max = None
    f = t.take(_FREQ)
    if f:
        per_week, per_week_max = _num(f.group("a")), _num(f.group("b"))
    elif t.take(_WEEKLY):
        per_week = 1.0
    nxm = t.take(_NXM) if per_week is None else None
    if nxm:
        per_week, weeks = float(nxm.group("a")), float(nxm.group("b"))
    else:
        d = t.take(_DUR)
        if d:
            weeks, weeks_max = _num(d.group("a")), _num(d.group("b"))
        elif per_week is not None:
            mo = t.take(_DUR_MONTHS)
            if mo:
                weeks = round(float(mo.group("a")) * 52 / 12, 1)
                weeks_max = round(float(mo.group("b")) * 52 / 12, 1) if mo.group("b") else None
    if per_week is not None or weeks is not None:
        out.schedule = Schedule(
            per_week=per_week, per_week_max=per_week_max, weeks=weeks, weeks_max=weeks_max
        )

    if default_unit == "hours":  # care counted in hours: the hours per week asked for
        rate = _hours_per_week(t, per_week)
        if rate is not None:
            out.quantity, out.quantity_max = rate
            out.unit = "hours per week"
            return out

    unit_default = _therapy_unit(t.text, default_unit)
    if explicit is not None:
        out.quantity = explicit[0]
        out.unit = UNIT_WORDS.get(explicit[1] or "") or unit_default
        return out
    for rx in (_COUNT1, _COUNT2):
        m = t.take(rx)
        if m:
            out.quantity, out.unit = int(m.group("n")), UNIT_WORDS[m.group("u")]
            return out
    m = t.take(_HASH)
    if m:
        out.quantity = int(m.group("n"))
        out.unit = UNIT_WORDS.get(m.group("u") or "") or unit_default or "units"
        return out
    m = t.take(_INJ)
    if m:
        out.quantity = int(m.group("n") or m.group("n2"))
        out.unit = "injections"
        return out
    m = t.take(_DAYS)
    if m:
        out.quantity, out.quantity_max, out.unit = _int(m.group("a")), _int(m.group("b")), "days"
        return out
    for rx, unit in ((_HOURS, "hours"), (_MONTHS, "months")):
        m = t.take(rx)
        if m:
            out.quantity, out.quantity_max = _int(m.group("a")), _int(m.group("b"))
            out.unit = unit
            return out
    if out.schedule is None:
        m = t.take(_XN) or t.take(_LEADING)
        if m:
            out.quantity, out.unit = int(m.group("n")), unit_default or "units"
    return out


def _hours_per_week(t: _Masked, per_week: float | None) -> tuple[int, int | None] | None:
    """Hours of care a week: a weekly rate, or a daily rate times the days a week (every day
    when the request states no days, as "24 hours a day" or "8 hours daily" means)."""
    if t.take(_ROUND_THE_CLOCK):
        return 24 * 7, None
    m = t.take(_HOURS_RATE)
    if m is None:
        return None
    a, b = int(m.group("a")), _int(m.group("b"))
    if m.group("per") in ("week", "wk"):
        return a, b
    days = per_week if per_week is not None else 7.0
    return round(a * days), (round(b * days) if b is not None else None)

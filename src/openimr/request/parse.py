"""Reading one free-text disputed request into a :class:`~openimr.model.ParsedRequest`.

The steps, each a small function below:

1. split a modified request ("X was the original request. Y was authorized by the Claims
   Administrator. The remaining IMR eligible portion of the original request, Z is") into
   ``original_request`` / ``authorized`` / ``disputed``;
2. read the flags: retrospective and date of service, pre-/post-operative, "Associated
   surgical service";
3. find body regions, side and spinal levels;
4. classify: the catalogue's entries and drug names found in the disputed text (see
   :mod:`openimr.request.catalogue` for how ties are broken);
5. read the amount: for services a count ("12 visits", "#6", "(24 sessions)") and a
   schedule ("2x6", "two to three times a week for six to eight weeks"); for medications
   the strength, quantity ("#60"), directions and refills, or a compound's ingredients.

Everything here is pure and fast: regexes compiled at import, the catalogue compiled once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openimr.errors import RequestError
from openimr.model.request import (
    Acquisition,
    Contrast,
    Ingredient,
    ParsedRequest,
    Schedule,
    Side,
)
from openimr.request.catalogue import (
    Catalogue,
    DrugMention,
    Match,
    TreatmentEntry,
    catalogue,
)
from openimr.request.catalogue_schema import PATCH_FORMS, TOPICAL_FORMS
from openimr.request.numbers import UNITS, digits

__all__ = ["classify", "parse_request"]

_I = re.IGNORECASE
_WS = re.compile(r"\s+")

# -- 1. modified requests ------------------------------------------------------------------

_ORIGINAL = re.compile(r"^(?P<x>.+?),?\s+(?:was|as)\s+the\s+original\s+request\b[\s.,;:]*", _I)
_LEAD_IN = re.compile(
    r"^(?:the\s+)?(?:treatments?|services?|items?)\s+requested\s+(?:for\s+review\s+)?"
    r"(?:included?|was|were|is|are)\s+",
    _I,
)
_AUTH_PASSIVE = re.compile(
    r"(?:^|(?<=\.)\s+)(?P<y>(?:(?!\.\s).)*?)\s*(?:was|were)\s+(?:authorized|certified|approved)"
    r"\s+by\s+the\s+claims\s+administrator\b",
    _I,
)
_AUTH_ACTIVE = re.compile(
    r"\bthe\s+claims\s+administrator\s+(?:authorized|certified|approved|modified\s+"
    r"(?:the|this)\s+(?:request\s+)?to)\s+(?P<y>(?:(?!\.\s).)+?)(?:,?\s+leaving\b|\.(?:\s|$)|$)",
    _I,
)
_MARKER = re.compile(
    r"(?:remaining\s+(?:imr[\s-]+eligible\s+)?portion\s+of\s+the\s+original\s+request"
    r"|(?<!was\s)(?<!as\s)\bthe\s+original\s+request)\s*(?:,|:|\bis\b:?|\bwas\b:?)\s*",
    _I,
)
_TRAIL = re.compile(
    r",?\s+(?:is|was)\b(?=\s*(?::|$|not\b|medically\b|determined\b|denied\b|upheld\b|"
    r"overturned\b|found\b|non-?certified\b|certified\b|considered\b|deemed\b))",
    _I,
)
_VERDICT = re.compile(r"\s*:\s*(?:upheld|overturned)\s*\.?\s*$", _I)
_REQUEST_FOR = re.compile(
    r"^(?:the\s+)?(?:(?:prospective|concurrent)\s+)?(?:(?:request|requests|usage|use)\s+"
    r"(?:for|of)\s+)?(?:(?:\d+|one)\s+(?:prescriptions?|rx)\s+(?:of|for)\s+)?",
    _I,
)


def _tidy(s: str) -> str:
    return _WS.sub(" ", s).strip(" \t,;:.")


def split_modified(text: str) -> tuple[str | None, str | None, str]:
    """``(original_request, authorized, disputed)`` of a request as written in letters."""
    original: str | None = None
    authorized: str | None = None
    rest = text
    m = _ORIGINAL.match(text)
    if m:
        original = _tidy(_LEAD_IN.sub("", m.group("x")))
        rest = text[m.end() :]
    a = _AUTH_PASSIVE.search(rest) or _AUTH_ACTIVE.search(rest)
    if a and a.group("y").strip():
        authorized = _tidy(a.group("y"))
    markers = list(_MARKER.finditer(text))
    disputed = text
    if markers:
        disputed = text[markers[-1].end() :]
        t = _TRAIL.search(disputed)
        if t:
            disputed = disputed[: t.start()]
    elif original is not None:
        disputed = original
    disputed = _tidy(_VERDICT.sub("", disputed))
    return original or None, authorized, disputed or _tidy(text)


# -- 2. flags ------------------------------------------------------------------------------

_DATE = r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{2}-\d{2}"
_DOS = re.compile(
    rf"[(\[]?\s*\b(?:DOS|dates?\s+of\s+service|service\s+date)\b\s*:?\s*(?P<d>{_DATE})"
    rf"(?:\s*(?:-|–|to|through|thru)\s*(?:{_DATE}))?\s*[)\]]?",
    _I,
)
_RETRO = re.compile(
    r"\bretro(?:spective(?:ly)?|active(?:ly)?)?\b\.?(?:\s+(?:request|review)\b)?"
    r"(?:\s+(?:for|of)\b)?\s*:?\s*",
    _I,
)
_PRE = re.compile(
    r"\bpre[\s-]*op(?:erative(?:ly)?)?\b|\bpre[\s-]*surg\w*|\bpre[\s-]*procedur\w*"
    r"|\b(?:prior\s+to|before)\s+(?:the\s+)?(?:\w+\s+){0,2}(?:surgery|operation|procedure)",
    _I,
)
_POST = re.compile(
    r"\bpost[\s-]*op(?:erative(?:ly)?)?\b|\bpost[\s-]*surg\w*|\bstatus[\s-]*post\b|\bs/p\b"
    r"|\b(?:after|following)\s+(?:the\s+|his\s+|her\s+)?(?:[\w-]+\s+){0,3}(?:surgery|operation|"
    r"arthroscopy|repair|release|fusion|replacement|arthroplasty|reconstruction|discectomy|"
    r"laminectomy|meniscectomy)\b",
    _I,
)
_ASS = re.compile(r"\bassociated\s+surgical\s+services?\b\s*:?\s*", _I)


def _parse_date(s: str) -> dt.date | None:
    try:
        if "-" in s and len(s.split("-")[0]) == 4:
            return dt.date.fromisoformat(s)
        month, day, year = (int(p) for p in re.split(r"[/-]", s))
    except ValueError:
        return None
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# -- 3. regions, side, levels --------------------------------------------------------------

_LEFT = re.compile(r"\bleft\b|\blt\b\.?", _I)
_RIGHT = re.compile(r"\bright\b|\brt\b\.?", _I)
_BILATERAL = re.compile(r"\bbilateral(?:ly)?\b|\bbilat\b|\bb/l\b|\bboth\b|\bBUE\b|\bBLE\b", _I)
_LEVEL = re.compile(r"\b([CTLS])(\d{1,2})(?:\s*[-–]\s*([CTLS])?(\d{1,2}))?\b")
_LEVEL_MAX = {"C": 7, "T": 12, "L": 5, "S": 5}


def _side(text: str) -> Side | None:
    if _BILATERAL.search(text):
        return "bilateral"
    left, right = bool(_LEFT.search(text)), bool(_RIGHT.search(text))
    if left and right:
        return "bilateral"
    return "left" if left else "right" if right else None


def _valid_level(letter: str, number: str) -> bool:
    return 1 <= int(number) <= _LEVEL_MAX[letter]


def spinal_levels(text: str) -> tuple[str, ...]:
    """Spinal levels named: "L4-5, L5-S1" -> ("L4-L5", "L5-S1")."""
    out: list[str] = []
    for m in _LEVEL.finditer(text):
        a_l, a_n, b_l, b_n = m.groups()
        if not _valid_level(a_l, a_n):
            continue
        level = f"{a_l}{int(a_n)}"
        if b_n is not None:
            b_l = b_l or a_l
            if _valid_level(b_l, b_n):
                level += f"-{b_l}{int(b_n)}"
        if level not in out:
            out.append(level)
    return tuple(out)


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

_UNIT_WORDS = {
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
class _Amount:
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


def service_amount(work: str, default_unit: str | None) -> _Amount:
    """Count and schedule of a service request (therapy, device, test, programme)."""
    t = _Masked(digits(work).lower())
    out = _Amount()
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
        out.unit = _UNIT_WORDS.get(explicit[1] or "") or unit_default
        return out
    for rx in (_COUNT1, _COUNT2):
        m = t.take(rx)
        if m:
            out.quantity, out.unit = int(m.group("n")), _UNIT_WORDS[m.group("u")]
            return out
    m = t.take(_HASH)
    if m:
        out.quantity = int(m.group("n"))
        out.unit = _UNIT_WORDS.get(m.group("u") or "") or unit_default or "units"
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


# -- 5b. medications -----------------------------------------------------------------------

_FORM = re.compile(
    # a nasal spray is not a topical for the skin
    r"\b(?P<f>patch(?:es)?|pads?|plasters?|creams?|gels?|ointments?|lotions?|(?<!nasal )sprays?|foams?|"
    r"liniments?|roll[\s-]?on|topical|transdermal|tablets?|tabs?|capsules?|caps?|solution|"
    r"liquid|suspension|injections?|injectable)\b",
    _I,
)
_FORM_NAMES = {
    "patches": "patch",
    "pads": "pad",
    "pad": "pad",
    "plasters": "plaster",
    "tabs": "tablet",
    "tab": "tablet",
    "tablets": "tablet",
    "caps": "capsule",
    "cap": "capsule",
    "capsules": "capsule",
    "injections": "injection",
    "injectable": "injection",
    "rollon": "roll-on",
    "roll on": "roll-on",
}
_STRENGTH = re.compile(
    r"(?<![\w.#,])(?P<s>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:\s*[-/]\s*\d+(?:\.\d+)?)*)\s*"
    r"(?P<u>mg|mcg|µg|ug|gm|g|ml|%|units?|iu|meq)(?![a-z])"
    r"(?:\s*/\s*(?P<per>hr|hour|h|ml|\d+\s*ml|actuation|spray)\b)?",
    _I,
)
_BARE_STRENGTH = re.compile(r"[\s(,]*(?P<s>\d+(?:\.\d+)?/\d+(?:\.\d+)?)(?![\d.%])")
_QTY = re.compile(
    r"(?:#|\bqty\.?:?|\bquantity:?|\bdisp(?:ense)?:?|\bcount:?)\s*(?P<n>\d+)\b"
    r"(?:\s*\(?(?P<u>tablets?|tabs?|capsules?|caps?|patch(?:es)?|pads?|grams?|gms?|gm|g|"
    r"boxe?s?|tubes?|bottles?|ml|units?|packs?|kits?|jars?|ounces?|oz)\b)?",
    _I,
)
_AMOUNT = re.compile(
    r"(?<![\w.#/-])(?P<n>\d+)\s*(?P<u>grams?|gms?|gm|g|ml|oz|ounces?)(?![a-z])", _I
)
_REFILLS = re.compile(
    r"(?:\bwith\s+)?\b(?P<n>\d+|no|zero|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven)\s+(?:additional\s+)?refills?\b|\brefills?\s*(?::|x|#)?\s*(?P<n2>\d+)\b"
    r"|\bRF\s*x?\s*(?P<n3>\d+)\b",
    _I,
)
_SIG = re.compile(
    r"\b(?:take|takes|apply|use|inject|insert|place|inhale|chew|dissolve|tabs?|tablets?|caps?|"
    r"capsules?|by\s+mouth|orally|po|daily|nightly|bedtime|qhs|qd|bid|tid|qid|prn|q\s?\d+h?|"
    r"every|as\s+needed|times\s+a\s+day|a\s+day|per\s+day|hours?\s+on|affected\s+area|twice|"
    r"once|repeat)\b",
    _I,
)
_INGREDIENT = re.compile(
    # a name starts where a run of letters does (the same matches as from any letter of the run)
    # and its words never give letters back (a blank must follow them): linear, not quadratic,
    # on a long run of letters in a hostile request
    r"(?<![A-Za-z])(?P<name>[A-Za-z][A-Za-z-]*+(?:\s+[A-Za-z][A-Za-z-]*+){0,2}?)"
    r"\s+(?P<s>\d+(?:\.\d+)?)\s*%"
)
_STRENGTH_LIST = re.compile(r"\d+(?:\.\d+)?\s*%(?:\s*[/,-]\s*\d+(?:\.\d+)?\s*%)+")
_INGREDIENT_STOP = frozenset(
    re.findall(
        r"\S+",
        "in a an and with plus of the cream gel base compound compounded topical ointment "
        "lotion transdermal containing contains",
    )
)
_COMPOUND_WORD = re.compile(r"\bcompound\w*|\bbase\b|\blipoderm\b|\bversapro\b", _I)
_UNKNOWN_DRUG = re.compile(
    r"^\s*(?:(?:post|pre)[\s-]*op\w*\s+)?(?P<name>[A-Za-z][A-Za-z-]{2,})"
    r"(?:\s+\((?P<brand>[A-Za-z][\w -]*)\))?\s+\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?\s*"
    r"(?:mg|mcg|g|gm|ml|%|iu|units?)(?![a-z])",
    _I,
)
_REFILL_WORDS = {"no": 0, **{w: n for w, n in UNITS.items() if n <= 11}}


def _form_name(word: str) -> str:
    w = _WS.sub(" ", word.lower())
    if w in _FORM_NAMES:
        return _FORM_NAMES[w]
    return w[:-1] if w.endswith("s") and w[:-1] in PATCH_FORMS | TOPICAL_FORMS else w


def _form(text: str, mention: DrugMention | None) -> str | None:
    m = _FORM.search(text)
    if m:
        return _form_name(m.group("f"))
    if mention is not None and mention.brand is not None:
        return mention.brand.form
    return None


def _route(cat: Catalogue, mention: DrugMention, form: str | None) -> TreatmentEntry:
    """The treatment a drug is requested as, given its dosage form."""
    d, e = mention.drug, mention.entry
    if form in PATCH_FORMS:
        kind = "patch"
    elif form in TOPICAL_FORMS or form == "transdermal":
        kind = "topical"
    else:
        return e
    if d.transdermal:
        return e
    target = d.patch if kind == "patch" else d.topical
    if target is not None and target in cat:
        return cat[target]
    if e.category == "medications-topicals" or "topical-compound" not in cat:
        return e
    return cat["topical-compound"]


def _ingredients(cat: Catalogue, text: str, mentions: Sequence[DrugMention]) -> list[Ingredient]:
    out: list[Ingredient] = []
    covered: list[tuple[int, int]] = []
    for m in _INGREDIENT.finditer(text):
        words = m.group("name").split()
        name: str | None = None
        cls: str | None = None
        for i in range(len(words)):  # the longest known drug name ending the phrase
            known = cat.drug(" ".join(words[i:]))
            if known is not None:
                name, cls = known.generic, known.drug_class
                break
        if name is None:
            while words and words[0].lower() in _INGREDIENT_STOP:
                words = words[1:]
            if not words:
                continue
            name, cls = " ".join(words).lower(), None
        out.append(Ingredient(name=name, strength=f"{m.group('s')}%", drug_class=cls))
        covered.append(m.span())
    if out:
        for dm in mentions:
            if any(a <= dm.start < b for a, b in covered):
                continue
            for name in dm.drug.generic.split("/"):
                if all(i.name != name for i in out):
                    out.append(_ingredient(cat, name, None))
        return out
    # "Flurbiprofen/Cyclobenzaprine/Menthol cream (20%/10%/4%)": names, then strengths in order
    names: list[str] = []
    for dm in mentions:
        names += [n for n in dm.drug.generic.split("/") if n not in names]
    lst = _STRENGTH_LIST.search(text)
    strengths = re.findall(r"\d+(?:\.\d+)?%", lst.group(0)) if lst else []
    if len(strengths) != len(names):
        strengths = []
    return [
        _ingredient(cat, name, strengths[i] if strengths else None) for i, name in enumerate(names)
    ]


def _ingredient(cat: Catalogue, name: str, strength: str | None) -> Ingredient:
    known = cat.drug(name)
    return Ingredient(name=name, strength=strength, drug_class=known.drug_class if known else None)


def _is_compound(text: str, mentions: Sequence[DrugMention], form: str | None) -> bool:
    if len(_INGREDIENT.findall(text)) >= 2:
        return True
    generics = {m.drug.generic for m in mentions}
    topical = form in PATCH_FORMS or form in TOPICAL_FORMS or form == "transdermal"
    return len(generics) >= 2 and (topical or bool(_COMPOUND_WORD.search(text)))


@dataclass
class _DrugDetails:
    strength: str | None = None
    quantity: int | None = None
    unit: str | None = None
    directions: str | None = None
    refills: int | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)


def _strength(s: str, unit: str, per: str | None) -> str:
    out = re.sub(r"\s+", "", s) + unit.lower().replace("µg", "mcg").replace("ug", "mcg")
    return out + (f"/{per.lower()}" if per else "")


def _unit_for_form(form: str | None, default: str | None) -> str:
    if form in PATCH_FORMS:
        return "patches"
    if form in TOPICAL_FORMS and form != "topical":
        return "grams"
    if form == "capsule":
        return "capsules"
    if form in ("solution", "liquid", "suspension"):
        return "ml"
    return default or "tablets"


def drug_details(
    work: str,
    mention: DrugMention | None,
    form: str | None,
    default_unit: str | None,
    topical_entry: bool = False,
) -> _DrugDetails:
    out = _DrugDetails()
    after = mention.end if mention else 0
    topical = topical_entry or form in PATCH_FORMS or form in TOPICAL_FORMS
    topical = topical or form == "transdermal"
    m = _STRENGTH.search(work, after)
    if m and topical and m.group("u").lower() in ("g", "gm", "ml") and not m.group("per"):
        m = None  # "Terocin lotion 120ml": an amount of lotion, not a strength
    if m:
        out.strength = _strength(m.group("s"), m.group("u"), m.group("per"))
        out.spans.append(m.span())
    else:
        b = _BARE_STRENGTH.match(work, after)
        if b:
            out.strength = b.group("s")
            out.spans.append(b.span("s"))
    blanked = work
    if mention is not None:  # "Tylenol #3 #60": the brand's "#3" is not the quantity
        blanked = work[: mention.start] + " " * (mention.end - mention.start) + work[mention.end :]
    q = _QTY.search(blanked)
    if q:
        out.quantity = int(q.group("n"))
        unit = q.group("u")
        out.unit = _UNIT_WORDS.get(unit.lower()) if unit else None
        out.unit = out.unit or _unit_for_form(form, default_unit)
        out.spans.append(q.span())
    elif topical:
        a = _AMOUNT.search(blanked, after)
        if a:
            out.quantity, out.unit = int(a.group("n")), _UNIT_WORDS[a.group("u").lower()]
            out.spans.append(a.span())
    r = _REFILLS.search(work)
    if r:
        n = r.group("n") or r.group("n2") or r.group("n3")
        out.refills = int(n) if n.isdigit() else _REFILL_WORDS.get(n.lower())
        out.spans.append(r.span())
    return out


_HEAD_GAP = re.compile(r"[\s,()]*")


def _head(work: str, pos: int, spans: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The span after a drug name holding its strength, brand and form: "(Valium) 5mg tab"."""
    start = pos
    while True:
        gap = _HEAD_GAP.match(work, pos)
        nxt = gap.end() if gap else pos
        taken = next((b for a, b in spans if a == nxt and b > nxt), None)
        if taken is not None:
            pos = taken
            continue
        form = _FORM.match(work, nxt)
        if form is None:
            return start, pos
        pos = form.end()


def _directions(work: str, spans: Sequence[tuple[int, int]]) -> str | None:
    """What is left of a medication request once name, strength, amount are taken: the sig."""
    chars = list(work)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = "\x00"
    pieces = [p for p in "".join(chars).split("\x00")]
    kept = [_tidy(p.strip(" ,;()")) for p in pieces]
    kept = [k for k in kept if k and _SIG.search(k)]
    if not kept:
        return None
    text = ", ".join(kept)
    text = re.sub(r"^(?:(?:post|pre)[\s-]*op\w*|for)\s+", "", text, flags=_I)
    return text or None


# -- purpose -------------------------------------------------------------------------------

_FOR = re.compile(r"\bfor\s+(?:the\s+)?(?P<p>[^,;.()#]+)", _I)
_PURPOSE_CUT = re.compile(r"\s+(?:followed\s+by|is|was|x|times|\d).*$", _I)
_PURPOSE_FILLER = frozenset(
    re.findall(
        r"\S+",
        "the and of a an both bilateral left right lower upper mid middle & side sides area "
        "areas region regions spine joint joints weeks week days day months month sessions "
        "visits session visit treatment treatments use purchase rental",
    )
)
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty)\b", _I
)


def _purpose(cat: Catalogue, text: str) -> str | None:
    for m in _FOR.finditer(text):
        phrase = _PURPOSE_CUT.sub("", m.group("p")).strip()
        if not phrase or phrase[0].isdigit():
            continue
        rest = phrase
        for a, b in sorted(cat.region_spans(phrase), reverse=True):
            rest = rest[:a] + " " + rest[b:]
        rest = _NUMBER_WORDS.sub(" ", rest)
        words = [w for w in re.split(r"[\s/-]+", rest.lower()) if w]
        if any(w not in _PURPOSE_FILLER for w in words):
            return phrase
    return None


# -- 4. and the whole ----------------------------------------------------------------------

_CONTRAST_BOTH = re.compile(
    r"with\s+(?:and|&|/|or)\s+without\s+contrast|w/?\s*(?:and|&|/)\s*w/?o\s+contrast"
    r"|with/without\s+contrast",
    _I,
)
_CONTRAST_WITHOUT = re.compile(
    r"\bwithout\s+(?:iv\s+)?contrast|\bw/o\s+contrast|\bnon[\s-]*contrast|\bno\s+contrast", _I
)
_CONTRAST_WITH = re.compile(
    r"\bwith\s+(?:iv\s+)?contrast|\bw/\s*contrast|\bcontrast[\s-]+enhanced|\bgadolinium", _I
)
_PURCHASE = re.compile(r"\bpurchase[sd]?\b|\bbuy\b|\bpermanent\s+use\b", _I)
_RENTAL = re.compile(r"\brent(?:al|ed)?\b|\bdays?\s+use\b|\bday\s+use\b|\blease\b", _I)
_TRIAL = re.compile(r"\btrial\b", _I)
_SPECIALTY_CATEGORIES = frozenset({"evaluation-management", "psychological"})


#: perioperative services that an "Associated surgical service" heading does not make post-op
#: tests that, named as a service of a surgery, are its pre-operative work-up (and the
#: pre-operative entry they then are)
_PREOPERATIVE_WORKUP = {"ekg": "preoperative-ekg", "laboratory-test": "preoperative-labs"}

_NOT_POSTOPERATIVE = frozenset(
    {
        "surgical-assistant",
        "anesthesia",
        "preoperative-clearance",
        "preoperative-labs",
        "preoperative-xray",
        "preoperative-ekg",
    }
)


def _contrast(text: str) -> Contrast | None:
    if _CONTRAST_BOTH.search(text):
        return "with-and-without"
    if _CONTRAST_WITHOUT.search(text):
        return "without"
    if _CONTRAST_WITH.search(text):
        return "with"
    return None


def _acquisition(text: str) -> Acquisition | None:
    if _PURCHASE.search(text):
        return "purchase"
    if _RENTAL.search(text):
        return "rental"
    if _TRIAL.search(text):
        return "trial"
    return None


@dataclass
class _Classified:
    entry: TreatmentEntry | None
    mention: DrugMention | None = None
    mentions: list[DrugMention] = field(default_factory=list)
    form: str | None = None
    compound: bool = False
    unknown_drug: str | None = None
    unknown_brand: str | None = None


def _classify(
    cat: Catalogue, work: str, perioperative: str | None, regions: Sequence[str]
) -> _Classified:
    matches = cat.find_treatments(work, perioperative=perioperative, regions=regions)
    mentions = cat.find_drugs(work)
    first = mentions[0] if mentions else None
    form = _form(work, first)
    compound = bool(mentions) and _is_compound(work, mentions, form)
    if first is not None:
        routed = _route(cat, first, form)
        if compound and "topical-compound" in cat:
            routed = cat["topical-compound"]
        matches = cat.rank([*matches, Match(routed, first.start, first.end, 0, first.drug)])
    elif len(_INGREDIENT.findall(work)) >= 2 and "topical-compound" in cat:
        compound = True
        m = _INGREDIENT.search(work)
        start = m.start() if m else 0
        matches = cat.rank([*matches, Match(cat["topical-compound"], start, start + 1)])
    if matches:
        best = matches[0]
        keep = best.drug is not None or best.entry.category.startswith("med")
        mention = first if keep or best.entry.category == "injections" else None
        if best.entry.id == "topical-compound" and compound:
            mention = None
        return _Classified(best.entry, mention, mentions, form, compound)
    u = _UNKNOWN_DRUG.match(work)
    if u and "medication-other" in cat:
        return _Classified(
            cat["medication-other"],
            form=form,
            unknown_drug=u.group("name").lower(),
            unknown_brand=u.group("brand"),
        )
    return _Classified(None, form=form)


def _strip_flags(text: str) -> str:
    text = _DOS.sub(" ", text)
    text = _ASS.sub(" ", text)
    text = _RETRO.sub(" ", text)
    text = _REQUEST_FOR.sub("", _tidy(text))
    return _tidy(text)


def parse_request(text: str) -> ParsedRequest:
    """Read a disputed request as written in a case file or an IMR letter.

    Raises :class:`~openimr.errors.RequestError` for an empty request; anything else is
    read as well as it can be (``treatment`` is ``None`` when nothing in the catalogue fits).
    """
    if not isinstance(text, str):
        raise RequestError(f"a request must be text, not {type(text).__name__}")
    raw = _tidy(text)
    if not any(c.isalnum() for c in raw):
        raise RequestError("the request is empty" if not raw else f"no words in request {raw!r}")
    cat = catalogue()
    original, authorized, disputed = split_modified(raw)

    dos_match = _DOS.search(raw)
    date_of_service = _parse_date(dos_match.group("d")) if dos_match else None
    retrospective = bool(_RETRO.search(raw)) or dos_match is not None
    ass = bool(_ASS.search(raw))
    flag_text = disputed if original is None else f"{disputed} {original}"
    perioperative: str | None = None
    if _PRE.search(flag_text):
        perioperative = "pre"
    elif _POST.search(flag_text) or ass:
        perioperative = "post"

    work = _strip_flags(disputed) or disputed
    original_work = _strip_flags(original) if original else ""
    regions = cat.find_regions(work) or (cat.find_regions(original_work) if original else [])
    side = _side(work) or (_side(original_work) if original else None)

    found = _classify(cat, work, perioperative, regions)
    if found.entry is None and original_work:
        found = _classify(cat, original_work, perioperative, regions)
    entry = found.entry
    if (
        ass
        and perioperative == "post"
        and entry is not None
        and entry.id in _PREOPERATIVE_WORKUP
        and not _POST.search(flag_text)
    ):
        # "Associated surgical service: EKG" is the surgery's pre-operative work-up
        pre = _classify(cat, work, "pre", regions)
        if pre.entry is not None and pre.entry.id == _PREOPERATIVE_WORKUP[entry.id]:
            found, entry, perioperative = pre, pre.entry, "pre"
    if (
        ass
        and perioperative == "post"
        and entry is not None
        and (entry.category == "surgery" or entry.id in _NOT_POSTOPERATIVE)
        and not _POST.search(flag_text)
    ):
        perioperative = None  # "Associated surgical service: assistant surgeon" is not post-op

    is_medication = entry is not None and entry.category.startswith("medications-")
    if is_medication and entry is not None:
        fields = _medication_fields(cat, work, entry, found)
    else:
        amount = service_amount(work, entry.unit if entry else None)
        fields = {
            "quantity": amount.quantity,
            "quantity_max": amount.quantity_max,
            "quantity_unit": amount.unit if amount.quantity is not None else None,
            "schedule": amount.schedule,
        }
    fields.update(_drug_identity(work, found, is_medication))

    if entry is not None and (
        entry.category in _SPECIALTY_CATEGORIES or entry.id == "preoperative-clearance"
    ):
        spec = cat.find_specialty(work)
        fields["specialty"] = spec.id if spec else None

    fields.update(
        text=text,
        disputed=disputed,
        treatment=entry.id if entry else None,
        category=entry.category if entry else None,
        body_regions=tuple(regions),
        side=side,
        original_request=original,
        authorized=authorized,
        authorized_sessions=_authorized_sessions(authorized, entry),
        retrospective=retrospective,
        date_of_service=date_of_service,
        perioperative=perioperative,
        associated_surgical_service=ass,
        purpose=_purpose(cat, work),
        spinal_levels=spinal_levels(work),
        contrast=_contrast(work),
        acquisition=None if is_medication else _acquisition(work),
    )
    return ParsedRequest.model_validate(fields)


def _authorized_sessions(authorized: str | None, entry: TreatmentEntry | None) -> int | None:
    """Sessions in the authorized part of a modified service request."""
    if not authorized or entry is None or entry.category.startswith("medications-"):
        return None
    amount = service_amount(authorized, entry.unit)
    if amount.quantity is not None and amount.unit in (None, "visits", "sessions"):
        return amount.quantity
    return amount.schedule.total if amount.schedule is not None else None


def _medication_fields(
    cat: Catalogue, work: str, entry: TreatmentEntry, found: _Classified
) -> dict[str, Any]:
    """Strength, amount, refills, directions (or a compound's ingredients) of a medication."""
    topical_entry = entry.category == "medications-topicals"
    details = drug_details(work, found.mention, found.form, entry.unit, topical_entry)
    spans = [*details.spans, *((dm.start, dm.end) for dm in found.mentions)]
    fields: dict[str, Any] = {
        "quantity": details.quantity,
        "quantity_unit": details.unit,
        "refills": details.refills,
        "dosage_form": found.form,
    }
    if found.compound:
        ingredients = _ingredients(cat, work, found.mentions)
        fields["components"] = tuple(ingredients)
        fields["ingredients"] = tuple(str(i) for i in ingredients)
        spans += [m.span() for m in _INGREDIENT.finditer(work)]
    else:
        fields["strength"] = details.strength
    if found.mention is not None:
        spans.append(_head(work, found.mention.end, spans))
    fields["directions"] = _directions(work, spans)
    return fields


def _drug_identity(work: str, found: _Classified, is_medication: bool) -> dict[str, Any]:
    """Generic name, brand and class of the drug requested (or named by an injection)."""
    mention = found.mention
    if mention is not None:
        brand = next(
            (m.brand.name for m in found.mentions if m.brand and m.drug is mention.drug), None
        )
        out = {"drug": mention.drug.generic, "drug_class": mention.drug.drug_class, "brand": brand}
        if not is_medication:  # "Toradol injection 60mg IM"
            out["strength"] = _strength_after(work, mention.end)
        return out
    if found.unknown_drug is not None:
        u = _UNKNOWN_DRUG.match(work)
        return {
            "drug": found.unknown_drug,
            "brand": found.unknown_brand,
            "strength": _strength_after(work, u.start("name")) if u else None,
        }
    if found.compound:
        return {"drug_class": "topical compound"}
    return {}


def _strength_after(work: str, start: int) -> str | None:
    m = _STRENGTH.search(work, start)
    return _strength(m.group("s"), m.group("u"), m.group("per")) if m else None


def classify(text: str) -> str | None:
    """The treatment id of a request, or ``None`` when nothing in the catalogue fits."""
    return parse_request(text).treatment

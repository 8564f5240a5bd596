"""What frames a request: the original and authorized parts of a modified request
(step 1 of :mod:`openimr.request.parse`), and its flags (step 2): date of service,
retrospective, pre-/post-operative, "Associated surgical service"."""

from __future__ import annotations

import datetime as dt
import re

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
REQUEST_FOR = re.compile(
    r"^(?:the\s+)?(?:(?:prospective|concurrent)\s+)?(?:(?:request|requests|usage|use)\s+"
    r"(?:for|of)\s+)?(?:(?:\d+|one)\s+(?:prescriptions?|rx)\s+(?:of|for)\s+)?",
    _I,
)


def tidy(s: str) -> str:
    return _WS.sub(" ", s).strip(" \t,;:.")


def split_modified(text: str) -> tuple[str | None, str | None, str]:
    """``(original_request, authorized, disputed)`` of a request as written in letters."""
    original: str | None = None
    authorized: str | None = None
    rest = text
    m = _ORIGINAL.match(text)
    if m:
        original = tidy(_LEAD_IN.sub("", m.group("x")))
        rest = text[m.end() :]
    a = _AUTH_PASSIVE.search(rest) or _AUTH_ACTIVE.search(rest)
    if a and a.group("y").strip():
        authorized = tidy(a.group("y"))
    markers = list(_MARKER.finditer(text))
    disputed = text
    if markers:
        disputed = text[markers[-1].end() :]
        t = _TRAIL.search(disputed)
        if t:
            disputed = disputed[: t.start()]
    elif original is not None:
        disputed = original
    disputed = tidy(_VERDICT.sub("", disputed))
    return original or None, authorized, disputed or tidy(text)


# -- 2. flags ------------------------------------------------------------------------------

_DATE = r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{2}-\d{2}"
DATE_OF_SERVICE = re.compile(
    rf"[(\[]?\s*\b(?:DOS|dates?\s+of\s+service|service\s+date)\b\s*:?\s*(?P<d>{_DATE})"
    rf"(?:\s*(?:-|–|to|through|thru)\s*(?:{_DATE}))?\s*[)\]]?",
    _I,
)
RETROSPECTIVE = re.compile(
    r"\bretro(?:spective(?:ly)?|active(?:ly)?)?\b\.?(?:\s+(?:request|review)\b)?"
    r"(?:\s+(?:for|of)\b)?\s*:?\s*",
    _I,
)
PREOPERATIVE = re.compile(
    r"\bpre[\s-]*op(?:erative(?:ly)?)?\b|\bpre[\s-]*surg\w*|\bpre[\s-]*procedur\w*"
    r"|\b(?:prior\s+to|before)\s+(?:the\s+)?(?:\w+\s+){0,2}(?:surgery|operation|procedure)",
    _I,
)
POSTOPERATIVE = re.compile(
    r"\bpost[\s-]*op(?:erative(?:ly)?)?\b|\bpost[\s-]*surg\w*|\bstatus[\s-]*post\b|\bs/p\b"
    r"|\b(?:after|following)\s+(?:the\s+|his\s+|her\s+)?(?:[\w-]+\s+){0,3}(?:surgery|operation|"
    r"arthroscopy|repair|release|fusion|replacement|arthroplasty|reconstruction|discectomy|"
    r"laminectomy|meniscectomy)\b",
    _I,
)
ASSOCIATED = re.compile(r"\bassociated\s+surgical\s+services?\b\s*:?\s*", _I)


def parse_date(s: str) -> dt.date | None:
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

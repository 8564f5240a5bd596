"""Numbers written as words ("Twelve sessions", "two to three times a week")."""

from __future__ import annotations

import re

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ADVERBS = {"once": "1 times", "twice": "2 times", "thrice": "3 times"}

_SMALL = "|".join(sorted(UNITS, key=len, reverse=True))
_TENS = "|".join(TENS)
_NUMBER_WORD = re.compile(
    rf"\b(?:(?P<dozen>a dozen|one dozen)|(?P<tens>{_TENS})"
    rf"(?:[\s-](?P<unit>one|two|three|four|five|six|seven|eight|nine))?"
    rf"|(?P<small>{_SMALL})|"
    rf"(?P<adverb>once|twice|thrice))\b",
    re.IGNORECASE,
)


def word_value(word: str) -> int | None:
    """The value of one number word ("six" -> 6), or ``None``."""
    w = word.lower()
    if w.isdigit():
        return int(w)
    if w in UNITS:
        return UNITS[w]
    if w in TENS:
        return TENS[w]
    return None


def _replace(m: re.Match[str]) -> str:
    if m.group("adverb"):
        return ADVERBS[m.group("adverb").lower()]
    if m.group("dozen"):
        return "12"
    if m.group("small"):
        return str(UNITS[m.group("small").lower()])
    value = TENS[m.group("tens").lower()]
    if m.group("unit"):
        value += UNITS[m.group("unit").lower()]
    return str(value)


def digits(text: str) -> str:
    """``text`` with number words as digits: "two to three times" -> "2 to 3 times"."""
    return _NUMBER_WORD.sub(_replace, text)

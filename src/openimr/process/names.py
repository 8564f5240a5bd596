"""Name normalisation for matching people, organisations and treatment items.

Used by the conflict-of-interest screen (a reviewer affiliated with a party spelled another
way must still be caught) and by the duplicate / prior-decision checks of eligibility.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal


def normalize_item(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: for item matching."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.casefold())
    return " ".join(text.split())


_ORG_SUFFIXES = {
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "co", "corp", "corporation",
    "company", "pc", "pllc", "plc", "pa", "professional", "apc", "apmc", "gmbh", "na",
}  # fmt: skip
_TITLES = {"dr", "doctor", "md", "do", "phd", "psyd", "dc", "dds", "dpm", "mr", "mrs", "ms",
           "np", "jr", "sr", "ii", "iii", "facs", "esq", "mph", "lac"}  # fmt: skip
_STOP = {"the", "and", "of", "a", "an"}
#: Words too common to identify an organisation on their own.
_GENERIC = {
    "medical", "group", "services", "service", "health", "healthcare", "insurance", "center",
    "centre", "hospital", "clinic", "associates", "management", "claims", "california",
    "national", "american", "pacific", "west", "western", "care", "network", "partners",
    "orthopedic", "orthopaedic", "physicians", "law", "office", "offices", "firm",
}  # fmt: skip


def name_tokens(name: str) -> tuple[str, ...]:
    """Tokens of a person or organisation name without case, punctuation, suffixes or titles.

    "Acme Insurance Co., Inc." -> ("acme", "insurance"); "Dr. Jane Q. Smith, M.D." ->
    ("jane", "q", "smith").
    """
    text = name.replace("&", " and ")
    text = re.sub(r"(?<=\b[A-Za-z])\.(?=[A-Za-z]\b)", "", text)  # M.D. -> MD, L.L.C. -> LLC
    text = text.replace(".", "")
    tokens = normalize_item(text).split()
    drop = _ORG_SUFFIXES | _TITLES | _STOP
    return tuple(t for t in tokens if t not in drop)


def names_match(a: str, b: str) -> Literal["exact", "partial"] | None:
    """How two names match after normalisation (None: they do not).

    Exact: same tokens, in order or as a set (so "Smith, John" matches "John Smith"), with or
    without middle initials. Partial: one name is the start of the other and contains a word
    that is not generic ("Sedgwick" vs "Sedgwick Claims Management Services").
    """
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return None
    if ta == tb or sorted(ta) == sorted(tb):
        return "exact"
    la = sorted(t for t in ta if len(t) > 1)
    lb = sorted(t for t in tb if len(t) > 1)
    if la and la == lb:
        return "exact"
    short, long_ = (ta, tb) if len(ta) < len(tb) else (tb, ta)
    if long_[: len(short)] == short and any(t not in _GENERIC for t in short):
        return "partial"
    return None

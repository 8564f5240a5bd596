"""Small pure wording rules of the Final Determination Letter, in the published letters' words.

The guideline line of each item follows the Division of Workers' Compensation letters:
"Decision based on MTUS <citation>" when the MTUS decided, and "The Expert Reviewer did not
base their decision on the MTUS. Decision based on Non-MTUS Citation <citation>" when only
other guidelines did (the legal evidence order, 8 CCR 9792.21.1, makes that distinction
something the letter must state).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from openimr.model import GuidelineRef, ItemDetermination, Status

NOT_MTUS = "The Expert Reviewer did not base their decision on the MTUS."
NO_CA_EVIDENCE = "The Claims Administrator did not cite any medical evidence for its decision."
NOT_DECIDED = "Not decided: referred to the expert reviewer"

_STATUS_LABELS: dict[Status, str] = {
    Status.MET: "Met",
    Status.NOT_MET: "Not met",
    Status.NOT_DOCUMENTED: "Not documented",
    Status.NOT_APPLICABLE: "Not applicable",
}

_LEADING_MTUS = re.compile(r"^\s*(?:the\s+)?(?:CA\s+|California\s+)?MTUS[\s:,-]+", re.IGNORECASE)
_HAS_PAGES = re.compile(r"\b(?:page|pages|page\(s\)|pg|pp)\b\.?", re.IGNORECASE)


def join_phrases(items: Sequence[str], conj: str = "and") -> str:
    """``a``, ``a and b``, ``a, b, and c`` (the letters' serial comma)."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return (
            f"{items[0]}, {conj} {items[1]}" if "," in items[0] else f"{items[0]} {conj} {items[1]}"
        )
    return ", ".join(items[:-1]) + f", {conj} {items[-1]}"


def is_mtus(ref: GuidelineRef) -> bool:
    return ref.mtus or ref.source == "MTUS"


def citation_text(ref: GuidelineRef, *, strip_mtus: bool = False) -> str:
    """The citation as the letter prints it: with its pages when the citation omits them."""
    text = " ".join(ref.citation.split())
    if strip_mtus:
        text = _LEADING_MTUS.sub("", text, count=1) or text
    if ref.pages and not _HAS_PAGES.search(text):
        text = f"{text}, Page(s): {ref.pages}"
    return text.rstrip(" ;,")


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def guideline_wording(refs: Sequence[GuidelineRef]) -> str | None:
    """The "<organization> guideline:" line for the guidelines an item was decided on.

    ``None`` when no guideline was cited (an item openimr did not decide).
    """
    mtus = _unique(citation_text(r, strip_mtus=True) for r in refs if is_mtus(r))
    other = _unique(citation_text(r) for r in refs if not is_mtus(r))
    parts: list[str] = []
    if mtus:
        parts.append(_sentence(f"Decision based on MTUS {join_phrases(mtus)}"))
    if other:
        if not mtus:
            parts.append(NOT_MTUS)
        parts.append(_sentence(f"Decision based on Non-MTUS Citation {'; '.join(other)}"))
    return " ".join(parts) if parts else None


CA_NOT_MTUS = "The Claims Administrator did not base their decision on the MTUS."
_NON_MTUS_LEAD = re.compile(r"^\s*non[- ]?mtus(?:\s+citation)?\s*[:,-]?\s*", re.IGNORECASE)
_MTUS_LEAD = re.compile(r"^\s*(?:the\s+)?(?:CA\s+|California\s+)?MTUS\b[\s:,-]*", re.IGNORECASE)
_PAGE_WORD = re.compile(r"\b(?:page|pages|pg|pp)\.?\s+(?=\d)", re.IGNORECASE)


def claims_administrator_wording(guideline: str | None) -> str:
    """The claims administrator's citation worded as the letters word it.

    ``Non-MTUS: ACOEM ..., page 127`` becomes "The Claims Administrator did not base their
    decision on the MTUS. Decision based on Non-MTUS Citation ACOEM ..., page(s) 127";
    ``MTUS Chronic Pain ...`` becomes "Decision based on MTUS Chronic Pain ..."; a line
    already worded ("Decision based on ...", "The Claims Administrator ...") is kept; none
    at all gives the letters' sentence for no evidence cited.
    """
    text = " ".join((guideline or "").split()).rstrip()
    if not text:
        return NO_CA_EVIDENCE
    if text.lower().startswith(("decision based on", "the claims administrator")):
        return _sentence(text)
    text = _PAGE_WORD.sub("page(s) ", text)
    if _NON_MTUS_LEAD.match(text):
        rest = _NON_MTUS_LEAD.sub("", text, count=1)
        return f"{CA_NOT_MTUS} {_sentence('Decision based on Non-MTUS Citation ' + rest)}"
    if _MTUS_LEAD.match(text):
        rest = _MTUS_LEAD.sub("", text, count=1)
        return _sentence(f"Decision based on MTUS {rest}")
    return _sentence(f"Decision based on {text}")


_BOOL_PART = re.compile(r"^(?P<key>[a-z][a-z0-9 ]*): (?P<value>True|False)$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


def finding_words(finding: str | None) -> str | None:
    """An engine finding in plain words: ``prior esi: True`` -> "documented: a previous
    epidural steroid injection" (the fact's own description from the library), slugs such as
    ``epidural-steroid-injection`` as words. Other parts are kept as they are."""
    if not finding:
        return finding
    parts = []
    for part in finding.split("; "):
        m = _BOOL_PART.match(part)
        if m:
            what = _fact_description(m["key"])
            if m["value"] == "True":
                parts.append(f"documented: {what}")
            else:
                parts.append(f"documented as absent: {what}")
            continue
        key, sep, value = part.partition(": ")
        if sep and _SLUG.match(value):
            part = f"{key}: {value.replace('-', ' ')}"
        parts.append(part)
    return "; ".join(parts)


def _fact_description(key: str) -> str:
    name = key.replace(" ", "_")
    from openimr.library.shipped import default_library

    fact = default_library().facts.get(name)
    return fact.describes if fact is not None else key


def is_decided(item: ItemDetermination) -> bool:
    return not item.needs_review and item.decision is not None


def decision_label(item: ItemDetermination) -> str:
    """``Upheld`` / ``Overturned``, or the not-decided label for an item a person decides."""
    if not is_decided(item):
        return NOT_DECIDED
    return "Upheld" if item.decision == "upheld" else "Overturned"


def status_label(status: Status) -> str:
    return _STATUS_LABELS[status]


def request_heading(request: str) -> str:
    """The disputed request as the letter's item heading: one line, in capitals."""
    return " ".join(request.split()).upper()


def us_date(day: dt.date | None) -> str:
    """MM/DD/YYYY, as the letters print dates; empty for none."""
    return day.strftime("%m/%d/%Y") if day is not None else ""


def pages_phrase(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"

"""The rationale of an item the expert reviewer overrode, in the letter's own structure.

A rationale in the letters has three movements: what the guidelines require, what the
records show, and the conclusion ("Therefore, based on guidelines and a review of the
evidence, the request for ... is [not] medically necessary."). When the reviewer overrides
the engine, the guidelines stay those the engine applied (the item's guideline line keeps
citing them), so their summary is kept; what the records show becomes the reviewer's own
words; the conclusion follows the reviewer's decision. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from openimr.render.rationale import request_phrase

RECORDS_OPENER = "Within the medical information available for review"
"""How the engine's rationale (and the letters') begin what the records show."""

_STATUS_WORDS = {
    "met": "met",
    "not_met": "not met",
    "not_documented": "not documented",
    "not_applicable": "not applicable",
}


def guideline_summary(engine_rationale: str | None) -> str:
    """The part of the engine's rationale that says what the guidelines require: everything
    before what the records show (before "Within the medical information ...", or before the
    first "However," / "Therefore," when the engine did not use that opener); nothing when
    none of these is there."""
    text = " ".join((engine_rationale or "").split())
    if not text:
        return ""
    for marker in (RECORDS_OPENER, "However,", "Therefore,"):
        at = text.find(marker)
        if at >= 0:
            return text[:at].strip()
    # no telling what part states the guidelines: none is kept (the guideline line cites them)
    return ""


def conclusion(request: str, decision: str) -> str:
    """The letters' closing sentence for ``decision`` (``upheld``: not medically necessary)."""
    verdict = "medically necessary" if decision == "overturned" else "not medically necessary"
    return (
        "Therefore, based on guidelines and a review of the evidence, the request for "
        f"{request_phrase(request)} is {verdict}."
    )


def _records_part(reason: str) -> list[str]:
    paragraphs = [" ".join(p.split()) for p in reason.replace("\r\n", "\n").split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return []
    first = paragraphs[0]
    if not first.startswith(RECORDS_OPENER) and re.match(r"^(There|The records)\b", first):
        first = f"{RECORDS_OPENER}, {first[0].lower()}{first[1:]}"
    paragraphs[0] = first
    # the conclusion is the letter's own; a reviewer's "Therefore ..." at the end is dropped
    last = paragraphs[-1]
    found = list(re.finditer(r"(?:^|(?<=[.!?] ))Therefore\b", last))
    at = found[-1].start() if found else -1
    if at > 0:
        paragraphs[-1] = last[:at].strip()
    elif at == 0:
        paragraphs.pop()
    return [p for p in paragraphs if p]


def override_rationale(
    request: str, engine_rationale: str | None, decision: str, reason: str
) -> str:
    """The overridden item's rationale: the guideline summary, the reviewer's account of the
    records, the conclusion for the reviewer's decision (paragraphs separated by a blank
    line; the first paragraph holds the summary and the start of the reviewer's account)."""
    summary = guideline_summary(engine_rationale)
    records = _records_part(reason)
    paragraphs = list(records) or [""]
    paragraphs[0] = " ".join(p for p in (summary, paragraphs[0]) if p)
    paragraphs[-1] = " ".join(p for p in (paragraphs[-1], conclusion(request, decision)) if p)
    return "\n\n".join(p for p in paragraphs if p)


def reason_from_changes(changes: Sequence[tuple[str, str]]) -> str:
    """A first wording of the reviewer's reason from the criteria whose status they changed:
    ``[(criterion text, new status), ...]`` -> one sentence per new status. The reviewer
    edits it before saving."""
    groups: dict[str, list[str]] = {}
    for text, status in changes:
        words = _STATUS_WORDS.get(status)
        if words is None:
            continue
        clean = " ".join(text.split()).rstrip(".")
        groups.setdefault(words, []).append(clean[0].lower() + clean[1:] if clean else clean)
    sentences = []
    for words, texts in groups.items():
        if len(texts) == 1:
            sentences.append(
                f"Contrary to the draft, the expert reviewer finds this criterion {words} "
                f"on the records: {texts[0]}."
            )
        else:
            sentences.append(
                f"Contrary to the draft, the expert reviewer finds these criteria {words} "
                f"on the records: {'; '.join(texts)}."
            )
    return " ".join(sentences)

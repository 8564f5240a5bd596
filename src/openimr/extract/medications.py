"""Drug facts beyond the drug named: its dose and frequency, and what drugs named together
imply (two NSAIDs, an NSAID with a corticosteroid: a gastrointestinal risk)."""

from __future__ import annotations

import re

from openimr.extract.context import section_context
from openimr.extract.run import Run
from openimr.extract.sentences import Sentence, heading_label
from openimr.extract.shortcuts import excluded
from openimr.model import Context, Fact, Span


def drug_details(run: Run, sent: Sentence, rel_end: int, qualifier: str, span: Span) -> list[Fact]:
    """The dose and frequency written right after a drug's name (before the next drug)."""
    out: list[Fact] = []
    following = [t[1] for t in run.therapies(sent) if t[1] >= rel_end]
    stop = min(following) if following else len(sent.text)
    tail = sent.text[rel_end:stop]
    cut = re.search(r";|\.\s|\n\s*\n", tail)
    if cut:
        tail = tail[: cut.start()]
    tail = tail[:120]
    dose_end = 0
    if run.rules.dose_regex is not None:
        m = run.rules.dose_regex.match(tail)
        if m:
            out.append(
                Fact(
                    name="medication_dose",
                    value=m.group("value").strip(),
                    spans=(span,),
                    qualifier=qualifier,
                )
            )
            dose_end = m.end()
    if run.rules.frequency_regex is not None:
        m = run.rules.frequency_regex.match(tail, dose_end)
        if m:
            out.append(
                Fact(
                    name="medication_frequency",
                    value=" ".join(m.group("value").split()),
                    spans=(span,),
                    qualifier=qualifier,
                )
            )
    return out


def combinations(run: Run, facts: list[Fact]) -> list[Fact]:
    """Facts implied by the drugs a sentence names together (two NSAIDs, an NSAID with a
    corticosteroid: a gastrointestinal risk)."""
    out: list[Fact] = []
    by_sentence: dict[int, list[Fact]] = {}
    for f in facts:
        if f.name == "medication" and f.spans:
            by_sentence.setdefault(f.spans[0].start, []).append(f)
    for meds in by_sentence.values():
        for combo in run.rules.drug_combinations:
            a, b = combo.classes
            first = {str(f.value).lower() for f in meds if f.qualifier == a}
            second = {str(f.value).lower() for f in meds if f.qualifier == b}
            if first and second and (a != b or len(first) >= 2):
                out.append(Fact(name=combo.fact, value=combo.value, spans=meds[0].spans))
    return out


def listed_drugs(run: Run, sentences: list[Sentence]) -> list[Fact]:
    """The drugs of a medication list that the lexicon does not name: inside a list opened
    by a medication heading ("MEDICATIONS:", "Discharge medications:") or lead-in
    ("medications include"), each item whose name is followed by a strength, a dose form or
    a frequency ("Norvasc 5mg po BID") is a drug taken, with its dose and frequency,
    qualified by the class of no guideline drug (``drugs: unclassified``)."""
    rules = run.rules
    heading, listed, qualifier = (
        rules.list_heading_regex,
        rules.listed_drug_regex,
        rules.unclassified_drug,
    )
    if heading is None or listed is None or qualifier is None:
        return []
    rule = next((c for c in rules.concepts if c.target == "drugs"), None)
    out: list[Fact] = []
    section: str | None = None
    open_list = False
    for sent in sentences:
        m = heading.search(sent.text)
        if m is not None:
            open_list, section, begin = True, sent.section, m.end()
        elif open_list and sent.section == section and heading_label(sent)[0] is None:
            begin = 0
        else:
            open_list = False
            continue
        if sent.section == "title" or run.is_guideline(sent):
            continue
        if rule is not None and not (
            rule.reads_section(sent)
            and not excluded(sent.text.lower(), rule.excludes_words, rule.strong_words)
        ):
            continue
        out.extend(_listed_items(run, sent, begin, listed, qualifier))
    return out


_ITEM_SPLIT = re.compile(r",\s|;|\band\b|\n|(?<=\s)\d{1,2}[.)]\s")
_ITEM_LEAD = re.compile(r"\s*(?:\d{1,2}[.)]\s+|[-*\u2022]\s+)?")


def _listed_items(
    run: Run, sent: Sentence, begin: int, listed: re.Pattern[str], qualifier: str
) -> list[Fact]:
    """The unnamed drugs of the list items of one sentence, from offset ``begin``."""
    text = sent.text
    known = [(a, b) for _, a, b in run.therapies(sent)]
    words = run.rules.not_drug_words | run.rules.class_words
    out: list[Fact] = []
    starts = [begin, *(m.end() for m in _ITEM_SPLIT.finditer(text, begin))]
    for start in starts:
        lead = _ITEM_LEAD.match(text, start)
        at = lead.end() if lead else start
        m = listed.match(text, at)
        if m is None:
            continue
        a, b = m.span("name")
        name = " ".join(m.group("name").split())
        if any(w in words for w in name.lower().split()):
            continue
        if any(x < m.end() and a < y for x, y in known):
            continue
        span = run.span(sent, sent.start + a)
        ctx = section_context(Context(), sent)
        out.append(
            Fact(name="medication", value=name, spans=(span,), context=ctx, qualifier=qualifier)
        )
        out.extend(drug_details(run, sent, b, qualifier, span))
    return out

"""Drug facts beyond the drug named: its dose and frequency, and what drugs named together
imply (two NSAIDs, an NSAID with a corticosteroid: a gastrointestinal risk)."""

from __future__ import annotations

import re

from openimr.extract.run import Run
from openimr.extract.sentences import Sentence
from openimr.model import Fact, Span


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

"""Diagnoses: the items of a diagnosis list or an impression, and the conditions a sentence
names after a cue ("diagnosed with", "treated for"), each with its ICD-10 code."""

from __future__ import annotations

import re

from openimr.extract.locate import Location
from openimr.extract.nlp_rules import diagnosis_rules
from openimr.extract.run import Run
from openimr.extract.sections import section_titles
from openimr.extract.sentences import Sentence
from openimr.model import Fact, Span


def dx_cue(quote: str) -> re.Match[str] | None:
    """The diagnosis cue of a sentence (``diagnoses.yaml`` ``cue``), if any."""
    rules = diagnosis_rules()
    # every match of the cue holds one of its words (in any case): on ASCII text, where
    # ignoring case is only lower-casing, a sentence without any of them is not searched
    if quote.isascii():
        lowered = quote.lower()
        if not any(w in lowered for w in rules.cue_words):
            return None
    return rules.cue.search(quote)


def diagnoses(
    run: Run, span: Span, start: int, end: int, whole: bool, sent: Sentence | None = None
) -> list[Fact]:
    """Diagnoses in a piece of a sentence, each with its ICD-10 code as the qualifier."""
    text = run.record.text
    piece = text[start:end]
    rules = diagnosis_rules()
    out: list[Fact] = []
    parts = [piece] if whole and ";" not in piece else rules.split.split(piece)
    for part in parts:
        code_m = rules.icd10_code.search(part)
        code = (code_m.group(1) or code_m.group(2)) if code_m else None
        name = rules.code_group.sub(" ", part) if code else part
        name = re.sub(r"\s+", " ", name).strip(" .,;:-")
        name = rules.leading_conjunction.sub("", name)
        name = rules.leading_label.sub("", name)
        if len(name) < 4 or rules.skip.match(name) or name.lower() in section_titles():
            continue
        where = run.locate_text(sent, part) if sent is not None else Location()
        out.append(
            Fact(
                name="diagnosis",
                value=name,
                spans=(span,),
                qualifier=code,
                side=where.side,
                region=where.region,
            )
        )
    return out


def listed_diagnoses(run: Run, sent: Sentence, span: Span) -> list[Fact]:
    """The diagnoses of a sentence in a diagnosis section (``span``: without its heading)."""
    # a list item or a short assessment names a diagnosis; a sentence of prose in an
    # impression ("I would recommend ...", "There is no evidence of ...") does not
    rules = diagnosis_rules()
    first = re.split(r"[,(]", span.quote, maxsplit=1)[0]
    # a long sentence of prose after an opening phrase ("At this point, I believe the
    # patient is a good candidate for ...") is not a list item either
    prose = rules.prose.search(first) or (
        len(span.quote.split()) > 10 and rules.prose_long.search(span.quote)
    )
    if rules.evidence.match(first) or not prose:
        return diagnoses(run, span, span.start, span.end, whole=True, sent=sent)
    return []


def in_prose_cue(cue: re.Match[str]) -> bool:
    """Whether a cue names a condition of the patient's even in a sentence of prose of a
    diagnosis section ("suffering from", not "impression is": ``diagnoses.yaml`` ``prose_cue``)."""
    return bool(diagnosis_rules().prose_cue.match(cue.group(0)))


def cued_diagnoses(
    run: Run, sent: Sentence, whole: Span, cue: re.Match[str], split: bool = True
) -> list[Fact]:
    """The diagnoses a cue ("diagnosed with") names in a sentence outside a diagnosis section
    (split at commas and "and"; in a sentence of prose of one, as a whole), unless none was
    made or the cue points back to a condition named before."""
    rules = diagnosis_rules()
    if rules.not_made.search(whole.quote[: cue.start("dx")]) or rules.not_named.match(
        cue.group("dx")
    ):
        return []
    return diagnoses(
        run, whole, whole.start + cue.start("dx"), whole.start + cue.end("dx"), not split, sent=sent
    )

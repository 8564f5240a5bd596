"""Summary facts of a sentence: the complaint, examination finding or plan item it states (by
its section or its cue words), the diagnoses it names, and what a visit it plans is for."""

from __future__ import annotations

from collections.abc import Sequence

from openimr.extract.diagnoses import cued_diagnoses, dx_cue, in_prose_cue, listed_diagnoses
from openimr.extract.nlp_rules import sentence_rules, visit_rules
from openimr.extract.run import Mention, Run
from openimr.extract.sentences import Sentence
from openimr.extract.shortcuts import has_any
from openimr.model import Context, Fact


def _cue_section(run: Run, quote: str) -> str | None:
    """For a sentence outside any section: the summary kind its cue words suggest."""
    lowered = quote.lower()
    for kind, section in (
        ("diagnosis", "diagnoses"),
        ("exam_finding", "objective"),
        ("plan_item", "plan"),
        ("complaint", "subjective"),
    ):
        words = run.rules.summary_cues.get(kind, ())
        if words and has_any(lowered, words, prefix=True):
            return section
    return None


def summary_facts(run: Run, sent: Sentence, therapies: Sequence[Mention]) -> list[Fact]:
    """The complaint, finding or plan item the sentence states, the diagnoses it names and
    what a visit it plans is for."""
    record = run.record
    out: list[Fact] = []
    span = run.span(sent)
    if not span.quote or (span.quote.endswith(":") and len(span.quote) < 60):
        return out
    whole = span
    cue = dx_cue(whole.quote)
    heading = sentence_rules().heading_prefix.match(span.quote)
    if heading:
        s = span.start + heading.end()
        span = run.ex.span_of(record, s, span.end, sent.section)
        if not span.quote:
            return out
    section = sent.section or _cue_section(run, span.quote)
    kind = {"subjective": "complaint", "objective": "exam_finding", "plan": "plan_item"}
    if section in kind:
        where = run.locate_text(sent, span.quote)
        out.append(
            Fact(
                name=kind[section],
                value=span.quote,
                spans=(span,),
                side=where.side,
                region=where.region,
            )
        )
    if section == "diagnoses" and sent.section is not None:
        listed = listed_diagnoses(run, sent, span)
        out.extend(listed)
        # a sentence of prose in an impression names no diagnosis as a list item, but may
        # through a cue of its own ("He is suffering from ongoing myofascitis."), as a whole
        if not listed and cue is not None and in_prose_cue(cue):
            out.extend(cued_diagnoses(run, sent, whole, cue, split=False))
    elif cue is not None:
        out.extend(cued_diagnoses(run, sent, whole, cue))
    purpose = _visit_purpose(run, span.quote, therapies, sent.section, sent)
    if purpose is not None:
        out.append(
            Fact(
                name="visit_purpose",
                value=purpose,
                spans=(span,),
                context=Context(hypothetical=True),
            )
        )
    return out


def _visit_purpose(
    run: Run,
    quote: str,
    therapies: Sequence[Mention],
    section: str | None,
    sent: Sentence | None = None,
) -> str | None:
    """What a follow-up, consultation or referral is for: medication management, a
    surgery, or a procedure (not a therapy given in visits of its own)."""
    rules = visit_rules()
    if not rules.visit_words.search(quote):
        return None
    if rules.medication_management.search(quote):
        return "medication-management"
    if section != "plan" and not rules.plan_words.search(quote):
        return None
    if rules.conditional.search(quote):
        return None
    if rules.surgery.search(quote):
        for kind, rx in run.rules.surgery_kinds.items():
            if rx.search(quote):
                return kind
    procedure = [
        t
        for t in therapies
        if t[0] not in run.rules.visit_therapies and t[0] not in run.rules.drug_classes
    ]
    if procedure:
        return procedure[0][0]
    if sent is not None and rules.injection.search(quote):
        # "follow-up after the injection": the procedure named before
        ctx = run.context_therapy(sent)
        if ctx is not None and ctx not in run.rules.visit_therapies:
            return ctx
    return None

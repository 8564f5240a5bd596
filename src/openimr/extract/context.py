"""The context of a mention: ConText's modifiers (negated, historical, hypothetical, family,
uncertain; no finding), which negation denies what, and the context a section gives (past
history, family history, text that states no finding)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, NamedTuple

from openimr.extract.nlp_rules import context_rules
from openimr.extract.sentences import Sentence
from openimr.model import Context, Record


class _ContextSections:
    """medspaCy sectionizer sections of a record (``records.structure``), by offset, as
    (name, start, end)."""

    def __init__(self, sections: Sequence[tuple[str, int, int]]) -> None:
        self.sections = list(sections)
        self.starts = [s[1] for s in self.sections]

    def at(self, offset: int) -> str | None:
        i = bisect_right(self.starts, offset) - 1
        if i < 0:
            return None
        name, start, end = self.sections[i]
        return name if start <= offset < end else None


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def context_sections(record: Record, heads: Sequence[int]) -> _ContextSections:
    """The sectionizer's sections. A section that gives context (history, family history,
    no finding) ends at the next label of any kind (``heads``: "SOCIAL:" is no section of
    its own but ends the family history) or at a blank line."""
    from openimr.records.structure import find_sections as sectionize

    if record.kind == "fhir":
        return _ContextSections([])
    text = record.text
    out: list[tuple[str, int, int]] = []
    for sec in sectionize(text):
        end = sec.end
        if any(_section_flags(sec.name)):
            later = [h for h in heads if sec.start < h < end]
            if later:
                end = later[0]
            blank = _BLANK_LINE.search(text, sec.body_start, end)
            if blank is not None:
                end = blank.start()
        out.append((sec.name, sec.start, end))
    return _ContextSections(out)


@lru_cache(maxsize=64)
def _section_flags(name: str | None) -> tuple[bool, bool, bool]:
    """(historical, family, states no finding) for a sectionizer section name."""
    if name is None:
        return (False, False, False)
    from openimr.records.structure import section_info

    try:
        info = section_info(name)
    except KeyError:
        return (False, False, False)
    return (info.historical, info.family, info.hypothetical)


def consent_discussions(sentences: list[Sentence]) -> list[Sentence]:
    """``sentences`` with each consent discussion written as running prose put in the
    section "consent" (no finding): from a sentence that opens one (risks discussed or
    listed) to the first that closes it (the patient understood, agreed, consented), within
    ``consent_reach`` sentences under one heading. Sentences already in a section that
    gives context (history, family, no finding) keep it; with no closing sentence in reach
    nothing changes."""
    rules = context_rules()
    out = list(sentences)
    i = 0
    while i < len(out):
        sent = out[i]
        if not rules.consent_opens.search(sent.text):
            i += 1
            continue
        close = None
        for j in range(i, min(len(out), i + rules.consent_reach)):
            if out[j].section != sent.section:
                break
            if rules.consent_closes.search(out[j].text):
                close = j
                break
        if close is None:
            i += 1
            continue
        for k in range(i, close + 1):
            if not any(_section_flags(out[k].context_section)):
                out[k] = replace(out[k], context_section="consent")
        i = close + 1
    return out


def states_no_finding(sent: Sentence) -> bool:
    """Whether the sentence's section states no finding (consent, instructions, question)."""
    return _section_flags(sent.context_section)[2]


def section_context(ctx: Context, sent: Sentence) -> Context:
    """A mention's context with its section's: in a past-history section it is historical,
    in a family history it is the family's, in a consent, instructions or a question it
    is no finding (hypothetical, never negated)."""
    historical, family, no_finding = _section_flags(sent.context_section)
    if no_finding:
        return ctx.model_copy(update={"hypothetical": True, "negated": False})
    if historical and not ctx.historical:
        return ctx.model_copy(update={"historical": True})
    if family and not ctx.family:
        return ctx.model_copy(update={"family": True})
    return ctx


def modifier_scopes(doc: Any, n2o: list[int], category: str) -> list[tuple[int, int]]:
    """The reach (record offsets) of the ConText modifiers of ``category`` in ``doc``."""
    graph = getattr(doc._, "context_graph", None)
    if graph is None:
        return []
    out: list[tuple[int, int]] = []
    for mod in graph.modifiers:
        if mod.category != category:
            continue
        a, b = mod.scope_span
        if b <= a:
            continue
        first, last = doc[a], doc[b - 1]
        out.append((n2o[first.idx], n2o[last.idx + len(last.text)]))
    return out


class Negation(NamedTuple):
    """A ConText NEGATED_EXISTENCE modifier: its words and its reach (offsets)."""

    start: int
    end: int
    scope_start: int
    scope_end: int


def find_negations(doc: Any, n2o: list[int]) -> list[Negation]:
    """The negations ConText found in ``doc`` (offsets into the text before collapsing)."""
    graph = getattr(doc._, "context_graph", None)
    if graph is None:
        return []
    out: list[Negation] = []
    for mod in graph.modifiers:
        # a TERMINATE or PSEUDO rule of the category ("secondary to") denies nothing
        if mod.category != "NEGATED_EXISTENCE" or mod.direction in ("TERMINATE", "PSEUDO"):
            continue
        (ma, mb), (a, b) = mod.modifier_span, mod.scope_span
        if b <= a or mb <= ma:
            continue
        m_last, first, last = doc[mb - 1], doc[a], doc[b - 1]
        out.append(
            Negation(
                n2o[doc[ma].idx],
                n2o[m_last.idx + len(m_last.text)],
                n2o[first.idx],
                n2o[last.idx + len(last.text)],
            )
        )
    return out


def negates(
    negations: Sequence[Negation], text: str, start: int, end: int, cues: frozenset[str]
) -> bool:
    """Whether a negation denies the text matched at ``start:end``: as for a concept's
    mention (``_is_negated``), not a negation inside the match itself ("reflexes are
    absent", "with no relief": the part inside is a negation ``cue`` of its own), nor one
    that denies something named between it and the match ("no relief with the brace")."""
    for neg in negations:
        if neg.start < end and start < neg.end:
            inside = " ".join(text[max(start, neg.start) : min(end, neg.end)].lower().split())
            if (start <= neg.start and neg.end <= end) or inside in cues:
                continue
        # the reach may begin inside the match ("without any significant relief")
        if not (neg.scope_start < end and start < neg.scope_end):
            continue
        if neg.end <= start and context_rules().negation_blockers.search(text[neg.end : start]):
            continue
        return True
    return False


def in_scopes(scopes: Sequence[tuple[int, int]], offset: int) -> bool:
    """Whether ``offset`` is inside one of ``scopes``."""
    return any(a <= offset < b for a, b in scopes)


def mention_context(
    ent: Any, text: str, n2o: list[int], start: int, modifiers: Sequence[Any]
) -> Context:
    """The ConText attributes of a mention (``modifiers``: its ConText modifiers). A mention
    under a NOT_A_FINDING modifier (a risk listed in a consent, what to call about, a
    question) is neither stated nor denied: it reads as hypothetical and never as negated
    ("risks include no relief")."""
    if not modifiers:  # ConText sets a mention's attributes only from its modifiers
        return _context(_denied_just_before(text, start), False, False, False, False)
    ext = ent._  # one accessor for all the attributes (each ``ent._`` builds a new one)
    if any(mod.category == "NOT_A_FINDING" for mod in modifiers):
        return _not_a_finding(bool(ext.is_family))
    return _context(
        (bool(ext.is_negated) and _is_negated(ent, text, n2o, start))
        or _denied_just_before(text, start),
        bool(ext.is_historical),
        bool(ext.is_hypothetical),
        bool(ext.is_family),
        bool(ext.is_uncertain),
    )


@lru_cache(maxsize=2)
def _not_a_finding(family: bool) -> Context:
    return Context(hypothetical=True, family=family)


@lru_cache(maxsize=64)
def _context(
    negated: bool, historical: bool, hypothetical: bool, family: bool, uncertain: bool
) -> Context:
    """A Context of these attributes: one (immutable) instance per combination, not one
    validated model per mention."""
    return Context(
        negated=negated,
        historical=historical,
        hypothetical=hypothetical,
        family=family,
        uncertain=uncertain,
    )


_DENIED_BEFORE = re.compile(
    r"(?:^|[\s,;:(])(?:no|without|denies|denied|never)[ \t]+$", re.IGNORECASE
)


def _denied_just_before(text: str, start: int) -> bool:
    """Whether a negation word stands right before the mention ("no prior electrodiagnostic
    testing", "no evidence of carpal tunnel"): ConText drops a negation rule that overlaps
    the phrase it would deny ("no prior" beside "prior electrodiagnostic testing"), and the
    shorter "no" then never applies."""
    return _DENIED_BEFORE.search(text, max(0, start - 16), start) is not None


def _is_negated(ent: Any, text: str, n2o: list[int], start: int) -> bool:
    """Whether a negation denies the mention: not one inside the phrase itself ("were full
    and without pain"), nor one that denies something named between it and the mention
    ("no improvement with acupuncture")."""
    doc = ent.doc
    for mod in ent._.modifiers:
        if mod.category != "NEGATED_EXISTENCE":
            continue
        first, last = mod.modifier_span[0], mod.modifier_span[1] - 1
        if ent.start <= first and last < ent.end:
            continue
        tok = doc[last]
        m_end = n2o[tok.idx + len(tok.text)]
        if m_end <= start and context_rules().negation_blockers.search(text[m_end:start]):
            continue
        return True
    return False


class ModifierScopes:
    """Where a record's ConText modifiers reach (record offsets): the spans that state no
    finding, and the negations (in order of their reach), with the words that are negations
    of their own (``negates``)."""

    def __init__(
        self,
        not_findings: Sequence[tuple[int, int]],
        negations: Sequence[Negation],
        negation_cues: frozenset[str],
    ) -> None:
        self.not_findings = not_findings
        self.negations = negations
        self.negation_starts = [n.scope_start for n in negations]
        self.negation_cues = negation_cues

    def states_no_finding(self, offset: int) -> bool:
        """Whether a NOT_A_FINDING modifier (a consent's risks, a question) reaches ``offset``."""
        return in_scopes(self.not_findings, offset)

    def denies(self, text: str, sent: Sentence, start: int, end: int) -> bool:
        """Whether a negation of the sentence denies the text matched at ``start:end``."""
        lo = bisect_left(self.negation_starts, sent.start)
        hi = bisect_left(self.negation_starts, sent.end)
        return negates(self.negations[lo:hi], text, start, end, self.negation_cues)

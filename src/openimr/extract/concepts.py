"""Concept facts: the phrases medspaCy's TargetMatcher found (``extraction/*.yaml``
concepts), each read with its ConText and its section's context, kept when the rule's
conditions hold (sections, treatments, words), with its qualifier, value and location."""

from __future__ import annotations

import re
from typing import NamedTuple

from openimr.extract.context import section_context
from openimr.extract.medications import drug_details
from openimr.extract.nlp_rules import context_rules
from openimr.extract.patterns import ConceptRule
from openimr.extract.run import Mention, Run
from openimr.extract.sentences import Sentence
from openimr.extract.shortcuts import before_has, excluded, has_any
from openimr.model import Context, Fact
from openimr.request import catalogue


class Found(NamedTuple):
    """A concept phrase the matcher found: offsets into the record, its rule label, its
    words, and its context."""

    start: int
    end: int
    label: str
    text: str
    ctx: Context
    normal: bool = False
    """Under a REPORTED_NORMAL modifier ("reported as normal"): the abnormality is denied."""


def window_concept_facts(run: Run, windows: list[list[Found]]) -> list[Fact]:
    """The facts of the concept phrases found, window by window: per fact, the longest of
    overlapping phrases; a phrase inside a longer one that qualifies it ("non-radicular",
    "almost full-thickness tear", "not helpful") gives no fact of its own (a phrase never
    crosses a window: overlaps are looked for within its window)."""
    facts: list[Fact] = []
    for found in windows:
        facts.extend(_window_facts(run, found))
    return facts


def _window_facts(run: Run, found: list[Found]) -> list[Fact]:
    text = run.record.text
    concepts = run.rules.concepts
    chosen: dict[str, list[tuple[int, int]]] = {}
    kept: list[tuple[int, int]] = []
    qualifying = context_rules().qualifying
    facts: list[Fact] = []
    for ent_start, ent_end, label, mention, ctx, normal in found:
        sent = run.sentence_of(ent_start)
        if sent is None:
            continue
        if any(
            a <= ent_start
            and ent_end <= b
            and (a, b) != (ent_start, ent_end)
            and qualifying.search(text[a:ent_start])
            for a, b in kept
        ):
            continue
        kept.append((ent_start, ent_end))
        concept_ids = []
        for cid in run.ex.categories.get(label, []):
            taken = chosen.setdefault(concepts[cid].fact, [])
            if any(
                a < ent_end and ent_start < b and (a, b) != (ent_start, ent_end) for a, b in taken
            ):
                continue
            taken.append((ent_start, ent_end))
            concept_ids.append(cid)
        for cid in concept_ids:
            concept = concepts[cid]
            c = ctx
            if normal and concept.value is None and not ctx.hypothetical:
                # "bowel and bladder function are reported as normal"
                c = ctx.model_copy(update={"negated": True})
            facts.extend(concept_facts(run, concept, mention, ent_start, ent_end, sent, c))
    return facts


def concept_facts(
    run: Run,
    concept: ConceptRule,
    mention: str,
    offset: int,
    end: int,
    sent: Sentence,
    ctx: Context,
) -> list[Fact]:
    """The facts of one concept phrase at ``[offset, end)`` in the sentence, with its
    ConText ``ctx`` (none when the rule's conditions do not hold)."""
    ctx = section_context(ctx, sent)
    if ctx.family or sent.section == "title" or run.is_guideline(sent):
        return []
    if not _context_allows(concept, ctx) or not concept.reads_section(sent):
        return []
    therapies = run.therapies(sent)
    if not _therapy_allows(run, concept, sent, therapies):
        return []
    lowered = sent.text.lower()
    rel, rel_end = offset - sent.start, end - sent.start
    before = run.text_before(sent, concept.requires_words_reach)
    if not _words_allow(concept, lowered, rel, rel_end, before):
        return []
    ctx = _stated_context(concept, ctx, lowered, rel)
    # a hypothetical mention states nothing, denied or not ("if his pain does not
    # improve, we will consider an ESI"), except for the facts about plans
    if ctx.hypothetical and not concept.keep_hypothetical:
        return []
    if concept.nearest_therapy is not None and (
        run.nearest(run.treatments(therapies), rel, rel_end, sent.text) != concept.nearest_therapy
    ):
        return []
    found, qualifier = _qualifier(run, concept, sent, therapies, rel, rel_end)
    value = _value(concept, ctx, mention)
    if not found or value is None:
        return []
    span = run.span(sent, offset)
    where = run.locate(sent, rel, rel_end)
    fact = Fact(
        name=concept.fact,
        value=value,
        spans=(span,),
        context=ctx,
        qualifier=qualifier,
        confidence=0.6 if ctx.uncertain else 0.9,
        side=where.side,
        region=where.region,
    )
    if concept.target == "drugs" and qualifier is not None:
        return [fact, *drug_details(run, sent, rel_end, qualifier, span)]
    # a mention at one region of a list ("into both arms and both legs") is at each of them
    also = [
        fact.model_copy(update={"side": w.side, "region": w.region})
        for w in run.also_located(sent, rel, rel_end)
    ]
    return [fact, *also]


def _context_allows(concept: ConceptRule, ctx: Context) -> bool:
    """A rule for denied mentions only, or for current ones only."""
    if concept.only_negated and not ctx.negated:
        return False
    return not (concept.current_only and ctx.historical)


def _therapy_allows(
    run: Run, concept: ConceptRule, sent: Sentence, therapies: list[Mention]
) -> bool:
    """Whether the sentence names the treatment the rule needs (any, or a given one)."""
    if concept.requires_therapy == "any" and not therapies:
        return False
    return not (
        concept.requires_therapy not in (None, "any")
        and not run.therapy_named(concept.requires_therapy, sent, concept.context_therapy)
    )


def _words_allow(
    concept: ConceptRule, lowered: str, rel: int, rel_end: int, before: str = ""
) -> bool:
    """Whether the sentence's words suit the rule: none it excludes (unless a strong word
    holds), the words it needs (in the sentence, or in ``before``: the sentences just before
    it under the same heading, lower-cased, for a rule with a ``requires_words_reach``), none
    it excludes just before or just after the mention."""
    if excluded(lowered, concept.excludes_words, concept.strong_words):
        return False
    if concept.requires_any and not has_any(lowered, concept.requires_any, prefix=True):
        return False
    if (
        concept.requires_words
        and not has_any(lowered, concept.requires_words)
        and not (before and has_any(before, concept.requires_words))
    ):
        return False
    if concept.excludes_before and before_has(lowered, rel, concept.excludes_before):
        return False
    if concept.excludes_after:
        after = lowered[rel_end : rel_end + 30]
        if has_any(after, concept.excludes_after, prefix=True):
            return False
    return True


def _stated_context(concept: ConceptRule, ctx: Context, lowered: str, rel: int) -> Context:
    """The mention's context as the rule reads it: a rule may ignore negation; a fixed
    string value ("modified duty") is negated only by a word just before it (ConText also
    reads "modified duty: no lifting" as negated)."""
    if concept.ignore_negation:
        ctx = ctx.model_copy(update={"negated": False})
    if isinstance(concept.value, str):
        before = lowered[max(0, rel - 25) : rel]
        negated = bool(context_rules().fixed_value_negation.search(before))
        ctx = ctx.model_copy(update={"negated": negated})
    return ctx


def _qualifier(
    run: Run,
    concept: ConceptRule,
    sent: Sentence,
    therapies: list[Mention],
    rel: int,
    rel_end: int,
) -> tuple[bool, str | None]:
    """Whether the fact stands, and its qualifier: the treatment or drug the mention names
    (none named: no fact), the rule's own, the treatment it is about, or its body region."""
    qualifier: str | None = None
    if concept.target in ("therapies", "drugs"):
        hit = [t for t in therapies if t[1] <= rel < t[2] or t[1] == rel]
        if concept.target == "drugs":
            hit = [t for t in hit if t[0] in run.rules.drug_classes]
            if not hit:
                return False, None
        elif concept.fact == "prior_therapy":
            hit = [t for t in hit if t[0] not in run.rules.drug_classes]
            if not hit:
                return False, None
        qualifier = hit[0][0] if hit else (therapies[0][0] if therapies else None)
        if qualifier is None:
            return False, None
    elif concept.qualifier is not None:
        qualifier = concept.qualifier
    elif concept.qualified:
        qualifier = _about_therapy(run, concept, sent, therapies, rel, rel_end)
    if concept.region_qualified:
        qualifier = _region_near(sent.text, rel, rel_end)
    return True, qualifier


def _about_therapy(
    run: Run,
    concept: ConceptRule,
    sent: Sentence,
    therapies: list[Mention],
    rel: int,
    rel_end: int,
) -> str:
    """The treatment a mention is about ("*": none found)."""
    if concept.requires_therapy is not None:
        # a drug or a treatment named in the sentence
        return run.nearest(therapies, rel, rel_end) or "*"
    return (
        run.nearest(run.treatments(therapies), rel, rel_end, sent.text)
        or run.nearest(therapies, rel, rel_end, sent.text)
        or run.context_therapy(sent)
        or "*"
    )


def _value(concept: ConceptRule, ctx: Context, mention: str) -> bool | int | float | str | None:
    """The fact's value (None: a denied mention that gives no fact)."""
    if concept.target == "drugs":
        return None if ctx.negated else " ".join(mention.split())
    if concept.value is None:
        return not ctx.negated
    return None if ctx.negated else concept.value


_CLAUSE_END = re.compile(r"[;\n]")


def _region_near(text: str, start: int, end: int) -> str | None:
    """The body region named nearest a mention within its clause (between semicolons);
    of regions as near, the one named first (then the longest name)."""
    a = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    b_match = _CLAUSE_END.search(text, end)
    b = b_match.start() if b_match else len(text)
    clause = text[a:b]
    cat = catalogue()
    best: tuple[int, str] | None = None
    # of places as near, the first (then the longest) wins, whatever order they are found in
    for s0, e0 in sorted(cat.region_spans(clause), key=lambda span: (span[0], -span[1])):
        regions = cat.find_regions(clause[s0:e0])
        if not regions:
            continue
        distance = max(a + s0 - end, start - (a + e0), 0)
        if best is None or distance < best[0]:
            best = (distance, regions[0])
    return best[1] if best else None

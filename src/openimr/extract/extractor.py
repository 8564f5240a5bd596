"""Record text -> facts with spans, on a rule-based medspaCy pipeline.

Pipeline (no trained model: a blank English tokenizer): a line-structure component marks
sentence starts at blank lines, headings, ``Label: value`` lines and list items, and after
sentence punctuation; medspaCy's TargetMatcher finds the concept phrases of
``extraction/*.yaml``; medspaCy's ConText marks each mention negated, historical,
hypothetical, family or uncertain. Regular-expression patterns find numbers (percent
relief, weeks, visit counts, pain scores) sentence by sentence; drug mentions carry their
dose and frequency; derived rules add the facts one fact implies (an epidural injection
given is a therapy given).

Every fact carries the span of the sentence it came from (record path, exact character
offsets into the record text, the quote, the page and the section). Record text is never
logged.

This module runs the stages, each a module of its own: ``sentences``, ``nlp_pipeline``,
``context``, ``concepts``, ``pattern_facts``, ``summary`` (with ``diagnoses``),
``medications`` and ``derive``; ``run`` holds one record's state.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any, NamedTuple

from openimr.diskcache import cached
from openimr.extract.concepts import Found, window_concept_facts
from openimr.extract.context import (
    ModifierScopes,
    Negation,
    consent_discussions,
    context_sections,
    find_negations,
    mention_context,
    modifier_scopes,
)
from openimr.extract.derive import derived, positive_wins, unique
from openimr.extract.layout import relayout
from openimr.extract.locate import Locator
from openimr.extract.medications import listed_drugs
from openimr.extract.nlp_pipeline import (
    build_nlp,
    case_sensitive,
    context_rules,
    default_pipeline,
    nlp_key,
)
from openimr.extract.pattern_facts import sentence_pattern_facts
from openimr.extract.patterns import ExtractionRules, PatternRule, default_rules, words_alternation
from openimr.extract.run import Mention, Run
from openimr.extract.sections import SectionIndex, find_sections
from openimr.extract.sentences import (
    FHIR_HEADER,
    Sentence,
    clip,
    collapse_spaces,
    fhir_starts,
    is_title,
    sentence_starts,
)
from openimr.extract.shortcuts import Needs, holds, regex_needs, trie_regex
from openimr.extract.summary import summary_facts
from openimr.model import Fact, Record, Span

__all__ = ["WINDOW", "Extractor", "default_extractor", "extract_facts", "sentence_starts"]


WINDOW = 10_000
"""Characters of record text the spaCy pipeline reads at once: whole sentences, so ConText
(whose scope is a sentence) reads each mention as it would in the whole text; a record
shorter than this is read in one piece."""


class RuleTables(NamedTuple):
    """What the extractor's hot loop looks up, computed once from the rules."""

    keyword_patterns: dict[str, list[int]]
    """keyword -> the patterns it may let run"""
    keyword_free: frozenset[int]
    """the patterns that have no keywords"""
    needs: list[Needs]
    """per pattern, the strings each of its matches holds (``regex_needs``)"""
    keyword_scan: str
    """the regex of all keywords (empty: none)"""
    keyword_hits: dict[str, frozenset[int]]
    """the longest keyword at a place -> the patterns it and its prefixes let run"""
    negation_cues: frozenset[str]
    """the words of ConText's negations"""


def rule_tables(rules: ExtractionRules, context_path: str) -> RuleTables:
    """The tables of ``rules`` (``context_path``: medspaCy's default ConText rules)."""
    keyword_patterns: dict[str, list[int]] = {}
    for pi, pat in enumerate(rules.patterns):
        for kw in pat.keywords:
            keyword_patterns.setdefault(kw, []).append(pi)
    return RuleTables(
        keyword_patterns=keyword_patterns,
        keyword_free=frozenset(pi for pi, pat in enumerate(rules.patterns) if not pat.keywords),
        needs=[regex_needs(pat.regex) for pat in rules.patterns],
        # all keywords in one scan of a text: at each offset, the longest keyword that starts
        # there, which gives every keyword starting there (its prefixes that are keywords)
        keyword_scan="(?=(" + trie_regex(keyword_patterns) + "))" if keyword_patterns else "",
        keyword_hits={
            longest: frozenset(
                pi for kw, pis in keyword_patterns.items() if longest.startswith(kw) for pi in pis
            )
            for longest in keyword_patterns
        },
        # the words of ConText's negations ("no", "without"), to tell a negation that a
        # pattern's match holds itself from one that denies it
        # (the rules as written: the pipeline holds some of them as their word sequences)
        negation_cues=frozenset(
            " ".join(str(rule.literal).lower().split())
            for rule in context_rules(context_path, rules.context_rules)
            if rule.category == "NEGATED_EXISTENCE"
            and rule.direction not in ("TERMINATE", "PSEUDO")
        ),
    )


class Extractor:
    """Record -> facts, on the pipeline of ``rules`` (default: the shipped rules)."""

    def __init__(self, rules: ExtractionRules | None = None) -> None:
        self.rules = rules or default_rules()
        self.nlp, self.categories, label_phrase = (
            default_pipeline(id(self.rules)) if rules is None else build_nlp(self.rules)
        )
        words = [(w, tid) for tid, ws in self.rules.therapies.items() for w in ws]
        self._therapy_words = [w for w, _ in words]
        self._word_ids: dict[str, list[str]] = {}
        for w, tid in words:
            ids = self._word_ids.setdefault(" ".join(w.lower().split()), [])
            if tid not in ids:
                ids.append(tid)
        # the treatments a matched phrase names (the phrase matcher already finds every
        # treatment word when a concept targets them: no second search of the text)
        self._label_ids = {
            label: self._word_ids[" ".join(phrase.lower().split())]
            for label, phrase in label_phrase.items()
            if " ".join(phrase.lower().split()) in self._word_ids
        }
        self._all_words_matched = bool(words) and {
            " ".join(w.lower().split()) for w, _ in words
        } <= {" ".join(p.lower().split()) for p in label_phrase.values()}

        # the tables of the rules' patterns and negation words (the shipped rules': from the
        # start-up cache when it is current)
        context_path = self.nlp.get_pipe("medspacy_context").DEFAULT_RULES_FILEPATH
        tables = (
            cached("extractor-tables", lambda: rule_tables(self.rules, context_path), nlp_key())
            if rules is None
            else rule_tables(self.rules, context_path)
        )
        self._keyword_patterns = tables.keyword_patterns
        self._keyword_free = tables.keyword_free
        self._needs = tables.needs
        self._keyword_scan = re.compile(tables.keyword_scan) if tables.keyword_scan else None
        self._keyword_hits = tables.keyword_hits
        self._negation_cues = tables.negation_cues

    @property
    def locator(self) -> Locator:
        """Side and body region of mentions, on this pipeline's tokenizer."""
        loc: Locator | None = self.__dict__.get("_locator")
        if loc is None:
            loc = Locator(self.nlp.tokenizer)
            self.__dict__["_locator"] = loc
        return loc

    @cached_property
    def _therapy_any(self) -> re.Pattern[str] | None:
        """One regex of every treatment word (compiled on first use: when the phrase matcher
        finds every treatment word, as with the shipped rules, only :meth:`therapies_in`
        searches with it)."""
        words = self._therapy_words
        if not words:
            return None
        exact = [w for w in words if case_sensitive(w)]
        other = [w for w in words if not case_sensitive(w)]
        return re.compile(
            r"(?<![A-Za-z])(?:(?i:"
            + words_alternation(other)
            + r")"
            + ("|" + words_alternation(exact) if exact else "")
            + r")(?![A-Za-z])"
        )

    # -- helpers ---------------------------------------------------------------------------
    def therapies_in(self, text: str) -> list[Mention]:
        """Treatments (and drug classes) named in ``text``, in order of position."""
        return [(tid, a - 0, b) for tid, a, b in self._mentions(text, 0)]

    def _mentions(self, text: str, base: int) -> list[Mention]:
        if self._therapy_any is None:
            return []
        found: list[Mention] = []
        for m in self._therapy_any.finditer(text):
            for tid in self._word_ids.get(" ".join(m.group(0).lower().split()), ()):
                found.append((tid, base + m.start(), base + m.end()))
        return found

    def _matched_mentions(self, doc: Any, n2o: list[int], base: int = 0) -> list[Mention]:
        """Treatment words the phrase matcher found, longest first where they overlap
        (offsets into the record: ``base`` is where the window ``doc`` reads starts)."""
        spans = sorted(
            (e for e in doc.spans.get("medspacy_spans", ()) if e.label_ in self._label_ids),
            key=lambda e: (e.start_char, e.start_char - e.end_char),
        )
        found: list[Mention] = []
        end = -1
        for e in spans:
            if e.start_char < end:
                continue
            end = e.end_char
            a, b = base + n2o[e.start_char], base + n2o[e.end_char]
            found.extend((tid, a, b) for tid in self._label_ids[e.label_])
        return found

    def number(self, raw: str) -> float | None:
        """A number, or a number word of the rules (``numbers:``), as a float; else None."""
        raw = raw.strip().lower()
        if raw in self.rules.numbers:
            return float(self.rules.numbers[raw])
        try:
            return float(raw)
        except ValueError:
            return None

    def span_of(self, record: Record, start: int, end: int, section: str | None) -> Span:
        """The span of ``record.text[start:end]``, clipped (``sentences.clip``)."""
        s, e = clip(record.text, start, end)
        return Span(
            record=record.path,
            start=s,
            end=e,
            quote=record.text[s:e],
            page=record.page_of(s),
            section=section,
        )

    # -- main ------------------------------------------------------------------------------
    def _doc(self, text: str, starts: list[int]) -> tuple[Any, list[int]]:
        """The parsed text with each whitespace run read as one space (so a phrase wrapped
        over two lines matches), and the map from its offsets back to ``text``'s; ``starts``
        are the sentence starts in ``text``."""
        norm, n2o = collapse_spaces(text)
        doc = self.nlp.make_doc(norm)
        # each sentence start's place in the collapsed text
        doc.user_data["openimr_starts"] = sorted({bisect_right(n2o, s) - 1 for s in starts})
        for _, proc in self.nlp.pipeline:
            doc = proc(doc)
        return doc, n2o

    def _read_windows(
        self, text: str, starts: list[int]
    ) -> tuple[list[list[Found]], list[Mention], list[tuple[int, int]], list[Negation]]:
        """Run the pipeline over the text window by window (whole sentences, about
        ``WINDOW`` characters each: time and memory grow linearly with the record, and
        spaCy's limit on a text's length never applies). Returns, per window, the concept
        phrases found (longest first, then in order, with their ConText), the treatments
        named, and the reach of the modifiers that make a mention no finding (a consent's
        risks, a question), and the negations (each with its reach, in order), all with
        offsets into ``text``. Each parsed window is dropped once read."""
        found: list[list[Found]] = []
        mentions: list[Mention] = []
        not_findings: list[tuple[int, int]] = []
        negations: list[Negation] = []
        for a, b in _windows(text, starts):
            piece = text[a:b]
            lo, hi = bisect_left(starts, a), bisect_left(starts, b)
            doc, n2o = self._doc(piece, [s - a for s in starts[lo:hi]])
            if self._all_words_matched:
                mentions.extend(self._matched_mentions(doc, n2o, a))
            here: list[Found] = []
            spans = sorted(
                doc.spans.get("medspacy_spans", ()), key=lambda e: (e.start - e.end, e.start)
            )
            for ent in spans:
                start, end = n2o[ent.start_char], n2o[ent.end_char]
                modifiers = ent._.modifiers
                ctx = mention_context(ent, piece, n2o, start, modifiers)
                normal = any(mod.category == "REPORTED_NORMAL" for mod in modifiers)
                here.append(Found(a + start, a + end, ent.label_, ent.text, ctx, normal))
            found.append(here)
            not_findings.extend(
                (a + x, a + y) for x, y in modifier_scopes(doc, n2o, "NOT_A_FINDING")
            )
            negations.extend(
                Negation(a + n.start, a + n.end, a + n.scope_start, a + n.scope_end)
                for n in find_negations(doc, n2o)
            )
        if not self._all_words_matched:
            mentions = self._mentions(text, 0)
        negations.sort(key=lambda n: n.scope_start)
        return found, mentions, not_findings, negations

    def extract(self, record: Record) -> list[Fact]:
        """The facts of one record, each with its spans in the record's own text."""
        view = relayout(record.text) if record.kind != "fhir" else record.text
        if view is record.text:
            return self._extract(record)
        # read the text with its lost line breaks put back (same offsets), quote the record
        facts = self._extract(record.model_copy(update={"text": view}))
        original = record.text
        return [
            f.model_copy(
                update={
                    "spans": tuple(
                        s.model_copy(update={"quote": original[s.start : s.end]}) for s in f.spans
                    )
                }
            )
            for f in facts
        ]

    def _extract(self, record: Record) -> list[Fact]:
        text = record.text
        starts = fhir_starts(text) if record.kind == "fhir" else sentence_starts(text)
        windows, all_mentions, not_findings, negations = self._read_windows(text, starts)
        sentences = record_sentences(record, starts)
        run = Run(
            self,
            record,
            sentences,
            [s.start for s in sentences],
            all_mentions,
            [m[1] for m in all_mentions],
        )
        facts = window_concept_facts(run, windows)
        facts.extend(listed_drugs(run, sentences))
        # regex patterns, sentence by sentence: a pattern runs on the sentences where it
        # matched the whole text (one pass over the record instead of one per sentence)
        candidates = self._pattern_candidates(text, sentences)
        scopes = ModifierScopes(not_findings, negations, self._negation_cues)
        for sent, patterns in zip(sentences, candidates, strict=True):
            if sent.section == "title":
                continue
            therapies = run.therapies(sent)
            if not run.is_guideline(sent):
                facts.extend(sentence_pattern_facts(run, sent, patterns, therapies, scopes))
            facts.extend(summary_facts(run, sent, therapies))
        facts.extend(derived(run, facts))
        return positive_wins(unique(facts, by_region=True), self.rules.positive_wins)

    def _pattern_candidates(self, text: str, sentences: list[Sentence]) -> list[list[PatternRule]]:
        """Per sentence, the patterns to run on it (in rule order): those without keywords,
        and those one of whose keywords the sentence holds (all found in one pass over the
        record, not one search per sentence and pattern); in ASCII text, only those whose
        needed strings (``regex_needs``) the sentence holds."""
        patterns = self.rules.patterns
        lowered = text.lower()
        sent_starts = [s.start for s in sentences]
        n = len(sent_starts)
        if len(lowered) != len(text):  # lower-casing moved offsets: search everywhere
            return [list(patterns)] * n
        hits: list[set[int]] = [set() for _ in range(n)]
        if self._keyword_scan is not None and n:
            for m in self._keyword_scan.finditer(lowered):
                si = max(bisect_right(sent_starts, m.start()) - 1, 0)
                hits[si].update(self._keyword_hits[m.group(1)])
        always = self._keyword_free
        if not text.isascii():
            return [[patterns[pi] for pi in sorted(always.union(h))] for h in hits]
        needs = self._needs
        out: list[list[PatternRule]] = []
        for sent, h in zip(sentences, hits, strict=True):
            low = sent.text.lower()
            out.append([patterns[pi] for pi in sorted(always.union(h)) if holds(low, needs[pi])])
        return out


def _windows(text: str, starts: list[int], size: int | None = None) -> list[tuple[int, int]]:
    """``text`` cut into runs of whole sentences of about ``size`` characters (a window ends
    at the first sentence start at or after ``size`` characters; a sentence longer than
    ``2 * size`` is cut at a whitespace, so that no window is unbounded)."""
    size = size or WINDOW
    cuts = [0]
    i = bisect_right(starts, 0)
    while len(text) - cuts[-1] > size:
        last = cuts[-1]
        i = bisect_left(starts, last + size, i)
        cut = starts[i] if i < len(starts) else len(text)
        if cut - last > 2 * size:  # one very long sentence: cut it at a space
            space = text.rfind(" ", last + size // 2, last + size)
            cut = space + 1 if space > last else last + size
        if cut >= len(text):
            break
        cuts.append(cut)
    return list(pairwise([*cuts, len(text)]))


def extract_facts(records: Iterable[Record], extractor: Extractor | None = None) -> list[Fact]:
    """The facts of all ``records`` (by the default extractor unless one is given)."""
    ex = extractor or default_extractor()
    out: list[Fact] = []
    for record in records:
        out.extend(ex.extract(record))
    return out


@lru_cache(maxsize=1)
def default_extractor() -> Extractor:
    """The extractor of the shipped rules (built once per process)."""
    return Extractor()


def record_sentences(record: Record, starts: list[int]) -> list[Sentence]:
    """The record's sentences (those holding text), each with the extractor's section and the
    sectionizer's; a title line is in the section "title"."""
    text = record.text
    heads = find_sections(text)
    index = SectionIndex(heads)
    sections = context_sections(record, [h.start for h in heads])
    fhir = record.kind == "fhir"
    sentences: list[Sentence] = []
    for a, b in pairwise([*starts, len(text)]):
        if text[a:b].strip():
            # a FHIR resource's first line (``Condition/low-back-pain``) names it: no facts
            title = is_title(text[a:b]) or bool(fhir and FHIR_HEADER.match(text, a, b))
            section = "title" if title else index.at(a)
            sentences.append(Sentence(a, b, text[a:b], section, sections.at(a)))
    return sentences if fhir else consent_discussions(sentences)

"""Record text -> facts with spans, on a rule-based medspaCy pipeline.

Pipeline (no trained model: a blank English tokenizer): a line-structure component marks
sentence starts at blank lines, headings and numbered items; spaCy's rule-based
sentencizer splits the rest; medspaCy's TargetMatcher finds the concept phrases of
``extraction.yaml``; medspaCy's ConText marks each mention negated, historical,
hypothetical, family or uncertain. Regular-expression patterns find numbers (percent
relief, weeks, visit counts, pain scores) sentence by sentence.

Every fact carries the span of the sentence it came from (record path, exact character
offsets into the record text, the quote, the page and the section). Record text is never
logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from openimr.extract.rules import ConceptRule, ExtractionRules, default_rules
from openimr.extract.sections import SectionIndex, find_sections
from openimr.model import Context, Fact, Record, Span

MAX_QUOTE = 400
_BOOL_SKIP_CONTEXT = ("family",)
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+")
_HEADING_LINE = re.compile(r"^\s*[A-Z][A-Za-z /&'-]{1,60}:\s*$|^\s*[A-Z][A-Z /&'-]{2,60}:")

_DX_CUE = re.compile(
    r"(?:diagnos(?:is|es) (?:of|include[ds]?|were|are|was)|diagnosed with|(?:treatment|treated) for)"
    r"(?:\s+the diagnos(?:is|es) of)?:?\s+(?P<dx>[^.;]+)",
    re.IGNORECASE,
)
VISIT_WORDS = re.compile(
    r"\b(?:follow[- ]?up|consult(?:ation)?|referr(?:al|ed)|refer|visit|evaluation|appointment|see)\b",
    re.IGNORECASE,
)


_ABBREV = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|vs|e\.g|i\.e|approx|St|No|Fig|etc|al|Jr|Sr|mg|cc)\.|\b[A-Z]\.|^\s*\d{1,2}\.)$"
)
_BOUNDARY = re.compile(r"[.?!]['\")]?\s+(?=[A-Z0-9\"'(])")


_FHIR_LINE = re.compile(r"^(?:[A-Z][A-Za-z]+/\S+\s*$|  [\w.\[\]]+(?: \([^)]*\))?:)")


def line_starts(text: str) -> list[int]:
    """FHIR renderings: each resource header and element line starts a sentence (and ends
    the one before); attachment text inside is split as prose."""
    starts = set(sentence_starts(text))
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FHIR_LINE.match(line):
            starts.add(offset + len(line) - len(line.lstrip()))
        offset += len(line)
        # the line after an element line starts afresh too (attachments follow on new lines)
    return sorted(starts)


def sentence_starts(text: str) -> list[int]:
    """Character offsets where sentences start.

    Blocks start at blank lines, heading lines and list items; inside a block a sentence
    ends at . ? or ! followed by space and a capital or digit, except after abbreviations.
    Wrapped lines inside a paragraph do not split a sentence.
    """
    starts: list[int] = []
    offset = 0
    prev_blank = True
    prev_heading = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped:
            prev_blank = True
            offset += len(line)
            continue
        lead = len(line) - len(line.lstrip())
        line_start = offset + lead
        if prev_blank or prev_heading or _LIST_ITEM.match(line) or _HEADING_LINE.match(line):
            starts.append(line_start)
        prev_blank = False
        prev_heading = bool(_HEADING_LINE.match(line)) and stripped.endswith(":")
        offset += len(line)
    for m in _BOUNDARY.finditer(text):
        if "\n\n" in m.group(0):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[line_start : m.start() + 1]
        if _ABBREV.search(before):
            continue
        starts.append(m.end())
    return sorted(set(starts))


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    section: str | None


def _build_nlp(rules: ExtractionRules) -> tuple[Any, dict[str, list[int]]]:
    import spacy
    from medspacy.context import ConText  # noqa: F401  (registers the factory)
    from medspacy.ner import TargetMatcher, TargetRule  # noqa: F401
    from spacy.language import Language

    if not Language.has_factory("openimr_sentences"):

        @Language.component("openimr_sentences")
        def sentences(doc: Any) -> Any:
            if doc.user_data.get("openimr_line_mode"):
                starts = line_starts(doc.text)
            else:
                starts = sentence_starts(doc.text)
            pos = 0
            for token in doc:
                while pos < len(starts) and starts[pos] < token.idx:
                    pos += 1
                is_start = pos < len(starts) and starts[pos] == token.idx
                if token.i == 0:
                    is_start = True
                elif (
                    not is_start
                    and pos > 0
                    and starts[pos - 1] > doc[token.i - 1].idx
                    and not token.is_space
                ):
                    # a boundary fell inside the whitespace before this token
                    is_start = doc[token.i - 1].is_space and starts[pos - 1] > doc[token.i - 1].idx
                token.is_sent_start = is_start
            return doc

    nlp = spacy.blank("en")
    nlp.add_pipe("openimr_sentences")
    matcher: Any = nlp.add_pipe("medspacy_target_matcher")
    phrase_to_concepts: dict[str, list[int]] = {}
    for idx, concept in enumerate(rules.concepts):
        for phrase in concept.phrases:
            phrase_to_concepts.setdefault(phrase.lower(), []).append(idx)
    target_rules = [
        TargetRule(literal=phrase, category=f"P{n}") for n, phrase in enumerate(phrase_to_concepts)
    ]
    matcher.add(target_rules)
    nlp.add_pipe("medspacy_context")
    return nlp, {f"P{n}": concepts for n, concepts in enumerate(phrase_to_concepts.values())}


@lru_cache(maxsize=2)
def _pipeline(rules_id: int) -> tuple[Any, dict[str, list[int]]]:
    return _build_nlp(default_rules())


@lru_cache(maxsize=512)
def _words_pattern(words: tuple[str, ...], prefix: bool) -> re.Pattern[str]:
    alts = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    return re.compile(r"(?<![a-z])(?:" + alts + ")" + ("" if prefix else r"(?![a-z])"))


def _has_any(lowered: str, words: tuple[str, ...], prefix: bool = False) -> bool:
    """Whether any of ``words`` occurs as a word (or word prefix) in ``lowered``."""
    if not words:
        return False
    return _words_pattern(tuple(words), prefix).search(lowered) is not None


def _clip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    m = _LIST_ITEM.match(text[start:end])
    if m:
        start += m.end()
    if end - start > MAX_QUOTE:
        end = start + MAX_QUOTE
        while end > start and not text[end - 1].isspace():
            end -= 1
        end = end - 1 if end > start else start + MAX_QUOTE
    return start, end


class Extractor:
    def __init__(self, rules: ExtractionRules | None = None) -> None:
        self.rules = rules or default_rules()
        self.nlp, self.categories = (
            _pipeline(id(self.rules)) if rules is None else _build_nlp(self.rules)
        )
        self._therapy_cache: dict[str, list[tuple[str, int, int]]] = {}

    # -- helpers ---------------------------------------------------------------------------
    def therapies_in(self, text: str) -> list[tuple[str, int, int]]:
        """Treatments named in ``text`` (id, start, end), in order; memoized per sentence."""
        cached = self._therapy_cache.get(text)
        if cached is not None:
            return cached
        found: list[tuple[str, int, int]] = []
        for tid, rx in self.rules.therapy_regex.items():
            for m in rx.finditer(text):
                found.append((tid, m.start(), m.end()))
        found.sort(key=lambda t: t[1])
        if len(self._therapy_cache) > 4096:
            self._therapy_cache.clear()
        self._therapy_cache[text] = found
        return found

    def _number(self, raw: str) -> float | None:
        raw = raw.strip().lower()
        if raw in self.rules.numbers:
            return float(self.rules.numbers[raw])
        try:
            return float(raw)
        except ValueError:
            return None

    def _span(self, record: Record, start: int, end: int, section: str | None) -> Span:
        s, e = _clip(record.text, start, end)
        return Span(
            record=record.path,
            start=s,
            end=e,
            quote=record.text[s:e],
            page=record.page_of(s),
            section=section,
        )

    # -- main ------------------------------------------------------------------------------
    def extract(self, record: Record) -> list[Fact]:
        text = record.text
        index = SectionIndex(find_sections(text))
        doc = self.nlp.make_doc(text)
        if record.kind == "fhir":
            doc.user_data["openimr_line_mode"] = True
        for _, proc in self.nlp.pipeline:
            doc = proc(doc)
        facts: list[Fact] = []
        sentences: list[Sentence] = []
        for sent in doc.sents:
            if not sent.text.strip():
                continue
            sentences.append(
                Sentence(sent.start_char, sent.end_char, sent.text, index.at(sent.start_char))
            )
        sent_starts = [s.start for s in sentences]

        def sentence_of(offset: int) -> Sentence | None:
            from bisect import bisect_right

            i = bisect_right(sent_starts, offset) - 1
            return sentences[i] if i >= 0 else None

        # concept mentions (with ConText)
        for ent in doc.ents:
            concept_ids = self.categories.get(ent.label_, [])
            sent = sentence_of(ent.start_char)
            if sent is None:
                continue
            ctx = Context(
                negated=bool(ent._.is_negated),
                historical=bool(ent._.is_historical),
                hypothetical=bool(ent._.is_hypothetical),
                family=bool(ent._.is_family),
                uncertain=bool(ent._.is_uncertain),
            )
            for cid in concept_ids:
                concept = self.rules.concepts[cid]
                fact = self._concept_fact(record, concept, ent.text, ent.start_char, sent, ctx)
                if fact is not None:
                    facts.append(fact)
        # regex patterns, sentence by sentence
        for sent in sentences:
            therapies = self.therapies_in(sent.text)
            therapy_ids = {t[0] for t in therapies}
            for pat in self.rules.patterns:
                if pat.requires_therapy == "any" and not therapy_ids:
                    continue
                if (
                    pat.requires_therapy not in (None, "any")
                    and pat.requires_therapy not in therapy_ids
                ):
                    continue
                for m in pat.regex.finditer(sent.text):
                    fact = self._pattern_fact(record, pat, m, sent, therapies)
                    if fact is not None:
                        facts.append(fact)
            facts.extend(self._summary_facts(record, sent, therapies))
        return facts

    def _concept_fact(
        self,
        record: Record,
        concept: ConceptRule,
        mention: str,
        offset: int,
        sent: Sentence,
        ctx: Context,
    ) -> Fact | None:
        if ctx.family:
            return None
        if (
            concept.sections
            and sent.section is not None
            and sent.section not in concept.sections
            and "default" not in concept.sections
        ):
            return None
        if concept.sections and sent.section is None and "default" not in concept.sections:
            return None
        therapies = self.therapies_in(sent.text)
        if concept.requires_therapy == "any" and not therapies:
            return None
        if concept.requires_therapy not in (None, "any") and concept.requires_therapy not in {
            t[0] for t in therapies
        }:
            return None
        lowered = sent.text.lower()
        if concept.excludes_words and _has_any(lowered, concept.excludes_words):
            return None
        if concept.requires_any and not _has_any(lowered, concept.requires_any, prefix=True):
            return None
        if concept.requires_words and not _has_any(lowered, concept.requires_words):
            return None
        if ctx.hypothetical and not ctx.negated:
            return None
        qualifier: str | None = None
        if concept.target == "therapies":
            rel = offset - sent.start
            hit = [t for t in therapies if t[1] <= rel < t[2] or t[1] == rel]
            qualifier = hit[0][0] if hit else (therapies[0][0] if therapies else None)
            if qualifier is None:
                return None
        elif concept.qualified:
            qualifier = self._nearest_therapy(therapies, offset - sent.start) or "*"
        value: bool = not ctx.negated
        span = self._span(record, sent.start, sent.end, sent.section)
        return Fact(
            name=concept.fact,
            value=value,
            spans=(span,),
            context=ctx,
            qualifier=qualifier,
            confidence=0.6 if ctx.uncertain else 0.9,
        )

    @staticmethod
    def _nearest_therapy(therapies: Sequence[tuple[str, int, int]], rel: int) -> str | None:
        if not therapies:
            return None
        return min(therapies, key=lambda t: abs(t[1] - rel))[0]

    def _pattern_fact(
        self,
        record: Record,
        pat: Any,
        m: re.Match[str],
        sent: Sentence,
        therapies: Sequence[tuple[str, int, int]],
    ) -> Fact | None:
        raw = m.group("value")
        value: bool | int | float | str
        if pat.type in ("number", "int"):
            num = self._number(raw)
            if num is None:
                return None
            unit = m.groupdict().get("unit")
            if pat.unit == "weeks" and unit:
                u = unit.lower()
                if u.startswith("month"):
                    num *= 4.345
                elif u.startswith("day"):
                    num /= 7
            value = int(num) if pat.type == "int" else round(num, 2)
        else:
            value = raw.strip()
        qualifier = None
        if pat.qualified:
            qualifier = self._nearest_therapy(therapies, m.start())
            if qualifier is None:
                return None
        lowered = sent.text.lower()
        hypothetical = bool(
            re.search(
                r"\b(?:request(?:ed|ing)?|authoriz|recommend|plan|will|would|consider|scheduled)\w*",
                lowered[: m.start()],
            )
        )
        if (
            pat.fact == "prior_visits"
            and hypothetical
            and not re.search(
                r"\b(?:completed|had|attended|prior|previous|received|underwent)\b", lowered
            )
        ):
            return None
        span = self._span(record, sent.start, sent.end, sent.section)
        return Fact(name=pat.fact, value=value, unit=pat.unit, spans=(span,), qualifier=qualifier)

    def _cue_section(self, quote: str) -> str | None:
        """For a sentence outside any section: the summary kind its cue words suggest."""
        lowered = quote.lower()
        for kind, section in (
            ("diagnosis", "diagnoses"),
            ("exam_finding", "objective"),
            ("plan_item", "plan"),
            ("complaint", "subjective"),
        ):
            words = self.rules.summary_cues.get(kind, ())
            if words and _has_any(lowered, words, prefix=True):
                return section
        return None

    def _summary_facts(
        self, record: Record, sent: Sentence, therapies: Sequence[tuple[str, int, int]]
    ) -> list[Fact]:
        out: list[Fact] = []
        span = self._span(record, sent.start, sent.end, sent.section)
        if not span.quote or (span.quote.endswith(":") and len(span.quote) < 60):
            return out
        heading = re.match(r"^[A-Z][A-Za-z /&'-]{1,60}:\s*", span.quote)
        if heading:
            s = span.start + heading.end()
            span = self._span(record, s, span.end, sent.section)
            if not span.quote:
                return out
        section = sent.section or self._cue_section(span.quote)
        if section == "subjective":
            out.append(Fact(name="complaint", value=span.quote, spans=(span,)))
        elif section == "objective":
            out.append(Fact(name="exam_finding", value=span.quote, spans=(span,)))
        elif section == "diagnoses":
            m = _DX_CUE.search(span.quote) if sent.section is None else None
            if m is not None:
                dx = self._span(record, span.start + m.start("dx"), span.start + m.end("dx"), None)
                if dx.quote:
                    out.append(Fact(name="diagnosis", value=dx.quote.rstrip("."), spans=(dx,)))
            else:
                out.append(Fact(name="diagnosis", value=span.quote.rstrip("."), spans=(span,)))
        elif section == "plan":
            out.append(Fact(name="plan_item", value=span.quote, spans=(span,)))
            if VISIT_WORDS.search(span.quote):
                procedure = [t for t in therapies if t[0] not in ("physical-therapy",)]
                if procedure:
                    out.append(
                        Fact(
                            name="visit_purpose",
                            value=procedure[0][0],
                            spans=(span,),
                            context=Context(hypothetical=True),
                        )
                    )
        elif section == "work-status":
            out.append(Fact(name="work_status", value=span.quote, spans=(span,)))
        return out


def extract_facts(records: Iterable[Record], extractor: Extractor | None = None) -> list[Fact]:
    ex = extractor or default_extractor()
    out: list[Fact] = []
    for record in records:
        out.extend(ex.extract(record))
    return out


@lru_cache(maxsize=1)
def default_extractor() -> Extractor:
    return Extractor()

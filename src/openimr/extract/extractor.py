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
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any, NamedTuple

from openimr.extract.layout import relayout
from openimr.extract.locate import Location, Locator, Place, Side
from openimr.extract.patterns import (
    ConceptRule,
    ContextRuleSpec,
    ExtractionRules,
    PatternRule,
    default_rules,
    words_alternation,
)
from openimr.extract.sections import SECTION_NAMES, SectionIndex, find_sections
from openimr.model import Context, Fact, Record, Span
from openimr.request import catalogue

MAX_QUOTE = 400
SECTION_TITLES = {alias for aliases in SECTION_NAMES.values() for alias in aliases}
CONTEXT_WINDOW = 1500
"""How far back (characters) a sentence that names no treatment looks for the one it is about."""
CONCEPT_WINDOW = 400
"""The same for a statement of response ("she cut her Norco use"): the sentences just before."""
_GUIDELINE = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:MTUS|ODG|ACOEM|guidelines?|Official Disability Guidelines)\b"
)
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+")
_HEADING_LINE = re.compile(r"^\s*[A-Z][A-Za-z /&'-]{1,60}:\s*$|^\s*[A-Z][A-Z /&'-]{2,60}:")
_LABEL_LINE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z0-9/&'()#-]*(?:[ \t][A-Za-z0-9/&'()#-]+){0,4}[ \t]*:[ \t]+\S"
    r"|[A-Z][A-Za-z /'-]{1,30}[ \t]*\.{3,})"
)
_RULE_LINE = re.compile(r"^\s*[-=_*~]{4,}\s*$")
_ICD10 = re.compile(r"\b([A-TV-Z]\d{2}\.[0-9A-Z]{1,4})\b|\(\s*([A-TV-Z]\d{2}[0-9A-Z]{0,4})\s*[),]")
_CODE_GROUP = re.compile(
    r"\s*[(\[]?\s*(?:ICD-?10(?:-CM)?\s*:?\s*)?[A-TV-Z]\d{2}(?:\.?[0-9A-Z]{1,4})?"
    r"(?:\s*[,;]\s*[A-TV-Z]\d{2}(?:\.?[0-9A-Z]{1,4})?)*\s*[)\]]?"
)

_DX_CUE = re.compile(
    r"(?:diagnos(?:is|es)\s+(?:of|includes?|included|were|are|was|is)"
    r"(?:\s+documented\s+as|\s+listed\s+as)?"
    r"|diagnos(?:is|es)\s*:"
    r"|(?:my\s+)?(?:impression|assessment)\s+(?:is|was)"
    r"|diagnosed\s+(?:with|as\s+having)"
    r"|(?:undergoing\s+)?(?:treatment|treated)\s+for"
    r"|(?<!\w)dx:?)"
    r"(?:\s+the\s+diagnos(?:is|es)\s+of)?:?\s+(?P<dx>(?:[^.]|\.(?=[0-9A-Z]))+)",
    re.IGNORECASE,
)
# every match of _DX_CUE holds one of these (in any case): on ASCII text, where ignoring case
# is only lower-casing, a sentence without any of them is not searched
_DX_CUE_WORDS = ("diagnos", "impression", "assessment", "treat", "dx")


def _dx_cue(quote: str) -> re.Match[str] | None:
    if quote.isascii():
        lowered = quote.lower()
        if not any(w in lowered for w in _DX_CUE_WORDS):
            return None
    return _DX_CUE.search(quote)


_DX_SPLIT = re.compile(
    r"\s*;\s*|,\s+(?:and\s+)?(?=[a-z])(?!(?:left|right|bilateral|with|without|status|severe|mild|moderate|acute|chronic)\b)"
    r"|(?<!\bleft)(?<!\bright)\s+and\s+(?=(?:left|right|bilateral)?\s*[a-z]+\s)"
)
# the first clause of a sentence of prose: a subject (pronoun, "there", "the patient") or a
# finite verb; a diagnosis list item has neither ("Left S1 nerve root irritation")
_DX_PROSE = re.compile(
    r"^\s*(?:i|we|he|she|they|it|this|that|these|those|there|his|her|results?|please|if|"
    r"once|based|however|perhaps|overall|the\s+patient)\b"
    r"|\b(?:is|are|was|were|has|have|had|will|would|could|should|shows?|showed|reveals?|"
    r"revealed|recommends?|recommended|discussed|believe|think|feel|agrees?|requested)\b",
    re.IGNORECASE,
)
# prose a long sentence gives away wherever it stands: a first person, or "have all been
# discussed"
_DX_PROSE_LONG = re.compile(
    r"\b(?:i|we)\s+(?:\w+\s+)?(?:believe|think|feel|recommend|would|will|discussed|have)\b"
    r"|\b(?:has|have)\s+(?:all\s+)?been\s+(?:discussed|explained|reviewed)\b",
    re.IGNORECASE,
)
# a study's finding stated as evidence ("There is electrodiagnostic evidence of an acute L5
# radiculopathy") names a diagnosis; "There is no evidence of ..." does not
_DX_EVIDENCE = re.compile(
    r"^\s*there\s+is\s+(?:(?!no\b|not\b|little\b)\w+\s+){0,2}?evidence\s+(?:of|for)\b",
    re.IGNORECASE,
)
# a diagnosis not made: a differential, or "no diagnosis was rendered"
_DX_NOT_MADE = re.compile(r"\bdifferential\b|\bno\s+(?:\w+\s+)?$", re.IGNORECASE)
_DX_SKIP = re.compile(
    r"^(?:no|none|same|normal|abnormal study|correlate|recommend|good|fair|poor|status|"
    r"improving|progress\w*|objective functional|failed|stable|see|findings|the patient|pt|patient|"
    r"this|that|these|those|it|them|rendered|made|given|established|"
    # a letter's closing ("Yours sincerely,", "Thank you for this referral")
    r"yours|sincerely|respectfully|regards|thank you|thanks|cc|electronically signed)\b",
    re.IGNORECASE,
)
# what a cue points back to instead of naming a condition ("treated for this", "treatment
# for the current problem includes the following: ..."): no diagnosis in the sentence
_DX_NOT_NAMED = re.compile(
    r"^\s*(?:the\s+|this\s+|her\s+|his\s+)?(?:current\s+|present\s+|same\s+|above\s+)?"
    r"(?:problem|problems|condition|complaint|complaints|injury|this|that|it|them)\b",
    re.IGNORECASE,
)
_VISIT_WORDS = re.compile(
    r"\b(?:follow[- ]?up|consult(?:ation)?s?|referr(?:al|ed|ing)|refer|visits?|returns?\s+for|"
    r"evaluation|appointment)\b",
    re.IGNORECASE,
)
_PLAN_WORDS = re.compile(
    r"\b(?:request|will|recommend|schedul|refer|consideration|plan|to\s+(?:assess|discuss|evaluate))",
    re.IGNORECASE,
)
_MED_MANAGEMENT = re.compile(r"\bmedication\s+(?:management|refills?|monitoring)\b", re.I)


_ABBREV = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|vs|e\.g|i\.e|approx|St|No|Fig|etc|al|Jr|Sr|mg|cc)\.|\b[A-Z]\.|^\s*\d{1,2}\.|\.\.\.)$"
)
_BOUNDARY = re.compile(r"[.?!]['\")]?\s+(?=[A-Z0-9\"'(])")


_FHIR_HEADER = re.compile(r"[A-Z][A-Za-z]+/\S+\s*$")
_FHIR_LINE = re.compile(r"^(?:[A-Z][A-Za-z]+/\S+\s*$|  [\w.\[\]]+(?: \([^)]*\))?:)")


def fhir_starts(text: str) -> list[int]:
    """FHIR renderings: each resource header and element line starts a sentence (and ends
    the one before); attachment text inside is split as prose."""
    starts = set(sentence_starts(text))
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FHIR_LINE.match(line):
            starts.add(offset + len(line) - len(line.lstrip()))
        offset += len(line)
    return sorted(starts)


def sentence_starts(text: str) -> list[int]:
    """Character offsets where sentences start.

    Blocks start at blank lines (and ruled lines), heading lines, ``Label: value`` lines and
    list items; inside a block a sentence ends at . ? or ! followed by space and a capital or
    digit, except after abbreviations. Wrapped lines inside a paragraph do not split a
    sentence.
    """
    starts: list[int] = []
    offset = 0
    prev_blank = True
    prev_heading = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped or _RULE_LINE.match(line):
            prev_blank = True
            offset += len(line)
            continue
        lead = len(line) - len(line.lstrip())
        line_start = offset + lead
        if (
            prev_blank
            or prev_heading
            or _LIST_ITEM.match(line)
            or _HEADING_LINE.match(line)
            or _LABEL_LINE.match(line)
        ):
            starts.append(line_start)
        prev_blank = False
        prev_heading = bool(_HEADING_LINE.match(line)) and stripped.endswith(":")
        offset += len(line)
    line_start = scanned = 0
    for m in _BOUNDARY.finditer(text):
        if "\n\n" in m.group(0):
            continue
        # the start of the line, looked for only since the last boundary (searching back
        # to the text's start each time made a long text without line breaks quadratic)
        newline = text.rfind("\n", scanned, m.start())
        if newline >= 0:
            line_start = newline + 1
        scanned = m.start()
        if _is_abbreviation(text, line_start, m.start() + 1):
            continue
        starts.append(m.end())
    return sorted(set(starts))


_ABBREV_END = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|vs|e\.g|i\.e|approx|St|No|Fig|etc|al|Jr|Sr|mg|cc)\.|\b[A-Z]\.|\.\.\.)$"
)
_NUMBER_DOT = re.compile(r"\d{1,2}\.$")
_NON_SPACE = re.compile(r"\S")


def _is_abbreviation(text: str, line_start: int, end: int) -> bool:
    """Whether ``text[line_start:end]`` (a line up to a full stop) ends with an
    abbreviation, or is a list number (``_ABBREV``), reading only its last characters."""
    if _ABBREV_END.search(text, max(line_start, end - 12), end):
        return True
    m = _NUMBER_DOT.search(text, max(line_start, end - 3), end)
    return m is not None and _NON_SPACE.search(text, line_start, m.start()) is None


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    section: str | None
    context_section: str | None = None
    """The section medspaCy's sectionizer finds here (``library/data/sections.yaml``), read
    for the context it gives: past history, family history, or text that states no
    finding (consent risks, instructions, questions)."""


def _build_nlp(rules: ExtractionRules) -> tuple[Any, dict[str, list[int]], dict[str, str]]:
    import numpy
    from medspacy.context import ConText  # noqa: F401  (registers the factory)
    from medspacy.ner import TargetMatcher, TargetRule  # noqa: F401
    from spacy.attrs import IDX, SENT_START
    from spacy.language import Language

    from openimr.nlp import blank_english

    if not Language.has_factory("openimr_sentences"):

        @Language.component("openimr_sentences")
        def sentences(doc: Any) -> Any:
            starts = doc.user_data.get("openimr_starts") or sentence_starts(doc.text)
            if len(doc) == 0:
                return doc
            # a token starts a sentence when its offset is a sentence start (vectorized:
            # one assignment per token in Python is the slowest part of the pipeline)
            # (token offsets increase: each start's token is found by binary search)
            idx = doc.to_array([IDX]).astype(numpy.int64)
            wanted = numpy.asarray(starts, dtype=numpy.int64)
            at = numpy.searchsorted(idx, wanted)
            hit = at < len(idx)
            hit[hit] = idx[at[hit]] == wanted[hit]
            flags = numpy.full(len(idx), -1, dtype=numpy.int64)
            flags[at[hit]] = 1
            flags[0] = 1
            doc.from_array([SENT_START], flags.astype(numpy.uint64))
            return doc

    nlp = blank_english()
    nlp.add_pipe("openimr_sentences")
    # all matches, overlapping ones too (in a span group): "returned to full duty" is both a
    # return to work and a work status; overlaps within one fact are resolved later
    matcher: Any = nlp.add_pipe(
        "medspacy_target_matcher", config={"result_type": "group", "prune": False}
    )
    phrase_to_concepts: dict[str, list[int]] = {}
    for idx, concept in enumerate(rules.concepts):
        for phrase in concept.phrases:
            key = phrase if _case_sensitive(phrase) else phrase.lower()
            phrase_to_concepts.setdefault(key, []).append(idx)
    target_rules = [
        TargetRule(literal=phrase, category=f"P{n}", pattern=[{"TEXT": phrase}])
        if _case_sensitive(phrase)
        else TargetRule(literal=phrase, category=f"P{n}")
        for n, phrase in enumerate(phrase_to_concepts)
    ]
    matcher.add(target_rules)
    context: Any = nlp.add_pipe(
        "medspacy_context", config={"input_span_type": "group", "rules": None}
    )
    context.add(
        _as_phrases(_context_rules(context.DEFAULT_RULES_FILEPATH, rules.context_rules), nlp)
    )
    return (
        nlp,
        {f"P{n}": concepts for n, concepts in enumerate(phrase_to_concepts.values())},
        {f"P{n}": phrase for n, phrase in enumerate(phrase_to_concepts)},
    )


def _context_rules(default_path: str, added: Sequence[ContextRuleSpec] = ()) -> list[Any]:
    """medspaCy's default ConText rules and the rules of ``extraction/context.yaml`` (data):
    more negations, modifiers for mentions that are not findings (consent risks,
    instructions, questions, plans), and clause boundaries that end a modifier's reach ("no
    improvement with therapy, and she was seen by a chiropractor" does not deny the
    chiropractor). A data rule with a default rule's literal replaces it (": no" both ways)."""
    from medspacy.context import ConTextRule

    defaults = ConTextRule.from_json(default_path)
    default_patterns = {r.literal: r.pattern for r in defaults}
    ours = [
        ConTextRule(
            r.literal,
            r.category,
            direction=r.direction,
            pattern=default_patterns.get(r.literal)
            if r.pattern is None
            else [dict(t) for t in r.pattern],
            max_scope=r.max_scope,
        )
        for r in added
    ]
    replaced = {r.literal for r in added}
    return [*(r for r in defaults if r.literal not in replaced), *ours]


MAX_PHRASES_PER_RULE = 400


def _token_choices(token: dict[str, Any]) -> tuple[list[str], bool] | None:
    """The lower-case words a token pattern accepts and whether it may be left out, when it
    is a plain choice of words (``{"LOWER": {"IN": [...]}, "OP": "?"}``); else None."""
    op = token.get("OP")
    if op not in (None, "?") or not set(token) - {"OP"}:
        return None
    keys = set(token) - {"OP"}
    if keys == {"LOWER"}:
        value = token["LOWER"]
        words = value.get("IN") if isinstance(value, dict) and set(value) == {"IN"} else value
        words = [words] if isinstance(words, str) else words
    elif keys == {"TEXT"} and isinstance(token["TEXT"], str):
        words = [token["TEXT"]]  # only when case cannot matter (",")
        if any(c.isalpha() for c in words[0]):
            return None
    else:
        return None
    if not isinstance(words, list) or not all(
        isinstance(w, str) and w == w.lower() and w and " " not in w for w in words
    ):
        return None
    return list(dict.fromkeys(words)), op == "?"


def _expand(pattern: list[dict[str, Any]]) -> list[tuple[str, ...]] | None:
    """Every word sequence a token pattern of plain word choices matches, or None."""
    seqs: list[tuple[str, ...]] = [()]
    for token in pattern:
        choice = _token_choices(token)
        if choice is None:
            return None
        words, optional = choice
        seqs = [*((*s, w) for s in seqs for w in words), *(seqs if optional else [])]
        if len(seqs) > MAX_PHRASES_PER_RULE:
            return None
    return [s for s in seqs if s]


def _as_phrases(rules: list[Any], nlp: Any) -> list[Any]:
    """ConText rules whose token pattern is a plain choice of words, each as the phrase
    rules of its word sequences (spaCy's phrase matcher finds them in a fraction of the
    token matcher's time; the matches are the same: a sequence is kept only when the
    tokenizer reads its text as exactly those words). Other rules are kept as they are."""
    from medspacy.context import ConTextRule

    out: list[Any] = []
    for rule in rules:
        seqs = _expand(rule.pattern) if isinstance(rule.pattern, list) else None
        if seqs is None or not all(
            [t.text for t in nlp.tokenizer(" ".join(seq))] == list(seq) for seq in seqs
        ):
            out.append(rule)
            continue
        out.extend(
            ConTextRule(
                " ".join(seq),
                rule.category,
                direction=rule.direction,
                max_scope=rule.max_scope,
                allowed_types=rule.allowed_types,
                excluded_types=rule.excluded_types,
                max_targets=rule.max_targets,
                terminated_by=rule.terminated_by,
                on_match=rule.on_match,
                on_modifies=rule.on_modifies,
                metadata=rule.metadata,
            )
            for seq in seqs
        )
    return out


def _case_sensitive(word: str) -> bool:
    """Short abbreviations in capitals ("PT", "OT", "ESI") match only in capitals ("Pt"
    is the patient)."""
    return 2 <= len(word) <= 3 and word.isalpha() and word.isupper()


@lru_cache(maxsize=2)
def _pipeline(rules_id: int) -> tuple[Any, dict[str, list[int]], dict[str, str]]:
    return _build_nlp(default_rules())


@lru_cache(maxsize=4096)
def _word_regex(words: tuple[str, ...], prefix: bool) -> re.Pattern[str] | None:
    if not words:
        return None
    alts = "|".join(sorted((re.escape(w.lower()) for w in words), key=len, reverse=True))
    return re.compile(r"(?<![a-z])(?:" + alts + ")" + ("" if prefix else r"(?![a-z])"))


@lru_cache(maxsize=4096)
def _word_test(
    words: tuple[str, ...], prefix: bool
) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    """The words in lower case (each a substring of any match) and their regex."""
    return tuple(dict.fromkeys(w.lower() for w in words)), _word_regex(words, prefix)


def _has_any(lowered: str, words: tuple[str, ...], prefix: bool = False) -> bool:
    """Whether any of ``words`` occurs as a word (or word prefix) in ``lowered``."""
    plain, rx = _word_test(words if isinstance(words, tuple) else tuple(words), prefix)
    if rx is None:
        return False
    # the regex (case-sensitive, on lower-case words) matches only where a word occurs as a
    # substring: a text holding none of them needs no regex search
    for w in plain:
        if w in lowered:
            return rx.search(lowered) is not None
    return False


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


Mention = tuple[str, int, int]
"""A treatment named in a sentence: (treatment id, start, end) relative to the sentence."""


class Extractor:
    def __init__(self, rules: ExtractionRules | None = None) -> None:
        self.rules = rules or default_rules()
        self.nlp, self.categories, label_phrase = (
            _pipeline(id(self.rules)) if rules is None else _build_nlp(self.rules)
        )
        words = [(w, tid) for tid, ws in self.rules.therapies.items() for w in ws]
        exact = [w for w, _ in words if _case_sensitive(w)]
        other = [w for w, _ in words if not _case_sensitive(w)]
        self._therapy_any = (
            re.compile(
                r"(?<![A-Za-z])(?:(?i:"
                + words_alternation(other)
                + r")"
                + ("|" + words_alternation(exact) if exact else "")
                + r")(?![A-Za-z])"
            )
            if words
            else None
        )
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

        # keyword -> the patterns it may let run; the patterns that have no keywords
        self._keyword_patterns: dict[str, list[int]] = {}
        for pi, pat in enumerate(self.rules.patterns):
            for kw in pat.keywords:
                self._keyword_patterns.setdefault(kw, []).append(pi)
        self._keyword_free = frozenset(
            pi for pi, pat in enumerate(self.rules.patterns) if not pat.keywords
        )
        self._needs = [_regex_needs(pat.regex) for pat in self.rules.patterns]
        # all keywords in one scan of a text: at each offset, the longest keyword that starts
        # there, which gives every keyword starting there (its prefixes that are keywords)
        self._keyword_scan = (
            re.compile("(?=(" + _trie_regex(self._keyword_patterns) + "))")
            if self._keyword_patterns
            else None
        )
        self._keyword_hits = {
            longest: frozenset(
                pi
                for kw, pis in self._keyword_patterns.items()
                if longest.startswith(kw)
                for pi in pis
            )
            for longest in self._keyword_patterns
        }

        # the words of ConText's negations ("no", "without"), to tell a negation that a
        # pattern's match holds itself from one that denies it
        # (the rules as written: the pipeline holds some of them as their word sequences)
        context = self.nlp.get_pipe("medspacy_context")
        self._negation_cues = frozenset(
            " ".join(str(rule.literal).lower().split())
            for rule in _context_rules(context.DEFAULT_RULES_FILEPATH, self.rules.context_rules)
            if rule.category == "NEGATED_EXISTENCE"
            and rule.direction not in ("TERMINATE", "PSEUDO")
        )

    @property
    def locator(self) -> Locator:
        """Side and body region of mentions, on this pipeline's tokenizer."""
        loc: Locator | None = self.__dict__.get("_locator")
        if loc is None:
            loc = Locator(self.nlp.tokenizer)
            self.__dict__["_locator"] = loc
        return loc

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
    def _doc(self, text: str, starts: list[int]) -> tuple[Any, list[int]]:
        """The parsed text with each whitespace run read as one space (so a phrase wrapped
        over two lines matches), and the map from its offsets back to ``text``'s; ``starts``
        are the sentence starts in ``text``."""
        norm, n2o = _collapse_spaces(text)
        doc = self.nlp.make_doc(norm)
        # each sentence start's place in the collapsed text
        doc.user_data["openimr_starts"] = sorted({bisect_right(n2o, s) - 1 for s in starts})
        for _, proc in self.nlp.pipeline:
            doc = proc(doc)
        return doc, n2o

    def _read_windows(
        self, text: str, starts: list[int]
    ) -> tuple[list[list[_Found]], list[Mention], list[tuple[int, int]], list[_Negation]]:
        """Run the pipeline over the text window by window (whole sentences, about
        ``WINDOW`` characters each: time and memory grow linearly with the record, and
        spaCy's limit on a text's length never applies). Returns, per window, the concept
        phrases found (longest first, then in order, with their ConText), the treatments
        named, and the reach of the modifiers that make a mention no finding (a consent's
        risks, a question), and the negations (each with its reach, in order), all with
        offsets into ``text``. Each parsed window is dropped once read."""
        found: list[list[_Found]] = []
        mentions: list[Mention] = []
        not_findings: list[tuple[int, int]] = []
        negations: list[_Negation] = []
        for a, b in _windows(text, starts):
            piece = text[a:b]
            lo, hi = bisect_left(starts, a), bisect_left(starts, b)
            doc, n2o = self._doc(piece, [s - a for s in starts[lo:hi]])
            if self._all_words_matched:
                mentions.extend(self._matched_mentions(doc, n2o, a))
            here: list[_Found] = []
            spans = sorted(
                doc.spans.get("medspacy_spans", ()), key=lambda e: (e.start - e.end, e.start)
            )
            for ent in spans:
                start, end = n2o[ent.start_char], n2o[ent.end_char]
                ctx = _mention_context(ent, piece, n2o, start)
                normal = any(mod.category == "REPORTED_NORMAL" for mod in ent._.modifiers)
                here.append(_Found(a + start, a + end, ent.label_, ent.text, ctx, normal))
            found.append(here)
            not_findings.extend(
                (a + x, a + y) for x, y in _modifier_scopes(doc, n2o, "NOT_A_FINDING")
            )
            negations.extend(
                _Negation(a + n.start, a + n.end, a + n.scope_start, a + n.scope_end)
                for n in _negations(doc, n2o)
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
        heads = find_sections(text)
        index = SectionIndex(heads)
        starts = fhir_starts(text) if record.kind == "fhir" else sentence_starts(text)
        windows, all_mentions, not_findings, negations = self._read_windows(text, starts)
        negation_starts = [n.scope_start for n in negations]
        context_sections = _context_sections(record, [h.start for h in heads])
        sentences: list[Sentence] = []
        bounds = [*starts, len(text)]
        fhir = record.kind == "fhir"
        for a, b in pairwise(bounds):
            if text[a:b].strip():
                # a FHIR resource's first line (``Condition/low-back-pain``) names it: no facts
                title = _is_title(text[a:b]) or bool(fhir and _FHIR_HEADER.match(text, a, b))
                section = "title" if title else index.at(a)
                sentences.append(Sentence(a, b, text[a:b], section, context_sections.at(a)))
        sent_starts = [s.start for s in sentences]
        mention_starts = [m[1] for m in all_mentions]
        run = _Run(self, record, sentences, sent_starts, all_mentions, mention_starts)

        facts: list[Fact] = []
        # concept mentions (with ConText): per fact, the longest of overlapping phrases; a
        # phrase inside a longer one that qualifies it ("non-radicular", "almost
        # full-thickness tear", "not helpful") gives no fact of its own
        # (a phrase never crosses a window: overlaps are looked for within its window)
        for found in windows:
            chosen: dict[str, list[tuple[int, int]]] = {}
            kept: list[tuple[int, int]] = []
            for ent_start, ent_end, label, mention, ctx, normal in found:
                sent = run.sentence_of(ent_start)
                if sent is None:
                    continue
                if any(
                    a <= ent_start
                    and ent_end <= b
                    and (a, b) != (ent_start, ent_end)
                    and _QUALIFYING.search(text[a:ent_start])
                    for a, b in kept
                ):
                    continue
                kept.append((ent_start, ent_end))
                concept_ids = []
                for cid in self.categories.get(label, []):
                    taken = chosen.setdefault(self.rules.concepts[cid].fact, [])
                    if any(
                        a < ent_end and ent_start < b and (a, b) != (ent_start, ent_end)
                        for a, b in taken
                    ):
                        continue
                    taken.append((ent_start, ent_end))
                    concept_ids.append(cid)
                for cid in concept_ids:
                    concept = self.rules.concepts[cid]
                    c = ctx
                    if normal and concept.value is None and not ctx.hypothetical:
                        # "bowel and bladder function are reported as normal"
                        c = ctx.model_copy(update={"negated": True})
                    facts.extend(run.concept_facts(concept, mention, ent_start, ent_end, sent, c))
        # regex patterns, sentence by sentence: a pattern runs on the sentences where it
        # matched the whole text (one pass over the record instead of one per sentence)
        candidates = self._pattern_candidates(text, sentences)
        for si, sent in enumerate(sentences):
            if sent.section == "title":
                continue
            states_nothing = _states_no_finding(sent)
            therapies = run.therapies(sent)
            if run.is_guideline(sent):
                facts.extend(run.summary_facts(sent, therapies))
                continue
            therapy_ids = {t[0] for t in therapies}
            sent_facts: list[tuple[Fact, int, int]] = []
            lowered = sent.text.lower()
            for pat in candidates[si]:
                if pat.requires_therapy == "any" and not therapy_ids and not pat.context_therapy:
                    continue
                if pat.requires_therapy not in (None, "any") and not run.therapy_named(
                    pat.requires_therapy, sent, pat.context_therapy
                ):
                    continue
                if not run.section_ok(pat.sections, pat.exclude_sections, sent):
                    continue
                if pat.requires_words and not _has_any(lowered, pat.requires_words):
                    continue
                if (
                    pat.excludes_words
                    and _has_any(lowered, pat.excludes_words)
                    and not (pat.strong_words and _has_any(lowered, pat.strong_words))
                ):
                    continue
                if states_nothing and not pat.keep_hypothetical:
                    continue
                for m in pat.regex.finditer(sent.text):
                    if pat.excludes_before and _before_has(lowered, m.start(), pat.excludes_before):
                        continue
                    if not pat.keep_hypothetical and _in_scopes(
                        not_findings, sent.start + m.start()
                    ):
                        continue
                    fact = run.pattern_fact(pat, m, sent, therapies)
                    if fact is not None and pat.when_negated != "ignore":
                        # a finding read by a pattern is denied as a concept's is (ConText)
                        lo = bisect_left(negation_starts, sent.start)
                        hi = bisect_left(negation_starts, sent.end)
                        if _negates(
                            negations[lo:hi],
                            text,
                            sent.start + m.start(),
                            sent.start + m.end(),
                            self._negation_cues,
                        ):
                            if pat.when_negated == "nothing":
                                continue
                            fact = fact.model_copy(
                                update={"value": False, "context": Context(negated=True)}
                            )
                    if fact is not None:
                        g = "value" if "value" in m.re.groupindex and m.group("value") else 0
                        sent_facts.append((fact, m.start(g), m.end(g)))
            facts.extend(_drop_overridden(sent_facts))
            facts.extend(run.summary_facts(sent, therapies))
        facts.extend(run.derived(facts))
        return _positive_wins(_unique(facts), self.rules.positive_wins)

    def _pattern_candidates(self, text: str, sentences: list[Sentence]) -> list[list[PatternRule]]:
        """Per sentence, the patterns to run on it (in rule order): those without keywords,
        and those one of whose keywords the sentence holds (all found in one pass over the
        record, not one search per sentence and pattern); in ASCII text, only those whose
        needed strings (``_regex_needs``) the sentence holds."""
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
            out.append([patterns[pi] for pi in sorted(always.union(h)) if _holds(low, needs[pi])])
        return out


def _trie_regex(words: Iterable[str]) -> str:
    """A regex matching each of ``words`` (non-empty), as a trie: at a place, it matches the
    longest of them that starts there (its branches part on distinct characters, and a word
    that ends inside a longer one is an optional rest, tried first)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(node) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return ("(?:" + body + ")?") if len(alts) == 1 else body + "?"
        return body

    return build(trie)


Needs = tuple[tuple[str, ...], ...]
"""Strings a regex's every match holds: each clause, one of its strings (lower case)."""


def _holds(lowered: str, needs: Needs) -> bool:
    """Whether ``lowered`` holds one string of every clause (plain loops: this runs for
    every sentence and pattern)."""
    for clause in needs:
        for w in clause:
            if w in lowered:
                break
        else:
            return False
    return True


def _regex_needs(rx: re.Pattern[str]) -> Needs:
    """What every match of ``rx`` holds, read from the parsed regex: each literal run it
    must match (outside lookarounds), and for an alternation whose every branch needs
    something, one of those. On ASCII text (where ignoring case is lower-casing) a sentence
    without them has no match: the regex need not run there."""
    try:
        from re import _constants as sre_c  # type: ignore[attr-defined]
        from re import _parser as sre_p  # type: ignore[attr-defined]

        clauses = _needed(list(sre_p.parse(rx.pattern, rx.flags)), sre_c)
    except Exception:  # an optimization only: then the regex runs on every sentence
        return ()
    # a non-ASCII letter may match an ASCII one when case is ignored ("ſ" and "s")
    return tuple(clause for clause in clauses if all(w.isascii() for w in clause))


def _needed(seq: list[Any], c: Any) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(seq):
        op, av = seq[i]
        if op == c.LITERAL:
            j = i
            while j < len(seq) and seq[j][0] == c.LITERAL:
                j += 1
            out.append(("".join(chr(seq[k][1]) for k in range(i, j)).lower(),))
            i = j
            continue
        if op == c.SUBPATTERN:
            out.extend(_needed(list(av[3]), c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            out.extend(_needed(list(av[2]), c))
        elif op == c.BRANCH:
            alts = [_needed(list(alt), c) for alt in av[1]]
            if alts and all(alts):
                # per branch, its clause of the longest strings
                best = [max(a, key=lambda clause: min(len(w) for w in clause)) for a in alts]
                out.append(tuple(dict.fromkeys(w for clause in best for w in clause)))
        i += 1
    return out


WINDOW = 10_000
"""Characters of record text the spaCy pipeline reads at once: whole sentences, so ConText
(whose scope is a sentence) reads each mention as it would in the whole text; a record
shorter than this is read in one piece."""


class _Found(NamedTuple):
    """A concept phrase the matcher found: offsets into the record, its rule label, its
    words, and its context."""

    start: int
    end: int
    label: str
    text: str
    ctx: Context
    normal: bool = False
    """Under a REPORTED_NORMAL modifier ("reported as normal"): the abnormality is denied."""


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


_QUALIFYING = re.compile(
    r"(?:\b(?:non|not|almost|nearly|near|less)\b|non-)[^.;]*$",
    re.IGNORECASE,
)


_TIED_AFTER = re.compile(
    r"^[\s,]*(?:\w+\s+){0,2}?(?:with|from|after|following|to|of)\b[^,;.]*$", re.IGNORECASE
)
_TIED_BEFORE = re.compile(
    r"^\s*(?:(?:\([^)]*\)\s*)?(?:with|and)\b[^,;.]*|x|\(|\((?:about|approximately|approx\.?)|:)\s*$",
    re.IGNORECASE,
)


_LABEL = re.compile(r"^([A-Za-z][A-Za-z /&'()-]{0,40}?)\s*:")


def _heading_label(sent: Sentence) -> tuple[str | None, bool]:
    """A sentence read as a heading: the text naming what follows (a title, a bare heading
    line "Left knee:", the label of "Right shoulder: tender ...") and whether it is a
    section heading (beyond which a heading above no longer holds)."""
    text = sent.text.strip()
    if not text:
        return None, False
    if sent.section == "title":
        return text, False
    m = _LABEL.match(text)
    if m is None:
        return None, False
    label = m.group(1)
    return label, " ".join(label.lower().split()) in SECTION_TITLES


def _is_title(text: str) -> bool:
    """A line in capitals without a colon: a document title or a bare heading."""
    stripped = text.strip()
    return (
        stripped.count("\n") <= 2
        and not _LIST_ITEM.match(stripped)
        and ":" not in stripped
        and any(c.isalpha() for c in stripped)
        and stripped.upper() == stripped
        and len(stripped.split()) <= 12
    )


_SPACES = re.compile(r"\s{2,}|[\t\n\r\f\v]")


def _collapse_spaces(text: str) -> tuple[str, list[int]]:
    """``text`` with every whitespace run as one space, and each of its offsets' place in
    ``text`` (one more entry for the end)."""
    parts: list[str] = []
    n2o: list[int] = []
    pos = 0
    for m in _SPACES.finditer(text):
        parts.append(text[pos : m.start()])
        n2o.extend(range(pos, m.start()))
        parts.append(" ")
        n2o.append(m.start())
        pos = m.end()
    parts.append(text[pos:])
    n2o.extend(range(pos, len(text)))
    n2o.append(len(text))
    return "".join(parts), n2o


def _unique(facts: list[Fact]) -> list[Fact]:
    """Facts with the same name, value, qualifier and sentence are one (the first kept)."""
    seen: set[tuple[object, ...]] = set()
    out: list[Fact] = []
    for f in facts:
        key = (f.name, f.value, f.qualifier, f.spans[0].start if f.spans else None)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _positive_wins(facts: list[Fact], names: frozenset[str]) -> list[Fact]:
    """For examination facts, a sentence with an abnormal finding ("reflexes 2+, left Achilles
    1+") is not also read as normal."""
    positive = {(f.name, f.spans[0].start) for f in facts if f.value is True and f.spans}
    return [
        f
        for f in facts
        if not (
            f.name in names
            and f.value is False
            and f.spans
            and (f.name, f.spans[0].start) in positive
        )
    ]


# A fraction written in words, as a percent of the whole ("two thirds better": 67%).
_FRACTION_PERCENT = {
    "half": 50,
    "a half": 50,
    "one half": 50,
    "a third": 33,
    "one third": 33,
    "two thirds": 67,
    "a quarter": 25,
    "one quarter": 25,
    "three quarters": 75,
}


def _drop_overridden(found: list[tuple[Fact, int, int]]) -> list[Fact]:
    """Numbers one sentence gives twice: a value read inside another reading's longer value
    ("6" inside "5 to 6") is dropped, and a pain score that is the score with or without
    medication is not also a bare score."""
    kept = [
        f
        for f, a, b in found
        if not any(g.name == f.name and c <= a and b <= d and (c, d) != (a, b) for g, c, d in found)
    ]
    tied = {
        f.value
        for f in kept
        if f.name in ("pain_score_with_medication", "pain_score_without_medication")
    }
    return [f for f in kept if not (f.name == "pain_score" and f.value in tied)]


# a word between a negation and the mention that the negation denies instead, when it is
# tied to the mention without a clause break ("no improvement with acupuncture"; but not
# "denies vision changes, weakness, or bowel or bladder dysfunction")
# "no relief with the brace": the negation denies the relief, not the brace; but "no
# destructive changes or fractures" denies both (a coordination, not a tie)
_NEGATION_BLOCKERS = re.compile(
    r"\b(?:improvement|improve|improved|change|changes|relief|benefit|help|helpful|progress|gains?)\b"
    r"(?!\s+(?:or|and|nor)\b)[^,;]*$",
    re.IGNORECASE,
)


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


def _context_sections(record: Record, heads: Sequence[int]) -> _ContextSections:
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


def _states_no_finding(sent: Sentence) -> bool:
    return _section_flags(sent.context_section)[2]


def _section_context(ctx: Context, sent: Sentence) -> Context:
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


def _modifier_scopes(doc: Any, n2o: list[int], category: str) -> list[tuple[int, int]]:
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


class _Negation(NamedTuple):
    """A ConText NEGATED_EXISTENCE modifier: its words and its reach (offsets)."""

    start: int
    end: int
    scope_start: int
    scope_end: int


def _negations(doc: Any, n2o: list[int]) -> list[_Negation]:
    """The negations ConText found in ``doc`` (offsets into the text before collapsing)."""
    graph = getattr(doc._, "context_graph", None)
    if graph is None:
        return []
    out: list[_Negation] = []
    for mod in graph.modifiers:
        # a TERMINATE or PSEUDO rule of the category ("secondary to") denies nothing
        if mod.category != "NEGATED_EXISTENCE" or mod.direction in ("TERMINATE", "PSEUDO"):
            continue
        (ma, mb), (a, b) = mod.modifier_span, mod.scope_span
        if b <= a or mb <= ma:
            continue
        m_last, first, last = doc[mb - 1], doc[a], doc[b - 1]
        out.append(
            _Negation(
                n2o[doc[ma].idx],
                n2o[m_last.idx + len(m_last.text)],
                n2o[first.idx],
                n2o[last.idx + len(last.text)],
            )
        )
    return out


def _negates(
    negations: Sequence[_Negation], text: str, start: int, end: int, cues: frozenset[str]
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
        if neg.end <= start and _NEGATION_BLOCKERS.search(text[neg.end : start]):
            continue
        return True
    return False


def _in_scopes(scopes: Sequence[tuple[int, int]], offset: int) -> bool:
    return any(a <= offset < b for a, b in scopes)


def _mention_context(ent: Any, text: str, n2o: list[int], start: int) -> Context:
    """The ConText attributes of a mention. A mention under a NOT_A_FINDING modifier (a
    risk listed in a consent, what to call about, a question) is neither stated nor denied:
    it reads as hypothetical and never as negated ("risks include no relief")."""
    ext = ent._  # one accessor for all the attributes (each ``ent._`` builds a new one)
    if any(mod.category == "NOT_A_FINDING" for mod in ext.modifiers):
        return _not_a_finding(bool(ext.is_family))
    return _context(
        bool(ext.is_negated) and _is_negated(ent, text, n2o, start),
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
        if m_end <= start and _NEGATION_BLOCKERS.search(text[m_end:start]):
            continue
        return True
    return False


def _before_has(lowered: str, pos: int, words: tuple[str, ...]) -> bool:
    """Whether ``words`` occur in the clause just before ``pos`` (40 characters at most)."""
    before = lowered[max(0, pos - 40) : pos]
    before = re.split(r"[;.,]|\band\b|\bbut\b", before)[-1]
    return _has_any(before, words, prefix=True)


class _Run:
    """The state of one record's extraction: its sentences and the treatments it names."""

    def __init__(
        self,
        ex: Extractor,
        record: Record,
        sentences: list[Sentence],
        sent_starts: list[int],
        mentions: list[Mention],
        mention_starts: list[int],
    ) -> None:
        self.ex = ex
        self.rules = ex.rules
        self.record = record
        self.sentences = sentences
        self.sent_starts = sent_starts
        self.mentions = mentions
        self.mention_starts = mention_starts
        self._therapy_cache: dict[int, list[Mention]] = {}
        self._heading_cache: dict[int, Location] = {}
        self._record_location: Location | None = None
        self._record_places: list[Place] | None = None
        self._spans: dict[tuple[int, int, str | None], Span] = {}
        self._record_part: Location | None = None
        self._guideline: dict[int, bool] = {}
        self._record_sides: dict[str, Side | None] = {}

    def sentence_of(self, offset: int) -> Sentence | None:
        i = bisect_right(self.sent_starts, offset) - 1
        return self.sentences[i] if i >= 0 else None

    def therapies(self, sent: Sentence) -> list[Mention]:
        """Treatments named in the sentence, offsets relative to the sentence."""
        cached = self._therapy_cache.get(sent.start)
        if cached is None:
            lo = bisect_left(self.mention_starts, sent.start)
            hi = bisect_left(self.mention_starts, sent.end)
            cached = [(t, a - sent.start, b - sent.start) for t, a, b in self.mentions[lo:hi]]
            self._therapy_cache[sent.start] = cached
        return cached

    def context_therapy(self, sent: Sentence, window: int = CONTEXT_WINDOW) -> str | None:
        """The treatment (not a drug) named last before the sentence, nearby."""
        i = bisect_left(self.mention_starts, sent.start) - 1
        drugs = self.rules.drug_classes
        while i >= 0 and self.mentions[i][1] >= sent.start - window:
            if self.mentions[i][0] not in drugs:
                return self.mentions[i][0]
            i -= 1
        return None

    def therapy_named(self, therapy: str, sent: Sentence, context: bool) -> bool:
        """Whether the sentence names the treatment; with ``context``, a sentence that
        names no treatment is about the one named last before it (nearby)."""
        therapies = self.therapies(sent)
        if therapy in {t[0] for t in therapies}:
            return True
        if not context or self.treatments(therapies):
            return False
        return self.context_therapy(sent, window=CONCEPT_WINDOW) == therapy

    def is_guideline(self, sent: Sentence) -> bool:
        """A sentence whose subject is a guideline ("The MTUS allows ..."): no patient facts."""
        found = self._guideline.get(sent.start)  # asked for each of its mentions: once
        if found is None:
            found = self._guideline[sent.start] = bool(_GUIDELINE.match(sent.text))
        return found

    def section_ok(
        self, sections: tuple[str, ...], excluded: tuple[str, ...], sent: Sentence
    ) -> bool:
        if excluded and sent.section in excluded:
            return False
        if not sections or ("default" in sections and sent.section is None):
            return True
        # as for a concept: the extractor's section or the sectionizer's ("procedure")
        return sent.section in sections or sent.context_section in sections

    def treatments(self, therapies: Sequence[Mention]) -> list[Mention]:
        drugs = self.rules.drug_classes
        return [t for t in therapies if t[0] not in drugs]

    # -- side and body region ----------------------------------------------------------------
    def locate(self, sent: Sentence, start: int, end: int) -> Location:
        """Where the mention at ``[start, end)`` of the sentence is on the body: the region
        (and its side) named nearest it in the sentence; failing a region, the heading's (a
        subheading above it, else the record's head), with the side the sentence states;
        failing a side, the heading's when it names the same part."""
        return self._with_heading(sent, self.ex.locator.near(sent.text, start, end))

    def locate_text(self, sent: Sentence, text: str) -> Location:
        """The location a clause (a diagnosis, a complaint) names as a whole, else the
        heading's."""
        return self._with_heading(sent, self.ex.locator.whole(text))

    def _with_heading(self, sent: Sentence, here: Location) -> Location:
        if here.region is not None and here.side is not None:
            return here
        head = self.heading(sent)
        if here.region is None:
            if head.region is None:
                head = self.record_part()
            if head.region is None:
                return here
            return Location(side=here.side or head.side, region=head.region)
        if head.side is not None and self.ex.locator.same_part(here.region, head.region):
            return Location(side=head.side, region=here.region)
        return Location(side=self.record_side(here.region), region=here.region)

    def _places(self) -> list[Place]:
        if self._record_places is None:
            self._record_places = [
                p
                for s in self.sentences
                if s.section != "title" and not self.is_guideline(s)
                for p in self.ex.locator.places(s.text)
            ]
        return self._record_places

    def record_side(self, region: str) -> Side | None:
        """The side a record gives a part whenever it gives one ("right knee" throughout a
        report about the right knee): the side of its mentions that state none."""
        if region in self._record_sides:  # the record's places do not change: once each
            return self._record_sides[region]
        locator = self.ex.locator
        sides = {
            p.side
            for p in self._places()
            if p.side is not None and p.region and locator.same_part(p.region, region)
        }
        side = self._record_sides[region] = sides.pop() if len(sides) == 1 else None
        return side

    def record_part(self) -> Location:
        """The one part a whole record is about, when every region it names is that part
        (and every side it states for it one side)."""
        if self._record_part is None:  # the record's places do not change: once per record
            self._record_part = self._find_record_part()
        return self._record_part

    def _find_record_part(self) -> Location:
        locator = self.ex.locator
        places = [p for p in self._places() if p.region]
        if not places:
            return Location()
        first = places[0].region
        assert first is not None
        if not all(locator.same_part(p.region, first) for p in places):
            return Location()
        specific = [p.region for p in places if p.region and not locator.is_generic(p.region)]
        region: str = specific[0] if specific else first
        if any(r != region for r in specific):
            return Location()
        return Location(side=self.record_side(region), region=region)

    def heading(self, sent: Sentence) -> Location:
        """The location of the nearest heading that names a region: the sentence's own label
        or one above it ("LEFT KNEE:", "Right shoulder: ..." opening a paragraph), looking
        back no further than the start of its section; else the record's head."""
        cached = self._heading_cache.get(sent.start)
        if cached is not None:
            return cached
        locator = self.ex.locator
        found: Location | None = None
        i = bisect_right(self.sent_starts, sent.start) - 1
        # the sentence's own label first ("Right shoulder: positive Neer sign")
        for j in range(i, max(-1, i - 1 - locator.rules.heading_lookback), -1):
            label, section_heading = _heading_label(self.sentences[j])
            if label is None:
                continue
            loc = locator.whole(label)
            if loc.region is not None:
                found = loc
                break
            if section_heading:
                break
        out = found or self.record_location()
        self._heading_cache[sent.start] = out
        return out

    def record_location(self) -> Location:
        """The one region (and side) a record's head names (its title, "EXAM: MRI of the
        left knee"), when it names only one."""
        if self._record_location is None:
            rules = self.ex.locator.rules
            parts: list[str] = []
            for s in self.sentences:
                if s.start >= rules.header_chars:
                    break
                text = s.text.strip()
                if s.section == "title":
                    parts.append(text)
                    continue
                m = _LABEL.match(text)
                if m and " ".join(m.group(1).lower().split()) in rules.header_labels:
                    parts.append(text[m.end() :])
            self._record_location = (
                self.ex.locator.whole("\n;\n".join(parts)) if parts else Location()
            )
        return self._record_location

    # -- concepts --------------------------------------------------------------------------
    def concept_facts(
        self,
        concept: ConceptRule,
        mention: str,
        offset: int,
        end: int,
        sent: Sentence,
        ctx: Context,
    ) -> list[Fact]:
        ctx = _section_context(ctx, sent)
        if ctx.family or sent.section == "title" or self.is_guideline(sent):
            return []
        if concept.only_negated and not ctx.negated:
            return []
        if concept.current_only and ctx.historical:
            return []
        # a rule's sections name the extractor's sections or the sectionizer's ("procedure")
        if concept.sections and sent.context_section not in concept.sections:
            if (
                sent.section is not None
                and sent.section not in concept.sections
                and "default" not in concept.sections
            ):
                return []
            if sent.section is None and "default" not in concept.sections:
                return []
        if concept.exclude_sections and (
            sent.section in concept.exclude_sections
            or sent.context_section in concept.exclude_sections
        ):
            return []
        therapies = self.therapies(sent)
        if concept.requires_therapy == "any" and not therapies:
            return []
        if concept.requires_therapy not in (None, "any") and not self.therapy_named(
            concept.requires_therapy, sent, concept.context_therapy
        ):
            return []
        lowered = sent.text.lower()
        rel = offset - sent.start
        if (
            concept.excludes_words
            and _has_any(lowered, concept.excludes_words)
            and not (concept.strong_words and _has_any(lowered, concept.strong_words))
        ):
            return []
        if concept.requires_any and not _has_any(lowered, concept.requires_any, prefix=True):
            return []
        if concept.requires_words and not _has_any(lowered, concept.requires_words):
            return []
        if concept.excludes_before and _before_has(lowered, rel, concept.excludes_before):
            return []
        if concept.excludes_after:
            after = lowered[end - sent.start : end - sent.start + 30]
            if _has_any(after, concept.excludes_after, prefix=True):
                return []
        if concept.ignore_negation:
            ctx = ctx.model_copy(update={"negated": False})
        if isinstance(concept.value, str):
            # a fixed string value ("modified duty"): negated only by a word just before it
            # (ConText also reads "modified duty: no lifting" as negated)
            before = lowered[max(0, rel - 25) : rel]
            negated = bool(re.search(r"\b(?:not|no|never|denies|without)\b[^,;:]*$", before))
            ctx = ctx.model_copy(update={"negated": negated})
        # a hypothetical mention states nothing, denied or not ("if his pain does not
        # improve, we will consider an ESI"), except for the facts about plans
        if ctx.hypothetical and not concept.keep_hypothetical:
            return []
        if concept.nearest_therapy is not None and (
            self.nearest(self.treatments(therapies), rel, end - sent.start, sent.text)
            != concept.nearest_therapy
        ):
            return []
        qualifier: str | None = None
        if concept.target in ("therapies", "drugs"):
            hit = [t for t in therapies if t[1] <= rel < t[2] or t[1] == rel]
            if concept.target == "drugs":
                hit = [t for t in hit if t[0] in self.rules.drug_classes]
                if not hit:
                    return []
            elif concept.fact == "prior_therapy":
                hit = [t for t in hit if t[0] not in self.rules.drug_classes]
                if not hit:
                    return []
            qualifier = hit[0][0] if hit else (therapies[0][0] if therapies else None)
            if qualifier is None:
                return []
        elif concept.qualifier is not None:
            qualifier = concept.qualifier
        elif concept.qualified:
            if concept.requires_therapy is not None:
                # a drug or a treatment named in the sentence
                qualifier = self.nearest(therapies, rel, end - sent.start) or "*"
            else:
                qualifier = (
                    self.nearest(self.treatments(therapies), rel, end - sent.start, sent.text)
                    or self.nearest(therapies, rel, end - sent.start, sent.text)
                    or self.context_therapy(sent)
                    or "*"
                )
        if concept.region_qualified:
            qualifier = _region_near(sent.text, rel, end - sent.start)
        value: bool | int | float | str
        if concept.target == "drugs":
            if ctx.negated:
                return []
            value = " ".join(mention.split())
        elif concept.value is None:
            value = not ctx.negated
        elif isinstance(concept.value, bool):
            if ctx.negated:
                return []
            value = concept.value
        else:
            if ctx.negated:
                return []
            value = concept.value
        span = self.span(sent, offset)
        where = self.locate(sent, rel, end - sent.start)
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
            return [fact, *self.drug_details(sent, end - sent.start, qualifier, span)]
        return [fact]

    def drug_details(self, sent: Sentence, rel_end: int, qualifier: str, span: Span) -> list[Fact]:
        """The dose and frequency written right after a drug's name (before the next drug)."""
        out: list[Fact] = []
        following = [t[1] for t in self.therapies(sent) if t[1] >= rel_end]
        stop = min(following) if following else len(sent.text)
        tail = sent.text[rel_end:stop]
        cut = re.search(r";|\.\s|\n\s*\n", tail)
        if cut:
            tail = tail[: cut.start()]
        tail = tail[:120]
        dose_end = 0
        if self.rules.dose_regex is not None:
            m = self.rules.dose_regex.match(tail)
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
        if self.rules.frequency_regex is not None:
            m = self.rules.frequency_regex.match(tail, dose_end)
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

    @staticmethod
    def nearest(
        therapies: Sequence[Mention], start: int, end: int | None = None, text: str = ""
    ) -> str | None:
        """The treatment the text at [start, end) is about: one it is tied to by a
        preposition ("improvement with acupuncture", "therapy with documented improvement"),
        else the one named closest (gap between the spans)."""
        if not therapies:
            return None
        stop = start if end is None else end
        if text:
            after = [t for t in therapies if t[1] >= stop and t[1] - stop <= 40]
            for t in sorted(after, key=lambda t: t[1]):
                if _TIED_AFTER.match(text[stop : t[1]]):
                    return t[0]
            before = [t for t in therapies if t[2] <= start and start - t[2] <= 40]
            for t in sorted(before, key=lambda t: -t[2]):
                if _TIED_BEFORE.match(text[t[2] : start]):
                    return t[0]

        def gap(t: Mention) -> int:
            if t[2] <= start:
                return start - t[2]
            if t[1] >= stop:
                return t[1] - stop
            return 0

        return min(therapies, key=gap)[0]

    def span(self, sent: Sentence, focus: int | None = None) -> Span:
        """The sentence's span; a long sentence is cut to MAX_QUOTE characters around
        ``focus`` (the offset of what was found)."""
        start, end = sent.start, sent.end
        if focus is not None and end - start > MAX_QUOTE:
            start = max(start, min(focus - MAX_QUOTE // 2, end - MAX_QUOTE))
            while start > sent.start and not self.record.text[start - 1].isspace():
                start -= 1
        # every fact of a sentence quotes the same span (spans are immutable: one is shared)
        key = (start, end, sent.section)
        span = self._spans.get(key)
        if span is None:
            span = self._spans[key] = self.ex._span(self.record, start, end, sent.section)
        return span

    # -- patterns --------------------------------------------------------------------------
    def pattern_fact(
        self,
        pat: PatternRule,
        m: re.Match[str],
        sent: Sentence,
        therapies: Sequence[Mention],
    ) -> Fact | None:
        value: bool | int | float | str
        groups = m.re.groupindex
        if "before" in groups and "after" in groups and pat.unit == "%":
            # pain scores before and after ("from 8/10 to 3/10"): the relief in percent
            before = self.ex._number(m.group("before") or "")
            after = self.ex._number(m.group("after") or "")
            if before is None or after is None or not 0 <= after < before <= 10:
                return None
            value = round((before - after) / before * 100, 1)
        elif pat.value is not None and "value" not in groups:
            value = pat.value
        else:
            raw = m.group("value")
            if raw is None:
                return None
            if pat.unit == "%":
                # a fraction in words ("two thirds", "half") as a percent; "60%-70%" as a range
                raw = raw.replace("%", " ")
                fraction = _FRACTION_PERCENT.get(" ".join(raw.lower().replace("-", " ").split()))
                if fraction is not None:
                    raw = str(fraction)
            if pat.type in ("number", "int"):
                num = self._range_number(raw)
                if num is None:
                    return None
                unit = m.groupdict().get("unit")
                if pat.unit == "weeks" and unit:
                    u = unit.lower()
                    if u.startswith("mo"):
                        num *= 4.345
                    elif u.startswith("d"):
                        num /= 7
                value = int(num) if pat.type == "int" else round(num, 2)
            else:
                value = " ".join(raw.split()) if pat.value is None else pat.value
        qualifier = pat.qualifier
        if pat.qualified:
            candidates = self.treatments(therapies) if pat.context_therapy else therapies
            qualifier = self.nearest(candidates, m.start(), m.end(), sent.text)
            if qualifier is None and pat.context_therapy:
                qualifier = self.context_therapy(sent)
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
        span = self.span(sent, sent.start + m.start())
        where = self.locate(sent, m.start(), m.end())
        return Fact(
            name=pat.fact,
            value=value,
            unit=pat.unit,
            spans=(span,),
            qualifier=qualifier,
            side=where.side,
            region=where.region,
        )

    def _range_number(self, raw: str) -> float | None:
        """A number, a number word, or a range ("6-7", "5 to 6"): its midpoint."""
        whole = self.ex._number(raw)
        if whole is not None:
            return whole
        parts = re.split(r"\s*(?:-|\bto\b)\s*", raw.strip())
        nums = [self.ex._number(p) for p in parts if p]
        if not nums or any(n is None for n in nums):
            return None
        vals = [n for n in nums if n is not None]
        return sum(vals) / len(vals)

    # -- summary clauses ---------------------------------------------------------------------
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

    def summary_facts(self, sent: Sentence, therapies: Sequence[Mention]) -> list[Fact]:
        record = self.record
        out: list[Fact] = []
        span = self.span(sent)
        if not span.quote or (span.quote.endswith(":") and len(span.quote) < 60):
            return out
        whole = span
        dx_cue = _dx_cue(whole.quote)
        heading = re.match(r"^[A-Z][A-Za-z /&'-]{0,60}:\s*", span.quote)
        if heading:
            s = span.start + heading.end()
            span = self.ex._span(record, s, span.end, sent.section)
            if not span.quote:
                return out
        section = sent.section or self._cue_section(span.quote)
        kind = {"subjective": "complaint", "objective": "exam_finding", "plan": "plan_item"}
        if section in kind:
            where = self.locate_text(sent, span.quote)
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
            # a list item or a short assessment names a diagnosis; a sentence of prose in an
            # impression ("I would recommend ...", "There is no evidence of ...") does not
            first = re.split(r"[,(]", span.quote, maxsplit=1)[0]
            # a long sentence of prose after an opening phrase ("At this point, I believe the
            # patient is a good candidate for ...") is not a list item either
            prose = _DX_PROSE.search(first) or (
                len(span.quote.split()) > 10 and _DX_PROSE_LONG.search(span.quote)
            )
            if _DX_EVIDENCE.match(first) or not prose:
                out.extend(self._diagnoses(span, span.start, span.end, whole=True, sent=sent))
        elif (
            dx_cue is not None
            and not _DX_NOT_MADE.search(whole.quote[: dx_cue.start("dx")])
            and not _DX_NOT_NAMED.match(dx_cue.group("dx"))
        ):
            out.extend(
                self._diagnoses(
                    whole,
                    whole.start + dx_cue.start("dx"),
                    whole.start + dx_cue.end("dx"),
                    False,
                    sent=sent,
                )
            )
        purpose = self._visit_purpose(span.quote, therapies, sent.section, sent)
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

    def _diagnoses(
        self, span: Span, start: int, end: int, whole: bool, sent: Sentence | None = None
    ) -> list[Fact]:
        """Diagnoses in a piece of a sentence, each with its ICD-10 code as the qualifier."""
        text = self.record.text
        piece = text[start:end]
        out: list[Fact] = []
        parts = [piece] if whole and ";" not in piece else _DX_SPLIT.split(piece)
        for part in parts:
            code_m = _ICD10.search(part)
            code = (code_m.group(1) or code_m.group(2)) if code_m else None
            name = _CODE_GROUP.sub(" ", part) if code else part
            name = re.sub(r"\s+", " ", name).strip(" .,;:-")
            name = re.sub(r"^(?:and|or|the)\s+", "", name, flags=re.I)
            name = re.sub(r"^(?:Dx|Diagnosis|Diagnoses|Assessment|Impression)\s*:\s*", "", name)
            if len(name) < 4 or _DX_SKIP.match(name) or name.lower() in SECTION_TITLES:
                continue
            where = self.locate_text(sent, part) if sent is not None else Location()
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

    def _visit_purpose(
        self,
        quote: str,
        therapies: Sequence[Mention],
        section: str | None,
        sent: Sentence | None = None,
    ) -> str | None:
        """What a follow-up, consultation or referral is for: medication management, a
        surgery, or a procedure (not a therapy given in visits of its own)."""
        if not _VISIT_WORDS.search(quote):
            return None
        if _MED_MANAGEMENT.search(quote):
            return "medication-management"
        if section != "plan" and not _PLAN_WORDS.search(quote):
            return None
        if re.search(r"\bif\b", quote, re.IGNORECASE):
            return None
        if re.search(r"\bsurg", quote, re.IGNORECASE):
            for kind, rx in self.rules.surgery_kinds.items():
                if rx.search(quote):
                    return kind
        procedure = [
            t
            for t in therapies
            if t[0] not in self.rules.visit_therapies and t[0] not in self.rules.drug_classes
        ]
        if procedure:
            return procedure[0][0]
        if sent is not None and re.search(r"\binjection|\bblock\b", quote, re.IGNORECASE):
            # "follow-up after the injection": the procedure named before
            ctx = self.context_therapy(sent)
            if ctx is not None and ctx not in self.rules.visit_therapies:
                return ctx
        return None

    # -- derived facts -----------------------------------------------------------------------
    def derived(self, facts: list[Fact]) -> list[Fact]:
        out: list[Fact] = []
        have = {
            (f.name, f.value, f.qualifier, f.spans[0].start if f.spans else None) for f in facts
        }
        have_any = {(f.name, f.value, f.spans[0].start if f.spans else None) for f in facts}
        for rule in self.rules.derived:
            for f in [*facts, *out]:
                if f.name != rule.source or not f.spans:
                    continue
                if rule.source_value is not None and f.value != rule.source_value:
                    continue
                if rule.qualifiers and f.qualifier not in rule.qualifiers:
                    continue
                value = f.value if rule.value is None else rule.value
                qualifier = f.qualifier if rule.qualifier == "same" else rule.qualifier
                key = (rule.fact, value, qualifier, f.spans[0].start)
                if key in have or (
                    qualifier is None and (rule.fact, value, f.spans[0].start) in have_any
                ):
                    continue
                have.add(key)
                have_any.add((rule.fact, value, f.spans[0].start))
                out.append(
                    Fact(
                        name=rule.fact,
                        value=value,
                        spans=f.spans,
                        context=f.context,
                        qualifier=qualifier,
                        confidence=f.confidence,
                        side=f.side,
                        region=f.region,
                    )
                )
        out.extend(self.combinations([*facts, *out]))
        return out

    def combinations(self, facts: list[Fact]) -> list[Fact]:
        """Facts implied by the drugs a sentence names together (two NSAIDs, an NSAID with a
        corticosteroid: a gastrointestinal risk)."""
        out: list[Fact] = []
        by_sentence: dict[int, list[Fact]] = {}
        for f in facts:
            if f.name == "medication" and f.spans:
                by_sentence.setdefault(f.spans[0].start, []).append(f)
        for meds in by_sentence.values():
            for combo in self.rules.drug_combinations:
                a, b = combo.classes
                first = {str(f.value).lower() for f in meds if f.qualifier == a}
                second = {str(f.value).lower() for f in meds if f.qualifier == b}
                if first and second and (a != b or len(first) >= 2):
                    out.append(Fact(name=combo.fact, value=combo.value, spans=meds[0].spans))
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


_CLAUSE_END = re.compile(r"[;\n]")


def _region_near(text: str, start: int, end: int) -> str | None:
    """The body region named nearest a mention within its clause (between semicolons)."""
    a = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    b_match = _CLAUSE_END.search(text, end)
    b = b_match.start() if b_match else len(text)
    clause = text[a:b]
    cat = catalogue()
    best: tuple[int, str] | None = None
    for s0, e0 in cat.region_spans(clause):
        regions = cat.find_regions(clause[s0:e0])
        if not regions:
            continue
        distance = max(a + s0 - end, start - (a + e0), 0)
        if best is None or distance < best[0]:
            best = (distance, regions[0])
    return best[1] if best else None

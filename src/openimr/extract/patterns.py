"""Load ``extraction/*.yaml``: the data that drives fact extraction.

Files are merged in name order: therapies and numbers are united (a therapy id named in two
files takes the union of its words), concepts and patterns are appended.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from openimr.errors import LibraryError, LibraryErrors
from openimr.yamlio import load_yaml_file

DATA = Path(__file__).resolve().parents[1] / "library" / "data" / "extraction"


@dataclass(frozen=True)
class ConceptRule:
    fact: str
    phrases: tuple[str, ...]
    sections: tuple[str, ...] = ()
    requires_therapy: str | None = None
    requires_words: tuple[str, ...] = ()
    target: str | None = None
    qualified: bool = False
    excludes_words: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    value: bool | str | None = None
    """A fixed value: ``false`` for phrases that state an absence ("sensation intact"), a
    string for a string fact ("modified duty"); None: true, or false when negated."""
    keep_hypothetical: bool = False
    """Plans count ("will consider surgery"): hypothetical mentions are kept."""
    exclude_sections: tuple[str, ...] = ()
    excludes_before: tuple[str, ...] = ()
    """Words that, shortly before the mention in its sentence, cancel it ("stopped", "allergic to")."""
    strong_words: tuple[str, ...] = ()
    """Words that keep a mention even when the sentence has one of ``excludes_words``
    ("has completed 24 visits" in a sentence that requests more)."""
    only_negated: bool = False
    """Only negated mentions count ("no prior injections": no epidural injection)."""
    ignore_negation: bool = False
    """The mention states the fact even when negated ("has not achieved her goal")."""
    nearest_therapy: str | None = None
    """Only when the treatment the mention is about is this one."""
    excludes_after: tuple[str, ...] = ()
    """Words just after the mention that cancel it ("morphine equivalent")."""
    context_therapy: bool = False
    """``requires_therapy`` is met by the treatment named just before a sentence naming none."""
    current_only: bool = False
    """Only a current finding counts: a historical mention ("past history included a
    fracture") gives no fact."""
    region_qualified: bool = False
    """The fact is qualified by the body region named nearest the mention in its clause
    ("left thumb non-displaced fracture": finger), for rules asking ``qualifier: $region``."""
    qualifier: str | None = None
    """A fixed qualifier: ``"*"`` for a statement about every treatment of its kind ("not
    using any medications"), never the treatment named nearest."""


@dataclass(frozen=True)
class PatternRule:
    fact: str
    regex: re.Pattern[str]
    type: str
    unit: str | None = None
    requires_therapy: str | None = None
    qualified: bool = False
    value: bool | str | None = None
    """A fixed value (the regex then needs no ``value`` group)."""
    requires_words: tuple[str, ...] = ()
    excludes_words: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    exclude_sections: tuple[str, ...] = ()
    context_therapy: bool = False
    """Qualify by the treatment named nearest before the sentence when it names none."""
    strong_words: tuple[str, ...] = ()
    excludes_before: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    """Words (lower case) one of which every match contains, found by reading the regex:
    a sentence without any of them is not searched."""
    qualifier: str | None = None
    """A fixed qualifier: ``performed`` for a surgery already done ("status post ...")."""
    when_negated: str = "ignore"
    """What a match inside the reach of a ConText negation gives: ``false`` (the fact with
    value false; the default of a pattern whose fixed value is true), ``nothing`` (no fact),
    or ``ignore`` (the match as read; the default of every other pattern: a number, a
    string, a pattern that itself reads a negative finding)."""
    keep_hypothetical: bool = False
    """The fact is about a goal or plan: a match in a section or sentence that states no
    finding (goals, a consent) still counts ("the patient will walk 500 feet")."""


@dataclass(frozen=True)
class DrugCombination:
    """A fact implied by drugs of two classes named together (an NSAID with a steroid)."""

    fact: str
    classes: tuple[str, str]
    value: bool = True


@dataclass(frozen=True)
class DerivedRule:
    """A fact implied by another in the same sentence (an ESI given is a therapy given)."""

    fact: str
    source: str
    value: bool | str | None = None
    qualifiers: tuple[str, ...] = ()
    """Only source facts with one of these qualifiers (empty: any)."""
    qualifier: str | None = None
    """The derived fact's qualifier (None: no qualifier; "same": the source's)."""
    source_value: bool | str | None = None


CONTEXT_CATEGORIES = (
    "NEGATED_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "FAMILY",
    "POSSIBLE_EXISTENCE",
    "NOT_A_FINDING",
    "REPORTED_NORMAL",
    "PSEUDO",
    "TERMINATE",
)
CONTEXT_DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO")


@dataclass(frozen=True)
class ContextRuleSpec:
    """One ConText rule as data: medspaCy's ``ConTextRule`` arguments."""

    literal: str
    category: str
    direction: str
    pattern: tuple[dict[str, Any], ...] | None = None
    max_scope: int | None = None


@dataclass(frozen=True)
class ExtractionRules:
    therapies: dict[str, tuple[str, ...]]
    numbers: dict[str, int]
    concepts: tuple[ConceptRule, ...]
    patterns: tuple[PatternRule, ...]
    therapy_regex: dict[str, re.Pattern[str]] = field(default_factory=dict)
    summary_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drug_classes: frozenset[str] = frozenset()
    """Therapy ids that are drug classes (a drug is not a therapy given, for prior_therapy)."""
    class_words: frozenset[str] = frozenset()
    """Words that name a drug class rather than a drug ("NSAIDs", "opioids"), lower case."""
    dose_regex: re.Pattern[str] | None = None
    frequency_regex: re.Pattern[str] | None = None
    derived: tuple[DerivedRule, ...] = ()
    visit_therapies: frozenset[str] = frozenset()
    """Treatments given in visits of their own (a "visit" of these is the treatment, not
    an office visit for it)."""
    surgery_kinds: dict[str, re.Pattern[str]] = field(default_factory=dict)
    drug_combinations: tuple[DrugCombination, ...] = ()
    positive_wins: frozenset[str] = frozenset()
    """Facts for which a sentence's abnormal finding overrides its normal ones."""
    context_rules: tuple[ContextRuleSpec, ...] = ()
    """medspaCy ConText rules added to its defaults (``context:`` of extraction/context.yaml)."""


def words_alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first, any whitespace between their words."""
    alts = sorted({w for w in words}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in alts)


def _words_regex(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        r"(?<![A-Za-z])(?:" + words_alternation(words) + r")(?![A-Za-z])", re.IGNORECASE
    )


def load_rules(path: Path = DATA, facts: set[str] | None = None) -> ExtractionRules:
    """Load one file, or every ``*.yaml`` of a directory, into one rule set."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    errors: list[LibraryError] = []
    therapies: dict[str, tuple[str, ...]] = {}
    numbers: dict[str, int] = {}
    concepts: list[ConceptRule] = []
    patterns: list[PatternRule] = []
    cues: dict[str, tuple[str, ...]] = {}
    extra = _Extra()
    for file in files:
        _load_file(file, facts, errors, therapies, numbers, concepts, patterns, cues, extra)
    drug_words = tuple(
        w
        for tid in extra.drug_classes
        for w in therapies.get(tid, ())
        if w.lower() not in extra.class_words
    )
    # a concept targeting therapies sees every file's therapy words
    concepts = [
        replace(c, phrases=tuple(p for words in therapies.values() for p in words))
        if c.target == "therapies"
        else replace(c, phrases=drug_words)
        if c.target == "drugs"
        else c
        for c in concepts
    ]
    if errors:
        raise LibraryErrors(errors)
    return ExtractionRules(
        therapies=therapies,
        numbers=numbers,
        concepts=tuple(concepts),
        patterns=tuple(patterns),
        therapy_regex={k: _words_regex(v) for k, v in therapies.items()},
        summary_cues=cues,
        drug_classes=frozenset(extra.drug_classes),
        class_words=frozenset(extra.class_words),
        dose_regex=extra.dose,
        frequency_regex=extra.frequency,
        derived=tuple(extra.derived),
        visit_therapies=frozenset(extra.visit_therapies),
        surgery_kinds={k: _words_regex(tuple(v)) for k, v in extra.surgery_kinds.items()},
        drug_combinations=tuple(extra.combinations),
        positive_wins=frozenset(extra.positive_wins),
        context_rules=tuple(extra.context),
    )


@dataclass
class _Extra:
    drug_classes: list[str] = field(default_factory=list)
    class_words: set[str] = field(default_factory=set)
    dose: re.Pattern[str] | None = None
    frequency: re.Pattern[str] | None = None
    derived: list[DerivedRule] = field(default_factory=list)
    visit_therapies: list[str] = field(default_factory=list)
    surgery_kinds: dict[str, list[str]] = field(default_factory=dict)
    combinations: list[DrugCombination] = field(default_factory=list)
    positive_wins: list[str] = field(default_factory=list)
    context: list[ContextRuleSpec] = field(default_factory=list)


def _load_file(
    path: Path,
    facts: set[str] | None,
    errors: list[LibraryError],
    therapies: dict[str, tuple[str, ...]],
    numbers: dict[str, int],
    concepts: list[ConceptRule],
    patterns: list[PatternRule],
    cues: dict[str, tuple[str, ...]],
    extra: _Extra,
) -> None:
    shown = f"openimr/library/data/extraction/{path.name}" if path.parent == DATA else str(path)
    doc = load_yaml_file(path, shown)
    data = doc.data or {}
    if not isinstance(data, dict):
        errors.append(LibraryError("must be a mapping", file=doc.file))
        return
    for key in data:
        if key not in (
            "therapies",
            "numbers",
            "concepts",
            "patterns",
            "summary_cues",
            "drugs",
            "derived",
            "visit_therapies",
            "surgery_kinds",
            "drug_combinations",
            "positive_wins",
            "context",
        ):
            errors.append(
                LibraryError(f"unknown key {key!r}", file=doc.file, line=doc.line_of((key,)))
            )

    def err(msg: str, p: tuple[str | int, ...]) -> None:
        errors.append(LibraryError(msg, file=doc.file, line=doc.line_of(p)))

    for k, v in (data.get("therapies") or {}).items():
        merged = list(therapies.get(str(k), ()))
        merged += [str(x) for x in v if str(x) not in merged]
        therapies[str(k)] = tuple(merged)
    numbers.update({str(k): int(v) for k, v in (data.get("numbers") or {}).items()})
    for kind, words in (data.get("summary_cues") or {}).items():
        if kind not in ("complaint", "exam_finding", "diagnosis", "plan_item"):
            errors.append(
                LibraryError(
                    f"unknown summary cue kind {kind!r}",
                    file=doc.file,
                    line=doc.line_of(("summary_cues", kind)),
                )
            )
            continue
        cues[kind] = (*cues.get(kind, ()), *(str(w) for w in words))
    drugs = data.get("drugs") or {}
    for k in drugs:
        if k not in ("classes", "class_words", "dose", "frequency"):
            err(f"unknown key {k!r}", ("drugs", k))
    extra.drug_classes += [str(x) for x in drugs.get("classes") or ()]
    extra.class_words |= {str(x).lower() for x in drugs.get("class_words") or ()}
    for key in ("dose", "frequency"):
        if key in drugs:
            try:
                setattr(extra, key, re.compile(str(drugs[key]), re.IGNORECASE))
            except re.error as exc:
                err(f"bad regular expression: {exc}", ("drugs", key))
    extra.visit_therapies += [str(x) for x in data.get("visit_therapies") or ()]
    for kind, words in (data.get("surgery_kinds") or {}).items():
        extra.surgery_kinds.setdefault(str(kind), []).extend(str(w) for w in words)
    extra.positive_wins += [str(x) for x in data.get("positive_wins") or ()]
    for i, r in enumerate(data.get("context") or []):
        if not isinstance(r, dict):
            err("a context rule is a mapping", ("context", i))
            continue
        for k in r:
            if k not in ("literal", "category", "direction", "pattern", "max_scope"):
                err(f"unknown key {k!r}", ("context", i, k))
        if r.get("category") not in CONTEXT_CATEGORIES:
            err(
                f"unknown category {r.get('category')!r}: use one of {', '.join(CONTEXT_CATEGORIES)}",
                ("context", i, "category"),
            )
            continue
        if r.get("direction") not in CONTEXT_DIRECTIONS:
            err(
                f"unknown direction {r.get('direction')!r}: use one of {', '.join(CONTEXT_DIRECTIONS)}",
                ("context", i, "direction"),
            )
            continue
        pattern = r.get("pattern")
        if pattern is not None and not (
            isinstance(pattern, list) and all(isinstance(t, dict) for t in pattern)
        ):
            err("a context pattern is a list of token patterns", ("context", i, "pattern"))
            continue
        scope = r.get("max_scope")
        extra.context.append(
            ContextRuleSpec(
                literal=str(r.get("literal")),
                category=str(r["category"]),
                direction=str(r["direction"]),
                pattern=None if pattern is None else tuple(pattern),
                max_scope=None if scope is None else int(scope),
            )
        )
    for i, c in enumerate(data.get("drug_combinations") or []):
        classes = [str(x) for x in c.get("classes") or ()]
        if len(classes) != 2:
            err("a drug combination names two classes", ("drug_combinations", i))
            continue
        if facts is not None and c.get("fact") not in facts:
            err(f"unknown fact {c.get('fact')!r}", ("drug_combinations", i, "fact"))
        extra.combinations.append(
            DrugCombination(
                str(c.get("fact")), (classes[0], classes[1]), bool(c.get("value", True))
            )
        )
    for i, d in enumerate(data.get("derived") or []):
        for k in d:
            if k not in ("fact", "from", "value", "qualifiers", "qualifier", "from_value"):
                err(f"unknown key {k!r}", ("derived", i, k))
        for key in ("fact", "from"):
            if facts is not None and d.get(key) not in facts:
                err(f"unknown fact {d.get(key)!r}", ("derived", i, key))
        extra.derived.append(
            DerivedRule(
                fact=str(d.get("fact")),
                source=str(d.get("from")),
                value=d.get("value"),
                qualifiers=tuple(str(q) for q in d.get("qualifiers") or ()),
                qualifier=d.get("qualifier"),
                source_value=d.get("from_value"),
            )
        )
    for i, c in enumerate(data.get("concepts") or []):
        allowed = {
            "fact",
            "phrases",
            "sections",
            "requires_therapy",
            "requires_words",
            "target",
            "qualified",
            "excludes_words",
            "requires_any",
            "value",
            "keep_hypothetical",
            "exclude_sections",
            "excludes_before",
            "strong_words",
            "only_negated",
            "ignore_negation",
            "nearest_therapy",
            "excludes_after",
            "context_therapy",
            "current_only",
            "region_qualified",
            "qualifier",
        }
        for k in c:
            if k not in allowed:
                err(f"unknown key {k!r}", ("concepts", i, k))
        if facts is not None and c.get("fact") not in facts:
            err(f"unknown fact {c.get('fact')!r}", ("concepts", i, "fact"))
        target = c.get("target")
        phrases = tuple(str(p) for p in c.get("phrases") or ())
        if target not in ("therapies", "drugs") and not phrases:
            err("a concept needs phrases (or target: therapies or drugs)", ("concepts", i))
        concepts.append(
            ConceptRule(
                fact=str(c.get("fact")),
                phrases=phrases,
                sections=tuple(c.get("sections") or ()),
                requires_therapy=c.get("requires_therapy"),
                requires_words=tuple(c.get("requires_words") or ()),
                target=target,
                qualified=bool(c.get("qualified", False) or target == "therapies"),
                excludes_words=tuple(c.get("excludes_words") or ()),
                requires_any=tuple(c.get("requires_any") or ()),
                value=c.get("value"),
                keep_hypothetical=bool(c.get("keep_hypothetical", False)),
                exclude_sections=tuple(c.get("exclude_sections") or ()),
                excludes_before=tuple(c.get("excludes_before") or ()),
                strong_words=tuple(c.get("strong_words") or ()),
                only_negated=bool(c.get("only_negated", False)),
                ignore_negation=bool(c.get("ignore_negation", False)),
                nearest_therapy=c.get("nearest_therapy"),
                excludes_after=tuple(c.get("excludes_after") or ()),
                context_therapy=bool(c.get("context_therapy", False)),
                current_only=bool(c.get("current_only", False)),
                region_qualified=bool(c.get("region_qualified", False)),
                qualifier=str(c["qualifier"]) if c.get("qualifier") is not None else None,
            )
        )
    for i, p in enumerate(data.get("patterns") or []):
        for k in p:
            if k not in _PATTERN_KEYS:
                err(f"unknown key {k!r}", ("patterns", i, k))
        if facts is not None and p.get("fact") not in facts:
            err(f"unknown fact {p.get('fact')!r}", ("patterns", i, "fact"))
        try:
            rx = re.compile(str(p.get("regex")), re.IGNORECASE)
        except re.error as exc:
            err(f"bad regular expression: {exc}", ("patterns", i, "regex"))
            continue
        when_negated = _when_negated(p, err, i)
        if when_negated is None:
            continue
        before_after = {"before", "after"} <= set(rx.groupindex)  # pain before and after
        if "value" not in rx.groupindex and p.get("value") is None and not before_after:
            err(
                "a pattern needs a named group 'value' (or a fixed value)", ("patterns", i, "regex")
            )
            continue
        patterns.append(
            PatternRule(
                fact=str(p.get("fact")),
                regex=rx,
                type=str(p.get("type", "string")),
                unit=p.get("unit"),
                requires_therapy=p.get("requires_therapy"),
                qualified=bool(p.get("qualified", False)),
                value=p.get("value"),
                requires_words=tuple(p.get("requires_words") or ()),
                excludes_words=tuple(p.get("excludes_words") or ()),
                sections=tuple(p.get("sections") or ()),
                exclude_sections=tuple(p.get("exclude_sections") or ()),
                context_therapy=bool(p.get("context_therapy", False)),
                strong_words=tuple(p.get("strong_words") or ()),
                excludes_before=tuple(p.get("excludes_before") or ()),
                keywords=_keywords(rx),
                qualifier=str(p["qualifier"]) if p.get("qualifier") is not None else None,
                when_negated=when_negated,
                keep_hypothetical=bool(p.get("keep_hypothetical", False)),
            )
        )


_WHEN_NEGATED = ("false", "nothing", "ignore")


def _when_negated(
    p: dict[str, Any], err: Callable[[str, tuple[str | int, ...]], None], i: int
) -> str | None:
    """A pattern's ``when_negated`` ("false" also written as YAML ``false``), or None when
    wrong. A pattern with fixed value true is negated to false unless it says otherwise; a
    number is never negated."""
    raw = p.get("when_negated")
    if raw is None:
        return "false" if p.get("type") == "bool" and p.get("value") is True else "ignore"
    value = "false" if raw is False else str(raw)
    if value not in _WHEN_NEGATED:
        err(
            f"when_negated must be one of {', '.join(_WHEN_NEGATED)}",
            ("patterns", i, "when_negated"),
        )
        return None
    if value != "ignore" and p.get("type") in ("number", "int"):
        err(
            "a number is never negated: when_negated must be ignore",
            ("patterns", i, "when_negated"),
        )
        return None
    if value == "false" and p.get("type") != "bool":
        err("only a bool pattern can be negated to false", ("patterns", i, "when_negated"))
        return None
    return value


def _keywords(rx: re.Pattern[str]) -> tuple[str, ...]:
    """The literal words (lower case) one of which every match of ``rx`` contains, or ()."""
    try:
        from re import _constants as sre_c  # type: ignore[attr-defined]
        from re import _parser as sre_p  # type: ignore[attr-defined]

        words = _required_words(list(sre_p.parse(rx.pattern, rx.flags)), sre_c)
    except Exception:  # an optimization only: fall back to a full search
        return ()
    return tuple(sorted({w.lower() for w in words or ()}))


def _required_words(seq: list[Any], c: Any) -> list[str] | None:
    """Literal words (3 characters or more) one of which any match of ``seq`` contains."""
    i = 0
    while i < len(seq):
        op, av = seq[i]
        if op == c.LITERAL:
            j = i
            chars = []
            while j < len(seq) and seq[j][0] == c.LITERAL:
                chars.append(chr(seq[j][1]))
                j += 1
            if len(chars) >= 3:
                return ["".join(chars)]
            i = j
            continue
        found: list[str] | None = None
        if op == c.BRANCH:
            alts = [_required_words(list(alt), c) for alt in av[1]]
            if alts and all(alts):
                found = [w for alt in alts if alt for w in alt]
        elif op == c.SUBPATTERN:
            found = _required_words(list(av[3]), c)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            found = _required_words(list(av[2]), c)
        if found:
            return found
        i += 1
    return None


_PATTERN_KEYS = {
    "fact",
    "regex",
    "type",
    "unit",
    "requires_therapy",
    "qualified",
    "value",
    "requires_words",
    "excludes_words",
    "sections",
    "exclude_sections",
    "context_therapy",
    "strong_words",
    "excludes_before",
    "qualifier",
    "when_negated",
    "keep_hypothetical",
}


@lru_cache(maxsize=1)
def default_rules() -> ExtractionRules:
    from openimr.diskcache import cached
    from openimr.library.loader import default_library

    return cached("extraction-rules", lambda: load_rules(DATA, set(default_library().facts)))

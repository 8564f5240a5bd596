"""Load ``extraction/*.yaml``: the data that drives fact extraction.

Files are merged in name order: therapies and numbers are united (a therapy id named in two
files takes the union of its words), concepts and patterns are appended.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from openimr.errors import LibraryError, LibraryErrors
from openimr.yamlio import LoadedYaml, PathKey, load_yaml_file

if TYPE_CHECKING:  # the files' shapes: imported only to build the rules (start-up cache)
    from openimr.extract.pattern_schema import ConceptSpec, ExtractionFile, PatternSpec
    from openimr.extract.sentences import Sentence

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
    requires_words_reach: int = 0
    """``requires_words`` may also stand in up to this many sentences before the mention's,
    under the same heading (an EMG report's impression: "This electrical study is normal.
    There is no evidence of radiculopathy.")."""

    def reads_section(self, sent: Sentence) -> bool:
        """Whether the rule reads the sentence's section: its sections name the extractor's
        sections or the sectionizer's ("procedure")."""
        if self.sections and sent.context_section not in self.sections:
            if (
                sent.section is not None
                and sent.section not in self.sections
                and "default" not in self.sections
            ):
                return False
            if sent.section is None and "default" not in self.sections:
                return False
        return not (
            self.exclude_sections
            and (
                sent.section in self.exclude_sections
                or sent.context_section in self.exclude_sections
            )
        )


@dataclass(frozen=True)
class PatternRule:
    fact: str
    source: str
    """The regular expression as written (compiled on first use: :attr:`regex`)."""
    type: str
    unit: str | None = None
    requires_therapy: str | None = None
    qualified: bool = False
    value: bool | int | str | None = None
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
    excludes_in: str = "sentence"
    """Where ``excludes_words`` are looked for: the whole ``sentence``, or the match's own
    ``clause`` (the sentence up to the first comma or semicolon after the match), so a
    remark after it ("..., which will be dictated separately") does not cancel it."""
    flags: int = re.IGNORECASE

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled regular expression. Compiled when first read, not when the rules
        are loaded: a review runs only the patterns whose keywords its records hold (a
        third of them for a short case), and the start-up cache then holds the source alone
        (a pickled pattern is compiled again on every load)."""
        return re.compile(self.source, self.flags)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the compiled regex (:attr:`regex` compiles it when read)."""
        return {k: v for k, v in self.__dict__.items() if k != "regex"}


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
    summary_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drug_classes: frozenset[str] = frozenset()
    """Therapy ids that are drug classes (a drug is not a therapy given, for prior_therapy)."""
    class_words: frozenset[str] = frozenset()
    """Words that name a drug class rather than a drug ("NSAIDs", "opioids"), lower case."""
    dose_regex: re.Pattern[str] | None = None
    frequency_regex: re.Pattern[str] | None = None
    list_heading_regex: re.Pattern[str] | None = None
    """What opens a medication list ("MEDICATIONS:", "medications include")."""
    listed_drug_regex: re.Pattern[str] | None = None
    """What follows a drug's name in a medication list (a strength, a dose form, a
    frequency): an item so written is a drug, named in the lexicon or not."""
    unclassified_drug: str | None = None
    """The qualifier of a listed drug of no known class (a class of no guideline drug)."""
    not_drug_words: frozenset[str] = frozenset()
    """Words that make an item of a medication list no drug's name, lower case."""
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
    """Load one file, or every ``*.yaml`` of a directory, into one rule set.

    Every error of every file is gathered (each naming ``file:line``) and raised together.
    """
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    errors: list[LibraryError] = []
    acc = _Gathered()
    for file in files:
        shown = f"openimr/library/data/extraction/{file.name}" if file.parent == DATA else str(file)
        doc = load_yaml_file(file, shown)
        spec = _validated(doc, errors)
        if spec is not None:
            _FileReader(doc, facts, errors, acc).read(spec)
    if errors:
        raise LibraryErrors(errors)
    return acc.rules()


def _validated(doc: LoadedYaml, errors: list[LibraryError]) -> ExtractionFile | None:
    """The file checked against :class:`ExtractionFile`, or None (its errors added)."""
    from openimr.extract.pattern_schema import ExtractionFile

    try:
        return ExtractionFile.model_validate(doc.data or {})
    except ValidationError as exc:
        messages: dict[PathKey, list[str]] = {}
        for err in exc.errors():
            where = _data_path(tuple(err["loc"]), doc)
            msg = f"unknown key {where[-1]!r}" if err["type"] == "extra_forbidden" else err["msg"]
            if msg not in messages.setdefault(where, []):  # a union tries several types
                messages[where].append(msg)
        for where, msgs in messages.items():
            field = ".".join(str(p) for p in where) or None
            errors.append(
                LibraryError("; ".join(msgs), file=doc.file, field=field, line=doc.line_of(where))
            )
        return None


def _data_path(loc: tuple[str | int, ...], doc: LoadedYaml) -> PathKey:
    """The longest start of a pydantic error location that is a place in the document (the
    rest names a type of a union: ``("concepts", 3, "value", "bool")``)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in doc.lines:
            return loc[:end]
    return ()


@dataclass
class _Gathered:
    """What the files give, merged in file order."""

    therapies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    concepts: list[ConceptRule] = field(default_factory=list)
    patterns: list[PatternRule] = field(default_factory=list)
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drug_classes: list[str] = field(default_factory=list)
    class_words: set[str] = field(default_factory=set)
    dose: re.Pattern[str] | None = None
    frequency: re.Pattern[str] | None = None
    list_heading: re.Pattern[str] | None = None
    listed_drug: re.Pattern[str] | None = None
    unclassified: str | None = None
    not_drug_words: set[str] = field(default_factory=set)
    derived: list[DerivedRule] = field(default_factory=list)
    visit_therapies: list[str] = field(default_factory=list)
    surgery_kinds: dict[str, list[str]] = field(default_factory=dict)
    combinations: list[DrugCombination] = field(default_factory=list)
    positive_wins: list[str] = field(default_factory=list)
    context: list[ContextRuleSpec] = field(default_factory=list)

    def rules(self) -> ExtractionRules:
        therapies = self.therapies
        drug_words = tuple(
            w
            for tid in self.drug_classes
            for w in therapies.get(tid, ())
            if w.lower() not in self.class_words
        )
        # a concept targeting therapies sees every file's therapy words
        concepts = [
            replace(c, phrases=tuple(p for words in therapies.values() for p in words))
            if c.target == "therapies"
            else replace(c, phrases=drug_words)
            if c.target == "drugs"
            else c
            for c in self.concepts
        ]
        return ExtractionRules(
            therapies=therapies,
            numbers=self.numbers,
            concepts=tuple(concepts),
            patterns=tuple(self.patterns),
            summary_cues=self.cues,
            drug_classes=frozenset(self.drug_classes),
            class_words=frozenset(self.class_words),
            dose_regex=self.dose,
            frequency_regex=self.frequency,
            list_heading_regex=self.list_heading,
            listed_drug_regex=self.listed_drug,
            unclassified_drug=self.unclassified,
            not_drug_words=frozenset(self.not_drug_words),
            derived=tuple(self.derived),
            visit_therapies=frozenset(self.visit_therapies),
            surgery_kinds={k: _words_regex(tuple(v)) for k, v in self.surgery_kinds.items()},
            drug_combinations=tuple(self.combinations),
            positive_wins=frozenset(self.positive_wins),
            context_rules=tuple(self.context),
        )


class _FileReader:
    """Adds one validated file to the gathered rules, checking what its types cannot say."""

    def __init__(
        self,
        doc: LoadedYaml,
        facts: set[str] | None,
        errors: list[LibraryError],
        acc: _Gathered,
    ) -> None:
        self.doc = doc
        self.facts = facts
        self.errors = errors
        self.acc = acc

    def err(self, msg: str, path: PathKey) -> None:
        self.errors.append(LibraryError(msg, file=self.doc.file, line=self.doc.line_of(path)))

    def check_fact(self, name: str, path: PathKey) -> None:
        if self.facts is not None and name not in self.facts:
            self.err(f"unknown fact {name!r}", path)

    def compile(self, pattern: str, path: PathKey) -> re.Pattern[str] | None:
        try:
            return re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            self.err(f"bad regular expression: {exc}", path)
            return None

    def read(self, spec: ExtractionFile) -> None:
        self.read_words(spec)
        self.acc.context += [
            ContextRuleSpec(
                literal=r.literal,
                category=r.category,
                direction=r.direction,
                pattern=None if r.pattern is None else tuple(r.pattern),
                max_scope=r.max_scope,
            )
            for r in spec.context
        ]
        for i, combo in enumerate(spec.drug_combinations):
            if len(combo.classes) != 2:
                self.err("a drug combination names two classes", ("drug_combinations", i))
                continue
            self.check_fact(combo.fact, ("drug_combinations", i, "fact"))
            self.acc.combinations.append(
                DrugCombination(combo.fact, (combo.classes[0], combo.classes[1]), combo.value)
            )
        for i, d in enumerate(spec.derived):
            self.check_fact(d.fact, ("derived", i, "fact"))
            self.check_fact(d.source, ("derived", i, "from"))
            self.acc.derived.append(
                DerivedRule(
                    fact=d.fact,
                    source=d.source,
                    value=d.value,
                    qualifiers=tuple(d.qualifiers),
                    qualifier=d.qualifier,
                    source_value=d.from_value,
                )
            )
        for i, c in enumerate(spec.concepts):
            self.read_concept(i, c)
        for i, p in enumerate(spec.patterns):
            self.read_pattern(i, p)

    def read_words(self, spec: ExtractionFile) -> None:
        """Therapies, numbers, summary cues, drugs, surgery kinds: merged with earlier files'."""
        acc = self.acc
        for tid, words in spec.therapies.items():
            merged = list(acc.therapies.get(tid, ()))
            merged += [w for w in words if w not in merged]
            acc.therapies[tid] = tuple(merged)
        acc.numbers.update(spec.numbers)
        for kind, cues in spec.summary_cues.items():
            acc.cues[kind] = (*acc.cues.get(kind, ()), *cues)
        acc.drug_classes += spec.drugs.classes
        acc.class_words |= {w.lower() for w in spec.drugs.class_words}
        if spec.drugs.dose is not None:
            acc.dose = self.compile(spec.drugs.dose, ("drugs", "dose")) or acc.dose
        if spec.drugs.frequency is not None:
            acc.frequency = (
                self.compile(spec.drugs.frequency, ("drugs", "frequency")) or acc.frequency
            )
        d = spec.drugs
        if d.list_heading is not None:
            acc.list_heading = (
                self.compile(d.list_heading, ("drugs", "list_heading")) or acc.list_heading
            )
        if d.listed_drug is not None:
            acc.listed_drug = (
                self.compile(d.listed_drug, ("drugs", "listed_drug")) or acc.listed_drug
            )
        acc.unclassified = d.unclassified or acc.unclassified
        acc.not_drug_words |= {w.lower() for w in d.not_drug_words}
        acc.visit_therapies += spec.visit_therapies
        for surgery, words in spec.surgery_kinds.items():
            acc.surgery_kinds.setdefault(surgery, []).extend(words)
        acc.positive_wins += spec.positive_wins

    def read_concept(self, i: int, c: ConceptSpec) -> None:
        self.check_fact(c.fact, ("concepts", i, "fact"))
        if c.target not in ("therapies", "drugs") and not c.phrases:
            self.err("a concept needs phrases (or target: therapies or drugs)", ("concepts", i))
        self.acc.concepts.append(
            ConceptRule(
                fact=c.fact,
                phrases=tuple(c.phrases),
                sections=tuple(c.sections),
                requires_therapy=c.requires_therapy,
                requires_words=tuple(c.requires_words),
                target=c.target,
                qualified=c.qualified or c.target == "therapies",
                excludes_words=tuple(c.excludes_words),
                requires_any=tuple(c.requires_any),
                value=c.value,
                keep_hypothetical=c.keep_hypothetical,
                exclude_sections=tuple(c.exclude_sections),
                excludes_before=tuple(c.excludes_before),
                strong_words=tuple(c.strong_words),
                only_negated=c.only_negated,
                ignore_negation=c.ignore_negation,
                nearest_therapy=c.nearest_therapy,
                excludes_after=tuple(c.excludes_after),
                context_therapy=c.context_therapy,
                current_only=c.current_only,
                region_qualified=c.region_qualified,
                qualifier=c.qualifier,
                requires_words_reach=c.requires_words_reach,
            )
        )

    def read_pattern(self, i: int, p: PatternSpec) -> None:
        self.check_fact(p.fact, ("patterns", i, "fact"))
        rx = self.compile(p.regex, ("patterns", i, "regex"))
        if rx is None:
            return
        when_negated = self.when_negated(i, p)
        if when_negated is None:
            return
        before_after = {"before", "after"} <= set(rx.groupindex)  # pain before and after
        if "value" not in rx.groupindex and p.value is None and not before_after:
            self.err(
                "a pattern needs a named group 'value' (or a fixed value)", ("patterns", i, "regex")
            )
            return
        self.acc.patterns.append(
            PatternRule(
                fact=p.fact,
                source=rx.pattern,
                flags=rx.flags,
                type=p.type,
                unit=p.unit,
                requires_therapy=p.requires_therapy,
                qualified=p.qualified,
                value=p.value,
                requires_words=tuple(p.requires_words),
                excludes_words=tuple(p.excludes_words),
                sections=tuple(p.sections),
                exclude_sections=tuple(p.exclude_sections),
                context_therapy=p.context_therapy,
                strong_words=tuple(p.strong_words),
                excludes_before=tuple(p.excludes_before),
                keywords=_keywords(rx),
                qualifier=p.qualifier,
                when_negated=when_negated,
                keep_hypothetical=p.keep_hypothetical,
                excludes_in=p.excludes_in,
            )
        )

    def when_negated(self, i: int, p: PatternSpec) -> str | None:
        """A pattern's ``when_negated`` ("false" also written as YAML ``false``), or None
        when wrong. A pattern with fixed value true is negated to false unless it says
        otherwise; a number is never negated."""
        where: PathKey = ("patterns", i, "when_negated")
        if p.when_negated is None:
            return "false" if p.type == "bool" and p.value is True else "ignore"
        value = "false" if p.when_negated is False else str(p.when_negated)
        if value not in _WHEN_NEGATED:
            self.err(f"when_negated must be one of {', '.join(_WHEN_NEGATED)}", where)
            return None
        if value != "ignore" and p.type in ("number", "int"):
            self.err("a number is never negated: when_negated must be ignore", where)
            return None
        if value == "false" and p.type != "bool":
            self.err("only a bool pattern can be negated to false", where)
            return None
        return value


_WHEN_NEGATED = ("false", "nothing", "ignore")


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


@lru_cache(maxsize=1)
def default_rules() -> ExtractionRules:
    from openimr.diskcache import cached
    from openimr.library.shipped import default_library

    return cached("extraction-rules", lambda: load_rules(DATA, set(default_library().facts)))
